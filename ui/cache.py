"""Cached calls into the planner. Scenarios are frozen, so they hash by value.

The caches are this module's :class:`Bounded` caches, not ``st.cache_data`` or
``st.cache_resource``: in Streamlit 1.67 any client can send the ``clear_cache`` message, and
``AppSession._handle_clear_cache_request`` (``streamlit/runtime/app_session.py``) then clears
both of those for every user, with no setting to turn it off. One client could make every
session recompute its simulations and solves, again and again. The message cannot reach
these caches; restarting the server empties them.

Heavy solves (``pooled=True``: a 52-week mix, a spot simulation, the tornado and the Monte
Carlo, the report) run in a pool of at most :data:`POOL_WORKERS` worker processes. Every
session's script runs in a thread of the one server process, so without it a solve holds the
GIL and the server uses one core while the other sessions wait. The lookup stays here, in the
server: a hit never leaves the process, and only a miss sends its arguments to a worker and
its result back, both pickled. The workers are started on the first miss, with ``spawn``
(forking a threaded server is unsafe), and each keeps its own catalog. Set the environment
variable ``PLANNER_POOL=0`` to solve in the server's threads instead.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import copy
import datetime
import functools
import importlib
import inspect
import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Generic, ParamSpec, TypeVar

import pandas as pd
import streamlit as st

from planner.catalog import Catalog, Pricing, load_catalog
from planner.costing import economics, serving, training
from planner.finops.attribution import Attribution, attribute
from planner.finops.attribution import cost_by as attribution_cost_by
from planner.finops.billing import Bill, bill_from_frame
from planner.finops.focus_sample import generate_focus
from planner.finops.recovery import MonthlyPools, pools_from_bill
from planner.io.demand import DemandCsv, demand_choice
from planner.io.scenario_files import GALLERY_DIR, GalleryEntry, gallery
from planner.models import fleet
from planner.planning import PlanResult, PlanStatus, frontier, plan_to_budget
from planner.scenario import Scenario
from planner.scenario.finops import AttributionSettings, CostView, SampleSpec
from planner.scenario.planning import BudgetPlan
from planner.scenario.serving import Endpoint
from planner.scenario.training import TrainingJob
from planner.views import report

_P = ParamSpec("_P")
_T = TypeVar("_T")

# Two cores here: two workers can keep both busy while the server's own thread waits on them.
POOL_WORKERS = 2
_pool: concurrent.futures.ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def pool_enabled() -> bool:
    """Whether heavy solves go to worker processes (``PLANNER_POOL=0`` turns it off)."""
    return os.environ.get("PLANNER_POOL", "1") != "0"


def _worker_pool() -> concurrent.futures.ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=POOL_WORKERS, mp_context=multiprocessing.get_context("spawn")
            )
            # Stopped before the interpreter tears its modules down, which a pool still
            # running then reports as an ignored exception.
            atexit.register(_pool.shutdown, cancel_futures=True)
            # The pool starts a worker only when none is idle, so the second would start
            # (importing the planner, seconds) in the middle of the first burst of misses.
            # A no-op for each starts them all now, side by side.
            for _ in range(POOL_WORKERS):
                _pool.submit(_started)
        return _pool


def _started() -> None:
    """Nothing: sent to a new worker so that it starts (and imports this module) at once."""


def _solve_in_worker(
    module: str, name: str, args: tuple[object, ...], kwargs: dict[str, object]
) -> object:
    """In a worker: the uncached function behind the cache ``module.name``. A worker finds it
    by name, because the decorated name holds the cache, which does not pickle."""
    cached = getattr(importlib.import_module(module), name)
    return cached.__wrapped__(*args, **kwargs)


def _solve_in_pool(
    func: Callable[..., _T], args: tuple[object, ...], kwargs: dict[str, object]
) -> _T:
    """``func(*args, **kwargs)`` in a worker. A worker that died (killed, out of memory)
    breaks the pool: the error is raised, and the next miss starts a new pool."""
    global _pool
    pool = _worker_pool()
    future = pool.submit(_solve_in_worker, func.__module__, func.__qualname__, args, kwargs)
    try:
        result: _T = future.result()
    except concurrent.futures.process.BrokenProcessPool:
        with _pool_lock:
            if _pool is pool:
                _pool = None
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    return result


class Bounded(Generic[_P, _T]):
    """``func``'s results for its last ``max_entries`` distinct arguments, shared by every
    session, least recently used dropped first.

    Arguments whose parameter name starts with ``_`` are left out of the key, as in
    ``st.cache_data``; the others must hash by value. With ``copies`` (for results), each
    caller gets its own deep copy, so no session can change what another sees; without it
    (for read-only resources: the catalog, the gallery, the sample bill) all share one
    object. With ``pooled``, a miss is solved in the worker pool (see the module's
    docstring): ``func`` is a module-level function whose arguments and result pickle.
    Errors are not cached. Two sessions missing at once may both compute.
    """

    def __init__(
        self,
        func: Callable[_P, _T],
        *,
        max_entries: int,
        copies: bool,
        spinner: str | None,
        pooled: bool = False,
    ) -> None:
        self._func = func
        self._max_entries = max_entries
        self._copies = copies
        self._spinner = spinner
        self._pooled = pooled
        self._signature = inspect.signature(func)
        self._entries: OrderedDict[tuple[Hashable, ...], _T] = OrderedDict()
        self._lock = threading.Lock()
        functools.update_wrapper(self, func)

    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        key = tuple(v for name, v in bound.arguments.items() if not name.startswith("_"))
        with self._lock:
            found = key in self._entries
            if found:
                self._entries.move_to_end(key)
                value = self._entries[key]
        if not found:
            if self._spinner is None:
                value = self._solve(args, kwargs)
            else:
                with st.spinner(self._spinner):
                    value = self._solve(args, kwargs)
            with self._lock:
                self._entries[key] = value
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
        return copy.deepcopy(value) if self._copies else value

    def _solve(self, args: tuple[object, ...], kwargs: dict[str, object]) -> _T:
        if self._pooled and pool_enabled():
            return _solve_in_pool(self._func, args, kwargs)
        return self._func(*args, **kwargs)  # type: ignore[arg-type]


def bounded(
    max_entries: int, *, copies: bool = True, spinner: str | None = None, pooled: bool = False
) -> Callable[[Callable[_P, _T]], Bounded[_P, _T]]:
    """Decorate a function with a :class:`Bounded` cache."""

    def wrap(func: Callable[_P, _T]) -> Bounded[_P, _T]:
        return Bounded(func, max_entries=max_entries, copies=copies, spinner=spinner, pooled=pooled)

    return wrap


@bounded(1, copies=False)
def catalog() -> Catalog:
    return load_catalog()


@bounded(1, copies=False)
def gallery_entries() -> dict[str, GalleryEntry]:
    """The gallery by key. Read once per server: the files ship with the app."""
    return {entry.key: entry for entry in gallery()}


@bounded(64)
def economics_of(scenario: Scenario, demands: Demands) -> economics.UnitEconomics:
    return economics.evaluate(scenario, catalog(), demands=dict(demands))


@bounded(64)
def projection(scenario: Scenario, demands: Demands) -> pd.DataFrame:
    return economics.projection(scenario, catalog(), demands=dict(demands))


@bounded(32, spinner="Simulating the training run…", pooled=True)
def training_report(job: TrainingJob, pricing: Pricing) -> training.TrainingReport:
    return training.evaluate_plan(job, pricing, catalog())


# FinOps: the sample bill is built once per spec and shared read-only (each query takes its
# own DuckDB cursor); results are cached by the bill's fingerprint and the settings.


@bounded(4, copies=False, spinner="Making the sample bill…")
def sample_bill(spec: SampleSpec) -> Bill:
    return bill_from_frame(generate_focus(spec), source=f"the sample bill (seed {spec.seed})")


# Stands for the bill's name in a cached attribution: the cache is keyed by the bill's
# content, so a name in it would show one session's file name to another with the same bytes.
_BILL_NAME = "\x00bill\x00"


def attribution(bill: Bill, fingerprint: str, settings: AttributionSettings) -> Attribution:
    """The bill's attribution, cached by its content; its name is put in after the lookup."""
    shared = _attribution(bill, fingerprint, settings)
    notes = tuple(note.replace(_BILL_NAME, bill.source) for note in shared.notes)
    return replace(shared, notes=notes)


