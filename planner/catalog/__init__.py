"""Instance prices and accelerator specs, each with its source and date.

The figures live in ``planner/data/*.csv``; this is the only module that reads them. Each
file has a ``source`` and a date column, and ``instances.columns.csv`` gives the unit of each
instance column.

Prices are resolved in this order (see :meth:`Catalog.hourly_price`):

1. a :class:`PriceOverride` for that instance type and tier, set in the scenario;
2. the catalog's own figure for the tier;
3. for the reserved tiers only, a derived price, on-demand x (1 - commitment discount),
   where the on-demand price is the override's if it has one and the discount defaults to
   the catalog assumption ``reserved_1y_discount`` / ``reserved_3y_discount``.

There is no per-instance source for commitment prices, so reserved prices are always
derived for now. Each :class:`Price` carries a ``basis`` that says where it came from.

Model presets (``model_architectures.csv``) are read apart from the price tables, by
:func:`load_model_architectures`, and looked up by name with :func:`model_architecture`.

>>> catalog = load_catalog()
>>> catalog.hourly_price("p5.48xlarge", PriceTier.ON_DEMAND).usd_per_hour
55.04
>>> catalog.gpu_for(catalog.instance("p5.48xlarge")).bf16_dense_tflops
989.4
"""

from __future__ import annotations

import csv
import difflib
import enum
import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

from pydantic import ConfigDict, Field

from planner.core.errors import PlannerInputError
from planner.core.fields import UsdPerHour
from planner.core.units import HOURS_PER_MONTH

if TYPE_CHECKING:  # the type only: pandas is imported where a frame is made
    import pandas as pd

