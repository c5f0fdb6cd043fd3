"""Plan to a budget (issue 12): the optimizer against a brute-force grid, its properties,
an impossible budget, and the CLI."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

from planner.catalog import Pricing, load_catalog
from planner.cli import main
from planner.core.errors import PlannerInputError
from planner.costing.economics import evaluate
from planner.costing.training import resolve_gpu
from planner.models.sizing import law_fit
from planner.planning import PlanStatus, plan_to_budget, planned_endpoint
from planner.scenario import Scenario
from planner.scenario.planning import BudgetPlan
from planner.scenario.serving import ServingPrecision
from planner.scenario.training import RunPricing, TrainingJob

CATALOG = load_catalog()
# A small chatbot: 300K requests a month, 800 tokens in and 200 out; two GPUs, two
# precisions, on-demand only and no commitments, so a grid can be searched by brute force.
SMALL = BudgetPlan(
    budget_usd_per_month=6_000.0,
    requests_per_month=3e5,
    input_tokens=800,
    output_tokens=200,
    gpus=("L4", "A100-80GB"),
    precisions=(ServingPrecision.FP16, ServingPrecision.INT4),
    training_tiers=(RunPricing.ON_DEMAND,),
    commitments=(),
)


def _cost(
    request: BudgetPlan, params: float, tokens: float, gpu: str, precision, train: str, count: int
) -> float:
    job = TrainingJob(
        name="planned model",
        params=params,
        tokens=tokens,
        law=request.law,
        instance_type=train,
        instance_count=count,
        mfu=request.mfu,
        pricing=RunPricing.ON_DEMAND,
        models_per_month=request.retrains_per_year / 12,
    )
    endpoint = planned_endpoint(request, params, gpu, precision, CATALOG)
    return evaluate(Scenario(training=(job,), serving=(endpoint,)), CATALOG).monthly_cost_usd


def test_the_plan_is_never_worse_than_the_best_point_of_a_brute_force_grid() -> None:
    """Every size on a grid, every serving option and every training instance, each with the
    most tokens that fit the budget (bisection on the exact monthly cost): the planner's loss
    is at most the grid's best plus 1e-3 (the search's stated tolerance), and its cost is
    within the budget."""
    plan = plan_to_budget(SMALL)
    assert plan.status is not PlanStatus.INFEASIBLE
    assert plan.monthly_cost_usd <= SMALL.budget_usd_per_month
    fit = law_fit(SMALL.law)
    trainers = {resolve_gpu(gpu, CATALOG, RunPricing.ON_DEMAND, min_gpus=8) for gpu in SMALL.gpus}
    best = math.inf
    for params in np.geomspace(2e8, 2e10, 9):
        for gpu in SMALL.gpus:
            for precision in SMALL.precisions:
                for train in trainers:
                    try:
                        floor = _cost(SMALL, params, 1e6, gpu, precision, train, 1)
                    except PlannerInputError:  # a size this option cannot serve
                        floor = math.inf
                    if floor > SMALL.budget_usd_per_month:
                        continue
                    low, high = 1e6, 1e14
                    for _ in range(12):
                        middle = math.sqrt(low * high)
                        if _cost(SMALL, params, middle, gpu, precision, train, 1) <= 6_000.0:
                            low = middle
                        else:
                            high = middle
                    best = min(best, float(fit.loss(params, low)))
    assert math.isfinite(best)
    assert plan.loss is not None
    assert plan.loss <= best + 1e-3


@pytest.mark.parametrize(("low", "high"), [(3_000.0, 6_000.0), (6_000.0, 20_000.0)])
def test_more_budget_never_predicts_a_worse_loss(low: float, high: float) -> None:
    from dataclasses import replace

    small = plan_to_budget(replace(SMALL, budget_usd_per_month=low))
    large = plan_to_budget(replace(SMALL, budget_usd_per_month=high))
    assert large.loss <= small.loss + 1e-6
    assert small.monthly_cost_usd <= low
    assert large.monthly_cost_usd <= high


def test_a_less_demanding_target_never_costs_more() -> None:
    from dataclasses import replace

    strict = plan_to_budget(replace(SMALL, budget_usd_per_month=None, target_loss=2.3))
    loose = plan_to_budget(replace(SMALL, budget_usd_per_month=None, target_loss=2.5))
    assert loose.monthly_cost_usd <= strict.monthly_cost_usd
    assert strict.loss == pytest.approx(2.3, abs=1e-6)


def test_an_impossible_budget_says_so_and_gives_the_smallest_that_works() -> None:
    from dataclasses import replace

    plan = plan_to_budget(replace(SMALL, budget_usd_per_month=50.0))
    assert plan.status is PlanStatus.INFEASIBLE
    assert plan.min_budget_usd is not None
    assert plan.min_budget_usd > 50.0
    assert "smallest budget that works" in plan.message
    enough = plan_to_budget(replace(SMALL, budget_usd_per_month=plan.min_budget_usd * 1.05))
    assert enough.status is not PlanStatus.INFEASIBLE


def test_the_plan_is_its_scenario_priced_by_the_one_model() -> None:
    """The plan's monthly cost is what `evaluate` gives its scenario: the Overview's figure."""
    plan = plan_to_budget(SMALL)
    assert evaluate(plan.scenario).monthly_cost_usd == pytest.approx(plan.monthly_cost_usd)


def test_plan_cli_prints_the_documented_keys() -> None:
    out = io.StringIO()
    argv = [
        "plan",
        "--budget-usd-per-month",
        "6000",
        "--requests-per-month",
        "3e5",
        "--input-tokens",
        "800",
        "--output-tokens",
        "200",
        "--gpus",
        "L4,A100-80GB",
        "--tiers",
        "on_demand",
        "--json",
    ]
    assert main(argv, out) == 0
    data = json.loads(out.getvalue())
    for key in (
        "params",
        "tokens",
        "loss",
        "monthly_cost_usd",
        "training",
        "serving",
        "commitments",
    ):
        assert key in data
    for key in ("instance_type", "gpus", "pricing", "wall_clock_hours", "cost_per_run_usd"):
        assert key in data["training"]
    for key in ("instance_types", "precision", "usd_per_month"):
        assert key in data["serving"]
    assert data["monthly_cost_usd"] <= 6000
    # The flags and the request give the same plan (the page calls the same function).
    from dataclasses import replace

    same = plan_to_budget(replace(SMALL, precisions=tuple(ServingPrecision)), Pricing(), CATALOG)
    assert data["params"] == pytest.approx(same.params, rel=1e-9)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["plan", "--budget-usd-per-month", "-4", "--requests-per-month", "1e6"],
            "--budget-usd-per-month",
        ),
        (["plan", "--budget-usd-per-month", "4e4"], "--requests-per-month"),
        (
            [
                "plan",
                "--budget-usd-per-month",
                "4e4",
                "--requests-per-month",
                "1e6",
                "--tiers",
                "spot",
            ],
            "on_demand",
        ),
        (
            [
                "plan",
                "--budget-usd-per-month",
                "4e4",
                "--requests-per-month",
                "1e6",
                "--gpus",
                "H999",
            ],
            "H999",
        ),
    ],
)
def test_plan_cli_bad_flags_get_a_message(argv: list[str], expected: str, capsys) -> None:
    out = io.StringIO()
    assert main(argv, out) == 2
    assert expected in capsys.readouterr().err


def test_the_40k_chatbot_gallery_case_states_the_models_answer() -> None:
    """scenarios/chatbot_40k_budget.yaml: its description's figures are the plan's."""
    from planner.io.scenario_files import read_scenario
    from planner.planning import frontier

    scenario = read_scenario("scenarios/chatbot_40k_budget.yaml")
    assert scenario.budget_plan is not None
    plan = plan_to_budget(scenario.budget_plan, scenario.pricing)
    text = " ".join(scenario.description.split())
    data = plan.summary()
    assert plan.status is PlanStatus.OPTIMAL
    assert f"a {plan.params / 1e9:.1f}B-parameter model trained on {plan.tokens / 1e9:.0f}B" in text
    assert f"(predicted loss {plan.loss:.3f}" in text
    assert f"in {data['training']['wall_clock_hours']:.0f} hours" in text
    assert f"{data['training']['instances']} × 8 A100-40GB" in text
    assert f"The total is ${plan.monthly_cost_usd:,.0f} a month" in text
    (line,) = data["commitments"]
    assert f"savings plan of ${line['usd_per_hour']:.2f}/h" in text
    assert f"{line['utilisation']:.0%} used" in text
    assert f"saves ${data['commitment_saving_usd_per_month']:,.0f} a month" in text
    assert plan.monthly_cost_usd <= 40_000
    rows = frontier(scenario.budget_plan, plan, points=2)
    assert f"loss {plan.loss:.4f} to {rows[-1]['loss']:.4f}" in text
    serving_share = data["serving"]["usd_per_month"] / plan.monthly_cost_usd
    assert serving_share < 0.04
