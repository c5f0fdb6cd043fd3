"""The report covers the system: a section per training job, endpoint, FinOps plan and build
vs buy, annual totals beside monthly ones, each endpoint's options table on the one pricing
path, and scenario text that stays text in HTML and Markdown."""

from __future__ import annotations

import re

import pytest

from planner.catalog import load_catalog
from planner.core.formatting import usd
from planner.costing.economics import CostCategory, evaluate
from planner.costing.serving import price_endpoint
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import link
from planner.scenario import Scenario, ToolingItem
from planner.scenario.business_case import BusinessCase
from planner.scenario.serving import Autoscaling, Endpoint, ModelKind, ServedModel, Traffic
from planner.scenario.training import TrainingJob
from planner.views import report
from planner.views.report_system import endpoint_options, per_year, training_part

GALLERY = sorted(path.stem for path in GALLERY_DIR.glob("*.yaml"))
IMAGE = "<img src=x onerror=alert(1)>"
REMOTE = "![x](http://evil/x.png)"
SCRIPT_LINK = "[a](javascript:alert(1))"
PAYLOAD = f"{IMAGE} {REMOTE} {SCRIPT_LINK}"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def reports(catalog) -> dict[str, tuple[Scenario, report.Report]]:
    """Every gallery scenario and its report, built once for the module."""
    built = {}
    for name in GALLERY:
        scenario = read_scenario(GALLERY_DIR / f"{name}.yaml")
        built[name] = (scenario, report.build_report(scenario, catalog))
    return built


def _part(built: report.Report, title: str) -> report.ReportPart:
    return next(part for part in built.parts if part.title == title)


def _table(part: report.ReportPart, caption: str):
    return next(
        block.frame
        for block in part.costs
        if isinstance(block, report.Table) and block.caption.startswith(caption)
    )


def _value(frame, figure: str) -> str:
    return frame.loc[frame["Figure"] == figure, "Value"].item()


@pytest.mark.parametrize("name", GALLERY)
def test_every_gallery_report_builds_in_both_formats(reports, name):
    scenario, built = reports[name]
    markdown = report.to_markdown(built)
    html = report.to_html(built)
    assert html.startswith("<!doctype html>")
    assert "<script" not in html.lower()
    assert not [risk for risk in built.risks if "could not be" in risk]
    for job in scenario.training:
        assert f"### Training job “{report.md_inline(job.name)}”" in markdown
        assert f"Training job “{job.name}”" in html
    for endpoint in scenario.serving:
        assert f"### Endpoint “{report.md_inline(endpoint.name)}”" in markdown
        assert "Optimizer&#x27;s mix (the plan)" in html
    assert ("### Budget recovery" in markdown) is (scenario.finops is not None)
    case = scenario.business_case
    assert ("### Build vs buy" in markdown) is (case is not None and case.build_vs_buy is not None)


@pytest.mark.parametrize(
    "name", [name for name in GALLERY if read_scenario(GALLERY_DIR / f"{name}.yaml").serving]
)
def test_the_optimizers_mix_row_is_the_overview_line_to_the_cent(reports, catalog, name):
    scenario, built = reports[name]
    lines = {
        line.item: line.usd_per_month
        for line in evaluate(scenario, catalog).lines
        if line.category is CostCategory.SERVING
    }
    for endpoint in scenario.serving:
        plan = price_endpoint(endpoint, scenario.pricing, catalog)
        options = endpoint_options(endpoint, plan, scenario.pricing, catalog)
        assert [option.label for option in options] == [
            "All on-demand",
            "1-year reserved",
            "Spot, within the spot cap",
            "Optimizer's mix (the plan)",
        ]
        assert round(options[-1].outcome.monthly_cost_usd, 2) == round(lines[endpoint.name], 2)
        frame = _table(_part(built, f"Endpoint “{endpoint.name}”"), "Options")
        row = frame[frame["Option"] == "Optimizer's mix (the plan)"]
        assert row["USD/month"].item() == f"${lines[endpoint.name]:,.2f}"
        assert row["Against the plan, USD/month"].item() == "+$0.00"


