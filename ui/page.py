"""What every page shares: its start, the scenario's header, results above their inputs,
problems, assumption checks and headline figures.

A page draws its results above its inputs but must read the inputs first, so
:func:`results_above_inputs` keeps a place for the results, draws the inputs, records a
valid edit (or shows why it was refused) and hands the place back.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from planner.core.check import Check, Severity
from planner.core.errors import PlannerInputError
from planner.core.formatting import Figure
from planner.scenario import Scenario
from ui import sidebar, state

ERROR_ICON = ":material/error:"
LINK_ICON = ":material/link_off:"

# What a results table shows in a cell without a value, instead of Streamlit's "None": a
# figure that does not apply there (a total has no Shapley saving, an instance that cannot
# serve has no rate).
NOT_APPLICABLE = "—"
# What an input table shows in an empty cell: an unset value, whose caption says what it
# falls back to ("empty max seats means no limit").
UNSET = ""

# The results of a page whose inputs are refused: the figures there are of the last valid
# inputs, so they are greyed out (the key names the container for the style below).
RESULTS_KEY = "page_results"
STALE = "The figures below are for the last valid inputs, not for what is entered now."
_GREYED = f"<style>.st-key-{RESULTS_KEY} {{ opacity: 0.4; filter: grayscale(1); }}</style>"

_T = TypeVar("_T")
# What an input module returns: the scenario the inputs describe and ``None``, or ``None``
# and why there is none; ``(None, None)`` while a form is not submitted.
Edit = tuple[Scenario | None, str | None]


def start(*, notice_icon: str = LINK_ICON, uploads_land_on: str | None = None) -> Scenario:
    """The sidebar, then the notices the last run left (a bad link, a failed upload).

    Returns the scenario on screen. A page whose own uploads leave notices shows them
    with ``notice_icon`` :data:`ERROR_ICON`; elsewhere they are about the link. A page that
    does not show the scenario names the page a scenario file opened from it lands on.
    """
    sidebar.scenario_controls(uploads_land_on=uploads_land_on)
    landing = state.take_landing()
    if landing is not None:
        st.switch_page(page_path(landing))
    # Notices quote what came in (a link's value, a file's name and content): plain text.
    for notice in state.take_notices():
        st.error(plain_text(notice), icon=notice_icon)
    for note in state.take_info():
        st.info(plain_text(note), icon=":material/upgrade:")
    return state.scenario()


def page_path(stem: str) -> str:
    """The script of the page called ``stem`` (a :class:`planner.scenario.starters.Landing`)."""
    return f"app_pages/{stem}.py"


def choose_item(kind: str, names: Sequence[str], *, label: str, prefix: str) -> int:
    """Which of the scenario's jobs or endpoints a page shows: a select box when there are
    several, remembered by name for the session. ``names`` is not empty."""
    remembered = state.selected(kind)
    index = names.index(remembered) if remembered in names else 0
    if len(names) > 1:
        chosen = st.selectbox(label, options=list(names), index=index, key=widget_key(prefix, kind))
        index = names.index(chosen)
    state.select(kind, names[index])
    return index


def unique_name(stem: str, taken: Iterable[str]) -> str:
    """``stem``, or ``stem 2``, ``stem 3``... whichever is not taken.

    >>> unique_name("endpoint", ["endpoint", "endpoint 2"])
    'endpoint 3'
    """
    names = set(taken)
    if stem not in names:
        return stem
    number = 2
    while f"{stem} {number}" in names:
        number += 1
    return f"{stem} {number}"


def widget_key(prefix: str, name: str) -> str:
    """A widget key with the revision in it, so that a loaded scenario restarts the inputs."""
    return f"_{prefix}_{name}_{state.revision()}"


def offer_start(
    message: str, *, icon: str, label: str, key: str, started: Callable[[], Scenario]
) -> None:
    """Say what the page needs that the scenario lacks, with a button that adds it.

    ``started`` makes the scenario with it, only when the button is pressed.
    """
    st.info(message, icon=icon)
    if st.button(label, key=key, type="primary"):
        state.update(started())
        st.rerun()


def about(scenario: Scenario) -> None:
    """The scenario's description and sources, folded away (nothing without a description)."""
    if not scenario.description:
        return
    with st.expander("About this scenario", expanded=False):
        st.markdown(plain_text(scenario.description))
        for source in scenario.sources:
            st.markdown(f"- {plain_text(source)}")


