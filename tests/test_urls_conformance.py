"""Peer conformance suites for :mod:`backlinks.urls`, read at test time from the shared data
folder (``$BACKLINKS_SHARED_DATA``, default ``../shared/data`` beside the checkout;
never copied into the repo).
A suite whose files are absent is skipped with the path it looked for.

One test per suite: it runs every case, collects the failures, and requires them to be exactly
the documented deviations below (a deviation that starts passing fails the test too, so the
lists stay true). Each test prints ``<suite>: N/M passed``; see them with
``pytest -q -rP tests/test_urls_conformance.py``.

Our canonical form is the WHATWG href plus a fixed post-processing (see ``urls``' docstring):
non-http(s) schemes -> ``None``, fragment dropped, unreserved escapes decoded, kept escapes
upper-cased, a ``%`` that starts no escape written ``%25``, tracking parameters, empty ``&``
pairs and an empty ``?`` removed. :func:`expected_canonical` applies that post-processing to a
peer's expected URL with a slow, obvious implementation that shares no code with ``urls``.

Suites used: WHATWG ``urltestdata.json`` (cases with an http(s) base or an absolute http(s)
input and no base), ``urltestdata-javascript-only.json``, ``toascii.json``; the Public Suffix
List tests (``test_psl.txt`` and ``tests.txt``); urlcanon ``supplemental_whatwg``,
``path_dots`` (special), ``parsing`` (http(s)), ``funky_ipv4``, ``idempotence`` and
``surt.json`` ``massageHost``; crawler-commons ``url-resolve.csv``,
``weirdToNormalizedUrls.csv`` and ``invalidUrls.csv``.

Suites not used, and why: urlcanon ``aggressive`` (lossy on purpose: https -> http, ``www``
stripped), ``semantic_precise`` (sorts the query, drops userinfo, decodes reserved characters
and repeatedly), ``ssurt`` and the rest of ``surt.json`` (other key formats and the IA
canonicaliser: lower-cased paths, sorted queries, session ids removed; our SURT is the CDX key),
``path_dots`` non-special (we keep only http(s)).
"""

from __future__ import annotations

import csv
import json
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from publicsuffixlist import PublicSuffixList

from backlinks import urls
from backlinks.urls import canonicalize, host_of, registrable_domain, surt
from datapaths import SHARED_DATA

DATA = SHARED_DATA
WHATWG = DATA / "whatwg-url-tests"
PSL = DATA / "public-suffix-list"
URLCANON = DATA / "url-canonicalization-tests" / "urlcanon"
CRAWLER_COMMONS = DATA / "url-canonicalization-tests" / "crawler-commons"


def need(path: Path) -> Path:
    """The path, or skip the test saying which shared file is missing."""
    if not path.exists():
        pytest.skip(f"peer suite not available: {path} (set BACKLINKS_SHARED_DATA)")
    return path


# --- the documented post-processing, applied to a peer's expected URL ----------------------

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_HEX = frozenset(string.hexdigits)


def _normalise_escapes(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i + 1 : i + 3]
        if text[i] != "%":
            out.append(text[i])
            i += 1
        elif len(pair) == 2 and set(pair) <= _HEX:
            char = chr(int(pair, 16))
            out.append(char if char in _UNRESERVED else "%" + pair.upper())
            i += 3
        else:
            out.append("%25")
            i += 1
    return "".join(out)


def _is_tracking(name: str) -> bool:
    return name in urls.TRACKING_PARAMS or any(
        name.startswith(prefix) for prefix in urls.TRACKING_PREFIXES
    )


def expected_canonical(href: str | None) -> str | None:
    """Our canonical form of a WHATWG href (``None`` stays ``None``)."""
    if href is None or href.split(":", 1)[0] not in ("http", "https"):
        return None
    head, mark, query = href.split("#", 1)[0].partition("?")
    result = _normalise_escapes(head)
    if mark:
        pairs = _normalise_escapes(query).split("&")
        kept = [p for p in pairs if p and not _is_tracking(p.partition("=")[0])]
        if kept:
            result += "?" + "&".join(kept)
    return result if len(result) <= 8192 else None


# --- tallies -------------------------------------------------------------------------------


@dataclass
class Tally:
    """Pass/fail count of one suite; failures keyed by case."""

    suite: str
    total: int = 0
    failures: dict[Any, tuple[object, object]] = field(default_factory=dict)

    def check(self, key: object, expected: object, got: object) -> None:
        self.total += 1
        if expected != got:
            self.failures[key] = (expected, got)

    @property
    def passed(self) -> int:
        return self.total - len(self.failures)

    def verify(self, deviations: Mapping[Any, str] | set[Any], floor: int) -> None:
        """Failures must be exactly the documented deviations; at least ``floor`` must pass."""
        print(
            f"{self.suite}: {self.passed}/{self.total} passed"
            f" ({len(self.failures)} documented deviations)"
        )
        undocumented = {k: v for k, v in self.failures.items() if k not in deviations}
        fixed = [k for k in deviations if k not in self.failures]
        assert not undocumented, (
            f"{self.suite}: undocumented failures (expected, got): "
            + "\n".join(f"{k!r}: {v!r}" for k, v in list(undocumented.items())[:30])
        )
        assert not fixed, f"{self.suite}: documented deviations that now pass: {fixed!r}"
        assert self.total > 0
        assert self.passed >= floor