def test_the_options_price_each_tier_through_the_one_path(reports, catalog):
    scenario, _ = reports["inference_8c_to_2c"]
    endpoint = scenario.serving[0]
    plan = price_endpoint(endpoint, scenario.pricing, catalog)
    on_demand, reserved, spot, mix = endpoint_options(endpoint, plan, scenario.pricing, catalog)
    assert not on_demand.outcome.fleet.reserved_1y[0]
    assert reserved.outcome.fleet.reserved_1y[0] == 2  # the two-replica floor, reserved
    assert mix.outcome is plan
    # Two replicas with spot capped at 30% of the required capacity leave no whole instance.
    assert "the cap leaves no instance on spot" in spot.note
    assert reserved.outcome.monthly_cost_usd < on_demand.outcome.monthly_cost_usd


def test_a_cheaper_tier_the_endpoint_leaves_out_is_a_risk(reports):
    _, built = reports["recommendation_cost_per_request"]
    assert any("1-year reserved would cost" in risk for risk in built.risks)


def test_annual_totals_are_twelve_times_monthly(reports):
    scenario, built = reports["recommendation_cost_per_request"]
    economics = evaluate(scenario)
    unit = _part(built, "Unit economics")
    headline = _table(unit, "Unit costs")
    assert _value(headline, "Annual cost (12 × monthly)") == usd(12 * economics.monthly_cost_usd)
    lines = _table(unit, "Every cost line")
    assert lines["USD/year"].tolist() == [usd(12 * line.usd_per_month) for line in economics.lines]

    run = economics.training[0]
    job = _table(_part(built, f"Training job “{run.plan.name}”"), "The plan")
    assert _value(job, "Cost per month") == usd(run.cost_per_month_usd)
    assert _value(job, "Cost per year") == usd(12 * run.cost_per_month_usd)

    priced = economics.endpoints[0]
    endpoint = _part(built, f"Endpoint “{priced.name}”")
    assert _value(_table(endpoint, "The recommended configuration"), "Cost per year") == (
        usd(12 * priced.usd_per_month)
    )
    options = _table(endpoint, "Options")
    for monthly, annual in zip(options["USD/month"], options["USD/year"], strict=True):
        # Both are rounded to the cent: 12 × half a cent, plus half a cent, apart at most.
        assert float(annual.strip("$").replace(",", "")) == pytest.approx(
            12 * float(monthly.strip("$").replace(",", "")), abs=0.065
        )
    assert per_year(1.5) == 18.0


def test_the_horizon_total_sums_the_projection(reports):
    scenario, built = reports["recommendation_cost_per_request"]
    headline = _table(_part(built, "Unit economics"), "Unit costs")
    months = scenario.business.projection_months
    row = headline[headline["Figure"].str.startswith(f"Over the {months}-month projection")]
    # Without traffic growth every month of the projection is the first.
    assert row["Value"].item() == usd(months * evaluate(scenario).monthly_cost_usd)


def test_a_training_job_shows_its_plan_comparison_and_waterfall(reports):
    scenario, built = reports["training_50k_to_18k"]
    job = _part(built, f"Training job “{scenario.training[0].name}”")
    captions = [block.caption for block in job.costs]
    comparison = _table(job, "The same run on-demand, on spot and mixed")
    assert comparison["Pricing"].tolist()[:3] == [
        "on-demand",
        "spot",
        "mixed (spot, on-demand fallback)",
    ]
    assert any(caption.startswith("The lever waterfall") for caption in captions)
    steps = _table(job, "The lever waterfall")
    assert steps["Step"].iloc[0] == "Baseline"
    assert steps["Step"].iloc[-1] == "Plan"
    assert all(change.startswith("−$") for change in steps["Change, USD/month"].iloc[1:-1])
    plan = _table(job, "The plan")
    for figure in ("Instances", "Pricing", "Uninterrupted hours per run", "GPU-hours per run"):
        assert _value(plan, figure)
    # A job without a baseline has no waterfall.
    _, other = reports["recommendation_cost_per_request"]
    plain = _part(other, "Training job “ranking model retrain”")
    assert not any(block.caption.startswith("The lever waterfall") for block in plain.costs)


