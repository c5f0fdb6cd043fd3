"""The business-case report: sections, assumptions, self-containment, parts, writing."""

from __future__ import annotations

import datetime
import re

import pytest

from planner import whatif
from planner.core.errors import PlannerInputError
from planner.io.report import write_report
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import link
from planner.scenario import Scenario
from planner.views import report

SECTIONS = (
    "## Question",
    "## Recommendation",
    "## Costs and savings",
    "## Assumptions",
    "### Sources",
    "### Assumption checks",
    "## Sensitivity and risks",
    "### Risks",
    "## Share link",
)


@pytest.fixture(scope="module")
def lesson() -> Scenario:
    return read_scenario(GALLERY_DIR / "build_vs_buy_mlflow_wandb.yaml")


@pytest.fixture(scope="module")
def lesson_report(lesson) -> report.Report:
    return report.build_report(
        lesson,
        share_link=link(lesson, "https://planner.example/"),
        generated_on=datetime.date(2026, 11, 28),
    )


def test_markdown_has_every_section_in_order(lesson_report):
    text = report.to_markdown(lesson_report)
    positions = [text.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)
    assert "Generated on 2026-11-28" in text


def test_the_lesson_report_answers_the_question(lesson, lesson_report):
    text = report.to_markdown(lesson_report)
    assert lesson.business_case.question.strip() in text
    assert "Weights & Biases is cheaper over 36 months: $90,000 against $129,600" in text
    assert "$57,600" in text  # without the opportunity cost
    assert "27.0 engineer-days" in text
    assert "The stated total for Self-hosted MLflow, $127,000" in text
    assert "Opportunity cost — Self-hosted MLflow decides the answer" in text
    assert "https://planner.example/?s=1." in text


def test_every_assumption_and_source_is_in_the_report(lesson, lesson_report):
    text = report.to_markdown(lesson_report)
    for param in whatif.key_parameters(lesson):
        value = whatif.format_value(param, whatif.value_of(lesson, param.key))
        assert f"| {param.label} | {value} |" in text
    for source in lesson.sources:
        assert source in text


def test_unit_economics_report_shows_price_bases(recommender):
    text = report.to_markdown(report.build_report(recommender))
    assert "per 1,000 requests" in text
    assert "skypilot" in text.lower()  # the catalog source of an instance price
    assert "Object storage usd per gb month" in text  # a catalog figure the model used
    assert "per day and per year" in text  # the assumption check


def test_html_is_self_contained(lesson_report):
    html = report.to_html(lesson_report)
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") >= 3  # cumulative cost, tornado, fan, distribution
    assert "<script" not in html.lower()
    # Nothing is loaded from elsewhere: no src= or stylesheet links at all.
    assert not re.search(r"""\ssrc\s*=""", html)
    assert "<link" not in html
    assert 'href="https://planner.example/?s=1.' in html


def test_text_is_escaped_in_html():
    scenario = Scenario(title="<b>Bold & co</b>", sources=("<script>alert(1)</script>",))
    html = report.to_html(report.build_report(scenario))
    assert "<b>Bold" not in html
    assert "&lt;b&gt;Bold &amp; co&lt;/b&gt;" in html
    assert "<script>" not in html


def test_text_is_escaped_in_markdown():
    scenario = Scenario(title="<b>Bold & co</b>", sources=("<script>alert(1)</script> *not bold*",))
    markdown = report.to_markdown(report.build_report(scenario))
    assert "<b>" not in markdown
    assert "<script>" not in markdown
    assert "# &lt;b&gt;Bold & co&lt;/b&gt;\n" in markdown
    assert "- &lt;script&gt;alert(1)&lt;/script&gt; \\*not bold\\*\n" in markdown


def test_a_capability_adds_a_part(lesson):
    def extra(scenario, catalog):
        return report.ReportPart(
            title="Training",
            recommendation="Train on spot.",
            costs=(report.Paragraph("A training paragraph."),),
            assumptions=(report.AssumptionRow(name="Runs", value="24", unit="/y", source="x"),),
            risks=("Spot capacity may vanish.",),
        )

    text = report.to_markdown(report.build_report(lesson, parts=[extra]))
    assert "- Train on spot." in text
    assert "### Training" in text
    assert "| Runs | 24 | /y | x |" in text
    assert "- Spot capacity may vanish." in text


def test_a_failing_part_becomes_a_risk(lesson):
    def broken_part(scenario, catalog):
        raise PlannerInputError("no data for this")

    text = report.to_markdown(report.build_report(lesson, parts=[broken_part]))
    assert "The broken section could not be computed: no data for this." in text


def test_default_parts_are_importable():
    for spec in report.PARTS:
        module, _, name = spec.partition(":")
        assert callable(getattr(__import__(module, fromlist=[name]), name))


def test_write_report_by_suffix(tmp_path, lesson_report):
    assert write_report(lesson_report, tmp_path / "case.md") == "markdown"
    assert (tmp_path / "case.md").read_text(encoding="utf-8").startswith("# Build vs buy")
    assert write_report(lesson_report, tmp_path / "case.HTML") == "html"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing/case.html", "Cannot write the report to .*No such file or directory"),
        ("case.pdf", r"A report is written as \.html or \.md, not '\.pdf'"),
        ("", "not a file without a suffix"),
    ],
)
def test_a_report_path_that_cannot_be_written_is_explained(tmp_path, lesson_report, name, message):
    with pytest.raises(PlannerInputError, match=message):
        write_report(lesson_report, tmp_path / name)


def test_a_folder_in_the_way_is_explained(tmp_path, lesson_report):
    (tmp_path / "taken.html").mkdir()
    with pytest.raises(PlannerInputError, match="Is a directory"):
        write_report(lesson_report, tmp_path / "taken.html")