def _load_json(path: Path) -> Any:
    return json.loads(need(path).read_text(encoding="utf-8"))


# --- WHATWG ---------------------------------------------------------------------------------

_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))


def _is_web(text: str) -> bool:
    """Whether the WHATWG parser reads ``text`` as an absolute http(s) URL's scheme."""
    cleaned = re.sub(r"[\t\n\r]", "", text).lstrip(_C0_OR_SPACE).lower()
    return cleaned.startswith(("http:", "https:"))


def _whatwg_cases(name: str) -> Iterator[dict[str, Any]]:
    for case in _load_json(WHATWG / name):
        if not isinstance(case, dict):
            continue  # comments
        base = case["base"]
        if (base is None and _is_web(case["input"])) or (base is not None and _is_web(base)):
            yield case


#: None: after the post-processing every selected case matches the WHATWG href exactly.
WHATWG_DEVIATIONS: dict[tuple[str, str | None], str] = {}


def test_whatwg_urltestdata() -> None:
    tally = Tally("WHATWG urltestdata")
    raw_equal = 0  # cases where our URL is the WHATWG href itself, fragment aside
    for case in _whatwg_cases("urltestdata.json"):
        expected = None if case.get("failure") else expected_canonical(case["href"])
        raw = None if case.get("failure") else case["href"].split("#", 1)[0]
        raw_equal += raw == canonicalize(case["input"], case["base"])
        tally.check(
            (case["input"], case["base"]), expected, canonicalize(case["input"], case["base"])
        )
    print(f"WHATWG urltestdata: {raw_equal}/{tally.total} equal to the raw href minus fragment")
    tally.verify(WHATWG_DEVIATIONS, floor=482)


def test_whatwg_javascript_only() -> None:
    # Lone surrogates: a JavaScript string becomes a USVString (U+FFFD); so does ours.
    tally = Tally("WHATWG urltestdata-javascript-only")
    for case in _whatwg_cases("urltestdata-javascript-only.json"):
        expected = None if case.get("failure") else expected_canonical(case["href"])
        tally.check(
            (case["input"], case["base"]), expected, canonicalize(case["input"], case["base"])
        )
    tally.verify(set(), floor=1)


def test_whatwg_toascii() -> None:
    """Hosts through the whole canonicaliser: ``https://<input>/x`` has host ``output`` or
    fails where ``output`` is null."""
    tally = Tally("WHATWG toascii")
    for case in _load_json(WHATWG / "toascii.json"):
        if not isinstance(case, dict):
            continue
        got = canonicalize(f"https://{case['input']}/x")
        tally.check(case["input"], case["output"], host_of(got) if got else None)
    tally.verify(set(), floor=87)


# --- Public Suffix List ---------------------------------------------------------------------


