"""Harmonic centrality: exact by BFS on small graphs, HyperBall (HyperLogLog) on large ones.

Definition (Boldi & Vigna's, networkx's ``harmonic_centrality`` and Common Crawl's host ranks)::

    H(v) = Σ_{u ≠ v, u reaches v} 1 / d(u, v)

with ``d(u, v)`` the number of links on a shortest path *from* ``u`` *to* ``v`` (along link
direction): a page is central when the rest of the web is few clicks away from linking to it.
This is the *incoming* direction; networkx computes the same quantity (``C(u) = Σ_v 1/d(v, u)``,
each BFS from ``v`` crediting the nodes it reaches). Unreachable pairs add 0, self-loops and
parallel edges change nothing, and an isolated node scores 0.

:func:`harmonic_exact` runs a BFS from every node: 256 sources at a time, as one bit-parallel
BFS (one bit per source) along out-links, so that each edge scan serves many sources. Worst
case O(n·m) word operations, as plain BFS (a few times slower on long chains and cycles), but on
small-world graphs (the web) about ten times faster than one BFS per source. Still for small
graphs only: ≈ 5 s for 50 000 nodes and 380 000 links on 2 cores, against ≈ 0.3 s for
HyperBall.

:func:`harmonic_hyperball` is HyperBall (Boldi & Vigna 2013): each node keeps a HyperLogLog
counter of the ball ``B_t(v) = {u : d(u, v) ≤ t}``, with ``B_0(v) = {v}`` and
``B_{t+1}(v) = B_t(v) ∪ ⋃_{u → v} B_t(u)`` (a register-wise max over in-neighbours), and
``H(v) = Σ_t (|B_{t+1}(v)| − |B_t(v)|) / (t + 1)`` until no counter changes. Each iteration is a
sequential pass over the in-link CSR; only nodes with an in-neighbour that changed in the last
iteration are recomputed. A counter with ``m = 2^log2m`` registers has relative standard error
about ``1.04 / √m`` (6.5 % at the default ``log2m = 8``); each ``H(v)`` is a positive-weighted
sum of ball-size estimates from the same counter, so its relative error is of the same order
(and smaller for nodes with small balls, where linear counting is nearly exact). Balls that
end as the same giant set share the same error, so on a web graph most nodes are off by about
the same factor and rankings by ``H`` are far more accurate than single values (Spearman
≈ 0.9998 against exact on a 50 000-node test graph). A rare node with one or two in-reaching
nodes whose hashes fall in its own register under-counts, down to 0.

Memory: two register arrays of ``n · 2^log2m`` bytes (double buffering), i.e. 512 B per node at
``log2m = 8``, plus 18 B per node of bookkeeping.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
from numba import njit, prange

from backlinks.graph.csr import Graph

F64 = npt.NDArray[np.float64]

_U64_1 = np.uint64(1)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


# --------------------------------------------------------------------------------------------
# exact: multi-source BFS, 64·W sources at a time


@njit(cache=True)
def _popcount(x):  # type: ignore[no-untyped-def]
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(parallel=True, cache=True)
def _harmonic_msbfs(out_ptr, out_dst, n, words, nchunks):  # type: ignore[no-untyped-def]
    """Exact harmonic centrality by bit-parallel BFS along out-links.

    Sources are taken ``64·words`` at a time (one bit each); ``seen[x]`` holds the sources
    that reach ``x`` within ``t`` links, ``front[x]`` those at exactly ``t``. Each level pushes
    the frontier bits of every frontier node to its out-neighbours; a node gaining ``c`` new
    bits at level ``t`` has ``c`` sources at distance ``t``, adding ``c / t``. Batches are
    spread over ``nchunks`` workers, each with its own arrays and output row.
    """
    batch = 64 * words
    nbatches = (n + batch - 1) // batch
    outs = np.zeros((nchunks, n), dtype=np.float64)
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
            nf = 0
            for s in range(s0, min(n, s0 + batch)):
                off = s - s0
                bit = np.uint64(1) << np.uint64(off & 63)
                seen[s, off >> 6] = bit
                front[s, off >> 6] = bit
                frontier[nf] = s
                nf += 1
            dist = 0
            while nf > 0:
                dist += 1
                nt = 0
                for i in range(nf):
                    y = frontier[i]
                    fy = front[y]
                    for k in range(out_ptr[y], out_ptr[y + 1]):
                        x = out_dst[k]
                        if not is_touched[x]:
                            is_touched[x] = True
                            touched[nt] = x
                            nt += 1
                        ax = acc[x]
                        for j in range(words):
                            ax[j] |= fy[j]
                for i in range(nf):
                    front[frontier[i], :] = 0
                nf = 0
                inv = 1.0 / dist
                for i in range(nt):
                    x = touched[i]
                    is_touched[x] = False
                    cnt = 0
                    for j in range(words):
                        fresh = acc[x, j] & ~seen[x, j]
                        acc[x, j] = 0
                        seen[x, j] |= fresh
                        front[x, j] = fresh
                        cnt += _popcount(fresh)
                    if cnt:
                        out[x] += cnt * inv
                        frontier[nf] = x
                        nf += 1
    result = np.zeros(n, dtype=np.float64)
    for c in range(nchunks):
        result += outs[c]
    return result


def harmonic_exact(g: Graph, *, words: int = 4) -> F64:
    """Exact harmonic centrality (incoming distances, as networkx) of every node of ``g``.

    A BFS from every node, run ``64·words`` sources at a time as one bit-parallel BFS over the
    out-link CSR (built here from the in-link one: 4 B per edge). Worst case O(n·m·words) word
    operations; on small-world graphs about an order of magnitude faster than one BFS per
    source, a few times slower on long chains and cycles. Memory ``24 · words + 17`` B per node
    per worker thread. For graphs up to some tens of thousands of nodes;
    :func:`harmonic_hyperball` beyond.
    """
    if words < 1:
        raise ValueError("words must be positive")
    n = g.n
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    in_src = g.in_src
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(in_src, minlength=n), out=out_ptr[1:])
    dst = np.repeat(np.arange(n, dtype=np.int32), np.diff(g.in_ptr))
    out_dst = dst[np.argsort(in_src, kind="stable")]
    nbatches = -(-n // (64 * words))
    nchunks = max(1, min(numba.get_num_threads(), nbatches))
    result: F64 = _harmonic_msbfs(out_ptr, out_dst, n, words, nchunks)
    return result


# --------------------------------------------------------------------------------------------
# HyperBall


@njit(cache=True)
def _splitmix64(x):  # type: ignore[no-untyped-def]
    """splitmix64 finaliser: a bijective, well-mixed 64-bit hash."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(parallel=True, cache=True)
