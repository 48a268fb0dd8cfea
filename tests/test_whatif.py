"""What-if: ``with_edges`` against ``from_edges`` of the union, ``what_if`` (warm start) against
a full recompute from scratch (ours and networkx), and ``analysis.authority.whatif`` on a real
demo store against ranking the graph with the extra links built independently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from backlinks import urls
from backlinks.analysis import authority
from backlinks.demo import generate_web, write_warc
from backlinks.graph.build import build_graph
from backlinks.graph.csr import Graph, from_edges
from backlinks.ingest import ingest
from backlinks.rank.pagerank import pagerank
from backlinks.rank.rating import rating
from backlinks.rank.whatif import what_if, with_edges
from backlinks.store.db import Store

TIGHT = {"tol": 1e-12, "max_iter": 2000}


def random_graph(seed: int, n: int, m: int) -> Graph:
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = np.where(rng.random(m) < 0.5, rng.integers(0, max(n // 8, 1), m), rng.integers(0, n, m))
    src = np.where(src >= n - n // 6, rng.integers(0, n, m) // 3, src)  # dangling tail
    return from_edges(src, dst, n)


def rows(g: Graph) -> list[list[int]]:
    return [sorted(g.in_src[g.in_ptr[v] : g.in_ptr[v + 1]].tolist()) for v in range(g.n)]


def union(g: Graph, src: list[int], dst: list[int], extra: int = 0) -> Graph:
    s, d = g.edges()
    return from_edges(np.concatenate([s, src]), np.concatenate([d, dst]), g.n + extra)


def networkx_of(g: Graph) -> nx.DiGraph:
    ref = nx.DiGraph()
    ref.add_nodes_from(range(g.n))
    s, d = g.edges()
    ref.add_edges_from(zip(s.tolist(), d.tolist(), strict=True))
    return ref


def assert_same_graph(got: Graph, expected: Graph) -> None:
    assert got.n == expected.n
    assert got.m == expected.m
    assert np.array_equal(got.in_ptr, expected.in_ptr)
    assert np.array_equal(got.out_deg, expected.out_deg)
    assert np.array_equal(got.in_degree(), expected.in_degree())
    assert rows(got) == rows(expected)  # order within a row may differ
    assert got.in_src.dtype == np.int32
    assert got.in_ptr.dtype == np.int64
    assert got.out_deg.dtype == np.int32
    a = pagerank(got, **TIGHT).scores  # type: ignore[arg-type]
    b = pagerank(expected, **TIGHT).scores  # type: ignore[arg-type]
    assert np.abs(a - b).sum() < 1e-10


# --------------------------------------------------------------------------------------------
# with_edges


@pytest.mark.parametrize("k", [1, 5, 40])
def test_with_edges_equals_from_edges_of_the_union(k: int) -> None:
    g = random_graph(1, 300, 1500)
    rng = np.random.default_rng(k)
    src = rng.integers(0, g.n, k).tolist()
    dst = rng.integers(0, g.n, k).tolist()
    got = with_edges(g, src, dst)
    assert_same_graph(got, union(g, src, dst))
    assert np.array_equal(got.ids, g.ids)
    # g itself is untouched
    assert_same_graph(g, random_graph(1, 300, 1500))


def test_with_edges_new_nodes_duplicates_self_links_and_existing_edges() -> None:
    g = random_graph(2, 100, 400)
    s0, d0 = g.edges()
    src = [100, 5, 101, 7, 7, 3, int(s0[0]), 9]
    dst = [5, 100, 100, 8, 8, 3, int(d0[0]), 101]
    got = with_edges(g, src, dst, extra_nodes=2)
    expected = union(g, src, dst, extra=2)
    assert_same_graph(got, expected)
    assert got.n == 102
    assert got.ids.shape == (102,)
    assert np.array_equal(got.ids[:100], g.ids)
    new = {(100, 5), (5, 100), (101, 100), (7, 8), (9, 101)} - set(
        zip(s0.tolist(), d0.tolist(), strict=True)
    )
    assert got.m == g.m + len(new)


def test_with_edges_nothing_new() -> None:
    g = random_graph(3, 50, 200)
    s, d = g.edges()
    same = with_edges(g, s[:10], d[:10])
    assert_same_graph(same, g)
    grown = with_edges(g, [], [], extra_nodes=3)
    assert grown.n == 53
    assert grown.m == g.m
    assert grown.in_ptr.shape == (54,)
    assert_same_graph(grown, from_edges(s, d, 53))


def test_with_edges_ignores_out_of_range_endpoints() -> None:
    g = random_graph(4, 30, 90)
    got = with_edges(g, [0, 31, -1], [40, 1, 2])
    assert_same_graph(got, g)


# --------------------------------------------------------------------------------------------
# what_if


@pytest.mark.parametrize(
    "links",
    [
        [(250, 3)],  # one link to a popular node
        [(10, 299)],  # one link to an obscure node
        [(1, 299), (2, 299), (3, 299), (299, 4)],  # several, plus one from the target
    ],
)
def test_what_if_equals_a_full_recompute(links: list[tuple[int, int]]) -> None:
    g = random_graph(5, 300, 1500)
    current = pagerank(g, **TIGHT).scores  # type: ignore[arg-type]
    target = links[0][1]
    result = what_if(g, current, target, links, tol=1e-10)
    g2 = union(g, [s for s, _ in links], [d for _, d in links])
    fresh = pagerank(g2, **TIGHT).scores  # type: ignore[arg-type]
    ref = nx.pagerank(networkx_of(g2), tol=1e-14, max_iter=2000)
    assert result.pagerank_before == pytest.approx(current[target], abs=1e-15)
    assert result.pagerank_after == pytest.approx(fresh[target], abs=1e-10)
    assert result.pagerank_after == pytest.approx(ref[target], abs=1e-10)
    assert result.pagerank_delta == result.pagerank_after - result.pagerank_before
    assert result.pagerank_delta > 0
    assert result.added_edges == g2.m - g.m
    # ratings: before on the current graph, after on the new one
    assert result.rating_before == pytest.approx(rating(current, g.in_degree())[target])
    assert result.rating_after == pytest.approx(rating(fresh, g2.in_degree())[target], abs=1e-6)
    assert result.rating_delta == result.rating_after - result.rating_before
    # warm start: fewer iterations than from scratch at the same tolerance
    assert result.iterations < pagerank(g2, tol=1e-10).iterations


def test_what_if_default_tolerance_is_within_1e6() -> None:
    g = random_graph(6, 500, 3000)
    current = pagerank(g).scores
    links = [(7, 400), (8, 400)]
    result = what_if(g, current, 400, links)
    fresh = pagerank(union(g, [7, 8], [400, 400]), **TIGHT).scores  # type: ignore[arg-type]
    assert abs(result.pagerank_after - fresh[400]) < 1e-6


def test_what_if_with_brand_new_nodes() -> None:
    g = random_graph(7, 200, 900)
    current = pagerank(g, **TIGHT).scores  # type: ignore[arg-type]
    # a new site links to node 12; node 12 links to another new site
    links = [(200, 12), (12, 201)]
    result = what_if(g, current, 12, links, extra_nodes=2, tol=1e-10)
    g2 = union(g, [200, 12], [12, 201], extra=2)
    fresh = pagerank(g2, **TIGHT).scores  # type: ignore[arg-type]
    assert result.pagerank_after == pytest.approx(fresh[12], abs=1e-10)
    assert result.added_edges == 2
    # the target itself brand new: before is 0
    new_target = what_if(g, current, 201, [(5, 201), (6, 201)], extra_nodes=2, tol=1e-10)
    g3 = union(g, [5, 6], [201, 201], extra=2)
    fresh3 = pagerank(g3, **TIGHT).scores  # type: ignore[arg-type]
    assert new_target.pagerank_before == 0.0
    assert new_target.rating_before == 0.0
    assert new_target.pagerank_after == pytest.approx(fresh3[201], abs=1e-10)
    assert new_target.rating_after == pytest.approx(rating(fresh3, g3.in_degree())[201], abs=1e-6)
    assert new_target.rating_after > 0


def test_adding_an_existing_edge_changes_nothing() -> None:
    g = random_graph(8, 150, 700)
    current = pagerank(g, **TIGHT).scores  # type: ignore[arg-type]
    s, d = g.edges()
    link = (int(s[17]), int(d[17]))
    result = what_if(g, current, link[1], [link, (link[1], link[1])], tol=1e-10)
    assert result.added_edges == 0
    assert abs(result.pagerank_delta) < 1e-10
    assert abs(result.rating_delta) < 1e-6
    assert result.iterations <= 2


# --------------------------------------------------------------------------------------------
# analysis.authority.whatif on a real store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder: Path = tmp_path_factory.mktemp("whatif-demo")
    warc = folder / "web.warc.gz"
    write_warc(generate_web(7).pages, warc)
    with Store(folder / "demo.duckdb") as store:
        ingest(store, [str(warc)])
        yield store


def _level_id(token: str, level: str) -> int:
    url = urls.canonicalize(token if "://" in token else f"http://{token}")
    assert url is not None
    host = urls.host_of(url)
    return urls.stable_id(
        {"page": url, "host": host, "domain": urls.registrable_domain(host)}[level]
    )


def _check_against_recompute(
    store: Store, sources: list[str], target: str, level: str, answer: dict[str, object]
) -> None:
    """Rebuild the graph with the extra links from the store's own edge list and rank it."""
    g = build_graph(store, level, use_cache=False)  # type: ignore[arg-type]
    idx = {int(v): i for i, v in enumerate(g.ids)}
    names = list(range(g.n))
    extra: dict[int, int] = {}

    def dense(token: str) -> int:
        sid = _level_id(token, level)
        if sid in idx:
            return idx[sid]
        return extra.setdefault(sid, g.n + len(extra))

    t = dense(target)
    srcs = [dense(s) for s in sources]
    s, d = g.edges()
    n2 = g.n + len(extra)
    ref = nx.DiGraph()
    ref.add_nodes_from(range(g.n))
    ref.add_edges_from(zip(s.tolist(), d.tolist(), strict=True))
    before = nx.pagerank(ref, tol=1e-14, max_iter=2000)
    ref.add_nodes_from(range(g.n, n2))  # brand-new nodes exist only after
    ref.add_edges_from((u, t) for u in srcs if u != t)
    after = nx.pagerank(ref, tol=1e-14, max_iter=2000)
    new_edges = ref.number_of_edges() - g.m
    assert answer["new_edges"] == new_edges
    if t < g.n:
        assert answer["pagerank_before"] == pytest.approx(before[t], abs=1e-6)
        before_vec = np.asarray([before[i] for i in names])
        assert answer["rating_before"] == pytest.approx(
            rating(before_vec, g.in_degree())[t], abs=0.02
        )
    else:
        assert answer["pagerank_before"] == 0.0
        assert answer["rating_before"] == 0.0
    assert answer["pagerank_after"] == pytest.approx(after[t], abs=1e-6)
    after_vec = np.asarray([after[i] for i in range(n2)])
    in_deg = np.asarray([ref.in_degree(i) for i in range(n2)])
    assert answer["rating_after"] == pytest.approx(rating(after_vec, in_deg)[t], abs=0.02)
    assert answer["pagerank_delta"] == pytest.approx(
        float(answer["pagerank_after"]) - float(answer["pagerank_before"]),  # type: ignore[arg-type]
        abs=1e-15,
    )
    assert answer["rating_delta"] == pytest.approx(
        float(answer["rating_after"]) - float(answer["rating_before"]),  # type: ignore[arg-type]
        abs=0.011,
    )