@pytest.fixture
def shared_psl(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``registrable_domain`` backed by the list the PSL tests were written for (the bundled
    list of ``publicsuffixlist`` may be newer)."""
    with need(PSL / "public_suffix_list.dat").open("rb") as source:
        psl = PublicSuffixList(source)
    monkeypatch.setattr(urls, "_psl", lambda: psl)
    registrable_domain.cache_clear()
    yield
    registrable_domain.cache_clear()


_CHECK_RE = re.compile(r"^checkPublicSuffix\((null|'[^']*'), (null|'[^']*')\);$")


def _psl_cases(name: str) -> Iterator[tuple[str | None, str | None]]:
    for raw in need(PSL / "tests" / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        if name == "test_psl.txt":
            match = _CHECK_RE.match(line)
            assert match, line
            host, expected = (None if g == "null" else g.strip("'") for g in match.groups())
        else:
            host, expected = (None if g == "null" else g for g in line.split())
        yield host, expected


def _check_psl(name: str, floor: int, label: str = "") -> None:
    tally = Tally(f"PSL {name}{label}")
    for host, expected in _psl_cases(name):
        if host is None:
            continue  # checkPublicSuffix(null, null): our API takes a str
        # Where the list gives no registrable domain our contract is "the host is its own
        # domain" (lower-cased, without trailing dots).
        want = expected if expected is not None else (host.rstrip(".").lower() or host.lower())
        tally.check(host, want, registrable_domain(host))
    tally.verify(set(), floor=floor)


@pytest.mark.usefixtures("shared_psl")
def test_psl_checkpublicsuffix() -> None:
    _check_psl("test_psl.txt", floor=77)


@pytest.mark.usefixtures("shared_psl")
def test_psl_tests_txt() -> None:
    _check_psl("tests.txt", floor=77)


def test_psl_with_bundled_list() -> None:
    """The production path (bundled list) on the same vectors."""
    registrable_domain.cache_clear()
    _check_psl("tests.txt", floor=77, label=" (bundled list)")


# --- urlcanon ------------------------------------------------------------------------------


def _as_html_text(value: str) -> str:
    """urlcanon's tests read each JSON string as raw bytes (latin-1 round trip); we take str,
    so decode those bytes as UTF-8, as an HTML page would be (invalid bytes -> U+FFFD)."""
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value


def _urlcanon(name: str) -> Any:
    return json.loads(need(URLCANON / name).read_bytes().decode("latin-1"))


_NEWER_IPV4 = (
    "urlcanon predates the WHATWG 'ends in a number' rule (2021): a host whose last label is "
    "a number must be a valid IPv4 address (else failure), and '.'/'..' hosts are domains"
)
_FORBIDDEN_HOST = (
    "a special URL's host may not contain '%' or a space after percent-decoding: WHATWG fails"
)

SUPPLEMENTAL_DEVIATIONS: dict[str, str] = {
    "http://09/": _NEWER_IPV4,
    **{
        f"http:{slashes}{dots}/a/b": _NEWER_IPV4
        for slashes in ("", "/", "//", "///")
        for dots in ("%2e", "%2e%2e", "%2e%2e%2e")
    },
    "http://%/": _FORBIDDEN_HOST,
    "http:/%/": _FORBIDDEN_HOST,
    "http:%/": _FORBIDDEN_HOST,
    "http://info@merseburger.de%20/": _FORBIDDEN_HOST,
}


def test_urlcanon_supplemental_whatwg() -> None:
    tally = Tally("urlcanon supplemental_whatwg (http/https)")
    for raw, expected in _urlcanon("supplemental_whatwg.json").items():
        if _is_web(raw):
            tally.check(raw, expected_canonical(expected), canonicalize(_as_html_text(raw)))
    tally.verify(SUPPLEMENTAL_DEVIATIONS, floor=58)


def test_urlcanon_path_dots() -> None:
    tally = Tally("urlcanon path_dots (special)")
    cases = _urlcanon("path_dots.json")["special"]
    for path in cases:
        # urlcanon resolves dots in the raw path and keeps "\" as a character; a special URL's
        # parser first reads every "\" as "/" (so "\.." is a dot segment). The WHATWG answer
        # for such a path is therefore the suite's answer for the same path written with "/".
        want = cases[path.replace("\\", "/")]
        tally.check(path, f"http://h{want}", canonicalize(f"http://h{path}"))
    tally.verify(set(), floor=376)


def test_urlcanon_parsing() -> None:
    """Component split of http(s) inputs, compared with our canonical URL's components."""
    tally = Tally("urlcanon parsing (http/https)")
    for raw, fields in _urlcanon("parsing.json").items():
        scheme = re.sub(r"[\t\n\r]", "", fields["scheme"]).lower()
        if scheme not in ("http", "https"):
            continue
        # WHATWG rules for special URLs: an empty host fails; "\" separates path segments;
        # an empty path is "/".
        expected: tuple[str, ...] | None = None
        if fields["host"]:
            path = fields["path"].replace("\\", "/") or "/"
            expected = (
                scheme,
                fields["username"],
                fields["password"],
                fields["host"].lower(),
                fields["port"],
                path,
                fields["query"],
            )
        got_url = canonicalize(_as_html_text(raw))
        got: tuple[str, ...] | None = None
        if got_url is not None:
            parts = urlsplit(got_url)
            got = (
                parts.scheme,
                parts.username or "",
                parts.password or "",
                parts.hostname or "",
                str(parts.port or ""),
                parts.path,
                parts.query,
            )
        tally.check(raw, expected, got)
    tally.verify(set(), floor=50)


_IPV4 = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


def test_urlcanon_funky_ipv4() -> None:
    """WHATWG's IPv4 parser (octal, hex, short forms). urlcanon's null means "not an IPv4
    address": for us either a failure or a host that is a domain name."""
    tally = Tally("urlcanon funky_ipv4")
    for raw, expected in _urlcanon("funky_ipv4.json").items():
        got = canonicalize(f"http://{raw}/")
        host = host_of(got) if got else None
        if expected is None and (host is None or not _IPV4.match(host)):
            host = None
        tally.check(raw, expected, host)
    tally.verify(set(), floor=47)


def test_urlcanon_idempotence() -> None:
    tally = Tally("urlcanon idempotence")
    for raw in _urlcanon("idempotence.json"):
        once = canonicalize(_as_html_text(raw))
        tally.check(raw, once, canonicalize(once) if once is not None else None)
    tally.verify(set(), floor=40)


def test_urlcanon_massage_host() -> None:
    """``www``/``wwwN`` stripping in our SURT key."""
    tally = Tally("urlcanon surt.json massageHost")
    for host, expected in _urlcanon("surt.json")["massageHost"].items():
        key = ",".join(reversed(expected.split(".")))
        tally.check(host, f"{key})/", surt(f"http://{host}/"))
    tally.verify(set(), floor=5)


# --- crawler-commons ------------------------------------------------------------------------


def _csv_rows(name: str) -> Iterator[list[str]]:
    """Rows as JUnit's ``@CsvFileSource`` reads them: ``#`` comment lines, quoted fields,
    unquoted fields trimmed."""
    text = need(CRAWLER_COMMONS / name).read_text(encoding="utf-8")
    lines = [ln for ln in text.split("\n") if ln.strip(" \t\r") and not ln.startswith("#")]
    for row in csv.reader(lines, skipinitialspace=True):
        yield [cell.strip(" \t\r") for cell in row]


def test_crawler_commons_resolve() -> None:
    tally = Tally("crawler-commons url-resolve")
    for href, base, expected in _csv_rows("url-resolve.csv"):
        tally.check((href, base), expected_canonical(expected), canonicalize(href, base or None))
    tally.verify(set(), floor=22)


_SORTED_QUERY = "crawler-commons sorts query parameters; order can matter to servers: kept"
_EMPTY_VALUE = "crawler-commons writes 'b=' as 'b'; servers may tell them apart: kept"
_SLASHES = "crawler-commons collapses '//' in paths; servers may tell them apart: kept"
_EXTRA_ESCAPES = "crawler-commons escapes [ ] ^ ` | in the query; WHATWG leaves them: kept"
_NO_HOST = "an http URL without a host is a WHATWG failure; crawler-commons keeps 'http:/'"
_NO_SCHEME = "no scheme guessing: without a base 'foo.com/x' is a relative reference"
_TRAILING_DOT = "WHATWG keeps the host's trailing dot (registrable_domain drops it)"

WEIRD_DEVIATIONS: dict[str, str] = {
    "http://x.com/?x[y]=1": _EXTRA_ESCAPES,
    "http://www.example.com/a/c/../b/search?q=foobar^": _EXTRA_ESCAPES,
    "http://www.example.com/a/c/../b/search?q=foobar`": _EXTRA_ESCAPES,
    "http://www.example.com/a/c/../b/search?q=foobar|": _EXTRA_ESCAPES,
    "http://foo.com//aa/bb/foo.html": _SLASHES,
    "http://foo.com/aa//bb/foo.html": _SLASHES,
    "http://foo.com/aa/bb//foo.html": _SLASHES,
    "http://foo.com//aa//bb//foo.html": _SLASHES,
    "http://foo.com////aa////bb//foo.html": _SLASHES,
    "http://foo.com////aa////bb////foo.html": _SLASHES,
    "http:////": _NO_HOST,
    "http:///////": _NO_HOST,
    "foo.com/index.html": _NO_SCHEME,
    "https://www.example.org./": _TRAILING_DOT,
    "http://example.com/?b=1&a=1": _SORTED_QUERY,
    "http://foo.com/foo.html?b=1&a=1": _SORTED_QUERY,
    "http://foo.com/index?b=2&a=1": _SORTED_QUERY,
    "http://foo.com/index?b=2&a=1#c": _SORTED_QUERY,
    "http://foo.com/index?b&a=1": _SORTED_QUERY,
    "http://foo.com/index?b=1&a=1&": _SORTED_QUERY,
    "http://foo.com/index?&b=1&a=1": _SORTED_QUERY,
    "http://foo.com/index?=1&b=1&a=1": _SORTED_QUERY,
    "http://foo.com/index?a=1&b=": _EMPTY_VALUE,
    "http://foo.com/index?b=&a=1": _EMPTY_VALUE,
    "http://foo.com/index?&=1&a=1": _EMPTY_VALUE,  # drops the nameless "=1" as well
}


def test_crawler_commons_weird_to_normalized() -> None:
    tally = Tally("crawler-commons weirdToNormalizedUrls")
    for raw, expected in _csv_rows("weirdToNormalizedUrls.csv"):
        tally.check(raw, expected_canonical(expected), canonicalize(raw))
    tally.verify(WEIRD_DEVIATIONS, floor=87)


def test_crawler_commons_invalid_urls() -> None:
    tally = Tally("crawler-commons invalidUrls")
    for (raw,) in _csv_rows("invalidUrls.csv"):
        tally.check(raw, None, canonicalize(raw))
    tally.verify(set(), floor=2)
