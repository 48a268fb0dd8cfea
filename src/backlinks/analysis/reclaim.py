"""Link reclamation: backlinks that land on my broken URLs, and lost links worth asking back.

*Broken*: a URL of the target whose latest fetch answers 404/410, or whose redirects (followed
through ``pages.redirect_to_url_id``, each hop at its latest fetch) take two hops or more,
loop, or end on a 4xx. Only *current* backlinks count: links from another domain in the
latest fetch of their source page (sources never fetched as pages, e.g. web-graph imports,
count with every link they have).

*Where to 301 it* (``redirect_to``): a chain that ends on a live page of mine is shortened to
that page. Otherwise the live pages of mine (latest fetch 200, indexable, canonical to
themselves) are scored by the token Jaccard similarity of the broken URL's path slugs plus
the anchors people used to link to it, against each page's path slugs plus title, plus
:data:`SECTION_BONUS` when both sit in the same first path segment (``/road/...``); ties go
to the higher page rating, then the shorter URL. With no overlap at all the suggestion is the
host's home page. Tokens are accent-folded, lower-case words of two or more characters, not
numbers (ids and years) and not :data:`STOPWORDS`.

*Lost worth asking*: links present in the second-to-last snapshot and absent from the last
one although their source page was fetched again (and answered below 500), plus links that
``backlinks verify`` recorded as lost in ``link_history``, from domains rated at least
``min_rating``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import pandas as pd

from backlinks import urls
from backlinks.analysis.backlinks import Mode, Target, resolve_target
from backlinks.analysis.mentions import fold
from backlinks.store.db import Store

__all__ = [
    "DEFAULT_MIN_RATING", "MAX_HOPS", "SECTION_BONUS", "STOPWORDS", "Diagnosis", "broken",
    "broken_links", "diagnose", "own_domain_id",
    "similarity", "tokens",
]  # fmt: skip

#: Lowest domain rating (0-100) of a lost link's source worth an e-mail.
DEFAULT_MIN_RATING: Final = 20.0
#: Redirect hops followed before a chain is called too long (and broken).
MAX_HOPS: Final = 10
#: Added to the similarity of a candidate page in the broken URL's section.
SECTION_BONUS: Final = 0.25
#: Words that say nothing about a page's subject (URL furniture, generic anchors).
_STOP_TEXT: Final = (
    "an and are as at by for from in is it of on or our the this to with your my we you "
    "www http https html htm php asp aspx jsp cgi index default amp utm here click read more "
    "link links page site website home post article view see"
)
STOPWORDS: Final = frozenset(_STOP_TEXT.split(" "))
_GONE: Final = (404, 410)
_WORD: Final = re.compile(r"[^\W_]+")

_LATEST_PAGE: Final = """
    SELECT url_id, url, status, redirect_to_url_id AS next_id, redirect_to AS next_url
    FROM pages WHERE url_id IN (SELECT unnest(?::BIGINT[]))
    QUALIFY row_number() OVER (PARTITION BY url_id ORDER BY fetched_at DESC, snapshot_id) = 1
"""

_CURRENT_LINKS: Final = """
    WITH latest AS (
        SELECT url_id, max(fetched_at) AS at FROM pages
        WHERE url_id IN (SELECT l.src_url_id FROM links l WHERE {cond})
        GROUP BY url_id
    )
    SELECT l.src_url AS source_url, l.src_url_id, d.domain AS source_domain,
           l.dst_url AS target_url, l.dst_url_id, arg_min(l.anchor, l.position) AS anchor,
           bool_or(NOT (l.nofollow OR l.ugc OR l.sponsored)) AS followed,
           any_value(dm.rating) AS domain_rating, any_value(pm.rating) AS page_rating
    FROM links l
    LEFT JOIN latest s ON s.url_id = l.src_url_id
    LEFT JOIN domains d ON d.domain_id = l.src_domain_id
    LEFT JOIN metrics dm ON dm.level = 'domain' AND dm.snapshot_id IS NULL
                        AND dm.node_id = l.src_domain_id
    LEFT JOIN metrics pm ON pm.level = 'page' AND pm.snapshot_id IS NULL
                        AND pm.node_id = l.src_url_id
    WHERE {cond} AND l.src_domain_id <> ? AND (s.at IS NULL OR l.seen_at >= s.at)
    GROUP BY l.src_url, l.src_url_id, d.domain, l.dst_url, l.dst_url_id
