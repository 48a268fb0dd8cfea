"""Link networks among domains: the structures link farms and private blog networks leave.

* **Reciprocal clusters** — groups of domains that link each other back and forth, densely,
  and get most of their own links from inside the group (link farms, link-exchange rings:
  a popular site's friends also link each other, but most of *its* links come from outside).
  Found on the domain graph: the 2-core of the "links back" graph, split into connected
  parts; a part is kept when its directed density and the share of its members' in-links
  that come from members pass the thresholds, else its members with the fewest in-links
  from inside are peeled off and the rest is tried again.
* **Twins** — groups of domains with near-identical sets of something: the domains they link
  to (PBN sites built to one plan) or their sitewide links (one theme, one blogroll). Pairs
  with Jaccard similarity at or above a threshold and enough shared elements are joined
  into groups (connected parts).

Everything is vectorised over edge arrays (NumPy / SciPy sparse), so a domain graph of
millions of nodes is fine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from backlinks.graph.csr import Graph

__all__ = ["Cluster", "reciprocal_clusters", "twin_groups"]

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Cluster:
    """A group of nodes (stable ids) with the figures that make it suspicious."""

    members: tuple[int, ...]
    density: float  # directed edges inside / (k·(k−1)), or mean Jaccard for twins
    inside: float  # share of the members' in-links that come from members, or shared elements


def _two_core(rows: I64, cols: I64, n: int) -> npt.NDArray[np.bool_]:
    """Nodes of the 2-core of an undirected graph given as both edge directions."""
    alive = np.ones(n, dtype=bool)
    while True:
        keep = alive[rows] & alive[cols]
        deg = np.bincount(rows[keep], minlength=n)
        drop = alive & (deg < 2)
        if not drop.any():
            return alive & (deg >= 2)
        alive &= ~drop


def reciprocal_clusters(
    g: Graph, *, min_size: int = 3, min_density: float = 0.8, min_inside: float = 0.7
) -> list[Cluster]:
    """Dense reciprocal clusters of a (domain-level) graph, biggest first."""
    src, dst = (a.astype(np.int64) for a in g.edges())
    if src.size == 0:
        return []
    n = g.n
    key = np.sort(src * n + dst)
    back = key[np.clip(np.searchsorted(key, dst * n + src), 0, key.size - 1)] == dst * n + src
    rs, rd = src[back], dst[back]
    core = _two_core(rs, rd, n)
    keep = core[rs] & core[rd]
    mat = sparse.coo_matrix((np.ones(int(keep.sum())), (rs[keep], rd[keep])), shape=(n, n))
    _, label = connected_components(mat, directed=False)
    label = np.where(core, label, -1)
    in_deg = g.in_degree().astype(np.int64)
    found: list[Cluster] = []
    for comp in np.unique(label[label >= 0]):
        members = np.flatnonzero(label == comp)
        while members.size >= min_size:
            inside_mask = np.zeros(n, dtype=bool)
            inside_mask[members] = True
            internal = inside_mask[src] & inside_mask[dst]
            k = members.size
            density = internal.sum() / (k * (k - 1))
            from_inside = np.bincount(dst[internal], minlength=n)[members]
            inside = from_inside.sum() / max(int(in_deg[members].sum()), 1)
            if density >= min_density and inside >= min_inside:
                found.append(
                    Cluster(tuple(int(x) for x in g.ids[members]), float(density), float(inside))
                )
                break
            share = from_inside / np.maximum(in_deg[members], 1)
            members = members[share > share.min()] if share.min() < share.max() else members[:0]
    found.sort(key=lambda c: (-len(c.members), c.members))
    return found


def twin_groups(
    pairs: pd.DataFrame, *, min_jaccard: float = 0.7, min_shared: int = 2, min_size: int = 2
) -> list[Cluster]:
    """Groups of owners whose element sets are near-identical. ``pairs`` has columns
    ``owner`` and ``element`` (any hashable ids; duplicates ignored); two owners are twins
    when they share at least ``min_shared`` elements and their Jaccard similarity is at
    least ``min_jaccard``; groups are the connected parts of the twin relation with at least
    ``min_size`` owners."""
    if pairs.empty:
        return []
    df = pairs.drop_duplicates(["owner", "element"])
    owners, o_idx = np.unique(df["owner"].to_numpy(), return_inverse=True)
    _, e_idx = np.unique(df["element"].to_numpy(), return_inverse=True)
    mat = sparse.csr_matrix(
        (np.ones(len(df), dtype=np.int32), (o_idx, e_idx)),
        shape=(owners.size, int(e_idx.max()) + 1),
    )
    size = np.asarray(mat.sum(axis=1)).ravel()
    inter = sparse.triu(mat @ mat.T, k=1).tocoo()
    i, j, shared = inter.row, inter.col, inter.data
    jac = shared / (size[i] + size[j] - shared)
    ok = (shared >= min_shared) & (jac >= min_jaccard)
    if not ok.any():
        return []
    graph = sparse.coo_matrix((jac[ok], (i[ok], j[ok])), shape=(owners.size, owners.size))
    _, label = connected_components(graph, directed=False)
    in_pair = np.zeros(owners.size, dtype=bool)
    in_pair[i[ok]] = in_pair[j[ok]] = True
    found = []
    for comp in np.unique(label[in_pair]):
        members = np.flatnonzero((label == comp) & in_pair)
        if members.size < min_size:
            continue
        inside = np.isin(i[ok], members)
        found.append(
            Cluster(
                tuple(sorted(owners[members].tolist())),
                float(jac[ok][inside].mean()),
                float(shared[ok][inside].min()),
            )
        )
    found.sort(key=lambda c: (-len(c.members), c.members))
    return found
