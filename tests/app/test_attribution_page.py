"""AppTest of the Attribution page: sample, settings in the link, uploads good and bad."""

from __future__ import annotations

import io

import pytest

from planner.core.formatting import usd
from planner.finops.attribution import attribute
from planner.finops.billing import bill_from_frame
from planner.finops.focus_sample import generate_focus
from planner.io import billing as billing_io
from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import decode, encode
from planner.scenario.finops import FinOps, SampleSpec, SharedRule
from tests.app.conftest import open_app
from tests.conftest import ROOT

PAGE = "app_pages/attribution.py"


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def upload(at, name: str, content: bytes, mime: str = "text/csv"):
    at.file_uploader(key="_billing_upload").set_value((name, content, mime)).run()
    return at


@pytest.fixture(scope="module")
def small_csv() -> bytes:
    buffer = io.StringIO()
    generate_focus(SampleSpec(months=1, seed=3)).to_csv(buffer, index=False)
    return buffer.getvalue().encode()


@pytest.fixture
def page():
    at = open_app(page=PAGE)
    assert not at.exception
    return at


def test_opens_on_the_sample_bill_with_its_numbers(page):
    expected = attribute(bill_from_frame(generate_focus(SampleSpec())), FinOps().attribution)
    assert metric(page, "Bill total") == usd(expected.total_usd)
    assert metric(page, "Tag coverage") == f"{expected.coverage.ratio:.1%}"
    assert metric(page, "Rows rejected") == "0"
    assert any("not the uploaded file" in c.value for c in page.caption)
    assert page.subheader[0].value == "Showback: what each team costs"


def test_the_lesson_06_link_opens_with_its_rules():
    scenario = read_scenario(GALLERY_DIR / "attribution_400k.yaml")
    at = open_app({"s": encode(scenario)}, page=PAGE)
    assert not at.exception
    bill = bill_from_frame(generate_focus(scenario.finops.sample))
    expected = attribute(bill, scenario.finops.attribution)
    assert metric(at, "Bill total") == "$400,000"
    assert metric(at, "Tag coverage") == f"{expected.coverage.ratio:.1%}"
    assert any("model tag mapped" in c.value for c in at.caption)


def test_a_changed_setting_goes_into_the_link(page):
    page.radio(key="_attr_rule_0").set_value(SharedRule.EVEN).run()
    assert not page.exception
    scenario = decode(page.query_params["s"]).scenario
    assert scenario is not None
    assert scenario.finops is not None
    assert scenario.finops.attribution.shared_rule is SharedRule.EVEN
    assert page.session_state["scenario"] == scenario


def test_chargeback_reconciles_and_offers_the_invoices():
    scenario = read_scenario(GALLERY_DIR / "attribution_400k.yaml")
    attribution = scenario.finops.attribution
    from dataclasses import replace

    from planner.scenario.finops import ReportMode

    charged = replace(
        scenario,
        finops=replace(
            scenario.finops,
            attribution=replace(
                attribution, mode=ReportMode.CHARGEBACK, share_unused_commitment=True
            ),
        ),
    )
    at = open_app({"s": encode(charged)}, page=PAGE)
    assert not at.exception
    assert any("= bill $400,000.00, to the cent" in s.value for s in at.success)
    assert not at.warning
    assert at.get("download_button")


def test_a_good_upload_replaces_the_sample_but_not_the_link(page, small_csv):
    link_before = page.query_params["s"]
    upload(page, "my_bill.csv", small_csv)
    assert not page.exception
    assert not page.error
    bill = billing_io.read_billing_bytes(small_csv, "my_bill.csv")
    assert metric(page, "Bill total") == usd(attribute(bill).total_usd)
    assert any("my_bill.csv" in m.value for m in page.markdown)
    assert page.query_params["s"] == link_before
    page.button(key="_billing_use_sample").click().run()
    assert metric(page, "Bill total") == "$400,000"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("wrong.csv", b"Cost,Team\n1,a\n", "required columns are missing: BilledCost"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "is a PNG image"),
        ("empty.csv", b"", "is empty"),
        ("semi.csv", b"BilledCost;EffectiveCost\n1;1\n", "semicolons"),
        ("broken.parquet", b"PAR1garbage", "cannot be read as Parquet"),
    ],
)
def test_a_bad_upload_is_explained_and_loses_nothing(page, small_csv, name, content, expected):
    upload(page, "good.csv", small_csv)
    before = metric(page, "Bill total")
    upload(page, name, content)
    assert not page.exception
    assert any(expected in e.value and "was not loaded" in e.value for e in page.error)
    assert metric(page, "Bill total") == before
    assert any("good.csv" in m.value for m in page.markdown)


def test_an_upload_over_the_size_cap_is_refused(page, small_csv, monkeypatch):
    monkeypatch.setattr(billing_io, "MAX_UPLOAD_BYTES", 1000)
    upload(page, "big.csv", small_csv)
    assert not page.exception
    assert any("more than the 1,000 bytes" in e.value for e in page.error)
    assert metric(page, "Bill total") == "$400,000"


def test_rows_that_cannot_be_used_are_listed_with_lines(page, small_csv):
    lines = small_csv.decode().splitlines()
    lines[2] = lines[2].replace("Usage", "Refund", 1)
    upload(page, "partly.csv", ("\n".join(lines) + "\n").encode())
    assert not page.exception
    assert metric(page, "Rows rejected") == "1"
    assert any("1 rows could not be used" in e.label for e in page.expander)
    frame = page.dataframe[0].value
    assert list(frame["line"]) == [3]
    assert "ChargeCategory 'Refund'" in frame["reason"].iloc[0]


def test_the_recovery_page_plans_from_the_uploaded_bill(page, small_csv):
    upload(page, "my_bill.csv", small_csv)
    page.switch_page("app_pages/recovery.py").run()
    assert not page.exception
    assert any("my_bill.csv" in m.value for m in page.markdown), (
        "the pools come from the uploaded bill"
    )


def test_a_contract_commitment_dataset_is_listed_beside_the_bill(page):
    content = (ROOT / "tests/fixtures/focus/contract_commitment_scenario_1.csv").read_bytes()
    page.file_uploader(key="_commitments_upload").set_value(
        ("commitments.csv", content, "text/csv")
    ).run()
    assert not page.exception
    shown = page.dataframe[0].value
    assert list(shown["commitment"]) == ["CMT-SPEND-001", "CMT-RI-002", "CMT-SaaS-003"]
    assert list(shown["cost"])[1] == "46250.00 EUR"
    assert any("not converted to USD" in c.value for c in page.caption)
    assert metric(page, "Bill total") == usd(
        attribute(bill_from_frame(generate_focus(SampleSpec())), FinOps().attribution).total_usd
    )


def test_a_cost_file_uploaded_as_commitments_is_named(page, small_csv):
    page.file_uploader(key="_commitments_upload").set_value(
        ("bill.csv", small_csv, "text/csv")
    ).run()
    assert not page.exception
    assert any("is a cost and usage export" in w.value for w in page.warning)