__all__ = [
    "Assumption",
    "AttentionKind",
    "Catalog",
    "GpuSpec",
    "InstanceType",
    "ModelArchitecture",
    "Price",
    "PriceOverride",
    "PriceTier",
    "Pricing",
    "load_catalog",
    "load_model_architectures",
    "model_architecture",
    "read_catalog",
    "read_model_architectures",
    "spot_rate_default",
    "training_assumption",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

_INSTANCE_COLUMNS = (
    "instance_type",
    "provider",
    "region",
    "gpu_model",
    "gpu_count",
    "gpu_memory_gb",
    "vcpus",
    "memory_gib",
    "on_demand_usd_per_hour",
    "spot_usd_per_hour",
    "reserved_1y_usd_per_hour",
    "reserved_3y_usd_per_hour",
    "on_demand_price_date",
    "spot_price_date",
    "source",
    "quality_flag",
    "notes",
)
_GPU_COLUMNS = (
    "gpu_model",
    "bf16_dense_tflops",
    "fp8_dense_tflops",
    "int8_dense_tops",
    "memory_gb",
    "memory_bandwidth_gb_s",
    "source",
    "notes",
)
_ASSUMPTION_COLUMNS = ("key", "value", "unit", "source", "date", "notes")
_ARCHITECTURE_COLUMNS = (
    "model",
    "family",
    "num_layers",
    "hidden_size",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "attention",
    "kv_lora_rank",
    "qk_rope_head_dim",
    "num_experts",
    "experts_per_token",
    "stated_total_params",
    "stated_total_params_basis",
    "total_params",
    "active_params",
    "active_params_basis",
    "context_length_tokens",
    "sliding_window_tokens",
    "source",
    "source_date",
    "notes",
)
_REQUIRED_ASSUMPTIONS = ("reserved_1y_discount", "reserved_3y_discount")

_PROVIDER_LABELS = {"aws": "AWS", "gcp": "GCP", "azure": "Azure", "lambda": "Lambda"}


# Demand paths a commitment plan may draw: its memory grows with paths x months x points.
MAX_DEMAND_PATHS = 5_000


class CommitmentKind(enum.StrEnum):
    """A way to commit: per-instance reservations or a USD-per-hour savings plan."""

    RESERVED_1Y = "reserved_1y"
    RESERVED_3Y = "reserved_3y"
    SAVINGS_PLAN_1Y = "savings_plan_1y"
    SAVINGS_PLAN_3Y = "savings_plan_3y"

    @property
    def term_years(self) -> int:
        return 3 if self in (CommitmentKind.RESERVED_3Y, CommitmentKind.SAVINGS_PLAN_3Y) else 1

    @property
    def label(self) -> str:
        """E.g. "3-y savings plan"."""
        kind = "reserved" if self.name.startswith("RESERVED") else "savings plan"
        return f"{self.term_years}-y {kind}"


class PriceTier(enum.StrEnum):
    """How an instance hour is bought.

    >>> PriceTier("spot") is PriceTier.SPOT
    True
    >>> [str(tier) for tier in PriceTier]
    ['on_demand', 'spot', 'reserved_1y', 'reserved_3y']
    """

    ON_DEMAND = "on_demand"
    SPOT = "spot"
    RESERVED_1Y = "reserved_1y"
    RESERVED_3Y = "reserved_3y"

    @property
    def label(self) -> str:
        """Human-readable name, e.g. ``"1-y reserved"``.

        >>> PriceTier.RESERVED_3Y.label
        '3-y reserved'
        """
        return _TIER_LABELS[self]


_TIER_LABELS = {
    PriceTier.ON_DEMAND: "on-demand",
    PriceTier.SPOT: "spot",
    PriceTier.RESERVED_1Y: "1-y reserved",
    PriceTier.RESERVED_3Y: "3-y reserved",
}
_RESERVED_TERM = {PriceTier.RESERVED_1Y: "1-y", PriceTier.RESERVED_3Y: "3-y"}
_DERIVED = "derived:"  # prefix of Price.basis for prices derived from on-demand


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceType:
    """One row of ``instances.csv``: an instance type, its specs and its catalog prices.

    Blank numbers are ``None``. ``gpu_model`` is a key of the catalog's GPUs, or ``None``
    when unknown. Reserved prices are ``None`` in the shipped data; they are derived by
    :meth:`Catalog.hourly_price`.

    >>> inst = load_catalog().instance("g5.xlarge")
    >>> (inst.provider, inst.gpu_model, inst.gpu_count, inst.reserved_1y_usd_per_hour)
    ('aws', 'A10G', 1, None)
    """

    name: str
    provider: str
    region: str
    gpu_model: str | None
    gpu_count: int
    gpu_memory_gb: float | None
    vcpus: float | None
    memory_gib: float | None
    on_demand_usd_per_hour: float | None
    spot_usd_per_hour: float | None
    reserved_1y_usd_per_hour: float | None
    reserved_3y_usd_per_hour: float | None
    on_demand_price_date: str | None
    spot_price_date: str | None
    source: str
    quality_flag: str
    notes: str

    @property
    def quality_flags(self) -> tuple[str, ...]:
        """The ``;``-separated quality flags as a tuple.

        >>> load_catalog().instance("Standard_ND96isr_H100_v5").quality_flags
        ('catalog_gpu_count_wrong', 'spot_placeholder')
        """
        return tuple(flag.strip() for flag in self.quality_flag.split(";") if flag.strip())


@dataclass(frozen=True, slots=True, kw_only=True)
class GpuSpec:
    """One row of ``gpus.csv``: peak dense throughput and memory of one accelerator.

    ``bf16_dense_tflops`` is the dense 16-bit tensor peak (FP16 on chips without BF16, such
    as T4 and V100; see ``notes``). Blank means not verified from a source.

    >>> spec = load_catalog().gpus["A100-40GB"]
    >>> (spec.bf16_dense_tflops, spec.fp8_dense_tflops, spec.memory_gb)
    (312.0, None, 40.0)
    """

    gpu_model: str
    bf16_dense_tflops: float | None
    fp8_dense_tflops: float | None
    int8_dense_tops: float | None
    memory_gb: float | None
    memory_bandwidth_gb_s: float | None
    source: str
    notes: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceOverride:
    """A user's own hourly prices for one instance type, e.g. a negotiated rate.

    Unset tiers fall back to the catalog. Validated at the edge by pydantic (prices must be
    finite and above zero; unknown fields are rejected).

    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(PriceOverride).validate_python(
    ...     {"instance_type": "p5.48xlarge", "reserved_1y_usd_per_hour": 40.0}
    ... ).reserved_1y_usd_per_hour
    40.0
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    instance_type: str
    on_demand_usd_per_hour: UsdPerHour | None = None
    spot_usd_per_hour: UsdPerHour | None = None
    reserved_1y_usd_per_hour: UsdPerHour | None = None
    reserved_3y_usd_per_hour: UsdPerHour | None = None

    def for_tier(self, tier: PriceTier) -> float | None:
        """The override's price for ``tier``, or ``None`` if it leaves that tier alone.

        >>> PriceOverride(instance_type="x", spot_usd_per_hour=1.5).for_tier(PriceTier.SPOT)
        1.5
        """
        value: float | None = getattr(self, _PRICE_FIELDS[tier])
        return value


_PRICE_FIELDS = {
    PriceTier.ON_DEMAND: "on_demand_usd_per_hour",
    PriceTier.SPOT: "spot_usd_per_hour",
    PriceTier.RESERVED_1Y: "reserved_1y_usd_per_hour",
    PriceTier.RESERVED_3Y: "reserved_3y_usd_per_hour",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Pricing:
    """A scenario's prices: its default tier, commitment discounts and negotiated rates.

    The reserved discounts are fractions off on-demand, used only where the catalog has no
    published commitment price. ``None`` takes the catalog's documented assumption. Every
    training job and endpoint is priced through :meth:`hourly_price`, so an override or a
    discount moves every page at once.
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")
    default_tier: PriceTier = PriceTier.ON_DEMAND
    reserved_1y_discount: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] | None = None
    reserved_3y_discount: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] | None = None
    overrides: tuple[PriceOverride, ...] = ()

    def hourly_price(
        self, catalog: Catalog, instance_type: str, tier: PriceTier | None = None
    ) -> Price:
        """The hourly price of one instance in ``tier`` (default: :attr:`default_tier`).

        >>> round(Pricing().hourly_price(load_catalog(), "p4d.24xlarge").usd_per_hour, 2)
        21.96
        """
        return catalog.hourly_price(
            instance_type,
            tier or self.default_tier,
            overrides=self.overrides,
            reserved_1y_discount=self.reserved_1y_discount,
            reserved_3y_discount=self.reserved_3y_discount,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Price:
    """An hourly price for one instance and tier, with where it came from.

    >>> Price(usd_per_hour=2.5, tier=PriceTier.SPOT, basis="override").tier
    <PriceTier.SPOT: 'spot'>
    """

    usd_per_hour: float
    tier: PriceTier
    basis: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Assumption:
    """One row of ``pricing_assumptions.csv``: a figure the models use, with its source.

    >>> load_catalog().assumptions["kubernetes_control_plane_usd_per_hour"].unit
    'USD/h per cluster'
    """

    key: str
    value: float
    unit: str
    source: str
    date: str
    notes: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalog:
    """Read-only lookup of instances, GPU specs and pricing assumptions.

    Build one with :func:`load_catalog` (the shipped data) or :func:`read_catalog`.

    >>> catalog = load_catalog()
    >>> len(catalog.instances) > 50, "H100" in catalog.gpus
    (True, True)
    >>> catalog.assumption("reserved_1y_discount")
    0.37
    """

    instances: Mapping[str, InstanceType]
    gpus: Mapping[str, GpuSpec]
    assumptions: Mapping[str, Assumption]

    def __post_init__(self) -> None:
        # Wrap in read-only views, so neither the caller's dicts nor ours can change it.
        for field in ("instances", "gpus", "assumptions"):
            object.__setattr__(self, field, MappingProxyType(dict(getattr(self, field))))

    def __hash__(self) -> int:
        return hash(
            (
                frozenset(self.instances.items()),
                frozenset(self.gpus.items()),
                frozenset(self.assumptions.items()),
            )
        )

    def __reduce__(self) -> tuple[Callable[..., Catalog], tuple[Any, ...]]:
        # MappingProxyType cannot be pickled; rebuild from plain dicts (for caches, copies).
        return (
            _rebuild_catalog,
            (dict(self.instances), dict(self.gpus), dict(self.assumptions)),
        )

    def instance(self, name: str) -> InstanceType:
        """Look up an instance type by its exact name.

        Raises
        ------
        PlannerInputError
            If ``name`` is not in the catalog; the message suggests close matches.

        Examples
        --------
        >>> load_catalog().instance("p4d.24xlarge").gpu_count
        8
        >>> load_catalog().instance("p4d.24xl")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        planner.core.errors.PlannerInputError: unknown instance type 'p4d.24xl'. To fix: ... \
'p4d.24xlarge' or 'p4de.24xlarge'.
        """
        found = self.instances.get(name)
        if found is not None:
            return found
        raise PlannerInputError(
            f"unknown instance type {name!r}",
            fix=_suggestion_hint("instance catalog", name, self.instances),
        )

    def gpu_for(self, instance: InstanceType) -> GpuSpec | None:
        """The accelerator spec of ``instance``, or ``None`` if its model is unknown.

        >>> catalog = load_catalog()
        >>> catalog.gpu_for(catalog.instance("g6.xlarge")).memory_bandwidth_gb_s
        300.0
        """
        if instance.gpu_model is None:
            return None
        return self.gpus.get(instance.gpu_model)

    def assumption(self, key: str) -> float:
        """The value of a pricing assumption.

        Raises
        ------
        PlannerInputError
            If ``key`` is not in ``pricing_assumptions.csv``.

        Examples
        --------
        >>> load_catalog().assumption("object_storage_usd_per_gb_month")
        0.023
        """
        found = self.assumptions.get(key)
        if found is not None:
            return found.value
        raise PlannerInputError(
            f"unknown pricing assumption {key!r}",
            fix=_suggestion_hint("pricing assumptions", key, self.assumptions),
        )

    def hourly_price(
        self,
        name: str,
        tier: PriceTier,
        *,
        overrides: Sequence[PriceOverride] = (),
        reserved_1y_discount: float | None = None,
        reserved_3y_discount: float | None = None,
    ) -> Price:
        """Resolve the hourly price of instance ``name`` in ``tier``.

        Order: an override for this instance and tier; else the catalog's figure; else, for
        the reserved tiers only, ``on_demand x (1 - discount)``, where ``on_demand`` is the
        override's on-demand price if set, else the catalog's, and ``discount`` is the given
        one or the catalog assumption ``reserved_1y_discount`` / ``reserved_3y_discount``.

        Parameters
        ----------
        name
            Instance type, exactly as in the catalog.
        tier
            How the hour is bought.
        overrides
            The scenario's price overrides; at most one per instance type.
        reserved_1y_discount, reserved_3y_discount
            Fraction off on-demand in ``[0, 1)`` used to derive a commitment price.

        Raises
        ------
        PlannerInputError
            Unknown instance; two overrides for the same instance; a bad discount or
            override value; no price for the tier and nothing to derive it from.

        Examples
        --------
        >>> catalog = load_catalog()
        >>> price = catalog.hourly_price("p4d.24xlarge", PriceTier.RESERVED_1Y)
        >>> round(price.usd_per_hour, 4)
        13.8333
        >>> price.basis
        'derived: on-demand $21.96/h × (1 − 37% assumed 1-y commitment discount)'
        >>> override = PriceOverride(instance_type="p4d.24xlarge", spot_usd_per_hour=5.0)
        >>> catalog.hourly_price("p4d.24xlarge", PriceTier.SPOT, overrides=[override])
        Price(usd_per_hour=5.0, tier=<PriceTier.SPOT: 'spot'>, basis='override')
        """
        instance = self.instance(name)
        discounts = _checked_discounts(reserved_1y_discount, reserved_3y_discount)
        result = self._resolve(instance, PriceTier(tier), _override_for(name, overrides), discounts)
        if isinstance(result, _NoPrice):
            raise result.error
        return result

    def instance_frame(
        self,
        *,
        overrides: Sequence[PriceOverride] = (),
        reserved_1y_discount: float | None = None,
        reserved_3y_discount: float | None = None,
    ) -> pd.DataFrame:
        """One row per instance type, with resolved prices, for display.

        Prices go through the same rules as :meth:`hourly_price`; a tier with no price is
        NaN. ``reserved_*_derived`` says whether that reserved price was derived from
        on-demand. ``on_demand_usd_per_gpu_hour`` is on-demand / ``gpu_count``.

        Raises
        ------
        PlannerInputError
            A bad discount or override value, or two overrides for one instance type.

        Examples
        --------
        >>> frame = load_catalog().instance_frame(reserved_3y_discount=0.5)
        >>> row = frame.set_index("instance_type").loc["p5.48xlarge"]
        >>> float(row["reserved_3y_usd_per_hour"]), bool(row["reserved_3y_derived"])
        (27.52, True)
        >>> float(row["on_demand_usd_per_gpu_hour"])
        6.88
        """
        discounts = _checked_discounts(reserved_1y_discount, reserved_3y_discount)
        records: list[dict[str, object]] = []
        for name, inst in self.instances.items():
            override = _override_for(name, overrides)
            prices: dict[PriceTier, Price | None] = {}
            for tier in PriceTier:
                result = self._resolve(inst, tier, override, discounts)
                prices[tier] = None if isinstance(result, _NoPrice) else result
            on_demand = _usd(prices[PriceTier.ON_DEMAND])
            records.append(
                {
                    "instance_type": inst.name,
                    "provider": inst.provider,
                    "region": inst.region,
                    "gpu_model": inst.gpu_model,
                    "gpu_count": inst.gpu_count,
                    "gpu_memory_gb": _nan(inst.gpu_memory_gb),
                    "vcpus": _nan(inst.vcpus),
                    "memory_gib": _nan(inst.memory_gib),
                    "on_demand_usd_per_hour": on_demand,
                    "spot_usd_per_hour": _usd(prices[PriceTier.SPOT]),
                    "reserved_1y_usd_per_hour": _usd(prices[PriceTier.RESERVED_1Y]),
                    "reserved_3y_usd_per_hour": _usd(prices[PriceTier.RESERVED_3Y]),
                    "on_demand_usd_per_gpu_hour": on_demand / inst.gpu_count,
                    "reserved_1y_derived": _is_derived(prices[PriceTier.RESERVED_1Y]),
                    "reserved_3y_derived": _is_derived(prices[PriceTier.RESERVED_3Y]),
                    "on_demand_price_date": inst.on_demand_price_date,
                    "spot_price_date": inst.spot_price_date,
                    "quality_flag": inst.quality_flag,
                    "source": inst.source,
                    "notes": inst.notes,
                }
            )
        # Imported here: the schema and the share links read the catalog without pandas.
        import pandas as pd

        frame = pd.DataFrame.from_records(records)
        return frame.astype({"gpu_count": "int64"})

    def _resolve(
        self,
        instance: InstanceType,
        tier: PriceTier,
        override: PriceOverride | None,
        discounts: Mapping[PriceTier, float | None],
    ) -> Price | _NoPrice:
        """Price ``instance`` in ``tier``; a missing price is returned, bad input raises."""
        if override is not None:
            _check_override(override)
            value = override.for_tier(tier)
            if value is not None:
                return Price(usd_per_hour=value, tier=tier, basis="override")

        catalog_value = _catalog_price(instance, tier)
        if catalog_value is not None:
            return Price(
                usd_per_hour=catalog_value, tier=tier, basis=_catalog_basis(instance, tier)
            )

        if tier in _RESERVED_TERM:
            return self._derive_reserved(instance, tier, override, discounts[tier])
        return _missing_price(instance, tier, self._available_tiers(instance, override))

    def _derive_reserved(
        self,
        instance: InstanceType,
        tier: PriceTier,
        override: PriceOverride | None,
        discount: float | None,
    ) -> Price | _NoPrice:
        term = _RESERVED_TERM[tier]
        if discount is None:
            discount = self.assumption(f"{tier.value}_discount")
            discount_label = f"assumed {term} commitment discount"
        else:
            discount_label = f"{term} commitment discount"
        if override is not None and override.on_demand_usd_per_hour is not None:
            on_demand, on_demand_label = override.on_demand_usd_per_hour, "override on-demand"
        elif instance.on_demand_usd_per_hour is not None:
            on_demand, on_demand_label = instance.on_demand_usd_per_hour, "on-demand"
        else:
            return _missing_price(
                instance,
                tier,
                self._available_tiers(instance, override),
                detail=f"and no on-demand price to derive a {tier.label} price from",
            )
        return Price(
            usd_per_hour=on_demand * (1.0 - discount),
            tier=tier,
            basis=(
                f"{_DERIVED} {on_demand_label} ${on_demand:,.2f}/h × "
                f"(1 − {_percent(discount)} {discount_label})"
            ),
        )

    def _available_tiers(
        self, instance: InstanceType, override: PriceOverride | None
    ) -> tuple[PriceTier, ...]:
        def has(tier: PriceTier) -> bool:
            return (override is not None and override.for_tier(tier) is not None) or (
                _catalog_price(instance, tier) is not None
            )

        can_derive = has(PriceTier.ON_DEMAND)
        return tuple(
            tier for tier in PriceTier if has(tier) or (tier in _RESERVED_TERM and can_derive)
        )


class AttentionKind(enum.StrEnum):
    """How a model's attention layers keep keys and values, which sets its KV cache.

    ``mha``: one K/V head per query head. ``gqa``: groups of query heads share fewer K/V
    heads. ``mqa``: one K/V head for all. ``mla``: one compressed latent per token per layer.

    >>> [str(kind) for kind in AttentionKind]
    ['mha', 'gqa', 'mqa', 'mla']
    """

    MHA = "mha"
    GQA = "gqa"
    MQA = "mqa"
    MLA = "mla"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelArchitecture:
    """One row of ``model_architectures.csv``, or a user's own model: the shape of an LLM.

    ``total_params`` is what the weights hold (for the presets, counted from the config);
    ``active_params`` is set only for mixture-of-experts models, as the paper or README
    states it. ``stated_total_params`` is the model card's own figure, kept for checking.
    ``kv_lora_rank`` and ``qk_rope_head_dim`` are set exactly for MLA. Blank numbers in the
    file are ``None``. See ``model_architectures.columns.csv`` for each field's unit.

    Raises
    ------
    PlannerInputError
        If a count is not a whole number of 1 or more, or the fields disagree: the KV heads
        with the attention kind, MLA without its latent dims, half an expert spec, active
        parameters on a dense model or above the total.

    Examples
    --------
    >>> import dataclasses
    >>> arch = model_architecture("Llama-3.1-8B")
    >>> (arch.attention, arch.num_layers, arch.num_kv_heads, arch.head_dim)
    (<AttentionKind.GQA: 'gqa'>, 32, 8, 128)
    >>> dataclasses.replace(arch, num_kv_heads=32)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: model 'Llama-3.1-8B': gqa needs more than 1 and \
fewer KV heads than query heads, dividing them, but num_kv_heads is 32 of 32. To fix: ...
    """

    name: str
    family: str
    num_layers: int
    hidden_size: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    attention: AttentionKind
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    num_experts: int | None = None
    experts_per_token: int | None = None
    total_params: int
    active_params: int | None = None
    active_params_basis: str = ""
    stated_total_params: int | None = None
    stated_total_params_basis: str = ""
    context_length_tokens: int | None = None
    sliding_window_tokens: int | None = None
    source: str
    source_date: str
    notes: str = ""

    def __post_init__(self) -> None:
        problem = _architecture_problem(self)
        if problem is not None:
            message, fix = problem
            raise PlannerInputError(f"model {self.name!r}: {message}", fix=fix)


_REQUIRED_COUNTS = (
    "num_layers",
    "hidden_size",
    "num_attention_heads",
    "num_kv_heads",
    "head_dim",
    "total_params",
)
_OPTIONAL_COUNTS = (
    "kv_lora_rank",
    "qk_rope_head_dim",
    "num_experts",
    "experts_per_token",
    "active_params",
    "stated_total_params",
    "context_length_tokens",
    "sliding_window_tokens",
)


def _architecture_problem(arch: ModelArchitecture) -> tuple[str, str] | None:
    """The first inconsistency in ``arch`` as (problem, fix), or ``None``."""
    for field in ("name", "family", "source", "source_date"):
        if not getattr(arch, field).strip():
            return f"{field} is blank", f"fill in {field}"
    for field in (*_REQUIRED_COUNTS, *_OPTIONAL_COUNTS):
        value = getattr(arch, field)
        required = field in _REQUIRED_COUNTS
        if (value is None and required) or (value is not None and not _is_count(value)):
            blank = "" if required else ", or leave it blank"
            return f"{field} is {value!r}", f"enter a whole number of 1 or more{blank}"
    heads, kv_heads = arch.num_attention_heads, arch.num_kv_heads
    kind = arch.attention
    kv_rule = {
        AttentionKind.MHA: (kv_heads == heads, "as many KV heads as query heads"),
        AttentionKind.MLA: (kv_heads == heads, "as many KV heads as query heads (HF convention)"),
        AttentionKind.MQA: (kv_heads == 1, "exactly 1 KV head"),
        AttentionKind.GQA: (
            1 < kv_heads < heads and heads % kv_heads == 0,
            "more than 1 and fewer KV heads than query heads, dividing them",
        ),
    }
    holds, rule = kv_rule[kind]
    if not holds:
        return (
            f"{kind} needs {rule}, but num_kv_heads is {kv_heads} of {heads}",
            "correct num_kv_heads or the attention kind (mha, gqa with query heads a multiple "
            "of KV heads, mqa, mla)",
        )
    is_mla = kind == AttentionKind.MLA
    for field in ("kv_lora_rank", "qk_rope_head_dim"):
        if (getattr(arch, field) is None) == is_mla:
            problem = f"{kind} needs {field}" if is_mla else f"{field} is set but {kind} has none"
            return problem, "give kv_lora_rank and qk_rope_head_dim for mla, and only for mla"
    experts, per_token = arch.num_experts, arch.experts_per_token
    if (experts is None) != (per_token is None) or (
        experts is not None and per_token is not None and per_token > experts
    ):
        return (
            f"num_experts is {experts!r} and experts_per_token {per_token!r}",
            "give both for a mixture of experts (experts_per_token at most num_experts), "
            "or neither for a dense model",
        )
    active = arch.active_params
    if (active is None) != (experts is None):
        problem = (
            "a mixture of experts needs active_params"
            if active is None
            else "active_params is set but the model has no experts"
        )
        return problem, "state active_params for models with experts, and only for them"
    if active is not None and active > arch.total_params:
        return (
            f"active_params {active:,} is above total_params {arch.total_params:,}",
            "check both counts",
        )
    return None


def _is_count(value: object) -> bool:
    # bool is an int subclass; True must not pass for a layer count.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@functools.cache
def load_catalog() -> Catalog:
    """The catalog shipped in ``planner/data/``, read once per process.

    >>> load_catalog() is load_catalog()
    True
    """
    return read_catalog(DATA_DIR)


def read_catalog(directory: Path) -> Catalog:
    """Read and check ``instances.csv``, ``gpus.csv`` and ``pricing_assumptions.csv``.

    Every price must be finite and above zero and carry a date; every row needs a source;
    every ``gpu_model`` must be in ``gpus.csv`` (or blank); names must be unique.

    Raises
    ------
    PlannerInputError
        Naming the file, row and column of the first problem.

    Examples
    --------
    >>> len(read_catalog(DATA_DIR).gpus) >= 16
    True
    """
    gpus = _index(
        (_parse_gpu(row) for row in _read_rows(directory / "gpus.csv", _GPU_COLUMNS)),
        lambda gpu: gpu.gpu_model,
        directory / "gpus.csv",
    )
    instances_path = directory / "instances.csv"
    instances = _index(
        (_parse_instance(row) for row in _read_rows(instances_path, _INSTANCE_COLUMNS)),
        lambda inst: inst.name,
        instances_path,
    )
    for inst in instances.values():
        if inst.gpu_model is not None and inst.gpu_model not in gpus:
            raise PlannerInputError(
                f"{instances_path.name}: instance {inst.name!r} has gpu_model "
                f"{inst.gpu_model!r}, which is not in gpus.csv",
                fix=_suggestion_hint("gpus.csv", inst.gpu_model, gpus),
            )
    assumptions_path = directory / "pricing_assumptions.csv"
    assumptions = _index(
        (_parse_assumption(row) for row in _read_rows(assumptions_path, _ASSUMPTION_COLUMNS)),
        lambda assumption: assumption.key,
        assumptions_path,
    )
    for key in _REQUIRED_ASSUMPTIONS:
        if key not in assumptions:
            raise PlannerInputError(
                f"{assumptions_path.name} has no {key!r} row",
                fix=f"add a {key} row (a fraction in [0, 1))",
            )
    return Catalog(instances=instances, gpus=gpus, assumptions=assumptions)


@functools.cache
def load_model_architectures() -> Mapping[str, ModelArchitecture]:
    """The model presets shipped in ``planner/data/``, by name, read once per process.

    >>> presets = load_model_architectures()
    >>> presets is load_model_architectures(), "DeepSeek-V3" in presets
    (True, True)
    """
    return read_model_architectures(DATA_DIR)


def read_model_architectures(directory: Path) -> Mapping[str, ModelArchitecture]:
    """Read and check ``model_architectures.csv`` in ``directory``: a read-only mapping by name.

    Every row needs a source and its counts must agree (see :class:`ModelArchitecture`);
    names must be unique.

    Raises
    ------
    PlannerInputError
        Naming the file and line of the first problem.

    Examples
    --------
    >>> list(read_model_architectures(DATA_DIR))[:2]
    ['Llama-2-7B', 'Llama-2-13B']
    """
    path = directory / "model_architectures.csv"
    return MappingProxyType(
        _index(
            (_parse_architecture(row) for row in _read_rows(path, _ARCHITECTURE_COLUMNS)),
            lambda arch: arch.name,
            path,
        )
    )


def model_architecture(name: str) -> ModelArchitecture:
    """Look up a model preset by its exact name.

    Raises
    ------
    PlannerInputError
        If ``name`` is not a preset; the message suggests close matches.

    Examples
    --------
    >>> model_architecture("Mixtral-8x7B-v0.1").num_experts
    8
    >>> model_architecture("Llama-3-8B")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: unknown model 'Llama-3-8B'. To fix: use a name from the \
model presets, e.g. 'Llama-3.1-8B'...
    """
    presets = load_model_architectures()
    found = presets.get(name)
    if found is not None:
        return found
    raise PlannerInputError(
        f"unknown model {name!r}", fix=_suggestion_hint("model presets", name, presets)
    )


# --------------------------------------------------------------------------- file parsing


class _Row:
    """One CSV row with typed, located field access (errors name file, line and column)."""

    __slots__ = ("_line", "_path", "_values")

    def __init__(self, path: Path, line: int, values: Mapping[str, str]) -> None:
        self._path = path
        self._line = line
        self._values = values

    def error(self, column: str, problem: str, fix: str) -> PlannerInputError:
        return PlannerInputError(
            f"{self._path.name} line {self._line}, column {column}: {problem}", fix=fix
        )

    def located(self, error: PlannerInputError) -> PlannerInputError:
        return PlannerInputError(f"{self._path.name} line {self._line}: {error}")

    def text(self, column: str) -> str:
        return self._values[column].strip()

    def required_text(self, column: str) -> str:
        value = self.text(column)
        if not value:
            raise self.error(column, "is blank", f"fill in {column}")
        return value

    def optional_text(self, column: str) -> str | None:
        return self.text(column) or None

    def optional_number(self, column: str, *, positive: bool = False) -> float | None:
        raw = self.text(column)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise self.error(column, f"{raw!r} is not a number", "write a plain decimal") from None
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            accepted = "above 0" if positive else "0 or more"
            raise self.error(column, f"{raw!r} is out of range", f"use a finite number {accepted}")
        return value

    def required_number(self, column: str, *, positive: bool = False) -> float:
        value = self.optional_number(column, positive=positive)
        if value is None:
            raise self.error(column, "is blank", f"fill in {column}")
        return value

    def optional_count(self, column: str) -> int | None:
        raw = self.text(column)
        if not raw:
            return None
        if not raw.isdigit() or int(raw) < 1:
            raise self.error(column, f"{raw!r} is not a whole number of 1 or more", "write e.g. 8")
        return int(raw)

    def required_count(self, column: str) -> int:
        value = self.optional_count(column)
        if value is None:
            raise self.error(column, "is blank", f"fill in {column}")
        return value


def _read_rows(path: Path, columns: tuple[str, ...]) -> list[_Row]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, strict=True)
        if tuple(reader.fieldnames or ()) != columns:
            raise PlannerInputError(
                f"{path.name} has columns {list(reader.fieldnames or ())}",
                fix=f"use exactly these columns, in order: {', '.join(columns)}",
            )
        rows: list[_Row] = []
        for record in reader:
            if None in record or any(value is None for value in record.values()):
                raise PlannerInputError(
                    f"{path.name} line {reader.line_num} has "
                    f"{'too many' if None in record else 'too few'} fields",
                    fix=f"give each row {len(columns)} comma-separated fields",
                )
            rows.append(_Row(path, reader.line_num, record))
    return rows


