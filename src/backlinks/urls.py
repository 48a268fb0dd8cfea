"""The URL model: canonical form, resolution, host, registrable domain, SURT and stable ids.

Parsing follows the WHATWG URL Standard through ada-url (a C++ parser with Python bindings,
chosen for speed: link extraction calls it once per link). On top of the WHATWG form the
canonical URL:

* keeps only ``http`` and ``https`` (everything else is "not a web link");
* drops the fragment;
* decodes percent-escapes of unreserved characters (``%7E`` -> ``~``, ``%41`` -> ``A``),
  upper-cases the hex digits of the escapes it keeps (RFC 3986 section 6.2.2) and writes a
  ``%`` that starts no escape as ``%25`` (WHATWG keeps it bare; encoding it keeps the form
  idempotent: ``/%%36%31`` would otherwise become ``/%61`` and then ``/a``);
* removes tracking parameters (see :data:`TRACKING_PARAMS`), empty ``&`` pairs and an empty
  ``?``;
* is at most 8192 characters long (longer results are rejected, not truncated).

Scheme and host are lower-cased, IDNA hosts become punycode, default ports and dot segments
are removed by the WHATWG parser itself. Lone surrogates (which no decoded HTML contains) are
read as U+FFFD, as a browser's ``new URL()`` does. Everything else follows the WHATWG href:
the query is neither sorted nor re-escaped, ``//`` in paths and a trailing dot on the host are
kept. The canonical form is idempotent: ``canonicalize(canonicalize(x)) == canonicalize(x)``.
Ids are xxh64 of the canonical string as a signed int64 (so DuckDB, Arrow and Spark store them
as BIGINT), identical on every engine.

This module does no I/O beyond reading the Public Suffix List bundled with
``publicsuffixlist`` (offline).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

import xxhash
from ada_url.ada_adapter import ffi, lib  # type: ignore[attr-defined]  # ada's cffi C API
from publicsuffixlist import PublicSuffixList

__all__ = [
    "NON_WEB_SCHEMES",
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "canonicalize",
    "domain_of",
    "host_of",
    "is_non_web",
    "registrable_domain",
    "stable_id",
    "surt",
    "url_id",
]

#: Query parameters that only track a click and never change the page; removed from the
#: canonical form. Matching is case-sensitive on the name, as servers see it.
TRACKING_PARAMS: Final[frozenset[str]] = frozenset(
    {
        "gclid",  # Google Ads click id
        "gbraid",
        "wbraid",
        "dclid",  # DoubleClick
        "fbclid",  # Facebook
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "twclid",  # X/Twitter
        "ttclid",  # TikTok
        "li_fat_id",  # LinkedIn
        "igshid",  # Instagram share
        "mc_cid",  # Mailchimp campaign
        "mc_eid",  # Mailchimp subscriber
        "_ga",  # Google Analytics linker
        "_gl",
        "_hsenc",  # HubSpot
        "_hsmi",
        "mkt_tok",  # Marketo
        "oly_anon_id",  # Omeda
        "oly_enc_id",
        "vero_id",
        "rb_clickid",
        "s_cid",  # Adobe
        "ref_src",  # Twitter embeds
    }
)
#: Parameter name prefixes that mark tracking parameters (``utm_source``, ``utm_medium``...).
TRACKING_PREFIXES: Final[tuple[str, ...]] = ("utm_", "pk_", "mtm_", "hsa_")

#: Schemes of hrefs that are counted as "non-web" links and not stored.
NON_WEB_SCHEMES: Final[frozenset[str]] = frozenset(
    {"javascript", "mailto", "tel", "data", "sms", "callto", "skype", "whatsapp", "file", "ftp"}
)

_WEB_SCHEMES: Final = ("http:", "https:")
_UNRESERVED: Final = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
)
_PCT_RE: Final = re.compile(r"%([0-9A-Fa-f]{2})?")
# WHATWG strips leading C0 controls and spaces and ignores tabs and newlines anywhere.
_SCHEME_RE: Final = re.compile(r"^[\x00-\x20]*([A-Za-z][A-Za-z0-9+.\-\t\n\r]*):")
_WWW_RE: Final = re.compile(r"^www\d*\.")
_MAX_URL_LEN: Final = 8192


def _pct(match: re.Match[str]) -> str:
    """Decode an escape of an unreserved byte; keep others, with upper-case hex digits; write a
    ``%`` that starts no escape as ``%25``."""
    digits = match.group(1)
    if digits is None:
        return "%25"
    code = int(digits, 16)
    if code in _UNRESERVED:
        return chr(code)
    return "%" + digits.upper()


def _is_tracking(name: str) -> bool:
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    """Drop tracking parameters and empty pairs from a query (without ``?``) whose escapes are
    already normalised, keeping order; the result carries its ``?`` or is empty."""
    kept = [pair for pair in query.split("&") if pair and not _is_tracking(pair.split("=", 1)[0])]
    return "?" + "&".join(kept) if kept else ""


def _usv(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (what a browser's USVString does)."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _ada_href(href: str, base: str | None) -> str | None:
    """WHATWG ``href`` of ``href`` parsed against ``base`` through ada's C API directly
    (the Python wrappers build a dict of every component per call: twice the cost).
    ``None`` on a parse failure; ``UnicodeError`` when a string is not valid UTF-8."""
    raw = href.encode()
    if base:
        raw_base = base.encode()
        obj = lib.ada_parse_with_base(raw, len(raw), raw_base, len(raw_base))
    else:
        obj = lib.ada_parse(raw, len(raw))
    try:
        if not lib.ada_is_valid(obj):
            return None
        out = lib.ada_get_href(obj)
        text: str = ffi.buffer(out.data, out.length)[:].decode() if out.length else ""
        return text
    finally:
        lib.ada_free(obj)


def canonicalize(href: str, base: str | None = None) -> str | None:
    """Return the canonical absolute http(s) URL for ``href`` resolved against ``base``.

    ``None`` when the href cannot be parsed (a WHATWG failure), the href or the result is longer
    than 8192 characters, or it resolves to a non-web scheme. ``base`` must be an absolute URL
    (the page URL or its ``<base href>``); it is parsed with the same rules, and when it is not
    a valid URL nothing resolves against it (``None``, as ``new URL(href, base)`` throws).
    Never raises on any ``str``.
    """
    if len(href) > _MAX_URL_LEN:
        return None
    try:
        text = _ada_href(href, base)
    except UnicodeError:
        # ada rejects strings that do not encode to UTF-8: retry once with lone surrogates
        # read as U+FFFD; anything else is a genuine parse failure.
        usv_href, usv_base = _usv(href), _usv(base) if base else base
        if usv_href == href and usv_base == base:
            return None
        return canonicalize(usv_href, usv_base)
    if text is None or not text.startswith(_WEB_SCHEMES):
        return None
    if "#" in text:
        text = text.split("#", 1)[0]
    if "%" in text or "?" in text:
        head, mark, search = text.partition("?")
        if "%" in head:
            head = _PCT_RE.sub(_pct, head)
        if mark:
            # Decode before matching names, so that ``utm%5Fsource`` is caught on the first pass.
            if "%" in search:
                search = _PCT_RE.sub(_pct, search)
            search = _clean_query(search)
        text = head + search
    if len(text) > _MAX_URL_LEN:
        return None
    return text


def is_non_web(href: str) -> bool:
    """True when the href names a non-web scheme (``javascript:``, ``mailto:``...), read as the
    WHATWG parser reads it: leading C0 controls and spaces are skipped and tabs and newlines
    inside the scheme are ignored, so they cannot hide a ``javascript:``."""
    match = _SCHEME_RE.match(href)
    if match is None:
        return False
    scheme = match.group(1)
    if "\t" in scheme or "\n" in scheme or "\r" in scheme:
        scheme = scheme.replace("\t", "").replace("\n", "").replace("\r", "")
    return scheme.lower() in NON_WEB_SCHEMES


def host_of(url: str) -> str:
    """Host of a canonical URL (lower-case, punycode, no port); ``""`` if it has none."""
    start = url.find("//")
    if start < 0:
        return ""
    rest = url[start + 2 :]
    end = len(rest)
    for sep in "/?#":
        pos = rest.find(sep)
        if 0 <= pos < end:
            end = pos
    authority = rest[:end].rsplit("@", 1)[-1]
    if authority.startswith("["):
        return authority[: authority.find("]") + 1]
    return authority.split(":", 1)[0]


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


_IPV4_RE: Final = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


@lru_cache(maxsize=1 << 18)
def registrable_domain(host: str) -> str:
    """The registrable domain (eTLD+1) of a host by the Public Suffix List, private section
    included (``foo.blogspot.com`` is its own domain), lower-cased, trailing dots removed.
    IP addresses, hosts that are public suffixes themselves and hosts the list cannot place
    (empty labels, as in ``a..example.com``; a host of dots only) are their own domain."""
    name = host.rstrip(".").lower()
    if not name:
        return host.lower()
    if name.startswith("[") or _IPV4_RE.match(name):
        return name
    domain = _psl().privatesuffix(name)
    return domain if domain else name


def domain_of(url: str) -> str:
    """Registrable domain of a canonical URL."""
    return registrable_domain(host_of(url))


def surt(url: str) -> str:
    """Sort-friendly URI Reordering Transform in the CDX style Common Crawl's index uses:
    scheme dropped, host reversed with commas and a leading ``www``/``wwwN`` removed, then
    ``)`` and the path and query (``https://www.example.com/a?b`` -> ``com,example)/a?b``)."""
    host = host_of(url)
    start = url.find("//")
    rest = url[start + 2 :] if start >= 0 else url
    slash = min((p for p in (rest.find("/"), rest.find("?")) if p >= 0), default=len(rest))
    path = rest[slash:] or "/"
    authority = rest[:slash].rsplit("@", 1)[-1]
    colon = authority.find(":", authority.find("]") + 1)
    port = authority[colon:] if colon >= 0 else ""
    key = host if host.startswith("[") else ",".join(reversed(_WWW_RE.sub("", host).split(".")))
    return f"{key}{port}){path}"


def stable_id(text: str) -> int:
    """xxh64 of the UTF-8 text as a signed 64-bit integer: the id of a URL, host or domain."""
    value: int = xxhash.xxh64_intdigest(text.encode("utf-8", "surrogatepass"))
    return value - (1 << 64) if value >= (1 << 63) else value


def url_id(url: str) -> int:
    """Stable id of a canonical URL (alias of :func:`stable_id`, named for readability)."""
    return stable_id(url)
