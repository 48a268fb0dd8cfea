"""Live re-checks of won outreach links: each won prospect's source page is fetched again
(depth 0, through the crawler and its guarded HTTP client, as ``backlinks verify`` does) and
flagged ``live``, ``lost`` (removed, page gone, redirected, now nofollow) or ``unknown``
(robots-blocked or unreachable); the verdict is stored on the prospect's row."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Final

import pandas as pd

from backlinks import urls
from backlinks.analysis.backlinks import resolve_target
from backlinks.analysis.outreach import (
    _CHECK_COLUMNS,
    LOST_VERDICTS,
    _now,
    ensure_columns,
    list_prospects,
)
from backlinks.crawl.config import CrawlConfig
from backlinks.crawl.crawler import Crawler, CrawlProgress
from backlinks.crawl.verify import verdict as verify_verdict
from backlinks.store.db import Store

__all__ = ["check", "check_async"]

_CHECK_SQL: Final = """
SELECT w.prospect_id, w.target, w.source_url, f.state, f.reason, p.status AS http_status,
       p.redirect_to, p.fetched_at AS checked_at, n.followed, w.was_followed
FROM _won w
LEFT JOIN (SELECT url_id, state, reason FROM frontier WHERE snapshot_id = ?) f
       ON f.url_id = w.src_url_id
LEFT JOIN (SELECT url_id, any_value(status) AS status, any_value(redirect_to) AS redirect_to,
                  max(fetched_at) AS fetched_at
           FROM pages WHERE snapshot_id = ? GROUP BY url_id) p ON p.url_id = w.src_url_id
LEFT JOIN (SELECT l.src_url_id, bool_or(NOT (l.nofollow OR l.ugc OR l.sponsored)) AS followed
           FROM links l WHERE l.snapshot_id = ? AND {cond} GROUP BY l.src_url_id) n
       ON n.src_url_id = w.src_url_id
ORDER BY w.source_url
"""


async def check_async(
    store: Store,
    target: str | None = None,
    cfg: CrawlConfig | None = None,
    *,
    progress: CrawlProgress | None = None,
) -> pd.DataFrame:
    """Re-fetch the page of every ``won`` prospect (of ``target``, or all) as a verify crawl
    does — depth 0, no redirects followed, robots.txt and delays obeyed, a snapshot of its
    own — and flag each ``live``, ``lost`` or ``unknown`` with the verify verdict; the result
    is stored on the prospect's row."""
    ensure_columns(store)
    won = list_prospects(store, target, "won")
    if won.empty:
        return pd.DataFrame(columns=_CHECK_COLUMNS)
    won["src_url_id"] = [urls.stable_id(u) for u in won["source_url"]]
    won["was_followed"] = [f is True for f in won["followed"]]  # followed when last live
    sources = sorted(set(won["source_url"]))
    vcfg = replace(
        cfg or CrawlConfig(),
        max_depth=0,
        max_pages=len(sources),
        max_redirects=0,
        sitemaps=False,
        scope="domains",
        allowed_domains=tuple(sorted({urls.domain_of(s) for s in sources})),
    )
    crawler = Crawler.start(store, sources, vcfg)
    await crawler.run(progress)
    snap = crawler.report.snapshot_id
    parts = []
    for value, group in won.groupby("target", sort=True):
        cond, params = resolve_target(str(value)).where
        store.con.register(
            "_won", group[["prospect_id", "target", "source_url", "src_url_id", "was_followed"]]
        )
        try:
            parts.append(store.query(_CHECK_SQL.format(cond=cond), [snap, snap, snap, *params]))
        finally:
            store.con.unregister("_won")
    df = pd.concat(parts, ignore_index=True)
    df["verdict"] = [str(verify_verdict(row)) for _, row in df.iterrows()]
    df["flag"] = [
        "live" if v == "live" else "lost" if v in LOST_VERDICTS else "unknown"
        for v in df["verdict"]
    ]
    df["checked_at"] = df["checked_at"].fillna(_now())
    _store_checks(store, df)
    out: pd.DataFrame = df.rename(columns={"reason": "detail"})[_CHECK_COLUMNS]
    return out


def _store_checks(store: Store, df: pd.DataFrame) -> None:
    rows = pd.DataFrame(
        {
            "prospect_id": df["prospect_id"],
            "live": [True if f == "live" else False if f == "lost" else None for f in df["flag"]],
            "verdict": df["verdict"],
            "checked_at": df["checked_at"],
            "followed": [
                bool(f) if v == "live" and not pd.isna(f) else None
                for v, f in zip(df["verdict"], df["followed"], strict=True)
            ],
        }
    )
    with store.transaction() as con:
        con.register("_checks", rows)
        con.execute(
            "UPDATE outreach o SET live = c.live, verdict = c.verdict, "
            "checked_at = c.checked_at, followed = coalesce(c.followed, o.followed) "
            "FROM _checks c WHERE o.prospect_id = c.prospect_id"
        )
        con.unregister("_checks")


def check(
    store: Store,
    target: str | None = None,
    cfg: CrawlConfig | None = None,
    *,
    progress: CrawlProgress | None = None,
) -> pd.DataFrame:
    """:func:`check_async` run to completion (for callers outside an event loop)."""
    return asyncio.run(check_async(store, target, cfg, progress=progress))
