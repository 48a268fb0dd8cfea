"""Unlinked mentions: pages of other sites that name my brand or domain in their text but do
not link to any URL of my registrable domain — the easiest links to ask for.

Brand terms default to the domain (``velo-trails.com``), its label read as words
(``velo trails``) and run together (``velotrails``), and the site name in my home page's
title (the part of ``"... – Velo Trails"`` most like the domain label). Matching is case- and
accent-insensitive on whole words: a term must not touch a letter or digit on either side, and
the spaces or hyphens inside a term match any run of spaces or hyphens. The search runs in
DuckDB (RE2) over the lower-cased, accent-stripped latest text of every page; each hit is
matched again in Python on the original text to report the words as written and a snippet.
User-supplied terms are literal text: every regex metacharacter is escaped.

A page counts as *linking* when its latest fetch (or any later one) has a link, followed or
not, to any URL of my registrable domain; such a page is never reported.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from contextlib import closing
from typing import Any, Final

import pandas as pd

from backlinks import urls
from backlinks.analysis.backlinks import Mode, resolve_target
from backlinks.store.db import Store

__all__ = [
    "SNIPPET_CHARS", "brand_terms", "fold", "py_pattern", "re2_pattern", "site_name",
    "unlinked_mentions",
]  # fmt: skip

#: Characters of context on each side of a mention in its snippet.
SNIPPET_CHARS: Final = 80
#: Shortest brand term searched (shorter ones match everywhere).
MIN_TERM: Final = 3
#: How like the domain label a title part must be to be taken as the site name (0-1).
NAME_SIMILARITY: Final = 0.6
_SEPARATORS: Final = re.compile(r"\s*[|–—·•»]\s*|\s+[-:]\s+|:\s+")
_GAP: Final = re.compile(r"[\s\-]+")

_HOME_TITLE: Final = """
    SELECT title FROM pages
    WHERE domain_id = ? AND status = 200 AND title IS NOT NULL AND title <> ''
      AND regexp_matches(url, '^https?://[^/]+/$')
    ORDER BY (host_id = ?) DESC, (host_id = ?) DESC, fetched_at DESC
    LIMIT 1
"""

_MENTIONS: Final = """
WITH latest AS (
    SELECT t.url_id, p.url, p.domain_id, p.fetched_at, t.text
    FROM page_text t JOIN pages p ON p.url_id = t.url_id AND p.snapshot_id = t.snapshot_id
    WHERE p.domain_id <> ?
    QUALIFY row_number() OVER (PARTITION BY t.url_id ORDER BY p.fetched_at DESC) = 1
)
SELECT x.url AS source_url, d.domain AS source_domain, m.rating, x.text
FROM latest x
LEFT JOIN domains d ON d.domain_id = x.domain_id
LEFT JOIN metrics m ON m.level = 'domain' AND m.snapshot_id IS NULL AND m.node_id = x.domain_id
WHERE regexp_matches(strip_accents(lower(x.text)), ?)
  AND NOT EXISTS (SELECT 1 FROM links l WHERE l.src_url_id = x.url_id
                  AND l.dst_domain_id = ? AND l.seen_at >= x.fetched_at)
ORDER BY m.rating DESC NULLS LAST, x.url
"""


def fold(text: str) -> str:
    """Lower case without accents: NFD with combining marks dropped (as DuckDB's
    ``strip_accents(lower(...))``)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and, for each of its characters, the index of the original character."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        piece = fold(ch)
        out.append(piece)
        where.extend([i] * len(piece))
    return "".join(out), where


def _compact(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalnum())


def site_name(title: str | None, label: str) -> str | None:
    """The part of a home page title that names the site: of the parts between separators
    (``|``, ``–``, ``—``, ``·``, `` - ``, ``:``...), the one most like the domain label, if it
    is like enough (:data:`NAME_SIMILARITY`)."""
    if not title:
        return None
    parts = [p.strip() for p in _SEPARATORS.split(title) if p.strip()]
    want = _compact(label)
    scored = [(difflib.SequenceMatcher(None, _compact(p), want).ratio(), -len(p), p) for p in parts]
    if not scored:
        return None
    score, _, best = max(scored)
    return best if score >= NAME_SIMILARITY else None


def _unicode_domain(domain: str) -> str:
    """An internationalised domain as people write it (``xn--grtnerei-...`` becomes
    ``gärtnerei-...``)."""
    try:
        return domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain


