"""What-if analysis: named parameters, compare, tornado, sweeps, switching values, Monte Carlo.

Parameters
----------
A parameter is a number in the scenario, named by its path (the same path the schema's
error messages use): ``serving[0].traffic.requests_per_day``, ``serving[0].cache_hit_rate``,
``training[0].mfu``, ``tooling[2].usd_per_month``,
``business_case.build_vs_buy.self_hosted.setup_hours``, or an instance's hourly price
``price[g4dn.xlarge].on_demand``, which is read through the catalog and written as a price
override. Every numeric input of every training job and endpoint can be named this way.
:func:`value_of` reads one, :func:`with_value` returns the scenario with one changed
(``dataclasses.replace`` down the path), and :func:`key_parameters` lists those a
scenario's answer depends on. Bounds come from the schema's own constraints.

Levers
------
A variant may also set what is not a number: a precision (``serving[0].model.precision``),
a switch (``serving[0].autoscaling.enabled``), an instance type or a list of tiers
(``serving[0].mix.tiers``). :func:`apply_changes` writes those into the scenario's mapping
and lets the schema validate it, so a bad value gets the message a YAML file would;
:func:`lever_keys` lists the paths a variant can set, and :func:`parse_value` reads a value
as the user typed it.

Outputs
-------
:class:`~planner.scenario.business_case.Output`: the monthly cost and the cost per request from
:func:`planner.costing.economics.evaluate`, and the build-minus-buy TCO from
:func:`planner.costing.buildbuy.tco`.

Sensitivity
-----------
* tornado: each parameter moved to its low and high value (± ``tornado_percent`` or the
  user's range) with every other at its base; bars sorted by the swing of the output;
* sweep: one parameter over a grid;
* switching value: the value at which building and buying cost the same, others fixed.

Uncertainty
-----------
Monte Carlo draws every key parameter at once from its range (triangular or PERT between
low, likely and high; ± ``tornado_percent`` around the base where the user gave no range).
:func:`unit_economics_draws` prices each draw with :func:`planner.costing.economics.evaluate`, the
one model of the whole system; :func:`planner.costing.buildbuy.tco_arrays` prices every draw of the
build-vs-buy model in one vectorised pass.

>>> from planner.scenario import Scenario, ToolingItem
>>> s = Scenario(tooling=(ToolingItem(name="tracking", usd_per_month=300),))
>>> value_of(s, "tooling[0].usd_per_month")
300.0
>>> output_value(with_value(s, "tooling[0].usd_per_month", 450), Output.MONTHLY_COST)
450.0
"""

from __future__ import annotations

import difflib
import enum
import functools
import math
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic.fields import FieldInfo

from planner.catalog import Catalog, PriceOverride, PriceTier, load_catalog
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.costing import buildbuy
from planner.costing.economics import evaluate, requests_per_day
from planner.scenario import Scenario, scenario_from_mapping, scenario_to_mapping, validated
from planner.scenario.business_case import (
    BuildVsBuy,
    BusinessCase,
    ChangeValue,
    Distribution,
    Output,
    ParameterRange,
    Variant,
    price_key,
)
from planner.scenario.serving import Endpoint, ModelKind
from planner.scenario.training import RunPricing, TrainingJob

FloatArray = npt.NDArray[np.float64]

DEFAULT_SAMPLES = 2_000
MAX_SAMPLES = 20_000
MIN_SAMPLES = 100
# A Monte Carlo's work: draws × (parameters set + jobs and endpoints priced) per draw. The
# draw count alone let a system of many items and ranges ask for millions of pricings; 20,000
# draws of 40 such steps (the gallery's cases take 16) is the most one request may do.
MAX_DRAW_WORK = 800_000
MAX_COMPARED = 4
PERCENTILES = (10, 50, 90)

_PRICE_KEY = re.compile(r"^price\[(?P<instance>[^\]]+)\]\.(?P<tier>[a-z0-9_]+)$")
_STEP = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)(?:\[(?P<index>\d+)\])?$")
_BVB = buildbuy.PREFIX

# Labels and units of the fields that can be parameters; others get a label from their name.
_FIELD_LABELS: Mapping[str, tuple[str, str]] = {
    "requests_per_day": ("Requests/day", "req/day"),
    "measured_requests_per_second_per_instance": ("Throughput per instance", "req/s"),
    "measured_tokens_per_second_per_gpu": ("Tokens/s per GPU", "tokens/s"),
    "peak_to_average": ("Peak ÷ average", "×"),
    "monthly_growth": ("Traffic growth", "fraction/month"),
    "min_replicas": ("Minimum replicas", "instances"),
    "headroom": ("Headroom", "fraction"),
    "cache_hit_rate": ("Cache hit rate", "fraction"),
    "spot_max_share": ("Spot share cap", "fraction"),
    "max_batch": ("Largest batch", "requests"),
    "parameters_billion": ("Model size", "B parameters"),
    "kv_cache_mb_per_token": ("KV cache per token", "MB"),
    "batchability": ("Batchability", "fraction"),
    "bandwidth_utilisation": ("Memory-bandwidth utilisation", "fraction"),
    "compute_utilisation": ("Compute utilisation", "fraction"),
    "latency_target_ms": ("Latency target", "ms"),
    "horizon_weeks": ("Traffic horizon", "weeks"),
    "scale_up_lag_minutes": ("Scale-up lag", "min"),
    "availability_target": ("Availability target", "fraction"),
    "interruption_rate": ("Spot interruption rate", "fraction"),
    "budget_usd_per_month": ("Budget", "USD/month"),
    "requests_per_second": ("Throughput at batch 1", "req/s"),
    "on_demand_usd_per_hour": ("On-demand price", "USD/h"),
    "spot_usd_per_hour": ("Spot price", "USD/h"),
    "int8_speedup": ("INT8 speed-up", "×"),
    "int4_speedup": ("INT4 speed-up", "×"),
    "spot_interruption_rate": ("Spot interruption rate", "fraction"),
    "inference_tokens": ("Lifetime inference tokens", "tokens"),
    "inference_mfu": ("Serving compute utilisation", "fraction"),
    "peak_tflops": ("Peak throughput", "TFLOPS"),
    "scale_out_efficiency": ("Scale-out efficiency", "fraction"),
    "bytes_per_param": ("Training memory per parameter", "bytes"),
    "restart_minutes": ("Restart", "min"),
    "deadline_hours": ("Deadline", "h"),
    "experiment_fraction": ("Experiment length", "fraction of a run"),
    "target_loss": ("Target loss", "predicted loss"),
    "budget_usd": ("Budget per run", "USD"),
    "monthly_traffic_growth": ("Traffic growth", "fraction/month"),
    "projection_months": ("Projection", "months"),
    "input_tokens": ("Input tokens", "tokens/request"),
    "output_tokens": ("Output tokens", "tokens/request"),
    "latency_ms": ("Batch-1 latency", "ms"),
    "instance_count": ("Instances", "instances"),
    "hours_per_run": ("Hours per run", "h"),
    "models_per_month": ("Models per month", "models/month"),
    "experiments_per_model": ("Experiments per model", "runs"),
    "mfu": ("MFU", "fraction"),
    "params": ("Parameters", "parameters"),
    "tokens": ("Training tokens", "tokens"),
    "interruptions_per_instance_hour": ("Spot interruptions", "per instance-hour"),
    "checkpoint_minutes": ("Checkpoint write", "min"),
    "gb": ("Storage", "GB"),
    "usd_per_gb_month": ("Storage price", "USD/GB-month"),
    "gb_per_month": ("Data sent", "GB/month"),
    "usd_per_gb": ("Egress price", "USD/GB"),
    "usd_per_month": ("Monthly cost", "USD/month"),
    "share": ("Share carried", "fraction"),
    "monthly_active_users": ("Monthly active users", "users"),
    "price_per_request_usd": ("Revenue per request", "USD"),
    "team_size": ("Team size", "seats"),
    "seats_added_per_year": ("Seats added per year", "seats/year"),
    "usd_per_engineer_hour": ("Engineer rate (loaded)", "USD/h"),
    "hours_per_engineer_day": ("Hours per engineer-day", "h"),
    "runs_per_seat_month": ("Runs per seat-month", "runs"),
    "gb_per_run": ("Artifacts per run", "GB"),
    "initial_artifact_gb": ("Artifacts at the start", "GB"),
    "server_usd_per_month": ("Tracking server", "USD/month"),
    "server_instance_count": ("Tracking server instances", "instances"),
    "database_usd_per_month": ("Database", "USD/month"),
    "kubernetes_control_plane_share": ("Control-plane share", "fraction"),
    "storage_usd_per_gb_month": ("Storage price", "USD/GB-month"),
    "setup_hours": ("Setup", "h"),
    "maintenance_hours_per_month": ("Maintenance", "h/month"),
    "on_call_hours_per_month": ("On-call", "h/month"),
    "upgrade_hours": ("Upgrade effort", "h each"),
    "opportunity_engineer_days_per_year": ("Opportunity cost", "engineer-days/year"),
    "usd_per_seat_month": ("Seat price", "USD/seat-month"),
    "included_storage_gb": ("Included storage", "GB"),
    "admin_hours_per_month": ("Administration", "h/month"),
    # A field whose meaning depends on its owner is looked up as "owner.field" first.
    "plans.usd_per_month": ("Plan fee", "USD/month"),
    "plans.storage_usd_per_gb_month": ("Storage overage price", "USD/GB-month"),
    "saas.setup_hours": ("Adoption", "h"),
}


