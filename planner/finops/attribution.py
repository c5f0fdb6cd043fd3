"""Cost attribution: who owns each dollar of a bill, for showback and chargeback.

Rules
-----
An owner is read from each row's tags by an ordered list of :class:`AttributionRule`. The
first rule whose tag is present wins: e.g. ``team``, then ``owner``, then ``model`` mapped to
its team. A rule with a ``mapping`` only matches the values it maps. Rows that no rule
matches are *untagged*. Rows whose owner is one of ``shared_values`` (e.g. ``platform``)
are *shared*. Tags are read on every row, commitment rows included: a tagged commitment
purchase or unused-commitment row belongs to its owner like any other.

Commitments
-----------
An untagged commitment purchase (``ChargeCategory = 'Purchase'`` with a
``CommitmentDiscountId``) is paid for the usage it covers, so it is split by the amortised
cost (``EffectiveCost``) of the rows with its ``CommitmentDiscountId``: each owner's covered
usage draws its share, untagged or shared covered usage sends its share to that pool, and
the share of untagged ``Unused`` rows is *unused commitment*. In the billed view, where a
covered row bills $0 and the purchase carries the cash, this charges each owner for the
commitment its usage consumed. A purchase with no such rows in the bill stays in a pool of
its own, *commitment purchases with no covered usage in this bill*. Untagged ``Unused`` rows
(in the amortised view) are unused commitment too. Those two pools are shown on their own
and shared only if asked.

Splitting the pools
-------------------
The untagged and shared pools (and the commitment pool, if shared) are split among the
owners by one :class:`SharedRule`:

* ``even``: equally among the owners with direct costs;
* ``proportional``: in proportion to each owner's direct cost (negative direct costs count
  as zero; if every owner's is zero, evenly);
* ``fixed``: by the weights given, which need not sum to 1;
* ``none``: not split; the pools stay *unallocated*.

Showback and chargeback use this same arithmetic: they differ in who carries the cost.

Reconciliation to the cent
--------------------------
All amounts are exact decimals until the last step, then integer cents by the largest
remainder method (Hamilton's), twice: once to turn the exact amounts (each owner's direct
cost per service, and each pool) into cents that sum to the bill's total rounded to the
cent; then to split each pool's cents among the owners. So every invoice line is whole
cents, and the invoices plus the unallocated lines add up to the bill's total exactly.

>>> import pandas as pd
>>> from planner.finops.billing import bill_from_frame
>>> frame = pd.DataFrame({
...     "BilledCost": ["10", "5", "1", "0.01"], "EffectiveCost": ["10", "5", "1", "0.01"],
...     "ChargeCategory": ["Usage"] * 4,
...     "ChargePeriodStart": ["2025-01-01T00:00:00Z"] * 4,
...     "ChargePeriodEnd": ["2025-01-02T00:00:00Z"] * 4,
...     "Tags": ['{"team": "a"}', '{"team": "b"}', None, None]})
>>> result = attribute(bill_from_frame(frame), AttributionSettings(
...     rules=(AttributionRule(tag_key="team"),), shared_rule=SharedRule.EVEN))
>>> [(a.owner, a.total_cents) for a in result.allocations]
[('a', 1051), ('b', 550)]
>>> result.total_cents, result.unallocated_cents
(1601, 0)
"""

from __future__ import annotations

import csv
import enum
import io
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import pandas as pd

from planner.core.errors import PlannerInputError
from planner.finops.billing import Bill
from planner.scenario.finops import (
    AttributionRule,
    AttributionSettings,
    CostView,
    FixedWeight,
    ReportMode,
    SharedRule,
    TagMapping,
)

if TYPE_CHECKING:  # the types only: Ibis is imported where a query is built, for a quick CLI
    import ibis

__all__ = [
    "Allocation",
    "Attribution",
    "AttributionRule",
    "AttributionSettings",
    "FixedWeight",
    "InvoiceLine",
    "Pool",
    "ReportMode",
    "SharedRule",
    "TagMapping",
    "attribute",
    "cents_text",
    "cost_by",
    "largest_remainder",
    "monthly_invoices_csv",
    "months",
    "spreadsheet_safe",
]

UNTAGGED_LABEL = "(untagged)"


