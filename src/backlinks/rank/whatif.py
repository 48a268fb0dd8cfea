"""What-if: how a node's PageRank and rating move if new links were added.

The new graph differs from the current one by a handful of edges, so power iteration
warm-started from the current vector converges in a few iterations instead of a full run;
the tests check the answer against a full recompute from scratch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backlinks.graph.csr import Graph
from backlinks.rank.pagerank import pagerank
from backlinks.rank.rating import rating


@dataclass(frozen=True, slots=True)
class WhatIf:
    """Before/after of one target node, and how much work the update took."""

    target: int
    pagerank_before: float
    pagerank_after: float
    rating_before: float
    rating_after: float
    added_edges: int
    iterations: int

    @property
    def pagerank_delta(self) -> float:
        return self.pagerank_after - self.pagerank_before

    @property
    def rating_delta(self) -> float:
        return self.rating_after - self.rating_before


def with_edges(g: Graph, src: npt.ArrayLike, dst: npt.ArrayLike, extra_nodes: int = 0) -> Graph:
    """A copy of ``g`` with ``extra_nodes`` new nodes (dense ids n, n+1, …) and the given
    edges added; edges already present, duplicates and self-links are ignored."""
    n = g.n + extra_nodes
    in_ptr = np.concatenate([g.in_ptr, np.full(extra_nodes, g.in_ptr[-1], dtype=np.int64)])
    out_deg = np.concatenate([g.out_deg, np.zeros(extra_nodes, dtype=np.int32)])
    pairs = {
        (int(s), int(d))
        for s, d in zip(np.atleast_1d(src), np.atleast_1d(dst), strict=True)
        if s != d and 0 <= s < n and 0 <= d < n
    }
    new = sorted((d, s) for s, d in pairs if not np.any(g.in_src[in_ptr[d] : in_ptr[d + 1]] == s))
    if not new:
        return Graph(in_ptr, g.in_src, out_deg, _ids(g, extra_nodes), None, g.level, dict(g.meta))
    dsts = np.asarray([d for d, _ in new], dtype=np.int64)
    srcs = np.asarray([s for _, s in new], dtype=np.int32)
    in_src = np.insert(g.in_src, in_ptr[dsts + 1], srcs).astype(np.int32)
    shift = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(dsts, minlength=n), out=shift[1:])
    np.add.at(out_deg, srcs, 1)
    return Graph(in_ptr + shift, in_src, out_deg, _ids(g, extra_nodes), None, g.level, dict(g.meta))


def _ids(g: Graph, extra_nodes: int) -> npt.NDArray[np.int64]:
    return np.concatenate([g.ids, np.zeros(extra_nodes, dtype=np.int64)])


def what_if(
    g: Graph,
    current: npt.ArrayLike,
    target: int,
    new_links: list[tuple[int, int]],
    *,
    extra_nodes: int = 0,
    damping: float = 0.85,
    tol: float = 1e-6,
) -> WhatIf:
    """Effect on ``target`` (dense id) of adding ``new_links`` (dense ids; ids ≥ g.n are
    ``extra_nodes`` new nodes). ``current`` is g's PageRank vector."""
    x = np.asarray(current, dtype=np.float64)
    g2 = with_edges(g, [s for s, _ in new_links], [d for _, d in new_links], extra_nodes)
    added = g2.m - g.m
    start = np.concatenate([x, np.full(extra_nodes, x.min() if x.size else 1.0)])
    result = pagerank(g2, damping=damping, tol=tol, init=start)
    before_rating = rating(x, g.in_degree())
    after_rating = rating(result.scores, g2.in_degree())
    in_old = target < g.n
    return WhatIf(
        target=target,
        pagerank_before=float(x[target]) if in_old else 0.0,
        pagerank_after=float(result.scores[target]),
        rating_before=float(before_rating[target]) if in_old else 0.0,
        rating_after=float(after_rating[target]),
        added_edges=added,
        iterations=result.iterations,
    )
