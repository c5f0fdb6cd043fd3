"""The synthetic FOCUS sample: seeded, about $400K a year, and realistic in what it contains."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planner.finops.billing import bill_from_frame
from planner.finops.focus_sample import MODELS, TEAMS, generate_focus
from planner.scenario.finops import CostView, SampleSpec


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate_focus()


def _team(tags: object) -> str | None:
    if not isinstance(tags, str):
        return None
    value = json.loads(tags).get("team")
    return value if isinstance(value, str) else None


def test_same_seed_same_bill_other_seed_other_bill(frame):
    pd.testing.assert_frame_equal(frame, generate_focus(SampleSpec()))
    other = generate_focus(SampleSpec(seed=7))
    assert not frame["EffectiveCost"].equals(other["EffectiveCost"])


def test_about_400k_a_year_billed_equal_to_amortized(frame):
    assert frame["EffectiveCost"].sum() == pytest.approx(400_000, abs=0.01)
    assert frame["BilledCost"].sum() == pytest.approx(frame["EffectiveCost"].sum(), abs=0.01)


def test_growth_is_20_percent_a_quarter(frame):
    monthly = frame.groupby(frame["ChargePeriodStart"].str[:7])["EffectiveCost"].sum()
    first_quarter = monthly.iloc[:3].sum()
    last_quarter = monthly.iloc[-3:].sum()
    assert last_quarter / first_quarter == pytest.approx(1.2**3, rel=0.12)


@pytest.mark.parametrize("seed", range(8))
def test_between_10_and_30_percent_of_the_cost_has_no_team_tag(seed):
    frame = generate_focus(SampleSpec(seed=seed))
    untagged = frame.loc[frame["Tags"].map(_team).isna(), "EffectiveCost"].sum()
    assert 0.10 <= untagged / frame["EffectiveCost"].sum() <= 0.30


def test_it_has_the_lines_a_real_ml_bill_has(frame):
    assert set(frame["ChargeCategory"]) == {"Usage", "Purchase", "Tax", "Credit", "Adjustment"}
    assert {"Standard", "Dynamic", "Committed"} <= set(frame["PricingCategory"].dropna())
    assert set(frame["CommitmentDiscountStatus"].dropna()) == {"Used", "Unused"}
    assert (frame.loc[frame["ChargeCategory"] == "Credit", "BilledCost"] < 0).all()
    assert (frame.loc[frame["ChargeCategory"] == "Adjustment", "BilledCost"] < 0).all()
    purchases = frame[frame["ChargeCategory"] == "Purchase"]
    assert (purchases["EffectiveCost"] == 0).all()
    assert (purchases["BilledCost"] > 0).all()
    covered = frame[frame["CommitmentDiscountStatus"] == "Used"]
    assert (covered["BilledCost"] == 0).all()
    assert (covered["EffectiveCost"] > 0).all()
    phases = {json.loads(t).get("phase") for t in frame["Tags"].dropna()}
    assert {"training", "serving", "development", "storage", "feature-pipeline"} <= phases
    assert {"AWS Data Transfer", "Amazon Simple Storage Service"} <= set(frame["ServiceName"])
    assert (frame["x_Utilization"].dropna() < 0.15).any()


def test_23_models_and_8_teams(frame):
    assert len(MODELS) == 23
    assert len(TEAMS) == 8
    assert len(set(TEAMS.values()) - {"shared"}) == 4
    tagged = {json.loads(t).get("model") for t in frame["Tags"].dropna()} - {None}
    assert tagged <= set(MODELS)
    assert len(tagged) >= 20


def test_the_sample_is_a_valid_focus_bill(frame):
    bill = bill_from_frame(frame, source="sample")
    assert bill.rows_rejected == 0
    assert float(bill.total_usd(CostView.AMORTIZED)) == pytest.approx(400_000, abs=0.01)
    assert {"team", "owner", "model", "env", "phase", "product"} <= set(bill.tag_keys)
    assert bill.has_utilization


def test_the_spec_is_validated_at_the_edge():
    from planner.core.errors import PlannerInputError
    from planner.scenario import parse_scenario_yaml

    with pytest.raises(PlannerInputError, match="untagged_fraction"):
        parse_scenario_yaml("finops:\n  sample:\n    untagged_fraction: 0.9\n")