def _hll_init(regs, log2m, seed):  # type: ignore[no-untyped-def]
    """Counter of each node ``v`` := {v}: register ``top log2m bits of h(v)`` gets
    1 + the number of leading zeros of the remaining bits."""
    n = regs.shape[0]
    p = np.uint64(log2m)
    width = 64 - log2m
    salt = _splitmix64(np.uint64(seed))
    top = _U64_1 << np.uint64(63)
    for v in prange(n):
        h = _splitmix64(np.uint64(v) ^ salt)
        j = h >> (np.uint64(64) - p)
        w = h << p
        rho = 1
        while rho <= width and (w & top) == 0:
            w = w << _U64_1
            rho += 1
        regs[v, j] = rho


@njit(cache=True)
def _hll_estimate(row, alpha, inv_pow2):  # type: ignore[no-untyped-def]
    """HyperLogLog cardinality estimate with the small-range (linear counting) correction."""
    m = row.shape[0]
    s = 0.0
    zeros = 0
    for j in range(m):
        r = row[j]
        s += inv_pow2[r]
        if r == 0:
            zeros += 1
    est = alpha * m * m / s
    if est <= 2.5 * m and zeros > 0:
        est = m * math.log(m / zeros)
    return est


@njit(parallel=True, cache=True)
def _hll_estimate_all(regs, est, alpha, inv_pow2):  # type: ignore[no-untyped-def]
    for v in prange(regs.shape[0]):
        est[v] = _hll_estimate(regs[v], alpha, inv_pow2)


