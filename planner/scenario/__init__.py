"""The scenario: one versioned description of a whole ML system's costs.

Every section is a frozen dataclass. The same classes are the schema: pydantic validates
them at the edge (YAML files, share links, widgets) through :data:`SCENARIO_ADAPTER`, and the
planner works on the validated, immutable objects. A what-if variant is
``dataclasses.replace(base, ...)``.

A scenario describes each part of the system once. ``training`` lists the training jobs
(:class:`~planner.costing.training.TrainingJob`) and ``serving`` the endpoints
(:class:`~planner.costing.serving.Endpoint`), each at whatever depth the user knows; every page, the
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

import enum
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar

import yaml
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from planner.catalog import PriceTier, Pricing
from planner.core.errors import PlannerInputError
from planner.core.fields import STRICT, Fraction, Name, NonNegative, Text
from planner.scenario.business_case import BusinessCase
from planner.scenario.commitments import CommitmentPolicy
from planner.scenario.finops import FinOps
from planner.scenario.migrations import MIGRATIONS
from planner.scenario.planning import BudgetPlan
from planner.scenario.serving import Endpoint
from planner.scenario.stated import StatedFigure
from planner.scenario.training import RunPricing, TrainingJob

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


class RequestUnit(enum.StrEnum):
    """What one request is to the product's users: the unit costs are "per conversation" for
    a chatbot. It names the figures only; every request is priced alike."""

    REQUEST = "request"
    CONVERSATION = "conversation"


@dataclass(frozen=True, slots=True, kw_only=True)
class Business:
    """Business figures for unit costs, margin and the projection.

    ``requests_per_day`` is the product's own request count. Leave it out and the planner
    adds up the endpoints' traffic. ``request_unit`` is what the unit costs are per.
    """

    __pydantic_config__: ClassVar[ConfigDict] = STRICT
    monthly_active_users: Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)] | None = None
    requests_per_day: Annotated[float, Field(ge=0, le=1e13, allow_inf_nan=False)] | None = None
    price_per_request_usd: NonNegative | None = None
    monthly_traffic_growth: Annotated[float, Field(ge=-0.5, le=1, allow_inf_nan=False)] = 0.0
    projection_months: Annotated[int, Field(ge=12, le=36)] = 24
    request_unit: RequestUnit = RequestUnit.REQUEST


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
    commitments: CommitmentPolicy | None = None
    budget_plan: BudgetPlan | None = None

    def __post_init__(self) -> None:
        _unique_names(self.training, "training jobs")
        _unique_names(self.serving, "endpoints")
        if self.commitments is not None:
            _commitments_in_one_place(self)

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


def _commitments_in_one_place(scenario: Scenario) -> None:
    """With a scenario-wide portfolio, no endpoint or job buys commitments of its own: the
    same hours would be committed twice."""
    reserved = {PriceTier.RESERVED_1Y, PriceTier.RESERVED_3Y}
    for endpoint in scenario.serving:
        if reserved & set(endpoint.mix.tiers):
            raise ValueError(
                f"endpoint {endpoint.name!r} buys reservations of its own, and the scenario's "
                "commitments section plans them for the whole system. To fix: remove "
                "reserved_1y and reserved_3y from its mix tiers, or remove the commitments "
                "section"
            )
    for job in scenario.training:
        if job.pricing in (RunPricing.RESERVED_1Y, RunPricing.RESERVED_3Y):
            raise ValueError(
                f"training job {job.name!r} is priced {job.pricing.value}, and the scenario's "
                "commitments section plans commitments for the whole system. To fix: price "
                "it on_demand or spot, or remove the commitments section"
            )


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


def _node_at(node: yaml.Node | None, loc: tuple[int | str, ...]) -> yaml.Node | None:
    """The YAML node a field's location points at, if the document has it."""
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next(
                (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part),
                None,
            )
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            return None
    return node


