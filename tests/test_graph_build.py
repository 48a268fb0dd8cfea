"""Graphs from the store (page, host, domain) against graphs built independently from the
``links`` table with networkx; the nofollow switch, the cache and its invalidation; and graphs
from edge files (plain, integer ids, UK Web Archive, Common Crawl)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from backlinks.demo import evolve, generate_web, write_warc
from backlinks.graph import build
from backlinks.graph.build import build_graph, cache_dir, fingerprint, id_collisions
from backlinks.graph.csr import Graph
from backlinks.graph.edgefile import load_edge_file
from backlinks.ingest import ingest
from backlinks.rank.pagerank import pagerank
from backlinks.store.db import Store

LEVELS = ("page", "host", "domain")
COLUMNS = {
    "page": ("src_url_id", "dst_url_id", "url_id"),
    "host": ("src_host_id", "dst_host_id", "host_id"),
    "domain": ("src_domain_id", "dst_domain_id", "domain_id"),
}


def independent(
    store: Store, level: str, *, include_nofollow: bool = False, snapshot: int | None = None
) -> nx.DiGraph:
    """The graph as documented, computed from raw rows: followed links (unless nofollow is
    included), self-links dropped, one edge per pair; every fetched page's node too."""
    s_col, d_col, node_col = COLUMNS[level]
    rows = store.con.execute(
        f"SELECT {s_col}, {d_col}, nofollow, ugc, sponsored, snapshot_id FROM links"
    ).fetchall()
    pages = store.con.execute(f"SELECT {node_col}, snapshot_id FROM pages").fetchall()
    ref = nx.DiGraph()
    ref.add_nodes_from(node for node, snap in pages if snapshot is None or snap == snapshot)
    for s, d, nofollow, ugc, sponsored, snap in rows:
        if snapshot is not None and snap != snapshot:
            continue
        if not include_nofollow and (nofollow or ugc or sponsored):
            continue
        if s != d:
            ref.add_edge(s, d)
    return ref


def assert_matches(g: Graph, ref: nx.DiGraph) -> None:
    ids = g.ids.tolist()
    assert g.n == ref.number_of_nodes()
    assert g.m == ref.number_of_edges()
    assert np.all(np.diff(g.ids) > 0)  # dense ids follow the sorted stable ids
    assert set(ids) == set(ref.nodes)
    src, dst = g.edges()
    assert {(ids[s], ids[d]) for s, d in zip(src.tolist(), dst.tolist(), strict=True)} == set(
        ref.edges
    )
    assert g.out_deg.tolist() == [ref.out_degree(v) for v in ids]
    assert g.in_degree().tolist() == [ref.in_degree(v) for v in ids]
    assert g.in_ptr[0] == 0
    assert g.in_ptr[-1] == g.m
    expected = nx.pagerank(ref, tol=1e-14, max_iter=2000)
    got = pagerank(g).scores
    assert sum(abs(got[i] - expected[v]) for i, v in enumerate(ids)) < 1e-6


def make_store(folder: Path, *, snapshots: int = 1) -> Store:
    web = generate_web(7)
    store = Store(folder / "demo.duckdb")
    for k in range(snapshots):
        warc = folder / f"web-{k}.warc.gz"
        write_warc((web if k == 0 else evolve(web, 1)).pages, warc)
        ingest(store, [str(warc)])
    return store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = make_store(tmp_path_factory.mktemp("graph-demo"))
    with store:
        yield store


# --------------------------------------------------------------------------------------------
# store -> graph


@pytest.mark.parametrize("level", LEVELS)
def test_build_graph_matches_independent_sql(demo_store: Store, level: str) -> None:
    g = build_graph(demo_store, level, use_cache=False)  # type: ignore[arg-type]
    assert g.level == level
    assert g.in_src.dtype == np.int32
    assert g.in_ptr.dtype == np.int64
    assert g.out_deg.dtype == np.int32
    assert g.ids.dtype == np.int64
    assert g.m > 0
    assert_matches(g, independent(demo_store, level))