@bounded(64)
def _attribution(_bill: Bill, fingerprint: str, settings: AttributionSettings) -> Attribution:
    return attribute(replace(_bill, source=_BILL_NAME), settings)


@bounded(128)
def cost_by(_bill: Bill, fingerprint: str, view: CostView, dimension: str) -> pd.DataFrame:
    return attribution_cost_by(_bill, view, dimension)


@bounded(16)
def bill_pools(_bill: Bill, fingerprint: str) -> MonthlyPools:
    return pools_from_bill(_bill)


# Serving: results are cached by the scenario (frozen, hashed by value) and the CSV demand
# (a tuple of floats, or None).


@bounded(32, spinner="Pricing the endpoint and its levers…", pooled=True)
def serving_result(
    endpoint: Endpoint, pricing: Pricing, demand: tuple[float, ...] | None
) -> serving.ServingResult:
    return serving.evaluate_serving(endpoint, pricing, catalog(), csv_demand=demand)


@bounded(16, spinner="Optimising a mix over several instance types…", pooled=True)
def alternative_mix(
    endpoint: Endpoint, pricing: Pricing, demand: tuple[float, ...] | None
) -> tuple[fleet.MixPlan, tuple[str, ...]]:
    problem, skipped = serving.alternative_mix_problem(
        endpoint, pricing, catalog(), csv_demand=demand
    )
    return fleet.optimize_mix(problem), skipped


