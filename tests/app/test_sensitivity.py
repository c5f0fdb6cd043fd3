"""AppTest of the Sensitivity page: tornado, sweep, Monte Carlo and ranges."""

from __future__ import annotations

import pytest

from planner import whatif
from planner.io.scenario_files import GALLERY_DIR, gallery, read_scenario
from planner.io.share import encode
from tests.app.conftest import open_app

PAGE = "app_pages/sensitivity.py"
LESSON = read_scenario(GALLERY_DIR / "build_vs_buy_mlflow_wandb.yaml")
TRAINING = read_scenario(GALLERY_DIR / "training_50k_to_18k.yaml")
SERVING = read_scenario(GALLERY_DIR / "inference_8c_to_2c.yaml")


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.parametrize("entry", gallery(), ids=lambda e: e.key)
def test_every_gallery_case_renders(entry):
    at = open_app({"s": encode(entry.scenario)}, PAGE)
    assert not at.exception
    assert not at.error


def test_the_lesson_tornado_switching_values_and_percentiles():
    at = open_app({"s": encode(LESSON)}, PAGE)
    assert metric(at, "Build minus buy over the horizon at the scenario's values") == "+$39,600"
    switches = next(d.value for d in at.dataframe if "Build = buy at" in d.value.columns)
    assert (
        "9"
        in switches.set_index("Assumption").loc[
            "Opportunity cost — Self-hosted MLflow", "Build = buy at"
        ]
    )
    p10, p50, p90 = (metric(at, p) for p in ("P10", "P50", "P90"))
    assert all(v.startswith(("+$", "−$")) for v in (p10, p50, p90))
    assert "Draws where building is cheaper" in [m.label for m in at.metric]


def tornado_rows(at) -> list[str]:
    frame = next(d.value for d in at.dataframe if "Output at low" in d.value.columns)
    return frame["Assumption"].tolist()


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_the_training_tornado_and_monte_carlo_move_mfu():
    at = open_app({"s": encode(TRAINING)}, PAGE)
    assert not at.exception
    assert "MFU — job “ranking model retrain”" in tornado_rows(at)
    assert all(metric(at, p).startswith("$") for p in ("P10", "P50", "P90"))
    spreads = whatif.monte_carlo(TRAINING, samples=100).spreads
    assert "training[0].mfu" in {s.parameter.key for s in spreads}


def test_the_serving_tornado_moves_the_cache_hit_rate_and_a_sweep_reaches_any_number():
    at = open_app({"s": encode(SERVING)}, PAGE)
    assert not at.exception
    assert "Cache hit rate — endpoint “ML API”" in tornado_rows(at)
    sweep = at.selectbox(key="_sweep_param_0")
    assert "serving[0].latency_target_ms" in sweep.options or any(
        "Latency target" in option for option in sweep.options
    )
    at.selectbox(key="_sweep_param_0").set_value("serving[0].cache_hit_rate").run()
    assert not at.exception
    assert not at.error


def test_the_draws_stay_within_the_limit_and_say_what_they_do():
    at = open_app({"s": encode(TRAINING)}, PAGE)
    draws = next(b for b in at.button_group if b.key == "_mc_samples")
    counts = [int(option.replace(",", "")) for option in draws.options]
    assert max(counts) <= whatif.MAX_SAMPLES
    assert whatif.DEFAULT_SAMPLES in counts
    assert f"{whatif.DEFAULT_SAMPLES:,} draws;" in captions(at)
    status = next(e for e in at.main if type(e).__name__ == "Status")
    assert status.label == f"Monte Carlo: {whatif.DEFAULT_SAMPLES:,} draws priced"
    draws.set_value(500).run()
    assert not at.exception
    assert "500 draws;" in captions(at)


def _edit_ranges(at, row: int, **cells):
    at.session_state["_sens_ranges_0"] = {
        "edited_rows": {row: cells},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()


def test_a_low_value_above_the_high_one_is_explained():
    at = open_app({"s": encode(LESSON)}, PAGE)
    _edit_ranges(at, 2, low=30.0, high=3.0)  # the engineer rate
    assert not at.exception
    assert any("low value 30 above its high value 3" in e.value for e in at.error)
    assert at.session_state["scenario"] == LESSON


def test_half_a_range_is_explained():
    at = open_app({"s": encode(LESSON)}, PAGE)
    _edit_ranges(at, 2, low=100.0)
    assert any("enter both a low and a high value" in e.value for e in at.error)


def test_a_new_range_is_saved_in_the_link():
    at = open_app({"s": encode(LESSON)}, PAGE)
    keys = [p.key for p in whatif.key_parameters(LESSON)]
    row = keys.index("business_case.build_vs_buy.usd_per_engineer_hour")
    _edit_ranges(at, row, low=100.0, high=250.0)
    assert not at.exception
    case = at.session_state["scenario"].business_case
    saved = case.range_for("business_case.build_vs_buy.usd_per_engineer_hour")
    assert (saved.low, saved.high) == (100.0, 250.0)
    assert at.query_params["s"] == encode(at.session_state["scenario"])


def test_unit_economics_measure_on_the_default_case():
    at = open_app(page=PAGE)
    assert not at.exception
    assert metric(at, "Monthly cost at the scenario's values").startswith("$")


@pytest.mark.parametrize("page", ["app_pages/build_vs_buy.py", "app_pages/compare.py", PAGE])
@pytest.mark.parametrize("entry", gallery(), ids=lambda e: e.key)
def test_opening_a_page_leaves_the_scenario_and_link_as_they_were(page, entry):
    at = open_app({"s": encode(entry.scenario)}, page)
    assert not at.exception
    assert at.session_state["scenario"] == entry.scenario
    assert at.query_params["s"] == encode(entry.scenario)