def _clip(text: str) -> str:
    """A value as a message shows it: one line of at most 60 characters."""
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(value: object) -> str:
    """A value from a link or a widget as JSON writes it: ``"NO"``, ``false``, ``null``, ``-1``.

    >>> _plain("NO"), _plain(False), _plain(None), _plain(-1), _plain([1, "a"])
    ('"NO"', 'false', 'null', '-1', '[1, "a"]')
    """
    try:
        return _clip(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError):  # not JSON data (a value built in code)
        return _clip(str(value))


def _describe(error: ValidationError, data: object, source: tuple[str, yaml.Node] | None) -> str:
    """Each bad field, its value and the rule; from YAML, the value as written and its line."""
    lines = []
    items = error.errors(include_url=False)
    for item in items[:MAX_PROBLEMS_SHOWN]:
        loc = tuple(item["loc"])
        path = _field_path(loc)
        if len(path) > 100:
            path = path[:97] + "..."
        path += _name_for(data, loc)
        node = _node_at(source[1], loc) if source is not None else None
        if node is not None:
            path = f"line {node.start_mark.line + 1}: {path}"
        if item["type"] in {"unexpected_keyword_argument", "extra_forbidden"}:
            lines.append(f"{path}: unknown field")
            continue
        if item["type"] == "missing" or item["type"] == "missing_keyword_argument":
            lines.append(f"{path}: required field is missing")
            continue
        if item["type"] == "value_error" and isinstance(item.get("input"), Mapping):
            # A rule across a section's fields: the message names them; its mapping would not.
            message = str(item["msg"]).removeprefix("Value error, ")
            lines.append(f"{path}: {message}")
            continue
        if source is not None and node is not None:
            shown = _clip(source[0][node.start_mark.index : node.end_mark.index])
        else:
            shown = _plain(item.get("input"))
        lines.append(f"{path} = {shown}: {item['msg']}")
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
    planner.core.errors.PlannerInputError: Invalid scenario: serving[0].traffic.requests_per_day \
("api") = -1: Input should be greater than or equal to 0. To fix: correct the field named above.
    >>> old = {"schema_version": 1, "serving": [{"name": "api", "requests_per_day": 864}]}
    >>> loaded = load_mapping(old)
    >>> loaded.scenario.serving[0].traffic.requests_per_day, len(loaded.notes)
    (864.0, 1)
    """
    return _from_mapping(data, None)


def _from_mapping(data: object, source: tuple[str, yaml.Node] | None) -> Loaded:
    """:func:`load_mapping`; ``source`` (YAML text and its node tree) lets the message quote
    each bad value as written, with its line."""
    if not isinstance(data, Mapping):
        kind = (
            "a list"
            if isinstance(data, list | tuple)
            else "text"
            if isinstance(data, str)
            else f"the single value {_plain(data)}"
        )
        raise PlannerInputError(
            f"A scenario must be a mapping of sections, not {kind}",
            fix="start from scenarios/blank.yaml",
        )
    upgraded, notes = _upgrade(dict(data))
    try:
        return Loaded(SCENARIO_ADAPTER.validate_python(upgraded), tuple(notes))
    except ValidationError as error:
        # An upgraded mapping's paths are not the file's: quote values only from the file
        # that was validated as written.
        described = _describe(error, upgraded, None if notes else source)
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
            f"schema_version = {_plain(version)} is not a whole number",
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
    data: dict[str, Any] = SCENARIO_ADAPTER.dump_python(scenario, mode="json")
    if omit_defaults:
        lean = SCENARIO_ADAPTER.dump_python(scenario, mode="json", exclude_defaults=True)
        data = _with_negative_zeros(data, lean)
    return {"schema_version": scenario.schema_version, **data}


def _with_negative_zeros(full: Any, lean: Any) -> Any:
    """``lean`` with the -0.0 values it left out as "equal to the default" 0.0 put back:
    they are not the same float, and a round trip keeps every float's bits."""
    if isinstance(full, dict) and isinstance(lean, dict):
        out = {key: _with_negative_zeros(full[key], value) for key, value in lean.items()}
        for key, value in full.items():
            if key in lean:
                continue
            if isinstance(value, float) and math.copysign(1.0, value) < 0:
                out[key] = value
            elif isinstance(value, dict) and (kept := _with_negative_zeros(value, {})):
                out[key] = kept
        return out
    if isinstance(full, list) and isinstance(lean, list) and len(full) == len(lean):
        return [_with_negative_zeros(a, b) for a, b in zip(full, lean, strict=True)]
    return lean