@pytest.mark.parametrize("level", LEVELS)
def test_include_nofollow(demo_store: Store, level: str) -> None:
    followed = build_graph(demo_store, level, use_cache=False)  # type: ignore[arg-type]
    everything = build_graph(demo_store, level, include_nofollow=True, use_cache=False)  # type: ignore[arg-type]
    ref = independent(demo_store, level, include_nofollow=True)
    assert_matches(everything, ref)
    assert everything.m >= followed.m
    assert everything.m == ref.number_of_edges()
    if level == "page":  # the demo web has nofollow/ugc/sponsored links between pages
        assert everything.m > followed.m


def test_nofollow_rows_exist_in_the_demo(demo_store: Store) -> None:
    row = demo_store.con.execute(
        "SELECT count(*) FILTER (WHERE nofollow), count(*) FILTER (WHERE ugc), "
        "count(*) FILTER (WHERE sponsored) FROM links"
    ).fetchone()
    assert row is not None
    assert all(int(x) > 0 for x in row)


@pytest.mark.parametrize("level", LEVELS)
def test_no_id_collisions(demo_store: Store, level: str) -> None:
    assert id_collisions(demo_store, level) == 0
    g = build_graph(demo_store, level, use_cache=False)  # type: ignore[arg-type]
    # page level is only checked on request (a GROUP BY over every URL string)
    assert g.meta["collisions"] == (None if level == "page" else 0)
    checked = build_graph(demo_store, level, use_cache=False, check_collisions=True)  # type: ignore[arg-type]
    assert checked.meta["collisions"] == 0
    assert g.meta["fingerprint"] == fingerprint(demo_store, level, False, None)


def test_progress_reports_every_edge(demo_store: Store) -> None:
    seen: list[tuple[int, int]] = []
    g = build_graph(demo_store, "page", use_cache=False, progress=lambda d, t: seen.append((d, t)))
    assert seen
    assert seen[-1] == (g.m, g.m)


def test_bad_level(demo_store: Store) -> None:
    with pytest.raises(ValueError, match="level must be one of"):
        build_graph(demo_store, "site")  # type: ignore[arg-type]


def test_cache_hit_and_invalidation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[Path] = []
    real_load = build._load

    def spy(folder: Path, level: str) -> Graph:
        loads.append(folder)
        return real_load(folder, level)

    monkeypatch.setattr(build, "_load", spy)
    with make_store(tmp_path) as store:
        first = build_graph(store, "host")
        assert not loads
        key = fingerprint(store, "host", False, None)
        assert (cache_dir(store) / f"host-{key}" / "in_src.npy").exists()
        again = build_graph(store, "host")
        assert len(loads) == 1  # served from the cache
        for name in ("in_ptr", "in_src", "out_deg", "ids"):
            a, b = getattr(first, name), getattr(again, name)
            assert a.dtype == b.dtype
            assert np.array_equal(a, b)
        assert again.meta["fingerprint"] == key
        assert again.meta["collisions"] == 0
        # another level or filter is another cache entry
        build_graph(store, "host", include_nofollow=True)
        assert len(loads) == 1
        # re-ingest: a new snapshot changes the fingerprint and the graph is rebuilt
        warc = tmp_path / "later.warc.gz"
        write_warc(evolve(generate_web(7), 1).pages, warc)
        report = ingest(store, [str(warc)])
        assert report.pages > 0
        assert fingerprint(store, "host", False, None) != key
        fresh = build_graph(store, "host")
        assert len(loads) == 1
        assert_matches(fresh, independent(store, "host"))
        page_before = build_graph(store, "page")
        assert_matches(page_before, independent(store, "page"))
        # ingesting the same file again changes nothing: cache hit
        ingest(store, [str(warc)])
        build_graph(store, "host")
        assert len(loads) == 2
        # use_cache=False never reads it
        build_graph(store, "host", use_cache=False)
        assert len(loads) == 2


