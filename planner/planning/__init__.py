r"""Plan to a budget: the model to train and serve, the hardware, and the commitments to buy,
for a monthly budget (or the cheapest plan that reaches a quality target).

Formulation
-----------
Notation

* :math:`N` parameters and :math:`D` training tokens; the predicted loss
  :math:`L(N, D) = E + A/N^\alpha + B/D^\beta` (:mod:`planner.models.sizing`);
* training options :math:`t` (a GPU's cheapest instance in a tier: on-demand, or spot with
  checkpoint-restart), each with a monthly price per unit of :math:`N D` at the plan's MFU
  and schedule, :math:`\tau_t` (the model is retrained :math:`K` times a year, so a month
  pays :math:`K/12` runs);
* serving options :math:`s` (a GPU and a precision), each with a monthly cost
  :math:`S_s(N)` for the traffic: the serving roofline, continuous batching under the
  latency targets, an autoscaled fleet bought on-demand and spot, hour by hour
  (:func:`planner.costing.serving.price_endpoint`);
* the commitment portfolio over both (:mod:`planner.costing.commitments`): its first-year
  saving :math:`P` a month.

Problem (budget :math:`X`)

.. math::
    \min_{N, D, t, s}\; L(N, D) \quad\text{s.t.}\quad
    \tau_t N D + S_s(N) - P(N, D, t, s) \le X

Problem (target :math:`\ell`): minimise the same cost subject to :math:`L(N, D) \le \ell`.

Method
------
The options separate: the cheapest training option :math:`\tau^* = \min_t \tau_t` does not
depend on the size, and the cheapest serving :math:`S^*(N) = \min_s S_s(N)` not on the
training. :math:`S^*` is evaluated exactly on ``SIZES`` model sizes from 50M to 1T
parameters, and between them the search uses the step above (the serving cost grows with
the size, so this never understates it). Then, on ``SEARCH_POINTS`` sizes and a bounded
scalar refinement (scipy), :math:`D(N) = (X - S^*(N)) / (\tau^* N)` gives the loss; the
best size is re-costed exactly through the scenario's own pricing path
(:func:`planner.costing.economics.evaluate`, with the portfolio), and :math:`D` is lowered
by bisection until the plan fits the budget. The portfolio's saving is fed back twice (it
lets the budget buy more).

Statuses
--------
``optimal``
    The plan fits the budget and its loss is within ``LOSS_TOLERANCE`` of the search's
    lower bound, which prices serving at the step *below* each size.
``feasible``
    It fits the budget; ``gap`` is how far its loss is above that bound.
``infeasible``
    No plan fits: ``min_budget_usd`` is the smallest budget whose best model is the
    smallest the scaling law was fitted on, or for a target, the target is out of reach.

Validation is apart from solving: :func:`check_request` refuses what cannot be planned
(an unknown GPU, no option that can serve) with a "To fix" hint, before any search.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from planner.catalog import Catalog, Pricing, load_catalog
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.core.units import DAYS_PER_MONTH
from planner.costing.economics import UnitEconomics, evaluate
from planner.costing.serving import (
    price_endpoint,
    replica_gpus,
    replica_hosts,
    serving_instance,
)
from planner.costing.training import estimate_run, resolve_gpu
from planner.models.sizing import law_fit
from planner.scenario import Scenario
from planner.scenario.commitments import CommitmentPolicy
from planner.scenario.planning import BudgetPlan
from planner.scenario.serving import (
    Autoscaling,
    DailyShape,
    Endpoint,
    FleetMix,
    ServedModel,
    ServingPrecision,
    Traffic,
    WeeklyShape,
)
from planner.scenario.training import MAX_INSTANCES, RunPricing, TrainingJob

__all__ = [
    "PlanResult",
    "PlanStatus",
    "apply_plan",
    "check_request",
    "frontier",
    "plan_to_budget",
]

FloatArray = npt.NDArray[np.float64]

SIZES = np.geomspace(5e7, 1e12, 23)  # where serving is costed exactly
SEARCH_POINTS = 400
REFINE_POINTS = 8  # sizes costed exactly between the neighbours of the first answer
LOSS_TOLERANCE = 1e-3
_MAX_BATCH = 256
_JOB = "planned model"
_ENDPOINT = "planned endpoint"
_REFERENCE = (7e9, 1.4e11)  # N, D of the run that prices each training option
_TRAINING_NODE_GPUS = 8  # training runs on 8-GPU nodes with their fast interconnect


class PlanStatus(enum.StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"


@dataclass(frozen=True, kw_only=True, eq=False)
class PlanResult:
    """The plan and its priced scenario. ``scenario`` holds the planned training job and
    endpoint (and the commitments section); ``economics`` is its one priced model, so
    every figure here is the Overview's."""

    status: PlanStatus
    message: str
    params: float
    tokens: float
    loss: float | None
    monthly_cost_usd: float
    budget_usd_per_month: float | None
    gap: float
    min_budget_usd: float | None
    scenario: Scenario
    economics: UnitEconomics
    serving_options: tuple[dict[str, Any], ...]
    serving_gpu: str
    notes: tuple[str, ...] = ()

    @property
    def job(self) -> TrainingJob:
        return self.scenario.training[0]

    @property
    def endpoint(self) -> Endpoint:
        return self.scenario.serving[0]

    def summary(self) -> dict[str, Any]:
        """The ``plan --json`` document."""
        run = self.economics.training[0]
        served = self.economics.endpoints[0]
        fleet = served.outcome.fleet
        types = list(fleet.type_names) if fleet is not None else [served.endpoint.instance_type]
        portfolio = self.economics.commitments
        return {
            "status": str(self.status),
            "message": self.message,
            "params": self.params,
            "tokens": self.tokens,
            "loss": self.loss,
            "monthly_cost_usd": self.monthly_cost_usd,
            "budget_usd_per_month": self.budget_usd_per_month,
            "gap": self.gap,
            "min_budget_usd": self.min_budget_usd,
            "training": {
                "instance_type": run.plan.instance_type,
                "instances": run.plan.instance_count,
                "gpus": run.gpus,
                "pricing": str(run.plan.pricing),
                "wall_clock_hours": run.wall_clock_hours,
                "cost_per_run_usd": run.cost_usd,
                "runs_per_month": run.runs_per_month,
                "usd_per_month": run.cost_per_month_usd,
            },
            "serving": {
                "gpu": self.serving_gpu,
                "instance_types": types,
                "precision": str(served.endpoint.model.precision),
                "peak_instances": served.peak_instances,
                "usd_per_month": served.usd_per_month,
                "ttft_ms": served.outcome.throughput.ttft_ms,
                "tpot_ms": served.outcome.throughput.tpot_ms,
                "usd_per_1m_output_tokens": served.outcome.usd_per_1m_output_tokens,
            },
            "commitments": (portfolio.summary()["commitments"] if portfolio is not None else []),
            "commitment_saving_usd_per_month": (
                portfolio.first_year_saving_usd_per_month if portfolio is not None else 0.0
            ),
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- validation


def check_request(request: BudgetPlan, catalog: Catalog) -> None:
    """Refuse a plan that cannot be searched, saying what to change.

    Raises
    ------
    PlannerInputError
        A GPU the catalog does not know, or one with no instance to serve or train on.
    """
    if not request.gpus:
        raise PlannerInputError("No candidate GPU", fix="list at least one GPU, e.g. H100")
    for gpu in request.gpus:
        if gpu not in catalog.gpus:
            known = ", ".join(sorted(catalog.gpus))
            raise PlannerInputError(f"GPU {gpu!r} is not in the catalog", fix=f"use one of {known}")
    fit = law_fit(request.law)
    if not fit.predicts_loss:
        raise PlannerInputError(
            f"The {fit.law.label} rule predicts no loss, so nothing can be traded against cost",
            fix="choose the epoch or hoffmann law",
        )


# --------------------------------------------------------------------------- the parts


def serving_candidates(
    params: float, gpu: str, precision: ServingPrecision, catalog: Catalog
) -> tuple[str, ...]:
    """The instance types worth trying for a model of ``params`` on ``gpu``: the one with
    the lowest price per GPU (for a large fleet) and the smallest that holds a replica (for
    a small one), among those whose GPU count a replica's split divides."""
    per_replica = replica_gpus(params, precision, gpu, catalog)
    cheapest = serving_instance(gpu, catalog, gpus_per_replica=per_replica)
    holding = replica_hosts(gpu, catalog, gpus_per_replica=per_replica)
    smallest = min(holding, key=lambda inst: (inst.on_demand_usd_per_hour or 0.0, inst.name))
    return tuple(dict.fromkeys((cheapest, smallest.name)))


def planned_endpoint(
    request: BudgetPlan,
    params: float,
    gpu: str,
    precision: ServingPrecision,
    catalog: Catalog,
    instance_type: str | None = None,
) -> Endpoint:
    """The endpoint that serves a model of ``params`` on ``gpu`` at ``precision``, on
    ``instance_type`` (default: the one with the lowest price per GPU)."""
    monthly_growth = (1.0 + request.growth_per_year) ** (1 / 12) - 1.0
    instance = instance_type or serving_candidates(params, gpu, precision, catalog)[0]
    return Endpoint(
        name=_ENDPOINT,
        traffic=Traffic(
            requests_per_day=request.requests_per_month / DAYS_PER_MONTH,
            daily_shape=DailyShape.FLAT,
            weekly_shape=WeeklyShape.FLAT,
            peak_to_average=request.peak_to_average,
            monthly_growth=min(max(monthly_growth, -0.5), 1.0),
            horizon_weeks=request.horizon_weeks,
        ),
        model=ServedModel(
            parameters_billion=params / 1e9,
            precision=precision,
            input_tokens=request.input_tokens,
            output_tokens=request.output_tokens,
        ),
        instance_type=instance,
        max_batch=_MAX_BATCH,
        ttft_target_ms=request.ttft_target_ms,
        tpot_target_ms=request.tpot_target_ms,
        autoscaling=Autoscaling(enabled=True, min_replicas=1),
        mix=FleetMix(tiers=request.serving_tiers),
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Table:
    """Monthly serving cost ``costs[i, o]`` of a model of ``sizes[i]`` parameters on option
    ``options[o]`` (a GPU and a precision); inf where it cannot serve."""

    sizes: FloatArray
    costs: FloatArray
    instances: npt.NDArray[np.object_]  # the instance type behind each cost
    options: tuple[tuple[str, ServingPrecision], ...]
    complete: npt.NDArray[np.bool_]  # sizes costed for every option (not a refinement's)

    @property
    def best(self) -> FloatArray:
        best: FloatArray = self.costs.min(axis=1)
        return best

    def above(self, params: FloatArray) -> FloatArray:
        """The cheapest cost at the next costed size up: never below the true cost, which
        grows with the size."""
        index = np.searchsorted(self.sizes, params * (1 - 1e-12), side="left")
        out = np.full(params.shape, math.inf)
        inside = index < self.sizes.size
        out[inside] = self.best[index[inside]]
        return out

    def below(self, params: FloatArray) -> FloatArray:
        """The cheapest cost at the costed size below: never above the true cost."""
        index = np.searchsorted(self.sizes, params * (1 + 1e-12), side="right") - 1
        best = self.best
        return np.where(index >= 0, best[np.clip(index, 0, self.sizes.size - 1)], 0.0)

    def choice(self, params: float) -> tuple[str, ServingPrecision, str]:
        """The cheapest option at the costed size at or above ``params``, with its instance."""
        index = min(int(np.searchsorted(self.sizes, params * (1 - 1e-12))), self.sizes.size - 1)
        column = int(np.argmin(self.costs[index]))
        gpu, precision = self.options[column]
        return gpu, precision, str(self.instances[index, column])

    def rows(self, params: float) -> tuple[dict[str, Any], ...]:
        """Each option's monthly cost at the first size at or above ``params`` that was
        costed for every option (``None``: it cannot serve that size)."""
        full = np.flatnonzero(self.complete & (self.sizes >= params * (1 - 1e-12)))
        index = int(full[0]) if full.size else int(np.flatnonzero(self.complete)[-1])
        rows = [
            {
                "gpu": gpu,
                "precision": str(precision),
                "instance_type": str(instance) if math.isfinite(cost) else None,
                "usd_per_month": float(cost) if math.isfinite(cost) else None,
                "size_costed": float(self.sizes[index]),
            }
            for (gpu, precision), cost, instance in zip(
                self.options, self.costs[index], self.instances[index], strict=True
            )
        ]
        rows.sort(key=lambda row: (row["usd_per_month"] is None, row["usd_per_month"] or 0.0))
        return tuple(rows)


def _cost_sizes(
    request: BudgetPlan,
    sizes: FloatArray,
    options: Sequence[tuple[str, ServingPrecision]],
    pricing: Pricing,
    catalog: Catalog,
) -> tuple[FloatArray, npt.NDArray[np.object_]]:
    cost = np.full((sizes.size, len(options)), math.inf)
    chosen = np.full((sizes.size, len(options)), "", dtype=object)
    for o, (gpu, precision) in enumerate(options):
        for i, params in enumerate(sizes):
            try:
                candidates = serving_candidates(float(params), gpu, precision, catalog)
                for instance in candidates:
                    endpoint = planned_endpoint(
                        request, float(params), gpu, precision, catalog, instance
                    )
                    monthly = price_endpoint(endpoint, pricing, catalog).monthly_cost_usd
                    if monthly < cost[i, o]:
                        cost[i, o], chosen[i, o] = monthly, instance
            except PlannerInputError:
                break  # larger models do not fit either
    return cost, chosen


def _serving_table(request: BudgetPlan, pricing: Pricing, catalog: Catalog) -> _Table:
    options = tuple((gpu, precision) for gpu in request.gpus for precision in request.precisions)
    costs, instances = _cost_sizes(request, SIZES, options, pricing, catalog)
    return _Table(
        sizes=SIZES,
        costs=costs,
        instances=instances,
        options=options,
        complete=np.ones(SIZES.size, dtype=bool),
    )


def _refined(
    table: _Table, request: BudgetPlan, around: float, pricing: Pricing, catalog: Catalog
) -> _Table:
    """The table with ``REFINE_POINTS`` more sizes between the costed sizes either side of
    ``around``, for the options within twice the best there (the others cannot win)."""
    index = int(np.searchsorted(table.sizes, around))
    low = table.sizes[max(index - 1, 0)]
    high = table.sizes[min(index + 1, table.sizes.size - 1)]
    extra = np.geomspace(low, high, REFINE_POINTS + 2)[1:-1]
    rows = table.costs[max(index - 1, 0) : index + 2]
    near = rows.min(axis=0)  # inf for an option that cannot serve these sizes
    cheapest = float(near.min())
    keep = [o for o, value in enumerate(near) if math.isfinite(value) and value <= 2 * cheapest]
    costs = np.full((extra.size, len(table.options)), math.inf)
    instances = np.full((extra.size, len(table.options)), "", dtype=object)
    chosen = [table.options[o] for o in keep]
    costs[:, keep], instances[:, keep] = _cost_sizes(request, extra, chosen, pricing, catalog)
    sizes = np.concatenate([table.sizes, extra])
    order = np.argsort(sizes, kind="stable")
    return _Table(
        sizes=sizes[order],
        costs=np.vstack([table.costs, costs])[order],
        instances=np.vstack([table.instances, instances])[order],
        options=table.options,
        complete=np.concatenate([table.complete, np.zeros(extra.size, dtype=bool)])[order],
    )


_TABLES: dict[tuple[Any, ...], tuple[_Table, _TrainingOption]] = {}
_TABLES_KEPT = 16


def _tables(
    request: BudgetPlan, pricing: Pricing, catalog: Catalog
) -> tuple[_Table, _TrainingOption]:
    """The serving table and the cheapest training option, which do not depend on the
    budget: computed once for a frontier of budgets (a bounded cache)."""
    key = (replace(request, budget_usd_per_month=1.0, target_loss=None), pricing, id(catalog))
    found = _TABLES.get(key)
    if found is None:
        options = _training_options(request, pricing, catalog)
        found = (
            _serving_table(request, pricing, catalog),
            min(options, key=lambda option: option.usd_per_nd_month),
        )
        if len(_TABLES) >= _TABLES_KEPT:
            _TABLES.pop(next(iter(_TABLES)))
        _TABLES[key] = found
    return found


def _training_job(
    request: BudgetPlan, params: float, tokens: float, instance: str, tier: RunPricing, count: int
) -> TrainingJob:
    return TrainingJob(
        name=_JOB,
        params=params,
        tokens=tokens,
        law=request.law,
        instance_type=instance,
        instance_count=count,
        mfu=request.mfu,
        pricing=tier,
        models_per_month=request.retrains_per_year / 12,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _TrainingOption:
    instance: str
    tier: RunPricing
    usd_per_nd_month: float  # monthly cost per unit of N·D
    single_instance_hours_per_nd: float


def _training_options(
    request: BudgetPlan, pricing: Pricing, catalog: Catalog
) -> list[_TrainingOption]:
    params, tokens = _REFERENCE
    options = []
    for gpu in request.gpus:
        if not any(
            inst.gpu_model == gpu and inst.gpu_count >= _TRAINING_NODE_GPUS
            for inst in catalog.instances.values()
        ):
            continue  # no cluster node: single-GPU boxes are not a training cluster
        for tier in request.training_tiers:
            try:
                instance = resolve_gpu(gpu, catalog, tier, min_gpus=_TRAINING_NODE_GPUS)
                run = estimate_run(
                    _training_job(request, params, tokens, instance, tier, 1), pricing, catalog
                )
            except PlannerInputError:
                continue
            options.append(
                _TrainingOption(
                    instance=instance,
                    tier=tier,
                    usd_per_nd_month=run.cost_per_month_usd / (params * tokens),
                    single_instance_hours_per_nd=run.wall_clock_hours / (params * tokens),
                )
            )
    if not options:
        raise PlannerInputError(
            "No candidate GPU has an instance to train on in the allowed tiers",
            fix="add a GPU such as H100 or A100-80GB, or allow on_demand training",
        )
    return options


# --------------------------------------------------------------------------- the search


def _loss(request: BudgetPlan, params: FloatArray, tokens: FloatArray) -> FloatArray:
    fit = law_fit(request.law)
    values = np.full(params.shape, math.inf)
    ok = tokens > 0
    values[ok] = fit.loss_array(params[ok], tokens[ok])
    return values


def _search(
    request: BudgetPlan, budget: float, serving: Callable[[FloatArray], FloatArray], tau: float
) -> tuple[float, float, float]:
    """The size with the lowest loss on the budget line when serving a model of N costs
    ``serving(N)``: (N, D, loss), or NaNs and inf when nothing fits."""
    grid = np.geomspace(SIZES[0], SIZES[-1], SEARCH_POINTS)
    loss = _loss(request, grid, (budget - serving(grid)) / (tau * grid))
    best = int(np.argmin(loss))
    if not math.isfinite(loss[best]):
        return math.nan, math.nan, math.inf
    from scipy import optimize

    def at(x: float) -> float:
        n = np.array([math.exp(x)])
        return float(_loss(request, n, (budget - serving(n)) / (tau * n))[0])

    found = optimize.minimize_scalar(
        at,
        bounds=(math.log(grid[max(best - 1, 0)]), math.log(grid[min(best + 1, grid.size - 1)])),
        method="bounded",
        options={"xatol": 1e-4},
    )
    n = math.exp(found.x) if found.fun <= loss[best] else float(grid[best])
    d = float((budget - serving(np.array([n]))[0]) / (tau * n))
    return n, d, min(float(found.fun), float(loss[best]))


def plan_to_budget(
    request: BudgetPlan,
    pricing: Pricing | None = None,
    catalog: Catalog | None = None,
) -> PlanResult:
    """The best model to train and serve for the request's budget (or the cheapest for its
    target loss), priced through the scenario's one pricing path.

    Raises
    ------
    PlannerInputError
        From :func:`check_request`, or when no candidate can serve at all.
    """
    catalog = catalog or load_catalog()
    pricing = pricing or Pricing()
    check_request(request, catalog)
    table, training = _tables(request, pricing, catalog)
    if not np.isfinite(table.best).any():
        raise PlannerInputError(
            "No candidate GPU can serve even a 50M-parameter model under the latency targets",
            fix="relax the latency targets or add larger GPUs",
        )
    if request.target_loss is not None:
        return _for_target(request, pricing, catalog, table, training)
    budget = float(request.budget_usd_per_month or 0.0)
    fit = law_fit(request.law)
    tau = training.usd_per_nd_month
    n, _, _ = _search(request, budget, table.above, tau)
    if not math.isfinite(n) or n < fit.min_params:
        return _infeasible(request, pricing, catalog, table, training)
    # Cost serving exactly between the sizes either side of the answer, and search again.
    table = _refined(table, request, n, pricing, catalog)
    saving = 0.0
    priced: tuple[Scenario, UnitEconomics] | None = None
    for _ in range(3):  # the portfolio's saving lets the budget buy more: feed it back
        n, d, _ = _search(request, budget + saving, table.above, tau)
        if not math.isfinite(n) or n < fit.min_params:
            break
        priced = _priced(request, n, d, table, training, pricing, catalog)
        portfolio = priced[1].commitments
        new_saving = portfolio.first_year_saving_usd_per_month if portfolio is not None else 0.0
        if abs(new_saving - saving) <= 1e-4 * budget:
            break
        saving = new_saving
    if priced is None:
        return _infeasible(request, pricing, catalog, table, training)
    scenario, economics = _fit_budget(priced, budget, catalog)
    job = scenario.training[0]
    n, d = float(job.params or n), float(job.tokens or d)
    loss = float(fit.loss(n, d))
    _, _, bound = _search(request, budget + saving, table.below, tau)
    gap = max(0.0, (loss - bound) / loss) if math.isfinite(bound) else 0.0
    status = PlanStatus.OPTIMAL if gap <= LOSS_TOLERANCE else PlanStatus.FEASIBLE
    monthly = economics.monthly_cost_usd
    message = (
        f"The best plan for {usd(budget)} a month: a {n / 1e9:.3g}B model on "
        f"{d / 1e9:,.0f}B tokens (loss {loss:.4f}), {usd(monthly)} a month."
        + ("" if status is PlanStatus.OPTIMAL else f" Within {gap:.2%} of the loss bound.")
    )
    notes = []
    extrapolation = fit.extrapolation(n, d)
    if extrapolation:
        notes.append(f"Outside the scaling law's fitted range: {extrapolation}.")
    return PlanResult(
        status=status,
        message=message,
        params=n,
        tokens=d,
        loss=loss,
        monthly_cost_usd=monthly,
        budget_usd_per_month=budget,
        gap=gap,
        min_budget_usd=None,
        scenario=scenario,
        economics=economics,
        serving_options=table.rows(n),
        serving_gpu=table.choice(n)[0],
        notes=tuple(notes),
    )


def _priced(
    request: BudgetPlan,
    params: float,
    tokens: float,
    table: _Table,
    training: _TrainingOption,
    pricing: Pricing,
    catalog: Catalog,
) -> tuple[Scenario, UnitEconomics]:
    """The plan as a scenario, and its one priced model."""
    gpu, precision, instance = table.choice(params)
    endpoint = planned_endpoint(request, params, gpu, precision, catalog, instance)
    limit = request.max_training_days * 24
    hours = training.single_instance_hours_per_nd * params * tokens
    count = min(MAX_INSTANCES, max(1, math.ceil(hours / limit)))
    job = _training_job(request, params, tokens, training.instance, training.tier, count)
    commitments = (
        CommitmentPolicy(
            kinds=request.commitments,
            growth_uncertainty_per_year=request.growth_uncertainty_per_year,
            stranded_limit=request.stranded_limit,
        )
        if request.commitments
        else None
    )
    scenario = Scenario(
        title="Plan to a budget",
        pricing=pricing,
        training=(job,),
        serving=(endpoint,),
        commitments=commitments,
        budget_plan=request,
    )
    return scenario, evaluate(scenario, catalog)


def _fit_budget(
    priced: tuple[Scenario, UnitEconomics], budget: float, catalog: Catalog
) -> tuple[Scenario, UnitEconomics]:
    """The plan with its tokens moved (secant steps; the cost is close to linear in them)
    until it costs between 99.9% and 100% of the budget, or the most tokens found within it."""
    scenario, economics = priced
    job = scenario.training[0]

    def with_tokens(value: float) -> tuple[Scenario, UnitEconomics]:
        changed = replace(scenario, training=(replace(job, tokens=value),))
        return changed, evaluate(changed, catalog)

    tokens = float(job.tokens or 0.0)
    cost = economics.monthly_cost_usd
    best = priced if cost <= budget else None
    if best is not None and cost >= budget * 0.999:
        return priced
    previous = (tokens, cost)
    current = tokens * (0.9 if cost > budget else 1.1)
    for _ in range(6):
        candidate = with_tokens(current)
        cost = candidate[1].monthly_cost_usd
        if cost <= budget and (best is None or current > float(best[0].training[0].tokens or 0)):
            best = candidate
            if cost >= budget * 0.999:
                break
        slope = (cost - previous[1]) / (current - previous[0]) if current != previous[0] else 0.0
        previous = (current, cost)
        step = (budget * 0.9995 - cost) / slope if slope > 0 else -0.5 * current
        current = max(current + step, current * 0.05)
    return best if best is not None else with_tokens(tokens * 0.01)


def _infeasible(
    request: BudgetPlan,
    pricing: Pricing,
    catalog: Catalog,
    table: _Table,
    training: _TrainingOption,
) -> PlanResult:
    """No plan fits: the smallest budget whose best model is the law's smallest fitted
    size (bisection on the same search, without the commitments' saving, so the plan at
    that budget exists), and that plan."""
    fit = law_fit(request.law)
    tau = training.usd_per_nd_month

    def works(budget: float) -> bool:
        n, _, _ = _search(request, budget, table.above, tau)
        return math.isfinite(n) and n >= fit.min_params

    low = float(request.budget_usd_per_month or 1.0)
    high = max(low, 1.0) * 2
    while not works(high):
        low, high = high, high * 2
        if high > 1e12:
            raise PlannerInputError(
                "No budget up to $1 trillion a month trains and serves a sensible model for "
                "this traffic on these GPUs",
                fix="add GPUs, relax the latency targets, or lower the traffic",
            )
    for _ in range(40):
        middle = math.sqrt(low * high)
        if works(middle):
            high = middle
        else:
            low = middle
    minimum = math.ceil(high * (1 + 1e-9) * 100) / 100
    smallest = plan_to_budget(replace(request, budget_usd_per_month=minimum), pricing, catalog)
    budget = request.budget_usd_per_month
    serving = float(table.above(np.array([fit.min_params]))[0])
    return replace(
        smallest,
        status=PlanStatus.INFEASIBLE,
        message=(
            f"No plan fits {usd(budget)} a month: serving this traffic costs about "
            f"{usd(serving)} a month even with a {fit.min_params / 1e9:.2g}B model (the "
            f"smallest the {fit.law.label} law was fitted on), before training it. The "
            f"smallest budget that works is {usd(minimum)} a month; its plan is shown."
        ),
        budget_usd_per_month=budget,
        gap=math.nan,
        min_budget_usd=minimum,
    )


def _for_target(
    request: BudgetPlan,
    pricing: Pricing,
    catalog: Catalog,
    table: _Table,
    training: _TrainingOption,
) -> PlanResult:
    """The cheapest plan whose predicted loss is the target."""
    fit = law_fit(request.law)
    target = float(request.target_loss or 0.0)
    e, a, b, alpha, beta = fit._terms()
    if target <= e:
        raise PlannerInputError(
            f"A target loss of {target:g} cannot be reached: the {fit.law.label} fit's "
            f"irreducible loss is {e:g}",
            fix=f"choose a target above {e:g}",
        )
    floor = (a / (target - e)) ** (1 / alpha)

    def cheapest(table: _Table) -> tuple[float, float, float]:
        grid = np.geomspace(floor * 1.0001, max(SIZES[-1], floor * 2), SEARCH_POINTS)
        tokens = (b / (target - e - a * grid**-alpha)) ** (1 / beta)
        monthly = training.usd_per_nd_month * grid * tokens + table.above(grid)
        index = int(np.argmin(monthly))
        return float(grid[index]), float(tokens[index]), float(monthly[index])

    n, d, monthly = cheapest(table)
    if not math.isfinite(monthly):
        raise PlannerInputError(
            f"No candidate hardware serves a model large enough for loss {target:g}",
            fix="choose a higher target loss or larger GPUs",
        )
    table = _refined(table, request, n, pricing, catalog)
    n, d, _ = cheapest(table)
    scenario, economics = _priced(request, n, d, table, training, pricing, catalog)
    return PlanResult(
        status=PlanStatus.OPTIMAL,
        message=(
            f"The cheapest plan that reaches loss {target:g}: a {n / 1e9:.3g}B model on "
            f"{d / 1e9:,.0f}B tokens, {usd(economics.monthly_cost_usd)} a month."
        ),
        params=n,
        tokens=d,
        loss=float(fit.loss(n, d)),
        monthly_cost_usd=economics.monthly_cost_usd,
        budget_usd_per_month=None,
        gap=0.0,
        min_budget_usd=None,
        scenario=scenario,
        economics=economics,
        serving_options=table.rows(n),
        serving_gpu=table.choice(n)[0],
    )


# --------------------------------------------------------------------------- after


def frontier(
    request: BudgetPlan,
    result: PlanResult,
    *,
    pricing: Pricing | None = None,
    catalog: Catalog | None = None,
    points: int = 9,
) -> list[dict[str, float]]:
    """Predicted loss against monthly budget around the plan's (from 1/4 to 4 times it),
    each a full plan at ``pricing``; the last row is "the next $1,000 a month". A budget
    nothing fits has a NaN loss."""
    base = result.budget_usd_per_month or result.monthly_cost_usd
    rows = []
    for budget in [*np.geomspace(base / 4, base * 4, points).tolist(), base + 1000.0]:
        planned = plan_to_budget(
            replace(request, budget_usd_per_month=budget, target_loss=None), pricing, catalog
        )
        fits = planned.status is not PlanStatus.INFEASIBLE and planned.loss is not None
        rows.append(
            {
                "budget_usd_per_month": budget,
                "monthly_cost_usd": planned.monthly_cost_usd,
                "loss": float(planned.loss) if fits and planned.loss is not None else math.nan,
                "params": planned.params,
            }
        )
    return rows


def apply_plan(scenario: Scenario, result: PlanResult) -> Scenario:
    """``scenario`` with the plan's training job, endpoint and commitments: replacing items
    of the same names, keeping everything else."""
    training = (*(job for job in scenario.training if job.name != _JOB), result.job)
    serving = (*(e for e in scenario.serving if e.name != _ENDPOINT), result.endpoint)
    return replace(
        scenario,
        training=training,
        serving=serving,
        commitments=result.scenario.commitments,
        budget_plan=result.scenario.budget_plan,
    )
