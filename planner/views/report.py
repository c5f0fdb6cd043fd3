"""The business-case report: one self-contained HTML file, or Markdown.

A report answers a question. It has, in order: the question; the recommendation; costs and
savings; the assumptions with their sources (the scenario's sources, the catalog basis of
each price, the catalog figures used, and the assumption checks); sensitivity and risks;
and the share link that reopens the scenario in the app. HTML embeds its charts as SVG
drawn by vl-convert, with no scripts or external files, so it opens offline.

Pluggable parts
---------------
Each capability contributes a :class:`ReportPart`: a function ``(scenario, catalog) ->
ReportPart | tuple[ReportPart, ...] | None`` (a tuple: one part per training job or endpoint;
``None``: nothing to say about this scenario). :data:`PARTS` lists them
as ``"module:function"`` strings, imported only when a report is built, so a capability
adds its part with one line here and this module imports no capability at load time. A
part that raises :class:`~planner.core.errors.PlannerInputError` becomes a risk that quotes the
error, so one broken section does not hide the rest.

Scenario text
-------------
Titles, names, questions and sources come from whoever made the file or the link. The HTML
escapes every text; the Markdown escapes Markdown syntax and writes ``<`` and ``>`` as
entities, so a name cannot become raw HTML, a link, a remote image or LaTeX in a reader's
viewer (:func:`md_inline`).

>>> from planner.scenario import Scenario, ToolingItem
>>> report = build_report(Scenario(title="Demo", tooling=(
...     ToolingItem(name="tracking", usd_per_month=300),)))
>>> markdown = to_markdown(report)
>>> markdown.splitlines()[0], "## Recommendation" in markdown, "$300.00" in markdown
('# Demo', True, True)
"""

from __future__ import annotations

import datetime
import html
import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import cast

import altair as alt
import pandas as pd
import vl_convert

from planner import whatif
from planner.catalog import Catalog, load_catalog
from planner.core.check import Severity
from planner.core.errors import PlannerInputError
from planner.core.formatting import usd
from planner.core.units import MONTHS_PER_YEAR
from planner.costing import buildbuy
from planner.costing.economics import evaluate, projection
from planner.scenario import Scenario
from planner.scenario.business_case import BusinessCase, Output
from planner.views import charts, whatif_charts
from planner.views.checks import check_scenario

# One line per capability: "module:function" returning a ReportPart or None.
PARTS: tuple[str, ...] = (
    "planner.views.report:unit_economics_part",
    "planner.views.report_system:training_part",
    "planner.views.report_system:serving_part",
    "planner.views.report_system:finops_part",
    "planner.views.report:build_vs_buy_part",
    "planner.views.report:sensitivity_part",
)

# The Vega-Lite version Altair writes, e.g. "6.4" for schema v6.4.1.
_VEGA_LITE = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
_CHART_WIDTH = 560
# The formats a report can be written in, by file suffix.
SUFFIXES = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
MAX_TORNADO_ROWS = 12
# The report's sensitivity prices the whole system at each end of each tornado bar and at each
# Monte Carlo draw, and each pricing prices every job and endpoint: its work is
# (2 × parameters + draws) × items. A gallery lesson needs about 4,000 of these; 20 jobs and
# 20 endpoints need 2 × 295 + 2,000 pricings of 40 items, about 104,000 (two minutes here).
# Above the bound the report draws fewer, or skips the tornado, and says so.
MAX_REPORT_WORK = 8_000


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A table of already formatted cells (strings), shown as it is."""

    frame: pd.DataFrame
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart; the HTML shows it as SVG, the Markdown shows only its caption."""

    chart: alt.TopLevelMixin
    caption: str


Block = Paragraph | Bullets | Table | Chart


@dataclass(frozen=True, slots=True, kw_only=True)
class AssumptionRow:
    """One line of the assumptions table."""

    name: str
    value: str
    unit: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportPart:
    """What one capability adds to each section of the report."""

    title: str
    question: str | None = None
    recommendation: str | None = None
    costs: tuple[Block, ...] = ()
    assumptions: tuple[AssumptionRow, ...] = ()
    sensitivity: tuple[Block, ...] = ()
    risks: tuple[str, ...] = ()