@bounded(32)
def serving_right_sizing(
    endpoint: Endpoint, pricing: Pricing, providers: tuple[str, ...] | None
) -> pd.DataFrame:
    return serving.right_sizing_frame(endpoint, pricing, catalog(), providers=providers)


# Plan to a budget: the plan and the frontier around it, cached by the request and the pricing.


@bounded(16, spinner="Planning: the model, its training and serving, the commitments…")
def budget_plan(
    request: BudgetPlan, pricing: Pricing
) -> tuple[PlanResult, tuple[dict[str, float], ...]]:
    """The plan and its frontier (none when nothing fits)."""
    result = plan_to_budget(request, pricing, catalog())
    if result.status is PlanStatus.INFEASIBLE:
        return result, ()
    return result, tuple(frontier(request, result, pricing=pricing, catalog=catalog()))


# The business case: its Monte Carlo and its SVG charts take seconds, so the text is cached by
# what it shows (the scenario, its link and the day) and built in a worker. A download runs
# outside the page's script run, so it shows no spinner.


@bounded(8, copies=False, pooled=True)
def report_text(scenario: Scenario, share_link: str, generated_on: datetime.date, fmt: str) -> str:
    """The scenario's business case as ``fmt`` ("html" or "markdown") text."""
    built = report.build_report(
        scenario, catalog(), share_link=share_link, generated_on=generated_on
    )
    return report.render(built, fmt)


# The hourly CSV demand of each endpoint that names one, as a hashable cache key.
Demands = tuple[tuple[str, tuple[float, ...]], ...]


@dataclass(frozen=True, slots=True)
class SystemDemand:
    """The scenario as it can be priced in this session, its endpoints' CSV demand, and why
    an endpoint's CSV is not used (it is neither uploaded nor shipped with the gallery)."""

    scenario: Scenario
    demands: Demands
    notices: tuple[str, ...]


def system_demand(scenario: Scenario, uploaded: DemandCsv | None) -> SystemDemand:
    """Each endpoint's demand where a link opens it: the session's upload or the gallery's
    CSV by name, else its traffic shape with a notice (:func:`planner.costing.demand_choice`)."""
    endpoints = []
    demands = []
    notices = []
    for endpoint in scenario.serving:
        choice = demand_choice(endpoint, uploaded, GALLERY_DIR)
        endpoints.append(choice.endpoint)
        if choice.csv_demand is not None:
            demands.append((endpoint.name, choice.csv_demand))
        if choice.notice:
            notices.append(choice.notice)
    return SystemDemand(
        scenario=replace(scenario, serving=tuple(endpoints)),
        demands=tuple(demands),
        notices=tuple(notices),
    )
