"""PageRank and personalised PageRank (TrustRank) by pull power iteration over in-link CSR.

Definition (networkx's, so results can be checked against it)::

    x' = d · (Aᵀ D⁻¹ x + s(x) · w) + (1 − d) · p

with damping ``d``, teleport (personalisation) vector ``p``, dangling vector ``w`` (``p`` unless
given), ``s(x)`` the rank mass on dangling nodes (no out-links) and ``D`` the out-degrees.
Iteration starts from uniform ranks (or a warm start) and stops once the result is provably
within ``tol`` (L1) of the exact PageRank: the power method contracts by ``d`` per step, so
``‖x_k − x*‖₁ ≤ d/(1 − d) · ‖x_k − x_{k−1}‖₁``, and we stop when that bound is below ``tol``.
(networkx stops when the plain change is below ``n · tol``, a far looser test.) Not converging
within ``max_iter`` raises :class:`ConvergenceError`.

The kernel is one Numba ``prange`` loop per iteration that gathers ``x[u] / outdeg[u]`` over
each node's in-links: a sequential read of ``in_src`` plus a random gather of the
contribution vector, which is what bounds the speed on large graphs (memory bandwidth).
Ranks are float64 by default; ``dtype=np.float32`` halves the vector traffic for huge graphs
(per-node sums still accumulate in float64). The error bound adds the rounding floor of the
rank dtype, ``u/(1 − d)`` with ``u`` its unit roundoff (about 4e-7 for float32 at d = 0.85), so
``tol`` keeps meaning the L1 distance to the exact PageRank; float32 cannot reach a ``tol``
below about twice that floor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from backlinks.graph.csr import Graph

F64 = npt.NDArray[np.float64]
Vector = npt.NDArray[np.floating[Any]]


class ConvergenceError(RuntimeError):
    """Power iteration did not reach the tolerance within ``max_iter`` iterations."""


@dataclass(frozen=True, slots=True)
class PageRankResult:
    """Scores (summing to 1), iterations run and the L1 error bound reached."""

    scores: Vector
    iterations: int
    error: float


@njit(parallel=True, cache=True)
def _contributions(x, inv_out, contrib):  # type: ignore[no-untyped-def]
    n = x.shape[0]
    for u in prange(n):
        contrib[u] = x[u] * inv_out[u]


@njit(parallel=True, cache=True)
def _pull(in_ptr, in_src, contrib, x, out, tele, dang, damping, dangling_sum):  # type: ignore[no-untyped-def]
    """One iteration; returns the L1 change."""
    n = x.shape[0]
    base = damping * dangling_sum
    err = 0.0
    for v in prange(n):
        s = 0.0
        for j in range(in_ptr[v], in_ptr[v + 1]):
            s += contrib[in_src[j]]
        new = damping * s + base * dang[v] + (1.0 - damping) * tele[v]
        out[v] = new
        err += abs(new - x[v])
    return err


@njit(cache=True)
def _masked_sum(x, idx):  # type: ignore[no-untyped-def]
    s = 0.0
    for i in range(idx.shape[0]):
        s += x[idx[i]]
    return s


def _normalise(vec: npt.ArrayLike | None, n: int, name: str) -> F64 | None:
    if vec is None:
        return None
    arr = np.asarray(vec, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have one entry per node ({n})")
    if (arr < 0).any():
        raise ValueError(f"{name} must be non-negative")
    total = float(arr.sum())
    if total <= 0:
        raise ValueError(f"{name} must have a positive sum")
    normalised: F64 = arr / total
    return normalised


def pagerank(
    g: Graph,
    *,
    damping: float = 0.85,
    tol: float = 1e-6,
    max_iter: int = 200,
    personalization: npt.ArrayLike | None = None,
    dangling: npt.ArrayLike | None = None,
    init: npt.ArrayLike | None = None,
    dtype: type[np.floating[Any]] = np.float64,
    on_iteration: Callable[[int, float], None] | None = None,
) -> PageRankResult:
    """PageRank of every node of ``g`` (see the module docstring for the exact definition).

    ``personalization`` (teleport weights, normalised; uniform if None) turns this into
    personalised PageRank / TrustRank. ``dangling`` redistributes dangling mass (defaults to
    the teleport vector, as networkx). ``init`` warm-starts from a previous vector.
    """
    n = g.n
    if not 0.0 <= damping < 1.0:
        raise ValueError("damping must be in [0, 1)")
    if n == 0:
        return PageRankResult(np.zeros(0, dtype=dtype), 0, 0.0)
    tele = _normalise(personalization, n, "personalization")
    tele_vec = np.full(n, 1.0 / n, dtype=dtype) if tele is None else tele.astype(dtype)
    dang_norm = _normalise(dangling, n, "dangling")
    dang_vec = tele_vec if dang_norm is None else dang_norm.astype(dtype)
    start = _normalise(init, n, "init")
    x = np.full(n, 1.0 / n, dtype=dtype) if start is None else start.astype(dtype)
    out_deg = g.out_deg
    inv_out = np.zeros(n, dtype=dtype)
    has_out = out_deg > 0
    inv_out[has_out] = 1.0 / out_deg[has_out]
    dangling_idx = np.flatnonzero(~has_out).astype(np.int64)
    contrib = np.empty(n, dtype=dtype)
    out = np.empty(n, dtype=dtype)
    err = float("inf")
    factor = damping / (1.0 - damping) if damping > 0 else 1.0
    # Each iteration rounds every rank (relative error ~ one unit roundoff u, so ~u in L1),
    # and the contraction accumulates that to ~u/(1 - d) around the fixed point: negligible in
    # float64 (~1e-15), but ~4e-7 in float32 at d = 0.85, so it is part of the bound.
    rounding = float(np.finfo(dtype).eps) / 2.0 / (1.0 - damping)
    for it in range(1, max_iter + 1):
        _contributions(x, inv_out, contrib)
        dsum = float(_masked_sum(x, dangling_idx))
        err = rounding + factor * float(
            _pull(g.in_ptr, g.in_src, contrib, x, out, tele_vec, dang_vec, damping, dsum)
        )
        x, out = out, x
        if on_iteration is not None:
            on_iteration(it, err)
        if err < tol:
            return PageRankResult(x, it, err)
    raise ConvergenceError(
        f"PageRank did not converge in {max_iter} iterations "
        f"(L1 error bound {err:.3g} > tol {tol:g}); raise max_iter or tol"
        + (
            f" (the {np.dtype(dtype).name} rounding floor alone is {rounding:.2g}: use float64)"
            if rounding * 2 > tol
            else ""
        )
    )


def pagerank_reference(
    g: Graph, *, damping: float = 0.85, tol: float = 1e-10, max_iter: int = 1000
) -> F64:
    """A slow, obvious NumPy version of the same definition, for cross-checks."""
    n = g.n
    if n == 0:
        return np.zeros(0)
    src, dst = g.edges()
    x = np.full(n, 1.0 / n)
    dangling = g.out_deg == 0
    for _ in range(max_iter):
        share = np.where(dangling, 0.0, x / np.maximum(g.out_deg, 1))
        new = np.zeros(n)
        np.add.at(new, dst, share[src])
        new = damping * (new + x[dangling].sum() / n) + (1 - damping) / n
        done = bool(np.abs(new - x).sum() < tol)
        x = new
        if done:
            break
    return x
