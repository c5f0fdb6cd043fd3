"""The Training page, as a user's session runs it."""

from __future__ import annotations

import re

import pytest

from planner.core.formatting import usd
from planner.costing.economics import evaluate
from planner.costing.training import evaluate_plan
from planner.io.scenario_files import GALLERY_DIR, gallery, read_scenario
from planner.io.share import decode, encode
from planner.scenario import Scenario
from tests.app.conftest import as_read, open_app
from ui.page import plain_text

PAGE = "app_pages/training.py"
CASE = read_scenario(GALLERY_DIR / "training_50k_to_18k.yaml")


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def errors(at) -> list[str]:
    return [as_read(e.value) for e in at.error]


@pytest.fixture
def case():
    at = open_app({"s": encode(CASE)}, page=PAGE)
    assert not at.exception
    return at


def test_the_lesson_02_case_shows_the_models_numbers(case):
    report = evaluate_plan(CASE.training[0], CASE.pricing)
    assert not errors(case)
    assert metric(case, "Cost per run") == usd(report.run.cost_usd)
    assert metric(case, "Cost per month") == usd(report.run.cost_per_month_usd)
    assert metric(case, "GPU-hours per run") == f"{report.run.gpu_hours:,.0f}"
    assert metric(case, "Predicted loss") == f"{report.run.loss:.4f}"
    assert len(case.get("vega_lite_chart")) >= 5  # waterfall, histograms, frontier, breakdown


def test_the_link_carries_the_pages_inputs(case):
    case.number_input(key="_tp_mfu_0").set_value(0.5).run()
    assert not case.exception
    shared = decode(case.query_params["s"]).scenario
    assert shared is not None
    assert shared.training[0].mfu == 0.5
    reopened = open_app({"s": case.query_params["s"]}, page=PAGE)
    assert not reopened.exception
    assert metric(reopened, "Cost per run") == metric(case, "Cost per run")


def test_mfu_above_one_is_explained_and_the_plan_kept(case):
    before = metric(case, "Cost per run")
    case.number_input(key="_tp_mfu_0").set_value(1.5).run()
    assert not case.exception
    # Named by its label, as the page shows it, not by its path in the schema.
    label = "MFU (model FLOPs utilisation) = 1.5"
    assert any(e.startswith(label) and "at most 1" in e for e in errors(case)), errors(case)
    assert metric(case, "Cost per run") == before
    assert case.session_state["scenario"].training[0].mfu == 0.4


def test_a_negative_budget_is_explained(case):
    case.radio(key="_tp_mode_0").set_value("budget").run()
    case.number_input(key="_tp_budget_0").set_value(-5.0).run()
    assert not case.exception
    assert any("a budget must be above zero" in e for e in errors(case))


def test_a_budget_too_small_gives_the_smallest_that_works(case):
    case.radio(key="_tp_mode_0").set_value("budget").run()
    case.number_input(key="_tp_budget_0").set_value(0.3).run()
    assert not case.exception
    message = next(e for e in errors(case) if "too small for any sensible model" in e)
    least = float(
        re.search(r"at least \$([0-9,]+(?:\.[0-9]+)?)", message).group(1).replace(",", "")
    )
    case.number_input(key="_tp_budget_0").set_value(least).run()
    assert not errors(case)


def test_an_interruption_rate_that_never_finishes_gives_the_largest_that_works(case):
    case.checkbox(key="_tp_default_rate_0").uncheck().run()
    case.number_input(key="_tp_rate_0").set_value(40.0).run()
    assert not case.exception
    message = next(e for e in errors(case) if "never finishes" in e)
    assert "use an interruption rate of at most" in message


def test_a_model_that_fits_no_gpu_count_is_explained(case):
    case.radio(key="_tp_mode_0").set_value("given").run()
    case.number_input(key="_tp_params_0").set_value(70.0).run()
    case.checkbox(key="_tp_shard_0").uncheck().run()
    assert not case.exception
    assert any("fits no GPU count" in e for e in errors(case))


def test_a_scenario_without_a_job_can_add_one():
    at = open_app({"s": encode(Scenario(title="Plain"))}, page=PAGE)
    assert not at.exception
    next(b for b in at.button if b.label == "Add a training job").click().run()
    assert not at.exception
    (job,) = at.session_state["scenario"].training
    assert not errors(at)
    assert decode(at.query_params["s"]).scenario.training == (job,)


