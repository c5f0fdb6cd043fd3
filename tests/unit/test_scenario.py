from dataclasses import replace

import pytest

from planner.catalog import PriceOverride, PriceTier
from planner.core.errors import PlannerInputError
from planner.io.scenario_files import read_scenario
from planner.scenario import (
    SCHEMA_VERSION,
    Scenario,
    dump_scenario_yaml,
    parse_scenario_yaml,
    scenario_from_mapping,
    validated,
)
from planner.scenario.serving import Endpoint, Traffic
from planner.scenario.training import TrainingJob
from tests.conftest import GALLERY_FILES


@pytest.mark.parametrize("path", GALLERY_FILES, ids=lambda p: p.stem)
def test_every_gallery_file_parses_and_round_trips(path):
    scenario = read_scenario(path)
    assert scenario.title
    assert scenario.description, "each gallery case describes itself"
    assert scenario.sources, "each gallery case names the source of its assumptions"
    assert parse_scenario_yaml(dump_scenario_yaml(scenario)) == scenario


def test_defaults_are_left_out_of_yaml():
    text = dump_scenario_yaml(Scenario(title="t"))
    assert text == f"schema_version: {SCHEMA_VERSION}\ntitle: t\n"


def test_negative_traffic_names_field_value_and_range():
    with pytest.raises(PlannerInputError) as caught:
        parse_scenario_yaml(
            "serving:\n  - name: api\n    traffic:\n      requests_per_day: -5\n"
            "    instance_type: g5.xlarge\n"
        )
    message = str(caught.value)
    assert "serving[0].traffic.requests_per_day" in message
    assert '"api"' in message
    assert "-5" in message
    assert "greater than or equal to 0" in message
    assert "To fix:" in message


def test_unknown_field_is_named():
    with pytest.raises(PlannerInputError, match=r"training\[0\].gpus"):
        parse_scenario_yaml("training:\n  - name: a\n    gpus: 8\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: [oops", "line 1"),
        ("", "empty"),
        ("- just\n- a list\n", "mapping"),
        ("a: &x [1]\nb: *x\n", "aliases"),
        ("schema_version: 99\n", "newer"),
        ("schema_version: yes\n", "whole number"),
        ("business:\n  monthly_traffic_growth: .nan\n", "monthly_traffic_growth"),
        ("storage:\n  - name: s\n    gb: .inf\n", r"storage\[0\]\.gb"),
    ],
)
def test_bad_yaml_gets_a_clear_message(text, expected):
    with pytest.raises(PlannerInputError, match=expected):
        parse_scenario_yaml(text)


def test_oversized_yaml_is_refused_before_parsing():
    with pytest.raises(PlannerInputError, match="larger than"):
        parse_scenario_yaml("title: x\n" + "#" * 300_000)


def test_price_override_and_tier_round_trip():
    scenario = Scenario(
        pricing=replace(
            Scenario().pricing,
            default_tier=PriceTier.SPOT,
            overrides=(PriceOverride(instance_type="g5.xlarge", on_demand_usd_per_hour=0.8),),
        )
    )
    assert parse_scenario_yaml(dump_scenario_yaml(scenario)) == scenario


def test_validated_rejects_an_invalid_replace():
    base = Scenario(serving=(Endpoint(name="api", traffic=Traffic(requests_per_day=10)),))
    bad = replace(base, serving=(replace(base.serving[0], cache_hit_rate=1.5),))
    with pytest.raises(PlannerInputError, match="cache_hit_rate"):
        validated(bad)


@pytest.mark.parametrize("section", ["training", "serving"])
def test_two_items_of_a_section_may_not_share_a_name(section):
    with pytest.raises(PlannerInputError, match=r"named 'same'.*To fix: rename one"):
        scenario_from_mapping({section: [{"name": "same"}, {"name": "same"}]})


def test_a_job_that_states_its_hours_refuses_a_model_size():
    with pytest.raises(PlannerInputError, match="hours_per_run and also params"):
        scenario_from_mapping({"training": [{"name": "j", "hours_per_run": 5, "params": 1e9}]})


def test_jobs_and_endpoints_are_found_by_name():
    scenario = Scenario(
        training=(TrainingJob(name="a", hours_per_run=1),),
        serving=(Endpoint(name="b"),),
    )
    assert scenario.job("a").hours_per_run == 1
    assert scenario.endpoint("b").name == "b"
    with pytest.raises(PlannerInputError, match=r"no endpoint named 'a'.*it has: 'b'"):
        scenario.endpoint("a")
    with pytest.raises(PlannerInputError, match="--job"):
        scenario.job("b")


def test_mapping_must_be_a_mapping():
    with pytest.raises(PlannerInputError, match="mapping"):
        scenario_from_mapping([1, 2])


def test_read_files(tmp_path):
    scenario = Scenario(title="saved")
    path = tmp_path / "s.yaml"
    path.write_text(dump_scenario_yaml(scenario), encoding="utf-8")
    assert read_scenario(path) == scenario
    with pytest.raises(PlannerInputError, match="No such file"):
        read_scenario(tmp_path / "missing.yaml")
    with pytest.raises(PlannerInputError, match="folder"):
        read_scenario(tmp_path)
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PlannerInputError, match="UTF-8"):
        read_scenario(tmp_path / "bin.yaml")
