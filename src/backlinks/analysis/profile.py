"""A target's backlink profile: summary counts, authority, anchors, referring domains, best
pages, TLDs, sections, velocity and the rating spread of its referring domains.

Counting unit: a *backlink* is a distinct link as :func:`backlinks.analysis.backlinks.
backlinks` lists it — (source page, target URL, anchor, rel flags, image, section) — over
every snapshot; internal links (same registrable domain) never count. The target's rows are
copied once into a temp table (one filtered scan of ``links``, on ``dst_url_id``,
``dst_host_id`` or ``dst_domain_id``, see :func:`~backlinks.analysis.history.external_links`)
and every section is a small query over that copy; URL strings are read only for the pages
shown or classified, by row id. Anchors: :mod:`backlinks.analysis.anchor_profile`.

With an :class:`~backlinks.graph.build.Exclusion` (a disavow file), links from the excluded
pages and hosts leave every count (``disavowed_links`` says how many) and ratings and
PageRank come from ranking the graph without them, as if the file had been applied.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from backlinks import urls
from backlinks.analysis.anchor_profile import anchor_tables, page_urls
from backlinks.analysis.backlinks import Mode, Target, resolve_target
from backlinks.analysis.history import external_links, flow, link_snapshots, target_domain
from backlinks.graph.build import Exclusion, Level, build_graph
from backlinks.rank.pagerank import pagerank
from backlinks.rank.rating import rating
from backlinks.store.db import Store

__all__ = ["BUCKETS", "Profile", "anchor_sections", "profile"]

#: Rating buckets of ``rating_distribution`` (domains without a rating: ``unranked``).
BUCKETS: Final = (*(f"{b}-{b + 9}" for b in range(0, 90, 10)), "90-100")
_KEY: Final = (
    "src_url_id, src_host_id, src_domain_id, dst_url_id, anchor, nofollow, ugc, sponsored, "
    "is_image, section"
)
_LEVEL_OF: Final[dict[str, Level]] = {"url": "page", "host": "host", "domain": "domain",
                                      "prefix": "domain"}  # fmt: skip


@dataclass(slots=True)
class Profile:
    """A target's backlink profile (see the module docstring for the counting unit)."""

    target: str
    mode: str
    summary: dict[str, Any]
    anchors: pd.DataFrame
    top_anchors: pd.DataFrame
    top_domains: pd.DataFrame
    best_pages: pd.DataFrame
    tlds: pd.DataFrame
    sections: pd.DataFrame
    velocity: pd.DataFrame
    rating_distribution: pd.DataFrame


#: The frames of a :class:`Profile`, in report order.
SECTIONS: Final = (
    "anchors", "top_anchors", "top_domains", "best_pages", "tlds", "sections", "velocity",
    "rating_distribution",
)  # fmt: skip


def profile(
    store: Store,
    target: str,
    *,
    mode: Mode = "auto",
    exclude: Exclusion | None = None,
    limit: int = 20,
) -> Profile:
    """The backlink profile of ``target`` (URL, prefix, host or domain). ``limit`` caps the
    ranked lists (top anchors, top domains, best pages; 0: no cap); ``exclude`` answers as
    if those links were disavowed."""
    resolved = resolve_target(target, mode)
    domain = target_domain(resolved)
    cap = limit if limit > 0 else None
    snaps = link_snapshots(store)
    authority = _authority(store, resolved, exclude)
    with closing(store.con.cursor()) as cur:
        cur.execute("BEGIN TRANSACTION")  # row ids kept in _scope are read back later
        disavowed = _scope(cur, resolved, exclude)
        if authority.table is not None:
            cur.register("_pf_rate", authority.table)
        rates = (
            "_pf_rate"
            if authority.table is not None
            else "(SELECT node_id, rating FROM metrics WHERE level = 'domain' "
            "AND snapshot_id IS NULL)"
        )
        summary = _summary(cur)
        summary = {
            "rating": authority.rating,
            "pagerank": authority.pagerank,
            **summary,
            "disavowed_links": disavowed,
        }
        anchors, top_anchors = anchor_tables(cur, store, domain, "_pf_links", cap)
        top_domains, tlds, spread = _domains(cur, rates, cap)
        velocity = _velocity(cur, snaps)
        best = _best_pages(cur, cap)
        sections = cur.execute(
            "SELECT coalesce(section, 'unknown') AS section, count(*) AS links, "
            "count(*) / sum(count(*)) OVER () AS share FROM _pf_links GROUP BY 1 "
            "ORDER BY links DESC, section"
        ).df()
        cur.execute("COMMIT")
    return Profile(
        target=resolved.value,
        mode=resolved.mode,
        summary=summary,
        anchors=anchors,
        top_anchors=top_anchors,
        top_domains=top_domains,
        best_pages=best,
        tlds=tlds,
        sections=sections,
        velocity=velocity,
        rating_distribution=spread,
    )