class Pool(enum.StrEnum):
    """Costs that no rule gives a direct owner."""

    UNTAGGED = "untagged"
    SHARED = "shared"
    COMMITMENT = "commitment"
    PURCHASE = "purchase"


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """What one owner carries, in cents: direct costs and its shares of each pool."""

    owner: str
    direct_cents: int
    untagged_cents: int = 0
    shared_cents: int = 0
    commitment_cents: int = 0

    @property
    def total_cents(self) -> int:
        return self.direct_cents + self.untagged_cents + self.shared_cents + self.commitment_cents

    @property
    def total_usd(self) -> float:
        return self.total_cents / 100


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLine:
    """One line of a chargeback invoice; ``owner`` is ``None`` for unallocated lines."""

    owner: str | None
    item: str
    cents: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TagCoverage:
    """How much usage cost the rules can attribute, overall and by rule (in cents)."""

    usage_cents: int
    by_rule: tuple[tuple[str, int], ...]
    untagged_cents: int
    usage_rows: int
    tagged_rows: int

    @property
    def tagged_cents(self) -> int:
        return sum(cents for _, cents in self.by_rule)

    @property
    def ratio(self) -> float | None:
        """Tagged share of usage cost; ``None`` when there is no usage cost."""
        return self.tagged_cents / self.usage_cents if self.usage_cents > 0 else None

    @property
    def primary_ratio(self) -> float | None:
        """Share attributed by the first rule alone, before any fallback."""
        if self.usage_cents <= 0 or not self.by_rule:
            return None
        return self.by_rule[0][1] / self.usage_cents


@dataclass(frozen=True, slots=True, kw_only=True)
class Attribution:
    """The bill split among owners, with what could not be split, in whole cents.

    ``pools`` are the pools' full sizes; ``unallocated`` lists the pools left unsplit (all of
    them when the rule is ``none``), leaving out empty ones. The identity
    ``sum(allocations) + sum(unallocated) == total_cents`` always holds.
    """

    settings: AttributionSettings
    total_cents: int
    allocations: tuple[Allocation, ...]
    pools: tuple[tuple[Pool, int], ...]
    unallocated: tuple[tuple[Pool, int], ...]
    invoice_lines: tuple[InvoiceLine, ...]
    coverage: TagCoverage
    idle_cents: int | None
    credits_cents: int
    adjustments_cents: int
    notes: tuple[str, ...]

    @property
    def total_usd(self) -> float:
        return self.total_cents / 100

    @property
    def allocated_cents(self) -> int:
        return sum(a.total_cents for a in self.allocations)

    @property
    def unallocated_cents(self) -> int:
        return sum(cents for _, cents in self.unallocated)

    def pool_cents(self, pool: Pool) -> int:
        return dict(self.pools).get(pool, 0)

    def reconciles(self) -> bool:
        """Allocations plus unallocated equal the total, and each invoice its allocation."""
        by_owner: dict[str | None, int] = defaultdict(int)
        for line in self.invoice_lines:
            by_owner[line.owner] += line.cents
        return (
            self.allocated_cents + self.unallocated_cents == self.total_cents
            and all(by_owner[a.owner] == a.total_cents for a in self.allocations)
            and by_owner[None] == self.unallocated_cents
            and sum(by_owner.values()) == self.total_cents
        )

    def showback_frame(self) -> pd.DataFrame:
        """One row per owner (then the unallocated pools): columns in USD and share of bill."""
        rows: list[dict[str, Any]] = []
        for a in sorted(self.allocations, key=lambda a: -a.total_cents):
            rows.append(
                {
                    "owner": a.owner,
                    "direct_usd": a.direct_cents / 100,
                    "untagged_share_usd": a.untagged_cents / 100,
                    "shared_share_usd": a.shared_cents / 100,
                    "commitment_share_usd": a.commitment_cents / 100,
                    "total_usd": a.total_usd,
                    "share_of_bill": a.total_cents / self.total_cents if self.total_cents else 0.0,
                    "allocated": True,
                }
            )
        for pool, cents in self.unallocated:
            if cents == 0:
                continue
            rows.append(
                {
                    "owner": f"unallocated: {POOL_LABELS[pool]}",
                    "direct_usd": 0.0,
                    "untagged_share_usd": cents / 100 if pool is Pool.UNTAGGED else 0.0,
                    "shared_share_usd": cents / 100 if pool is Pool.SHARED else 0.0,
                    "commitment_share_usd": cents / 100 if pool in _COMMITMENT_POOLS else 0.0,
                    "total_usd": cents / 100,
                    "share_of_bill": cents / self.total_cents if self.total_cents else 0.0,
                    "allocated": False,
                }
            )
        return pd.DataFrame(rows, columns=_SHOWBACK_COLUMNS)

    def invoices_frame(self) -> pd.DataFrame:
        """Every invoice line (owner, item, USD), unallocated lines last."""
        rows = [
            {
                "invoice": line.owner if line.owner is not None else "(unallocated)",
                "item": line.item,
                "usd": line.cents / 100,
            }
            for line in self.invoice_lines
        ]
        return pd.DataFrame(rows, columns=["invoice", "item", "usd"])

    def invoices_csv(self) -> str:
        """The chargeback invoices as CSV text, amounts as exact decimal strings.

        The amounts add up to :attr:`total_cents` to the cent. Owners and items come from
        the bill's tags and service names, so each is :func:`spreadsheet_safe`.
        """
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([spreadsheet_safe(self.settings.dimension), "item", "amount_usd"])
        for line in self.invoice_lines:
            owner = line.owner if line.owner is not None else "(unallocated)"
            writer.writerow(
                [spreadsheet_safe(owner), spreadsheet_safe(line.item), cents_text(line.cents)]
            )
        return out.getvalue()


