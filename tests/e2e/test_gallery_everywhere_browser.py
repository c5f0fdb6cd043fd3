"""Every gallery case on every page, in a real browser: nothing cut off, blank or broken.

For each case one browser context opens the case's link on each page in turn (one server and
one Chromium for the whole run). On each page it checks what a reader would see:

- no headline figure is cut off: no element of a metric's value is wider inside than the
  room it has (``scrollWidth > clientWidth``), which is when the browser clips it with "…";
- no table cell reads "None": a data frame is drawn on a canvas, so its cells are read from
  the Arrow tables the server sends over the websocket, as the browser receives them, with
  the text each table shows for a missing value;
- no uncaught error: no exception box, no "Page not found" notice, no script error in the
  page.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from planner.io.scenario_files import GALLERY_DIR, read_scenario
from planner.io.share import link

pytestmark = pytest.mark.browser

CASES = sorted(GALLERY_DIR.glob("*.yaml"))
# Every page's address (app.py: each file's name), and the root, where a link lands on the
# Overview.
PAGES = (
    "overview",
    "training",
    "serving",
    "plan",
    "attribution",
    "recovery",
    "build_vs_buy",
    "compare",
    "sensitivity",
    "",
)

# The page has finished: the script is idle, no element is still a placeholder, and the page
# has drawn its title.
RENDERED = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    return app && app.dataset.testScriptState === "notRunning"
        && !document.querySelector("[data-testid='stSkeleton']")
        && document.querySelector("[data-testid='stMain'] h1");
}"""
# Each metric value whose own box, or a box inside it, holds more than it shows.
CUT_OFF = """() => [...document.querySelectorAll("[data-testid='stMetricValue']")]
    .filter(value => [value, ...value.querySelectorAll("*")]
        .some(box => box.scrollWidth > box.clientWidth))
    .map(value => value.innerText)"""


def _tables(frame: bytes | str) -> list[tuple[pa.Table, bool]]:
    """The Arrow tables of the data frames, editors and HTML tables in one websocket frame,
    each with whether its missing values read "None" (no placeholder of its own)."""
    if isinstance(frame, str):
        return []
    message = ForwardMsg()
    message.ParseFromString(frame)
    if message.WhichOneof("type") != "delta":
        return []
    if message.delta.WhichOneof("type") != "new_element":
        return []
    element = message.delta.new_element
    kind = element.WhichOneof("type")
    if kind not in {"dataframe", "table"}:  # st.dataframe and st.data_editor; st.table
        return []
    drawn = getattr(element, kind)
    if not drawn.arrow_data.data:
        return []
    table = pa.ipc.open_stream(io.BytesIO(drawn.arrow_data.data)).read_all()
    reads_none = kind == "table" or drawn.placeholder in {"", "None"}
    if kind == "dataframe" and drawn.HasField("placeholder"):
        reads_none = drawn.placeholder == "None"
    return [(table, reads_none)]


def _none_cells(table: pa.Table, *, missing_reads_none: bool) -> list[str]:
    """The columns of ``table`` with a cell that shows "None"."""
    found = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        for value in column.to_pylist():
            if value == "None" or (value is None and missing_reads_none):
                found.append(str(name))
                break
    return found


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_page_of_the_case_shows_its_figures_whole_and_no_error(server, browser, path):
    case = read_scenario(path)
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    problems: list[str] = []
    where = {"page": ""}
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"{where['page']}: {error}"))

        def on_socket(socket):  # type: ignore[no-untyped-def]
            def on_frame(frame: bytes | str) -> None:
                for table, reads_none in _tables(frame):
                    for column in _none_cells(table, missing_reads_none=reads_none):
                        problems.append(f"{where['page']}: column {column!r} shows None")

            socket.on("framereceived", on_frame)

        page.on("websocket", on_socket)
        for name in PAGES:
            where["page"] = name or "/"
            page.goto(link(case, server + name))
            page.wait_for_function(RENDERED, timeout=120_000)
            cut_off = page.evaluate(CUT_OFF)
            problems += [f"{where['page']}: {value!r} is cut off" for value in cut_off]
            for box in page.locator("[data-testid='stException']").all_inner_texts():
                problems.append(f"{where['page']}: exception {box[:200]!r}")
            if page.get_by_text("Page not found").count():
                problems.append(f"{where['page']}: Page not found")
            if "Traceback" in page.content():
                problems.append(f"{where['page']}: a traceback")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