def _weak_and_strong(store: Store) -> tuple[list[str], str]:
    """Three low-ranked domains that do not link to a mid-ranked target domain."""
    g = build_graph(store, "domain")
    pr = pagerank(g).scores
    names = dict(store.con.execute("SELECT domain_id, domain FROM domains").fetchall())
    ordered = [names[int(g.ids[i])] for i in np.argsort(-pr, kind="stable")]
    target = ordered[len(ordered) // 2]
    linking = {
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT s.domain FROM links l JOIN domains s ON s.domain_id = "
            "l.src_domain_id JOIN domains t ON t.domain_id = l.dst_domain_id WHERE t.domain = ?",
            [target],
        ).fetchall()
    }
    sources = [d for d in reversed(ordered) if d not in linking and d != target][:3]
    assert len(sources) == 3
    return sources, target


def test_authority_whatif_domain_level(demo_store: Store) -> None:
    sources, target = _weak_and_strong(demo_store)
    answer = authority.whatif(demo_store, sources, target, "domain")
    assert answer["level"] == "domain"
    assert answer["target"] == target
    assert answer["sources"] == sources
    assert answer["new_edges"] == 3
    assert float(answer["pagerank_delta"]) > 0
    assert float(answer["rating_delta"]) > 0
    assert 0 <= float(answer["rating_before"]) <= float(answer["rating_after"]) <= 100
    _check_against_recompute(demo_store, sources, target, "domain", answer)


