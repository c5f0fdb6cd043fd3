"""Hostile links: every one decodes to a clear message, never an exception or a huge object.

The corpus covers truncation, oversize, wrong versions, deep nesting, decompression bombs,
NaN / infinite / huge numbers and unknown fields; hypothesis then mutates real tokens.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.io.share import MAX_JSON_BYTES, MAX_TOKEN_CHARS, decode, encode
from planner.scenario import Scenario
from planner.scenario.serving import Endpoint, Traffic
from tests.conftest import ROOT


def _pack(raw: bytes, version: str = "1") -> str:
    return f"{version}." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).rstrip(b"=").decode()


VALID = encode(
    Scenario(
        title="fuzz base",
        serving=(
            Endpoint(name="api", traffic=Traffic(requests_per_day=1e6), instance_type="g5.xlarge"),
        ),
    )
)

NASTY: dict[str, str] = {
    "truncated": VALID[: len(VALID) // 2],
    "one char short": VALID[:-1],
    "oversized": "1." + "A" * (MAX_TOKEN_CHARS + 10),
    "wrong version": "0." + VALID[2:],
    "future version": "2." + VALID[2:],
    "no version": VALID[2:],
    "deeply nested lists": _pack(b"[" * 100_000 + b"]" * 100_000),
    "deeply nested objects": _pack(b'{"a":' * 20_000 + b"1" + b"}" * 20_000),
    "bomb": _pack(b'{"title":"' + b"x" * (40 * MAX_JSON_BYTES) + b'"}'),
    "nan": _pack(b'{"serving":[{"name":"a","requests_per_day":NaN}]}'),
    "infinity": _pack(b'{"serving":[{"name":"a","requests_per_day":Infinity}]}'),
    "huge float": _pack(b'{"serving":[{"name":"a","requests_per_day":1e308}]}'),
    "huge int": _pack(b'{"business":{"projection_months":' + b"9" * 5000 + b"}}"),
    "unknown field": _pack(b'{"title":"x","__class__":"os.system"}'),
    "file path": _pack(
        b'{"serving":[{"name":"a","requests_per_day":1,"demand_csv":"/etc/passwd"}]}'
    ),
    "too many rows": _pack(
        json.dumps({"tooling": [{"name": "t", "usd_per_month": 1}] * 500}).encode()
    ),
    "not json": _pack(b"\x00\x01\x02 not json"),
    "not utf8": _pack(b'{"title":"\xff\xfe"}'),
    "list root": _pack(b"[]"),
    "null root": _pack(b"null"),
    "empty": "",
    "only dot": "1.",
    "url without s": "http://localhost:8501/?x=1",
}


@pytest.mark.parametrize("name", sorted(NASTY))
def test_nasty_link_decodes_to_a_message(name):
    decoded = decode(NASTY[name])
    assert decoded.scenario is None, name
    assert decoded.problem
    assert len(decoded.problem) < 2000


def test_a_yaml_python_tag_in_a_link_stays_plain_text():
    tag = '!!python/object/apply:os.system ["id"]'
    decoded = decode(_pack(json.dumps({"title": tag}).encode()))
    assert decoded.scenario is not None
    assert decoded.scenario.title == tag


@pytest.mark.parametrize(
    "name", ["truncated", "bomb", "deeply nested lists", "nan", "unknown field"]
)
def test_show_link_exits_2_without_traceback(name):
    result = subprocess.run(
        [sys.executable, "-m", "planner", "show-link", NASTY[name]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr + result.stdout


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_tokens_never_raise(data):
    link = VALID
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = data.draw(st.integers(0, len(link) - 1))
        if kind == "flip":
            char = data.draw(st.characters(codec="ascii"))
            link = link[:at] + char + link[at + 1 :]
        elif kind == "cut":
            link = link[:at]
        elif kind == "insert":
            link = link[:at] + data.draw(st.text(max_size=8)) + link[at:]
        else:
            link = link[:at] + link[at + 1 :]
        if not link:
            link = "1."
    decoded = decode(link)
    assert (decoded.scenario is None) != (decoded.problem is None)