def _parse_instance(row: _Row) -> InstanceType:
    raw_count = row.required_text("gpu_count")
    if not raw_count.isdigit() or int(raw_count) < 1:
        problem = f"{raw_count!r} is not a whole number of 1 or more"
        raise row.error("gpu_count", problem, "write e.g. 8")
    prices = {
        column: row.optional_number(column, positive=True)
        for column in (
            "on_demand_usd_per_hour",
            "spot_usd_per_hour",
            "reserved_1y_usd_per_hour",
            "reserved_3y_usd_per_hour",
        )
    }
    on_demand_date = row.optional_text("on_demand_price_date")
    spot_date = row.optional_text("spot_price_date")
    for column, date_column, date in (
        ("on_demand_usd_per_hour", "on_demand_price_date", on_demand_date),
        ("spot_usd_per_hour", "spot_price_date", spot_date),
    ):
        if prices[column] is not None and date is None:
            raise row.error(date_column, "is blank but there is a price", "say when it was seen")
    return InstanceType(
        name=row.required_text("instance_type"),
        provider=row.required_text("provider"),
        region=row.required_text("region"),
        gpu_model=row.optional_text("gpu_model"),
        gpu_count=int(raw_count),
        gpu_memory_gb=row.optional_number("gpu_memory_gb", positive=True),
        vcpus=row.optional_number("vcpus", positive=True),
        memory_gib=row.optional_number("memory_gib", positive=True),
        on_demand_usd_per_hour=prices["on_demand_usd_per_hour"],
        spot_usd_per_hour=prices["spot_usd_per_hour"],
        reserved_1y_usd_per_hour=prices["reserved_1y_usd_per_hour"],
        reserved_3y_usd_per_hour=prices["reserved_3y_usd_per_hour"],
        on_demand_price_date=on_demand_date,
        spot_price_date=spot_date,
        source=row.required_text("source"),
        quality_flag=row.required_text("quality_flag"),
        notes=row.text("notes"),
    )


