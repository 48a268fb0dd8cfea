"""What-if for search: where a page would rank for a query if new links pointed at it.

The search score (see :mod:`backlinks.analysis.search`) uses the page's rating and its
domain's rating. For a proposed set of links at ``level`` page or domain, that level's
graph is ranked as it is and with the links added (power iteration warm-started from the
current vector, as :func:`backlinks.rank.whatif.what_if` does), *every* node's rating is
taken from each vector, and the query's matches are scored and ordered with each. The other
level's ratings come from the metrics table in both cases, so only the new links differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from backlinks import urls
from backlinks.analysis.authority import dense_of, node_id
from backlinks.analysis.backlinks import resolve_target
from backlinks.analysis.search import (
    AUTHORITY_WEIGHT,
    SearchIndex,
    load_index,
    matches,
    rank_matches,
)
from backlinks.graph.build import Exclusion, build_graph
from backlinks.rank.pagerank import pagerank
from backlinks.rank.rating import rating
from backlinks.rank.whatif import with_edges
from backlinks.store.db import Store


def _ratings_of(
    ids: npt.NDArray[np.int64], graph_ids: npt.NDArray[np.int64], ratings: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Rating of each stable id in a graph's rating vector (0 where the id is no node)."""
    if len(graph_ids) == 0:
        return np.zeros(len(ids), dtype=np.float64)
    pos = np.searchsorted(graph_ids, ids)
    pos = np.clip(pos, 0, len(graph_ids) - 1)
    found = graph_ids[pos] == ids
    return np.where(found, ratings[pos], 0.0)


def _target_page(ranked: pd.DataFrame, target: str) -> tuple[int, str]:
    """The page whose position is asked: ``target`` itself when it is a URL with a path;
    for a bare host or domain, its best-placed page among the matches (a site ranks by its
    best page), or its home page when none matches."""
    resolved = resolve_target(target)
    if resolved.mode in ("url", "prefix"):
        return node_id(target, "page"), resolved.value
    domain_id = urls.stable_id(urls.registrable_domain(resolved.value))
    hosts = ranked.url.map(urls.host_of) if resolved.mode == "host" else None
    mine = ranked[ranked.domain_id == domain_id]
    if hosts is not None:
        mine = mine[hosts[mine.index] == resolved.value]
    if mine.empty:
        return node_id(target, "page"), target
    return int(mine.iloc[0]["url_id"]), str(mine.iloc[0]["url"])


def _place(ranked: pd.DataFrame, url_id: int) -> tuple[int | None, float | None, float | None]:
    row = ranked[ranked.url_id == url_id]
    if row.empty:
        return None, None, None
    first = row.iloc[0]
    return int(first["rank"]), float(first["score"]), float(first["authority"])


def whatif_position(
    store: Store,
    query: str,
    sources: list[str],
    target_url: str,
    *,
    level: str = "domain",
    authority_weight: float = AUTHORITY_WEIGHT,
    index: SearchIndex | None = None,
    exclude: Exclusion | None = None,
) -> dict[str, Any]:
    """Position (1 = first), score and authority of ``target_url`` among the ``query``'s
    results before and after the ``sources`` (URLs, hosts or domains) link to it at
    ``level`` (``page`` or ``domain``). Positions are ``None`` when the page does not match
    the query at all; ``position_change`` > 0 means it moves up. ``exclude`` ranks ``level``
    as if those links were gone (a disavow file), before and after."""
    if level not in ("page", "domain"):
        raise ValueError("search authority uses page and domain ratings: level must be one")
    index = index or load_index(store)
    found = matches(store, index, query)
    g = build_graph(store, level, exclude=exclude)  # type: ignore[arg-type]
    before = pagerank(g).scores.astype(np.float64)
    extra: dict[int, int] = {}

    def dense(token: str) -> int:
        sid = node_id(token, level)
        at = int(dense_of(g, [sid])[0])
        return at if at >= 0 else extra.setdefault(sid, g.n + len(extra))

    target = dense(target_url)
    src = [dense(s) for s in sources]
    g2 = with_edges(g, src, [target] * len(src), extra_nodes=len(extra))
    start = np.concatenate([before, np.full(len(extra), before.min() if before.size else 1.0)])
    after = pagerank(g2, init=start).scores.astype(np.float64)
    rate_before = rating(before, g.in_degree())
    rate_after = rating(after, g2.in_degree())[: g.n]  # new nodes are no search results

    column, key = ("page_rating", "url_id") if level == "page" else ("domain_rating", "domain_id")
    ids = found[key].to_numpy(dtype=np.int64)
    then, now = found.copy(), found.copy()
    then[column] = _ratings_of(ids, g.ids, rate_before)
    now[column] = _ratings_of(ids, g.ids, rate_after)
    ranked_then = rank_matches(then, authority_weight)
    page_id, page = _target_page(ranked_then, target_url)
    pos_b, score_b, auth_b = _place(ranked_then, page_id)
    pos_a, score_a, auth_a = _place(rank_matches(now, authority_weight), page_id)
    return {
        "query": query,
        "target_page": page,
        "search_level": level,
        "matches": len(found),
        "position_before": pos_b,
        "position_after": pos_a,
        "position_change": (pos_b - pos_a) if pos_b is not None and pos_a is not None else None,
        "score_before": score_b,
        "score_after": score_a,
        "authority_before": auth_b,
        "authority_after": auth_a,
    }
