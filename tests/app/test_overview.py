import pytest
import yaml
from streamlit.testing.v1 import AppTest

from planner.core.formatting import usd_short
from planner.costing.economics import evaluate
from planner.io.scenario_files import gallery
from planner.io.share import encode
from planner.scenario.starters import lesson_page
from tests.app.conftest import as_read, encode_mapping, open_app
from tests.conftest import ROOT
from tests.unit.test_one_model import as_version_1_knew_it
from ui.page import STALE, plain_text

V1_FIXTURES = ROOT / "tests" / "fixtures" / "v1"
ENTRIES = gallery()


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture
def overview() -> AppTest:
    """A session without a link, moved to the Overview (it opens on the start page)."""
    return open_app(page="app_pages/overview.py")


def test_without_a_link_the_app_opens_on_the_start_page(app):
    assert not app.exception
    assert app.title[0].value == "What are you building?"


def test_the_overview_shows_the_default_case_with_its_numbers(overview):
    app = overview
    assert not app.exception
    default = next(e for e in ENTRIES if e.key == "recommendation_cost_per_request")
    expected = evaluate(default.scenario)
    assert metric(app, "Monthly cost") == usd_short(expected.monthly_cost_usd)
    assert metric(app, "Per 1,000 requests") == usd_short(expected.per_1k_requests_usd)
    assert any("per day and per year" in w.value for w in app.warning)
    assert app.query_params["s"].startswith("1.")


@pytest.mark.parametrize("path", sorted(V1_FIXTURES.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_version_1_link_opens_upgraded_with_a_notice(path):
    """Links made before schema version 2 still open, say so, and price as today's gallery."""
    old = yaml.safe_load(path.read_text(encoding="utf-8"))
    at = open_app({"s": encode_mapping(old)})
    assert not at.exception
    assert not at.error
    assert any("schema version 1" in note.value for note in at.info)
    today = next(e for e in ENTRIES if e.key == path.stem)
    expected = evaluate(as_version_1_knew_it(today.scenario)).monthly_cost_usd
    assert metric(at, "Monthly cost") == usd_short(expected)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.key)
def test_every_gallery_scenario_opens_on_its_lesson_page_and_prices_on_the_overview(app, entry):
    app.selectbox(key="_gallery").select(entry.key).run()
    assert not app.exception
    assert app.query_params["s"] == encode(entry.scenario)
    app.switch_page("app_pages/overview.py").run()
    assert not app.exception
    assert app.title[0].value == plain_text(entry.scenario.title)
    assert metric(app, "Monthly cost") == usd_short(evaluate(entry.scenario).monthly_cost_usd)


@pytest.mark.parametrize(
    ("key", "title"),
    [
        ("finops_3x_over_budget", "Budget recovery"),
        ("inference_8c_to_2c", "Serving: "),
        ("recommendation_cost_per_request", "Recommendation system"),
    ],
)
def test_a_gallery_case_lands_on_the_page_its_lesson_is_about(app, key, title):
    app.selectbox(key="_gallery").select(key).run()
    assert not app.exception
    assert app.title[0].value.startswith(title), lesson_page(key)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.key)
def test_a_share_link_opens_the_same_scenario(entry):
    at = open_app({"s": encode(entry.scenario)})
    assert not at.exception
    assert not at.error
    assert metric(at, "Monthly cost") == usd_short(evaluate(entry.scenario).monthly_cost_usd)


@pytest.mark.parametrize("link", ["1.garbled!!", "9.abc", "1." + "A" * 20_000])
def test_a_bad_link_explains_and_falls_back(link):
    at = open_app({"s": link})
    assert not at.exception
    assert at.error, "the user is told what is wrong with the link"
    assert "Showing the default scenario" in at.error[0].value
    assert at.title[0].value == "Recommendation system: cost per request"


def test_editing_storage_updates_every_number_and_the_link(overview):
    app = overview
    before = metric(app, "Monthly cost")
    app.session_state["_storage_0"] = {
        "edited_rows": {0: {"gb": 400_000}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    assert not app.exception
    assert metric(app, "Monthly cost") != before
    assert app.session_state["scenario"].storage[0].gb == 400_000
    assert app.query_params["s"] == encode(app.session_state["scenario"])


def test_negative_storage_is_explained_and_the_scenario_kept(overview):
    app = overview
    before = metric(app, "Monthly cost")
    app.session_state["_storage_0"] = {
        "edited_rows": {0: {"gb": -5}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    assert not app.exception
    assert any("storage[0].gb" in as_read(e.value) and "-5" in e.value for e in app.error)
    assert metric(app, "Monthly cost") == before
    # The figures still shown are marked stale, and the problem sits beside the fields.
    assert any(w.value.startswith(STALE) for w in app.warning)
    order = [getattr(node, "type", "") + ":" + str(getattr(node, "value", "")) for node in app.main]
    heading = order.index("subheader:Assumptions")
    assert all(order.index(f"error:{e.value}") > heading for e in app.error)


def test_the_overview_lists_each_job_and_endpoint_and_links_to_its_page(overview):
    app = overview
    shown = [frame.value for frame in app.dataframe]
    assert any(
        "recommendation endpoint" in frame["name"].tolist() for frame in shown if "name" in frame
    )
    assert any(
        "ranking model retrain" in frame["name"].tolist() for frame in shown if "name" in frame
    )


def test_link_text_cannot_inject_markdown():
    from planner.scenario import Scenario

    hostile = Scenario(
        title="Costs $1 to $2 ![pixel](https://tracker.example/p.png)",
        description="<img src=x onerror=alert(1)> [click](https://evil.example) $a$",
    )
    at = open_app({"s": encode(hostile)})
    assert not at.exception
    assert at.title[0].value == plain_text(hostile.title)
    shown = " ".join(m.value for m in at.markdown)
    assert "[click](https://evil.example)" not in shown
    assert "\\[click\\]" in shown
    assert "\\<img" in shown
    assert "\\!\\[pixel\\]" in at.title[0].value


def test_business_traffic_can_be_entered_per_month(overview):
    app = overview
    app.selectbox(key="_traffic_period_0").set_value("month").run()
    app.number_input(key="_requests_month_0").set_value(2_000_000.0).run()
    assert not app.exception
    assert app.session_state["scenario"].business.requests_per_day == pytest.approx(
        2_000_000 * 12 / 365
    )


def test_choices_read_as_words(overview):
    tier = overview.selectbox(key="_tier_0")
    assert "on-demand" in tier.options
    assert not any("_" in option for option in tier.options)
