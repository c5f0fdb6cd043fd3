"""Text from a scenario is plain text on every page and in both reports (issue 15, part 4).

One scenario puts a Markdown/HTML payload in every text field of the schema: the title,
description and sources, job, endpoint, storage, tooling and custom-instance names, the
demand file name, stated figures' names and notes, the build-vs-buy question, product and
labels, variant names, tag keys, tag values and owners. Each page of the app's navigation is
opened from a link to it, and every element that Streamlit renders as Markdown (bodies,
alerts, captions, headings, metric, expander, tab and widget labels, help text) must show
the payload escaped: no remote image, no link, no LaTeX, no HTML tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from planner.io.scenario_files import gallery
from planner.io.share import encode
from planner.scenario import Scenario, load_mapping, scenario_to_mapping
from planner.views.report import build_report, to_html, to_markdown
from tests.app.conftest import encode_mapping, open_app
from tests.conftest import ROOT
from ui.page import plain_text

PAYLOAD = (
    "![x](http://evil.example/p.png) [a](javascript:alert(1)) $x^2$ <img src=x onerror=alert(1)>"
)
# Each part of the payload as it reads when Markdown would act on it: not preceded by the
# backslash that ui.page.plain_text puts before it.
UNESCAPED = {
    "image": re.compile(r"(?<!\\)!\["),
    "link": re.compile(r"(?<!\\)\]\("),
    "latex": re.compile(r"(?<!\\)\$x\^2"),
    "html": re.compile(r"(?<!\\)<img"),
    "autolink": re.compile(r"http://evil"),
}
# Keys whose string values are free text in the schema (Change.value is a lever, not text).
_TEXT_KEYS = {"title", "description", "name", "note", "question", "product", "build_label"}
_TEXT_KEYS |= {"tag_key", "owner", "demand_csv"}


def _hostile_mapping() -> dict[str, Any]:
    """The gallery's sections in one scenario, every text field carrying the payload."""
    cases = {entry.key: scenario_to_mapping(entry.scenario) for entry in gallery()}
    data = cases["recommendation_cost_per_request"]
    data["training"] = cases["training_50k_to_18k"]["training"]
    data["business_case"] = cases["build_vs_buy_mlflow_wandb"]["business_case"]
    data["finops"] = cases["attribution_400k"]["finops"]
    data["sources"] = ["a source"]
    data["description"] = "a description"
    data["stated"] = [
        *data.get("stated", []),
        {"name": "x", "value": 1.0, "unit": "usd_per_month", "note": "n"},
    ]
    endpoint = data["serving"][0]
    endpoint["traffic"]["demand_csv"] = "demand.csv"
    endpoint["custom_instances"] = [
        {"name": "box", "on_demand_usd_per_hour": 1.0, "requests_per_second": 50.0, "source": "s"}
    ]
    endpoint["instance_type"] = "box"
    endpoint["baseline"] = {**endpoint.get("baseline", {}), "instance_type": "box"}
    case = data["business_case"]
    case["variants"] = [{"name": "v", "changes": []}]
    rule = data["finops"]["attribution"]["rules"][-1]
    rule["mapping"][0]["value"] = "value"
    renamed: dict[str, str] = {}

    def hostile(key: str, text: str) -> str:
        new = f"{PAYLOAD} {key} {len(renamed)}"
        renamed[text] = new
        return new

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: hostile(k, v) if k in _TEXT_KEYS and isinstance(v, str) else walk(v)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    data = walk(data)
    data["sources"] = [hostile("source", "a source")]
    rule = data["finops"]["attribution"]["rules"][-1]
    rule["mapping"][0]["value"] = hostile("value", "value")
    custom = data["serving"][0]["custom_instances"][0]
    custom["source"] = hostile("source", "s")

    # References follow the names they refer to (a stated figure's job, an instance type).
    def follow(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: renamed.get(v, v) if k in {"job", "instance_type"} else follow(v)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [follow(item) for item in node]
        return node

    result: dict[str, Any] = follow(data)
    return result


@pytest.fixture(scope="module")
def hostile() -> Scenario:
    return load_mapping(_hostile_mapping()).scenario


def test_the_payload_reaches_every_text_field(hostile):
    """The scenario under test really carries the payload where the schema has text."""
    data = scenario_to_mapping(hostile)
    endpoint = data["serving"][0]
    assert hostile.title.startswith(PAYLOAD)
    assert endpoint["custom_instances"][0]["name"].startswith(PAYLOAD)
    assert endpoint["instance_type"] == endpoint["custom_instances"][0]["name"]
    assert endpoint["traffic"]["demand_csv"].startswith(PAYLOAD)
    assert data["training"][0]["name"].startswith(PAYLOAD)
    assert data["business_case"]["variants"][0]["name"].startswith(PAYLOAD)
    assert data["business_case"]["question"].startswith(PAYLOAD)
    assert all(s["note"].startswith(PAYLOAD) for s in data["stated"] if s.get("note"))
    assert data["finops"]["attribution"]["rules"][0]["tag_key"].startswith(PAYLOAD)
    assert data["tooling"]
    assert data["tooling"][0]["name"].startswith(PAYLOAD)


def _texts(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, text) for every text Streamlit renders as Markdown."""

    def visit(node: Any) -> Iterator[tuple[str, str]]:
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        for attribute in ("label", "help", "body"):
            value = getattr(proto, attribute, None) if proto is not None else None
            if isinstance(value, str) and value:
                yield kind, value
        if kind in {"markdown", "caption", "title", "header", "subheader", "latex"}:
            yield kind, str(node.value)
        for child in getattr(node, "children", {}).values():
            yield from visit(child)

    yield from visit(at._tree)
    for tab in at.tabs:
        yield "tab", tab.label
    for expander in at.expander:
        yield "expander", expander.label


def leaks(texts: Iterator[tuple[str, str]]) -> list[tuple[str, str, str]]:
    return [
        (kind, part, text[:160])
        for kind, text in texts
        for part, pattern in UNESCAPED.items()
        if pattern.search(text)
    ]


def test_leaks_are_found():
    """The check itself: an unescaped payload is caught, an escaped one is not."""
    assert {part for _, part, _ in leaks(iter([("markdown", PAYLOAD)]))} == set(UNESCAPED)
    assert not leaks(iter([("markdown", plain_text(PAYLOAD))]))


def _pages() -> list[Any]:
    """Every page in app.py's navigation, so a page added later is checked too."""
    paths = re.findall(r'st\.Page\(\s*"([^"]+)"', (ROOT / "app.py").read_text())
    assert len(paths) >= 8
    return [pytest.param(path, id=Path(path).stem) for path in paths]


@pytest.mark.parametrize("path", _pages())
def test_every_page_shows_scenario_text_escaped(hostile, path):
    at = open_app({"s": encode(hostile)}, page=path)
    assert not at.exception
    assert not leaks(_texts(at))


def test_both_reports_show_scenario_text_escaped(hostile):
    report = build_report(hostile)
    markdown = to_markdown(report)
    assert PAYLOAD.split()[0] not in markdown
    # A bare URL may be linked by the viewer of a Markdown file: it shows its own address and
    # nothing fetches it, unlike an image, so the report keeps its sources' URLs clickable.
    found = leaks(iter([("report", line) for line in markdown.splitlines()]))
    assert not [leak for leak in found if leak[1] != "autolink"]
    assert "<img" not in to_html(report)


def test_a_bad_links_message_shows_its_quoted_value_escaped():
    too_long = {"title": PAYLOAD * 3}  # over the title's 200 characters, so refused
    at = open_app({"s": encode_mapping(too_long)})
    assert not at.exception
    assert at.error, "the link is refused with a message"
    assert not leaks(_texts(at))
