"""The scenario: one versioned description of a whole ML system's costs.

Every section is a frozen dataclass. The same classes are the schema: pydantic validates
them at the edge (YAML files, share links, widgets) through :data:`SCENARIO_ADAPTER`, and the
planner works on the validated, immutable objects. A what-if variant is
``dataclasses.replace(base, ...)``.

Evolving the schema
-------------------
New sections are added as fields with defaults, so old files and links keep loading and a
default is never written out. A capability's section (training plan, serving plan, FinOps,
build vs buy...) is defined in that capability's own module, which imports this module only
under ``TYPE_CHECKING`` to avoid an import cycle, and joins :class:`Scenario` as one
optional field, e.g. ``training_plan: TrainingPlan | None = None``. A change that renames
or removes a field bumps :data:`SCHEMA_VERSION` and adds a step to ``_MIGRATIONS`` that
upgrades the older mapping.

>>> s = parse_scenario_yaml("title: Demo\\nserving:\\n  - name: api\\n    requests_per_day: 1000")
>>> s.serving[0].requests_per_day
1000.0
>>> dump_scenario_yaml(s).splitlines()[:2]
['schema_version: 1', 'title: Demo']
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import yaml
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from planner.business_case import BusinessCase
from planner.catalog import PriceOverride, PriceTier
from planner.errors import PlannerInputError
from planner.fields import (
    STRICT,
    Count,
    Fraction,
    Name,
    NonNegative,
    PositiveCount,
    Text,
    Utilisation,
)
from planner.finops import FinOps
from planner.serving import ServingPlan
from planner.training import TrainingPlan

SCHEMA_VERSION = 1
MAX_YAML_BYTES = 256 * 1024
MAX_YAML_DEPTH = 40
MAX_YAML_NUMBER_CHARS = 100
# An error message names at most this many bad fields.
MAX_PROBLEMS_SHOWN = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class Pricing:
    """How instances are priced unless a workload says otherwise.

    The reserved discounts are fractions off on-demand, used only where the catalog has no
    published commitment price. ``None`` takes the catalog's documented assumption.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    default_tier: PriceTier = PriceTier.ON_DEMAND
    reserved_1y_discount: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] | None = None
    reserved_3y_discount: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] | None = None
    overrides: tuple[PriceOverride, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingWorkload:
    """A model that is retrained on a schedule: instances × hours × runs."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name
    instance_type: str = "p4d.24xlarge"
    instance_count: PositiveCount = 1
    hours_per_run: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)] = 24.0
    runs_per_month: Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)] = 1.0
    price_tier: PriceTier | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingWorkload:
    """An endpoint: traffic, and how many requests one instance serves per second.

    The fleet is sized for the peak hour, ``requests_per_day / 86,400 × peak_to_average``,
    with each instance loaded to ``target_utilization`` of its measured throughput, and runs
    around the clock. The serving issue replaces this with an hourly, autoscaled model.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name
    requests_per_day: Annotated[float, Field(ge=0, le=1e13, allow_inf_nan=False)]
    instance_type: str = "g5.xlarge"
    requests_per_second_per_instance: Annotated[float, Field(gt=0, le=1e7, allow_inf_nan=False)] = (
        100.0
    )
    target_utilization: Utilisation = 0.6
    peak_to_average: Annotated[float, Field(ge=1, le=100, allow_inf_nan=False)] = 1.0
    min_instances: Count = 1
    price_tier: PriceTier | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageItem:
    """Data kept at rest: datasets, features, checkpoints, artifacts."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name
    gb: Annotated[float, Field(ge=0, le=1e10, allow_inf_nan=False)]
    usd_per_gb_month: NonNegative | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DataTransferItem:
    """Data sent out each month. It grows with traffic in the projection."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name
    gb_per_month: Annotated[float, Field(ge=0, le=1e10, allow_inf_nan=False)]
    usd_per_gb: NonNegative | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolingItem:
    """A platform or tool cost (feature store, tracking, monitoring...).

    ``share`` is the fraction of a shared cost that this system carries, e.g. 1/12 of a
    platform that serves 12 models.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name
    usd_per_month: Annotated[float, Field(ge=0, le=1e10, allow_inf_nan=False)]
    share: Fraction = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Business:
    """Business figures for unit costs, margin and the projection.

    ``requests_per_day`` is the product's own request count. Leave it out and the planner
    adds up the serving workloads' traffic.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    monthly_active_users: Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)] | None = None
    requests_per_day: Annotated[float, Field(ge=0, le=1e13, allow_inf_nan=False)] | None = None
    price_per_request_usd: NonNegative | None = None
    monthly_traffic_growth: Annotated[float, Field(ge=-0.5, le=1, allow_inf_nan=False)] = 0.0
    projection_months: Annotated[int, Field(ge=12, le=36)] = 24


class StatedUnit(enum.StrEnum):
    """Units a published or quoted figure can be stated in."""

    USD_PER_REQUEST = "usd_per_request"
    USD_PER_DAY = "usd_per_day"
    USD_PER_MONTH = "usd_per_month"
    USD_PER_QUARTER = "usd_per_quarter"
    USD_PER_YEAR = "usd_per_year"
    USD_PER_RUN = "usd_per_run"
    USD_PER_GPU_HOUR = "usd_per_gpu_hour"


@dataclass(frozen=True, slots=True, kw_only=True)
class StatedFigure:
    """A figure someone published or quoted, kept so the planner can check it.

    Stated figures never feed the model. The assumption checks compare them with each other
    and with what the model computes. ``workload`` ties a per-run or per-GPU-hour figure to a
    training workload by name.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    name: Name
    value: Annotated[float, Field(gt=0, le=1e13, allow_inf_nan=False)]
    unit: StatedUnit
    workload: str | None = None
    note: Text = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A whole ML system: what it trains, serves, stores and pays for."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    schema_version: Annotated[int, Field(ge=1, le=SCHEMA_VERSION)] = SCHEMA_VERSION
    title: Annotated[str, Field(max_length=200)] = "Untitled scenario"
    description: Text = ""
    sources: tuple[Text, ...] = ()
    pricing: Pricing = Pricing()
    training: Annotated[tuple[TrainingWorkload, ...], Field(max_length=50)] = ()
    serving: Annotated[tuple[ServingWorkload, ...], Field(max_length=50)] = ()
    storage: Annotated[tuple[StorageItem, ...], Field(max_length=50)] = ()
    data_transfer: Annotated[tuple[DataTransferItem, ...], Field(max_length=50)] = ()
    tooling: Annotated[tuple[ToolingItem, ...], Field(max_length=50)] = ()
    business: Business = Business()
    stated: Annotated[tuple[StatedFigure, ...], Field(max_length=50)] = ()
    training_plan: TrainingPlan | None = None
    business_case: BusinessCase | None = None
    finops: FinOps | None = None
    serving_plan: ServingPlan | None = None


SCENARIO_ADAPTER: TypeAdapter[Scenario] = TypeAdapter(Scenario)

# Upgrades from version k to k + 1, applied in order to an older mapping before validation.
_MIGRATIONS: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "scenario"


def _lookup(data: object, loc: tuple[int | str, ...]) -> object:
    for part in loc:
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list | tuple) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _name_for(data: object, loc: tuple[int | str, ...]) -> str:
    """``serving[0]`` reads better as ``serving[0] "recommender"`` when it has a name."""
    for cut in range(len(loc), 0, -1):
        if isinstance(loc[cut - 1], int):
            named = _lookup(data, loc[:cut])
            if isinstance(named, Mapping) and isinstance(named.get("name"), str):
                return f' ("{named["name"]}")'
            break
    return ""


def _describe(error: ValidationError, data: object) -> str:
    lines = []
    items = error.errors(include_url=False)
    for item in items[:MAX_PROBLEMS_SHOWN]:
        loc = tuple(item["loc"])
        path = _field_path(loc)
        if len(path) > 100:
            path = path[:97] + "..."
        if item["type"] in {"unexpected_keyword_argument", "extra_forbidden"}:
            lines.append(f"{path}{_name_for(data, loc)}: unknown field")
            continue
        if item["type"] == "missing" or item["type"] == "missing_keyword_argument":
            lines.append(f"{path}{_name_for(data, loc)}: required field is missing")
            continue
        shown = repr(item.get("input"))
        if len(shown) > 60:
            shown = shown[:57] + "..."
        lines.append(f"{path}{_name_for(data, loc)} = {shown}: {item['msg']}")
    if len(items) > MAX_PROBLEMS_SHOWN:
        lines.append(f"and {len(items) - MAX_PROBLEMS_SHOWN:,} more problems")
    return "; ".join(lines)


def scenario_from_mapping(data: object) -> Scenario:
    """Validate a plain mapping (from YAML, JSON or a link) into a :class:`Scenario`.

    Raises
    ------
    PlannerInputError
        Naming each bad field, the value it had and what is allowed.

    >>> scenario_from_mapping({"serving": [{"name": "api", "requests_per_day": -1}]})
    Traceback (most recent call last):
    ...
    planner.errors.PlannerInputError: Invalid scenario: serving[0].requests_per_day ("api") = -1: \
Input should be greater than or equal to 0. To fix: correct the field named above.
    """
    if not isinstance(data, Mapping):
        raise PlannerInputError(
            f"A scenario must be a mapping of sections, not {type(data).__name__}",
            fix="start from scenarios/blank.yaml",
        )
    upgraded = _upgrade(dict(data))
    try:
        return SCENARIO_ADAPTER.validate_python(upgraded)
    except ValidationError as error:
        raise PlannerInputError(
            f"Invalid scenario: {_describe(error, upgraded)}",
            fix="correct the field named above",
        ) from None


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise PlannerInputError(
            f"schema_version = {version!r} is not a whole number",
            fix=f"use schema_version: {SCHEMA_VERSION}",
        )
    if version > SCHEMA_VERSION:
        raise PlannerInputError(
            f"This scenario uses schema_version {version}, newer than this planner's "
            f"{SCHEMA_VERSION}",
            fix="update the planner, or remove fields it does not know",
        )
    while version < SCHEMA_VERSION:
        if version not in _MIGRATIONS:
            raise PlannerInputError(
                f"schema_version {version} is no longer supported",
                fix=f"re-export the scenario with schema_version {SCHEMA_VERSION}",
            )
        data = _MIGRATIONS[version](data)
        version += 1
        data["schema_version"] = version
    return data


def scenario_to_mapping(scenario: Scenario, *, omit_defaults: bool = False) -> dict[str, Any]:
    """The scenario as plain JSON-compatible data; ``omit_defaults`` keeps links short.

    ``schema_version`` is always written, so a reader knows which schema to apply.
    """
    data: dict[str, Any] = SCENARIO_ADAPTER.dump_python(
        scenario, mode="json", exclude_defaults=omit_defaults
    )
    return {"schema_version": scenario.schema_version, **data}


class _NoAliasLoader(yaml.SafeLoader):
    """Safe loading, minus anchors and aliases: a scenario never needs them, and they are
    how a small YAML file expands into a huge document ("billion laughs"). Nesting deeper
    than :data:`MAX_YAML_DEPTH` and integers longer than :data:`MAX_YAML_NUMBER_CHARS` are
    refused too: PyYAML composes recursively, and turns long digit strings into huge ints."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
            raise PlannerInputError(
                f"YAML aliases (*name) are not accepted (line {line})",
                fix="write the value out in full",
            )
        if self._depth >= MAX_YAML_DEPTH:
            line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
            raise PlannerInputError(
                f"The YAML is nested more than {MAX_YAML_DEPTH} levels deep (line {line})",
                fix="a scenario is a few levels deep; check the brackets and indentation",
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: Any) -> Any:
        if len(node.value) > MAX_YAML_NUMBER_CHARS:
            raise PlannerInputError(
                f"line {node.start_mark.line + 1}: a number {len(node.value):,} characters "
                f"long is not a scenario value",
                fix="write it plainly, e.g. 1e12",
            )
        return super().construct_yaml_int(node)


_NoAliasLoader.add_constructor("tag:yaml.org,2002:int", _NoAliasLoader.construct_yaml_int)


def parse_scenario_yaml(text: str) -> Scenario:
    """Parse YAML text into a validated scenario.

    Raises
    ------
    PlannerInputError
        For oversized text, malformed YAML (with line and column) or invalid fields.

    >>> parse_scenario_yaml("title: [unclosed")
    Traceback (most recent call last):
    ...
    planner.errors.PlannerInputError: This is not valid YAML: line 1, column 17: expected ',' or \
']', but got '<stream end>'. To fix: check the indentation and brackets near that line.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_YAML_BYTES:
        raise PlannerInputError(
            f"The scenario file is larger than {MAX_YAML_BYTES // 1024} KiB",
            fix="a scenario file is a few KiB; check that this is the right file",
        )
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise PlannerInputError(
            f"This is not valid YAML: {where}{error.problem or error}",
            fix="check the indentation and brackets near that line",
        ) from None
    except yaml.YAMLError as error:
        raise PlannerInputError(f"This is not valid YAML: {error}") from None
    if data is None:
        raise PlannerInputError("The scenario file is empty", fix="start from scenarios/blank.yaml")
    return scenario_from_mapping(data)


class _ExactDumper(yaml.SafeDumper):
    """Safe dumping that reads back exactly: text holding a character YAML 1.1 treats as a
    line break (NEL, LS, PS) is double-quoted, where it is escaped; the other styles fold it
    into a space."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if any(ch in text for ch in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ExactDumper.add_representer(str, _represent_str)


def dump_scenario_yaml(scenario: Scenario) -> str:
    """YAML text that :func:`parse_scenario_yaml` reads back to an equal scenario.

    >>> parse_scenario_yaml(dump_scenario_yaml(Scenario(title="a\\x85b"))).title == "a\\x85b"
    True
    """
    return yaml.dump(
        scenario_to_mapping(scenario, omit_defaults=True),
        Dumper=_ExactDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


def validated(scenario: Scenario) -> Scenario:
    """Re-check a scenario built in code (e.g. with ``replace``) against the schema."""
    return scenario_from_mapping(scenario_to_mapping(scenario))
