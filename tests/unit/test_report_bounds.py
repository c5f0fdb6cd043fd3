"""The business-case report is bounded by the work it does (issue 15): a hostile scenario, as
big as the schema allows, gets a report that prices the system a bounded number of times and
says what it left out, and whose size grows with the items it renders, not faster."""

from __future__ import annotations

import re

import pytest

from planner import whatif
from planner.costing.serving import Endpoint
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.scenario import (
    MAX_YAML_BYTES,
    Scenario,
    dump_scenario_yaml,
    scenario_from_mapping,
    scenario_to_mapping,
)
from planner.views import report

_LONG = "x" * 116  # with a three-digit prefix and a space: near the 120 characters of a name


def _hostile() -> Scenario:
    """Every list at its schema bound (20 jobs, 20 endpoints, 50 of each cost line), every
    name and text near its length bound, and as many long sources as a scenario file holds."""
    data = scenario_to_mapping(read_scenario(GALLERY_DIR / "recommendation_cost_per_request.yaml"))
    endpoint = data["serving"][0]
    data |= {
        "title": "T" * 200,
        "description": "d " * 2000,
        "sources": ["s" * 4000] * 50,
        "training": [
            {"name": f"{i:03d} {_LONG}", "instance_type": "p4d.24xlarge", "hours_per_run": 228}
            for i in range(20)
        ],
        "serving": [endpoint | {"name": f"{i:03d} {_LONG}"} for i in range(20)],
        "storage": [{"name": f"{i:03d} {_LONG}", "gb": 1000} for i in range(50)],
        "tooling": [{"name": f"{i:03d} {_LONG}", "usd_per_month": 100} for i in range(50)],
        "data_transfer": [{"name": f"{i:03d} {_LONG}", "gb_per_month": 10} for i in range(50)],
    }
    return scenario_from_mapping(data)


def test_a_hostile_scenario_gets_a_bounded_report_that_says_what_it_left_out(monkeypatch):
    scenario = _hostile()
    text = dump_scenario_yaml(scenario)
    assert len(text.encode()) <= MAX_YAML_BYTES  # a file the app and the CLI open
    items = len(scenario.training) + len(scenario.serving)
    priced: list[int] = []
    real = whatif.evaluate

    def counted(drawn: Scenario, *args: object, **kwargs: object) -> object:
        """The real pricing, counted: each call prices every job and endpoint of ``drawn``."""
        priced.append(len(drawn.training) + len(drawn.serving))
        return real(drawn, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(whatif, "evaluate", counted)
    built = report.build_report(scenario)

    # Unbounded, the tornado (2 × 272 assumptions) and 2,000 draws priced 40 items 2,544 times.
    assert sum(priced) <= report.MAX_REPORT_WORK
    assert all(n == items for n in priced)
    notes = [
        block.text
        for part in built.parts
        for block in part.sensitivity
        if isinstance(block, report.Paragraph)
    ]
    assert notes[0].startswith("No tornado in this report: it would price the system 544 times")
    assert notes[1].startswith("Monte Carlo: 200 draws instead of 2,000: each pricing of this")
    markdown = report.to_markdown(built)
    html = report.to_html(built)
    assert all(note in markdown for note in notes)
    # Linear in what it renders: each text of the scenario at most twice, and a bounded
    # amount per part (tables of its figures) and per chart (an SVG of at most a few
    # thousand marks). It measured 433,008 and 623,351 characters.
    parts = len(built.parts)
    charts = len(re.findall("<svg", html))
    assert len(markdown) <= 2 * len(text) + 5_000 * parts
    assert len(html) <= 3 * len(text) + 10_000 * parts + 100_000 * charts


@pytest.mark.parametrize(
    ("items", "parameters", "tornado", "draws"),
    [
        (2, 14, True, 2_000),  # lesson 01: within the bound, nothing cut
        (20, 150, True, 100),  # the tornado fits; the rest affords 100 draws
        (20, 195, True, 0),  # the tornado fits; 10 draws would be too few to draw
        (40, 272, False, 200),  # the hostile case above
    ],
)
def test_the_sensitivity_budget_keeps_the_work_within_the_bound(items, parameters, tornado, draws):
    scenario = Scenario(serving=tuple(Endpoint(name=str(i)) for i in range(items)))
    budget = report.sensitivity_budget(scenario, parameters)
    assert (budget.tornado, budget.draws) == (tornado, draws)
    work = (2 * parameters * budget.tornado + budget.draws) * items
    assert work <= report.MAX_REPORT_WORK
    cut = not tornado or draws < whatif.DEFAULT_SAMPLES
    assert bool(budget.notes) == cut
