"""The scenario: one versioned description of a whole ML system's costs.

Every section is a frozen dataclass. The same classes are the schema: pydantic validates
them at the edge (YAML files, share links, widgets) through :data:`SCENARIO_ADAPTER`, and the
planner works on the validated, immutable objects. A what-if variant is
``dataclasses.replace(base, ...)``.

A scenario describes each part of the system once. ``training`` lists the training jobs
(:class:`~planner.training.TrainingJob`) and ``serving`` the endpoints
(:class:`~planner.serving.Endpoint`), each at whatever depth the user knows; every page, the
CLI and the report price them through the same functions. No figure the planner computes is
stored here.

Evolving the schema
-------------------
New fields come with defaults, so old files and links keep loading and a default is never
written out. A change that renames or removes a field bumps :data:`SCHEMA_VERSION` and adds
a step to ``_MIGRATIONS`` that upgrades the older mapping and says what it changed.

>>> s = parse_scenario_yaml("title: Demo\\nserving:\\n  - name: api\\n    instance_type: g5.xlarge")
>>> s.serving[0].instance_type
'g5.xlarge'
>>> dump_scenario_yaml(s).splitlines()[:2]
['schema_version: 2', 'title: Demo']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar

import yaml
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from planner.business_case import BusinessCase
from planner.catalog import Pricing
from planner.errors import PlannerInputError
from planner.fields import STRICT, Fraction, Name, NonNegative, Text
from planner.finops import FinOps
from planner.migrations import MIGRATIONS
from planner.serving import Endpoint
from planner.stated import StatedFigure
from planner.training import TrainingJob

SCHEMA_VERSION = 2
MAX_YAML_BYTES = 256 * 1024
MAX_YAML_DEPTH = 40
MAX_YAML_NUMBER_CHARS = 100
# An error message names at most this many bad fields.
MAX_PROBLEMS_SHOWN = 10


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
    adds up the endpoints' traffic.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    monthly_active_users: Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)] | None = None
    requests_per_day: Annotated[float, Field(ge=0, le=1e13, allow_inf_nan=False)] | None = None
    price_per_request_usd: NonNegative | None = None
    monthly_traffic_growth: Annotated[float, Field(ge=-0.5, le=1, allow_inf_nan=False)] = 0.0
    projection_months: Annotated[int, Field(ge=12, le=36)] = 24


def _unique_names(items: tuple[Any, ...], what: str) -> None:
    names = [item.name for item in items]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"two {what} are named {repeated[0]!r}: each needs its own name, because pages, "
            f"links and the CLI (--job, --endpoint) find it by name. To fix: rename one"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A whole ML system: what it trains, serves, stores and pays for."""

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    schema_version: Annotated[int, Field(ge=1, le=SCHEMA_VERSION)] = SCHEMA_VERSION
    title: Annotated[str, Field(max_length=200)] = "Untitled scenario"
    description: Text = ""
    sources: tuple[Text, ...] = ()
    pricing: Pricing = Pricing()
    training: Annotated[tuple[TrainingJob, ...], Field(max_length=20)] = ()
    serving: Annotated[tuple[Endpoint, ...], Field(max_length=20)] = ()
    storage: Annotated[tuple[StorageItem, ...], Field(max_length=50)] = ()
    data_transfer: Annotated[tuple[DataTransferItem, ...], Field(max_length=50)] = ()
    tooling: Annotated[tuple[ToolingItem, ...], Field(max_length=50)] = ()
    business: Business = Business()
    stated: Annotated[tuple[StatedFigure, ...], Field(max_length=50)] = ()
    business_case: BusinessCase | None = None
    finops: FinOps | None = None

    def __post_init__(self) -> None:
        _unique_names(self.training, "training jobs")
        _unique_names(self.serving, "endpoints")

    def job(self, name: str) -> TrainingJob:
        """The training job called ``name``.

        Raises
        ------
        PlannerInputError
            Naming the jobs there are.
        """
        return _named(self.training, name, "training job", "--job")

    def endpoint(self, name: str) -> Endpoint:
        """The endpoint called ``name``.

        Raises
        ------
        PlannerInputError
            Naming the endpoints there are.
        """
        return _named(self.serving, name, "endpoint", "--endpoint")


