"""Deterministic, web-like directed graphs written straight into in-link CSR (``.npy`` files).

The model, per source node ``u`` (``n = edges / avg_degree`` nodes):

* **hosts**: nodes are grouped into contiguous id blocks ("sites") whose sizes follow a
  truncated power law (Pareto tail, mean about 30 pages), the way ids come out when pages are
  numbered in URL order;
* **out-degree**: 10 % of nodes are dangling (no out-links, like unfetched pages); the rest draw a
  log-normal out-degree scaled so the average over all nodes is ``avg_degree``;
* **targets**: a fraction ``locality`` of ``u``'s links stay inside ``u``'s host, skewed towards
  the first pages of the block (home and navigation pages); the rest go to a global target drawn
  from a Zipf law (exponent ``zipf``, so in-degrees follow a power law with exponent
  ``1 + 1/zipf``, about 2.1 for the web) over a random permutation of all nodes.

Self-loops are dropped and parallel edges merged, as :func:`backlinks.graph.build.build_graph`
does, so the edge count ends up a few per cent below what was drawn (an ``oversample`` factor
compensates for that on average; the real count is in ``meta.json``).

Memory stays near the size of the result: edges are drawn in chunks of sources from a
per-chunk seed, counted by target in a first pass, then drawn *again* and scattered into their
CSR slots (a counting sort), so no full (src, dst) arrays ever exist. For 100M edges the peak is
about 1.7 GB and 22 s (``in_src`` drawn and trimmed, per-node arrays, chunk temporaries).

``order="random"`` relabels the nodes by a random permutation afterwards: that is the order
:func:`~backlinks.graph.build.build_graph` produces, because it numbers nodes by their hashed
64-bit ids, which destroys host locality.

    .venv/bin/python bench/graphgen.py --edges 10 --out bench/out/pagerank/graphs/web-10M
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit, prange

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

CHUNK_EDGES = 1 << 22
DANGLING = 0.10
MAX_OUT = 5_000
MAX_HOST = 20_000


@njit(cache=False)
def _scatter(src, dst, cursor, in_src):  # type: ignore[no-untyped-def]
    for j in range(src.shape[0]):
        v = dst[j]
        in_src[cursor[v]] = src[j]
        cursor[v] += 1


@njit(parallel=True, cache=False)
def _sort_unique_counts(in_ptr, in_src, keep):  # type: ignore[no-untyped-def]
    """Sort every in-list in place and count its distinct entries into ``keep``."""
    n = in_ptr.shape[0] - 1
    for v in prange(n):
        a, b = in_ptr[v], in_ptr[v + 1]
        if b - a > 1:
            in_src[a:b].sort()
        c = 0
        for j in range(a, b):
            if j == a or in_src[j] != in_src[j - 1]:
                c += 1
        keep[v] = c


@njit(cache=False)
def _compact(in_ptr, in_src, new_ptr):  # type: ignore[no-untyped-def]
    """Move each node's distinct in-neighbours down to ``new_ptr[v]`` (never past its old slot)."""
    n = in_ptr.shape[0] - 1
    for v in range(n):
        a, b = in_ptr[v], in_ptr[v + 1]
        w = new_ptr[v]
        for j in range(a, b):
            if j == a or in_src[j] != in_src[j - 1]:
                in_src[w] = in_src[j]
                w += 1


@njit(parallel=True, cache=False)
def _relabel_copy(in_ptr, in_src, perm, new_ptr, out):  # type: ignore[no-untyped-def]
    """Node ``v`` becomes ``perm[v]``: copy its in-list (relabelled, sorted) to the new slot."""
    n = in_ptr.shape[0] - 1
    for v in prange(n):
        a, b = in_ptr[v], in_ptr[v + 1]
        w = new_ptr[perm[v]]
        for j in range(a, b):
            out[w + j - a] = perm[in_src[j]]
        if b - a > 1:
            out[w : w + b - a].sort()