# A builder returns one part, one per item it covers (each training job, each endpoint), or
# None when the scenario has nothing for it.
PartBuilder = Callable[["Scenario", Catalog], "ReportPart | tuple[ReportPart, ...] | None"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """Everything the report shows, before it is written as HTML or Markdown."""

    title: str
    description: str
    question: str
    recommendations: tuple[str, ...]
    parts: tuple[ReportPart, ...]
    sources: tuple[str, ...]
    checks: tuple[str, ...]
    share_link: str
    generated_on: str | None = None

    @property
    def assumptions(self) -> tuple[AssumptionRow, ...]:
        return tuple(row for part in self.parts for row in part.assumptions)

    @property
    def risks(self) -> tuple[str, ...]:
        return tuple(risk for part in self.parts for risk in part.risks)


def _builder(spec: str) -> PartBuilder:
    module, _, name = spec.partition(":")
    return cast(PartBuilder, getattr(importlib.import_module(module), name))


def build_report(
    scenario: Scenario,
    catalog: Catalog | None = None,
    *,
    share_link: str = "",
    parts: Sequence[PartBuilder] | None = None,
    generated_on: datetime.date | None = None,
) -> Report:
    """Assemble the report of a scenario from its parts (default: :data:`PARTS`).

    ``share_link`` is the link that opens this scenario (:func:`planner.io.share.link`),
    made by the caller, who knows the app's address.
    """
    catalog = catalog or load_catalog()
    builders = list(parts) if parts is not None else [_builder(spec) for spec in PARTS]
    built = []
    for builder in builders:
        try:
            part = builder(scenario, catalog)
        except PlannerInputError as error:
            name = builder.__name__.removesuffix("_part").replace("_", " ")
            part = ReportPart(
                title=name.capitalize(),
                risks=(f"The {name} section could not be computed: {error}",),
            )
        if isinstance(part, ReportPart):
            built.append(part)
        elif part is not None:
            built.extend(part)
    case = scenario.business_case
    questions = [p.question for p in built if p.question]
    question = (case.question if case is not None else "") or (
        " ".join(questions) if questions else f"What does “{scenario.title}” cost?"
    )
    try:
        economics = evaluate(scenario, catalog)
        checks = tuple(
            f"{'Warning' if c.severity is Severity.WARNING else 'Note'} ({c.subject}): {c.message}."
            for c in check_scenario(scenario, economics, catalog)
        )
    except PlannerInputError as error:
        checks = (f"The checks could not run: {error}",)
    return Report(
        title=scenario.title,
        description=scenario.description,
        question=question,
        parts=tuple(built),
        sources=scenario.sources,
        checks=checks,
        share_link=share_link,
        generated_on=None if generated_on is None else generated_on.isoformat(),
        recommendations=tuple(p.recommendation for p in built if p.recommendation),
    )


def with_text(scenario: Scenario, *, title: str, question: str) -> Scenario:
    """The scenario with the report's title and question as the user typed them.

    The question lives in ``business_case``. A scenario without one gets one only for a
    question that is not empty, so an untouched report leaves the scenario, and its link, as
    they were. An empty question lets the report ask its own.

    >>> from planner.scenario import Scenario
    >>> plain = with_text(Scenario(), title="Chatbot", question="")
    >>> plain.title, plain.business_case
    ('Chatbot', None)
    >>> with_text(plain, title="Chatbot", question="Build or buy?").business_case.question
    'Build or buy?'
    """
    case = scenario.business_case
    if case is None and not question:
        return replace(scenario, title=title)
    return replace(
        scenario, title=title, business_case=replace(case or BusinessCase(), question=question)
    )


# ---------------------------------------------------------------------------------------
# The parts this module provides


def _parameter_rows(
    scenario: Scenario, catalog: Catalog, scope: whatif.Scope
) -> list[AssumptionRow]:
    rows = []
    pricing = scenario.pricing
    for param in whatif.key_parameters(scenario):
        if param.scope is not scope:
            continue
        value = whatif.value_of(scenario, param.key, catalog)
        source = "scenario"
        match = whatif.price_parts(param.key)
        if match is not None:
            source = catalog.hourly_price(
                match[0],
                match[1],
                overrides=pricing.overrides,
                reserved_1y_discount=pricing.reserved_1y_discount,
                reserved_3y_discount=pricing.reserved_3y_discount,
            ).basis
            if source != "override":
                source += f"; source: {catalog.instance(match[0]).source}"
        rows.append(
            AssumptionRow(
                name=param.label,
                value=whatif.format_value(param, value),
                unit=param.unit,
                source=source,
            )
        )
    return rows


def _catalog_rows(catalog: Catalog, keys: Sequence[str]) -> list[AssumptionRow]:
    rows = []
    for key in keys:
        item = catalog.assumptions[key]
        rows.append(
            AssumptionRow(
                name=key.replace("_", " ").capitalize(),
                value=f"{item.value:g}",
                unit=item.unit,
                source=f"catalog: {item.source} ({item.date})",
            )
        )
    return rows


def unit_economics_part(scenario: Scenario, catalog: Catalog) -> ReportPart | None:
    """Monthly cost by line with how each was computed, and the unit costs."""
    if not whatif.has_unit_costs(scenario):
        return None
    economics = evaluate(scenario, catalog)
    lines = economics.lines_frame()
    largest = max(economics.lines, key=lambda line: line.usd_per_month, default=None)
    share = (
        f" The largest item is {largest.item} ({usd(largest.usd_per_month)}, "
        f"{largest.usd_per_month / economics.monthly_cost_usd:.0%})."
        if largest is not None and economics.monthly_cost_usd > 0
        else ""
    )
    unit = (
        f", {usd(economics.per_1k_requests_usd)} per 1,000 requests"
        if economics.per_1k_requests_usd is not None
        else ""
    )
    months = scenario.business.projection_months
    growth = scenario.business.monthly_traffic_growth
    horizon_usd = float(projection(scenario, catalog)["usd"].sum())
    headline = pd.DataFrame(
        [
            ("Monthly cost", usd(economics.monthly_cost_usd)),
            ("Annual cost (12 × monthly)", usd(economics.monthly_cost_usd * MONTHS_PER_YEAR)),
            (
                f"Over the {months}-month projection ({growth:+.1%} traffic a month)",
                usd(horizon_usd),
            ),
            ("Per request", usd(economics.per_request_usd)),
            ("Per 1,000 requests", usd(economics.per_1k_requests_usd)),
            ("Per user per month", usd(economics.per_user_usd)),
            ("Per training run", usd(economics.per_training_run_usd)),
            (
                "Gross margin",
                "n/a" if economics.gross_margin is None else f"{economics.gross_margin:.1%}",
            ),
        ],
        columns=["Figure", "Value"],
    )
    table = pd.DataFrame(
        {
            "Category": lines["category"].str.replace("_", " "),
            "Item": lines["item"],
            "USD/month": [usd(v) for v in lines["usd_per_month"]],
            "USD/year": [usd(v * MONTHS_PER_YEAR) for v in lines["usd_per_month"]],
            "How it is computed": lines["basis"],
        }
    )
    used = []
    if any(item.usd_per_gb_month is None for item in scenario.storage):
        used.append("object_storage_usd_per_gb_month")
    if any(item.usd_per_gb is None for item in scenario.data_transfer):
        used.append("internet_egress_usd_per_gb")
    return ReportPart(
        title="Unit economics",
        question=f"What does {scenario.title} cost a month, and per request?",
        recommendation=f"It costs {usd(economics.monthly_cost_usd)} a month{unit}.{share}",
        costs=(
            Table(headline, "Unit costs"),
            Chart(charts.breakdown_chart(lines), "Monthly cost by category"),
            Table(table, "Every cost line and how it is computed"),
        ),
        assumptions=(
            *_parameter_rows(scenario, catalog, whatif.Scope.UNIT_ECONOMICS),
            *_catalog_rows(catalog, used),
        ),
    )


def build_vs_buy_part(scenario: Scenario, catalog: Catalog) -> ReportPart | None:
    """Build against buy over the horizon: items, cumulative cost and break-even points."""
    case = scenario.business_case
    if case is None or case.build_vs_buy is None:
        return None
    bvb = case.build_vs_buy
    result = buildbuy.tco(scenario, catalog)
    month = (
        f"building pays back in month {result.break_even_month}"
        if result.break_even_month is not None
        else f"building does not pay back within {result.horizon_months} months"
    )
    team = (
        f"at a flat team, building is no dearer from {result.break_even_team_size:,} seats "
        f"(the team is {bvb.team_size:,})"
        if result.break_even_team_size is not None
        else f"buying stays cheaper for any team up to {buildbuy.BREAK_EVEN_TEAM_CAP:,} seats"
    )
    days = result.break_even_opportunity_engineer_days
    opportunity = (
        f"{days:,.1f} engineer-days over the horizon"
        if days is not None
        else f"none: {result.build_label} costs more even without it"
    )
    headline = pd.DataFrame(
        [
            (result.build_label, usd(result.build_usd)),
            (
                f"{result.build_label} without the opportunity cost",
                usd(result.build_without_opportunity_usd),
            ),
            (result.buy_label, usd(result.buy_usd)),
            ("Build minus buy", whatif.format_output(Output.TCO_DIFFERENCE, result.difference_usd)),
            (
                "Break-even month",
                "none" if result.break_even_month is None else str(result.break_even_month),
            ),
            (
                "Break-even team size (flat)",
                "none"
                if result.break_even_team_size is None
                else f"{result.break_even_team_size:,}",
            ),
            ("Opportunity cost at which they cost the same", opportunity),
        ],
        columns=["Figure", f"Over {result.horizon_months} months"],
    )
    lines = result.lines_frame()
    table = pd.DataFrame(
        {
            "Option": lines["option"],
            "Item": lines["item"],
            "USD": [usd(v) for v in lines["usd"]],
            "How it is computed": lines["basis"],
        }
    )
    used = []
    if (
        bvb.self_hosted.storage_usd_per_gb_month is None
        and result.lines
        and any(line.item == "Artifact storage" for line in result.lines)
    ):
        used.append("object_storage_usd_per_gb_month")
    if bvb.self_hosted.kubernetes_control_plane_share > 0:
        used.append("kubernetes_control_plane_usd_per_hour")
    fixed = [
        AssumptionRow(
            name="Horizon", value=f"{bvb.horizon_months}", unit="months", source="scenario"
        ),
        AssumptionRow(
            name="Hours per engineer-day",
            value=f"{bvb.hours_per_engineer_day:g}",
            unit="h",
            source="scenario",
        ),
        AssumptionRow(
            name=f"Upgrade interval — {result.build_label}",
            value=f"{bvb.self_hosted.upgrade_every_months}",
            unit="months",
            source="scenario",
        ),
    ]
    for plan in bvb.saas.plans:
        if plan.max_seats is not None:
            fixed.append(
                AssumptionRow(
                    name=f"Seat limit — plan “{plan.name}”",
                    value=f"{plan.max_seats:,}",
                    unit="seats",
                    source="scenario",
                )
            )
    return ReportPart(
        title="Build vs buy",
        question=(
            f"Over {result.horizon_months} months, is {result.build_label} cheaper than "
            f"{result.buy_label}?"
        ),
        recommendation=f"{result.summary()} {month.capitalize()}; {team}.",
        costs=(
            Table(headline, "Total cost of ownership"),
            Chart(
                whatif_charts.cumulative_chart(result.frame(), result.break_even_month),
                "Cumulative cost of each option",
            ),
            Table(table, "Every item over the horizon and how it is computed"),
        ),
        assumptions=(
            *fixed,
            *_parameter_rows(scenario, catalog, whatif.Scope.BUILD_VS_BUY),
            *_catalog_rows(catalog, used),
        ),
    )


def sensitivity_part(scenario: Scenario, catalog: Catalog) -> ReportPart | None:
    """Tornado on the report's output, switching values, and Monte Carlo percentiles."""
    if not whatif.has_unit_costs(scenario) and Output.TCO_DIFFERENCE not in (
        whatif.available_outputs(scenario)
    ):
        return None
    output = whatif.default_output(scenario)
    percent = (scenario.business_case or BusinessCase()).tornado_percent
    blocks: list[Block] = []
    risks: list[str] = []
    budget = sensitivity_budget(scenario, len(whatif.spreads(scenario, catalog, output=output)))
    blocks.extend(Paragraph(note) for note in budget.notes)
    result = whatif.tornado(scenario, output, catalog) if budget.tornado else None
    frame = result.frame().head(MAX_TORNADO_ROWS) if result is not None else pd.DataFrame()
    if result is not None and len(frame):
        blocks.append(
            Chart(
                whatif_charts.tornado_chart(frame, output),
                f"Tornado: each assumption at its low and high value (± {percent:g}% unless "
                "a range is set), the others at their base",
            )
        )
        blocks.append(Table(result.table(MAX_TORNADO_ROWS), f"Tornado on {output.label.lower()}"))
    for label in result.not_bracketing() if result is not None else ():
        risks.append(
            f"{label}: the {output.label.lower()} at the scenario's value lies outside its "
            "values at the low and the high end, so it peaks or dips in between (a step or a "
            "plan change); see the sweep on the Sensitivity page."
        )
    if output is Output.TCO_DIFFERENCE:
        switches = whatif.switching_values(scenario, catalog)
        for switch in switches:
            param = switch.spread.parameter
            if switch.in_range and switch.value is not None:
                risks.append(
                    f"{param.label} decides the answer: at "
                    f"{whatif.format_value(param, switch.value)} {param.unit} (base "
                    f"{whatif.format_value(param, switch.spread.base)}) building and buying "
                    f"cost the same, inside the tested range "
                    f"{whatif.format_value(param, switch.spread.low)}–"
                    f"{whatif.format_value(param, switch.spread.high)}."
                )
        rows = whatif.switches_table(switches)
        if len(rows):
            blocks.append(
                Table(
                    rows,
                    "Switching values: where one assumption alone turns the answer around",
                )
            )
    if not budget.draws:
        return ReportPart(title="Sensitivity", sensitivity=tuple(blocks), risks=tuple(risks))
    uncertainty = whatif.monte_carlo(scenario, catalog, samples=budget.draws)
    if uncertainty.note:
        blocks.append(Paragraph(f"Monte Carlo: {uncertainty.note}"))
    percentiles = uncertainty.percentiles()
    if len(percentiles):
        blocks.append(
            Table(
                pd.DataFrame(
                    {
                        "Output": [whatif.OUTPUT_NAMES[o] for o in percentiles["output"]],
                        "P10": [
                            _money(o, v)
                            for o, v in zip(percentiles["output"], percentiles["p10"], strict=True)
                        ],
                        "P50": [
                            _money(o, v)
                            for o, v in zip(percentiles["output"], percentiles["p50"], strict=True)
                        ],
                        "P90": [
                            _money(o, v)
                            for o, v in zip(percentiles["output"], percentiles["p90"], strict=True)
                        ],
                    }
                ),
                f"Monte Carlo: {uncertainty.samples:,} draws of every assumption at once "
                "(triangular or PERT between low, likely and high)",
            )
        )
    if uncertainty.fan is not None:
        blocks.append(Chart(whatif_charts.fan_chart(uncertainty.fan), "Cumulative cost, P10–P90"))
        blocks.append(
            Chart(
                whatif_charts.distribution_chart(
                    uncertainty.outputs["tco_difference"],
                    "Build minus buy",
                    Output.TCO_DIFFERENCE,
                ),
                "Build minus buy across the draws: below zero, building is cheaper",
            )
        )
        chance = uncertainty.probability_build_cheaper
        if chance is not None:
            risks.append(
                f"In {chance:.0%} of the Monte Carlo draws building is cheaper over the horizon."
            )
    elif "monthly_cost" in uncertainty.outputs:
        blocks.append(
            Chart(
                whatif_charts.distribution_chart(
                    uncertainty.outputs["monthly_cost"], "Monthly cost"
                ),
                "Monthly cost across the draws",
            )
        )
    blocks.append(Table(whatif.spreads_table(uncertainty.spreads), "The ranges used"))
    return ReportPart(title="Sensitivity", sensitivity=tuple(blocks), risks=tuple(risks))


@dataclass(frozen=True, slots=True, kw_only=True)
class SensitivityBudget:
    """What the report's sensitivity can afford within :data:`MAX_REPORT_WORK`: the tornado
    or not, the Monte Carlo draws (0: none), and a note for each cut."""

    tornado: bool
    draws: int
    notes: tuple[str, ...]


def sensitivity_budget(scenario: Scenario, parameters: int) -> SensitivityBudget:
    r"""The tornado first (the report charts it), then as many Monte Carlo draws as the rest
    of :data:`MAX_REPORT_WORK` affords, up to the default; a Monte Carlo of fewer than
    :data:`planner.whatif.MIN_SAMPLES` draws is not drawn.

    .. math:: W = (2P\,[\text{tornado}] + D)\,\max(n, 1) \le W_{max}

    for ``P`` tornado parameters, ``D`` draws and ``n`` jobs and endpoints.

    >>> from planner.scenario import Scenario
    >>> sensitivity_budget(Scenario(), 9)
    SensitivityBudget(tornado=True, draws=2000, notes=())
    >>> from planner.costing.serving import Endpoint
    >>> big = Scenario(serving=tuple(Endpoint(name=str(i)) for i in range(20)))
    >>> budget = sensitivity_budget(big, 150)
    >>> budget.tornado, budget.draws
    (True, 100)
    """
    items = max(len(scenario.training) + len(scenario.serving), 1)
    work = (
        f"each pricing of this system prices {items:,} jobs and endpoints, and a report does "
        f"at most {MAX_REPORT_WORK:,} of those"
    )
    notes = []
    tornado = 2 * parameters * items <= MAX_REPORT_WORK
    left = MAX_REPORT_WORK - (2 * parameters * items if tornado else 0)
    if not tornado:
        notes.append(
            f"No tornado in this report: it would price the system {2 * parameters:,} times "
            f"({parameters:,} assumptions, each at its low and high value); {work}. The "
            "Sensitivity page draws it."
        )
    draws = min(left // items, whatif.DEFAULT_SAMPLES)
    if draws < whatif.MIN_SAMPLES:
        notes.append(
            f"No Monte Carlo in this report: it needs at least {whatif.MIN_SAMPLES} draws, "
            f"{work}. The Sensitivity page draws it."
        )
        return SensitivityBudget(tornado=tornado, draws=0, notes=tuple(notes))
    if draws < whatif.DEFAULT_SAMPLES:
        notes.append(f"Monte Carlo: {draws:,} draws instead of {whatif.DEFAULT_SAMPLES:,}: {work}.")
    return SensitivityBudget(tornado=tornado, draws=draws, notes=tuple(notes))


def _money(output: str, value: float) -> str:
    if output == "tco_difference":
        return whatif.format_output(Output.TCO_DIFFERENCE, value)
    return usd(value)


# ---------------------------------------------------------------------------------------
# Writing


def _assumptions_frame(report: Report) -> pd.DataFrame:
    return pd.DataFrame(
        [(r.name, r.value, r.unit, r.source) for r in report.assumptions],
        columns=["Assumption", "Value", "Unit", "Source"],
    )


# Markdown syntax that can change what a text shows: backslash, code, emphasis, strikethrough,
# links and images ([ ]), table cells (|), and a $ that could open or close inline math. A $
# before a digit is left alone: money reads "$1,200", and GitHub and pandoc never close math
# on a $ followed by a digit, so without an unescaped closer no math can form. An underscore
# inside a word (snake_case, URLs) never emphasises, so only one at a word's edge is escaped.
_MD_SPECIAL = re.compile(r"[\\`*~\[\]|]|(?<!\w)_|_(?!\w)|\$(?!\d)")
_LINE_BREAKS = re.compile(r"\r\n?|\n")
# What makes a line a heading, list item or thematic break when it starts a block.
_MD_BLOCK_START = re.compile(r"^(?:([#+-])|(\d+)([.)]))")


def md_inline(text: str) -> str:
    """Text shown as written inside a Markdown line: one line, syntax escaped, and ``<``/``>``
    as entities, which every Markdown renderer shows as text (some ignore ``\\<``).

    >>> md_inline("<img src=x onerror=alert(1)> ![x](http://evil/x.png) $5 or x$")
    '&lt;img src=x onerror=alert(1)&gt; !\\\\[x\\\\](http://evil/x.png) $5 or x\\\\$'
    >>> md_inline("snake_case _emphasis_ a|b")
    'snake_case \\\\_emphasis\\\\_ a\\\\|b'
    """
    # A line break would end a table row or list item; other spaces are kept as written.
    escaped = _MD_SPECIAL.sub(lambda match: "\\" + match.group(0), _LINE_BREAKS.sub(" ", text))
    return escaped.replace("<", "&lt;").replace(">", "&gt;")


def md_block(text: str) -> str:
    """A paragraph or list item shown as written: :func:`md_inline` on each paragraph, and a
    leading ``#``, ``+``, ``-`` or ``1.`` escaped so it cannot start a heading or a list.

    >>> md_block("# Not a heading"), md_block("1. not a list")
    ('\\\\# Not a heading', '1\\\\. not a list')
    """
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(
        _MD_BLOCK_START.sub(
            lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3),
            # Leading spaces would make an indented code block of it.
            md_inline(paragraph.strip()),
        )
        for paragraph in paragraphs
    )


def _md_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(md_inline(str(c)) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = [
        "| " + " | ".join(md_inline(str(v)) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])


def _md_list(items: Sequence[str], empty: str) -> str:
    return "\n".join(f"- {md_block(item)}" for item in items) or empty


def _md_blocks(blocks: Sequence[Block]) -> list[str]:
    out = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(md_block(block.text))
        elif isinstance(block, Bullets):
            out.append(_md_list(block.items, ""))
        elif isinstance(block, Table):
            out.append(
                (f"**{md_inline(block.caption)}**\n\n" if block.caption else "")
                + _md_table(block.frame)
            )
        else:
            out.append(f"*Chart: {md_inline(block.caption)} (in the HTML version).*")
    return out


def to_markdown(report: Report) -> str:
    """The report as Markdown: tables instead of charts, every text escaped."""
    out = [f"# {md_inline(report.title)}"]
    if report.generated_on:
        out.append(f"Generated on {report.generated_on} by the ML cost planner.")
    if report.description:
        out.append(md_block(report.description))
    out += ["## Question", md_block(report.question), "## Recommendation"]
    out.append(_md_list(report.recommendations, "No costs to compare yet."))
    out.append("## Costs and savings")
    for part in report.parts:
        if part.costs:
            out.append(f"### {md_inline(part.title)}")
            out += _md_blocks(part.costs)
    out += ["## Assumptions", _md_table(_assumptions_frame(report))]
    out += ["### Sources", _md_list(report.sources, "None given.")]
    out += ["### Assumption checks", _md_list(report.checks, "None fired.")]
    out.append("## Sensitivity and risks")
    for part in report.parts:
        out += _md_blocks(part.sensitivity)
    out += ["### Risks", _md_list(report.risks, "None found.")]
    # The link is the planner's own (planner.io.share.link checks its base is http(s)), not
    # scenario text, so it stays a link.
    if report.share_link:
        out += ["## Share link", f"Open this scenario in the planner: <{report.share_link}>"]
    return "\n\n".join(out) + "\n"


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """A chart drawn as SVG by vl-convert: no scripts, no network."""
    spec = chart.properties(width=_CHART_WIDTH).to_dict()
    svg: str = vl_convert.vegalite_to_svg(spec, vl_version=_VEGA_LITE)
    return svg


_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  color: #1f2328; margin: 0; background: #fff; }
main { max-width: 960px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { font-size: 28px; margin: 0 0 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #d0d7de;
  padding-bottom: 4px; } h3 { margin-top: 24px; }
.meta { color: #57606a; } .question { font-size: 18px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } caption { text-align: left; font-weight: 600; padding: 4px 0; }
figure { margin: 16px 0; } figcaption { color: #57606a; font-size: 13px; }
.recommendation li { font-size: 16px; margin-bottom: 6px; }
a { color: #0969da; } .link code { font-size: 11px; word-break: break-all; color: #57606a; }
@media print { main { padding: 0; } h2 { break-after: avoid; }
  figure, table { break-inside: avoid; } }
"""


def _html_table(frame: pd.DataFrame, caption: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_list(items: Sequence[str], empty: str, css: str = "") -> str:
    if not items:
        return f"<p>{html.escape(empty)}</p>"
    cls = f' class="{css}"' if css else ""
    return f"<ul{cls}>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def _html_blocks(blocks: Sequence[Block]) -> list[str]:
    out = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Bullets):
            out.append(_html_list(block.items, ""))
        elif isinstance(block, Table):
            out.append(_html_table(block.frame, block.caption))
        else:
            out.append(
                f'<figure role="img" aria-label="{html.escape(block.caption)}">'
                f"{chart_svg(block.chart)}<figcaption>{html.escape(block.caption)}</figcaption>"
                "</figure>"
            )
    return out


def to_html(report: Report) -> str:
    """The report as one self-contained HTML file: inline CSS and SVG, no scripts."""
    e = html.escape
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(report.title)} — business case</title><style>{_CSS}</style></head>",
        "<body><main>",
        f"<h1>{e(report.title)}</h1>",
    ]
    if report.generated_on:
        out.append(
            f'<p class="meta">Generated on {e(report.generated_on)} by the ML cost planner.</p>'
        )
    if report.description:
        out.append(f"<p>{e(report.description)}</p>")
    out += [
        '<section id="question"><h2>Question</h2>',
        f'<p class="question">{e(report.question)}</p></section>',
        '<section id="recommendation"><h2>Recommendation</h2>',
        _html_list(report.recommendations, "No costs to compare yet.", "recommendation"),
        "</section>",
        '<section id="costs"><h2>Costs and savings</h2>',
    ]
    for part in report.parts:
        if part.costs:
            out.append(f"<h3>{e(part.title)}</h3>")
            out += _html_blocks(part.costs)
    out += [
        "</section>",
        '<section id="assumptions"><h2>Assumptions</h2>',
        _html_table(_assumptions_frame(report)),
        "<h3>Sources</h3>",
        _html_list(report.sources, "None given."),
        "<h3>Assumption checks</h3>",
        _html_list(report.checks, "None fired."),
        "</section>",
        '<section id="sensitivity"><h2>Sensitivity and risks</h2>',
    ]
    for part in report.parts:
        out += _html_blocks(part.sensitivity)
    out += [
        "<h3>Risks</h3>",
        _html_list(report.risks, "None found."),
        "</section>",
    ]
    if report.share_link:
        out += [
            '<section id="share"><h2>Share link</h2>',
            f'<p><a href="{e(report.share_link)}">Open this scenario in the planner</a>. '
            "The link holds the whole scenario:</p>",
            f'<p class="link"><code>{e(report.share_link)}</code></p></section>',
        ]
    out += ["</main></body></html>"]
    return "\n".join(out) + "\n"


def render(report: Report, fmt: str) -> str:
    """The report as ``"html"`` or ``"markdown"`` text.

    Raises
    ------
    PlannerInputError
        For another format.
    """
    if fmt == "html":
        return to_html(report)
    if fmt == "markdown":
        return to_markdown(report)
    raise PlannerInputError(f"Unknown report format {fmt!r}", fix="use html or markdown")


def format_for(suffix: str) -> str:
    """The report format a file suffix asks for.

    >>> format_for(".HTML"), format_for(".md")
    ('html', 'markdown')
    >>> format_for(".pdf")
    Traceback (most recent call last):
    ...
    planner.core.errors.PlannerInputError: A report is written as .html or .md, not '.pdf'. To \
fix: name the output file OUT.html or OUT.md.
    """
    fmt = SUFFIXES.get(suffix.lower())
    if fmt is None:
        given = repr(suffix) if suffix else "a file without a suffix"
        raise PlannerInputError(
            f"A report is written as .html or .md, not {given}",
            fix="name the output file OUT.html or OUT.md",
        )
    return fmt