def test_an_edit_here_moves_the_overview_to_the_same_figure(case):
    """One model: the Training page's run is the Overview's training line, to the cent."""
    case.number_input(key="_tp_mfu_0").set_value(0.5).run()
    assert not case.exception
    shown = metric(case, "Cost per month")
    scenario = case.session_state["scenario"]
    case.switch_page("app_pages/overview.py").run()
    assert not case.exception
    lines = next(frame for frame in (d.value for d in case.dataframe) if "usd_per_month" in frame)
    line = lines.loc[lines["item"] == "ranking model retrain", "usd_per_month"].item()
    assert usd(line) == shown
    assert metric(case, "Monthly cost") == usd(evaluate(scenario).monthly_cost_usd)


def test_a_job_with_stated_hours_is_priced_from_them(case):
    case.radio(key="_tp_mode_0").set_value("hours").run()
    case.number_input(key="_tp_hours_0").set_value(48.0).run()
    assert not case.exception
    assert not errors(case)
    job = case.session_state["scenario"].training[0]
    assert job.hours_per_run == 48.0
    assert job.params is None
    assert metric(case, "Predicted loss") == "n/a"


@pytest.mark.parametrize("entry", gallery(), ids=lambda e: e.key)
def test_every_gallery_scenario_renders_on_the_training_page(entry):
    at = open_app({"s": encode(entry.scenario)}, page=PAGE)
    assert not at.exception
    assert at.title[0].value == f"Training: {plain_text(entry.scenario.title)}"


def test_the_20_tokens_rule_has_no_loss_and_says_so(case):
    case.selectbox(key="_tp_law_0").set_value("tokens20").run()
    assert not case.exception
    assert not errors(case)
    assert metric(case, "Predicted loss") == "n/a"
    assert any("predicts no loss" in i.value for i in case.info)


def test_a_target_loss_below_the_irreducible_loss_is_explained(case):
    case.radio(key="_tp_mode_0").set_value("target").run()
    case.number_input(key="_tp_target_0").set_value(1.5).run()
    assert not case.exception
    assert any("cannot be reached" in e and "irreducible loss E" in e for e in errors(case))
    case.number_input(key="_tp_target_0").set_value(2.6).run()
    assert not errors(case)
    assert metric(case, "Predicted loss") == "2.6000"


def test_a_preset_and_sequence_length_set_the_attention_flops(case):
    # PaLM's 12·L·H·Q·T per token: Llama-3.1-8B's 32 layers × 32 heads × 128 dims at 8K.
    case.selectbox(key="_tp_model_0").set_value("Llama-3.1-8B").run()
    case.number_input(key="_tp_seq_len_0").set_value(8192).run()
    assert not case.exception
    assert not errors(case)
    scenario = decode(case.query_params["s"]).scenario
    job = scenario.training[0]
    assert (job.model, job.seq_len) == ("Llama-3.1-8B", 8192)
    run = evaluate_plan(job, scenario.pricing).run
    assert run.flops.attention_share == pytest.approx(12 * 32 * 32 * 128 * 8192 / (6 * run.params))
    assert metric(case, "Cost per run") == usd(run.cost_usd)


def test_the_lever_table_shows_each_levers_shapley_saving(case):
    report = evaluate_plan(CASE.training[0], CASE.pricing)
    assert any("averaged over every order" in caption.value for caption in case.caption)
    table = next(frame.value for frame in case.dataframe if "saving_usd_per_month" in frame.value)
    levers = table.set_index("lever")["saving_usd_per_month"]
    expected = report.waterfall.set_index("lever")["saving_usd_per_month"]
    for lever in ("pricing", "precision", "size", "experiments"):
        assert levers[lever] == pytest.approx(expected[lever], rel=1e-12)


def test_a_refused_size_is_named_by_its_label_in_billions(case):
    case.radio(key="_tp_mode_0").set_value("given").run()
    case.number_input(key="_tp_params_0").set_value(1_000_000.0).run()  # 1e15 parameters
    assert not case.exception
    message = next(e for e in errors(case) if "Parameters, billions" in e)
    assert message.startswith("Parameters, billions = 1,000,000: must be less than or equal")
    assert "100,000" in message
    assert "1000000000000000" not in message
