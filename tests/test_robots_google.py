"""Google's robots.txt conformance tests (google/robotstxt ``robots_test.cc``), run as data.

The C++ file is read, never compiled: a small lexer finds each ``TEST()``, the string
variables it declares (adjacent literals concatenated, ``absl::StrCat`` joined, scopes
respected) and every ``EXPECT_TRUE/EXPECT_FALSE(IsUserAgentAllowed(robots, agent, url))``.
Each assertion runs against our :class:`RobotsPolicy` (the body goes through
:func:`policy_from_response` with status 200, as the crawler would), and the set that fails
must equal :data:`DEVIATIONS` exactly, so a fix and a regression both show.

Assertions whose arguments C++ code builds at run time (``absl::StrAppend`` in loops: the
Google-only 8 x 2083-byte line cut-off) are ported by hand. Out of scope: the other
assertions (``EXPECT_EQ`` on parse reports, ``IsValidUserAgentToObey``, path helpers) which
test Google's internals, not the allow/disallow verdict. ``reporting_robots_test.cc`` holds
only such report assertions; its BOM and sitemap facts are tested by hand in test_robots.py.

The data lives in the shared data folder (not in the repository); without it this module is
skipped with a reason.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

from backlinks.crawl.robots import policy_from_response
from datapaths import SHARED_DATA

DATA: Final = Path(os.environ.get("BACKLINKS_ROBOTSTXT_TESTS", SHARED_DATA / "robotstxt-tests"))
GOOGLE_TESTS: Final = DATA / "google-robotstxt" / "robots_test.cc.txt"

#: Assertions (``Test#n``: the n-th IsUserAgentAllowed assertion of that TEST, from 1) where
#: our policy answers differently from Google's parser, each with the reason.
DEVIATIONS: Final[dict[str, str]] = {
    "GoogleOnly_AcceptUserAgentUpToFirstSpace#2": (
        "we match the product token of the caller's User-Agent, so agent 'Foo Bar' is 'Foo'; "
        "Google compares the whole string, which is not a valid token"
    ),
    "ID_Encoding#3": (
        "Protego percent-encodes the URL before matching, so a raw 'ツ' equals '%E3%83%84'; "
        "the crawler's URLs are canonical (encoded) anyway"
    ),
    "ID_Encoding#5": "as ID_Encoding#3",
    "ID_Encoding#6": (
        "Protego decodes escapes of unreserved characters (RFC 3986 6.2.2.2): '%62%61%7A' is "
        "'baz' on both sides, as in our canonical URLs; Google says not to rely on either"
    ),
    "GoogleOnly_LineTooLong#2": "Google-only: lines are cut at 8 x 2083 bytes; we read them whole",
    "GoogleOnly_LineTooLong#5": "as GoogleOnly_LineTooLong#2",
}

#: TESTs whose IsUserAgentAllowed arguments C++ code builds at run time; each is ported by
#: hand below (and checked against the extracted expectations).
PORTED: Final = frozenset({"GoogleOnly_LineTooLong"})

_TOKEN_RE: Final = re.compile(
    r"""(?P<ws>\s+)
    | (?P<comment>//[^\n]*|/\*.*?\*/)
    | (?P<pre>\#[^\n]*)
    | (?P<str>"(?:[^"\\\n]|\\.)*")
    | (?P<chr>'(?:[^'\\\n]|\\.)*')
    | (?P<id>[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*)
    | (?P<num>\d[\w.]*)
    | (?P<punct>.)""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPES: Final = {"n": 10, "r": 13, "t": 9, "0": 0, "\\": 92, '"': 34, "'": 39, "?": 63}
_TYPES: Final = frozenset({"absl::string_view", "std::string", "char"})


@dataclass(frozen=True, slots=True)
class Tok:
    kind: str
    text: str
    line: int
    value: bytes = b""


@dataclass(frozen=True, slots=True)
class Case:
    key: str  # "Test#n"
    line: int
    expected: bool
    robots: bytes | None  # None: built by code we do not evaluate
    agent: str | None
    url: str | None


def _unescape(literal: str) -> bytes:
    """Bytes of a C++ narrow string literal's body (the file is UTF-8)."""
    out = bytearray()
    i = 0
    while i < len(literal):
        ch = literal[i]
        if ch != "\\":
            out += ch.encode()
            i += 1
            continue
        nxt = literal[i + 1]
        if nxt == "x":
            j = i + 2
            while j < len(literal) and literal[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(literal[i + 2 : j], 16) & 0xFF)
            i = j
        else:
            out.append(_ESCAPES[nxt])
            i += 2
    return bytes(out)


def _lex(source: str) -> list[Tok]:
    toks: list[Tok] = []
    line = 1
    for match in _TOKEN_RE.finditer(source):
        kind = match.lastgroup or "punct"
        text = match.group()
        if kind == "str":
            toks.append(Tok("str", text, line, _unescape(text[1:-1])))
        elif kind not in {"ws", "comment", "pre"}:
            toks.append(Tok(kind, text, line))
        line += text.count("\n")
    return toks


def _split_args(toks: list[Tok], start: int) -> tuple[list[list[Tok]], int]:
    """Arguments of the call whose ``(`` is at ``start``; returns them and the index after
    the closing ``)``."""
    args: list[list[Tok]] = [[]]
    depth = 0
    i = start
    while True:
        tok = toks[i]
        if tok.text == "(":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif tok.text == ")":
            depth -= 1
            if depth == 0:
                return args, i + 1
        elif tok.text == "," and depth == 1:
            args.append([])
            i += 1
            continue
        args[-1].append(tok)
        i += 1


class _Scopes:
    def __init__(self) -> None:
        self.stack: list[dict[str, bytes | None]] = [{}]

    def lookup(self, name: str) -> bytes | None:
        for scope in reversed(self.stack):
            if name in scope:
                return scope[name]
        return None

    def spoil(self, name: str) -> None:
        """``&name`` was passed to a function: its value is no longer known."""
        for scope in reversed(self.stack):
            if name in scope:
                scope[name] = None
                return


def _evaluate(expr: list[Tok], scopes: _Scopes) -> bytes | None:
    if expr and all(t.kind == "str" for t in expr):
        return b"".join(t.value for t in expr)
    if len(expr) == 1 and expr[0].kind == "id":
        return scopes.lookup(expr[0].text)
    if len(expr) > 2 and expr[0].text == "absl::StrCat" and expr[1].text == "(":
        args, end = _split_args(expr, 1)
        if end != len(expr):
            return None
        parts = [_evaluate(arg, scopes) for arg in args]
        if any(part is None for part in parts):
            return None
        return b"".join(p for p in parts if p is not None)
    return None


def extract_cases(source: str) -> list[Case]:
    """Every ``EXPECT_TRUE/FALSE(IsUserAgentAllowed(...))`` in a Google robots test file."""
    toks = _lex(source)
    scopes = _Scopes()
    cases: list[Case] = []
    test = ""
    counts: dict[str, int] = {}
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.text == "{":
            scopes.stack.append({})
        elif tok.text == "}":
            scopes.stack.pop()
        elif tok.text == "TEST" and toks[i + 1].text == "(":
            test = toks[i + 4].text
        elif tok.text == "&" and toks[i + 1].kind == "id":
            scopes.spoil(toks[i + 1].text)
        elif tok.text in _TYPES and toks[i + 1].kind == "id":
            name_at = i + 1
            j = name_at + 1
            if toks[j].text == "[":
                j += 2
            if toks[j].text == "=":
                k = j + 1
                while toks[k].text != ";":
                    k += 1
                scopes.stack[-1][toks[name_at].text] = _evaluate(toks[j + 1 : k], scopes)
                i = k
        elif (
            tok.text in {"EXPECT_TRUE", "EXPECT_FALSE"} and toks[i + 2].text == "IsUserAgentAllowed"
        ):
            args, _ = _split_args(toks, i + 3)
            robots, agent, url = (_evaluate(arg, scopes) for arg in args)
            counts[test] = counts.get(test, 0) + 1
            cases.append(
                Case(
                    key=f"{test}#{counts[test]}",
                    line=tok.line,
                    expected=tok.text == "EXPECT_TRUE",
                    robots=robots,
                    agent=None if agent is None else agent.decode(),
                    url=None if url is None else url.decode(),
                )
            )
        i += 1
    return cases


def _line_too_long() -> list[tuple[bool, bytes, str]]:
    """GoogleOnly_LineTooLong, ported: (expected, robots, url) in the test's order."""
    max_line = 2083 * 8
    cases: list[tuple[bool, bytes, str]] = []
    longline = "/x/".ljust(max_line - len("/x/") - len("disallow: ") + 1, "a")
    robots = f"user-agent: FooBot\ndisallow: {longline}/qux\n".encode()
    cases += [(True, robots, "http://foo.bar/fux")]
    cases += [(False, robots, f"http://foo.bar{longline}/fux")]
    width = max_line - len("/x/") - len("allow: ") + 1
    long_a, long_b = "/x/".ljust(width, "a"), "/x/".ljust(width, "b")
    robots = (
        f"user-agent: FooBot\ndisallow: /\nallow: {long_a}/qux\nallow: {long_b}/qux\n"
    ).encode()
    cases += [(False, robots, "http://foo.bar/")]
    cases += [(True, robots, f"http://foo.bar{long_a}/qux")]
    cases += [(True, robots, f"http://foo.bar{long_b}/fux")]
    return cases


def _with_ports(extracted: list[Case]) -> list[Case]:
    """The extracted cases, with those of :data:`PORTED` tests replaced by the hand port."""
    ported = iter(_line_too_long())
    out: list[Case] = []
    for case in extracted:
        if case.key.split("#")[0] not in PORTED:
            out.append(case)
            continue
        expected, robots, url = next(ported)
        assert expected == case.expected, f"port out of step with the file at {case.key}"
        out.append(Case(case.key, case.line, expected, robots, "FooBot", url))
    assert next(ported, None) is None, "the port has more assertions than the file"
    return out


def _verdict(case: Case) -> bool:
    assert case.robots is not None
    assert case.agent is not None
    assert case.url is not None
    policy = policy_from_response(200, case.robots, "text/plain")
    return policy.allowed(case.url, case.agent)


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    if not GOOGLE_TESTS.is_file():
        pytest.skip(f"Google robots.txt test data not found at {GOOGLE_TESTS}")
    return extract_cases(GOOGLE_TESTS.read_text(encoding="utf-8"))


def test_extractor_finds_every_assertion(cases: list[Case]) -> None:
    source = GOOGLE_TESTS.read_text(encoding="utf-8")
    expected = len(re.findall(r"EXPECT_(?:TRUE|FALSE)\(\s*IsUserAgentAllowed", source))
    assert len(cases) == expected == 145
    unevaluated = {c.key.split("#")[0] for c in cases if None in (c.robots, c.agent, c.url)}
    assert unevaluated == PORTED
    assert all(None not in (c.robots, c.agent, c.url) for c in _with_ports(cases))


def test_extractor_reads_concatenated_literals_and_scopes(cases: list[Case]) -> None:
    by_key = {c.key: c for c in cases}
    first = by_key["ID_LineSyntax_Groups#1"]
    assert first.robots is not None
    assert first.robots.startswith(b"allow: /foo/bar/\n\nuser-agent: FooBot\n")
    assert (first.agent, first.url, first.expected) == ("FooBot", "http://foo.bar/x/b", True)
    # An inner block's ``robotstxt`` shadows the outer one and ends with its block.
    longest = [c for c in cases if c.key.startswith("ID_LongestMatch#")]
    assert len({c.robots for c in longest}) == 9
    encoded = by_key["ID_Encoding#2"]
    assert encoded.robots is not None
    assert "ツ".encode() in encoded.robots
    assert encoded.url == "http://foo.bar/foo/bar/%E3%83%84"


def test_google_conformance(cases: list[Case], capsys: pytest.CaptureFixture[str]) -> None:
    runnable = _with_ports(cases)
    failing = {c.key for c in runnable if _verdict(c) != c.expected}
    passed = len(runnable) - len(failing)
    with capsys.disabled():
        print(f"\nGoogle robots.txt: {passed}/{len(runnable)} passed")
    details = {c.key: (c.line, c.agent, c.url, c.expected) for c in runnable if c.key in failing}
    assert failing == set(DEVIATIONS), details