"""

_CANDIDATES: Final = """
    WITH latest AS (
        SELECT url, url_id, title, status, robots_noindex, canonical_url_id FROM pages
        WHERE {key} = ?
        QUALIFY row_number() OVER (PARTITION BY url_id ORDER BY fetched_at DESC,
                                                               snapshot_id) = 1
    )
    SELECT p.url, p.title, m.rating AS page_rating
    FROM latest p
    LEFT JOIN metrics m ON m.level = 'page' AND m.snapshot_id IS NULL AND m.node_id = p.url_id
    WHERE p.status = 200 AND NOT coalesce(p.robots_noindex, false)
      AND coalesce(p.canonical_url_id, p.url_id) = p.url_id
    ORDER BY p.url
"""


def own_domain_id(target: Target) -> int:
    """The stable id of the registrable domain a resolved target belongs to."""
    host = target.value if target.mode in ("host", "domain") else urls.host_of(target.value)
    return urls.stable_id(urls.registrable_domain(host))


def tokens(text: str | None) -> set[str]:
    """The subject words of a text, URL path or title (see the module docstring)."""
    if not text:
        return set()
    return {
        t
        for t in _WORD.findall(fold(text))
        if len(t) >= 2 and not t.isdigit() and t not in STOPWORDS
    }


def _path(url: str) -> str:
    return unquote(urlsplit(url).path)


def _section(url: str) -> str | None:
    """The first path segment of a URL nested at least two deep (``/road/x/`` -> ``road``)."""
    parts = [p for p in _path(url).split("/") if p]
    return parts[0].lower() if len(parts) >= 2 else None


@dataclass(frozen=True, slots=True)
class _Hop:
    url: str
    status: int
    next_id: int | None
    next_url: str | None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """What is wrong with a URL of mine: ``problem`` is ``gone`` (404/410), ``chain`` (two
    hops or more), ``loop``, ``redirect_to_4xx`` or ``None`` (fine, or not known)."""

    status: int
    problem: str | None
    hops: int
    chain: str | None
    final_url: str | None
    final_status: int | None


def _latest(store: Store, ids: list[int]) -> dict[int, _Hop]:
    if not ids:
        return {}
    rows = store.con.execute(_LATEST_PAGE, [ids]).fetchall()
    return {
        int(r[0]): _Hop(str(r[1]), int(r[2]), None if r[3] is None else int(r[3]), r[4])
        for r in rows
    }


def diagnose(store: Store, ids: list[int]) -> dict[int, Diagnosis]:
    """Follow each URL's redirects at their latest fetches and say what is wrong with it.
    URLs never fetched are left out; a hop never fetched ends its chain (status unknown)."""
    known: dict[int, _Hop] = {}
    pending = set(ids)
    for _ in range(MAX_HOPS + 1):  # one query per hop level, for every chain at once
        new = sorted(pending - known.keys())
        if not new:
            break
        known.update(_latest(store, new))
        pending = {
            h.next_id
            for i in new
            if (h := known.get(i)) is not None and 300 <= h.status < 400 and h.next_id is not None
        }
    out: dict[int, Diagnosis] = {}
    for start in ids:
        first = known.get(start)
        if first is None:
            continue
        out[start] = _walk(start, first, known)
    return out


def _walk(start: int, first: _Hop, known: dict[int, _Hop]) -> Diagnosis:
    if first.status in _GONE:
        return Diagnosis(first.status, "gone", 0, None, None, None)
    if not 300 <= first.status < 400:
        return Diagnosis(first.status, None, 0, None, first.url, first.status)
    seen, steps, hop, current = {start}, [f"{first.url} ({first.status})"], first, start
    problem: str | None = None
    while 300 <= hop.status < 400 and hop.next_id is not None:
        current = hop.next_id
        if current in seen:
            steps.append(f"{hop.next_url or current} (loop)")
            problem = "loop"
            break
        seen.add(current)
        nxt = known.get(current)
        if nxt is None:
            steps.append(f"{hop.next_url or current} (not fetched)")
            break
        hop = nxt
        steps.append(f"{hop.url} ({hop.status})")
        if len(steps) > MAX_HOPS + 1:
            problem = "chain"
            break
    hops = len(steps) - 1
    final = known.get(current) if problem != "loop" else None
    final_status = final.status if final is not None else None
    if problem is None and final_status is not None and 400 <= final_status < 500:
        problem = "redirect_to_4xx"
    elif problem is None and hops >= 2:
        problem = "chain"
    return Diagnosis(
        first.status,
        problem,
        hops,
        " → ".join(steps),
        final.url if final is not None else None,
        final_status,
    )


def _current_links(store: Store, target: Target) -> pd.DataFrame:
    cond, params = target.where
    sql = _CURRENT_LINKS.format(cond=cond)
    df: pd.DataFrame = store.query(sql, [*params, *params, own_domain_id(target)])
    return df


def broken_links(store: Store, target: str, *, mode: Mode = "auto") -> pd.DataFrame:
    """One row per current backlink (source page, target URL) whose target URL of mine is
    broken, with the source's ratings and the URL's diagnosis (``status``, ``problem``,
    ``hops``, ``chain``, ``final_url``, ``final_status``)."""
    resolved = resolve_target(target, mode)
    links = _current_links(store, resolved)
    found = diagnose(store, sorted({int(i) for i in links["dst_url_id"]}))
    bad = {i: d for i, d in found.items() if d.problem is not None}
    links = links[links["dst_url_id"].isin(list(bad))].reset_index(drop=True)
    for col in ("status", "problem", "hops", "chain", "final_url", "final_status"):
        links[col] = [getattr(bad[int(i)], col) for i in links["dst_url_id"]]
    return links.sort_values(["target_url", "source_url"], ignore_index=True)


def broken(
    store: Store, target: str, *, mode: Mode = "auto", limit: int | None = None
) -> pd.DataFrame:
    """Broken URLs of mine that still receive backlinks, most referring domains first:
    ``target_url``, ``status``, ``problem``, ``referring_domains``, ``links``, ``best_source``
    (the highest-rated linking page), ``redirect_to`` (the live page of mine that should
    receive a 301, see the module docstring), ``hops`` and ``chain`` (redirects only)."""
    resolved = resolve_target(target, mode)
    links = broken_links(store, target, mode=mode)
    cols = [
        "target_url",
        "status",
        "problem",
        "referring_domains",
        "links",
        "best_source",
        "redirect_to",
        "hops",
        "chain",
    ]
    if links.empty:
        return pd.DataFrame(columns=cols)
    rows: list[dict[str, Any]] = []
    candidates = _candidates(store, resolved)
    ranked = links.sort_values(
        ["page_rating", "domain_rating", "source_url"],
        ascending=[False, False, True],
        na_position="last",
    )
    for url, group in ranked.groupby("target_url", sort=False):
        first = group.iloc[0]
        rows.append(
            {
                "target_url": url,
                "status": int(first["status"]),
                "problem": first["problem"],
                "referring_domains": int(group["source_domain"].nunique()),
                "links": len(group),
                "best_source": first["source_url"],
                "redirect_to": _suggest(
                    str(url),
                    [str(a) for a in group["anchor"].dropna()],
                    first["final_url"] if first["final_status"] == 200 else None,
                    candidates,
                ),
                "hops": int(first["hops"]),
                "chain": first["chain"],
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values(
        ["referring_domains", "links", "target_url"], ascending=[False, False, True]
    ).reset_index(drop=True)
    return out.head(limit) if limit else out


@dataclass(frozen=True, slots=True)
class _Candidate:
    url: str
    words: set[str]
    section: str | None
    rating: float


def _candidates(store: Store, target: Target) -> list[_Candidate]:
    """Live pages of mine: latest fetch 200, indexable, canonical to themselves."""
    if target.mode == "domain":
        key, value = "domain_id", urls.stable_id(target.value)
    else:
        host = target.value if target.mode == "host" else urls.host_of(target.value)
        key, value = "host_id", urls.stable_id(host)
    sql = _CANDIDATES.format(key=key)
    rows = store.con.execute(sql, [value]).fetchall()
    return [
        _Candidate(
            str(u),
            tokens(_path(str(u))) | tokens(t),
            _section(str(u)),
            float(r) if r is not None else 0.0,
        )
        for u, t, r in rows
    ]


def similarity(broken_words: set[str], section: str | None, cand: _Candidate) -> float:
    """Token Jaccard similarity plus the same-section bonus (see the module docstring)."""
    union = broken_words | cand.words
    score = len(broken_words & cand.words) / len(union) if union else 0.0
    if section is not None and cand.section == section:
        score += SECTION_BONUS
    return score


def _suggest(
    url: str, anchors: list[str], chain_end: str | None, candidates: list[_Candidate]
) -> str | None:
    live = {c.url for c in candidates}
    if chain_end is not None and chain_end in live:
        return chain_end
    pool = [c for c in candidates if c.url != url]
    if not pool:
        return None
    words = tokens(_path(url)).union(*(tokens(a) for a in anchors))
    section = _section(url)
    best = max(
        pool,
        key=lambda c: (similarity(words, section, c), c.rating, -len(c.url), c.url),
    )
    if similarity(words, section, best) > 0:
        return best.url
    parts = urlsplit(url)
    home = urls.canonicalize(f"{parts.scheme}://{parts.netloc}/")
    if home in live:
        return home
    return max(pool, key=lambda c: (c.rating, -len(c.url), c.url)).url


# ---- lost links worth asking back ------------------------------------------------------------