def anchor_sections(
    store: Store, target: str, *, mode: Mode = "auto", limit: int = 20
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Just the anchor-class profile and the top anchors of :func:`profile`."""
    resolved = resolve_target(target, mode)
    with closing(store.con.cursor()) as cur:
        cur.execute("BEGIN TRANSACTION")
        _scope(cur, resolved, None)
        cap = limit if limit > 0 else None
        out = anchor_tables(cur, store, target_domain(resolved), "_pf_links", cap)
        cur.execute("COMMIT")
    return out


@dataclass(frozen=True, slots=True)
class _Authority:
    rating: float | None
    pagerank: float | None
    table: pa.Table | None  # every domain's rating when ranked here (with an exclusion)


def _authority(store: Store, resolved: Target, exclude: Exclusion | None) -> _Authority:
    """The target domain's rating and the target node's PageRank at its level: from the
    ``metrics`` table, or by ranking the graph without the excluded links."""
    level = _LEVEL_OF[resolved.mode]
    domain_id = urls.stable_id(target_domain(resolved))
    node = domain_id if level == "domain" else urls.stable_id(resolved.value)
    if exclude is None:
        row = store.con.execute(
            "SELECT max(rating) FILTER (WHERE level = 'domain' AND node_id = ?), "
            "max(pagerank) FILTER (WHERE level = ? AND node_id = ?) FROM metrics "
            "WHERE snapshot_id IS NULL AND level IN ('domain', ?) AND node_id IN (?, ?)",
            [domain_id, level, node, level, domain_id, node],
        ).fetchall()[0]  # an aggregate without GROUP BY: always one row
        rate, pr = row[0], row[1]
        return _Authority(
            None if rate is None else round(float(rate), 1),
            None if pr is None else float(pr),
            None,
        )
    g = build_graph(store, "domain", exclude=exclude)
    scores = pagerank(g).scores
    rates = np.round(rating(scores, g.in_degree()), 1)
    table = pa.table({"node_id": pa.array(g.ids, pa.int64()), "rating": rates})
    pos = int(np.searchsorted(g.ids, domain_id)) if g.n else 0
    found = g.n > 0 and pos < g.n and int(g.ids[pos]) == domain_id
    rate = float(rates[pos]) if found else None
    if level != "domain":
        g = build_graph(store, level, exclude=exclude)
        scores = pagerank(g).scores
    pos = int(np.searchsorted(g.ids, node)) if g.n else 0
    pr = float(scores[pos]) if g.n > 0 and pos < g.n and int(g.ids[pos]) == node else None
    return _Authority(rate, pr, table)


def _scope(cur: duckdb.DuckDBPyConnection, resolved: Target, exclude: Exclusion | None) -> int:
    """Copy the target's external backlink rows into ``_pf_raw`` on ``cur`` (with ``link``, a
    64-bit hash of the distinct-link fields, for per-snapshot counts), drop the excluded
    ones, and group the rest into ``_pf_links`` (one row per distinct link, by the fields
    themselves); returns how many distinct links were excluded."""
    cond, params = external_links(resolved)
    cur.execute(
        f"CREATE TEMP TABLE _pf_raw AS SELECT hash({_KEY}) AS link, {_KEY}, l.snapshot_id, "
        f"l.seen_at, l.rowid AS rid FROM links l WHERE {cond}",
        params,
    )
    disavowed = 0
    if exclude is not None and (exclude.url_ids or exclude.host_ids):
        for name, ids in (("_pf_ex_urls", exclude.url_ids), ("_pf_ex_hosts", exclude.host_ids)):
            cur.register(name, pa.table({"id": pa.array(sorted(ids), pa.int64())}))
        hit = (
            "src_url_id IN (SELECT id FROM _pf_ex_urls) "
            "OR src_host_id IN (SELECT id FROM _pf_ex_hosts)"
        )
        row = cur.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT {_KEY} FROM _pf_raw WHERE {hit})"
        ).fetchall()[0]
        disavowed = int(row[0])
        cur.execute(f"DELETE FROM _pf_raw WHERE {hit}")
    cur.execute(
        f"CREATE TEMP TABLE _pf_links AS SELECT {_KEY}, min(rid) AS rid, "
        "NOT (nofollow OR ugc OR sponsored) AS followed, min(seen_at) AS first_seen, "
        f"max(seen_at) AS last_seen FROM _pf_raw GROUP BY {_KEY}"
    )
    return disavowed


def _summary(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    row = cur.execute(
        "SELECT count(*), count(DISTINCT src_url_id), count(DISTINCT src_domain_id), "
        "count(DISTINCT src_host_id), count(*) FILTER (WHERE followed), "
        "count(DISTINCT src_domain_id) FILTER (WHERE followed), min(first_seen), "
        "max(last_seen), (SELECT count(DISTINCT snapshot_id) FROM _pf_raw) FROM _pf_links"
    ).fetchall()[0]  # an aggregate without GROUP BY: always one row
    total, followed = int(row[0]), int(row[4])
    return {
        "backlinks": total,
        "referring_pages": int(row[1]),
        "referring_domains": int(row[2]),
        "referring_hosts": int(row[3]),
        "followed_backlinks": followed,
        "followed_share": round(followed / total, 4) if total else 0.0,
        "followed_domains": int(row[5]),
        "first_seen": row[6],
        "last_seen": row[7],
        "snapshots": int(row[8]),
    }


def _best_pages(cur: duckdb.DuckDBPyConnection, limit: int | None) -> pd.DataFrame:
    """The target's pages by referring domains, then links."""
    df = cur.execute(
        "SELECT dst_url_id, count(DISTINCT src_domain_id) AS referring_domains, "
        "count(*) AS links, count(*) FILTER (WHERE followed) AS followed_links "
        "FROM _pf_links GROUP BY dst_url_id "
        "ORDER BY referring_domains DESC, links DESC, dst_url_id LIMIT ?",
        [limit],
    ).df()
    url_of = page_urls(cur, "_pf_links", [int(i) for i in df.dst_url_id])
    df.insert(0, "target_url", [url_of[int(i)] for i in df.dst_url_id])
    return df.drop(columns=["dst_url_id"])