def _parse_gpu(row: _Row) -> GpuSpec:
    return GpuSpec(
        gpu_model=row.required_text("gpu_model"),
        bf16_dense_tflops=row.optional_number("bf16_dense_tflops", positive=True),
        fp8_dense_tflops=row.optional_number("fp8_dense_tflops", positive=True),
        int8_dense_tops=row.optional_number("int8_dense_tops", positive=True),
        memory_gb=row.optional_number("memory_gb", positive=True),
        memory_bandwidth_gb_s=row.optional_number("memory_bandwidth_gb_s", positive=True),
        source=row.required_text("source"),
        notes=row.text("notes"),
    )


def _parse_assumption(row: _Row) -> Assumption:
    key = row.required_text("key")
    value = row.required_number("value")
    if key.endswith("_discount") and not value < 1.0:
        raise row.error("value", f"{key} is {value!r}", "use a fraction in [0, 1)")
    return Assumption(
        key=key,
        value=value,
        unit=row.required_text("unit"),
        source=row.required_text("source"),
        date=row.required_text("date"),
        notes=row.text("notes"),
    )


def _parse_architecture(row: _Row) -> ModelArchitecture:
    raw_attention = row.required_text("attention")
    try:
        attention = AttentionKind(raw_attention)
    except ValueError:
        kinds = ", ".join(kind.value for kind in AttentionKind)
        raise row.error(
            "attention", f"{raw_attention!r} is not an attention kind", f"use {kinds}"
        ) from None
    fields: dict[str, Any] = {
        "name": row.required_text("model"),
        "family": row.required_text("family"),
        "num_layers": row.required_count("num_layers"),
        "hidden_size": row.required_count("hidden_size"),
        "num_attention_heads": row.required_count("num_attention_heads"),
        "num_kv_heads": row.required_count("num_key_value_heads"),
        "head_dim": row.required_count("head_dim"),
        "attention": attention,
        "kv_lora_rank": row.optional_count("kv_lora_rank"),
        "qk_rope_head_dim": row.optional_count("qk_rope_head_dim"),
        "num_experts": row.optional_count("num_experts"),
        "experts_per_token": row.optional_count("experts_per_token"),
        "total_params": row.required_count("total_params"),
        "active_params": row.optional_count("active_params"),
        "active_params_basis": row.text("active_params_basis"),
        "stated_total_params": row.optional_count("stated_total_params"),
        "stated_total_params_basis": row.required_text("stated_total_params_basis"),
        "context_length_tokens": row.optional_count("context_length_tokens"),
        "sliding_window_tokens": row.optional_count("sliding_window_tokens"),
        "source": row.required_text("source"),
        "source_date": row.required_text("source_date"),
        "notes": row.text("notes"),
    }
    try:
        return ModelArchitecture(**fields)
    except PlannerInputError as error:
        # The model's own check names the field; add where in the file it is.
        raise row.located(error) from None


