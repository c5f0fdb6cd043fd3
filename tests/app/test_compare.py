"""AppTest of the Compare page: variants with numbers and levers, side by side, and
comparing a scenario with itself."""

from __future__ import annotations

import pytest

from planner import whatif
from planner.io.scenario_files import GALLERY_DIR, gallery, read_scenario
from planner.io.share import encode
from planner.scenario import Scenario
from planner.scenario.serving import Endpoint, Traffic
from tests.app.conftest import open_app
from ui.page import plain_text

PAGE = "app_pages/compare.py"
LESSON = read_scenario(GALLERY_DIR / "build_vs_buy_mlflow_wandb.yaml")
# An LLM endpoint busy enough that its precision moves its fleet.
CHAT = Scenario(
    title="chat",
    serving=(
        Endpoint(name="chat", traffic=Traffic(requests_per_day=2e6, horizon_weeks=1), max_batch=16),
    ),
)


def slot(at, index: int):
    return next(s for s in at.selectbox if s.key and s.key.startswith(f"_compare_slot_{index}_"))


def table_text(at) -> str:
    return next(d.value for d in at.dataframe if "Figure" in d.value.columns).to_string()


def test_the_lesson_compares_with_its_first_variant():
    at = open_app({"s": encode(LESSON)}, PAGE)
    assert not at.exception
    assert slot(at, 1).value == "variant:0"
    text = table_text(at)
    assert "$57,600" in text
    assert "−$72,000" in text


def duplicate(at):
    next(b for b in at.button if b.label == "Duplicate as variant").click().run()
    assert not at.exception


def test_duplicate_as_variant_then_comparing_it_with_the_base_says_it_has_no_changes():
    at = open_app({"s": encode(LESSON)}, PAGE)
    duplicate(at)
    variants = at.session_state["scenario"].business_case.variants
    assert [v.name for v in variants][-1] == "Variant 3"
    assert at.query_params["s"] == encode(at.session_state["scenario"])
    slot(at, 1).select("variant:2").run()
    assert not at.exception
    assert not at.error
    assert any("Variant 3 has no changes yet" in i.value for i in at.info)


@pytest.mark.parametrize("entry", gallery(), ids=lambda e: e.key)
def test_duplicate_as_variant_shows_no_error_straight_away(entry):
    at = open_app({"s": encode(entry.scenario)}, PAGE)
    duplicate(at)
    assert not at.error


def add_lever(at, index: int, parameter: str, value: str):
    at.session_state[f"_variant_{index}_0_levers"] = {
        "edited_rows": {},
        "added_rows": [{"parameter": parameter, "value": value}],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception


def test_a_lever_in_a_variant_changes_the_monthly_cost():
    at = open_app({"s": encode(CHAT)}, PAGE)
    duplicate(at)
    add_lever(at, 0, "serving[0].model.precision", "int8")
    assert not at.error
    variant = at.session_state["scenario"].business_case.variants[0]
    assert [(c.parameter, c.value) for c in variant.changes] == [
        ("serving[0].model.precision", "int8")
    ]
    frame = next(d.value for d in at.dataframe if "Figure" in d.value.columns)
    monthly = frame.set_index("Figure").loc["Monthly cost"]
    assert monthly["Δ Variant 1"].startswith("−$")
    assert at.query_params["s"] == encode(at.session_state["scenario"])


def test_a_bad_lever_value_is_explained_and_not_kept():
    at = open_app({"s": encode(CHAT)}, PAGE)
    duplicate(at)
    before = at.session_state["scenario"]
    add_lever(at, 0, "serving[0].model.precision", "int9")
    message = " ".join(e.value for e in at.error)
    assert plain_text("serving[0].model.precision") in message  # shown as plain text
    assert '"int9"' in message
    assert "'fp16', 'fp8', 'int8' or 'int4'" in message
    assert at.session_state["scenario"] == before


def test_the_same_scenario_twice_is_refused():
    at = open_app({"s": encode(LESSON)}, PAGE)
    slot(at, 1).select("current").run()
    assert not at.exception
    assert any("comparing a scenario with itself" in e.value for e in at.error)


def test_editing_a_variant_records_the_change():
    at = open_app({"s": encode(LESSON)}, PAGE)
    next(b for b in at.button if b.label == "Duplicate as variant").click().run()
    rows = [p.key for p in whatif.key_parameters(LESSON)]
    row = rows.index("business_case.build_vs_buy.usd_per_engineer_hour")
    at.session_state["_variant_2_0_numbers"] = {
        "edited_rows": {row: {"variant": 100.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    variant = at.session_state["scenario"].business_case.variants[2]
    assert [(c.parameter, c.value) for c in variant.changes] == [
        ("business_case.build_vs_buy.usd_per_engineer_hour", 100.0)
    ]


def test_a_variant_value_out_of_range_is_explained():
    at = open_app({"s": encode(LESSON)}, PAGE)
    at.session_state["_variant_0_0_numbers"] = {
        "edited_rows": {0: {"variant": -4.0}},  # team size
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert any("team_size = -4" in e.value for e in at.error)
    assert at.session_state["scenario"] == LESSON


def test_gallery_cases_compare_and_four_slots_work():
    at = open_app(page=PAGE)
    assert not at.exception
    at.radio(key="_compare_count").set_value(4).run()
    assert not at.exception
    chosen = [slot(at, i).value for i in range(4)]
    assert len(set(chosen)) == 4
    assert len(gallery()) >= 3
