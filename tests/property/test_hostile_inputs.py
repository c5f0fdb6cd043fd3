"""Fuzzing the upload readers: whatever the bytes, a result or a PlannerInputError, nothing else.

Hypothesis mutates real files (a gallery scenario, a demand CSV, a FOCUS bill) and writes
text from each format's own syntax characters. Anything other than a result or a
:class:`~planner.core.errors.PlannerInputError` would be a traceback in the app or the CLI. The
hand-made corpus of bombs is in tests/unit/test_hostile_inputs.py.
"""

from __future__ import annotations

import gzip
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.core.errors import PlannerInputError
from planner.finops.focus_sample import generate_focus
from planner.io.billing import read_billing_bytes
from planner.io.demand import parse_demand_csv
from planner.io.scenario_files import GALLERY_DIR
from planner.scenario import Scenario, parse_scenario_yaml
from planner.scenario.finops import SampleSpec

GALLERY_YAML = (GALLERY_DIR / "recommendation_cost_per_request.yaml").read_text()
DEMAND_CSV = "hour,demand\n" + "".join(f"{h},{10 + h % 7}.5\n" for h in range(48))
_frame = io.StringIO()
generate_focus(SampleSpec()).head(12).to_csv(_frame, index=False, lineterminator="\n")
FOCUS_CSV = _frame.getvalue()


@st.composite
def mutated(draw: st.DrawFn, text: str, alphabet: str) -> str:
    """``text`` after a few flips, cuts, insertions and deletions drawn from ``alphabet``."""
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "repeat"]))
        if kind == "flip":
            text = text[:at] + draw(st.sampled_from(alphabet)) + text[at + 1 :]
        elif kind == "cut":
            text = text[:at]
        elif kind == "insert":
            text = text[:at] + draw(st.text(alphabet, max_size=12)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + 2 :]
        else:  # a stretch repeated: deep nesting, long lines, many rows
            piece = text[at : at + draw(st.integers(1, 40))]
            text = text[:at] + piece * draw(st.integers(2, 500)) + text[at:]
    return text


YAML_SYNTAX = "[]{}:-,&*!|>'\"#%@`?\n\t .0123456789eE+-_abcxyz~\x85\u2028\ufeff"
CSV_SYNTAX = ',"\n\r\t .0123456789eE+-:TZnaifNAIF\x00\ufeff'


def result_or_planner_error(call, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return call(*args, **kwargs)
    except PlannerInputError as error:
        message = str(error)
    assert message.endswith("."), message  # a sentence, and never empty
    return None


@settings(max_examples=300, deadline=None)
@given(st.one_of(mutated(GALLERY_YAML, YAML_SYNTAX), st.text(YAML_SYNTAX, max_size=400)))
def test_any_yaml_upload_gives_a_scenario_or_a_message(text):
    result = result_or_planner_error(parse_scenario_yaml, text)
    assert result is None or isinstance(result, Scenario)


@settings(max_examples=300, deadline=None)
@given(st.one_of(mutated(DEMAND_CSV, CSV_SYNTAX), st.text(CSV_SYNTAX, max_size=400)))
def test_any_demand_csv_gives_a_profile_or_a_message(text):
    for data in (text, text.encode("utf-8", errors="surrogatepass")):
        result = result_or_planner_error(parse_demand_csv, data, name="demand.csv")
        assert result is None or all(v >= 0 for v in result.values)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(FOCUS_CSV, CSV_SYNTAX), st.sampled_from([".csv", ".csv.gz"]))
def test_any_billing_upload_gives_a_bill_or_a_message(text, suffix):
    data = text.encode("utf-8", errors="surrogatepass")
    if suffix == ".csv.gz":
        data = gzip.compress(data)
    bill = result_or_planner_error(read_billing_bytes, data, f"bill{suffix}")
    if bill is not None:
        assert bill.rows_usable + bill.rows_rejected == bill.rows_read