_T = TypeVar("_T")


def _index(items: Iterable[_T], key: Callable[[_T], str], path: Path) -> dict[str, _T]:
    indexed: dict[str, _T] = {}
    for item in items:
        name = key(item)
        if name in indexed:
            raise PlannerInputError(
                f"{path.name} lists {name!r} twice", fix="keep one row per name"
            )
        indexed[name] = item
    return indexed


def _rebuild_catalog(
    instances: dict[str, InstanceType],
    gpus: dict[str, GpuSpec],
    assumptions: dict[str, Assumption],
) -> Catalog:
    return Catalog(instances=instances, gpus=gpus, assumptions=assumptions)


# --------------------------------------------------------------------------- price helpers


def _override_for(name: str, overrides: Sequence[PriceOverride]) -> PriceOverride | None:
    matches = [override for override in overrides if override.instance_type == name]
    if len(matches) > 1:
        raise PlannerInputError(
            f"{len(matches)} price overrides name instance type {name!r}",
            fix="keep one override per instance type and set each tier's price in it",
        )
    return matches[0] if matches else None


def _check_override(override: PriceOverride) -> None:
    """Re-check values for overrides built in code rather than parsed by pydantic."""
    for tier, field in _PRICE_FIELDS.items():
        value = override.for_tier(tier)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise PlannerInputError(
                f"price override for {override.instance_type!r}: {field} is {value!r}",
                fix="enter a price above 0 USD per hour, or leave it blank to use the catalog",
            )