_ITEM_NAMES = {
    "serving": "endpoint",
    "training": "job",
    "plans": "plan",
    "data_transfer": "transfer",
}


class Scope(enum.StrEnum):
    """Which model a parameter feeds."""

    UNIT_ECONOMICS = "unit_economics"
    BUILD_VS_BUY = "build_vs_buy"


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """A number in the scenario that an analysis can vary, with its allowed range.

    ``lower_open`` / ``upper_open`` mean the bound itself is not allowed (``gt`` / ``lt``).
    """

    key: str
    label: str
    unit: str
    scope: Scope
    integer: bool = False
    lower: float | None = None
    lower_open: bool = False
    upper: float | None = None
    upper_open: bool = False

    def clamp(self, value: float) -> float:
        """``value`` moved inside the allowed range (just inside an open bound).

        >>> Parameter(key="k", label="k", unit="", scope=Scope.UNIT_ECONOMICS, upper=1).clamp(1.2)
        1.0
        """
        if self.lower is not None and value <= self.lower:
            value = math.nextafter(self.lower, math.inf) if self.lower_open else self.lower
        if self.upper is not None and value >= self.upper:
            value = math.nextafter(self.upper, -math.inf) if self.upper_open else self.upper
        return float(round(value)) if self.integer else float(value)

    def allows(self, value: float) -> bool:
        """Whether ``value`` is inside the allowed range."""
        if self.lower is not None and (
            value < self.lower or (self.lower_open and value == self.lower)
        ):
            return False
        return not (
            self.upper is not None
            and (value > self.upper or (self.upper_open and value == self.upper))
        )

    def describe_bounds(self) -> str:
        low = "" if self.lower is None else f"{'>' if self.lower_open else '≥'} {self.lower:g}"
        high = "" if self.upper is None else f"{'<' if self.upper_open else '≤'} {self.upper:g}"
        return " and ".join(part for part in (low, high) if part) or "any number"


# ---------------------------------------------------------------------------------------
# Paths into the scenario


def _steps(key: str) -> list[tuple[str, int | None]]:
    steps = []
    for part in key.split("."):
        match = _STEP.match(part)
        if match is None:
            raise _unknown(key)
        index = match["index"]
        steps.append((match["name"], None if index is None else int(index)))
    return steps


def _unknown(key: str, why: str = "") -> PlannerInputError:
    return PlannerInputError(
        f"{key!r} is not a number in this scenario{': ' + why if why else ''}",
        fix=(
            "name a field by its path, e.g. serving[0].traffic.requests_per_day or "
            "price[g4dn.xlarge].on_demand; the Sensitivity page lists the key assumptions"
        ),
    )


def _walk(scenario: Scenario, key: str) -> tuple[list[Any], list[tuple[str, int | None]]]:
    """Every object along the path (the scenario first, the number last)."""
    steps = _steps(key)
    objects: list[Any] = [scenario]
    current: Any = scenario
    for name, index in steps:
        if not is_dataclass(current) or name not in {f.name for f in fields(current)}:
            raise _unknown(key)
        current = getattr(current, name)
        if index is not None:
            if not isinstance(current, tuple) or index >= len(current):
                raise _unknown(key, f"{name} has no item {index}")
            current = current[index]
        if current is None:
            raise _unknown(key, f"{name} is not set")
        objects.append(current)
    if isinstance(current, bool) or not isinstance(current, int | float):
        raise _unknown(key)
    return objects, steps


@functools.cache
def _field_info(owner: type, name: str) -> tuple[FieldInfo | None, bool]:
    """The pydantic constraints on a dataclass field, and whether it holds whole numbers.

    Cached: it depends only on the class, and type hints are slow to resolve.
    """
    hint = typing.get_type_hints(owner, include_extras=True)[name]
    for candidate in (hint, *typing.get_args(hint)):
        if typing.get_origin(candidate) is typing.Annotated:
            base, *extras = typing.get_args(candidate)
            info = next((e for e in extras if isinstance(e, FieldInfo)), None)
            return info, base is int
        if candidate is int:
            return None, True
    return None, False


def _bounds(info: FieldInfo | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in info.metadata if info else ():
        for attr, target, is_open in (
            ("ge", "lower", False),
            ("gt", "lower", True),
            ("le", "upper", False),
            ("lt", "upper", True),
        ):
            bound = getattr(item, attr, None)
            if bound is not None:
                found[target] = float(bound)
                found[f"{target}_open"] = is_open
    return found


def _context(objects: Sequence[Any], steps: Sequence[tuple[str, int | None]]) -> str:
    """A readable owner for the label: the named item or section the number belongs to."""
    parts = []
    for owner, (name, index) in zip(objects[1:], steps, strict=False):
        if name == "self_hosted":
            parts.append(str(objects[2].build_label) if len(objects) > 2 else "Self-hosted")
        elif name == "saas":
            parts.append(str(owner.product))
        elif index is not None and hasattr(owner, "name"):
            parts.append(f"{_ITEM_NAMES.get(name, name)} “{owner.name}”")
    return ", ".join(parts)


def parameter(scenario: Scenario, key: str) -> Parameter:
    """Describe parameter ``key`` of ``scenario``.

    Raises
    ------
    PlannerInputError
        If ``key`` names nothing numeric in the scenario.

    >>> from planner.scenario import Scenario
    >>> from planner.costing.serving import Endpoint
    >>> s = Scenario(serving=(Endpoint(name="api"),))
    >>> p = parameter(s, "serving[0].cache_hit_rate")
    >>> p.label, p.upper, p.lower_open
    ('Cache hit rate — endpoint “api”', 0.99, False)
    >>> parameter(s, "serving[3].cache_hit_rate")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: 'serving[3].cache_hit_rate' is not a number in this \
scenario: serving has no item 3. To fix: name a field by its path, e.g. \
serving[0].traffic.requests_per_day or price[g4dn.xlarge].on_demand; the Sensitivity page \
lists the key assumptions.
    """
    price = _PRICE_KEY.match(key)
    if price is not None:
        instance, tier = price["instance"], price["tier"]
        if tier not in {str(t) for t in PriceTier}:
            raise _unknown(key, f"{tier} is not a price tier")
        load_catalog().instance(instance)
        return Parameter(
            key=key,
            label=f"Price of {instance} ({PriceTier(tier).label})",
            unit="USD/h",
            scope=Scope.UNIT_ECONOMICS,
            lower=0.0,
            lower_open=True,
        )
    objects, steps = _walk(scenario, key)
    name = steps[-1][0]
    owner: type = type(objects[-2])
    info, integer = _field_info(owner, name)
    owner_name = steps[-2][0] if len(steps) > 1 else ""
    label, unit = _FIELD_LABELS.get(
        f"{owner_name}.{name}",
        _FIELD_LABELS.get(name, (name.replace("_", " ").capitalize(), "")),
    )
    context = _context(objects, steps)
    return Parameter(
        key=key,
        label=f"{label} — {context}" if context else label,
        unit=unit,
        scope=Scope.BUILD_VS_BUY if key.startswith(_BVB) else Scope.UNIT_ECONOMICS,
        integer=integer,
        **_bounds(info),
    )


def price_parts(key: str) -> tuple[str, PriceTier] | None:
    """The instance type and tier of a price parameter; ``None`` for any other key.

    >>> price_parts("price[g5.xlarge].spot")
    ('g5.xlarge', <PriceTier.SPOT: 'spot'>)
    >>> price_parts("tooling[0].usd_per_month") is None
    True
    """
    match = _PRICE_KEY.match(key)
    if match is None or match["tier"] not in {str(t) for t in PriceTier}:
        return None
    return match["instance"], PriceTier(match["tier"])


def format_value(param: Parameter, value: float) -> str:
    """A parameter's value for people, in its unit's usual style.

    >>> p = Parameter(key="k", label="k", unit="fraction", scope=Scope.UNIT_ECONOMICS)
    >>> format_value(p, 0.6), format_value(replace(p, unit="USD/h"), 0.526)
    ('60%', '$0.526')
    >>> format_value(replace(p, unit="req/day"), 72e6), format_value(replace(p, unit="h"), 2.25)
    ('72,000,000', '2.25')
    """
    if param.unit.startswith("USD"):
        return usd(value)
    if param.unit == "fraction":
        return f"{100 * value:.3g}%"
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _resolved_price(scenario: Scenario, instance: str, tier: str, catalog: Catalog) -> float:
    pricing = scenario.pricing
    return catalog.hourly_price(
        instance,
        PriceTier(tier),
        overrides=pricing.overrides,
        reserved_1y_discount=pricing.reserved_1y_discount,
        reserved_3y_discount=pricing.reserved_3y_discount,
    ).usd_per_hour


def value_of(scenario: Scenario, key: str, catalog: Catalog | None = None) -> float:
    """The scenario's value of parameter ``key`` (a price resolved through the catalog)."""
    price = _PRICE_KEY.match(key)
    if price is not None:
        parameter(scenario, key)
        return _resolved_price(
            scenario, price["instance"], price["tier"], catalog or load_catalog()
        )
    objects, _ = _walk(scenario, key)
    return float(objects[-1])


def _replace_path(obj: Any, steps: Sequence[tuple[str, int | None]], value: Any) -> Any:
    (name, index), rest = steps[0], steps[1:]
    current = getattr(obj, name)
    if index is None:
        new = _replace_path(current, rest, value) if rest else value
    else:
        items = list(current)
        items[index] = _replace_path(items[index], rest, value) if rest else value
        new = tuple(items)
    return replace(obj, **{name: new})


def with_value(scenario: Scenario, key: str, value: ChangeValue) -> Scenario:
    """The scenario with ``key`` set to ``value`` (rounded for whole numbers).

    A number for a field that holds one is not re-validated, so analyses can call this
    thousands of times; :func:`apply_changes` validates. A price is written as a price
    override for that instance and tier. Any other value (a lever: a word, a switch, a list)
    goes through :func:`apply_changes`, since only the schema can turn ``"int8"`` into the
    precision it names.

    >>> from planner.scenario import Scenario
    >>> with_value(Scenario(), "price[g4dn.xlarge].spot", 0.2).pricing.overrides
    (PriceOverride(instance_type='g4dn.xlarge', on_demand_usd_per_hour=None, \
spot_usd_per_hour=0.2, reserved_1y_usd_per_hour=None, reserved_3y_usd_per_hour=None),)
    """
    price = _PRICE_KEY.match(key)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (price is None and not _holds_number(scenario, key))
    ):
        return apply_changes(scenario, {key: value})
    number = float(value)
    if price is not None:
        parameter(scenario, key)
        field = f"{price['tier']}_usd_per_hour"
        instance = price["instance"]
        overrides = scenario.pricing.overrides
        changed: dict[str, Any] = {field: number}
        if any(o.instance_type == instance for o in overrides):
            overrides = tuple(
                replace(o, **changed) if o.instance_type == instance else o for o in overrides
            )
        else:
            overrides = (*overrides, PriceOverride(instance_type=instance, **changed))
        return replace(scenario, pricing=replace(scenario.pricing, overrides=overrides))
    objects, steps = _walk(scenario, key)
    typed: float | int = round(number) if isinstance(objects[-1], int) else number
    result: Scenario = _replace_path(scenario, steps, typed)
    return result


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _holds_number(scenario: Scenario, key: str) -> bool:
    try:
        _walk(scenario, key)
    except PlannerInputError:
        return False
    return True


