"""TrustRank (Gyöngyi, Garcia-Molina & Pedersen 2004): PageRank whose teleport goes only to
trusted seed nodes, so trust flows out from them along links and decays with distance.

Seeds are given, or chosen as the original paper does: the nodes with the highest *inverse*
PageRank (PageRank on the reversed graph: nodes from which many pages are reachable in few
steps), filtered by an allow-list that plays the role of the human oracle.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from backlinks.graph.csr import Graph
from backlinks.rank.pagerank import PageRankResult, pagerank


def transpose(g: Graph) -> Graph:
    """The reversed graph (u->v becomes v->u), in the same in-CSR layout."""
    src, dst = g.edges()
    order = np.argsort(src, kind="stable")
    new_src = dst[order].astype(np.int32)
    in_ptr = np.zeros(g.n + 1, dtype=np.int64)
    np.cumsum(g.out_deg.astype(np.int64), out=in_ptr[1:])
    out_deg = np.diff(g.in_ptr).astype(np.int32)
    return Graph(in_ptr, new_src, out_deg, g.ids, g.labels, g.level, dict(g.meta))


def inverse_pagerank(g: Graph, **kwargs: object) -> PageRankResult:
    """PageRank on the reversed graph (good seed candidates score high)."""
    return pagerank(transpose(g), **kwargs)  # type: ignore[arg-type]


def select_seeds(
    g: Graph,
    *,
    k: int = 100,
    allow: Callable[[int], bool] | None = None,
    inverse: npt.ArrayLike | None = None,
) -> npt.NDArray[np.int64]:
    """Dense ids of up to ``k`` seeds: highest inverse PageRank first, keeping only nodes
    the ``allow`` predicate accepts (all, if None)."""
    scores = np.asarray(inverse_pagerank(g).scores if inverse is None else inverse)
    order = np.argsort(-scores, kind="stable")
    chosen: list[int] = []
    for node in order:
        if allow is None or allow(int(node)):
            chosen.append(int(node))
            if len(chosen) >= k:
                break
    return np.asarray(chosen, dtype=np.int64)


def trustrank(
    g: Graph, seeds: npt.ArrayLike, *, damping: float = 0.85, **kwargs: object
) -> PageRankResult:
    """Personalised PageRank with uniform teleport over ``seeds`` (dense ids)."""
    seed_ids = np.unique(np.asarray(seeds, dtype=np.int64))
    if seed_ids.size == 0:
        raise ValueError("TrustRank needs at least one seed present in the graph")
    weights = np.zeros(g.n, dtype=np.float64)
    weights[seed_ids] = 1.0
    return pagerank(g, damping=damping, personalization=weights, **kwargs)  # type: ignore[arg-type]