def _hosts(n: int, rng: np.random.Generator) -> tuple[I32, I64, I32]:
    """(host of each node, start of each host, size of each host): contiguous blocks."""
    sizes: list[I64] = []
    total = 0
    while total < n:
        u = rng.random(max(1024, (n - total) // 20))
        s = np.minimum(1 + np.floor(10.0 * (u ** (-1.0 / 1.3) - 1.0)), MAX_HOST).astype(np.int64)
        sizes.append(s)
        total += int(s.sum())
    size = np.concatenate(sizes)
    end = np.cumsum(size)
    last = int(np.searchsorted(end, n))  # first host that reaches n
    size = size[: last + 1]
    size[-1] -= int(end[last]) - n
    start = np.zeros(size.shape[0], dtype=np.int64)
    np.cumsum(size[:-1], out=start[1:])
    host_of = np.repeat(np.arange(size.shape[0], dtype=np.int32), size)
    return host_of, start, size.astype(np.int32)


def _out_degrees(n: int, avg: float, rng: np.random.Generator) -> I32:
    raw = rng.lognormal(mean=0.0, sigma=1.0, size=n)
    raw[rng.random(n) < DANGLING] = 0.0
    scale = avg * n / float(raw.sum())
    return np.minimum(np.rint(raw * scale), MAX_OUT).astype(np.int32)


class _Model:
    """Everything a chunk of edges is drawn from (kept in memory for both passes)."""

    def __init__(self, n: int, avg: float, locality: float, zipf: float, seed: int) -> None:
        rng = np.random.default_rng([seed, 0])
        self.n, self.locality, self.zipf, self.seed = n, locality, zipf, seed
        self.host_of, self.host_start, self.host_size = _hosts(n, rng)
        self.out_deg = _out_degrees(n, avg, rng)
        self.popular = rng.permutation(n).astype(np.int32)  # Zipf rank -> node
        # node chunks of about CHUNK_EDGES drawn edges each
        cum = np.cumsum(self.out_deg, dtype=np.int64)
        cuts = np.searchsorted(cum, np.arange(CHUNK_EDGES, int(cum[-1]), CHUNK_EDGES))
        self.bounds = [0, *[int(c) + 1 for c in cuts], n]
        self.drawn = int(cum[-1])

    def chunk(self, k: int) -> tuple[I32, I32]:
        """(src, dst) of chunk ``k``, the same on every call; self-loops removed."""
        a, b = self.bounds[k], self.bounds[k + 1]
        src = np.repeat(np.arange(a, b, dtype=np.int32), self.out_deg[a:b])
        rng = np.random.default_rng([self.seed, 1, k])
        e = src.shape[0]
        r = rng.random(e)
        u = rng.random(e)
        h = self.host_of[src]
        size = self.host_size[h]
        local = (r < self.locality) & (size > 1)
        dst = np.empty(e, dtype=np.int32)
        dst[local] = (
            self.host_start[h[local]] + np.floor(size[local] * u[local] ** 2).astype(np.int64)
        ).astype(np.int32)
        glob = ~local
        one = 1.0 - self.zipf
        c = float(self.n + 1) ** one - 1.0
        rank = np.floor((1.0 + u[glob] * c) ** (1.0 / one)).astype(np.int64) - 1
        dst[glob] = self.popular[np.minimum(rank, self.n - 1)]
        keep = src != dst
        return src[keep], dst[keep]


def generate(
    edges: int,
    out: Path,
    *,
    avg_degree: float = 12.0,
    locality: float = 0.6,
    zipf: float = 0.9,
    seed: int = 42,
    order: str = "host",
    oversample: float = 1.12,
) -> dict[str, Any]:
    """Write ``in_ptr.npy``, ``in_src.npy``, ``out_deg.npy`` and ``meta.json`` under ``out``."""
    t0 = time.perf_counter()
    n = max(2, round(edges / avg_degree))
    model = _Model(n, avg_degree * oversample, locality, zipf, seed)
    chunks = len(model.bounds) - 1
    count = np.zeros(n, dtype=np.int64)
    for k in range(chunks):
        _, dst = model.chunk(k)
        count += np.bincount(dst, minlength=n)
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(count, out=in_ptr[1:])
    del count
    in_src = np.empty(int(in_ptr[-1]), dtype=np.int32)
    cursor = in_ptr[:-1].copy()
    for k in range(chunks):
        src, dst = model.chunk(k)
        _scatter(src, dst, cursor, in_src)
    del cursor
    keep = np.zeros(n, dtype=np.int64)
    _sort_unique_counts(in_ptr, in_src, keep)
    new_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(keep, out=new_ptr[1:])
    del keep
    _compact(in_ptr, in_src, new_ptr)
    m = int(new_ptr[-1])
    in_src = in_src[:m].copy()  # a fresh array of exactly m entries (frees the tail)
    in_ptr = new_ptr
    if order == "random":
        perm = np.random.default_rng([seed, 2]).permutation(n).astype(np.int32)
        deg = np.diff(in_ptr)
        new_deg = np.empty(n, dtype=np.int64)
        new_deg[perm] = deg
        del deg
        new_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(new_deg, out=new_ptr[1:])
        del new_deg
        relabelled = np.empty(m, dtype=np.int32)
        _relabel_copy(in_ptr, in_src, perm, new_ptr, relabelled)
        in_src, in_ptr = relabelled, new_ptr
    elif order != "host":
        raise ValueError("order must be 'host' or 'random'")
    out_deg = np.bincount(in_src, minlength=n).astype(np.int32)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "in_ptr.npy", in_ptr)
    np.save(out / "in_src.npy", in_src)
    np.save(out / "out_deg.npy", out_deg)
    indeg = np.diff(in_ptr)
    meta: dict[str, Any] = {
        "kind": "generated",
        "n": n,
        "m": m,
        "edges_asked": edges,
        "edges_drawn": model.drawn,
        "avg_degree": avg_degree,
        "locality": locality,
        "zipf": zipf,
        "seed": seed,
        "order": order,
        "hosts": int(model.host_size.shape[0]),
        "dangling_share": float((out_deg == 0).mean()),
        "max_in_degree": int(indeg.max()),
        "max_out_degree": int(out_deg.max()),
        "gen_seconds": round(time.perf_counter() - t0, 2),
        "gen_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edges", type=float, required=True, help="millions of edges (about)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--avg-degree", type=float, default=12.0)
    ap.add_argument("--locality", type=float, default=0.6)
    ap.add_argument("--zipf", type=float, default=0.9)
    ap.add_argument("--order", choices=("host", "random"), default="host")
    args = ap.parse_args(argv)
    meta = generate(
        round(args.edges * 1e6),
        args.out,
        avg_degree=args.avg_degree,
        locality=args.locality,
        zipf=args.zipf,
        seed=args.seed,
        order=args.order,
    )
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
