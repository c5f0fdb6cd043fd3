"""Share links: a scenario in a URL, and back.

A token is ``<codec version>.<payload>``. Version 1's payload is the scenario's non-default
fields as compact JSON, deflated, in URL-safe base64 without padding. Decoding is total: it
returns a :class:`Decoded` whose ``scenario`` is ``None`` with a message, never an
exception. Sizes are capped before each expansion, so a hostile link costs a bounded amount
of memory and time.

>>> from planner.scenario import Scenario
>>> token = encode(Scenario(title="Demo"))
>>> token.startswith("1.")
True
>>> decode(token).scenario == Scenario(title="Demo")
True
>>> decode("1.not-a-link").problem
'This link is damaged: its scenario data is not valid. Ask for the link again.'
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from planner.core.errors import PlannerInputError
from planner.scenario import MAX_YAML_BYTES, Scenario, load_mapping, scenario_to_mapping

CODEC_VERSION = 1
QUERY_KEY = "s"
# A scenario file at the uploader's cap writes at most about twice its size as compact JSON
# (a double quote or a backslash is one character in a single-quoted YAML string and two in
# JSON), so every scenario a file can hold inflates within this cap.
MAX_JSON_BYTES = 2 * MAX_YAML_BYTES
# The longest token the encoder can make within MAX_JSON_BYTES: zlib's compressBound of it,
# in base64. The app writes every scenario into the address bar, so the decoder takes all
# of them back on reload; the inflated size is still capped while inflating.
_DEFLATED_BOUND = MAX_JSON_BYTES + (MAX_JSON_BYTES >> 12) + (MAX_JSON_BYTES >> 14) + 13
MAX_TOKEN_CHARS = len(f"{CODEC_VERSION}.") + -(-_DEFLATED_BOUND // 3) * 4
# The longest link offered for sharing: a whole URL must pass the proxies in front of a
# deployed app (nginx reads a request line into an 8 KiB buffer, Apache's LimitRequestLine is
# 8,190), so beyond this the sidebar offers the scenario's YAML file instead.
MAX_LINK_CHARS = 8_000
DEFAULT_BASE_URL = "http://localhost:8501/"

_DAMAGED = "This link is damaged: its scenario data is not valid. Ask for the link again."


@dataclass(frozen=True, slots=True, kw_only=True)
class Decoded:
    """The scenario a link holds, or why it holds none, and how it was upgraded if an older
    version of the planner made it."""

    scenario: Scenario | None
    problem: str | None = None
    notes: tuple[str, ...] = ()


def encode(scenario: Scenario) -> str:
    """The share token for a scenario (defaults left out, so small scenarios make short links)."""
    data = scenario_to_mapping(scenario, omit_defaults=True)
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    packed = base64.urlsafe_b64encode(zlib.compress(raw, 9)).rstrip(b"=").decode("ascii")
    return f"{CODEC_VERSION}.{packed}"


def link(scenario: Scenario, base_url: str = DEFAULT_BASE_URL) -> str:
    """A full URL that opens the app on this scenario.

    >>> from planner.scenario import Scenario
    >>> link(Scenario(), "https://planner.example/overview").startswith(
    ...     "https://planner.example/overview?s=1.")
    True
    """
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise PlannerInputError(
            f"--base-url {base_url!r} is not an http(s) URL",
            fix="pass something like https://planner.example.com/",
        )
    query = urlencode({QUERY_KEY: encode(scenario)})
    return parts._replace(query=query, fragment="").geturl()


def link_problem(url: str) -> str | None:
    """Why ``url`` is too long to share, or ``None`` when it is not.

    >>> link_problem("https://planner.example/?s=1.abc") is None
    True
    >>> link_problem("https://planner.example/?s=1." + "a" * 9000)[:60]
    'This scenario is too big for a share link (9,029 characters;'
    """
    if len(url) <= MAX_LINK_CHARS:
        return None
    return (
        f"This scenario is too big for a share link ({len(url):,} characters; links stop at "
        f"{MAX_LINK_CHARS:,}, above which common proxies refuse them). Share it as a YAML file "
        "instead: Download scenario (YAML)."
    )


def token_from(text: str) -> str:
    """The token inside a full link, or the text itself if it is already a token.

    >>> token_from("http://host/overview?s=1.abc&x=2")
    '1.abc'
    >>> token_from("  1.abc ")
    '1.abc'
    """
    text = text.strip()
    if "?" in text or "://" in text:
        values = parse_qs(urlsplit(text).query).get(QUERY_KEY)
        return values[0] if values else ""
    return text


def decode(text: str) -> Decoded:
    """Read a link or token. Never raises: a bad link comes back with a readable problem."""
    if len(text) > MAX_TOKEN_CHARS * 2:
        return Decoded(scenario=None, problem=_too_long(len(text)))
    token = token_from(text)
    if not token:
        return Decoded(scenario=None, problem="This link holds no scenario (no ?s= part).")
    if len(token) > MAX_TOKEN_CHARS:
        return Decoded(scenario=None, problem=_too_long(len(token)))
    version, _, payload = token.partition(".")
    if version != str(CODEC_VERSION):
        # isdecimal() alone admits digits such as "²" that int() refuses.
        if version.isascii() and version.isdecimal() and int(version) > CODEC_VERSION:
            return Decoded(
                scenario=None,
                problem=(
                    f"This link was made by a newer version of the planner (link format "
                    f"{version}; this one reads {CODEC_VERSION}). Open it in the newer planner."
                ),
            )
        return Decoded(scenario=None, problem=_DAMAGED)
    try:
        packed = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_JSON_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            return Decoded(
                scenario=None,
                problem=(
                    "This link is damaged or expands to more than "
                    f"{MAX_JSON_BYTES // 1024} KiB of scenario data. Ask for the link again."
                ),
            )
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, zlib.error, RecursionError):
        return Decoded(scenario=None, problem=_DAMAGED)
    try:
        loaded = load_mapping(data)
        return Decoded(scenario=loaded.scenario, notes=loaded.notes)
    except PlannerInputError as error:
        return Decoded(scenario=None, problem=f"This link's scenario cannot be used. {error}")
    except RecursionError:
        return Decoded(scenario=None, problem=_DAMAGED)


def _too_long(length: int) -> str:
    return (
        f"This link is too long to be a scenario ({length:,} characters; the limit is "
        f"{MAX_TOKEN_CHARS:,}). Ask for the link again, or share the scenario as a YAML file."
    )
