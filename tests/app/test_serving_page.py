"""The Serving page, as a user's session runs it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner.core.formatting import usd
from planner.costing.economics import evaluate
from planner.costing.serving import evaluate_serving
from planner.io.demand import parse_demand_csv
from planner.io.scenario_files import GALLERY_DIR, gallery, read_scenario
from planner.io.share import decode, encode
from planner.models.architectures import KvPrecision
from planner.scenario import Scenario
from planner.scenario.serving import DailyShape, FleetMix, ServingPrecision, WeeklyShape
from tests.app.conftest import open_app
from ui import serving_inputs

PAGE = "app_pages/serving.py"
CASE = read_scenario(GALLERY_DIR / "inference_8c_to_2c.yaml")


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def apply(at):
    next(b for b in at.button if b.label == "Apply").click().run()
    return at


@pytest.fixture
def case():
    at = open_app({"s": encode(CASE)}, page=PAGE)
    assert not at.exception
    return at


def test_the_lesson_03_case_shows_the_models_numbers(case):
    result = evaluate_serving(CASE.serving[0], CASE.pricing)
    assert not case.error
    assert metric(case, "Monthly cost") == usd(result.optimised.monthly_cost_usd)
    assert metric(case, "Per 1K requests") == usd(result.optimised.per_1k_requests_usd)
    assert metric(case, "Per request") == usd(result.optimised.per_request_usd)
    assert metric(case, "Gap") == "0.00%"  # the instance mix is proven optimal
    # Waterfall, capacity by tier, cost per request over time, and the mix's capacity chart.
    assert len(case.get("vega_lite_chart")) >= 4


def test_the_link_carries_the_pages_inputs(case):
    case.slider(key="_sv_cache_0").set_value(40)
    apply(case)
    assert not case.exception
    shared = decode(case.query_params["s"]).scenario
    assert shared is not None
    assert shared.serving[0].cache_hit_rate == pytest.approx(0.40)
    reopened = open_app({"s": case.query_params["s"]}, page=PAGE)
    assert not reopened.exception
    assert metric(reopened, "Monthly cost") == metric(case, "Monthly cost")


def test_a_scenario_without_an_endpoint_can_add_one_with_every_lever_off():
    at = open_app({"s": encode(Scenario(title="Plain"))}, page=PAGE)
    assert not at.exception
    assert any("serves nothing yet" in i.value for i in at.info)
    next(b for b in at.button if b.label == "Add an endpoint").click().run()
    assert not at.exception
    (endpoint,) = at.session_state["scenario"].serving
    assert endpoint.max_batch == 1
    assert not endpoint.autoscaling.enabled
    assert metric(at, "Monthly cost").startswith("$")


def test_an_edit_here_moves_the_overview_to_the_same_figure(case):
    """One model: the Serving page's plan is the Overview's serving line, to the cent."""
    before = case.session_state["scenario"]
    case.number_input(key="_sv_rpd_0").set_value(40_000_000.0)
    apply(case)
    assert not case.exception
    after = case.session_state["scenario"]
    assert after.serving[0].traffic.requests_per_day == 40_000_000
    shown = metric(case, "Monthly cost")
    case.switch_page("app_pages/overview.py").run()
    assert not case.exception
    line = next(frame for frame in (d.value for d in case.dataframe) if "usd_per_month" in frame)
    serving_usd = line.loc[line["item"] == "ML API", "usd_per_month"].item()
    assert usd(serving_usd) == shown
    assert metric(case, "Monthly cost") != usd(evaluate(before).monthly_cost_usd)
    assert metric(case, "Monthly cost") == usd(evaluate(after).monthly_cost_usd)


def test_a_full_spot_cap_with_interruptions_is_explained_and_kept(case):
    case.slider(key="_sv_spot_cap_0").set_value(100)
    apply(case)
    assert not case.exception
    assert any("spot cap of 100%" in e.value and "To fix" in e.value for e in case.error)
    # The user's input is kept, not silently reverted.
    assert case.session_state["scenario"].serving[0].mix.spot_max_share == 1.0


def test_no_instance_able_to_serve_is_explained():
    plan = replace(
        CASE.serving[0],
        mix=FleetMix(instance_types=("g4dn.xlarge", "g5.xlarge")),
        latency_target_ms=10.0,
    )
    at = open_app({"s": encode(replace(CASE, serving=(plan,)))}, page=PAGE)
    assert not at.exception
    assert any("even at batch 1" in e.value for e in at.error)


def test_a_budget_below_the_minimum_gives_the_smallest_that_works(case):
    case.number_input(key="_sv_budget_0").set_value(100.0)
    apply(case)
    case.toggle(key="_sv_alt_0").set_value(True).run()  # the budget bounds the alternative mix
    assert not case.exception
    warning = next(w.value for w in case.warning if "below the cheapest plan" in w.value)
    assert "$1,043.22" in warning  # the smallest budget that works, over the 13 weeks


def test_a_mix_without_on_demand_is_explained(case):
    case.multiselect(key="_sv_tiers_0").set_value(["spot", "reserved_1y"])
    apply(case)
    assert not case.exception
    assert any("leaves out on_demand" in e.value and "To fix" in e.value for e in case.error)


def test_a_linked_csv_that_is_not_loaded_falls_back_to_the_shape():
    plan = replace(CASE.serving[0], traffic=replace(CASE.serving[0].traffic, demand_csv="x.csv"))
    at = open_app({"s": encode(replace(CASE, serving=(plan,)))}, page=PAGE)
    assert not at.exception
    notice = next(w.value for w in at.warning if "x.csv" in w.value)
    assert "not part of the link" in notice
    assert metric(at, "Monthly cost") == usd(
        evaluate_serving(CASE.serving[0], CASE.pricing).optimised.monthly_cost_usd
    )


def test_an_uploaded_csv_in_the_session_is_used():
    demand = parse_demand_csv(
        "hour,demand\n" + "".join(f"{h},{200 + h % 24}\n" for h in range(336)), name="load.csv"
    )
    plan = replace(CASE.serving[0], traffic=replace(CASE.serving[0].traffic, demand_csv="load.csv"))
    scenario = replace(CASE, serving=(plan,))
    at = open_app({"s": encode(scenario)}, page=PAGE)
    at.session_state["serving_demand_upload"] = demand
    at.run()
    assert not at.exception
    assert not [w for w in at.warning if "load.csv" in w.value]
    expected = evaluate_serving(plan, scenario.pricing, csv_demand=demand.values)
    assert metric(at, "Monthly cost") == usd(expected.optimised.monthly_cost_usd)


@pytest.mark.parametrize("entry", gallery(), ids=lambda e: e.key)
def test_every_gallery_scenario_renders_on_this_page(entry):
    at = open_app({"s": encode(entry.scenario)}, page=PAGE)
    assert not at.exception
    if not entry.scenario.serving:
        assert any("serves nothing yet" in i.value for i in at.info)
    else:
        assert not at.error


def test_a_plain_scenario_link_still_opens():
    at = open_app({"s": encode(Scenario(title="Plain"))}, page=PAGE)
    assert not at.exception
    assert at.title[0].value == "Serving: Plain"


def llm_case() -> Scenario:
    from planner.scenario.serving import (
        Endpoint,
        ServedModel,
        ServingBaseline,
        ServingPrecision,
        Traffic,
    )

    endpoint = Endpoint(
        name="chat",
        instance_type="g6e.xlarge",
        max_batch=64,
        traffic=Traffic(requests_per_day=200_000, horizon_weeks=1),
        model=ServedModel(preset="Llama-3.1-8B", precision=ServingPrecision.FP8),
        baseline=ServingBaseline(precision=ServingPrecision.FP8),
    )
    return Scenario(title="chat", serving=(endpoint,))


def test_an_llm_shows_input_and_output_prices_and_its_latencies():
    scenario = llm_case()
    at = open_app({"s": encode(scenario)}, page=PAGE)
    assert not at.exception
    out = evaluate_serving(scenario.serving[0]).optimised
    assert out.usd_per_1m_input_tokens is not None
    assert out.usd_per_1m_output_tokens is not None
    assert metric(at, "Per 1M input / output tokens") == (
        f"{usd(out.usd_per_1m_input_tokens)} / {usd(out.usd_per_1m_output_tokens)}"
    )
    assert metric(at, "TTFT / TPOT").endswith(" ms")


def test_a_tpot_target_entered_on_the_page_bounds_the_batch():
    at = open_app({"s": encode(llm_case())}, page=PAGE)
    # On an L40S batch 64 takes ~23 ms a token and batch 1 ~14 ms: 18 ms binds.
    before = metric(at, "TTFT / TPOT")
    at.number_input(key="_sv_tpot_0").set_value(18.0)
    apply(at)
    assert not at.exception
    assert not at.error
    shared = decode(at.query_params["s"]).scenario
    assert shared is not None
    assert shared.serving[0].tpot_target_ms == pytest.approx(18.0)
    tpot = float(metric(at, "TTFT / TPOT").split(" / ")[1].removesuffix(" ms"))
    assert tpot <= 18.0
    assert float(before.split(" / ")[1].removesuffix(" ms")) > 18.0


@pytest.mark.parametrize(
    ("words", "kind"),
    [
        (serving_inputs.PRECISION_WORDS, ServingPrecision),
        (serving_inputs.KV_PRECISION_WORDS, KvPrecision),
        (serving_inputs.DAILY_WORDS, DailyShape),
        (serving_inputs.WEEKLY_WORDS, WeeklyShape),
    ],
)
def test_every_choice_has_words(words, kind):
    assert set(words) == set(kind)


def test_choices_read_as_words_and_the_link_keeps_the_value(case):
    precision = case.selectbox(key="_sv_precision_0")
    assert precision.options == list(serving_inputs.PRECISION_WORDS.values())
    daily = case.selectbox(key="_sv_daily_0")
    assert "business_hours" not in daily.options
    precision.select("int8")
    apply(case)
    assert not case.exception
    shared = decode(case.query_params["s"]).scenario
    assert shared.serving[0].model.precision is ServingPrecision.INT8