_SHOWBACK_COLUMNS = [
    "owner",
    "direct_usd",
    "untagged_share_usd",
    "shared_share_usd",
    "commitment_share_usd",
    "total_usd",
    "share_of_bill",
    "allocated",
]
POOL_LABELS = {
    Pool.UNTAGGED: "untagged costs",
    Pool.SHARED: "shared costs",
    Pool.COMMITMENT: "unused commitment",
    Pool.PURCHASE: "commitment purchases with no covered usage in this bill",
}
# Pools shared only when the settings ask for unused commitment to be shared.
_COMMITMENT_POOLS = (Pool.COMMITMENT, Pool.PURCHASE)
_PURCHASE_ITEM = "{service} (commitment purchase, by the usage it covered)"


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet shows as written and never runs as a formula.

    A cell starting with ``= + - @``, a tab or a carriage return gets a leading
    apostrophe, which spreadsheets read as "this is text" (OWASP's advice on CSV
    injection). Amounts are written by :func:`cents_text` and need nothing: a plain
    ``-12.34`` is a number, not a formula.

    >>> spreadsheet_safe("=HYPERLINK(\\"http://x\\")"), spreadsheet_safe("search")
    ('\\'=HYPERLINK("http://x")', 'search')
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def cents_text(cents: int) -> str:
    """Whole cents as an exact decimal string.

    >>> cents_text(123456), cents_text(-5), cents_text(0)
    ('1234.56', '-0.05', '0.00')
    """
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def to_cents(amount: Decimal) -> int:
    """Round a USD amount to whole cents, halves away from zero.

    >>> to_cents(Decimal("0.125")), to_cents(Decimal("-0.125")), to_cents(Decimal("2"))
    (13, -13, 200)
    """
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def largest_remainder(total: int, quotas: Sequence[Fraction]) -> list[int]:
    """Integers as close as possible to ``quotas`` that sum to ``total`` (Hamilton's method).

    Each result is its quota rounded down or up; the units left after rounding down go to
    the largest remainders, ties to the earlier index. ``total - sum(floor(q))`` must be
    between 0 and ``len(quotas)``, which holds when ``total`` is ``sum(quotas)`` rounded.

    >>> largest_remainder(100, [Fraction(100, 3)] * 3)
    [34, 33, 33]
    >>> largest_remainder(-7, [Fraction(-7, 2), Fraction(-7, 2)])
    [-3, -4]
    >>> largest_remainder(0, [])
    []
    """
    floors = [math.floor(q) for q in quotas]
    left = total - sum(floors)
    if not quotas:
        if total != 0:
            raise ValueError(f"cannot split {total} among no one")
        return []
    if not 0 <= left <= len(quotas):
        raise ValueError(f"total {total} is not the rounded sum of the quotas")
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def _split(cents: int, weights: Sequence[Fraction]) -> list[int]:
    """Split whole cents in proportion to non-negative weights (not all zero)."""
    whole = sum(weights)
    return largest_remainder(cents, [Fraction(cents) * w / whole for w in weights])


def _json_path(key: str) -> str:
    return '$."' + key + '"'


# The tag lookup is the one function that differs by engine: Ibis's own JSON accessor runs
# a Python UDF on Spark (slow, and it fails on unquoted strings), while each engine has a
# native function that reads one key's value as text, numbers included.
_TAG_FUNCTIONS: Mapping[str, tuple[str, str]] = {
    "duckdb": ("json_extract_string", '$."{key}"'),
    "pyspark": ("get_json_object", "$['{key}']"),
}


def _tag_value(table: ibis.Table, key: str) -> ibis.Value:
    """The trimmed text of tag ``key`` in each row's ``tags``, or NULL if absent or empty."""
    import ibis

    engine = table.get_backend().name
    if engine not in _TAG_FUNCTIONS:
        raise PlannerInputError(
            f"Tags cannot be read on the {engine} engine yet; this planner reads them on "
            f"{', '.join(_TAG_FUNCTIONS)}",
            fix="export the bill to a file and attribute it with --engine duckdb",
        )
    name, path = _TAG_FUNCTIONS[engine]

    @ibis.udf.scalar.builtin(name=name)  # type: ignore[untyped-decorator]
    def lookup(tags: str, path: str) -> str:  # type: ignore[empty-body]
        """The engine's own JSON function; Ibis compiles the call by name."""

    # SQL's trim, spaces only, as on every engine; Ibis's strip would also eat a tab that
    # the invoices must show (and neutralise).
    @ibis.udf.scalar.builtin  # type: ignore[untyped-decorator]
    def trim(text: str) -> str:  # type: ignore[empty-body]
        """The engine's own trim."""

    value: ibis.StringValue = trim(lookup(table.tags, path.format(key=key)))
    return value.nullif("")


def _owned(
    table: ibis.Table,
    settings: AttributionSettings,
    cost: str,
    month: str | None,
    commitment_ids: Sequence[str] | None = None,
) -> ibis.Table:
    """The ``focus`` rows with ``cost``, their owner, the rule that found it and their
    bucket: ``direct``, ``shared``, ``untagged``, ``commitment`` (untagged unused
    commitment) or ``purchase`` (an untagged commitment purchase). With ``month``
    (``YYYY-MM``), only the rows whose charge period starts in that month; with
    ``commitment_ids``, only the rows of those commitments (filtered before the tags are
    read, which is the costly part)."""
    import ibis

    if month is not None:
        table = table.filter(_month(table) == month)
    if commitment_ids is not None:
        table = table.filter(table.commitment_id.isin(list(commitment_ids)))
    owners = []
    for rule in settings.rules:
        value = _tag_value(table, rule.tag_key)
        if rule.mapping:
            value = value.cases(*((e.value, e.owner) for e in rule.mapping))
        owners.append(value)
    owner = owners[0] if len(owners) == 1 else ibis.coalesce(*owners)
    which = ibis.cases(*((o.notnull(), i) for i, o in enumerate(owners, start=1)), else_=0)
    purchase = (table.charge_category == "Purchase") & table.commitment_id.notnull()
    branches = [(owner.notnull(), "direct")]
    if settings.shared_values:
        branches.insert(0, (owner.isin(list(settings.shared_values)), "shared"))
    bucket = ibis.cases(
        *branches,
        (purchase, "purchase"),
        (table.commitment_status == "Unused", "commitment"),
        else_="untagged",
    )
    return table.select(
        cost=table[cost],
        service=table.service.fill_null("(no service)"),
        charge_category=table.charge_category,
        commitment_status=table.commitment_status,
        commitment_id=table.commitment_id,
        utilization=table.utilization,
        owner=owner,
        rule=which,
        bucket=bucket,
    )


def _month(table: ibis.Table) -> ibis.StringValue:
    """The month (``YYYY-MM``) in which each row's charge period starts."""
    month: ibis.StringValue = table.start.strftime("%Y-%m")
    return month


def _fetch(expression: ibis.Table) -> pd.DataFrame:
    """Run ``expression`` on its engine. Sums arrive as Arrow decimals and become exact
    :class:`~decimal.Decimal` objects: a DECIMAL fetched as float64 would round a half cent
    such as 0.015 down."""
    backend = expression.get_backend()
    if backend.name == "pyspark":
        # Ibis collects Spark results through pandas, with API that pandas 3 deprecates
        # (and a warning on every run); Spark's own Arrow collection skips pandas.
        arrow = backend.raw_sql(backend.compile(expression)).toArrow()
    else:
        arrow = expression.to_pyarrow()
    frame: pd.DataFrame = arrow.to_pandas()
    return frame


def _aggregate(bill: Bill, settings: AttributionSettings, month: str | None) -> pd.DataFrame:
    """Exact sums by bucket, owner, rule, service, category, idleness and commitment."""
    import ibis

    owned = _owned(bill.table(), settings, settings.cost_view.column, month)
    idle = (owned.charge_category == "Usage") & (
        owned.utilization < settings.idle_utilization
    ).fill_null(False)
    commitment = ibis.cases((owned.bucket == "purchase", owned.commitment_id), else_=None)
    grouped = owned.group_by(
        "bucket", "owner", "rule", "service", "charge_category", idle=idle, commitment_id=commitment
    )
    return _fetch(grouped.aggregate(exact=owned.cost.sum(), n=owned.count()))


def _covered(
    bill: Bill, settings: AttributionSettings, ids: Sequence[str], month: str | None
) -> pd.DataFrame:
    """The amortised cost of the rows each commitment covers, by bucket, owner and service.

    These are the weights an untagged purchase is split by; negative sums weigh nothing.
    """
    owned = _owned(bill.table(), settings, "effective", month, ids)
    owned = owned.filter(owned.charge_category != "Purchase")
    grouped = owned.group_by("commitment_id", "bucket", "owner", "service")
    return _fetch(grouped.aggregate(exact=owned.cost.sum()))


def attribute(
    bill: Bill, settings: AttributionSettings | None = None, *, month: str | None = None
) -> Attribution:
    """Split a bill among owners by ``settings``; see the module docstring for the rules.

    With ``month`` (``YYYY-MM``, one of :func:`months`), only that month's rows are split:
    a commitment purchase then goes by the usage it covers in that month.

    Never raises for a valid bill and settings: an attribution with nobody to split the
    pools among leaves them unallocated and says so in ``notes``.
    """
    settings = settings or AttributionSettings()
    frame = _aggregate(bill, settings, month)
    notes: list[str] = []

    # Level 1: exact leaves (owner x invoice item, and each pool) to cents summing to the
    # total. Amounts are exact rationals: a purchase split by covered usage need not be a
    # whole number of anything.
    leaves: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    pool_exact: dict[Pool, Fraction] = dict.fromkeys(Pool, Fraction(0))
    for bucket, owner, service, exact in zip(
        frame["bucket"], frame["owner"], frame["service"], frame["exact"], strict=True
    ):
        if bucket == "direct":
            leaves[(str(owner), f"{service} (direct)")] += Fraction(exact)
        elif bucket != "purchase":
            pool_exact[Pool(bucket)] += Fraction(exact)
    _split_purchases(bill, settings, frame, leaves, pool_exact, month)
    total_exact = sum(frame["exact"], Decimal(0))
    total_cents = to_cents(total_exact)
    keys = sorted(leaves)
    quotas = [leaves[k] * 100 for k in keys] + [pool_exact[p] * 100 for p in Pool]
    cents = largest_remainder(total_cents, quotas)
    leaf_cents = dict(zip(keys, cents[: len(keys)], strict=True))
    pool_cents = dict(zip(Pool, cents[len(keys) :], strict=True))

    direct_cents: dict[str, int] = defaultdict(int)
    direct_exact: dict[str, Fraction] = defaultdict(Fraction)
    for (owner, _item), value in leaf_cents.items():
        direct_cents[owner] += value
    for (owner, _item), exact in leaves.items():
        direct_exact[owner] += exact

    # Level 2: split the pools.
    owners, weights = _split_basis(settings, direct_exact, notes)
    shares: dict[Pool, list[int]] = {}
    unallocated: list[tuple[Pool, int]] = []
    for pool in Pool:
        splittable = settings.shared_rule is not SharedRule.NONE and (
            pool not in _COMMITMENT_POOLS or settings.share_unused_commitment
        )
        if splittable and owners and pool_cents[pool] != 0:
            shares[pool] = _split(pool_cents[pool], weights)
        else:
            shares[pool] = [0] * len(owners)
            if pool_cents[pool] != 0:
                unallocated.append((pool, pool_cents[pool]))
    if not owners and any(pool_cents.values()) and settings.shared_rule is not SharedRule.NONE:
        notes.append(
            f"No row has an owner by the rules ({', '.join(r.label for r in settings.rules)}), "
            "so there is no one to split the untagged and shared costs among."
        )

    allocations = tuple(
        Allocation(
            owner=owner,
            direct_cents=direct_cents.get(owner, 0),
            untagged_cents=shares[Pool.UNTAGGED][i],
            shared_cents=shares[Pool.SHARED][i],
            commitment_cents=shares[Pool.COMMITMENT][i] + shares[Pool.PURCHASE][i],
        )
        for i, owner in enumerate(owners)
    )
    lines = _invoice_lines(allocations, leaf_cents, settings, unallocated)
    coverage = _coverage(frame, settings)
    idle = frame.loc[frame["idle"].astype(bool), "exact"]
    credits = frame.loc[frame["charge_category"] == "Credit", "exact"]
    adjustments = frame.loc[frame["charge_category"] == "Adjustment", "exact"]
    notes.extend(_assumptions(settings, bill))
    return Attribution(
        settings=settings,
        total_cents=total_cents,
        allocations=allocations,
        pools=tuple((pool, pool_cents[pool]) for pool in Pool),
        unallocated=tuple(unallocated),
        invoice_lines=lines,
        coverage=coverage,
        idle_cents=to_cents(sum(idle, Decimal(0))) if bill.has_utilization else None,
        credits_cents=to_cents(sum(credits, Decimal(0))),
        adjustments_cents=to_cents(sum(adjustments, Decimal(0))),
        notes=tuple(notes),
    )


def _split_purchases(
    bill: Bill,
    settings: AttributionSettings,
    frame: pd.DataFrame,
    leaves: dict[tuple[str, str], Fraction],
    pool_exact: dict[Pool, Fraction],
    month: str | None,
) -> None:
    """Add each untagged commitment purchase to the leaves and pools of the usage it covers.

    A purchase of amount P whose commitment covers amortised cost w_k in target k (an
    owner's service, or a pool) gives target k exactly P * w_k / sum(w). With no positive
    covered cost in the bill, P goes to :attr:`Pool.PURCHASE`.
    """
    purchases = frame[frame["bucket"] == "purchase"]
    if purchases.empty:
        return
    amounts: dict[str, Fraction] = defaultdict(Fraction)
    for commitment_id, exact in zip(purchases["commitment_id"], purchases["exact"], strict=True):
        amounts[str(commitment_id)] += Fraction(exact)
    # In the amortised view a purchase's EffectiveCost is 0: nothing to split, no query.
    amounts = {k: v for k, v in amounts.items() if v != 0}
    if not amounts:
        return
    covered = _covered(bill, settings, sorted(amounts), month)
    targets: dict[str, dict[tuple[str, str] | Pool, Fraction]] = defaultdict(
        lambda: defaultdict(Fraction)
    )
    for commitment_id, bucket, owner, service, exact in zip(
        covered["commitment_id"],
        covered["bucket"],
        covered["owner"],
        covered["service"],
        covered["exact"],
        strict=True,
    ):
        key: tuple[str, str] | Pool = (
            (str(owner), _PURCHASE_ITEM.format(service=service))
            if bucket == "direct"
            else Pool(bucket)
        )
        targets[str(commitment_id)][key] += Fraction(exact)
    for commitment_id, amount in amounts.items():
        weights = {k: w for k, w in targets[commitment_id].items() if w > 0}
        whole = sum(weights.values(), Fraction(0))
        if whole == 0:
            pool_exact[Pool.PURCHASE] += amount
            continue
        for target, weight in weights.items():
            share = amount * weight / whole
            if isinstance(target, Pool):
                pool_exact[target] += share
            else:
                leaves[target] += share


def _split_basis(
    settings: AttributionSettings, direct: Mapping[str, Fraction], notes: list[str]
) -> tuple[list[str], list[Fraction]]:
    """The owners who carry pool costs and their weights."""
    owners = sorted(direct)
    rule = settings.shared_rule
    if rule is SharedRule.FIXED:
        given = {w.owner: Fraction(w.weight) for w in settings.weights}
        owners = sorted(set(owners) | {o for o, w in given.items() if w > 0})
        weights = [given.get(o, Fraction(0)) for o in owners]
        if sum(weights) > 0:
            missing = [o for o in owners if given.get(o, 0) == 0]
            if missing:
                notes.append(
                    f"No weight is set for {', '.join(missing[:10])}"
                    f"{' and others' if len(missing) > 10 else ''}: they carry no shared cost."
                )
            return owners, weights
        if owners:
            notes.append("The fixed weights are all zero, so shared costs are split evenly.")
        return owners, [Fraction(1)] * len(owners)
    if rule is SharedRule.PROPORTIONAL:
        weights = [max(direct[o], Fraction(0)) for o in owners]
        if sum(weights) > 0:
            return owners, weights
        if owners:
            notes.append("No owner has a positive direct cost, so shared costs are split evenly.")
    return owners, [Fraction(1)] * len(owners)


def _invoice_lines(
    allocations: Sequence[Allocation],
    leaf_cents: Mapping[tuple[str, str], int],
    settings: AttributionSettings,
    unallocated: Sequence[tuple[Pool, int]],
) -> tuple[InvoiceLine, ...]:
    how = settings.shared_rule.label
    by_owner: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (owner, item), cents in sorted(leaf_cents.items()):
        by_owner[owner].append((item, cents))
    lines = []
    for a in allocations:
        for item, cents in by_owner.get(a.owner, []):
            lines.append(InvoiceLine(owner=a.owner, item=item, cents=cents))
        for label, cents in (
            (POOL_LABELS[Pool.UNTAGGED], a.untagged_cents),
            (POOL_LABELS[Pool.SHARED], a.shared_cents),
            ("commitment", a.commitment_cents),
        ):
            if cents:
                lines.append(
                    InvoiceLine(owner=a.owner, item=f"share of {label}, {how}", cents=cents)
                )
    for pool, cents in unallocated:
        if cents:
            lines.append(InvoiceLine(owner=None, item=POOL_LABELS[pool], cents=cents))
    return tuple(lines)


def _coverage(frame: pd.DataFrame, settings: AttributionSettings) -> TagCoverage:
    usage = frame[(frame["charge_category"] == "Usage") & (frame["bucket"] != "commitment")]
    by_rule = []
    for index, rule in enumerate(settings.rules, start=1):
        exact = sum(usage.loc[usage["rule"] == index, "exact"], Decimal(0))
        by_rule.append((rule.label, to_cents(exact)))
    untagged = sum(usage.loc[usage["rule"] == 0, "exact"], Decimal(0))
    return TagCoverage(
        usage_cents=to_cents(sum(usage["exact"], Decimal(0))),
        by_rule=tuple(by_rule),
        untagged_cents=to_cents(untagged),
        usage_rows=int(usage["n"].sum()),
        tagged_rows=int(usage.loc[usage["rule"] > 0, "n"].sum()),
    )


def _assumptions(settings: AttributionSettings, bill: Bill) -> list[str]:
    rules = " → ".join(r.label for r in settings.rules)
    notes = [
        f"Costs: the {settings.cost_view.label} view of {bill.rows_usable:,} usable rows "
        f"of {bill.source}.",
        f"Owner: the first tag present among {rules}.",
    ]
    if settings.shared_values:
        notes.append(f"Shared: owners named {', '.join(settings.shared_values)}.")
    notes.append(f"Untagged and shared costs are {settings.shared_rule.label}.")
    notes.append(
        "An untagged commitment purchase is split by the amortised cost (EffectiveCost) of "
        "the usage it covers; its unused share is unused commitment."
    )
    if settings.share_unused_commitment and settings.shared_rule is not SharedRule.NONE:
        notes.append(f"Unused commitment is shared the same way ({settings.shared_rule.label}).")
    else:
        notes.append("Unused commitment is shown on its own, not charged to anyone.")
    return notes


# Dimensions a bill can be broken down by, besides tag keys ("tag:KEY").
DIMENSIONS: Mapping[str, str] = {
    "service": "coalesce(service, '(no service)')",
    "service_category": "coalesce(service_category, '(none)')",
    "charge_category": "charge_category",
    "pricing_category": "coalesce(pricing_category, '(none)')",
    "resource_type": "coalesce(resource_type, '(none)')",
    "month": "strftime(date_trunc('month', start), '%Y-%m')",
}


def cost_by(bill: Bill, view: CostView, dimension: str, *, limit: int = 50) -> pd.DataFrame:
    """Cost by one dimension: a tag (``"tag:team"``) or one of :data:`DIMENSIONS`.

    Returns columns ``value`` and ``usd`` (float, for charts), largest first (months in
    order), at most ``limit`` values with the rest summed as ``(other)``.
    """
    params: list[object] = []
    if dimension.startswith("tag:"):
        key = dimension.removeprefix("tag:")
        if not key or '"' in key or "\\" in key:
            raise ValueError(f"bad tag key {key!r}")
        expression = "coalesce(nullif(trim(json_extract_string(tags, ?)), ''), ?)"
        params = [_json_path(key), UNTAGGED_LABEL]
    elif dimension in DIMENSIONS:
        expression = DIMENSIONS[dimension]
    else:
        raise ValueError(f"unknown dimension {dimension!r}")
    sql = (
        f"SELECT {expression} AS value, sum({view.column})::DOUBLE AS usd FROM focus "  # noqa: S608
        "GROUP BY ALL ORDER BY usd DESC, value"
    )
    frame = bill.frame(sql, params)
    if dimension == "month":
        return frame.sort_values("value", ignore_index=True)
    if len(frame) > limit:
        head = frame.iloc[: limit - 1]
        rest = pd.DataFrame(
            {"value": ["(other)"], "usd": [float(frame["usd"].iloc[limit - 1 :].sum())]}
        )
        frame = pd.concat([head, rest], ignore_index=True)
    return frame


def months(bill: Bill) -> tuple[str, ...]:
    """The months (``YYYY-MM``) in which the bill's charge periods start, in order."""
    table = bill.table()
    found = table.select(m=_month(table)).distinct().order_by("m")
    return tuple(str(m) for m in _fetch(found)["m"])


INVOICE_COLUMNS = (
    "direct_usd",
    "untagged_share_usd",
    "shared_share_usd",
    "commitment_share_usd",
    "amount_usd",
)


def monthly_invoices_csv(by_month: Sequence[tuple[str, Attribution]]) -> str:
    """Chargeback lines as CSV: one per owner and month, then that month's unallocated.

    Columns: ``month``, the owner dimension (e.g. ``team``), the parts of the amount
    (:data:`INVOICE_COLUMNS`) and ``amount_usd``, all exact decimals; each month's lines
    add up to that month's total to the cent. Text cells are :func:`spreadsheet_safe`.

    >>> import pandas as pd
    >>> from planner.finops.billing import bill_from_frame
    >>> bill = bill_from_frame(pd.DataFrame({"BilledCost": ["2", "1"],
    ...     "EffectiveCost": ["2", "1"], "ChargeCategory": ["Usage"] * 2,
    ...     "ChargePeriodStart": ["2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"],
    ...     "ChargePeriodEnd": ["2025-01-02T00:00:00Z", "2025-02-02T00:00:00Z"],
    ...     "Tags": ['{"team": "=a"}', None]}))
    >>> settings = AttributionSettings(rules=(AttributionRule(tag_key="team"),))
    >>> print(monthly_invoices_csv([(m, attribute(bill, settings, month=m))
    ...     for m in months(bill)]), end="")
    month,team,direct_usd,untagged_share_usd,shared_share_usd,commitment_share_usd,amount_usd
    2025-01,'=a,2.00,0.00,0.00,0.00,2.00
    2025-02,(unallocated),0.00,1.00,0.00,0.00,1.00
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    dimension = by_month[0][1].settings.dimension if by_month else "owner"
    writer.writerow(["month", spreadsheet_safe(dimension), *INVOICE_COLUMNS])
    for month, result in by_month:
        for a in sorted(result.allocations, key=lambda a: a.owner):
            if not any((a.direct_cents, a.untagged_cents, a.shared_cents, a.commitment_cents)):
                continue
            parts = (a.direct_cents, a.untagged_cents, a.shared_cents, a.commitment_cents)
            writer.writerow(
                [
                    spreadsheet_safe(month),
                    spreadsheet_safe(a.owner),
                    *(cents_text(c) for c in parts),
                    cents_text(a.total_cents),
                ]
            )
        if result.unallocated_cents:
            pools = dict(result.unallocated)
            parts = (
                0,
                pools.get(Pool.UNTAGGED, 0),
                pools.get(Pool.SHARED, 0),
                pools.get(Pool.COMMITMENT, 0) + pools.get(Pool.PURCHASE, 0),
            )
            writer.writerow(
                [
                    spreadsheet_safe(month),
                    "(unallocated)",
                    *(cents_text(c) for c in parts),
                    cents_text(result.unallocated_cents),
                ]
            )
    return out.getvalue()


# --------------------------------------------------------------------------- charts
# Altair is imported inside each builder, so that importing the scenario schema (which
# imports this module) stays quick for the command line.
