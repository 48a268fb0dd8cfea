"""Competitor link intersect and link gap: who links to my competitors but not to me, and
which competitor pages win those links.

Both are one set-based query over ``links``: the targets (me first, then the competitors,
any number of them) travel as one Arrow table joined on the target's registrable domain and
filtered by its match mode (domain, host, URL, URL prefix), never one query per competitor.

Rules shared by both:

* a *referring domain* is the registrable domain of a linking page; links from a target's
  own domain are internal and ignored; my own domain is never a prospect, a competitor's
  can be (one competitor linking to another);
* by default only followed links (no nofollow, ugc or sponsored) count toward competitors;
  ``include_nofollow`` counts every link;
* "not to me" means no link of any kind, in any snapshot, from that domain to me: a domain
  that already links to me (even nofollow) is a contact, not a new prospect;
* links from every snapshot in the index count (a link ever seen).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from backlinks import urls
from backlinks.analysis.backlinks import Target, resolve_target
from backlinks.analysis.relevance import (
    TextModel,
    domain_relevance,
    fit_model,
    target_vector,
    url_relevance,
)
from backlinks.store.db import Store

#: Ratings below this count as this in ``score = rating x relevance``, so unranked domains
#: (rating 0, or no metrics yet) are still ordered by relevance instead of all scoring 0.
RATING_FLOOR: Final = 1.0
#: Candidates scored per relevance batch while looking for the top ``limit``.
SCORE_BATCH: Final = 2000

_TARGETS: Final = "_cmp_targets"

_HITS: Final = f"""
    hits AS MATERIALIZED (
        SELECT t.idx, l.src_domain_id, l.src_url_id, l.dst_url_id,
               any_value(l.src_url) AS src_url, any_value(l.dst_url) AS dst_url,
               bool_or(NOT (coalesce(l.nofollow, false) OR coalesce(l.ugc, false)
                            OR coalesce(l.sponsored, false))) AS followed
        FROM links l JOIN {_TARGETS} t ON l.dst_domain_id = t.domain_id
        WHERE CASE t.mode WHEN 'domain' THEN true
                          WHEN 'host' THEN l.dst_host_id = t.id
                          WHEN 'url' THEN l.dst_url_id = t.id
                          ELSE starts_with(l.dst_url, t.prefix) END
          AND l.src_domain_id IS DISTINCT FROM l.dst_domain_id
        GROUP BY t.idx, l.src_domain_id, l.src_url_id, l.dst_url_id
    ),
    mine AS (SELECT DISTINCT src_domain_id FROM hits WHERE idx = 0),
    cand AS MATERIALIZED (
        SELECT hits.* FROM hits
        WHERE idx > 0 AND (followed OR ?)
          AND NOT EXISTS (SELECT 1 FROM mine WHERE mine.src_domain_id = hits.src_domain_id)
          AND src_domain_id <> (SELECT domain_id FROM {_TARGETS} WHERE idx = 0)
    ),
    rating AS (
        SELECT node_id AS domain_id, max(rating) AS rating FROM metrics
        WHERE level = 'domain' AND snapshot_id IS NULL GROUP BY 1
    )"""


def _domain_of(target: Target) -> str:
    host = target.value if target.mode in ("host", "domain") else urls.host_of(target.value)
    return urls.registrable_domain(host)


def resolve_all(me: str, competitors: list[str]) -> list[Target]:
    """Me then each distinct competitor, resolved like ``backlinks links`` targets."""
    mine = resolve_target(me)
    out = [mine]
    for text in competitors:
        t = resolve_target(text)
        if t == mine:
            raise ValueError(f"competitor {text!r} is the same target as me ({me!r})")
        if t not in out:
            out.append(t)
    if len(out) < 2:
        raise ValueError("give at least one competitor")
    return out


def _targets_table(targets: list[Target]) -> pa.Table:
    return pa.table(
        {
            "idx": pa.array(range(len(targets)), pa.int32()),
            "name": pa.array([t.value for t in targets], pa.string()),
            "mode": pa.array([t.mode for t in targets], pa.string()),
            "id": pa.array(
                [urls.stable_id(t.value) if t.mode != "prefix" else 0 for t in targets],
                pa.int64(),
            ),
            "prefix": pa.array([t.value if t.mode == "prefix" else "" for t in targets]),
            "domain_id": pa.array([urls.stable_id(_domain_of(t)) for t in targets], pa.int64()),
        }
    )


@contextmanager
def _with_targets(store: Store, targets: list[Target]) -> Iterator[None]:
    store.con.register(_TARGETS, _targets_table(targets))
    try:
        yield
    finally:
        store.con.unregister(_TARGETS)


def intersect(
    store: Store,
    me: str,
    competitors: list[str],
    *,
    min_competitors: int = 1,
    limit: int | None = 100,
    include_nofollow: bool = False,
    model: TextModel | None = None,
) -> pd.DataFrame:
    """Referring domains that link to at least ``min_competitors`` of the competitors but
    not to me, most competitors linked first, then by ``score``.

    ``score = max(rating, RATING_FLOOR) x relevance``: the domain's 0-100 rating (metrics,
    domain level; 0 when unranked) times its topical relevance to me (cosine of TF-IDF
    centroids, :func:`~backlinks.analysis.relevance.domain_relevance`). Columns: domain,
    rating, relevance, score, competitors_linked, which (competitors linked, in the order
    given), links (distinct source page -> target URL pairs), example_url (the linking page
    that links the most competitors), domain_id."""
    targets = resolve_all(me, competitors)
    n_comp = len(targets) - 1
    if not 1 <= min_competitors <= n_comp:
        raise ValueError(f"min_competitors must be between 1 and {n_comp} (the competitors)")
    sql = f"""
        WITH {_HITS},
        per_page AS (
            SELECT src_domain_id, src_url_id, any_value(src_url) AS src_url,
                   count(DISTINCT idx) AS n, count(DISTINCT dst_url_id) AS links
            FROM cand GROUP BY 1, 2
        ),
        per_comp AS (
            SELECT DISTINCT cand.src_domain_id, cand.idx, t.name
            FROM cand JOIN {_TARGETS} t USING (idx)
        ),
        doms AS (
            SELECT src_domain_id AS domain_id, count(*) AS competitors_linked,
                   string_agg(name, ', ' ORDER BY idx) AS which
            FROM per_comp GROUP BY 1 HAVING count(*) >= ?
        ),
        pages_of AS (
            SELECT src_domain_id AS domain_id, sum(links)::BIGINT AS links,
                   first(src_url ORDER BY n DESC, src_url) AS example_url
            FROM per_page WHERE src_domain_id IN (SELECT domain_id FROM doms) GROUP BY 1
        )
        SELECT coalesce(d.domain, doms.domain_id::VARCHAR) AS domain,
               coalesce(r.rating, 0.0) AS rating, doms.competitors_linked, doms.which,
               p.links, p.example_url, doms.domain_id,
               doms.domain_id IN (SELECT domain_id FROM pages
                                  WHERE url_id IN (SELECT url_id FROM page_text)) AS has_text
        FROM doms JOIN pages_of p USING (domain_id)
        LEFT JOIN domains d USING (domain_id) LEFT JOIN rating r USING (domain_id)
        ORDER BY doms.competitors_linked DESC, has_text DESC, rating DESC, domain
    """
    with _with_targets(store, targets):
        cands: pd.DataFrame = store.query(sql, [include_nofollow, min_competitors])
    return _scored(store, cands, targets[0], limit, model)


def _scored(
    store: Store, cands: pd.DataFrame, me: Target, limit: int | None, model: TextModel | None
) -> pd.DataFrame:
    """Relevance and score of the candidates (sorted by competitors_linked, has_text,
    rating), the top ``limit`` by (competitors_linked, score). A domain without page text
    has relevance 0 and needs no vectors; within a tier ``score <= max(rating, floor)``, so
    scoring stops once the ``limit``-th score beats that bound for every unscored domain."""
    columns = [
        "domain",
        "rating",
        "relevance",
        "score",
        "competitors_linked",
        "which",
        "links",
        "example_url",
        "domain_id",
    ]
    if cands.empty:
        return pd.DataFrame(columns=columns)
    model = model or fit_model(store)
    me_row = target_vector(store, me, model)
    text = cands.has_text.to_numpy(dtype=bool) & (model.vectorizer is not None)
    bound = np.where(text, np.maximum(cands.rating.to_numpy(np.float64), RATING_FLOOR), 0.0)
    rel = np.zeros(len(cands))
    done = ~text  # relevance 0, known without vectors
    left = len(cands) if limit is None else limit
    tiers = cands.competitors_linked.to_numpy()
    ids = cands.domain_id.to_numpy(np.int64)
    for tier in pd.unique(tiers):
        if left <= 0:
            break
        rows = np.flatnonzero(tiers == tier)
        todo = rows[text[rows]]  # rating order: bound[todo] never increases
        for start in range(0, len(todo), SCORE_BATCH):
            batch = todo[start : start + SCORE_BATCH]
            rel[batch] = domain_relevance(store, ids[batch], me, model, target_row=me_row)
            done[batch] = True
            rest = todo[start + SCORE_BATCH :]
            best = np.sort((bound * rel)[rows[done[rows]]])[::-1]
            if len(rest) and len(best) >= left and best[left - 1] > bound[rest[0]]:
                break
        left -= len(rows)
    out = cands.assign(relevance=rel, score=bound * rel)[done]
    out = out.sort_values(
        ["competitors_linked", "score", "rating", "domain"],
        ascending=[False, False, False, True],
        kind="stable",
    )
    if limit is not None:
        out = out.head(limit)
    return out.loc[:, columns].reset_index(drop=True)


def gap(
    store: Store,
    me: str,
    competitors: list[str],
    *,
    limit: int | None = 100,
    include_nofollow: bool = False,
    model: TextModel | None = None,
) -> pd.DataFrame:
    """Competitor pages ranked by the number of referring domains that link them but not me
    (the content that wins links). Columns: competitor, target_url,
    referring_domains_not_me, best_domain (highest rated of those domains), best_rating,
    example_url (the best domain's page that links it), relevance (of the page — its
    domain's centroid when it has no text — to me), dst_url_id."""
    targets = resolve_all(me, competitors)
    sql = f"""
        WITH {_HITS}
        SELECT t.name AS competitor, any_value(c.dst_url) AS target_url,
               count(DISTINCT c.src_domain_id) AS referring_domains_not_me,
               first(coalesce(d.domain, c.src_domain_id::VARCHAR)
                     ORDER BY coalesce(r.rating, 0) DESC, d.domain) AS best_domain,
               max(coalesce(r.rating, 0.0)) AS best_rating,
               first(c.src_url ORDER BY coalesce(r.rating, 0) DESC, d.domain, c.src_url)
                   AS example_url,
               c.dst_url_id, c.idx
        FROM cand c JOIN {_TARGETS} t USING (idx)
        LEFT JOIN domains d ON d.domain_id = c.src_domain_id
        LEFT JOIN rating r ON r.domain_id = c.src_domain_id
        GROUP BY t.name, c.idx, c.dst_url_id
        ORDER BY referring_domains_not_me DESC, best_rating DESC, c.idx, target_url
        {"LIMIT ?" if limit is not None else ""}
    """
    params: list[Any] = [include_nofollow] + ([limit] if limit is not None else [])
    with _with_targets(store, targets):
        df: pd.DataFrame = store.query(sql, params)
    columns = [
        "competitor",
        "target_url",
        "referring_domains_not_me",
        "best_domain",
        "best_rating",
        "example_url",
        "relevance",
        "dst_url_id",
    ]
    if df.empty:
        return pd.DataFrame(columns=columns)
    rel = url_relevance(store, df.dst_url_id.to_numpy(), targets[0], model or fit_model(store))
    return df.assign(relevance=rel).loc[:, columns].reset_index(drop=True)
