"""The 0–100 rating: PageRank mapped to a log scale.

    rating(v) = 100 · ln(PR(v) / PR_base) / ln(PR_max / PR_base), clipped to [0, 100]

``PR_base`` is the PageRank a node gets with no followed in-links at all (the teleport and
dangling share alone: the smallest value PageRank can give), ``PR_max`` the largest PageRank in
the graph. So the top node rates exactly 100, a node with no followed backlinks exactly 0, and
the map is strictly increasing in PageRank (ties stay ties). On the domain graph this is the
*domain rating*: each referring domain counts once and splits its vote across the distinct
domains it links to, because the domain graph has one unweighted edge per domain pair.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def base_rank(scores: npt.ArrayLike, in_degree: npt.ArrayLike) -> float:
    """PageRank of a node without in-links (uniform teleport); the smallest score if every
    node has in-links."""
    pr = np.asarray(scores, dtype=np.float64)
    indeg = np.asarray(in_degree)
    if pr.size == 0:
        return 0.0
    orphans = pr[indeg == 0]
    return float(orphans.max()) if orphans.size else float(pr.min())


def rating(
    scores: npt.ArrayLike,
    in_degree: npt.ArrayLike,
    *,
    base: float | None = None,
    top: float | None = None,
) -> F64:
    """Ratings 0–100 for PageRank ``scores`` (see the module docstring for the formula).

    ``base`` and ``top`` can be fixed to compare vectors on one scale; by default each
    vector is rated on its own scale, as a full recompute would (the what-if does that)."""
    pr = np.asarray(scores, dtype=np.float64)
    indeg = np.asarray(in_degree)
    out = np.zeros(pr.shape, dtype=np.float64)
    if pr.size == 0:
        return out
    lo = base_rank(pr, indeg) if base is None else base
    hi = float(pr.max()) if top is None else top
    if hi <= lo or lo <= 0:
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = 100.0 * np.log(np.maximum(pr, lo) / lo) / np.log(hi / lo)
    out[:] = np.clip(raw, 0.0, 100.0)
    out[pr >= hi] = 100.0  # exactly: the quotient above can round to 99.99999999999999
    out[indeg == 0] = 0.0
    return out
