"""TrustRank, inverse PageRank and seed selection against networkx: TrustRank is personalised
PageRank with uniform teleport over the seeds; inverse PageRank is PageRank on the reversed
graph."""

from __future__ import annotations

import networkx as nx
import numpy as np
import numpy.typing as npt
import pytest

from backlinks.graph.csr import Graph, from_edges
from backlinks.rank.pagerank import pagerank
from backlinks.rank.trust import inverse_pagerank, select_seeds, transpose, trustrank

F64 = npt.NDArray[np.float64]


def random_graph(seed: int, n: int, m: int) -> tuple[Graph, nx.DiGraph]:
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = np.where(rng.random(m) < 0.6, rng.integers(0, max(n // 10, 1), m), rng.integers(0, n, m))
    src = np.where(src >= n - n // 6, rng.integers(0, n, m) // 2, src)  # leave dangling nodes
    g = from_edges(src, dst, n, labels=[f"node{i}" for i in range(n)])
    ref = nx.DiGraph()
    ref.add_nodes_from(range(n))
    ref.add_edges_from((int(s), int(d)) for s, d in zip(src, dst, strict=True) if s != d)
    return g, ref


def vec(scores: dict[int, float], n: int) -> F64:
    return np.asarray([scores[i] for i in range(n)])


def nx_pagerank(ref: nx.DiGraph, **kwargs: object) -> F64:
    n = ref.number_of_nodes()
    return vec(nx.pagerank(ref, tol=1e-13 / n, max_iter=2000, **kwargs), n)


def edge_set(g: Graph) -> set[tuple[int, int]]:
    src, dst = g.edges()
    return set(zip(src.tolist(), dst.tolist(), strict=True))


@pytest.mark.parametrize(("seed", "n", "m"), [(1, 50, 200), (2, 400, 2000)])
def test_trustrank_is_networkx_personalised_pagerank(seed: int, n: int, m: int) -> None:
    g, ref = random_graph(seed, n, m)
    rng = np.random.default_rng(seed)
    seeds = rng.choice(n, size=max(n // 10, 2), replace=False)
    pers = {int(s): 1.0 for s in seeds}
    expected = nx_pagerank(ref, personalization=pers)
    got = trustrank(g, seeds, tol=1e-12, max_iter=1000)
    assert np.abs(got.scores - expected).sum() < 1e-10
    assert np.abs(trustrank(g, seeds).scores - expected).sum() < 1e-6
    # duplicate seeds count once
    again = trustrank(g, np.concatenate([seeds, seeds[:1]]), tol=1e-12, max_iter=1000)
    assert np.abs(again.scores - got.scores).sum() < 1e-12
    # trust concentrates at the seeds: unreachable nodes get none
    reach: set[int] = set()
    for s in seeds:
        reach |= nx.descendants(ref, int(s)) | {int(s)}
    unreachable = np.asarray(sorted(set(range(n)) - reach), dtype=np.int64)
    if unreachable.size:
        assert np.all(got.scores[unreachable] < 1e-12)


def test_trustrank_damping_is_passed_through() -> None:
    g, ref = random_graph(3, 80, 300)
    expected = nx_pagerank(ref, alpha=0.7, personalization={0: 1.0, 5: 1.0})
    got = trustrank(g, [0, 5], damping=0.7, tol=1e-12, max_iter=1000)
    assert np.abs(got.scores - expected).sum() < 1e-10


def test_trustrank_needs_seeds() -> None:
    g, _ = random_graph(4, 10, 20)
    with pytest.raises(ValueError, match="at least one seed"):
        trustrank(g, np.zeros(0, dtype=np.int64))


def test_transpose_reverses_every_edge() -> None:
    g, ref = random_graph(5, 300, 1500)
    t = transpose(g)
    assert t.n == g.n
    assert t.m == g.m
    assert edge_set(t) == {(d, s) for s, d in edge_set(g)}
    assert edge_set(t) == set(ref.reverse().edges)
    assert np.array_equal(t.out_deg, g.in_degree())
    assert np.array_equal(t.in_degree(), g.out_deg)
    assert t.in_ptr.dtype == np.int64
    assert t.in_src.dtype == np.int32
    assert t.out_deg.dtype == np.int32
    assert np.array_equal(t.ids, g.ids)
    assert t.labels == g.labels
    # CSR invariants: rows are well-formed and sorted by source
    assert t.in_ptr[0] == 0
    assert t.in_ptr[-1] == t.m
    for v in range(t.n):
        row = t.in_src[t.in_ptr[v] : t.in_ptr[v + 1]]
        assert np.all(np.diff(row) > 0)
    # twice is the identity
    tt = transpose(t)
    assert np.array_equal(tt.in_ptr, g.in_ptr)
    assert np.array_equal(tt.in_src, g.in_src)
    assert np.array_equal(tt.out_deg, g.out_deg)


def test_transpose_of_empty_and_edgeless_graphs() -> None:
    empty = transpose(from_edges([], [], 0))
    assert empty.n == 0
    assert empty.m == 0
    lonely = transpose(from_edges([], [], 4))
    assert lonely.n == 4
    assert lonely.m == 0
    assert lonely.in_ptr.tolist() == [0, 0, 0, 0, 0]


def test_inverse_pagerank_is_pagerank_of_the_reversed_graph() -> None:
    g, ref = random_graph(6, 500, 2500)
    expected = nx_pagerank(ref.reverse(copy=True))
    got = inverse_pagerank(g, tol=1e-12, max_iter=1000)
    assert np.abs(got.scores - expected).sum() < 1e-10
    assert np.abs(inverse_pagerank(g).scores - expected).sum() < 1e-6
    # and it is not just PageRank again
    assert np.abs(pagerank(g).scores - expected).sum() > 1e-2


def test_select_seeds_takes_top_inverse_pagerank() -> None:
    g, ref = random_graph(7, 300, 1200)
    inv = nx_pagerank(ref.reverse(copy=True))
    order = np.argsort(-inv, kind="stable")
    seeds = select_seeds(g, k=10)
    assert seeds.dtype == np.int64
    assert len(seeds) == 10
    assert len(set(seeds.tolist())) == 10
    # the same set as networkx's top 10 (ties aside: compare by score)
    assert np.allclose(np.sort(inv[seeds]), np.sort(inv[order[:10]]), atol=1e-9)
    assert np.all(np.diff(inv[seeds]) <= 1e-9)  # best first


def test_select_seeds_honours_allow_and_k() -> None:
    g, _ = random_graph(8, 200, 800)
    inv = inverse_pagerank(g).scores
    even = select_seeds(g, k=15, allow=lambda v: v % 2 == 0, inverse=inv)
    assert len(even) == 15
    assert all(v % 2 == 0 for v in even.tolist())
    expected = [int(v) for v in np.argsort(-inv, kind="stable") if v % 2 == 0][:15]
    assert even.tolist() == expected
    # k larger than what the predicate allows: all allowed, no more
    few = select_seeds(g, k=50, allow=lambda v: v in {3, 9, 27}, inverse=inv)
    assert sorted(few.tolist()) == [3, 9, 27]
    none = select_seeds(g, k=5, allow=lambda v: False, inverse=inv)
    assert none.size == 0
    assert none.dtype == np.int64
    assert len(select_seeds(g, k=1, inverse=inv)) == 1
    # a caller-supplied score vector is used as is
    custom = np.zeros(g.n)
    custom[[4, 40, 140]] = [1.0, 3.0, 2.0]
    assert select_seeds(g, k=3, inverse=custom).tolist() == [40, 140, 4]


def test_seeds_feed_trustrank() -> None:
    g, ref = random_graph(9, 150, 600)
    seeds = select_seeds(g, k=5, allow=lambda v: v < 100)
    expected = nx_pagerank(ref, personalization={int(s): 1.0 for s in seeds})
    got = trustrank(g, seeds, tol=1e-12, max_iter=1000)
    assert np.abs(got.scores - expected).sum() < 1e-10
