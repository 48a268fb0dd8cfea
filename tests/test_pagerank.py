"""PageRank against independent references: networkx's ``pagerank`` (on the real UK Web Archive
1996 host graph and on random graphs, with personalisation and dangling vectors) and the slow
NumPy ``pagerank_reference``; plus the edge cases (empty graph, no edges, damping 0, self-loops,
non-convergence)."""

from __future__ import annotations

import gzip
from pathlib import Path

import networkx as nx
import numpy as np
import numpy.typing as npt
import pytest

from backlinks.graph.csr import Graph, from_edges
from backlinks.graph.edgefile import load_edge_file
from backlinks.rank.pagerank import ConvergenceError, pagerank, pagerank_reference
from datapaths import SHARED_DATA

UKWA = SHARED_DATA / "ukwa-1996-host-graph/1996-uk-web-hosts.tsv.gz"

F64 = npt.NDArray[np.float64]


def random_graph(seed: int, n: int, m: int) -> tuple[Graph, nx.DiGraph]:
    """Our graph and the same graph in networkx (self-loops and duplicates in the input: both
    sides drop/merge them, networkx by construction of a DiGraph without self-loops)."""
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    # a power-law-ish target choice so ranks differ a lot, and a block of dangling nodes
    dst = np.where(rng.random(m) < 0.5, (dst * dst) // max(n, 1), dst)
    src = np.where(src >= n - n // 5, rng.integers(0, n - n // 5, m), src)
    g = from_edges(src, dst, n)
    ref = nx.DiGraph()
    ref.add_nodes_from(range(n))
    ref.add_edges_from((int(s), int(d)) for s, d in zip(src, dst, strict=True) if s != d)
    return g, ref


def as_vector(scores: dict[int, float], n: int) -> F64:
    return np.asarray([scores[i] for i in range(n)], dtype=np.float64)


def l1(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    return float(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)).sum())


def nx_exact(ref: nx.DiGraph, **kwargs: object) -> F64:
    """networkx PageRank run to (near) machine precision: it stops when the L1 change is below
    ``n · tol``, so ``tol`` is divided by ``n``."""
    n = ref.number_of_nodes()
    out = nx.pagerank(ref, tol=1e-13 / n, max_iter=2000, **kwargs)
    return as_vector(out, n)


# --------------------------------------------------------------------------------------------
# the UK Web Archive 1996 host graph


def parse_ukwa(path: Path) -> nx.DiGraph:
    """The documented graph definition, parsed without our loader: ``YEAR|src|dst<TAB>count``,
    hosts lower-cased, self-loops removed, parallel edges merged, every host a node (also one
    that only links to itself)."""
    graph = nx.DiGraph()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for raw in fh:
            line = raw.rstrip("\r\n")
            if not line:
                continue
            _year, src, dst = line.split("\t", 1)[0].split("|")
            src, dst = src.lower(), dst.lower()
            graph.add_node(src)
            graph.add_node(dst)
            if src != dst:
                graph.add_edge(src, dst)
    return graph


@pytest.fixture(scope="module")
def ukwa() -> tuple[Graph, nx.DiGraph, dict[str, float]]:
    if not UKWA.exists():
        pytest.skip(f"UK Web Archive host graph not present at {UKWA}")
    g = load_edge_file(UKWA, "host")
    ref = parse_ukwa(UKWA)
    n = ref.number_of_nodes()
    scores = nx.pagerank(ref, alpha=0.85, tol=1e-13 / n, max_iter=2000)
    return g, ref, scores


def test_ukwa_graph_matches_independent_parse(
    ukwa: tuple[Graph, nx.DiGraph, dict[str, float]],
) -> None:
    g, ref, _ = ukwa
    assert g.labels is not None
    assert g.n == ref.number_of_nodes()
    assert g.m == ref.number_of_edges()
    assert set(g.labels) == set(ref.nodes)
    assert len(set(g.labels)) == g.n
    src, dst = g.edges()
    labels = g.labels
    ours = {(labels[s], labels[d]) for s, d in zip(src.tolist(), dst.tolist(), strict=True)}
    assert ours == set(ref.edges)
    assert g.meta["bad_lines"] == 0
    assert g.meta["collisions"] == 0
    assert int(g.meta["self_loops"]) > 0  # type: ignore[call-overload]
    # hosts with a self-loop only are still nodes
    isolated = [v for v in ref.nodes if ref.degree(v) == 0]
    assert isolated
    idx = {name: i for i, name in enumerate(labels)}
    assert all(g.out_deg[idx[v]] == 0 and g.in_degree()[idx[v]] == 0 for v in isolated)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ukwa_pagerank_matches_networkx(
    ukwa: tuple[Graph, nx.DiGraph, dict[str, float]], dtype: type[np.floating[object]]
) -> None:
    g, _, scores = ukwa
    assert g.labels is not None
    expected = np.asarray([scores[name] for name in g.labels])
    result = pagerank(g, dtype=dtype)  # defaults: damping 0.85, tol 1e-6 (L1)
    assert result.scores.dtype == dtype
    err = l1(result.scores, expected)
    print(
        f"UKWA 1996 hosts (n={g.n:,}, m={g.m:,}) {np.dtype(dtype).name}: L1 vs networkx = "
        f"{err:.3e} after {result.iterations} iterations (bound reported {result.error:.3e})"
    )
    assert err < 1e-6
    assert err <= result.error  # the reported bound holds, rounding included
    assert abs(float(result.scores.sum()) - 1.0) < 1e-5
    # the same top hosts in the same order
    top_ours = np.argsort(-result.scores.astype(np.float64), kind="stable")[:20]
    top_ref = np.argsort(-expected, kind="stable")[:20]
    assert np.array_equal(top_ours[:10], top_ref[:10])


def test_ukwa_error_bound_is_honest(ukwa: tuple[Graph, nx.DiGraph, dict[str, float]]) -> None:
    g, _, scores = ukwa
    assert g.labels is not None
    expected = np.asarray([scores[name] for name in g.labels])
    for tol in (1e-4, 1e-6, 1e-9):
        result = pagerank(g, tol=tol)
        assert result.error < tol
        assert l1(result.scores, expected) <= result.error + 1e-12


# --------------------------------------------------------------------------------------------
# random graphs


@pytest.mark.parametrize(("seed", "n", "m"), [(1, 40, 120), (2, 300, 1500), (3, 1000, 2500)])
def test_random_graphs_three_ways(seed: int, n: int, m: int) -> None:
    g, ref = random_graph(seed, n, m)
    assert g.m == ref.number_of_edges()
    expected = nx_exact(ref)
    default = pagerank(g)
    assert l1(default.scores, expected) < 1e-6
    tight = pagerank(g, tol=1e-12, max_iter=1000)
    assert l1(tight.scores, expected) < 1e-10
    slow = pagerank_reference(g)
    assert l1(slow, expected) < 1e-8
    assert l1(tight.scores, slow) < 1e-8


@pytest.mark.parametrize("damping", [0.5, 0.85, 0.95])
def test_damping_values_match_networkx(damping: float) -> None:
    g, ref = random_graph(7, 200, 800)
    expected = as_vector(nx.pagerank(ref, alpha=damping, tol=1e-15, max_iter=5000), g.n)
    got = pagerank(g, damping=damping, tol=1e-11, max_iter=5000)
    assert l1(got.scores, expected) < 1e-9


def test_personalisation_and_dangling_match_networkx() -> None:
    g, ref = random_graph(11, 150, 600)
    rng = np.random.default_rng(5)
    pers = rng.random(g.n) * (rng.random(g.n) < 0.3)  # sparse teleport, unnormalised
    dang = rng.random(g.n)
    pers_d = {i: float(pers[i]) for i in range(g.n)}
    dang_d = {i: float(dang[i]) for i in range(g.n)}
    assert (g.out_deg == 0).any()

    expected = nx_exact(ref, personalization=pers_d)
    got = pagerank(g, personalization=pers, tol=1e-12, max_iter=1000)
    assert l1(got.scores, expected) < 1e-10

    expected = nx_exact(ref, personalization=pers_d, dangling=dang_d)
    got = pagerank(g, personalization=pers, dangling=dang, tol=1e-12, max_iter=1000)
    assert l1(got.scores, expected) < 1e-10

    expected = nx_exact(ref, dangling=dang_d)
    got = pagerank(g, dangling=dang, tol=1e-12, max_iter=1000)
    assert l1(got.scores, expected) < 1e-10
    # default tolerance keeps its 1e-6 promise here too
    assert l1(pagerank(g, dangling=dang).scores, expected) < 1e-6


def test_warm_start_gives_the_same_result() -> None:
    g, ref = random_graph(13, 400, 1600)
    expected = nx_exact(ref)
    cold = pagerank(g, tol=1e-10)
    # from the answer itself: one iteration confirms it
    again = pagerank(g, tol=1e-10, init=cold.scores)
    assert again.iterations <= 2
    assert l1(again.scores, expected) < 1e-10
    # from the ranks of a slightly different graph: fewer iterations, same answer
    src, dst = g.edges()
    g_less = from_edges(src[10:], dst[10:], g.n)
    near = pagerank(g_less, tol=1e-10).scores
    warm = pagerank(g, tol=1e-10, init=near)
    assert warm.iterations < cold.iterations
    assert l1(warm.scores, expected) < 1e-10
    # from any positive vector (it is normalised)
    odd = pagerank(g, tol=1e-10, init=np.arange(1, g.n + 1, dtype=np.float64))
    assert l1(odd.scores, expected) < 1e-10


def test_damping_zero_is_the_teleport_vector() -> None:
    g, ref = random_graph(17, 60, 200)
    uniform = pagerank(g, damping=0.0)
    assert np.allclose(uniform.scores, 1.0 / g.n)
    assert uniform.iterations <= 2
    pers = np.arange(g.n, dtype=np.float64) + 1.0
    got = pagerank(g, damping=0.0, personalization=pers)
    assert np.allclose(got.scores, pers / pers.sum())
    expected = as_vector(
        nx.pagerank(ref, alpha=0.0, personalization={i: float(pers[i]) for i in range(g.n)}),
        g.n,
    )
    assert l1(got.scores, expected) < 1e-12


def test_scores_sum_to_one_and_are_positive() -> None:
    g, _ = random_graph(19, 500, 3000)
    for dtype in (np.float64, np.float32):
        scores = pagerank(g, dtype=dtype).scores
        assert abs(float(scores.astype(np.float64).sum()) - 1.0) < 1e-5
        assert (scores > 0).all()


# --------------------------------------------------------------------------------------------
# edge cases


def test_empty_graph() -> None:
    g = from_edges([], [], 0)
    result = pagerank(g)
    assert result.scores.shape == (0,)
    assert result.iterations == 0
    assert pagerank_reference(g).shape == (0,)


def test_dangling_nodes_only_is_uniform() -> None:
    g = from_edges([], [], 7)
    result = pagerank(g)
    assert np.allclose(result.scores, 1.0 / 7, rtol=0, atol=1e-15)
    ref = nx.DiGraph()
    ref.add_nodes_from(range(7))
    assert l1(result.scores, as_vector(nx.pagerank(ref), 7)) < 1e-12
    assert np.allclose(pagerank_reference(g), 1.0 / 7)


def test_from_edges_drops_self_loops_and_merges_parallel_edges() -> None:
    g = from_edges([0, 1, 1, 2, 2, 2], [0, 1, 2, 0, 0, 2], 3)
    src, dst = g.edges()
    assert sorted(zip(src.tolist(), dst.tolist(), strict=True)) == [(1, 2), (2, 0)]
    assert g.out_deg.tolist() == [0, 1, 1]
    assert g.in_degree().tolist() == [1, 0, 1]
    kept = from_edges([0, 1, 1, 2, 2, 2], [0, 1, 2, 0, 0, 2], 3, drop_self_loops=False)
    assert kept.m == 5
    # a self-loop-only node ranks like an isolated node
    ref = nx.DiGraph([(1, 2), (2, 0)])
    assert l1(pagerank(g, tol=1e-12).scores, nx_exact(ref)) < 1e-10


def test_from_edges_validates() -> None:
    with pytest.raises(ValueError, match="same length"):
        from_edges([0, 1], [1], 2)
    with pytest.raises(ValueError, match="outside"):
        from_edges([0, 2], [1, 0], 2)


def test_convergence_failure_raises() -> None:
    g, _ = random_graph(23, 200, 800)
    with pytest.raises(ConvergenceError, match=r"did not converge in 2 iterations") as info:
        pagerank(g, max_iter=2)
    assert "max_iter" in str(info.value)
    assert "tol" in str(info.value)


def test_float32_cannot_promise_less_than_its_rounding_floor() -> None:
    g, ref = random_graph(37, 300, 1200)
    expected = nx_exact(ref)
    result = pagerank(g, dtype=np.float32)
    assert l1(result.scores, expected) <= result.error < 1e-6
    with pytest.raises(ConvergenceError, match="rounding floor alone"):
        pagerank(g, dtype=np.float32, tol=1e-8, max_iter=300)
    assert pagerank(g, tol=1e-13, max_iter=500).error < 1e-13  # float64 can


def test_bad_arguments() -> None:
    g, _ = random_graph(29, 10, 20)
    with pytest.raises(ValueError, match="damping"):
        pagerank(g, damping=1.0)
    with pytest.raises(ValueError, match="non-negative"):
        pagerank(g, personalization=-np.ones(g.n))
    with pytest.raises(ValueError, match="positive sum"):
        pagerank(g, dangling=np.zeros(g.n))
    with pytest.raises(ValueError, match="one entry per node"):
        pagerank(g, init=np.ones(g.n + 1))


def test_on_iteration_reports_a_shrinking_bound() -> None:
    g, _ = random_graph(31, 300, 1200)
    seen: list[tuple[int, float]] = []
    result = pagerank(g, on_iteration=lambda i, e: seen.append((i, e)))
    assert [i for i, _ in seen] == list(range(1, result.iterations + 1))
    assert seen[-1][1] == result.error < 1e-6
    assert seen[-1][1] < seen[0][1]
