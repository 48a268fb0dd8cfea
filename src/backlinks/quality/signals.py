"""The evidence about each backlink of a target, read from the store in a few SQL passes.

One row per distinct backlink (source page, target URL, anchor, flags, section), with what a
toxic-link judgement needs to know about it: the source page's count of external links, how
many of the source site's pages carry a link to the target (sitewide links), whether the
source page's text says it is sponsored, the target page's title (for anchor classes), and
the snapshot the link first appeared in (for link velocity). Pure SQL over the store; the
judgement itself is in :mod:`backlinks.quality.toxic`.
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from backlinks import urls
from backlinks.analysis.backlinks import Target
from backlinks.store.db import Store

__all__ = ["PAID_MARKERS", "backlink_evidence", "new_links_by_snapshot"]

#: Phrases by which a page says it was paid for (lower case; matched in the page text).
PAID_MARKERS: Final = (
    "sponsored post",
    "sponsored article",
    "sponsored content",
    "paid post",
    "advertorial",
    "in partnership with",
    "in collaboration with",
    "guest post",
    "partner content",
    "this post is sponsored",
    "sponsored by",
    "contenu sponsorisé",
    "article sponsorisé",
    "gesponserter beitrag",
    "anzeige",
    "werbung",
)


def _pattern() -> str:
    return "(" + "|".join(m.replace(" ", r"\s+") for m in PAID_MARKERS) + ")"


def backlink_evidence(store: Store, target: Target) -> pd.DataFrame:
    """Every external backlink of ``target`` with its evidence columns (see the module
    docstring). Empty frame (same columns) when the target has no backlinks."""
    cond, params = target.where
    host = target.value if target.mode in ("host", "domain") else urls.host_of(target.value)
    own = urls.stable_id(urls.registrable_domain(host))
    sql = f"""
        WITH snaps AS (
            SELECT snapshot_id, row_number() OVER (ORDER BY started_at NULLS LAST,
                   snapshot_id) AS snap_no
            FROM snapshots
        ), bl AS (
            SELECT l.src_url_id, any_value(l.src_url) AS source_url, l.src_host_id,
                   l.src_domain_id, l.dst_url_id, any_value(l.dst_url) AS target_url,
                   l.dst_domain_id, coalesce(l.anchor, '') AS anchor, l.nofollow, l.ugc,
                   l.sponsored, l.is_image, coalesce(l.section, 'content') AS section,
                   min(l.position) AS position, min(l.seen_at) AS first_seen,
                   max(l.seen_at) AS last_seen, min(s.snap_no) AS first_snap,
                   max(s.snap_no) AS last_snap
            FROM links l LEFT JOIN snaps s USING (snapshot_id)
            WHERE {cond} AND l.src_domain_id <> ?
            GROUP BY l.src_url_id, l.src_host_id, l.src_domain_id, l.dst_url_id,
                     l.dst_domain_id, l.anchor, l.nofollow, l.ugc, l.sponsored, l.is_image,
                     l.section
        ), src_pages AS (
            SELECT DISTINCT src_url_id, src_host_id FROM bl
        ), ext AS (
            SELECT l.src_url_id, count(DISTINCT l.dst_url_id) AS page_external_links
            FROM links l JOIN src_pages p USING (src_url_id)
            WHERE l.dst_domain_id <> l.src_domain_id
            GROUP BY 1
        ), site AS (
            SELECT pg.host_id AS src_host_id, count(DISTINCT pg.url_id) AS site_pages
            FROM pages pg WHERE pg.host_id IN (SELECT src_host_id FROM src_pages)
              AND pg.status = 200
            GROUP BY 1
        ), linking AS (
            SELECT src_host_id, count(DISTINCT src_url_id) AS site_pages_linking
            FROM bl GROUP BY 1
        ), paid AS (
            SELECT t.url_id AS src_url_id,
                   any_value(regexp_extract(lower(t.text), ?, 1)) AS paid_marker
            FROM page_text t JOIN src_pages p ON p.src_url_id = t.url_id
            WHERE regexp_matches(lower(t.text), ?)
            GROUP BY 1
        ), titles AS (
            SELECT url_id AS dst_url_id, any_value(title) AS target_title FROM pages
            WHERE url_id IN (SELECT DISTINCT dst_url_id FROM bl) GROUP BY 1
        )
        SELECT bl.source_url, h.host AS source_host, d.domain AS source_domain,
               bl.target_url, bl.anchor, bl.nofollow, bl.ugc, bl.sponsored, bl.is_image,
               bl.section, bl.position, bl.first_seen, bl.last_seen, bl.first_snap,
               bl.last_snap, coalesce(ext.page_external_links, 0) AS page_external_links,
               coalesce(site.site_pages, 0) AS site_pages,
               coalesce(linking.site_pages_linking, 0) AS site_pages_linking,
               paid.paid_marker, titles.target_title,
               bl.src_url_id, bl.src_host_id, bl.src_domain_id, bl.dst_url_id
        FROM bl
        LEFT JOIN hosts h ON h.host_id = bl.src_host_id
        LEFT JOIN domains d ON d.domain_id = bl.src_domain_id
        LEFT JOIN ext USING (src_url_id)
        LEFT JOIN site USING (src_host_id)
        LEFT JOIN linking USING (src_host_id)
        LEFT JOIN paid USING (src_url_id)
        LEFT JOIN titles USING (dst_url_id)
        ORDER BY source_domain, source_url, target_url, position, anchor
    """
    pattern = _pattern()
    args: list[Any] = [*params, own, pattern, pattern]
    df: pd.DataFrame = store.query(sql, args)
    return df


def new_links_by_snapshot(evidence: pd.DataFrame) -> pd.DataFrame:
    """Per referring domain and snapshot number: links to the target first seen in that
    snapshot (``new``) and links it had in the snapshot before (``before``)."""
    if evidence.empty:
        return pd.DataFrame(columns=["src_domain_id", "snap", "new", "before"])
    distinct = evidence.drop_duplicates(["src_url_id", "dst_url_id"])
    new = (
        distinct.groupby(["src_domain_id", "first_snap"]).size().rename("new").reset_index()
    ).rename(columns={"first_snap": "snap"})
    pairs = new[["src_domain_id", "snap"]].merge(
        distinct[["src_domain_id", "first_snap", "last_snap"]], on="src_domain_id"
    )
    alive = pairs[(pairs.first_snap < pairs.snap) & (pairs.last_snap >= pairs.snap - 1)]
    before = alive.groupby(["src_domain_id", "snap"]).size().rename("before")
    out = new.merge(before.reset_index(), on=["src_domain_id", "snap"], how="left")
    out["before"] = out["before"].fillna(0).astype("int64")
    return out
