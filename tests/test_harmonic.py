"""Harmonic centrality: exact (vs networkx and a plain BFS reference) and HyperBall accuracy."""

from __future__ import annotations

import math
from collections import deque

import networkx as nx
import numpy as np
import pytest
from scipy import sparse
from scipy.sparse import csgraph
from scipy.stats import spearmanr

from backlinks.graph.csr import Graph, from_edges
from backlinks.rank.harmonic import harmonic, harmonic_exact, harmonic_hyperball

Edges = list[tuple[int, int]]


def _graph(n: int, edges: Edges, *, keep_self_loops: bool = False) -> Graph:
    src = [s for s, _ in edges]
    dst = [d for _, d in edges]
    return from_edges(src, dst, n, drop_self_loops=not keep_self_loops)


def _networkx(n: int, edges: Edges) -> np.ndarray:
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    h = nx.harmonic_centrality(g)
    return np.array([h[v] for v in range(n)], dtype=np.float64)


def _reference(n: int, edges: Edges) -> np.ndarray:
    """The definition, slowly: for each v, BFS backwards along links; add 1/d(u, v)."""
    preds: list[list[int]] = [[] for _ in range(n)]
    for s, d in edges:
        preds[d].append(s)
    out = np.zeros(n)
    for v in range(n):
        dist = {v: 0}
        queue = deque([v])
        while queue:
            x = queue.popleft()
            for u in preds[x]:
                if u not in dist:
                    dist[u] = dist[x] + 1
                    queue.append(u)
        out[v] = sum(1.0 / d for u, d in dist.items() if u != v)
    return out


def _random_edges(n: int, m: int, seed: int) -> Edges:
    rng = np.random.default_rng(seed)
    return list(zip(rng.integers(0, n, m).tolist(), rng.integers(0, n, m).tolist(), strict=True))


SMALL_GRAPHS: dict[str, tuple[int, Edges]] = {
    "random-sparse": (60, _random_edges(60, 90, 1)),
    "random-dense": (40, _random_edges(40, 400, 2)),
    "random-medium": (300, _random_edges(300, 1200, 3)),
    "path": (12, [(i, i + 1) for i in range(11)]),
    "in-star": (9, [(i, 0) for i in range(1, 9)]),
    "out-star": (9, [(0, i) for i in range(1, 9)]),
    "cycle": (7, [(i, (i + 1) % 7) for i in range(7)]),
    "two-cycles-and-a-tail": (
        14,
        [(i, (i + 1) % 5) for i in range(5)]
        + [(5 + i, 5 + (i + 1) % 4) for i in range(4)]
        + [(4, 9), (9, 10), (10, 11), (12, 13)],
    ),
    "dag": (8, [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (1, 5), (5, 6), (6, 4)]),
    "complete": (6, [(i, j) for i in range(6) for j in range(6) if i != j]),
    "self-loops": (6, [(0, 0), (0, 1), (1, 1), (1, 2), (2, 0), (3, 3), (4, 5)]),
    "isolated-and-dangling": (10, [(0, 1), (2, 1), (3, 1)]),
}


@pytest.mark.parametrize("name", sorted(SMALL_GRAPHS))
def test_exact_matches_networkx(name: str) -> None:
    n, edges = SMALL_GRAPHS[name]
    expected = _networkx(n, edges)
    got = harmonic_exact(_graph(n, edges, keep_self_loops=True))
    assert got.dtype == np.float64
    assert got.shape == (n,)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got, _reference(n, edges), rtol=1e-9, atol=1e-12)


def test_exact_direction_is_incoming() -> None:
    # 0 -> 1 -> 2: node 2 is reached from 0 (d=2) and 1 (d=1); node 0 from nobody.
    h = harmonic_exact(_graph(3, [(0, 1), (1, 2)]))
    np.testing.assert_allclose(h, [0.0, 1.0, 1.5])


@pytest.mark.parametrize("words", [1, 2, 3])
def test_exact_any_batch_width(words: int) -> None:
    n, edges = SMALL_GRAPHS["random-medium"]
    got = harmonic_exact(_graph(n, edges), words=words)
    np.testing.assert_allclose(got, _networkx(n, edges), rtol=1e-9)


def test_edge_cases() -> None:
    empty = _graph(0, [])
    for f in (harmonic_exact, harmonic_hyperball, harmonic):
        out = f(empty)
        assert out.shape == (0,)
        assert out.dtype == np.float64
    no_links = _graph(5, [])
    for f in (harmonic_exact, harmonic_hyperball, harmonic):
        np.testing.assert_array_equal(f(no_links), np.zeros(5))
    only_loops = _graph(3, [(0, 0), (1, 1)], keep_self_loops=True)
    np.testing.assert_array_equal(harmonic_exact(only_loops), np.zeros(3))
    np.testing.assert_array_equal(harmonic_hyperball(only_loops), np.zeros(3))
    # Self-loops change nothing, in either algorithm.
    n, edges = SMALL_GRAPHS["self-loops"]
    with_loops = _graph(n, edges, keep_self_loops=True)
    without = _graph(n, edges)
    np.testing.assert_array_equal(harmonic_exact(with_loops), harmonic_exact(without))
    np.testing.assert_array_equal(harmonic_hyperball(with_loops), harmonic_hyperball(without))
    # Isolated nodes score 0 next to a linked part.
    n, edges = SMALL_GRAPHS["isolated-and-dangling"]
    hb = harmonic_hyperball(_graph(n, edges))
    assert np.all(hb[4:] == 0.0)
    assert hb[1] > 0.0