def brand_terms(store: Store, target: str, *, mode: Mode = "auto") -> list[str]:
    """The default brand terms of a target (see the module docstring)."""
    resolved = resolve_target(target, mode)
    host = resolved.value if resolved.mode in ("host", "domain") else urls.host_of(resolved.value)
    domain = urls.registrable_domain(host)
    shown = _unicode_domain(domain)
    label = shown.split(".", 1)[0]
    terms = [domain, shown, re.sub(r"[\-_]+", " ", label), re.sub(r"[\-_]+", "", label)]
    row = store.con.execute(
        _HOME_TITLE,
        [urls.stable_id(domain), urls.stable_id(host), urls.stable_id(f"www.{domain}")],
    ).fetchone()
    name = site_name(str(row[0]), label) if row else None
    if name:
        terms.append(name)
    return terms


def _dedupe(terms: list[str]) -> list[str]:
    """Terms folded, whitespace-normalised, long enough, each once (longest first, so an
    alternation reports the longest match)."""
    seen: dict[str, None] = {}
    for term in terms:
        key = " ".join(_GAP.sub(" ", fold(term)).split())
        if len(key) >= MIN_TERM:
            seen[key] = None
    return sorted(seen, key=lambda t: (-len(t), t))


def _re2_literal(text: str) -> str:
    """A literal for RE2: letters and digits as they are, everything else as ``\\x{..}``."""
    return "".join(c if c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


def re2_pattern(terms: list[str]) -> str:
    """The DuckDB ``regexp_matches`` pattern of folded terms (whole words, see the module
    docstring)."""
    alts = "|".join(r"[\s\-]+".join(_re2_literal(w) for w in t.split(" ")) for t in terms)
    return rf"(?:^|[^\pL\pN])(?:{alts})(?:[^\pL\pN]|$)"


def py_pattern(terms: list[str]) -> re.Pattern[str]:
    """The same pattern for Python's ``re``, matched against folded text."""
    alts = "|".join(r"[\s\-]+".join(re.escape(w) for w in t.split(" ")) for t in terms)
    return re.compile(rf"(?<![^\W_])(?:{alts})(?![^\W_])")


def _snippet(text: str, start: int, end: int) -> str:
    lo, hi = max(0, start - SNIPPET_CHARS), min(len(text), end + SNIPPET_CHARS)
    body = " ".join(text[lo:hi].split())
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")


def _hits(batch: list[Any], pattern: re.Pattern[str], most: int | None) -> list[dict[str, Any]]:
    """The rows of a batch whose text really mentions a term (see the module docstring)."""
    out: list[dict[str, Any]] = []
    for source_url, source_domain, rating, raw in batch:
        text = str(raw)
        folded, where = _folded_with_offsets(text)
        hit = pattern.search(folded)
        if hit is None:  # RE2 and Python disagree on an exotic character: skip it
            continue
        start, end = where[hit.start()], where[hit.end() - 1] + 1
        out.append(
            {
                "source_url": source_url,
                "source_domain": source_domain,
                "rating": rating,
                "mention": " ".join(text[start:end].split()),
                "snippet": _snippet(text, start, end),
            }
        )
        if most is not None and len(out) >= most:
            break
    return out


def unlinked_mentions(
    store: Store,
    target: str,
    *,
    brand: list[str] | None = None,
    mode: Mode = "auto",
    limit: int | None = 100,
) -> pd.DataFrame:
    """Pages of other domains that mention the brand without linking to my domain:
    ``source_url``, ``source_domain``, ``rating``, ``mention`` (the words as written),
    ``snippet`` (one line, :data:`SNIPPET_CHARS` either side). Best-rated domains first."""
    resolved = resolve_target(target, mode)
    host = resolved.value if resolved.mode in ("host", "domain") else urls.host_of(resolved.value)
    own = urls.stable_id(urls.registrable_domain(host))
    terms = _dedupe(brand if brand else brand_terms(store, target, mode=mode))
    cols = ["source_url", "source_domain", "rating", "mention", "snippet"]
    if not terms:
        raise ValueError(f"no brand term of at least {MIN_TERM} characters to search for")
    pattern = py_pattern(terms)
    rows: list[dict[str, Any]] = []
    with closing(store.con.cursor()) as cursor:  # its own cursor: stopping early is fine
        cursor.execute(_MENTIONS, [own, re2_pattern(terms), own])
        while limit is None or len(rows) < limit:
            batch = cursor.fetchmany(256)
            if not batch:
                break
            rows += _hits(batch, pattern, None if limit is None else limit - len(rows))
    return pd.DataFrame(rows, columns=cols)