def _checked_discounts(
    reserved_1y_discount: float | None, reserved_3y_discount: float | None
) -> dict[PriceTier, float | None]:
    discounts = {
        PriceTier.RESERVED_1Y: reserved_1y_discount,
        PriceTier.RESERVED_3Y: reserved_3y_discount,
    }
    for tier, discount in discounts.items():
        if discount is not None and not (math.isfinite(discount) and 0.0 <= discount < 1.0):
            raise PlannerInputError(
                f"{tier.value}_discount is {discount!r}; it must be a fraction in [0, 1)",
                fix="enter e.g. 0.37 for 37% off on-demand, or leave it blank for the default",
            )
    return discounts


def _catalog_price(instance: InstanceType, tier: PriceTier) -> float | None:
    value: float | None = getattr(instance, _PRICE_FIELDS[tier])
    return value


def _catalog_basis(instance: InstanceType, tier: PriceTier) -> str:
    provider = _PROVIDER_LABELS.get(instance.provider, instance.provider)
    if tier is PriceTier.ON_DEMAND:
        basis = f"catalog on-demand, {provider} list {instance.on_demand_price_date}"
    elif tier is PriceTier.SPOT:
        median = " (median over zones)" if instance.provider == "aws" else ""
        basis = f"catalog spot{median}, {provider} {instance.spot_price_date}"
    else:
        basis = f"catalog {tier.label}, {provider} ({instance.source})"
    flags = [flag for flag in instance.quality_flags if flag != "ok"]
    if flags:
        basis += f"; quality flag: {', '.join(flags)}"
    return basis


