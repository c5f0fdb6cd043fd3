import base64
import json
import zlib

import pytest

from planner.core.errors import PlannerInputError
from planner.io.share import MAX_JSON_BYTES, MAX_TOKEN_CHARS, decode, encode, link, token_from
from planner.scenario import Scenario


def _token(payload: bytes, version: str = "1") -> str:
    return f"{version}." + base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


def test_round_trip_of_a_gallery_scenario(recommender):
    assert decode(encode(recommender)).scenario == recommender
    assert decode(link(recommender, "https://x.example/overview")).scenario == recommender


def test_defaults_are_left_out():
    assert len(encode(Scenario())) < 60


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "no scenario"),
        ("https://x.example/overview?other=1", "no scenario"),
        ("1.%%%", "damaged"),
        ("1.AAAA", "damaged"),
        ("7.abc", "newer version"),
        ("abc", "damaged"),
        ("x" * (MAX_TOKEN_CHARS + 1), "too long"),
        (_token(zlib.compress(b"[1, 2]")), "mapping"),
        (_token(zlib.compress(b'{"title": NaN}')), "title"),
        (_token(zlib.compress(b'{"business": {"monthly_traffic_growth": NaN}}')), "finite"),
        (_token(zlib.compress(b'{"nope": 1}')), "nope: unknown field"),
        (_token(zlib.compress(b"[" * 50_000)), "damaged"),
        (_token(b"not zlib at all"), "damaged"),
    ],
)
def test_bad_links_decode_to_a_message_never_an_exception(text, expected):
    decoded = decode(text)
    assert decoded.scenario is None
    assert decoded.problem is not None
    assert expected in decoded.problem


def test_a_decompression_bomb_is_stopped_at_the_cap():
    bomb = zlib.compress(b'{"title": "' + b"a" * (50 * MAX_JSON_BYTES) + b'"}', 9)
    token = _token(bomb)
    assert len(token) < MAX_TOKEN_CHARS
    decoded = decode(token)
    assert decoded.scenario is None
    assert "KiB" in (decoded.problem or "")


def test_truncated_link_is_damaged(recommender):
    token = encode(recommender)
    decoded = decode(token[: len(token) // 2])
    assert decoded.scenario is None
    assert "damaged" in (decoded.problem or "")


def test_token_from_full_link():
    assert token_from("https://h/overview?s=1.abc") == "1.abc"


def test_link_needs_an_http_base():
    with pytest.raises(PlannerInputError, match="base-url"):
        link(Scenario(), "ftp://x")


def test_payload_is_compact_json():
    token = encode(Scenario(title="T"))
    raw = zlib.decompress(base64.urlsafe_b64decode(token[2:] + "=="))
    assert json.loads(raw) == {"schema_version": 2, "title": "T"}


@pytest.mark.parametrize("version", ["²", "¹1", "٣"])
def test_unicode_digits_in_the_version_are_damage_not_a_crash(version):
    decoded = decode(f"{version}.abc")
    assert decoded.scenario is None
    assert "damaged" in (decoded.problem or "")