# The YAML 1.2 core schema (yaml.org/spec/1.2.2, section 10.3.2): a plain scalar is null, a
# bool, an int or a float only if it matches these; anything else is a string. PyYAML follows
# YAML 1.1 instead, where ``1:30`` is 90 (base 60), ``010`` is 8 (octal), ``NO`` is false and
# ``2024-01-01`` is a date: values a user did not mean. Each row: tag, pattern, first chars.
_CORE_SCHEMA: tuple[tuple[str, str, str], ...] = (
    ("null", r"~|null|Null|NULL|", "~nN"),
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+.0123456789",
    ),
)
_CORE_PATTERNS = {
    f"tag:yaml.org,2002:{name}": re.compile(rf"(?:{pattern})\Z")
    for name, pattern, _ in _CORE_SCHEMA
}


def _add_core_resolvers(cls: type[yaml.SafeLoader] | type[yaml.SafeDumper]) -> None:
    """Teach a loader or dumper the 1.2 core schema's plain scalars ("" is null too)."""
    for name, _, first in _CORE_SCHEMA:
        tag = f"tag:yaml.org,2002:{name}"
        cls.add_implicit_resolver(
            tag, _CORE_PATTERNS[tag], [*first, ""] if name == "null" else [*first]
        )


_CORE_WORDS = {"bool": "true or false", "int": "a whole number", "float": "a number"}


class _NoAliasLoader(yaml.SafeLoader):
    """Safe loading with YAML 1.2 core-schema scalars, minus anchors and aliases: a scenario
    never needs them, and they are how a small YAML file expands into a huge document
    ("billion laughs"). Nesting deeper than :data:`MAX_YAML_DEPTH`, numbers longer than
    :data:`MAX_YAML_NUMBER_CHARS` (PyYAML composes recursively, and turns long digit strings
    into huge ints) and a key given twice in one mapping (PyYAML keeps the last silently)
    are refused too. YAML 1.2 has no timestamps, binary, sets or merge keys (``<<``)."""

    _depth = 0
    # The core schema's tags (bool, int and float are checked below); ``None`` refuses the rest.
    yaml_constructors: ClassVar[dict[Any, Any]] = {
        tag: construct
        for tag, construct in yaml.SafeLoader.yaml_constructors.items()
        if tag is None or tag.rsplit(":", 1)[-1] in {"str", "seq", "map", "null"}
    }

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

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                line = key_node.start_mark.line + 1
                try:
                    if key in first_line:
                        raise PlannerInputError(
                            f"line {line}: {_clip(str(key_node.value))} is given twice in the "
                            f"same section (first on line {first_line[key]})",
                            fix="keep one of them",
                        )
                    first_line[key] = line
                except TypeError:  # an unhashable key: the base class says so below
                    break
        # The base class's, not SafeConstructor's: that one would expand ``<<`` merge keys.
        return yaml.constructor.BaseConstructor.construct_mapping(self, node, deep=deep)

    def _core_scalar(self, node: Any, kind: str) -> str:
        """The scalar's text, refused unless it is a YAML 1.2 ``kind`` (as an explicit
        ``!!int`` or ``!!bool`` tag can claim), or longer than a scenario number can be."""
        text: str = self.construct_scalar(node)
        line = node.start_mark.line + 1
        if kind != "bool" and len(text) > MAX_YAML_NUMBER_CHARS:
            raise PlannerInputError(
                f"line {line}: a number {len(text):,} characters long is not a scenario value",
                fix="write it plainly, e.g. 1e12",
            )
        if not _CORE_PATTERNS[f"tag:yaml.org,2002:{kind}"].match(text):
            raise PlannerInputError(
                f"line {line}: {_clip(text)} is not {_CORE_WORDS[kind]} (YAML 1.2)",
                fix=f"write {_CORE_WORDS[kind]}, or drop the !!{kind} tag",
            )
        return text

    def construct_yaml_bool(self, node: Any) -> bool:
        return self._core_scalar(node, "bool").lower() == "true"

    def construct_yaml_int(self, node: Any) -> int:
        text = self._core_scalar(node, "int")
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)  # 010 is ten: YAML 1.2 writes octal as 0o10

    def construct_yaml_float(self, node: Any) -> float:
        self._core_scalar(node, "float")
        return float(super().construct_yaml_float(node))