def apply_changes(scenario: Scenario, changes: Mapping[str, ChangeValue]) -> Scenario:
    """The scenario with several inputs changed, checked against the schema.

    A change is a number, or any other lever: a precision, a switch, an instance type, a
    list of tiers. Levers (and numbers for fields that are unset) are written into the
    scenario's mapping, which the schema then validates as it would a YAML file.

    Raises
    ------
    PlannerInputError
        For a path that names no field, or a value the schema does not allow (naming the
        field, the value as given and what is allowed).

    >>> from planner.scenario import Scenario
    >>> from planner.costing.serving import Endpoint
    >>> s = Scenario(serving=(Endpoint(name="api"),))
    >>> changed = apply_changes(s, {"serving[0].model.precision": "int8",
    ...                             "serving[0].autoscaling.enabled": True,
    ...                             "serving[0].mix.tiers": ("on_demand", "spot")})
    >>> str(changed.serving[0].model.precision), changed.serving[0].mix.tiers[1]
    ('int8', <PriceTier.SPOT: 'spot'>)
    >>> apply_changes(s, {"serving[0].model.precision": "int9"})
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: Invalid scenario: serving[0].model.precision ("api") = \
"int9": Input should be 'fp16', 'fp8', 'int8' or 'int4'. To fix: correct the field named above.
    """
    levers: dict[str, ChangeValue] = {}
    for key, value in changes.items():
        if _is_number(value) and (_PRICE_KEY.match(key) or _holds_number(scenario, key)):
            scenario = with_value(scenario, key, value)
        else:
            levers[key] = value
    if not levers:
        return validated(scenario)
    data = scenario_to_mapping(scenario)
    for key, value in levers.items():
        _write_lever(scenario, data, key, value)
    return scenario_from_mapping(data)


def _not_a_field(key: str, why: str) -> PlannerInputError:
    return PlannerInputError(
        f"{key!r} is not a field of this scenario: {why}",
        fix=(
            "name a field by its path, e.g. serving[0].model.precision, "
            "serving[0].autoscaling.enabled or training[0].mfu"
        ),
    )


def _target(scenario: Scenario, key: str) -> tuple[Any, list[tuple[str, int | None]]]:
    """The value at ``key`` (``None`` where unset) and the path's steps, for any field."""
    steps = _steps(key)
    current: Any = scenario
    for position, (name, index) in enumerate(steps):
        known = [f.name for f in fields(current)] if is_dataclass(current) else []
        if name not in known:
            where = ".".join(key.split(".")[:position]) or "the scenario"
            near = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {near[0]!r})" if near else ""
            raise _not_a_field(key, f"{where} has no field {name!r}{hint}")
        current = getattr(current, name)
        if index is not None:
            if not isinstance(current, tuple) or index >= len(current):
                raise _not_a_field(key, f"{name} has no item {index}")
            current = current[index]
        if current is None and position < len(steps) - 1:
            raise _not_a_field(key, f"{name} is not set")
    return current, steps


def _write_lever(scenario: Scenario, data: dict[str, Any], key: str, value: ChangeValue) -> None:
    """Set ``key`` to ``value`` in ``data``, the scenario's mapping; the schema checks it."""
    if _PRICE_KEY.match(key):
        raise PlannerInputError(
            f"{key} = {value!r}: a price is a number of USD per hour",
            fix="enter a number such as 0.526",
        )
    current, steps = _target(scenario, key)
    if is_dataclass(current) or (isinstance(current, tuple) and any(map(is_dataclass, current))):
        raise _not_a_field(key, "it is a section, not a value; name one of its fields")
    node: Any = data
    for name, index in steps[:-1]:
        node = node[name] if index is None else node[name][index]
    name, index = steps[-1]
    written: Any = list(value) if isinstance(value, tuple) else value
    if isinstance(value, float) and _whole_number_field(scenario, steps):
        written = round(value)  # as with_value does: a whole-number field takes whole numbers
    if index is None:
        node[name] = written
    else:
        node[name][index] = written


def _whole_number_field(scenario: Scenario, steps: Sequence[tuple[str, int | None]]) -> bool:
    owner: Any = scenario
    for name, index in steps[:-1]:
        owner = getattr(owner, name)
        if index is not None:
            owner = owner[index]
    kind: type = type(owner)
    return _field_info(kind, steps[-1][0])[1]


def _business_case(scenario: Scenario) -> BusinessCase:
    return scenario.business_case or BusinessCase()


def variant_scenario(scenario: Scenario, variant: Variant) -> Scenario:
    """The scenario a variant describes: its changes applied, its name in the title.

    The variant carries no variants of its own.

    Raises
    ------
    PlannerInputError
        Naming the variant, for an unknown parameter or a value out of range.
    """
    base = scenario
    if scenario.business_case is not None:
        base = replace(scenario, business_case=replace(scenario.business_case, variants=()))
    try:
        changed = apply_changes(base, {c.parameter: c.value for c in variant.changes})
    except PlannerInputError as error:
        raise PlannerInputError(f'Variant "{variant.name}": {error}') from None
    return replace(changed, title=f"{scenario.title} — {variant.name}")


# Free text, run settings and shapes that a variant does not set as a lever.
_NOT_LEVERS = frozenset(
    {
        "name",
        "note",
        "source",
        "simulations",
        "seed",
        "demand_csv",
        "daily_weights",
        "weekly_weights",
    }
)
_LEVER_SECTIONS = ("training", "serving", "storage", "data_transfer", "tooling", "business")


@functools.cache
def _holds_sections(owner: type, name: str) -> bool:
    """Whether a field holds a section (a dataclass, or a tuple of them), set or not."""
    pending = [typing.get_type_hints(owner)[name]]
    while pending:
        hint = pending.pop()
        if isinstance(hint, type) and is_dataclass(hint):
            return True
        pending.extend(typing.get_args(hint))
    return False