_Item = TypeVar("_Item", TrainingJob, Endpoint)


def _named(items: tuple[_Item, ...], name: str, what: str, flag: str) -> _Item:
    for item in items:
        if item.name == name:
            return item
    known = ", ".join(repr(item.name) for item in items) or "none"
    raise PlannerInputError(
        f"this scenario has no {what} named {name!r} (it has: {known})",
        fix=f"use one of those names with {flag}",
    )


SCENARIO_ADAPTER: TypeAdapter[Scenario] = TypeAdapter(Scenario)


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
        if item["type"] == "value_error" and isinstance(item.get("input"), Mapping):
            # A rule across a section's fields: the message names them; its mapping would not.
            message = str(item["msg"]).removeprefix("Value error, ")
            lines.append(f"{path}{_name_for(data, loc)}: {message}")
            continue
        shown = repr(item.get("input"))
        if len(shown) > 60:
            shown = shown[:57] + "..."
        lines.append(f"{path}{_name_for(data, loc)} = {shown}: {item['msg']}")
    if len(items) > MAX_PROBLEMS_SHOWN:
        lines.append(f"and {len(items) - MAX_PROBLEMS_SHOWN:,} more problems")
    return "; ".join(lines)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A validated scenario and the notes on how it was upgraded from an older version."""

    scenario: Scenario
    notes: tuple[str, ...] = ()


def load_mapping(data: object) -> Loaded:
    """Validate a plain mapping (from YAML, JSON or a link) into a :class:`Scenario`,
    upgrading an older schema version first and saying what changed.

    Raises
    ------
    PlannerInputError
        Naming each bad field, the value it had and what is allowed.

    >>> load_mapping({"serving": [{"name": "api", "traffic": {"requests_per_day": -1}}]})
    Traceback (most recent call last):
    ...
    planner.errors.PlannerInputError: Invalid scenario: serving[0].traffic.requests_per_day \
("api") = -1: Input should be greater than or equal to 0. To fix: correct the field named above.
    >>> old = {"schema_version": 1, "serving": [{"name": "api", "requests_per_day": 864}]}
    >>> loaded = load_mapping(old)
    >>> loaded.scenario.serving[0].traffic.requests_per_day, len(loaded.notes)
    (864.0, 1)
    """
    if not isinstance(data, Mapping):
        raise PlannerInputError(
            f"A scenario must be a mapping of sections, not {type(data).__name__}",
            fix="start from scenarios/blank.yaml",
        )
    upgraded, notes = _upgrade(dict(data))
    try:
        return Loaded(SCENARIO_ADAPTER.validate_python(upgraded), tuple(notes))
    except ValidationError as error:
        described = _describe(error, upgraded)
        raise PlannerInputError(
            f"Invalid scenario: {described}",
            fix=None if "To fix:" in described else "correct the field named above",
        ) from None


def scenario_from_mapping(data: object) -> Scenario:
    """:func:`load_mapping` without the upgrade notes, for mappings made in code."""
    return load_mapping(data).scenario


# Sections only version 1 had: a mapping that holds them and states no version is version 1.
_V1_ONLY = ("training_plan", "serving_plan")


def _upgrade(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    default = 1 if any(key in data for key in _V1_ONLY) else SCHEMA_VERSION
    version = data.get("schema_version", default)
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
    notes: list[str] = []
    while version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            raise PlannerInputError(
                f"schema_version {version} is no longer supported",
                fix=f"re-export the scenario with schema_version {SCHEMA_VERSION}",
            )
        data, said = MIGRATIONS[version](data)
        notes.extend(said)
        version += 1
        data["schema_version"] = version
    return data, notes


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
    """:func:`read_scenario_yaml` without the upgrade notes."""
    return read_scenario_yaml(text).scenario


def read_scenario_yaml(text: str) -> Loaded:
    """Parse YAML text into a validated scenario, upgraded from an older version if need be.

    Raises
    ------
    PlannerInputError
        For oversized text, malformed YAML (with line and column) or invalid fields.

    >>> read_scenario_yaml("title: [unclosed")
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
    return load_mapping(data)


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