def test_snapshot_graph_has_only_that_snapshots_nodes(tmp_path: Path) -> None:
    with make_store(tmp_path, snapshots=2) as store:
        snaps = [
            int(r[0]) for r in store.con.execute("SELECT snapshot_id FROM snapshots").fetchall()
        ]
        assert len(snaps) == 2
        for level in LEVELS:
            whole = build_graph(store, level, use_cache=False)  # type: ignore[arg-type]
            assert_matches(whole, independent(store, level))
            for snap in snaps:
                g = build_graph(store, level, snapshot_id=snap, use_cache=False)  # type: ignore[arg-type]
                assert_matches(g, independent(store, level, snapshot=snap))
        # the second snapshot has pages the first lacks, so their graphs differ
        a = build_graph(store, "page", snapshot_id=snaps[0], use_cache=False)
        b = build_graph(store, "page", snapshot_id=snaps[1], use_cache=False)
        assert a.n != b.n or a.m != b.m


# --------------------------------------------------------------------------------------------
# edge files


def labelled_edges(g: Graph) -> set[tuple[str, str]]:
    assert g.labels is not None
    labels = g.labels
    src, dst = g.edges()
    return {(labels[s], labels[d]) for s, d in zip(src.tolist(), dst.tolist(), strict=True)}


def test_plain_edge_list(tmp_path: Path) -> None:
    path = tmp_path / "edges.txt"
    path.write_text(
        "# a comment\n"
        "\n"
        "   \n"
        "  http://a.example/   http://b.example/x  \n"
        "http://b.example/x\thttp://c.example/\n"
        "http://a.example/ http://b.example/x\n"  # duplicate
        "   # an indented comment\n"
        "http://c.example/ http://c.example/\n"  # self-loop
        "http://C.example/ http://a.example/ 17\n"  # extra column ignored; page ids keep case
        "only-one-token\n"
    )
    g = load_edge_file(path)
    assert g.level == "page"
    assert g.labels == sorted(
        ["http://a.example/", "http://b.example/x", "http://c.example/", "http://C.example/"]
    )
    assert labelled_edges(g) == {
        ("http://a.example/", "http://b.example/x"),
        ("http://b.example/x", "http://c.example/"),
        ("http://C.example/", "http://a.example/"),
    }
    assert g.meta["bad_lines"] == 1
    assert g.meta["self_loops"] == 1
    assert g.meta["collisions"] == 0
    assert g.meta["source"] == str(path)
    # gzip by content, whatever the name
    packed = tmp_path / "edges-packed.txt"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    g2 = load_edge_file(packed)
    assert g2.labels == g.labels
    assert labelled_edges(g2) == labelled_edges(g)


def test_host_level_lower_cases(tmp_path: Path) -> None:
    path = tmp_path / "hosts.txt"
    path.write_text("WWW.Example.COM other.org\nwww.example.com OTHER.org\nother.org Other.ORG\n")
    g = load_edge_file(path, "host")
    assert g.labels == ["other.org", "www.example.com"]
    assert labelled_edges(g) == {("www.example.com", "other.org")}
    assert g.meta["self_loops"] == 1


def test_integer_ids(tmp_path: Path) -> None:
    path = tmp_path / "ints.txt"
    edges = [(0, 1), (1, 2), (2, 0), (10, 2), (2, 10), (3, 3), (1, 2)]
    path.write_text("".join(f"{s} {d}\n" for s, d in edges))
    g = load_edge_file(path)
    assert g.labels is not None
    assert sorted(g.labels, key=int) == ["0", "1", "2", "3", "10"]
    ref = nx.DiGraph()
    ref.add_nodes_from(str(v) for e in edges for v in e)
    ref.add_edges_from((str(s), str(d)) for s, d in edges if s != d)
    assert labelled_edges(g) == set(ref.edges)
    assert g.n == ref.number_of_nodes()
    expected = nx.pagerank(ref, tol=1e-14, max_iter=1000)
    got = pagerank(g).scores
    assert sum(abs(got[i] - expected[name]) for i, name in enumerate(g.labels)) < 1e-6