def lever_keys(scenario: Scenario) -> tuple[str, ...]:
    """Every path a variant can set in the jobs, endpoints, storage, transfer, tooling and
    business sections: each field that holds a value rather than a section, unset ones
    included, except names, notes and simulation settings.

    >>> from planner.scenario import Scenario
    >>> from planner.costing.serving import Endpoint
    >>> keys = lever_keys(Scenario(serving=(Endpoint(),)))
    >>> [k for k in keys if k.endswith((".precision", ".enabled", ".tiers"))]
    ['serving[0].model.precision', 'serving[0].autoscaling.enabled', \
'serving[0].baseline.precision', 'serving[0].mix.tiers']
    """
    keys: list[str] = []

    def visit(section: Any, prefix: str) -> None:
        kind: type = type(section)
        for field in fields(section):
            value = getattr(section, field.name)
            path = f"{prefix}.{field.name}"
            if field.name in _NOT_LEVERS:
                continue
            if is_dataclass(value):
                visit(value, path)
            elif _holds_sections(kind, field.name):
                for index, item in enumerate(value or ()):
                    visit(item, f"{path}[{index}]")
            else:
                keys.append(path)

    for name in _LEVER_SECTIONS:
        value = getattr(scenario, name)
        if isinstance(value, tuple):
            for index, item in enumerate(value):
                visit(item, f"{name}[{index}]")
        else:
            visit(value, name)
    return tuple(keys)


def lever_value(scenario: Scenario, key: str) -> ChangeValue | None:
    """The scenario's value at any path, as a variant would hold it (``None``: unset).

    Raises
    ------
    PlannerInputError
        For a path that names no field.

    >>> from planner.scenario import Scenario
    >>> from planner.costing.serving import Endpoint
    >>> lever_value(Scenario(serving=(Endpoint(),)), "serving[0].mix.tiers")
    ('on_demand',)
    """
    if _PRICE_KEY.match(key):
        return value_of(scenario, key)
    current, _ = _target(scenario, key)
    if isinstance(current, tuple):
        return tuple(str(item) for item in current)
    if isinstance(current, enum.Enum):
        return str(current)
    result: ChangeValue | None = current
    return result


def parse_value(text: str) -> ChangeValue:
    """A variant's value as the user typed it: a number, ``true`` or ``false``, a word, or a
    list of words in brackets. Whether it suits its field is the schema's to say.

    Raises
    ------
    PlannerInputError
        For an empty value or one longer than 200 characters.

    >>> parse_value("int8"), parse_value(" TRUE "), parse_value("1e6")
    ('int8', True, 1000000.0)
    >>> parse_value("[on_demand, spot]")
    ('on_demand', 'spot')
    """
    stripped = text.strip()
    if not stripped or len(stripped) > 200:
        raise PlannerInputError(
            f"{text[:40]!r} is not a value a variant can hold",
            fix="write a number, true or false, a word such as int8, or a list such as "
            "[on_demand, spot]",
        )
    if stripped.lower() in {"true", "false"}:
        return stripped.lower() == "true"
    try:
        number = float(stripped.replace(",", "").replace("_", ""))
    except ValueError:
        pass
    else:
        if math.isfinite(number):
            return number
    if stripped.startswith("[") and stripped.endswith("]"):
        items = (item.strip().strip("'\"") for item in stripped[1:-1].split(","))
        return tuple(item for item in items if item)
    return stripped


