"""A minimal Streamlit client: one session over the websocket, as a browser drives it.

It sends the ``BackMsg`` a browser sends to run the script (with the page's query string)
and reads the ``ForwardMsg`` stream back until the run finishes, keeping the headings,
metrics and exceptions it drew. The messages are streamlit's own protobufs, from the
installed streamlit, so the client speaks exactly the server's version of the protocol.
Used by tests/e2e/test_concurrent_sessions.py and bench/bench_load.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


def stream_url(base_url: str) -> str:
    """The websocket address of a server at ``http://host:port/``.

    >>> stream_url("http://127.0.0.1:8501/")
    'ws://127.0.0.1:8501/_stcore/stream'
    """
    return "ws" + base_url.removeprefix("http").rstrip("/") + "/_stcore/stream"


@dataclass
class Session:
    """One browser tab: its socket and the page it shows.

    A browser asks each rerun for the page it is on, so a page the script switched to (a link
    to the root lands on the Overview) is the page of the next run too.
    """

    socket: websockets.ClientConnection
    page_script_hash: str = ""


@asynccontextmanager
async def connect(base_url: str) -> AsyncIterator[Session]:
    async with websockets.connect(
        stream_url(base_url), subprotocols=["streamlit"], max_size=None
    ) as socket:
        yield Session(socket)


@dataclass
class Seen:
    """What one script run sent to its session."""

    headings: list[str] = field(default_factory=list)
    metrics: dict[str, list[str]] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)


async def script_run(session: Session, query_string: str, page_name: str = "") -> Seen:
    """Ask for a run of the session's page, as the browser does, and collect what it draws
    until it finishes, following a switch to another page. ``page_name`` is a page's URL
    path, as a browser that opens ``/sensitivity`` sends it on its first run."""
    back = BackMsg()
    back.rerun_script.query_string = query_string
    back.rerun_script.page_script_hash = session.page_script_hash
    back.rerun_script.page_name = page_name
    await session.socket.send(back.SerializeToString())
    seen = Seen()
    while True:
        message = ForwardMsg()
        message.ParseFromString(await session.socket.recv())
        kind = message.WhichOneof("type")
        if kind == "navigation":
            # Each run names the page it runs; after a switch, that is the page switched to.
            session.page_script_hash = message.navigation.page_script_hash
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            what = element.WhichOneof("type")
            if what == "heading":
                seen.headings.append(element.heading.body)
            elif what == "metric":
                seen.metrics.setdefault(element.metric.label, []).append(element.metric.body)
            elif what == "exception":
                seen.exceptions.append(element.exception.message)
        elif kind == "script_finished":
            if message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                return seen
            if message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                raise RuntimeError(f"the script run ended with status {message.script_finished}")