_NoAliasLoader.yaml_implicit_resolvers = {}  # PyYAML's are YAML 1.1's; only ours
_add_core_resolvers(_NoAliasLoader)
_NoAliasLoader.add_constructor("tag:yaml.org,2002:bool", _NoAliasLoader.construct_yaml_bool)
_NoAliasLoader.add_constructor("tag:yaml.org,2002:int", _NoAliasLoader.construct_yaml_int)
_NoAliasLoader.add_constructor("tag:yaml.org,2002:float", _NoAliasLoader.construct_yaml_float)


def parse_scenario_yaml(text: str) -> Scenario:
    """:func:`read_scenario_yaml` without the upgrade notes."""
    return read_scenario_yaml(text).scenario


def read_scenario_yaml(text: str) -> Loaded:
    """Parse YAML text into a validated scenario, upgraded from an older version if need be.

    YAML 1.2's core schema decides what a plain value is: ``1:30``, ``NO`` and
    ``2024-01-01`` stay text, ``010`` is ten, ``1e12`` is a number.

    Raises
    ------
    PlannerInputError
        For oversized text, malformed YAML (with line and column), a key given twice (with
        its line) or invalid fields (each value as written, with its line).

    >>> read_scenario_yaml("title: [unclosed")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: This is not valid YAML: line 1, column 17: expected \
',' or ']', but got '<stream end>'. To fix: check the indentation and brackets near that line.
    >>> parse_scenario_yaml("business:\\n  projection_months: 1:30")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: Invalid scenario: line 2: business.projection_months = \
1:30: Input should be a valid integer, unable to parse string as an integer. To fix: correct \
the field named above.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_YAML_BYTES:
        raise PlannerInputError(
            f"The scenario file is larger than {MAX_YAML_BYTES // 1024} KiB",
            fix="a scenario file is a few KiB; check that this is the right file",
        )
    try:
        loader = _NoAliasLoader(text)  # reading starts here: a bad character raises
        try:
            node = loader.get_single_node()
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise PlannerInputError(
            f"This is not valid YAML: {where}{error.problem or error}",
            fix="check the indentation and brackets near that line",
        ) from None
    except yaml.YAMLError as error:
        raise PlannerInputError(f"This is not valid YAML: {error}") from None
    if node is None or data is None:
        raise PlannerInputError("The scenario file is empty", fix="start from scenarios/blank.yaml")
    return _from_mapping(data, (text, node))


class _ExactDumper(yaml.SafeDumper):
    """Safe dumping that reads back exactly: text holding a character YAML 1.1 treats as a
    line break (NEL, LS, PS) is double-quoted, where it is escaped; the other styles fold it
    into a space. Text that either YAML 1.1 or the 1.2 core schema reads as another type is
    quoted (``1e5`` and ``0o17`` are text to PyYAML's 1.1 rules, numbers to ours), so the
    file reads back the same here and in other YAML readers."""


_add_core_resolvers(_ExactDumper)


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