# What Markdown (CommonMark, GFM and Streamlit's extensions) can act on, escaped with a
# backslash; the rest of the punctuation is left as typed, so field names (``bill_usd``) and
# file names (``my_bill.csv``) read the same in a message's source.
_MARKDOWN_ACTIVE = re.compile(
    r"[\\`*~$<|@!\[\]]"  # escapes, code, emphasis, strike, LaTeX, HTML, tables, emails, links
    r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"  # emphasis; an underscore inside a word is inert
    r"|(?<=:)/(?=/)"  # http:// starts an autolink
    r"|(?<=www)\.",  # so does www.
)
# A line that starts a heading, quote, list or setext underline, or an ordered list item (its
# "." or ")" is escaped: a backslash before a digit would show).
_BLOCK_START = re.compile(r"^( {0,3}(?:\d+)?)([#>+=.)-])", re.MULTILINE)


def plain_text(text: str) -> str:
    r"""Text from a scenario or a bill, escaped so Markdown shows it as written.

    Whoever made a link or a bill writes it: unescaped, ``$0.08 ... $0.02`` would render as
    LaTeX, ``![](https://...)`` would make the reader's browser fetch a stranger's image, and
    ``[a](javascript:...)`` would be a link.

    >>> print(plain_text("![x](http://evil.example/p.png) $x^2$ <img src=x>"))
    \!\[x\](http:\//evil.example/p.png) \$x^2\$ \<img src=x>
    >>> print(plain_text("bill_usd is missing in my_bill.csv"))
    bill_usd is missing in my_bill.csv
    >>> print(plain_text("# Title\n1. item\n- item"))
    \# Title
    1\. item
    \- item
    """
    text = _MARKDOWN_ACTIVE.sub(lambda m: "\\" + m.group(0), text)
    return _BLOCK_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)


@dataclass(frozen=True, slots=True)
class Shown:
    """How an input shows a field of the schema: its label, and how many stored units make
    one of the widget's (``1e9`` for a count typed in billions, ``0.01`` for a percent)."""

    label: str
    per_unit: float = 1.0


# One bad field in the schema's message: `path ("item") = value: rule`.
_PROBLEM = re.compile(
    r'^(?P<path>[A-Za-z_][\w.\[\]]*)(?: \(".*?"\))? = (?P<value>.*?): (?P<rule>.*)$'
)
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])")
# Pydantic's phrasing, said as a person would.
_RULES = (
    ("Input should be ", "must be "),
    ("String should have at least 1 character", "must not be empty"),
    ("Value error, ", ""),
)


def in_user_terms(message: str, shown: Mapping[str, Shown]) -> str:
    """The schema's message with each field it names as the inputs show it: by its label,
    and its value and limits in the widget's unit.

    ``shown`` is keyed by the field's path without indices, from its end (``"params"``, or
    ``"baseline.params"`` where the baseline's field has its own label). A field not in it
    keeps its path.

    >>> fields = {"params": Shown("Parameters, billions", 1e9), "name": Shown("Job name")}
    >>> print(in_user_terms(
    ...     'Invalid scenario: training[0].params ("job") = 1000000000000000.0: Input should '
    ...     'be less than or equal to 100000000000000; training[0].name ("") = "": String '
    ...     "should have at least 1 character. To fix: correct the field named above.", fields))
    Parameters, billions = 1,000,000: must be less than or equal to 100,000; Job name: must \
not be empty. To fix: correct the field named above.
    """
    body = message.removeprefix("Invalid scenario: ")
    body, to_fix, fix = body.partition(". To fix: ")
    said = []
    for problem in body.split("; "):
        match = _PROBLEM.match(problem)
        field = _shown_as(match["path"], shown) if match else None
        if match is None or field is None:
            said.append(problem)
            continue
        rule = match["rule"]
        for pydantic, person in _RULES:
            rule = rule.replace(pydantic, person)
        if field.per_unit != 1:
            rule = _NUMBER.sub(partial(_number_in_unit, per_unit=field.per_unit), rule)
        value = match["value"]
        if value in {'""', "''"}:
            said.append(f"{field.label}: {rule}")
        else:
            said.append(f"{field.label} = {_in_unit(value, field.per_unit)}: {rule}")
    return "; ".join(said) + to_fix + fix


