from dataclasses import replace

from planner.core.check import Severity
from planner.costing.economics import evaluate
from planner.scenario import Scenario
from planner.scenario.stated import StatedFigure, StatedUnit
from planner.scenario.training import TrainingBaseline, TrainingJob
from planner.views.checks import _period_reading, check_scenario
from tests.strategies import fixed_endpoint, stated_job


def codes(scenario: Scenario) -> list[str]:
    return [check.code for check in check_scenario(scenario, evaluate(scenario))]


def test_lesson_01_flags_the_period_mix_up_and_the_absurd_fleet(recommender):
    checks = check_scenario(recommender, evaluate(recommender))
    disagree = [c for c in checks if c.code == "stated_figures_disagree"]
    assert len(disagree) == 1
    assert "per day and per year" in disagree[0].message
    assert disagree[0].severity is Severity.WARNING
    assert any(c.code == "absurd_fleet" for c in checks)
    # The $5K training run is consistent with catalog prices, so nothing is said about it.
    assert not any(c.subject.startswith("training") for c in checks)


def test_quarter_read_as_month_is_flagged():
    scenario = Scenario(
        stated=(
            StatedFigure(name="bill", value=847_000, unit=StatedUnit.USD_PER_MONTH),
            StatedFigure(name="bill again", value=847_000, unit=StatedUnit.USD_PER_QUARTER),
        )
    )
    messages = [c.message for c in check_scenario(scenario, evaluate(scenario))]
    assert any("per month and per quarter" in m for m in messages)


def test_agreeing_figures_raise_nothing():
    scenario = Scenario(
        stated=(
            StatedFigure(name="a", value=120_000, unit=StatedUnit.USD_PER_YEAR),
            StatedFigure(name="b", value=10_000, unit=StatedUnit.USD_PER_MONTH),
        )
    )
    assert "stated_figures_disagree" not in codes(scenario)


def test_lesson_02_implied_gpu_hour_price_is_flagged():
    run = stated_job(name="ranker", instance_type="p4d.24xlarge", hours_per_run=72)
    scenario = Scenario(
        training=(run,),
        stated=(StatedFigure(name="run", value=37_748, unit=StatedUnit.USD_PER_RUN, job="ranker"),),
    )
    checks = check_scenario(scenario, evaluate(scenario))
    implied = [c for c in checks if c.code == "implied_gpu_hour_price"]
    assert len(implied) == 1
    assert "$65.5" in implied[0].message


def test_per_run_figure_without_a_job_is_noted():
    scenario = Scenario(stated=(StatedFigure(name="run", value=5000, unit=StatedUnit.USD_PER_RUN),))
    assert codes(scenario) == ["stated_figure_unlinked"]


def test_lesson_03_fleet_implied_by_cost_is_absurd():
    scenario = Scenario(
        serving=(
            fixed_endpoint(
                name="api",
                requests_per_day=10_000_000,
                instance_type="g4dn.xlarge",
                requests_per_second_per_instance=40,
            ),
        ),
        stated=(StatedFigure(name="cost", value=0.08, unit=StatedUnit.USD_PER_REQUEST),),
    )
    assert "absurd_fleet" in codes(scenario)
    sane = replace(scenario, stated=(replace(scenario.stated[0], value=0.00001),))
    assert "absurd_fleet" not in codes(sane)


def test_period_reading():
    assert _period_reading(12.3) == "per month and per year"
    assert _period_reading(2.0) is None


def test_a_per_run_gap_is_never_read_as_a_period_mix_up():
    run = stated_job(name="ranker", instance_type="p4d.24xlarge", hours_per_run=1)
    scenario = Scenario(
        training=(run,),
        stated=(StatedFigure(name="run", value=2002, unit=StatedUnit.USD_PER_RUN, job="ranker"),),
    )
    checks = check_scenario(scenario, evaluate(scenario))
    vs_model = [c for c in checks if c.code == "stated_run_cost_vs_model"]
    assert len(vs_model) == 1
    assert "/run" in vs_model[0].message
    assert "mislabelled" not in vs_model[0].message


def test_a_figure_about_the_baseline_is_checked_against_the_baseline_run():
    job = TrainingJob(
        name="ranker",
        params=1e9,
        tokens=2e10,
        instance_type="p4d.24xlarge",
        baseline=TrainingBaseline(params=4e9, tokens=8e10),
    )
    stated = StatedFigure(
        name="old run", value=1.0, unit=StatedUnit.USD_PER_RUN, job="ranker", baseline=True
    )
    scenario = Scenario(training=(job,), stated=(stated,))
    checks = check_scenario(scenario, evaluate(scenario))
    vs_model = [c for c in checks if c.code == "stated_run_cost_vs_model"]
    assert len(vs_model) == 1
    assert "baseline run" in vs_model[0].message


def test_a_baseline_figure_for_a_job_without_one_is_noted():
    stated = StatedFigure(
        name="old run", value=100, unit=StatedUnit.USD_PER_RUN, job="ranker", baseline=True
    )
    scenario = Scenario(training=(stated_job(name="ranker"),), stated=(stated,))
    checks = check_scenario(scenario, evaluate(scenario))
    assert [c.code for c in checks] == ["stated_figure_unlinked"]
    assert "has none" in checks[0].message