def test_authority_whatif_domain_level_brand_new_source_and_target(demo_store: Store) -> None:
    _, target = _weak_and_strong(demo_store)
    answer = authority.whatif(demo_store, ["brand-new-site.example"], target, "domain")
    assert answer["new_edges"] == 1
    _check_against_recompute(demo_store, ["brand-new-site.example"], target, "domain", answer)
    fresh = authority.whatif(demo_store, [target], "never-seen-before.example", "domain")
    assert fresh["pagerank_before"] == 0.0
    assert float(fresh["pagerank_after"]) > 0
    _check_against_recompute(demo_store, [target], "never-seen-before.example", "domain", fresh)


def test_authority_whatif_existing_link_changes_nothing(demo_store: Store) -> None:
    src, dst = demo_store.con.execute(
        "SELECT s.domain, t.domain FROM links l JOIN domains s ON s.domain_id = l.src_domain_id "
        "JOIN domains t ON t.domain_id = l.dst_domain_id WHERE NOT (nofollow OR ugc OR sponsored)"
        " AND l.src_domain_id <> l.dst_domain_id ORDER BY 1, 2 LIMIT 1"
    ).fetchone()
    answer = authority.whatif(demo_store, [src], dst, "domain")
    assert answer["new_edges"] == 0
    assert abs(float(answer["pagerank_delta"])) < 1e-6
    assert answer["rating_delta"] == pytest.approx(0.0, abs=0.011)


def test_authority_whatif_page_level(demo_store: Store) -> None:
    row = demo_store.con.execute(
        "SELECT url FROM pages WHERE url NOT IN (SELECT dst_url FROM links) ORDER BY url LIMIT 1"
    ).fetchone()
    assert row is not None  # a page nobody links to
    target = str(row[0])
    sources = [
        str(r[0])
        for r in demo_store.con.execute(
            "SELECT url FROM pages WHERE url <> ? ORDER BY links_out DESC, url LIMIT 2",
            [target],
        ).fetchall()
    ]
    answer = authority.whatif(demo_store, sources, target, "page")
    assert answer["level"] == "page"
    assert answer["new_edges"] == 2
    assert answer["rating_before"] == 0.0  # no backlinks yet
    assert float(answer["rating_after"]) > 0
    _check_against_recompute(demo_store, sources, target, "page", answer)
    novel = ["https://brand-new-site.example/post"]
    answer = authority.whatif(demo_store, novel, target, "page")
    _check_against_recompute(demo_store, novel, target, "page", answer)