@dataclass(frozen=True, slots=True)
class _NoPrice:
    """The catalog has no price for a tier and none can be derived; ``error`` says why."""

    error: PlannerInputError


def _missing_price(
    instance: InstanceType,
    tier: PriceTier,
    available: tuple[PriceTier, ...],
    *,
    detail: str = "",
) -> _NoPrice:
    field = _PRICE_FIELDS[tier] if tier not in _RESERVED_TERM else "on_demand_usd_per_hour"
    others = [t.value for t in available if t is not tier]
    fix = f"add a price override for {instance.name!r} with {field}"
    if tier in _RESERVED_TERM:
        fix += f" or {_PRICE_FIELDS[tier]}"
    fix += f", or use another tier ({', '.join(others)})" if others else ""
    problem = f"instance type {instance.name!r} ({instance.provider}) has no {tier.label} price"
    return _NoPrice(
        PlannerInputError(f"{problem} in the catalog{' ' + detail if detail else ''}", fix=fix)
    )


def _suggestion_hint(where: str, name: str, known: Iterable[str]) -> str:
    by_lower: dict[str, str] = {}
    for candidate in known:
        by_lower.setdefault(candidate.lower(), candidate)
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
    if close:
        listed = " or ".join(repr(by_lower[match]) for match in close)
        return f"use a name from the {where}, e.g. {listed}"
    return f"use a name from the {where} ({len(by_lower)} entries)"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.4g}%"


def _usd(price: Price | None) -> float:
    return math.nan if price is None else price.usd_per_hour


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _is_derived(price: Price | None) -> bool:
    return price is not None and price.basis.startswith(_DERIVED)


# --------------------------------------------------------------------------- spot and block data


