"""The 0–100 rating: ``100 · ln(PR/PR_base) / ln(PR_max/PR_base)`` clipped, 0 without in-links,
100 at the top, monotonic in PageRank."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from backlinks.graph.csr import from_edges
from backlinks.rank.pagerank import pagerank
from backlinks.rank.rating import base_rank, rating

finite_scores = arrays(
    np.float64,
    st.integers(1, 60),
    elements=st.floats(1e-12, 1.0, allow_nan=False, allow_infinity=False),
)


def test_formula_by_hand() -> None:
    pr = np.array([0.01, 0.02, 0.04, 0.16, 0.01])
    indeg = np.array([0, 1, 2, 5, 0])
    got = rating(pr, indeg)
    lo, hi = 0.01, 0.16
    expected = [100 * math.log(p / lo) / math.log(hi / lo) for p in pr]
    assert got.tolist() == pytest.approx(expected, abs=1e-12)
    assert got[3] == 100.0
    assert got[0] == got[4] == 0.0
    assert got[1] == pytest.approx(25.0)
    assert got[2] == pytest.approx(50.0)


def test_top_is_100_and_orphans_are_0_on_a_real_pagerank() -> None:
    rng = np.random.default_rng(3)
    n, m = 400, 2000
    src, dst = rng.integers(0, n, m), rng.integers(0, n // 3, m)
    g = from_edges(src, dst, n)
    pr = pagerank(g, tol=1e-12, max_iter=1000).scores
    indeg = g.in_degree()
    r = rating(pr, indeg)
    assert r[int(np.argmax(pr))] == 100.0
    assert (indeg == 0).any()
    assert np.all(r[indeg == 0] == 0.0)
    assert np.all((r >= 0) & (r <= 100))
    # nodes with in-links rank above the orphans (PageRank with uniform teleport)
    assert np.all(r[indeg > 0] > 0)
    # monotonic: sorting by PageRank sorts the ratings
    order = np.argsort(pr, kind="stable")
    assert np.all(np.diff(r[order]) >= 0)
    # the base is the PageRank of a node without in-links, (1-d)/n plus its dangling share
    dangling_mass = pr[g.out_deg == 0].sum()
    assert base_rank(pr, indeg) == pytest.approx((0.15 + 0.85 * dangling_mass) / n, rel=1e-9)


def test_domain_rating_against_networkx_pagerank() -> None:
    """The rating computed from networkx's PageRank is the same function of the same graph."""
    ref = nx.gnp_random_graph(120, 0.03, seed=4, directed=True)
    ref.add_nodes_from(range(120, 130))  # isolated domains
    g = from_edges([u for u, _ in ref.edges], [v for _, v in ref.edges], ref.number_of_nodes())
    nxpr = nx.pagerank(ref, tol=1e-14, max_iter=1000)
    expected = rating(np.asarray([nxpr[i] for i in range(g.n)]), g.in_degree())
    got = rating(pagerank(g, tol=1e-12, max_iter=1000).scores, g.in_degree())
    assert np.abs(got - expected).max() < 1e-6
    assert np.all(got[120:] == 0.0)


def test_empty_input() -> None:
    out = rating(np.zeros(0), np.zeros(0, dtype=np.int64))
    assert out.shape == (0,)
    assert out.dtype == np.float64
    assert base_rank(np.zeros(0), np.zeros(0)) == 0.0


def test_all_equal_input_is_all_zero() -> None:
    for indeg in (np.zeros(5, dtype=np.int64), np.ones(5, dtype=np.int64)):
        out = rating(np.full(5, 0.2), indeg)
        assert out.tolist() == [0.0] * 5
        assert np.all(np.isfinite(out))


def test_no_orphans_uses_the_smallest_score_as_base() -> None:
    pr = np.array([0.1, 0.2, 0.3, 0.4])
    assert base_rank(pr, np.ones(4)) == 0.1
    out = rating(pr, np.ones(4))
    assert out[0] == 0.0
    assert out[3] == 100.0


def test_fixed_scale() -> None:
    pr = np.array([0.01, 0.1, 0.5])
    indeg = np.array([0, 3, 9])
    out = rating(pr, indeg, base=0.01, top=1.0)
    assert out[1] == pytest.approx(50.0)
    assert out[2] == pytest.approx(100 * math.log(50) / math.log(100))
    assert rating(np.array([2.0]), np.array([1]), base=0.01, top=1.0)[0] == 100.0  # clipped
    assert rating(pr, indeg, base=0.0).tolist() == [0.0, 0.0, 0.0]  # degenerate scale
    assert rating(pr, indeg, base=0.6).tolist() == [0.0, 0.0, 0.0]


@settings(max_examples=200, deadline=None)
@given(scores=finite_scores, data=st.data())
def test_monotonic_in_pagerank(scores: np.ndarray, data: st.DataObject) -> None:
    n = scores.size
    indeg = np.asarray(data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)))
    out = rating(scores, indeg)
    assert out.shape == scores.shape
    assert np.all(np.isfinite(out))
    assert np.all((out >= 0.0) & (out <= 100.0))
    assert np.all(out[indeg == 0] == 0.0)
    linked = indeg > 0
    if linked.any():
        s, r = scores[linked], out[linked]
        order = np.argsort(s, kind="stable")
        assert np.all(np.diff(r[order]) >= 0), "rating must not decrease as PageRank grows"
        # equal PageRank, equal rating
        for value in np.unique(s):
            assert np.ptp(r[s == value]) == 0.0
    top = int(np.argmax(scores))
    if indeg[top] > 0 and scores[top] > base_rank(scores, indeg):
        assert out[top] == 100.0


@settings(max_examples=100, deadline=None)
@given(scores=finite_scores)
def test_monotonic_when_orphans_hold_the_smallest_score(scores: np.ndarray) -> None:
    """As in real PageRank: nodes without in-links have the least rank, and then the map is
    monotonic over all nodes and the top node rates exactly 100."""
    lo = float(scores.min())
    indeg = (scores > lo).astype(np.int64)
    out = rating(scores, indeg)
    order = np.argsort(scores, kind="stable")
    assert np.all(np.diff(out[order]) >= 0)
    if scores.max() > lo:
        assert out[int(np.argmax(scores))] == 100.0
    else:
        assert np.all(out == 0.0)
