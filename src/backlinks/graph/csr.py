"""The in-memory link graph: in-link CSR arrays with dense ids.

For node ``v`` (dense id ``0..n-1``) its in-neighbours are
``in_src[in_ptr[v]:in_ptr[v + 1]]``; ``out_deg[v]`` is its number of out-links. This is the
layout a *pull* PageRank iteration and HyperBall both read sequentially, at 4 bytes per edge
(int32 sources) plus 12 bytes per node. ``ids`` maps dense ids back to the stable 64-bit ids
of :mod:`backlinks.urls`; ``labels`` (optional) to URLs, host or domain names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


@dataclass(slots=True)
class Graph:
    """A directed graph without parallel edges, stored as in-link CSR."""

    in_ptr: I64
    in_src: I32
    out_deg: I32
    ids: I64
    labels: list[str] | None = None
    level: str = "page"
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.out_deg.shape[0])

    @property
    def m(self) -> int:
        return int(self.in_src.shape[0])

    def in_degree(self) -> I64:
        return np.diff(self.in_ptr)

    def edges(self) -> tuple[I32, I32]:
        """(src, dst) arrays of every edge; allocates 8 bytes per edge (tests, small graphs)."""
        dst = np.repeat(np.arange(self.n, dtype=np.int32), np.diff(self.in_ptr))
        return self.in_src.copy(), dst

    def index_of(self) -> dict[int, int]:
        """Stable id -> dense id (a dict: fine for lookups of a few nodes)."""
        return {int(v): i for i, v in enumerate(self.ids)}


def from_edges(
    src: npt.ArrayLike,
    dst: npt.ArrayLike,
    n: int,
    *,
    ids: npt.ArrayLike | None = None,
    labels: list[str] | None = None,
    level: str = "page",
    drop_self_loops: bool = True,
) -> Graph:
    """Build a graph from dense (src, dst) arrays: parallel edges merged, self-loops dropped
    unless asked to keep them. For small and medium graphs; the store path streams instead."""
    s = np.asarray(src, dtype=np.int64)
    d = np.asarray(dst, dtype=np.int64)
    if s.shape != d.shape:
        raise ValueError("src and dst must have the same length")
    if s.size and (min(s.min(), d.min()) < 0 or max(s.max(), d.max()) >= n):
        raise ValueError("edge endpoint outside 0..n-1")
    if drop_self_loops:
        keep = s != d
        s, d = s[keep], d[keep]
    key = np.unique(d * np.int64(n) + s) if s.size else np.zeros(0, dtype=np.int64)
    d_sorted = (key // n).astype(np.int64)
    s_sorted = (key % n).astype(np.int32)
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(d_sorted, minlength=n), out=in_ptr[1:])
    out_deg = np.bincount(s_sorted, minlength=n).astype(np.int32)
    node_ids = np.arange(n, dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
    return Graph(in_ptr, s_sorted, out_deg, node_ids, labels, level)


def fill_from_sorted(
    batches: Iterable[Any], n: int, m: int, progress: Callable[[int, int], None] | None = None
) -> tuple[I64, I32, I32]:
    """(in_ptr, in_src, out_deg) from Arrow record batches of (src, dst) dense ids sorted by
    dst: the streaming CSR build. Only ``in_src`` grows with the edges (4 bytes each)."""
    in_src = np.empty(m, dtype=np.int32)
    in_count = np.zeros(n, dtype=np.int64)
    done = 0
    for batch in batches:
        s = batch.column(0).to_numpy()
        d = batch.column(1).to_numpy()
        in_src[done : done + len(s)] = s
        if len(d):
            heads, counts = np.unique(d, return_counts=True)  # d arrives sorted: cheap
            in_count[heads] += counts
        done += len(s)
        if progress is not None:
            progress(done, m)
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(in_count, out=in_ptr[1:])
    return in_ptr, in_src, np.bincount(in_src, minlength=n).astype(np.int32)
