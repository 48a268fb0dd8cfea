"""Lost backlinks worth asking back: links present in the earlier of two snapshots and gone
in the later while their source page was fetched again, or recorded lost by ``verify`` in
``link_history``, from referring domains rated high enough to be worth the ask."""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from backlinks.analysis.backlinks import Mode, resolve_target
from backlinks.analysis.reclaim import DEFAULT_MIN_RATING, own_domain_id
from backlinks.store.db import Store

__all__ = ["last_two_snapshots", "lost_worth_asking"]

_LOST_REASONS: Final = ("removed", "now_nofollow", "page_gone", "redirected")

_LOST_SQL: Final = """
WITH old AS (
    SELECT l.src_url_id, l.dst_url_id, any_value(l.src_url) AS source_url,
           any_value(l.dst_url) AS target_url, arg_min(l.anchor, l.position) AS anchor,
           any_value(l.src_domain_id) AS src_domain_id, max(l.seen_at) AS last_seen
    FROM links l WHERE {cond} AND l.snapshot_id = ? AND l.src_domain_id <> ?
    GROUP BY l.src_url_id, l.dst_url_id
), refetched AS (
    SELECT url_id, status, fetched_at FROM pages WHERE snapshot_id = ?
    QUALIFY row_number() OVER (PARTITION BY url_id ORDER BY fetched_at DESC) = 1
), diff AS (
    SELECT o.src_url_id, o.dst_url_id, o.source_url, o.target_url, o.anchor, o.src_domain_id,
           CASE WHEN r.status IN (404, 410) THEN 'page_gone'
                WHEN r.status BETWEEN 300 AND 399 THEN 'redirected'
                WHEN r.status BETWEEN 200 AND 299 THEN 'removed'
                ELSE 'page_error' END AS lost_reason,
           o.last_seen, 'snapshots' AS evidence
    FROM old o JOIN refetched r ON r.url_id = o.src_url_id
    WHERE r.status < 500
      AND NOT EXISTS (SELECT 1 FROM links n WHERE n.snapshot_id = ?
                      AND n.src_url_id = o.src_url_id AND n.dst_url_id = o.dst_url_id)
      AND NOT EXISTS (SELECT 1 FROM link_history h WHERE h.src_url_id = o.src_url_id
                      AND h.dst_url_id = o.dst_url_id AND h.lost_reason IS NULL
                      AND h.last_seen > r.fetched_at)
), hist AS (
    SELECT h.src_url_id, h.dst_url_id, any_value(l.src_url) AS source_url,
           any_value(l.dst_url) AS target_url, arg_min(l.anchor, l.position) AS anchor,
           any_value(l.src_domain_id) AS src_domain_id, h.lost_reason, h.last_seen,
           'verify' AS evidence
    FROM link_history h
    JOIN links l ON l.src_url_id = h.src_url_id AND l.dst_url_id = h.dst_url_id
    WHERE {cond} AND l.src_domain_id <> ? AND h.lost_reason IN ({reasons})
    GROUP BY h.src_url_id, h.dst_url_id, h.lost_reason, h.last_seen
), lost AS (
    SELECT * FROM hist
    UNION ALL
    SELECT * FROM diff WHERE NOT EXISTS (SELECT 1 FROM hist
        WHERE hist.src_url_id = diff.src_url_id AND hist.dst_url_id = diff.dst_url_id)
)
SELECT lost.source_url, d.domain AS source_domain, m.rating, lost.target_url, lost.anchor,
       lost.lost_reason, lost.last_seen, lost.evidence
FROM lost
LEFT JOIN domains d ON d.domain_id = lost.src_domain_id
LEFT JOIN metrics m ON m.level = 'domain' AND m.snapshot_id IS NULL
                   AND m.node_id = lost.src_domain_id
WHERE coalesce(m.rating, 0) >= ?
ORDER BY m.rating DESC NULLS LAST, lost.source_url, lost.target_url
"""


def last_two_snapshots(store: Store) -> tuple[int, int] | None:
    """The ids of the second-to-last and the last snapshot (by crawl window start)."""
    rows = store.con.execute(
        "SELECT snapshot_id FROM snapshots "
        "ORDER BY coalesce(started_at, ingested_at), ingested_at, snapshot_id"
    ).fetchall()
    if len(rows) < 2:
        return None
    return int(rows[-2][0]), int(rows[-1][0])


def lost_worth_asking(
    store: Store,
    target: str,
    *,
    mode: Mode = "auto",
    min_rating: float = DEFAULT_MIN_RATING,
    snapshots: tuple[int, int] | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Backlinks lost between two snapshots (default: the last two) or recorded lost by
    ``backlinks verify``, from domains rated ``min_rating`` or more: ``source_url``,
    ``source_domain``, ``rating``, ``target_url``, ``anchor``, ``lost_reason``, ``last_seen``
    and ``evidence`` (``snapshots`` or ``verify``). Best-rated sources first."""
    resolved = resolve_target(target, mode)
    cond, params = resolved.where
    own = own_domain_id(resolved)
    pair = snapshots or last_two_snapshots(store)
    before, after = pair if pair is not None else (0, 0)  # no snapshot has id 0: no diff
    reasons = ", ".join("?" for _ in _LOST_REASONS)
    sql = _LOST_SQL.format(cond=cond, reasons=reasons)
    args: list[Any] = [*params, before, own, after, after, *params, own, *_LOST_REASONS]
    args.append(min_rating)
    if limit:
        sql += " LIMIT ?"
        args.append(limit)
    df: pd.DataFrame = store.query(sql, args)
    return df