def test_finops_shows_the_levers_and_the_shortfall(reports):
    _, built = reports["finops_3x_over_budget"]
    part = _part(built, "Budget recovery")
    headline = part.costs[0].frame
    status = headline.loc[headline["Figure"] == "Status", "Per month"].item()
    shortfall = headline.loc[headline["Figure"] == "Shortfall"]
    assert status == "unreachable"
    assert shortfall["Per month"].item() == "$60,000"
    assert shortfall["Per year"].item() == "$720,000"
    levers = _table(part, "The levers chosen")
    assert "Spot instances for training" in levers["Lever"].tolist()
    assert "cannot be reached by week 4" in part.recommendation


def test_a_job_that_cannot_be_priced_is_a_risk_beside_the_others(catalog):
    scenario = Scenario(
        title="Two jobs",
        training=(
            TrainingJob(name="good", hours_per_run=10, instance_type="p4d.24xlarge"),
            TrainingJob(name="broken", hours_per_run=10, instance_type="no-such-type"),
        ),
    )
    built = report.build_report(scenario, catalog, parts=[training_part])
    assert [part.title for part in built.parts] == ["Training job “good”", "Training job “broken”"]
    assert any("The training job “broken” could not be priced" in risk for risk in built.risks)


@pytest.fixture(scope="module")
def hostile(catalog) -> report.Report:
    """Every kind of scenario text holds an image, a remote image and a script link."""
    scenario = Scenario(
        title=PAYLOAD,
        description=PAYLOAD,
        sources=(PAYLOAD,),
        business_case=BusinessCase(question=PAYLOAD),
        training=(TrainingJob(name=PAYLOAD, hours_per_run=10, instance_type="p4d.24xlarge"),),
        serving=(
            Endpoint(
                name=PAYLOAD,
                instance_type="g5.xlarge",
                traffic=Traffic(requests_per_day=864_000, horizon_weeks=1),
                model=ServedModel(
                    kind=ModelKind.CLASSIC, measured_requests_per_second_per_instance=50.0
                ),
                autoscaling=Autoscaling(min_replicas=1),
            ),
        ),
        tooling=(ToolingItem(name=PAYLOAD, usd_per_month=100),),
    )
    return report.build_report(
        scenario, catalog, share_link=link(scenario, "https://planner.example/")
    )


def test_scenario_text_is_only_escaped_in_markdown(hostile):
    markdown = report.to_markdown(hostile)
    assert not re.search(r"<img", markdown)
    assert REMOTE not in markdown
    assert SCRIPT_LINK not in markdown
    assert "javascript:alert(1))" not in markdown.replace(r"\[a\](javascript:alert(1))", "")
    escaped = (
        r"&lt;img src=x onerror=alert(1)&gt; !\[x\](http://evil/x.png) \[a\](javascript:alert(1))"
    )
    assert markdown.startswith(f"# {escaped}\n")
    assert f"### Training job “{escaped}”" in markdown
    assert f"### Endpoint “{escaped}”" in markdown
    assert f"## Question\n\n{escaped}\n" in markdown


def test_scenario_text_is_only_escaped_in_html(hostile):
    html = report.to_html(hostile)
    assert not re.search(r"<img[\s>]", html)
    assert "onerror=alert(1)>" not in html
    assert 'href="javascript' not in html
    assert html.count("<a ") == 1  # the share link
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Training job “&lt;img src=x" in html
    assert "Endpoint “&lt;img src=x" in html


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("# heading", r"\# heading"),
        ("- item", r"\- item"),
        ("12. item", r"12\. item"),
        ("---", r"\---"),
        ("$x^2$ and $5", r"\$x^2\$ and $5"),
        ("a\\|b", r"a\\\|b"),
        ("one\n\ntwo", "one\n\ntwo"),
        ("<https://evil.example>", "&lt;https://evil.example&gt;"),
    ],
)
def test_markdown_blocks_show_text_as_written(text, shown):
    assert report.md_block(text) == shown


def test_the_levers_show_only_where_they_save(reports):
    _, serving_case = reports["inference_8c_to_2c"]
    endpoint = _part(serving_case, "Endpoint “ML API”")
    levers = _table(endpoint, "Each lever's share of the saving")
    assert "Right-sizing the instance" in levers["Lever"].tolist()
    _, on_demand_only = reports["recommendation_cost_per_request"]
    endpoint = _part(on_demand_only, "Endpoint “recommendation endpoint”")
    assert not any(block.caption.startswith("Each lever") for block in endpoint.costs)
