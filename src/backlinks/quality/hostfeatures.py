"""Host-level link features for spam detection, named as the WEBSPAM-UK2007 link-based set.

Every feature is one column of :func:`host_features` (the official set's names without its
``_hp``/``_mp`` suffix, since a host-graph node is the host itself). With ``deg = indegree +
outdegree`` and ``p`` the PageRank (damping ``α``, uniform teleport):

* ``indegree``, ``outdegree``: distinct linking / linked hosts;
* ``reciprocity``: fraction of linked hosts that link back (0 without out-links);
* ``assortativity``: ``deg(v)`` over the mean ``deg`` of its neighbours, taken over every
  in- and out-link end (a mutual neighbour counts twice), as Becchetti et al. define it;
* ``avgin_of_out``: mean indegree of linked hosts; ``avgout_of_in``: mean outdegree of
  linking hosts (0 when there are none);
* ``pagerank``; ``prsigma``: standard deviation of ``n·p`` over linking hosts (units of the
  mean PageRank, the scale of the official set; 0 below two in-links);
* ``trustrank``: the given TrustRank vector, NaN without one;
* ``truncatedpagerank_T`` (T = 1..4), Becchetti et al. 2006: PageRank whose damping function
  is zero for paths of up to ``T`` links, i.e. ``Σ_{t>T} (1−α) α^(t−T−1) · u·Mᵗ`` with ``M``
  the walk step (dangling mass spread uniformly) and ``u`` uniform: like PageRank it sums
  to 1, and ``truncatedpagerank_T / pagerank`` is low where rank comes from close supporters.
  Computed as ``(p − Σ_{t≤T} (1−α) αᵗ u·Mᵗ) / α^(T+1)``: four walk steps and no extra solve;
* ``neighbors_k`` (k = 2..4): supporters, the hosts that reach the host in at most ``k``
  links (``neighbors_1`` is the indegree). Exact (bit-parallel BFS) up to ``exact_limit``
  nodes, else a HyperBall estimate (HyperLogLog counters, relative error ≈ 1.04/√2^log2m).

Kernels are Numba loops over the in-link CSR: no Python loop over edges, no edge list.
:func:`spam_mass` (Gyöngyi et al. 2006) lives here too, used by the features and the scores
of :mod:`backlinks.quality.hostspam`.
"""

from __future__ import annotations

from typing import Final

import numba
import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit, prange

from backlinks.graph.csr import Graph
from backlinks.rank import harmonic as _hb
from backlinks.rank import pagerank as _pr

F64 = npt.NDArray[np.float64]

#: Column order of :func:`host_features`.
FEATURES: Final = (
    "indegree",
    "outdegree",
    "reciprocity",
    "assortativity",
    "avgin_of_out",
    "avgout_of_in",
    "pagerank",
    "prsigma",
    "trustrank",
    "truncatedpagerank_1",
    "truncatedpagerank_2",
    "truncatedpagerank_3",
    "truncatedpagerank_4",
    "neighbors_2",
    "neighbors_3",
    "neighbors_4",
)
_DEPTH: Final = 4


@njit(cache=True)
def _segments_sorted(in_ptr, in_src):  # type: ignore[no-untyped-def]
    for v in range(in_ptr.shape[0] - 1):
        for j in range(in_ptr[v] + 1, in_ptr[v + 1]):
            if in_src[j - 1] > in_src[j]:
                return False
    return True


@njit(parallel=True, cache=True)
def _sort_segments(in_ptr, in_src):  # type: ignore[no-untyped-def]
    for v in prange(in_ptr.shape[0] - 1):
        in_src[in_ptr[v] : in_ptr[v + 1]] = np.sort(in_src[in_ptr[v] : in_ptr[v + 1]])