@njit(parallel=True, cache=True)
def _hyperball_step(  # type: ignore[no-untyped-def]
    in_ptr, in_src, old, new, mod_old, mod_new, est, out, weight, alpha, inv_pow2
):
    """One HyperBall iteration: new[v] = old[v] ∪ old[u] for modified in-neighbours u;
    out[v] += weight · (|new[v]| − |old[v]|). Returns the number of modified counters."""
    n = old.shape[0]
    m = old.shape[1]
    modified = 0
    for v in prange(n):
        lo = in_ptr[v]
        hi = in_ptr[v + 1]
        touched = False
        for k in range(lo, hi):
            if mod_old[in_src[k]]:
                touched = True
                break
        row_new = new[v]
        row_old = old[v]
        for j in range(m):
            row_new[j] = row_old[j]
        changed = False
        if touched:
            # a neighbour unchanged since the last step is already contained in old[v]
            for k in range(lo, hi):
                u = in_src[k]
                if mod_old[u]:
                    row_u = old[u]
                    for j in range(m):
                        a = row_new[j]
                        b = row_u[j]
                        row_new[j] = a if a > b else b
            for j in range(m):
                if row_new[j] != row_old[j]:
                    changed = True
                    break
        mod_new[v] = changed
        if changed:
            e = _hll_estimate(row_new, alpha, inv_pow2)
            out[v] += weight * (e - est[v])
            est[v] = e
            modified += 1
    return modified


def _alpha(m: int) -> float:
    if m == 16:
        return 0.673
    if m == 32:
        return 0.697
    if m == 64:
        return 0.709
    return 0.7213 / (1.0 + 1.079 / m)


def harmonic_hyperball(g: Graph, *, log2m: int = 8, max_iter: int = 1000, seed: int = 0) -> F64:
    """Approximate harmonic centrality by HyperBall (see the module docstring).

    ``log2m`` (4..16) sets ``m = 2^log2m`` HyperLogLog registers per node: relative standard
    error ≈ 1.04/√m per counter (6.5 % at 8, 3.3 % at 10), memory 2·m bytes per node.
    ``seed`` picks the hash; runs with different seeds give independent estimates that can be
    averaged. Stops when no counter changes (after about the graph's diameter iterations) or
    after ``max_iter`` iterations.
    """
    if not 4 <= log2m <= 16:
        raise ValueError("log2m must be in 4..16")
    if max_iter < 0:
        raise ValueError("max_iter must be non-negative")
    n = g.n
    out = np.zeros(n, dtype=np.float64)
    if n == 0:
        return out
    m = 1 << log2m
    alpha = _alpha(m)
    inv_pow2 = np.ldexp(1.0, -np.arange(66)).astype(np.float64)
    old = np.zeros((n, m), dtype=np.uint8)
    new = np.empty((n, m), dtype=np.uint8)
    _hll_init(old, log2m, np.uint64(seed & 0xFFFFFFFFFFFFFFFF))
    est = np.empty(n, dtype=np.float64)
    _hll_estimate_all(old, est, alpha, inv_pow2)
    mod_old = np.ones(n, dtype=np.bool_)
    mod_new = np.zeros(n, dtype=np.bool_)
    for t in range(max_iter):
        changed = _hyperball_step(
            g.in_ptr, g.in_src, old, new, mod_old, mod_new, est, out, 1.0 / (t + 1), alpha, inv_pow2
        )
        old, new = new, old
        mod_old, mod_new = mod_new, mod_old
        if changed == 0:
            break
    return out


def harmonic(g: Graph, *, exact_limit: int = 20_000, **kw: Any) -> F64:
    """Harmonic centrality: exact when ``g.n ≤ exact_limit``, else HyperBall (``kw`` are
    :func:`harmonic_hyperball`'s keywords, ignored by the exact path)."""
    unknown = set(kw) - {"log2m", "max_iter", "seed"}
    if unknown:
        raise TypeError(f"unexpected keyword arguments: {sorted(unknown)}")
    if g.n <= exact_limit:
        return harmonic_exact(g)
    return harmonic_hyperball(g, **kw)