def _shown_as(path: str, shown: Mapping[str, Shown]) -> Shown | None:
    parts = re.sub(r"\[\d+\]", "", path).split(".")
    for start in range(len(parts)):
        field = shown.get(".".join(parts[start:]))
        if field is not None:
            return field
    return None


def _number_in_unit(match: re.Match[str], *, per_unit: float) -> str:
    return _in_unit(match.group(0), per_unit)


def _in_unit(value: str, per_unit: float) -> str:
    try:
        number = float(value) / per_unit
    except ValueError:
        return value
    if number.is_integer() and abs(number) < 1e15:
        return f"{number:,.0f}"
    return f"{number:,.6g}"


def record_edit(base: Scenario, edit: Edit, *, problems: DeltaGenerator) -> Scenario:
    """Record a valid edit of ``base``, or show in ``problems`` why it was refused.

    Returns the scenario now in force: the last valid one stays until the problem is fixed.
    """
    edited, problem = edit
    if problem:
        problems.error(plain_text(problem), icon=ERROR_ICON)
        return base
    if edited is not None and edited != base:
        state.update(edited)
        return edited
    return base


def results_above_inputs(
    base: Scenario, inputs: Callable[[Scenario], Edit], *, heading: str, caption: str
) -> tuple[Scenario, DeltaGenerator]:
    """The scenario's header, a place for the results, then the inputs under ``heading``.

    A refused edit is explained under ``heading``, beside the fields, and the results, which
    are still those of the last valid inputs, are greyed out and said to be stale.

    Returns the scenario in force after the inputs and the place for its results.
    """
    header = st.container()
    results = st.container(key=RESULTS_KEY)
    st.subheader(heading)
    st.caption(caption)
    problems = st.container()
    edit = inputs(base)
    scenario = record_edit(base, edit, problems=problems)
    with header:
        about(scenario)
        if edit[1]:
            st.warning(
                f"{STALE} Fix the problem under {heading} and they update.",
                icon=":material/history:",
            )
            st.html(_GREYED)
    return scenario, results


def computed(
    where: Any, compute: Callable[..., _T], *args: Any, stage: str | None = None
) -> _T | None:
    """``compute(*args)``, or ``None`` after showing in ``where`` (``st`` or a container)
    why it has no answer. A slow ``compute`` names its ``stage`` in a spinner meanwhile
    (Streamlit shows it only if the answer is not there within half a second)."""
    try:
        if stage is None:
            return compute(*args)
        inside = where if isinstance(where, DeltaGenerator) else contextlib.nullcontext()
        with inside, st.spinner(stage):
            return compute(*args)
    except PlannerInputError as error:
        where.error(plain_text(str(error)), icon=ERROR_ICON)
        return None


def checks(items: Iterable[Check]) -> None:
    """Assumption checks, each a warning or a note naming what it is about."""
    for check in items:
        note = st.warning if check.severity == Severity.WARNING else st.info
        note(
            f"**{plain_text(check.subject)}**: {plain_text(check.message)}",
            icon=":material/fact_check:",
        )


# A change written in words ("this change: −$106/month") has no leading "-" for Streamlit
# to read its direction from, so the figure says which way it went.
_ARROWS: dict[bool | None, Any] = {None: "auto", True: "down", False: "up"}
_COLORS: dict[bool | None, Any] = {None: "inverse", True: "green", False: "red"}


def figures(items: Sequence[Figure], *, per_row: int | None = None) -> None:
    """Headline figures as metrics, ``per_row`` to a row (default: all in one).

    Every change a figure carries is a cost, a time or a loss: lower shows green.
    """
    width = per_row or len(items)
    for first in range(0, len(items), width):
        row = items[first : first + width]
        for column, figure in zip(st.columns(width), row, strict=False):
            column.metric(
                figure.label,
                figure.value,
                figure.delta,
                delta_color=_COLORS[figure.falling],
                help=figure.help,
                delta_arrow=_ARROWS[figure.falling],
            )