@njit(cache=True)
def _contains(arr, lo, hi, x):  # type: ignore[no-untyped-def]
    """Binary search for ``x`` in the sorted ``arr[lo:hi]``."""
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if arr[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo < end and arr[lo] == x


@njit(parallel=True, cache=True)
def _gather_in(in_ptr, in_src, out_deg, deg, npr, mutual, out_mean, sigma, deg_sum):  # type: ignore[no-untyped-def]
    """Per node, over its in-neighbours u: mutual links, mean out_deg(u), std of npr(u),
    sum of deg(u)."""
    n = out_deg.shape[0]
    for v in prange(n):
        lo, hi = in_ptr[v], in_ptr[v + 1]
        k = hi - lo
        mut = 0
        so = 0.0
        s1 = 0.0
        s2 = 0.0
        sd = 0.0
        for j in range(lo, hi):
            u = in_src[j]
            if _contains(in_src, in_ptr[u], in_ptr[u + 1], v):
                mut += 1
            so += out_deg[u]
            s1 += npr[u]
            s2 += npr[u] * npr[u]
            sd += deg[u]
        mutual[v] = mut
        deg_sum[v] = sd
        if k > 0:
            out_mean[v] = so / k
        if k > 1:
            var = s2 / k - (s1 / k) ** 2
            sigma[v] = np.sqrt(var) if var > 0.0 else 0.0


@njit(cache=True)
def _scatter_out(in_ptr, in_src, indeg, deg, in_sum, deg_sum):  # type: ignore[no-untyped-def]
    """For every link u -> w: in_sum[u] += indeg(w), deg_sum[u] += deg(w) (serial scatter)."""
    for w in range(in_ptr.shape[0] - 1):
        for j in range(in_ptr[w], in_ptr[w + 1]):
            u = in_src[j]
            in_sum[u] += indeg[w]
            deg_sum[u] += deg[w]


@njit(parallel=True, cache=True)
def _supporters_msbfs(out_ptr, out_dst, n, words, nchunks, depth):  # type: ignore[no-untyped-def]
    """Exact ``counts[x, t-1]`` = sources at distance exactly ``t`` (1..depth) from them to
    ``x``, by bit-parallel BFS along out-links, ``64·words`` sources per batch."""
    batch = 64 * words
    nbatches = (n + batch - 1) // batch
    outs = np.zeros((nchunks, n, depth), dtype=np.int64)
    for c in prange(nchunks):
        seen = np.zeros((n, words), dtype=np.uint64)
        front = np.zeros((n, words), dtype=np.uint64)
        acc = np.zeros((n, words), dtype=np.uint64)
        frontier = np.empty(n, dtype=np.int32)
        touched = np.empty(n, dtype=np.int32)
        is_touched = np.zeros(n, dtype=np.bool_)
        out = outs[c]
        for b in range(c, nbatches, nchunks):
            s0 = b * batch
            seen[:, :] = 0
            front[:, :] = 0
            nf = 0
            for s in range(s0, min(n, s0 + batch)):
                off = s - s0
                bit = np.uint64(1) << np.uint64(off & 63)
                seen[s, off >> 6] = bit
                front[s, off >> 6] = bit
                frontier[nf] = s
                nf += 1
            dist = 0
            while nf > 0 and dist < depth:
                dist += 1
                nt = 0
                for i in range(nf):
                    y = frontier[i]
                    for k in range(out_ptr[y], out_ptr[y + 1]):
                        x = out_dst[k]
                        if not is_touched[x]:
                            is_touched[x] = True
                            touched[nt] = x
                            nt += 1
                        for j in range(words):
                            acc[x, j] |= front[y, j]
                for i in range(nf):
                    front[frontier[i], :] = 0
                nf = 0
                for i in range(nt):
                    x = touched[i]
                    is_touched[x] = False
                    cnt = 0
                    for j in range(words):
                        fresh = acc[x, j] & ~seen[x, j]
                        acc[x, j] = 0
                        seen[x, j] |= fresh
                        front[x, j] = fresh
                        cnt += _hb._popcount(fresh)
                    if cnt:
                        out[x, dist - 1] += cnt
                        frontier[nf] = x
                        nf += 1
    result = np.zeros((n, depth), dtype=np.int64)
    for c in range(nchunks):
        result += outs[c]
    return result


def supporters_exact(g: Graph, depth: int = _DEPTH, *, words: int = 4) -> F64:
    """``(n, depth)`` array: column ``k-1`` is the number of nodes (other than the node) that
    reach it in at most ``k`` links. O(n·m·words/64) word operations: small graphs."""
    n = g.n
    if n == 0:
        return np.zeros((0, depth))
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(g.in_src, minlength=n), out=out_ptr[1:])
    dst = np.repeat(np.arange(n, dtype=np.int32), np.diff(g.in_ptr))
    out_dst = dst[np.argsort(g.in_src, kind="stable")]
    nchunks = max(1, min(numba.get_num_threads(), -(-n // (64 * words))))
    exact = _supporters_msbfs(out_ptr, out_dst, n, words, nchunks, depth)
    return np.cumsum(exact, axis=1).astype(np.float64)


def supporters_hyperball(g: Graph, depth: int = _DEPTH, *, log2m: int = 7, seed: int = 0) -> F64:
    """HyperBall estimate of :func:`supporters_exact`: ``depth`` HyperLogLog union steps over
    the in-link CSR, ``2·2^log2m`` bytes per node."""
    n = g.n
    result = np.zeros((n, depth))
    if n == 0:
        return result
    m = 1 << log2m
    alpha = _hb._alpha(m)
    inv_pow2 = np.ldexp(1.0, -np.arange(66)).astype(np.float64)
    old = np.zeros((n, m), dtype=np.uint8)
    new = np.empty((n, m), dtype=np.uint8)
    _hb._hll_init(old, log2m, np.uint64(seed & 0xFFFFFFFFFFFFFFFF))
    est = np.empty(n, dtype=np.float64)
    _hb._hll_estimate_all(old, est, alpha, inv_pow2)
    base = est.copy()  # |B_0(v)| = 1 up to the counter's own estimate
    mod_old = np.ones(n, dtype=np.bool_)
    mod_new = np.zeros(n, dtype=np.bool_)
    sink = np.zeros(n, dtype=np.float64)
    for t in range(depth):
        _hb._hyperball_step(
            g.in_ptr, g.in_src, old, new, mod_old, mod_new, est, sink, 0.0, alpha, inv_pow2
        )
        old, new = new, old
        mod_old, mod_new = mod_new, mod_old
        result[:, t] = np.maximum(est - base, 0.0)
    return result


def truncated_pagerank(
    g: Graph, pagerank: F64, *, damping: float = 0.85, max_t: int = _DEPTH
) -> F64:
    """``(n, max_t)`` array of truncated PageRank for T = 1..max_t (module docstring);
    ``pagerank`` must be the uniform-teleport PageRank of ``g`` at ``damping``."""
    n = g.n
    out = np.zeros((n, max_t))
    if n == 0:
        return out
    inv_out = np.zeros(n)
    has_out = g.out_deg > 0
    inv_out[has_out] = 1.0 / g.out_deg[has_out]
    dangling_idx = np.flatnonzero(~has_out).astype(np.int64)
    uniform = np.full(n, 1.0 / n)
    x = uniform.copy()
    nxt = np.empty(n)
    contrib = np.empty(n)
    head = (1.0 - damping) * x  # Σ_{t≤T} (1−α) αᵗ x_t
    for t in range(1, max_t + 1):
        _pr._contributions(x, inv_out, contrib)
        dsum = float(_pr._masked_sum(x, dangling_idx))
        _pr._pull(g.in_ptr, g.in_src, contrib, x, nxt, uniform, uniform, 1.0, dsum)
        x, nxt = nxt, x
        head += (1.0 - damping) * damping**t * x
        out[:, t - 1] = np.maximum(pagerank - head, 0.0) / damping ** (t + 1)
    return out


def host_features(
    g: Graph,
    *,
    trust: npt.ArrayLike | None = None,
    pagerank: npt.ArrayLike | None = None,
    damping: float = 0.85,
    exact_limit: int = 20_000,
    log2m: int = 7,
    seed: int = 0,
) -> pd.DataFrame:
    """The link features of every node of a host graph (see the module docstring), one row
    per node, indexed by ``g.labels`` (or the stable ids). ``trust``: TrustRank scores (e.g.
    :func:`backlinks.rank.trust.trustrank`), ``pagerank``: the default PageRank at
    ``damping``, computed here when not given. Supporters are exact up to ``exact_limit``
    nodes, HyperBall (``log2m``, ``seed``) beyond."""
    n = g.n
    in_ptr, in_src = g.in_ptr, g.in_src
    if not _segments_sorted(in_ptr, in_src):
        in_src = in_src.copy()
        _sort_segments(in_ptr, in_src)
    if pagerank is None:
        pr = np.asarray(_pr.pagerank(g, damping=damping, tol=1e-10).scores, dtype=np.float64)
    else:
        pr = np.asarray(pagerank, dtype=np.float64)
    if pr.shape != (n,):
        raise ValueError(f"pagerank must have one entry per node ({n})")
    trust_arr = np.full(n, np.nan) if trust is None else np.asarray(trust, dtype=np.float64)
    if trust_arr.shape != (n,):
        raise ValueError(f"trust must have one entry per node ({n})")
    out_deg = g.out_deg.astype(np.int64)
    indeg = np.diff(in_ptr).astype(np.int64)
    deg = (indeg + out_deg).astype(np.float64)
    mutual = np.zeros(n, dtype=np.int64)
    out_mean = np.zeros(n)
    sigma = np.zeros(n)
    deg_in = np.zeros(n)
    _gather_in(in_ptr, in_src, out_deg, deg, pr * n, mutual, out_mean, sigma, deg_in)
    in_sum = np.zeros(n)
    deg_out = np.zeros(n)
    _scatter_out(in_ptr, in_src, indeg.astype(np.float64), deg, in_sum, deg_out)
    safe_out = np.maximum(out_deg, 1)
    nbr_deg = deg_in + deg_out
    with np.errstate(invalid="ignore", divide="ignore"):
        assort = np.where(nbr_deg > 0, deg * deg / nbr_deg, 0.0)
    tpr = truncated_pagerank(g, pr, damping=damping)
    if n <= exact_limit:
        sup = supporters_exact(g)
    else:
        sup = supporters_hyperball(g, log2m=log2m, seed=seed)
    cols: dict[str, npt.NDArray[np.generic]] = {
        "indegree": indeg,
        "outdegree": out_deg,
        "reciprocity": mutual / safe_out,
        "assortativity": assort,
        "avgin_of_out": in_sum / safe_out,
        "avgout_of_in": out_mean,
        "pagerank": pr,
        "prsigma": sigma,
        "trustrank": trust_arr,
    }
    for t in range(_DEPTH):
        cols[f"truncatedpagerank_{t + 1}"] = tpr[:, t]
    for k in range(2, _DEPTH + 1):
        cols[f"neighbors_{k}"] = sup[:, k - 1]
    index = pd.Index(g.labels if g.labels is not None else g.ids, name="host")
    return pd.DataFrame(cols, index=index)[list(FEATURES)]


# --------------------------------------------------------------------------------------------
# spam mass


def spam_mass(
    pagerank: npt.ArrayLike, trustrank: npt.ArrayLike, good_fraction: float = 0.85
) -> tuple[F64, F64]:
    """(relative, absolute) spam mass, Gyöngyi et al. 2006.

    The core-based PageRank ``p' = good_fraction · t`` estimates the rank a host gets from
    good hosts, with ``t`` the TrustRank (teleport uniform over the trusted seed core,
    summing to 1) and ``good_fraction`` the assumed share of good hosts on the web. Absolute
    mass is ``p − p'``, relative mass ``(p − p') / p`` clipped to at most 1 (0 where
    ``p`` is 0): near 1 when almost none of the rank comes from trusted hosts."""
    p = np.asarray(pagerank, dtype=np.float64)
    core = good_fraction * np.asarray(trustrank, dtype=np.float64)
    absolute = p - core
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(p > 0, np.minimum(absolute / np.where(p > 0, p, 1.0), 1.0), 0.0)
    return relative, absolute


def log_ratio(num: pd.Series, den: pd.Series) -> F64:
    """``log(num / den)``, NaN where undefined or infinite."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(num.to_numpy(np.float64) / den.to_numpy(np.float64))
    return np.where(np.isfinite(out), out, np.nan)
