"""Referral traffic: how many visits a month each backlink is likely to send.

A *reasonable surfer* model (Brin & Page's random surfer, made to prefer the links people
actually click): on each source page, every link gets a weight

    weight = section_weight[section] · 1 / (1 + position / POSITION_HALF) · image_factor

with the section weights of :data:`SECTION_WEIGHTS`, ``position`` the link's 0-based ordinal
among the page's links (``POSITION_HALF``-th link weighs half the first) and
``image_factor`` = :data:`IMAGE_FACTOR` for image links, 1 otherwise (nofollow, ugc and
sponsored do not change clicks). The page's links share the click-through rate ``ctr`` (the
share of visits that click any link) in proportion to their weights, over *every* link on
the page — internal ones too — so the shares of one page sum to ``ctr``:

    click_share(link) = ctr · weight(link) / Σ weight(links of the source page)

A source page's monthly visits come from its rank: ``visits = total_visits · PageRank``
(page-level PageRank of ``backlinks rank`` sums to 1 over the index, so ``total_visits``
is the monthly visits of the whole indexed web; a page absent from the metrics gets the
smallest page PageRank). Without page metrics the share is estimated from in-degree, as
one PageRank step from uniform would: ``(1 + followed in-links) / (nodes + edges)`` of the
page graph. ``clicks_per_month = click_share · source_visits``.

Each source page counts as it was last fetched (its latest snapshot): a link the page no
longer carries sends nothing.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import pandas as pd

from backlinks import urls
from backlinks.analysis.backlinks import Mode, resolve_target
from backlinks.store.db import Store

#: Click weight of a link by the page section it sits in (``unknown``: sources without
#: layout, e.g. WAT metadata).
SECTION_WEIGHTS: Final[dict[str, float]] = {
    "content": 1.0,
    "aside": 0.4,
    "header": 0.25,
    "nav": 0.25,
    "footer": 0.1,
    "comment": 0.05,
    "unknown": 0.5,
}
#: The link at this 0-based position weighs half the first one (hyperbolic decay).
POSITION_HALF: Final = 10.0
#: Image links draw fewer clicks than text links.
IMAGE_FACTOR: Final = 0.6
#: Share of a page's visits that click some link on it.
CTR: Final = 0.3
#: Monthly visits shared by every page of the index (set it to what the crawled web gets).
TOTAL_VISITS: Final = 100_000_000

By = Literal["link", "domain"]

_LINK_COLUMNS: Final = [
    "source_url", "source_domain", "target_url", "anchor", "section", "position", "is_image",
    "page_links", "click_share", "source_visits", "clicks_per_month",
]  # fmt: skip


def _visit_share_sql(store: Store) -> tuple[str, str]:
    """SQL for ``share(src_url_id)`` (a CTE) and the basis it uses: ``pagerank`` when page
    metrics exist, else ``in-degree``."""
    row = store.con.execute(
        "SELECT count(*) FROM metrics WHERE level = 'page' AND snapshot_id IS NULL"
    ).fetchone()
    if row and row[0]:
        return (
            """share AS (
                SELECT h.src_url_id, coalesce(m.pagerank,
                    (SELECT min(pagerank) FROM metrics
                     WHERE level = 'page' AND snapshot_id IS NULL)) AS share
                FROM hits h LEFT JOIN metrics m ON m.level = 'page'
                    AND m.snapshot_id IS NULL AND m.node_id = h.src_url_id
            )""",
            "pagerank",
        )
    return (
        """edges AS (
                SELECT DISTINCT src_url_id AS s, dst_url_id AS d FROM links
                WHERE NOT (nofollow OR ugc OR sponsored) AND src_url_id <> dst_url_id
            ), nodes AS (
                SELECT s AS id FROM edges UNION SELECT d FROM edges
                UNION SELECT url_id FROM pages
            ), share AS (
                SELECT h.src_url_id, (1 + (SELECT count(*) FROM edges WHERE d = h.src_url_id))
                    / ((SELECT count(*) FROM nodes) + (SELECT count(*) FROM edges)) AS share
                FROM hits h
            )""",
        "in-degree",
    )


def referral(
    store: Store,
    target: str,
    *,
    mode: Mode = "auto",
    by: By = "link",
    limit: int | None = None,
    total_visits: float = TOTAL_VISITS,
    ctr: float = CTR,
    include_internal: bool = False,
) -> pd.DataFrame:
    """Estimated monthly clicks from each backlink of ``target`` (``by="link"``) or each
    referring domain (``by="domain"``: summed clicks, link count, best source page), most
    first. Internal links (same registrable domain) are left out unless asked for.
    ``df.attrs["visits_basis"]`` says whether visits came from PageRank or in-degree."""
    if by not in ("link", "domain"):
        raise ValueError("by must be link or domain")
    if not 0.0 <= ctr <= 1.0:
        raise ValueError("ctr must be between 0 and 1")
    resolved = resolve_target(target, mode)
    cond, cond_params = resolved.where
    internal, internal_params = "", []
    if not include_internal:
        host = (
            resolved.value if resolved.mode in ("host", "domain") else urls.host_of(resolved.value)
        )
        internal = "AND l.src_domain_id <> ?"
        internal_params = [urls.stable_id(urls.registrable_domain(host))]
    share_cte, basis = _visit_share_sql(store)
    sql = f"""
        WITH sw AS (SELECT unnest(?::VARCHAR[]) AS section, unnest(?::DOUBLE[]) AS w),
        hits AS (SELECT DISTINCT l.src_url_id FROM links l WHERE {cond} {internal}),
        latest AS (
            SELECT x.src_url_id, x.snapshot_id FROM (
                SELECT url_id AS src_url_id, snapshot_id FROM pages
                WHERE url_id IN (SELECT src_url_id FROM hits)
                UNION SELECT src_url_id, snapshot_id FROM links
                WHERE src_url_id IN (SELECT src_url_id FROM hits)
            ) x LEFT JOIN snapshots s USING (snapshot_id)
            QUALIFY row_number() OVER (PARTITION BY x.src_url_id
                ORDER BY s.started_at DESC NULLS LAST, x.snapshot_id DESC) = 1
        ),
        weighted AS (
            SELECT l.*, coalesce(sw.w, ?) / (1 + coalesce(l.position, 0) / ?)
                * CASE WHEN l.is_image THEN ? ELSE 1.0 END AS weight
            FROM links l JOIN latest USING (src_url_id, snapshot_id)
            LEFT JOIN sw ON sw.section = l.section
        ),
        shared AS (
            SELECT *, count(*) OVER page AS page_links,
                   ? * weight / sum(weight) OVER page AS click_share
            FROM weighted WINDOW page AS (PARTITION BY src_url_id)
        ),
        {share_cte}
        SELECT l.src_url AS source_url, d.domain AS source_domain, l.dst_url AS target_url,
               l.anchor, l.section, l.position, l.is_image, l.page_links::INTEGER AS page_links,
               l.click_share, ? * sh.share AS source_visits,
               l.click_share * ? * sh.share AS clicks_per_month
        FROM shared l JOIN share sh USING (src_url_id)
        LEFT JOIN domains d ON d.domain_id = l.src_domain_id
        WHERE {cond} {internal}
        ORDER BY clicks_per_month DESC, source_url, position
    """
    params: list[Any] = [
        list(SECTION_WEIGHTS), list(SECTION_WEIGHTS.values()), *cond_params, *internal_params,
        SECTION_WEIGHTS["unknown"], POSITION_HALF, IMAGE_FACTOR, ctr,
        float(total_visits), float(total_visits), *cond_params, *internal_params,
    ]  # fmt: skip
    df: pd.DataFrame = store.query(sql, params)
    df = df.loc[:, _LINK_COLUMNS]
    if by == "domain":
        df = by_domain(df)
    df = df.head(limit) if limit else df
    df = df.reset_index(drop=True)
    df.attrs["visits_basis"] = basis
    return df


def by_domain(links: pd.DataFrame) -> pd.DataFrame:
    """Roll link estimates up to referring domains: summed clicks, number of links and the
    source page sending the most."""
    if links.empty:
        return pd.DataFrame(columns=["source_domain", "clicks_per_month", "links", "best_source"])
    best = links.sort_values(
        ["clicks_per_month", "source_url"], ascending=[False, True], kind="stable"
    ).drop_duplicates("source_domain")
    grouped = links.groupby("source_domain", dropna=False).agg(
        clicks_per_month=("clicks_per_month", "sum"), links=("source_url", "size")
    )
    out = grouped.join(best.set_index("source_domain")["source_url"].rename("best_source"))
    out = out.reset_index().sort_values(
        ["clicks_per_month", "source_domain"], ascending=[False, True], kind="stable"
    )
    return out.reset_index(drop=True)
