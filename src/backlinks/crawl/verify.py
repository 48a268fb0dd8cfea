"""Live-link verification: re-fetch the known referring pages of a target and say, for each
backlink, whether it is still there, and if not why.

The re-fetch is a crawl of just those pages (depth 0, no redirects followed) through the same
polite machinery — robots.txt, per-host delays, address safety, WARC output — so it is a new
snapshot in the index and its result feeds ``link_history``:

``live`` · ``removed`` (page fetched, link gone) · ``now_nofollow`` · ``page_gone`` (404/410)
· ``redirected`` · ``blocked_robots`` · ``unreachable`` (network error, timeout, 5xx...).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from backlinks.analysis.backlinks import resolve_target
from backlinks.crawl.config import CrawlConfig
from backlinks.crawl.crawler import Crawler, CrawlProgress
from backlinks.store.db import Store

_STATUS_SQL = """
WITH known AS (
    SELECT src_url_id, any_value(src_url) AS source_url, dst_url_id,
           any_value(dst_url) AS target_url,
           bool_or(NOT (nofollow OR ugc OR sponsored)) AS was_followed,
           min(seen_at) AS first_seen, max(seen_at) AS last_seen_before
    FROM links l WHERE {cond} AND snapshot_id <> ? AND src_domain_id <> ?
    GROUP BY src_url_id, dst_url_id
), fetched AS (
    SELECT url_id, state, reason FROM frontier WHERE snapshot_id = ?
), page AS (
    SELECT url_id, any_value(status) AS status, any_value(redirect_to) AS redirect_to,
           max(fetched_at) AS fetched_at
    FROM pages WHERE snapshot_id = ? GROUP BY url_id
), now_links AS (
    SELECT src_url_id, dst_url_id, bool_or(NOT (nofollow OR ugc OR sponsored)) AS followed
    FROM links WHERE snapshot_id = ? GROUP BY ALL
)
SELECT k.source_url, k.target_url, k.src_url_id, k.dst_url_id, k.first_seen,
       k.last_seen_before, p.fetched_at AS checked_at, p.status AS http_status,
       p.redirect_to, f.state, f.reason, n.followed, k.was_followed
FROM known k
LEFT JOIN fetched f ON f.url_id = k.src_url_id
LEFT JOIN page p ON p.url_id = k.src_url_id
LEFT JOIN now_links n ON n.src_url_id = k.src_url_id AND n.dst_url_id = k.dst_url_id
ORDER BY k.source_url, k.target_url
"""


def verdict(row: pd.Series) -> str:
    if row["state"] == "skipped" and row["reason"] == "robots_disallowed":
        return "blocked_robots"
    if row["state"] == "failed" or pd.isna(row["http_status"]):
        return "unreachable"
    status = int(row["http_status"])
    if status in (404, 410):
        return "page_gone"
    if 300 <= status < 400:
        return "redirected"
    if status >= 400:
        return "unreachable"
    if pd.isna(row["followed"]):
        return "removed"
    if not bool(row["followed"]) and bool(row["was_followed"]):
        return "now_nofollow"
    return "live"


async def verify(
    store: Store,
    target: str,
    cfg: CrawlConfig,
    *,
    limit: int | None = None,
    progress: CrawlProgress | None = None,
) -> pd.DataFrame:
    """Re-fetch every page known to link to ``target`` and classify each backlink."""
    resolved = resolve_target(target)
    cond, params = resolved.where
    from backlinks import urls  # noqa: PLC0415

    host = resolved.value if resolved.mode in ("host", "domain") else urls.host_of(resolved.value)
    own_domain = urls.stable_id(urls.registrable_domain(host))
    sources = [
        str(r[0])
        for r in store.con.execute(
            f"SELECT DISTINCT src_url FROM links l WHERE {cond} AND src_domain_id <> ? "
            "ORDER BY 1" + (" LIMIT ?" if limit else ""),
            [*params, own_domain] + ([limit] if limit else []),
        ).fetchall()
    ]
    if not sources:
        return pd.DataFrame(columns=["source_url", "target_url", "status"])
    vcfg = replace(
        cfg,
        max_depth=0,
        max_pages=len(sources),
        max_redirects=0,
        sitemaps=False,
        scope="domains",
        allowed_domains=tuple({urls.registrable_domain(urls.host_of(s)) for s in sources}),
    )
    crawler = Crawler.start(store, sources, vcfg)
    await crawler.run(progress)
    snap = crawler.report.snapshot_id
    df: pd.DataFrame = store.query(
        _STATUS_SQL.format(cond=cond),
        [*params, snap, own_domain, snap, snap, snap],
    )
    df["status"] = df.apply(verdict, axis=1) if len(df) else []
    _record_history(store, df)
    cols = [
        "source_url",
        "target_url",
        "status",
        "http_status",
        "redirect_to",
        "reason",
        "first_seen",
        "last_seen_before",
        "checked_at",
    ]
    return df[cols].rename(columns={"reason": "detail"})


def _record_history(store: Store, df: pd.DataFrame) -> None:
    """Upsert link_history: first/last seen, and why a link is lost (NULL while live)."""
    if df.empty:
        return
    rows = pd.DataFrame(
        {
            "src_url_id": df["src_url_id"],
            "dst_url_id": df["dst_url_id"],
            "first_seen": df["first_seen"],
            "last_seen": df["checked_at"].where(df["status"] == "live", df["last_seen_before"]),
            "lost_reason": df["status"].where(df["status"] != "live", None),
        }
    )
    with store.transaction() as con:
        con.register("_verify_rows", rows)
        con.execute(
            "DELETE FROM link_history WHERE (src_url_id, dst_url_id) IN "
            "(SELECT (src_url_id, dst_url_id) FROM _verify_rows)"
        )
        con.execute(
            "INSERT INTO link_history SELECT src_url_id, dst_url_id, first_seen, "
            "last_seen, lost_reason FROM _verify_rows"
        )
        con.unregister("_verify_rows")