def test_ukwa_format(tmp_path: Path) -> None:
    text = (
        "1996|a.ac.uk|B.com\t3\n"
        "1996|a.ac.uk|b.com\t1\n"  # the same pair once lower-cased
        "1996|c.co.uk|c.co.uk\t2\n"  # self-loop only: c.co.uk stays a node
        "1996|x.org.uk|odd host.com\t1\n"  # a space inside a host name is part of it
        "1997|b.com|a.ac.uk\n"  # no count column
        "1996|broken.uk|\t1\n"  # no target: a bad line
    )
    for name, data in (
        ("hosts.tsv", text.encode()),
        ("hosts.tsv.gz", gzip.compress(text.encode())),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        g = load_edge_file(path, "host")
        assert g.labels == sorted(["a.ac.uk", "b.com", "c.co.uk", "x.org.uk", "odd host.com"])
        assert labelled_edges(g) == {
            ("a.ac.uk", "b.com"),
            ("b.com", "a.ac.uk"),
            ("x.org.uk", "odd host.com"),
        }
        assert g.meta["self_loops"] == 1
        assert g.meta["bad_lines"] == 1
        c = g.labels.index("c.co.uk")
        assert g.out_deg[c] == 0
        assert g.in_degree()[c] == 0


def test_url_with_pipes_is_not_taken_for_ukwa(tmp_path: Path) -> None:
    path = tmp_path / "pipes.txt"
    path.write_text(
        "https://fonts.example/css?family=A|B|C https://site.example/\n"
        "https://site.example/ https://fonts.example/css?family=A|B|C\n"
    )
    g = load_edge_file(path)
    assert labelled_edges(g) == {
        ("https://fonts.example/css?family=A|B|C", "https://site.example/"),
        ("https://site.example/", "https://fonts.example/css?family=A|B|C"),
    }


def test_common_crawl_release(tmp_path: Path) -> None:
    vertices = "0\tcom.example\n1\tuk.co.bbc.www\n2\torg.wikipedia.en\n3\tnet.example.cdn\n"
    edges = "0\t1\n1\t2\n2\t0\n0\t2\n0\t1\n3\t3\n"
    (tmp_path / "cc-host-vertices.txt.gz").write_bytes(gzip.compress(vertices.encode()))
    (tmp_path / "cc-host-edges.txt.gz").write_bytes(gzip.compress(edges.encode()))
    g = load_edge_file(tmp_path / "cc-host-edges.txt.gz", "host")
    assert g.labels is not None
    assert set(g.labels) >= {"example.com", "www.bbc.co.uk", "en.wikipedia.org"}
    assert labelled_edges(g) == {
        ("example.com", "www.bbc.co.uk"),
        ("www.bbc.co.uk", "en.wikipedia.org"),
        ("en.wikipedia.org", "example.com"),
        ("example.com", "en.wikipedia.org"),
    }
    assert g.meta["self_loops"] == 1
    assert g.meta["collisions"] == 0
    from backlinks import urls

    assert g.ids.tolist() == [urls.stable_id(name) for name in g.labels]
    # an edges file without its vertices keeps the numeric ids as names
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "x-edges.txt").write_text(edges)
    bare = load_edge_file(alone / "x-edges.txt", "host")
    assert bare.labels is not None
    assert set(bare.labels) == {"0", "1", "2", "3"}


def test_bad_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "messy.txt"
    path.write_text("a b\nlonely\n\n#c\n   x\nb c\n1996|a|\n")
    g = load_edge_file(path)
    assert g.meta["bad_lines"] == 3
    assert labelled_edges(g) == {("a", "b"), ("b", "c")}


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_edge_file(tmp_path / "nope.txt")