def test_invalid_arguments() -> None:
    g = _graph(3, [(0, 1)])
    with pytest.raises(ValueError, match="log2m"):
        harmonic_hyperball(g, log2m=3)
    with pytest.raises(ValueError, match="words"):
        harmonic_exact(g, words=0)
    with pytest.raises(TypeError, match="log2n"):
        harmonic(g, log2n=8)


def test_hyperball_small_sets_are_nearly_exact() -> None:
    # With many registers and small balls, linear counting is close to exact.
    n, edges = SMALL_GRAPHS["random-medium"]
    g = _graph(n, edges)
    exact = harmonic_exact(g)
    approx = harmonic_hyperball(g, log2m=12)
    pos = exact > 0
    rel = np.abs(approx[pos] - exact[pos]) / exact[pos]
    assert rel.mean() < 0.05
    assert harmonic_hyperball(_graph(12, SMALL_GRAPHS["path"][1]), log2m=12)[0] == 0.0


def test_harmonic_dispatch() -> None:
    n, edges = SMALL_GRAPHS["random-medium"]
    g = _graph(n, edges)
    np.testing.assert_array_equal(harmonic(g), harmonic_exact(g))
    np.testing.assert_array_equal(
        harmonic(g, exact_limit=10, log2m=6, seed=3), harmonic_hyperball(g, log2m=6, seed=3)
    )


# --------------------------------------------------------------------------------------------
# accuracy of HyperBall on a web-like graph


def web_graph(n: int = 50_000, m: int = 400_000, seed: int = 7) -> Graph:
    """Directed Chung–Lu graph with power-law weights: in-degree exponent ≈ 2.1, out-degree
    exponent ≈ 2.7 (as measured on web crawls), a giant strongly connected core, ~13 % of
    nodes without in-links. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    rank = np.arange(1, n + 1, dtype=np.float64)
    w_in = rank ** (-1 / 1.1)
    w_out = rank ** (-1 / 1.7)
    src = rng.choice(n, size=m, p=w_out / w_out.sum())
    dst = rng.permutation(n)[rng.choice(n, size=m, p=w_in / w_in.sum())]
    return from_edges(src, dst, n)


@pytest.fixture(scope="module")
def web() -> tuple[Graph, np.ndarray]:
    g = web_graph()
    return g, harmonic_exact(g)


@pytest.mark.slow
def test_exact_on_web_graph_matches_scipy_bfs(web: tuple[Graph, np.ndarray]) -> None:
    g, exact = web
    assert g.n == 50_000
    assert 300_000 <= g.m <= 500_000
    src, dst = g.edges()
    # Transposed adjacency: BFS from v along it gives d(u, v) for every u.
    rev = sparse.csr_matrix((np.ones(g.m), (dst, src)), shape=(g.n, g.n))
    rng = np.random.default_rng(0)
    sample = np.concatenate([np.argsort(g.in_degree())[-20:], rng.choice(g.n, 80, replace=False)])
    dist = csgraph.shortest_path(rev, unweighted=True, indices=sample)
    with np.errstate(divide="ignore"):
        inv = np.where(np.isfinite(dist) & (dist > 0), 1.0 / dist, 0.0)
    np.testing.assert_allclose(exact[sample], inv.sum(axis=1), rtol=1e-9)


@pytest.mark.slow
def test_hyperball_accuracy_on_web_graph(web: tuple[Graph, np.ndarray]) -> None:
    g, exact = web
    log2m = 8
    sigma = 1.04 / math.sqrt(2**log2m)
    approx = harmonic_hyperball(g, log2m=log2m, seed=0)
    pos = exact > 0
    rel = (approx[pos] - exact[pos]) / exact[pos]
    # Most balls end as (nearly) the same giant set, so their errors are strongly correlated:
    # the mean error is about one draw of the counter error, within 2 standard errors here.
    assert np.abs(rel).mean() <= 2 * sigma
    assert spearmanr(exact, approx).statistic >= 0.95
    assert np.all(approx[~pos] == 0.0)
    # Independent seeds average out: the estimator is unbiased up to sigma / sqrt(k).
    seeds = 4
    mean = sum(harmonic_hyperball(g, log2m=log2m, seed=s) for s in range(seeds)) / seeds
    bias = ((mean[pos] - exact[pos]) / exact[pos]).mean()
    assert abs(bias) <= 2 * sigma / math.sqrt(seeds)