def _domains(
    cur: duckdb.DuckDBPyConnection, rates: str, limit: int | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Top referring domains, their TLDs (the registrable domain less its first label,
    i.e. the public suffix) and the spread of their ratings."""
    cur.execute(
        f"""
        CREATE TEMP TABLE _pf_doms AS
        SELECT l.src_domain_id, coalesce(d.domain, l.src_domain_id::VARCHAR) AS domain,
               round(any_value(r.rating), 1) AS rating, count(*) AS links,
               count(*) FILTER (WHERE l.followed) AS followed_links,
               min(l.first_seen) AS first_seen
        FROM _pf_links l LEFT JOIN domains d ON d.domain_id = l.src_domain_id
        LEFT JOIN {rates} r ON r.node_id = l.src_domain_id
        GROUP BY l.src_domain_id, d.domain
        """
    )
    top = cur.execute(
        "SELECT domain, rating, links, followed_links, first_seen FROM _pf_doms "
        "ORDER BY rating DESC NULLS LAST, links DESC, domain LIMIT ?",
        [limit],
    ).df()
    tlds = cur.execute(
        """
        SELECT CASE WHEN regexp_matches(domain, '^[0-9.]+$') OR domain LIKE '[%'
                    THEN '(ip address)'
                    WHEN strpos(domain, '.') = 0 THEN domain
                    ELSE substr(domain, strpos(domain, '.') + 1) END AS tld,
               count(*) AS referring_domains,
               count(*) / sum(count(*)) OVER () AS share
        FROM _pf_doms GROUP BY 1 ORDER BY referring_domains DESC, tld
        """
    ).df()
    counts = dict(
        cur.execute(
            "SELECT CASE WHEN rating IS NULL THEN 'unranked' WHEN rating >= 90 THEN '90-100' "
            "ELSE (floor(rating / 10) * 10)::INTEGER || '-' || "
            "(floor(rating / 10) * 10 + 9)::INTEGER END, count(*) FROM _pf_doms GROUP BY 1"
        ).fetchall()
    )
    buckets = list(BUCKETS) + (["unranked"] if counts.get("unranked") else [])
    spread = pd.DataFrame(
        {
            "bucket": buckets,
            "referring_domains": pd.Series([int(counts.get(b, 0)) for b in buckets], dtype="int64"),
        }
    )
    return top, tlds, spread


def _velocity(cur: duckdb.DuckDBPyConnection, snaps: pd.DataFrame) -> pd.DataFrame:
    """Per snapshot holding links: referring domains, new and lost since the previous one
    (:func:`backlinks.analysis.history.flow`) and the distinct links seen in it (counted
    by their 64-bit hash: at a million links the odds of one collision are about 3e-8)."""
    domains = flow(cur, "_pf_raw", ["src_domain_id"], snaps)
    per = dict(
        cur.execute("SELECT snapshot_id, count(DISTINCT link) FROM _pf_raw GROUP BY 1").fetchall()
    )
    out = domains.rename(
        columns={"present": "referring_domains", "new": "new_domains", "lost": "lost_domains"}
    )
    out["links"] = pd.Series([int(per.get(int(s), 0)) for s in out.snapshot_id], dtype="int64")
    return out