def format_change(value: ChangeValue | None) -> str:
    """A variant's value as :func:`parse_value` reads it back.

    >>> format_change(True), format_change(("on_demand", "spot")), format_change(7.2e7)
    ('true', '[on_demand, spot]', '72000000')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return f"[{', '.join(value)}]"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


# ---------------------------------------------------------------------------------------
# Key parameters and outputs


def _price_keys(scenario: Scenario) -> list[str]:
    """The catalog prices the scenario's jobs and endpoints buy: each type in each tier it
    may use (a custom instance is priced in its own section, not the catalog)."""
    catalog = load_catalog()
    used: list[tuple[str, PriceTier]] = []
    for job in scenario.training:
        if job.pricing is RunPricing.MIXED:
            tiers: tuple[PriceTier, ...] = (PriceTier.SPOT, PriceTier.ON_DEMAND)
        elif job.pricing.price_tier is not None:
            tiers = (job.pricing.price_tier,)
        else:
            tiers = ()  # a Capacity Block has its own published price
        used += [(job.instance_type, tier) for tier in tiers]
    for endpoint in scenario.serving:
        used += [(endpoint.instance_type, tier) for tier in endpoint.mix.tiers]
    keys = []
    for instance, tier in used:
        key = price_key(instance, tier)
        if instance in catalog.instances and key not in keys:
            keys.append(key)
    return keys


def _endpoint_keys(i: int, endpoint: Endpoint) -> list[str]:
    p = f"serving[{i}]"
    model = endpoint.model
    keys = [f"{p}.traffic.requests_per_day"]
    if endpoint.traffic.peak_to_average is not None:
        keys.append(f"{p}.traffic.peak_to_average")
    if endpoint.traffic.monthly_growth:
        keys.append(f"{p}.traffic.monthly_growth")
    if model.measured_requests_per_second_per_instance is not None:
        keys.append(f"{p}.model.measured_requests_per_second_per_instance")
    elif model.measured_tokens_per_second_per_gpu is not None:
        keys.append(f"{p}.model.measured_tokens_per_second_per_gpu")
    elif model.kind is ModelKind.LLM:
        # A preset (or the default model) sizes the model itself; a size of one's own varies.
        if model.parameters_billion is not None:
            keys.append(f"{p}.model.parameters_billion")
        keys += [f"{p}.model.{n}" for n in ("input_tokens", "output_tokens")]
    else:
        keys.append(f"{p}.model.latency_ms")
    if endpoint.cache_hit_rate:
        keys.append(f"{p}.cache_hit_rate")
    keys += [f"{p}.autoscaling.headroom", f"{p}.autoscaling.min_replicas"]
    if endpoint.max_batch > 1:
        keys.append(f"{p}.max_batch")
    if PriceTier.SPOT in endpoint.mix.tiers:
        keys.append(f"{p}.mix.spot_max_share")
    return keys


def _job_keys(i: int, job: TrainingJob) -> list[str]:
    p = f"training[{i}]"
    keys = [f"{p}.instance_count"]
    if job.hours_per_run is not None:
        keys.append(f"{p}.hours_per_run")
    else:
        keys.append(f"{p}.mfu")
        keys += [f"{p}.{n}" for n in ("params", "tokens") if getattr(job, n) is not None]
    keys.append(f"{p}.models_per_month")
    if job.experiments_per_model:
        keys.append(f"{p}.experiments_per_model")
    if job.interruptions_per_instance_hour is not None:
        keys.append(f"{p}.interruptions_per_instance_hour")
    return keys


def key_parameters(scenario: Scenario) -> tuple[Parameter, ...]:
    """The parameters the scenario's answers depend on, unit economics first.

    These are the assumptions the tornado moves and Monte Carlo draws: each endpoint's
    traffic, peak and growth, its throughput (measured, or the model's size and tokens),
    cache hit rate, headroom, replica floor, batch and spot share; each training job's
    instances, hours (or MFU and model size), models a month, experiments and spot
    interruptions; the price of each instance type in each tier in use; storage, transfer
    and tooling; and every number of the build-vs-buy section except its horizon and
    upgrade interval. Any other number can be named by its path.
    """
    keys: list[str] = []
    for i, endpoint in enumerate(scenario.serving):
        keys += _endpoint_keys(i, endpoint)
    for i, job in enumerate(scenario.training):
        keys += _job_keys(i, job)
    keys += _price_keys(scenario)
    for i, item in enumerate(scenario.storage):
        keys.append(f"storage[{i}].gb")
        if item.usd_per_gb_month is not None:
            keys.append(f"storage[{i}].usd_per_gb_month")
    for i, transfer in enumerate(scenario.data_transfer):
        keys.append(f"data_transfer[{i}].gb_per_month")
        if transfer.usd_per_gb is not None:
            keys.append(f"data_transfer[{i}].usd_per_gb")
    keys += [f"tooling[{i}].usd_per_month" for i, _ in enumerate(scenario.tooling)]
    if scenario.business.requests_per_day is not None:
        keys.append("business.requests_per_day")
    case = scenario.business_case
    if case is not None and case.build_vs_buy is not None:
        keys += _build_vs_buy_keys(scenario)
    return tuple(parameter(scenario, key) for key in keys)


def all_parameters(scenario: Scenario) -> tuple[Parameter, ...]:
    """The key parameters, then every other number of the scenario's sections that a sweep
    can move (a latency target, a horizon, a batchability...), each by its path.

    >>> from planner.scenario import Scenario
    >>> from planner.costing.serving import Endpoint
    >>> keys = [p.key for p in all_parameters(Scenario(serving=(Endpoint(),)))]
    >>> keys[0], "serving[0].latency_target_ms" in keys
    ('serving[0].traffic.requests_per_day', True)
    """
    params = {p.key: p for p in key_parameters(scenario)}
    for key in lever_keys(scenario):
        if key not in params and _holds_number(scenario, key):
            params[key] = parameter(scenario, key)
    return tuple(params.values())


def _build_vs_buy_keys(scenario: Scenario) -> list[str]:
    bvb = buildbuy.section(scenario)
    hosted = bvb.self_hosted
    keys = [
        f"{_BVB}.{name}"
        for name in (
            "team_size",
            "seats_added_per_year",
            "usd_per_engineer_hour",
            "runs_per_seat_month",
            "gb_per_run",
            "initial_artifact_gb",
        )
    ]
    if hosted.server_instance_type is None:
        keys.append(f"{_BVB}.self_hosted.server_usd_per_month")
    else:
        keys.append(price_key(hosted.server_instance_type, scenario.pricing.default_tier))
    keys += [
        f"{_BVB}.self_hosted.{name}"
        for name in (
            "database_usd_per_month",
            "kubernetes_control_plane_share",
            "setup_hours",
            "maintenance_hours_per_month",
            "on_call_hours_per_month",
            "upgrade_hours",
            "opportunity_engineer_days_per_year",
        )
    ]
    if hosted.storage_usd_per_gb_month is not None:
        keys.append(f"{_BVB}.self_hosted.storage_usd_per_gb_month")
    for i, plan in enumerate(bvb.saas.plans):
        keys += [f"{_BVB}.saas.plans[{i}].{n}" for n in ("usd_per_seat_month", "usd_per_month")]
        if plan.included_storage_gb is not None:
            keys.append(f"{_BVB}.saas.plans[{i}].included_storage_gb")
        keys.append(f"{_BVB}.saas.plans[{i}].storage_usd_per_gb_month")
    keys += [f"{_BVB}.saas.{name}" for name in ("setup_hours", "admin_hours_per_month")]
    return keys


def available_outputs(scenario: Scenario) -> tuple[Output, ...]:
    """The outputs this scenario can be measured by.

    >>> from planner.scenario import Scenario
    >>> available_outputs(Scenario())
    (<Output.MONTHLY_COST: 'monthly_cost'>,)
    """
    case = scenario.business_case
    has_tco = case is not None and case.build_vs_buy is not None
    outputs = []
    # A build-vs-buy case with nothing else to price has no monthly cost worth measuring.
    if has_unit_costs(scenario) or not has_tco:
        outputs.append(Output.MONTHLY_COST)
    if evaluate_requests(scenario) > 0:
        outputs.append(Output.COST_PER_REQUEST)
    if has_tco:
        outputs.append(Output.TCO_DIFFERENCE)
    return tuple(outputs)


def has_unit_costs(scenario: Scenario) -> bool:
    """Whether the scenario has anything the unit-economics model prices."""
    return bool(
        scenario.training
        or scenario.serving
        or scenario.storage
        or scenario.data_transfer
        or scenario.tooling
    )


def evaluate_requests(scenario: Scenario) -> float:
    """Requests per day the unit costs divide by."""
    return requests_per_day(scenario)


def default_output(scenario: Scenario) -> Output:
    """The output the report measures: the user's choice, else TCO or monthly cost."""
    case = _business_case(scenario)
    outputs = available_outputs(scenario)
    if case.tornado_output is not None and case.tornado_output in outputs:
        return case.tornado_output
    return Output.TCO_DIFFERENCE if Output.TCO_DIFFERENCE in outputs else Output.MONTHLY_COST


def _check_output(scenario: Scenario, output: Output) -> None:
    if output not in available_outputs(scenario):
        why = (
            "it serves no requests"
            if output is Output.COST_PER_REQUEST
            else "it has no build-vs-buy section"
        )
        raise PlannerInputError(
            f"{output.label} cannot be measured for this scenario: {why}",
            fix=f"choose {' or '.join(o.label.lower() for o in available_outputs(scenario))}",
        )


def output_value(scenario: Scenario, output: Output, catalog: Catalog | None = None) -> float:
    """One output of the scenario, in USD (per month, per request, or over the horizon).

    Raises
    ------
    PlannerInputError
        If the output does not apply to the scenario, or the model rejects it.
    """
    catalog = catalog or load_catalog()
    _check_output(scenario, output)
    if output is Output.TCO_DIFFERENCE:
        arrays = buildbuy.tco_arrays(scenario, catalog)
        problem = buildbuy.uncovered_team(arrays, scenario)
        if problem is not None:
            raise problem
        build, buy = arrays.totals()
        return float(build[0] - buy[0])
    economics = evaluate(scenario, catalog)
    if output is Output.COST_PER_REQUEST:
        return economics.per_request_usd or 0.0
    return economics.monthly_cost_usd


def format_output(output: Output, value: float) -> str:
    """An output value for people.

    >>> format_output(Output.TCO_DIFFERENCE, 39600.0), format_output(Output.TCO_DIFFERENCE, -5.0)
    ('+$39,600', '−$5.00')
    """
    return format_figure("usd", value, delta=output is Output.TCO_DIFFERENCE)


# ---------------------------------------------------------------------------------------
# Ranges


@dataclass(frozen=True, slots=True, kw_only=True)
class Spread:
    """The low, likely and high values an analysis uses for one parameter."""

    parameter: Parameter
    base: float
    low: float
    likely: float
    high: float
    distribution: Distribution
    from_range: bool

    @property
    def source(self) -> str:
        return "your range" if self.from_range else "± percent"


def _relevant(parameter: Parameter, output: Output | None) -> bool:
    if output is None:
        return True
    wanted = Scope.BUILD_VS_BUY if output is Output.TCO_DIFFERENCE else Scope.UNIT_ECONOMICS
    return parameter.scope is wanted


def spreads(
    scenario: Scenario,
    catalog: Catalog | None = None,
    *,
    output: Output | None = None,
    percent: float | None = None,
) -> tuple[Spread, ...]:
    """Each key parameter's low, likely and high value, for ``output`` (``None``: all).

    A user range wins; otherwise the base ± ``percent`` (default: the scenario's
    ``tornado_percent``), kept inside the parameter's allowed range. Parameters at zero
    without a range are left out, as are whole numbers too small for the percentage to
    move (one instance ± 20% is still one): a percentage of zero does not move them. A range on a
    parameter that is not a key parameter still counts.

    Raises
    ------
    PlannerInputError
        For a range on an unknown parameter, or outside the allowed values.
    """
    catalog = catalog or load_catalog()
    case = _business_case(scenario)
    fraction = (case.tornado_percent if percent is None else percent) / 100
    if not 0 < fraction < 1:
        raise PlannerInputError(
            f"± {fraction * 100:g}% is outside 0 to 100 (exclusive)",
            fix="pick a percentage such as 20",
        )
    params = {p.key: p for p in key_parameters(scenario)}
    for r in case.ranges:
        params.setdefault(r.parameter, parameter(scenario, r.parameter))
    result = []
    for key, param in params.items():
        if not _relevant(param, output):
            continue
        base = value_of(scenario, key, catalog)
        user = case.range_for(key)
        if user is not None:
            _check_range(param, user)
            likely = user.likely if user.likely is not None else min(max(base, user.low), user.high)
            result.append(
                Spread(
                    parameter=param,
                    base=base,
                    low=user.low,
                    likely=likely,
                    high=user.high,
                    distribution=user.distribution,
                    from_range=True,
                )
            )
        else:
            low, high = sorted(
                (param.clamp(base * (1 - fraction)), param.clamp(base * (1 + fraction)))
            )
            if low == high:
                continue  # zero, or a whole number too small for the percentage to move
            result.append(
                Spread(
                    parameter=param,
                    base=base,
                    low=low,
                    likely=base,
                    high=high,
                    distribution=Distribution.TRIANGULAR,
                    from_range=False,
                )
            )
    return tuple(result)


def _check_range(param: Parameter, user: ParameterRange) -> None:
    for which, value in (("low", user.low), ("high", user.high)):
        if not param.allows(value):
            raise PlannerInputError(
                f"The range for {param.label} has its {which} value at {value:g}, but it must "
                f"be {param.describe_bounds()}",
                fix=f"enter a {which} value within those bounds",
            )


# ---------------------------------------------------------------------------------------
# Tornado, sweeps and switching values


@dataclass(frozen=True, slots=True, kw_only=True)
class TornadoBar:
    """The output with one parameter at its low and at its high value."""

    spread: Spread
    output_low: float
    output_high: float

    @property
    def swing(self) -> float:
        return abs(self.output_high - self.output_low)

    def brackets(self, base_output: float) -> bool:
        """Whether the base output lies between the bar's ends.

        It does whenever the output is monotone in the parameter. It may not when a
        parameter feeds a step or a choice on both sides: the cost per request against
        traffic (the fleet grows in whole instances), or the team size against a SaaS price
        list with tiers. Pages and the report say so where it happens.
        """
        low, high = sorted((self.output_low, self.output_high))
        slack = 1e-9 * max(1.0, abs(base_output))
        return low - slack <= base_output <= high + slack


@dataclass(frozen=True, slots=True, kw_only=True)
class Tornado:
    """Bars sorted by swing, widest first, around the output's base value."""

    output: Output
    base_output: float
    bars: tuple[TornadoBar, ...]

    def not_bracketing(self) -> tuple[str, ...]:
        """Labels of the bars whose ends do not enclose the base output (see
        :meth:`TornadoBar.brackets`)."""
        return tuple(
            bar.spread.parameter.label for bar in self.bars if not bar.brackets(self.base_output)
        )

    def table(self, limit: int | None = None) -> pd.DataFrame:
        """The first ``limit`` bars formatted for people: values in their units."""
        return _tornado_table(self, limit)

    def frame(self) -> pd.DataFrame:
        """One row per bar, in order, for charts and tables."""
        return pd.DataFrame(
            {
                "parameter": [b.spread.parameter.label for b in self.bars],
                "key": [b.spread.parameter.key for b in self.bars],
                "unit": [b.spread.parameter.unit for b in self.bars],
                "base_value": [b.spread.base for b in self.bars],
                "low_value": [b.spread.low for b in self.bars],
                "high_value": [b.spread.high for b in self.bars],
                "source": [b.spread.source for b in self.bars],
                "output_low": [b.output_low for b in self.bars],
                "output_high": [b.output_high for b in self.bars],
                "swing": [b.swing for b in self.bars],
                "base_output": self.base_output,
            },
            columns=[
                "parameter",
                "key",
                "unit",
                "base_value",
                "low_value",
                "high_value",
                "source",
                "output_low",
                "output_high",
                "swing",
                "base_output",
            ],
        )


def _tornado_table(self: Tornado, limit: int | None = None) -> pd.DataFrame:
    rows = []
    for bar in self.bars[:limit]:
        param, spread = bar.spread.parameter, bar.spread
        rows.append(
            {
                "Assumption": param.label,
                "Low": format_value(param, spread.low),
                "High": format_value(param, spread.high),
                "Unit": param.unit,
                "Output at low": format_output(self.output, bar.output_low),
                "Output at high": format_output(self.output, bar.output_high),
                "Range from": spread.source,
            }
        )
    return pd.DataFrame(rows, columns=list(_TORNADO_COLUMNS))


_TORNADO_COLUMNS = (
    "Assumption",
    "Low",
    "High",
    "Unit",
    "Output at low",
    "Output at high",
    "Range from",
)


def tornado(
    scenario: Scenario,
    output: Output,
    catalog: Catalog | None = None,
    *,
    percent: float | None = None,
) -> Tornado:
    """Move each key parameter to its low and high value in turn; sort by the output's swing.

    Raises
    ------
    PlannerInputError
        If ``output`` does not apply, or a range is invalid for its parameter.

    >>> from planner.scenario import Scenario, ToolingItem
    >>> s = Scenario(tooling=(ToolingItem(name="a", usd_per_month=100),
    ...                       ToolingItem(name="b", usd_per_month=300)))
    >>> bars = tornado(s, Output.MONTHLY_COST, percent=10).bars
    >>> [(b.spread.parameter.label, b.output_low, b.output_high) for b in bars]
    [('Monthly cost — tooling “b”', 370.0, 430.0), ('Monthly cost — tooling “a”', 390.0, 410.0)]
    """
    catalog = catalog or load_catalog()
    base_output = output_value(scenario, output, catalog)
    bars = []
    for spread in spreads(scenario, catalog, output=output, percent=percent):
        low, high = (
            output_value(with_value(scenario, spread.parameter.key, v), output, catalog)
            for v in (spread.low, spread.high)
        )
        bars.append(TornadoBar(spread=spread, output_low=low, output_high=high))
    bars.sort(key=lambda bar: -bar.swing)
    return Tornado(output=output, base_output=base_output, bars=tuple(bars))


def sweep(
    scenario: Scenario,
    key: str,
    output: Output,
    low: float,
    high: float,
    catalog: Catalog | None = None,
    *,
    points: int = 25,
) -> pd.DataFrame:
    """The output as parameter ``key`` goes from ``low`` to ``high``, others fixed.

    Returns a frame with ``value`` and ``output``; whole-number parameters are swept over
    whole numbers only.

    Raises
    ------
    PlannerInputError
        If ``low`` is above ``high``, a value is not allowed, or the output does not apply.

    >>> from planner.scenario import Scenario, ToolingItem
    >>> s = Scenario(tooling=(ToolingItem(name="a", usd_per_month=100),))
    >>> frame = sweep(s, "tooling[0].usd_per_month", Output.MONTHLY_COST, 0, 200, points=3)
    >>> frame["output"].tolist()
    [0.0, 100.0, 200.0]
    """
    catalog = catalog or load_catalog()
    param = parameter(scenario, key)
    if low > high:
        raise PlannerInputError(
            f"The sweep of {param.label} runs from {low:g} down to {high:g}: the low value is "
            "above the high one",
            fix="swap them",
        )
    for value in (low, high):
        if not param.allows(value):
            raise PlannerInputError(
                f"{param.label} cannot be {value:g}: it must be {param.describe_bounds()}",
                fix="sweep a range within those bounds",
            )
    grid = np.linspace(low, high, max(2, points))
    values = sorted({round(v) for v in grid}) if param.integer else [float(v) for v in grid]
    outputs = [output_value(with_value(scenario, key, v), output, catalog) for v in values]
    return pd.DataFrame({"value": values, "output": outputs})


@dataclass(frozen=True, slots=True, kw_only=True)
class Switch:
    """Where one parameter, alone, makes building and buying cost the same.

    ``value`` is ``None`` when no allowed value does; ``in_range`` says whether it lies
    within the values the analysis tests (the user's range or ± percent).
    """

    spread: Spread
    value: float | None

    @property
    def change(self) -> float | None:
        """The switching value relative to the base (0.5 = 50% higher)."""
        if self.value is None or self.spread.base == 0:
            return None
        return self.value / self.spread.base - 1

    @property
    def in_range(self) -> bool:
        return self.value is not None and self.spread.low <= self.value <= self.spread.high


def switches_table(switches: Sequence[Switch]) -> pd.DataFrame:
    """Switching values formatted for people; parameters that never switch are left out."""
    rows = [
        {
            "Assumption": s.spread.parameter.label,
            "Now": format_value(s.spread.parameter, s.spread.base),
            "Build = buy at": format_value(s.spread.parameter, s.value),
            "Change": "n/a" if s.change is None else f"{s.change:+.0%}",
            "Inside the tested range": "yes" if s.in_range else "no",
        }
        for s in switches
        if s.value is not None
    ]
    return pd.DataFrame(
        rows, columns=["Assumption", "Now", "Build = buy at", "Change", "Inside the tested range"]
    )


def spreads_table(spreads: Sequence[Spread]) -> pd.DataFrame:
    """The low, likely and high values an analysis used, formatted for people."""
    return pd.DataFrame(
        [
            {
                "Assumption": s.parameter.label,
                "Low": format_value(s.parameter, s.low),
                "Likely": format_value(s.parameter, s.likely),
                "High": format_value(s.parameter, s.high),
                "Unit": s.parameter.unit,
                "Distribution": str(s.distribution),
                "From": s.source,
            }
            for s in spreads
        ],
        columns=["Assumption", "Low", "Likely", "High", "Unit", "Distribution", "From"],
    )


def _difference(scenario: Scenario, catalog: Catalog, key: str, grid: FloatArray) -> FloatArray:
    arrays = buildbuy.tco_arrays(scenario, catalog, {key: grid})
    build, buy = arrays.totals()
    result: FloatArray = build - buy
    return result


def switching_values(scenario: Scenario, catalog: Catalog | None = None) -> tuple[Switch, ...]:
    """For each build-vs-buy parameter, the value that turns the answer around.

    Each parameter alone, the others at their base, on a grid spanning its allowed values
    (evaluated in one vectorised pass); the sign change nearest the base is refined on a
    finer grid. Where the difference is not monotone in a parameter (team size against a
    tiered price list), this is the switching value nearest the base. Sorted by how far the
    switching value is from the base, nearest first.
    """
    catalog = catalog or load_catalog()
    base = buildbuy.tco(scenario, catalog).difference_usd
    switches = []
    for spread in spreads(scenario, catalog, output=Output.TCO_DIFFERENCE):
        param = spread.parameter
        lowest = param.clamp(param.lower if param.lower is not None else -abs(spread.base) * 1e3)
        highest = param.clamp(
            param.upper
            if param.upper is not None
            else max(abs(spread.base), abs(spread.high), 1.0) * 1e3
        )
        grid = np.unique(
            np.concatenate(
                [
                    np.linspace(lowest, highest, 2049),
                    np.geomspace(max(lowest, 1e-9), max(highest, 2e-9), 2049),
                    [spread.base],
                ]
            )
        )
        grid = grid[(grid >= lowest) & (grid <= highest)]
        switches.append(
            Switch(spread=spread, value=_crossing(scenario, catalog, param, grid, base))
        )
    switches.sort(key=lambda s: math.inf if s.change is None else abs(s.change))
    return tuple(switches)


def _crossing(
    scenario: Scenario, catalog: Catalog, param: Parameter, grid: FloatArray, base: float
) -> float | None:
    """The value nearest the base (refined) where the difference changes sign from ``base``."""
    if param.integer:
        grid = np.unique(np.round(grid))
    difference = _difference(scenario, catalog, param.key, grid)
    flipped = np.flatnonzero(np.sign(difference) != np.sign(base)) if base != 0 else np.array([])
    if flipped.size == 0:
        return None
    # The flipped grid point nearest the base, and its neighbour on the base's side (not
    # flipped, or it would be nearer), bracket the crossing.
    base_value = value_of(scenario, param.key, catalog)
    nearest = flipped[np.argmin(np.abs(grid[flipped] - base_value))]
    inside = nearest - 1 if grid[nearest] > base_value else nearest + 1
    lo, hi = sorted((float(grid[nearest]), float(grid[min(max(inside, 0), grid.size - 1)])))
    if param.integer:
        fine = np.arange(math.ceil(lo), math.floor(hi) + 1, dtype=np.float64)
    else:
        fine = np.linspace(lo, hi, 4097)
    fine_difference = _difference(scenario, catalog, param.key, fine)
    crossing = np.flatnonzero(np.sign(fine_difference) != np.sign(base))
    if crossing.size == 0:
        return float(grid[nearest])
    ordered = crossing if grid[nearest] > base_value else crossing[::-1]
    return float(fine[ordered[0]])


# ---------------------------------------------------------------------------------------
# Monte Carlo


def unit_economics_draws(
    scenario: Scenario,
    catalog: Catalog | None = None,
    values: Mapping[str, npt.ArrayLike] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Monthly cost and requests per month for each draw, each priced by
    :func:`planner.costing.economics.evaluate` itself: the one model, not a copy of it.

    ``values`` maps parameter keys to one value per draw; every other input keeps the
    scenario's value. A draw the model cannot price (e.g. a model that no longer fits its
    GPU) is NaN, and the percentiles leave it out.
    """
    catalog = catalog or load_catalog()
    columns = {k: np.asarray(v, dtype=np.float64).ravel() for k, v in (values or {}).items()}
    draws = len(next(iter(columns.values()))) if columns else 1
    monthly = np.full(draws, np.nan)
    requests = np.full(draws, np.nan)
    for index in range(draws):
        drawn = scenario
        for key, column in columns.items():
            drawn = with_value(drawn, key, float(column[index]))
        try:
            economics = evaluate(drawn, catalog)
        except PlannerInputError:
            continue
        monthly[index] = economics.monthly_cost_usd
        requests[index] = economics.requests_per_month
    return monthly, requests


def draw(spread: Spread, samples: int, rng: np.random.Generator) -> FloatArray:
    """Samples of one parameter between its low and high value.

    >>> p = Parameter(key="k", label="k", unit="", scope=Scope.UNIT_ECONOMICS)
    >>> s = Spread(parameter=p, base=5, low=2, likely=5, high=6,
    ...            distribution=Distribution.PERT, from_range=True)
    >>> x = draw(s, 1000, np.random.default_rng(0))
    >>> bool(x.min() >= 2 and x.max() <= 6)
    True
    """
    low, likely, high = spread.low, spread.likely, spread.high
    if high == low:
        values = np.full(samples, float(low))
    elif spread.distribution is Distribution.PERT:
        alpha = 1 + 4 * (likely - low) / (high - low)
        beta = 1 + 4 * (high - likely) / (high - low)
        values = low + (high - low) * rng.beta(alpha, beta, samples)
    else:
        values = rng.triangular(low, likely, high, samples)
    return np.round(values) if spread.parameter.integer else values


@dataclass(frozen=True, slots=True, kw_only=True)
class Uncertainty:
    """Monte Carlo draws of the outputs and their P10, P50 and P90.

    ``outputs`` holds one array per measured quantity: ``monthly_cost``,
    ``cost_per_request`` (when there are requests) and, with a build-vs-buy section,
    ``build_tco``, ``buy_tco`` and ``tco_difference``. ``fan`` holds the percentiles of the
    cumulative cost of building and of buying, by month.
    """

    samples: int
    spreads: tuple[Spread, ...]
    outputs: Mapping[str, FloatArray]
    fan: pd.DataFrame | None
    # Why fewer draws were made than asked (empty when all were).
    note: str = ""

    def percentiles(self) -> pd.DataFrame:
        """P10, P50 and P90 and the mean of each output, over the draws that could be priced
        (NaN where none could)."""
        rows: list[dict[str, str | float]] = []
        for name, values in self.outputs.items():
            finite = values[np.isfinite(values)]
            if finite.size == 0:  # no draw could be priced: NaN says so, where NumPy would warn
                rows.append(
                    {
                        "output": name,
                        "p10": math.nan,
                        "p50": math.nan,
                        "p90": math.nan,
                        "mean": math.nan,
                    }
                )
                continue
            p10, p50, p90 = np.percentile(finite, PERCENTILES)
            rows.append(
                {
                    "output": name,
                    "p10": float(p10),
                    "p50": float(p50),
                    "p90": float(p90),
                    "mean": float(finite.mean()),
                }
            )
        return pd.DataFrame(rows, columns=["output", "p10", "p50", "p90", "mean"])

    @property
    def probability_build_cheaper(self) -> float | None:
        difference = self.outputs.get(str(Output.TCO_DIFFERENCE))
        if difference is None:
            return None
        return float(np.mean(difference < 0))


OUTPUT_NAMES: Mapping[str, str] = {
    "monthly_cost": "Monthly cost",
    "cost_per_request": "Cost per request",
    "build_tco": "Build over the horizon",
    "buy_tco": "Buy over the horizon",
    "tco_difference": "Build minus buy",
}


def monte_carlo(
    scenario: Scenario,
    catalog: Catalog | None = None,
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> Uncertainty:
    """Draw every key parameter at once and price every draw with the one model.

    Parameters are drawn independently. Draws are reproducible for a given ``seed``. The
    build-vs-buy model prices all draws in one vectorised pass; the system's cost prices
    each draw through :func:`planner.costing.economics.evaluate`, so its work is samples × (jobs +
    endpoints), bounded by :data:`MAX_SAMPLES`.

    Raises
    ------
    PlannerInputError
        For a bad sample count or range, or when a draw's team fits no SaaS plan.
    """
    if not MIN_SAMPLES <= samples <= MAX_SAMPLES:
        raise PlannerInputError(
            f"{samples:,} Monte Carlo draws is outside {MIN_SAMPLES} to {MAX_SAMPLES:,}",
            fix=f"use {DEFAULT_SAMPLES:,}, the default, or up to {MAX_SAMPLES:,}",
        )
    catalog = catalog or load_catalog()
    rng = np.random.default_rng(seed)
    all_spreads = spreads(scenario, catalog)
    samples, note = _affordable_draws(scenario, len(all_spreads), samples)
    # With nothing to vary, the evaluators return the one base value.
    values = {s.parameter.key: draw(s, samples, rng) for s in all_spreads}
    outputs: dict[str, FloatArray] = {}
    monthly, requests = unit_economics_draws(
        scenario, catalog, {k: v for k, v in values.items() if not k.startswith(_BVB)}
    )
    if has_unit_costs(scenario):
        outputs["monthly_cost"] = monthly
    if evaluate_requests(scenario) > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            outputs["cost_per_request"] = np.where(requests > 0, monthly / requests, np.nan)
    fan = None
    case = scenario.business_case
    if case is not None and case.build_vs_buy is not None:
        arrays = buildbuy.tco_arrays(scenario, catalog, values)
        problem = buildbuy.uncovered_team(arrays, scenario)
        if problem is not None:
            raise problem
        build, buy = arrays.totals()
        outputs.update(build_tco=build, buy_tco=buy, tco_difference=build - buy)
        fan = _fan(arrays, case.build_vs_buy)
    return Uncertainty(samples=samples, spreads=all_spreads, outputs=outputs, fan=fan, note=note)


def _affordable_draws(scenario: Scenario, parameters: int, samples: int) -> tuple[int, str]:
    """The draws a Monte Carlo can make within :data:`MAX_DRAW_WORK`, and a note when that is
    fewer than asked.

    Raises
    ------
    PlannerInputError
        When not even :data:`MIN_SAMPLES` draws fit.
    """
    items = len(scenario.training) + len(scenario.serving)
    per_draw = parameters + items
    affordable = MAX_DRAW_WORK // max(per_draw, 1)
    if samples <= affordable:
        return samples, ""
    work = (
        f"each draw sets {parameters:,} parameters and prices {items:,} jobs and endpoints, "
        f"and a Monte Carlo does at most {MAX_DRAW_WORK:,} of those steps"
    )
    if affordable < MIN_SAMPLES:
        raise PlannerInputError(
            f"Monte Carlo cannot make even {MIN_SAMPLES} draws of this scenario: {work}",
            fix="set ranges on fewer assumptions, or split the system into smaller scenarios",
        )
    return affordable, f"{affordable:,} draws instead of the {samples:,} asked: {work}."


def _fan(arrays: buildbuy.TcoArrays, bvb: BuildVsBuy) -> pd.DataFrame:
    series = {
        bvb.build_label: np.cumsum(arrays.build_monthly, axis=1),
        bvb.saas.product: np.cumsum(arrays.buy_monthly, axis=1),
    }
    parts = []
    for name, cumulative in series.items():
        p10, p50, p90 = np.percentile(cumulative, PERCENTILES, axis=0)
        parts.append(
            pd.DataFrame(
                {
                    "month": np.arange(1, cumulative.shape[1] + 1),
                    "series": name,
                    "p10": p10,
                    "p50": p50,
                    "p90": p90,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------
# Compare


@dataclass(frozen=True, slots=True, kw_only=True)
class ComparedFigure:
    """One number a comparison shows: ``unit`` is ``usd``, ``usd_per_month``,
    ``usd_per_request``, ``fraction``, ``month`` or ``seats``."""

    key: str
    label: str
    unit: str
    value: float | None


_TCO_FIGURES = (
    ("build_usd", "Build over the horizon", "usd"),
    ("buy_usd", "Buy over the horizon", "usd"),
    ("tco_difference_usd", "Build minus buy", "usd"),
    ("break_even_month", "Break-even month", "month"),
    ("break_even_team_size", "Break-even team size", "seats"),
)


def figures(scenario: Scenario, catalog: Catalog | None = None) -> tuple[ComparedFigure, ...]:
    """The headline numbers of a scenario, the same list for every scenario.

    Raises
    ------
    PlannerInputError
        If the scenario cannot be evaluated.
    """
    catalog = catalog or load_catalog()
    economics = evaluate(scenario, catalog)
    result: list[ComparedFigure] = [
        ComparedFigure(
            key="monthly_cost_usd",
            label="Monthly cost",
            unit="usd_per_month",
            value=economics.monthly_cost_usd,
        ),
        ComparedFigure(
            key="per_1k_requests_usd",
            label="Per 1,000 requests",
            unit="usd",
            value=economics.per_1k_requests_usd,
        ),
        ComparedFigure(
            key="per_user_usd", label="Per user per month", unit="usd", value=economics.per_user_usd
        ),
        ComparedFigure(
            key="per_training_run_usd",
            label="Per training run",
            unit="usd",
            value=economics.per_training_run_usd,
        ),
        ComparedFigure(
            key="gross_margin", label="Gross margin", unit="fraction", value=economics.gross_margin
        ),
    ]
    for category, amount in economics.breakdown().items():
        result.append(
            ComparedFigure(
                key=f"{category}_usd_per_month",
                label=f"{category.replace('_', ' ').capitalize()} per month",
                unit="usd_per_month",
                value=amount,
            )
        )
    case = scenario.business_case
    if case is not None and case.build_vs_buy is not None:
        bvb = buildbuy.tco(scenario, catalog)
        tco_values: list[float | None] = [
            bvb.build_usd,
            bvb.buy_usd,
            bvb.difference_usd,
            bvb.break_even_month,
            bvb.break_even_team_size,
        ]
    else:
        tco_values = [None] * 5
    for (key, label, unit), value in zip(_TCO_FIGURES, tco_values, strict=True):
        result.append(ComparedFigure(key=key, label=label, unit=unit, value=value))
    return tuple(result)


def format_figure(unit: str, value: float | None, *, delta: bool = False) -> str:
    """A figure (or a difference between two) for people.

    >>> format_figure("usd", -1234.5, delta=True), format_figure("fraction", 0.25)
    ('−$1,234', '25.0%')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = "−" if value < 0 else ""
    if delta:
        sign = "+" if value > 0 else (sign or "±")
    value = abs(value)
    if unit == "fraction":
        return f"{sign}{value * 100:.1f}{' pts' if delta else '%'}"
    if unit in {"month", "seats"}:
        return f"{sign}{value:,.0f}"
    return sign + usd(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """Two to four scenarios' figures, and each one's difference from the first."""

    names: tuple[str, ...]
    figures: tuple[tuple[ComparedFigure, ...], ...]

    def deltas(self, index: int) -> tuple[float | None, ...]:
        """Figure by figure, scenario ``index`` minus the first (``None`` if either is
        missing)."""
        return tuple(
            None if f.value is None or b.value is None else f.value - b.value
            for f, b in zip(self.figures[index], self.figures[0], strict=True)
        )

    def headline(self) -> pd.DataFrame:
        """The money figures worth a chart, long form: ``scenario``, ``figure``, ``usd``.

        Build and buy over the horizon when any scenario has them, else the monthly cost.
        """
        wanted: tuple[str, ...] = ("build_usd", "buy_usd")
        if all(f.value is None for fs in self.figures for f in fs if f.key in wanted):
            wanted = ("monthly_cost_usd",)
        rows = [
            {"scenario": name, "figure": f.label, "usd": f.value}
            for name, fs in zip(self.names, self.figures, strict=True)
            for f in fs
            if f.key in wanted and f.value is not None
        ]
        return pd.DataFrame(rows, columns=["scenario", "figure", "usd"])

    def frame(self) -> pd.DataFrame:
        """Rows are figures (those not missing or zero in every scenario); columns hold each
        scenario's value and, after the first, its difference from the first, for people."""
        rows = []
        for row, base in enumerate(self.figures[0]):
            column_values = [fs[row].value for fs in self.figures]
            if all(not v for v in column_values):
                continue  # a figure no scenario has, or zero in all of them
            record: dict[str, str] = {"Figure": base.label}
            for index, name in enumerate(self.names):
                record[name] = format_figure(base.unit, column_values[index])
                if index:
                    record[f"Δ {name}"] = format_figure(
                        base.unit, self.deltas(index)[row], delta=True
                    )
            rows.append(record)
        return pd.DataFrame(rows)


def _model_inputs(scenario: Scenario) -> Scenario:
    """The scenario without its words and variants: what the numbers depend on."""
    case = scenario.business_case
    return replace(
        scenario,
        title="",
        description="",
        sources=(),
        business_case=None if case is None else replace(case, question="", variants=()),
    )


def compare(entries: Sequence[tuple[str, Scenario]], catalog: Catalog | None = None) -> Comparison:
    """Compare two to four named scenarios; the first is the baseline for the differences.

    Raises
    ------
    PlannerInputError
        For fewer than two or more than four scenarios, two that are the same (the same
        numbers, whatever their titles), or a scenario the model rejects.

    >>> from planner.scenario import Scenario
    >>> compare([("A", Scenario()), ("B", Scenario(title="Copy"))])
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: Scenario 2 (B) is the same as scenario 1 (A): \
comparing a scenario with itself shows no differences. To fix: change an assumption in one of \
them, or pick another scenario.
    """
    if not 2 <= len(entries) <= MAX_COMPARED:
        raise PlannerInputError(
            f"Compare takes 2 to {MAX_COMPARED} scenarios, not {len(entries)}",
            fix="pick between two and four",
        )
    catalog = catalog or load_catalog()
    seen: dict[Scenario, tuple[int, str]] = {}
    for position, (name, scenario) in enumerate(entries, start=1):
        inputs = _model_inputs(scenario)
        if inputs in seen:
            first, other = seen[inputs]
            raise PlannerInputError(
                f"Scenario {position} ({name}) is the same as scenario {first} ({other}): "
                "comparing a scenario with itself shows no differences",
                fix="change an assumption in one of them, or pick another scenario",
            )
        seen[inputs] = (position, name)
    names = _unique_names([name for name, _ in entries])
    results = []
    for name, scenario in zip(names, (s for _, s in entries), strict=True):
        try:
            results.append(figures(scenario, catalog))
        except PlannerInputError as error:
            raise PlannerInputError(f"{name}: {error}") from None
    return Comparison(names=tuple(names), figures=tuple(results))


def _unique_names(names: Sequence[str]) -> list[str]:
    unique: list[str] = []
    for name in names:
        candidate, n = name, 2
        while candidate in unique:
            candidate, n = f"{name} ({n})", n + 1
        unique.append(candidate)
    return unique