@dataclass(frozen=True, slots=True, kw_only=True)
class SpotRateDefault:
    """The Spot Advisor's reading for one instance type, as two quantities that must not be
    mixed up, and where they come from.

    * ``monthly_fraction`` (and :attr:`per_hour`) is the **per-instance hazard**: the share
      of instances interrupted in a month, the bucket's midpoint (the open ">20%" bucket is
      read as 25%, a planner choice: the data say only "more than 20%"). It prices expected
      restarts (training on spot).
    * ``reclaimed_at_once`` is the **share of the type's spot capacity reclaimed in one
      event**, what an availability target must survive: the bucket's upper edge (the
      feed's ``max``, ``spot_reclaim.csv``), because a month's reclaims may all come at
      once; the open bucket's edge is 100%.

    >>> rate = spot_rate_default("p4d.24xlarge")
    >>> rate.monthly_fraction, rate.reclaimed_at_once
    (0.125, 0.16)
    """

    instance_type: str
    region: str
    bucket: str
    monthly_fraction: float
    reclaimed_at_once: float
    savings_vs_on_demand_pct: float | None
    date: str
    source: str
    notes: str

    @property
    def per_hour(self) -> float:
        """``−ln(1 − f) / 730``: the Poisson rate that interrupts ``f`` of instances a month.

        >>> round(spot_rate_default("p4d.24xlarge").per_hour * 1e4, 4)
        1.8292
        """
        return -math.log1p(-self.monthly_fraction) / HOURS_PER_MONTH

    @property
    def basis(self) -> str:
        where = f"{self.instance_type} {self.region}" if self.region else "instance types"
        return (
            f"AWS Spot Advisor bucket {self.bucket} for {where} ({self.date}), read as "
            f"{self.monthly_fraction:.1%} of instances interrupted a month, and up to "
            f"{self.reclaimed_at_once:.0%} of spot capacity reclaimed at once"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CapacityBlockPrice:
    instance_type: str
    region: str
    usd_per_hour: float
    price_date: str
    source: str
    notes: str


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, strict=True))


@functools.cache
def _spot_rates() -> tuple[dict[tuple[str, str], SpotRateDefault], SpotRateDefault]:
    table: dict[tuple[str, str], SpotRateDefault] = {}
    default: SpotRateDefault | None = None
    at_once = {
        row["bucket"]: float(row["reclaimed_at_once_fraction"])
        for row in _read_csv("spot_reclaim.csv")
    }
    for row in _read_csv("spot_interruption.csv"):
        if row["kind"] == "bucket":
            continue
        savings = row["savings_vs_on_demand_pct"].strip()
        entry = SpotRateDefault(
            instance_type=row["key"] if row["kind"] == "instance" else "",
            region=row["region"],
            bucket=row["bucket"],
            monthly_fraction=float(row["monthly_interruption_fraction"]),
            reclaimed_at_once=at_once[row["bucket"]],
            savings_vs_on_demand_pct=float(savings) if savings else None,
            date=row["data_date"],
            source=row["source"],
            notes=row["notes"],
        )
        if row["kind"] == "default":
            default = entry
        else:
            table[(entry.instance_type, entry.region)] = entry
    if default is None:
        raise PlannerInputError("spot_interruption.csv has no default row")
    return table, default


def spot_rate_default(instance_type: str, region: str = "us-east-1") -> SpotRateDefault:
    """The Spot Advisor default for an instance type in a region, else the global default.

    >>> spot_rate_default("p4d.24xlarge").bucket
    '10-15%'
    >>> spot_rate_default("a3-highgpu-8g", "us-east4").bucket
    '<10%'
    """
    table, default = _spot_rates()
    return table.get((instance_type, region), default)


@functools.cache
def capacity_block_prices() -> dict[str, CapacityBlockPrice]:
    """Published Capacity Block prices by instance type (``capacity_blocks.csv``).

    >>> capacity_block_prices()["p4d.24xlarge"].usd_per_hour
    14.75
    """
    return {
        row["instance_type"]: CapacityBlockPrice(
            instance_type=row["instance_type"],
            region=row["region"],
            usd_per_hour=float(row["usd_per_hour"]),
            price_date=row["price_date"],
            source=row["source"],
            notes=row["notes"],
        )
        for row in _read_csv("capacity_blocks.csv")
    }


@functools.cache
def tf32_peaks() -> dict[str, float]:
    """Dense TF32 tensor-core peaks by GPU model (``tf32_peaks.csv``), in TFLOPS."""
    return {
        row["gpu_model"]: float(row["tf32_dense_tflops"]) for row in _read_csv("tf32_peaks.csv")
    }


@functools.cache
def _training_assumptions() -> dict[str, Assumption]:
    path = DATA_DIR / "training_assumptions.csv"
    return _index(
        (_parse_assumption(row) for row in _read_rows(path, _ASSUMPTION_COLUMNS)),
        lambda assumption: assumption.key,
        path,
    )


def training_assumption(key: str) -> Assumption:
    """A sourced figure of the training model (``training_assumptions.csv``).

    Raises
    ------
    PlannerInputError
        If ``key`` is not in the file.

    Examples
    --------
    >>> training_assumption("fp8_speedup_over_bf16").value
    1.28
    >>> round(1 / training_assumption("gpu_interruptions_per_gpu_hour").value)
    50677
    """
    found = _training_assumptions().get(key)
    if found is None:
        raise PlannerInputError(
            f"training_assumptions.csv has no {key!r} row",
            fix=_suggestion_hint("training_assumptions.csv", key, _training_assumptions()),
        )
    return found


LEVERS_CSV = DATA_DIR / "finops_levers.csv"


def read_lever_rows(path: str | Path = LEVERS_CSV) -> list[dict[str, str]]:
    """The rows of the lever library CSV, parsed by
    :func:`planner.finops.recovery.parse_lever_rows`."""
    try:
        with Path(path).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError as error:
        raise PlannerInputError(f"Cannot read {path}: {error.strerror}") from None


class ScalingLaw(enum.StrEnum):
    """Which published fit predicts the loss.

    >>> [law.label for law in ScalingLaw]
    ['Hoffmann et al. 2022 (approach 3)', 'Besiroglu et al. 2024 (Epoch replication)', \
'20 tokens per parameter']
    """

    HOFFMANN = "hoffmann"
    EPOCH = "epoch"
    TOKENS20 = "tokens20"

    @property
    def label(self) -> str:
        return _LAW_LABELS[self]


_LAW_LABELS = {
    ScalingLaw.HOFFMANN: "Hoffmann et al. 2022 (approach 3)",
    ScalingLaw.EPOCH: "Besiroglu et al. 2024 (Epoch replication)",
    ScalingLaw.TOKENS20: "20 tokens per parameter",
}
