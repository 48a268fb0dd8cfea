"""Common Crawl web-graph releases (``*-vertices.txt.gz`` + ``*-edges.txt.gz``) as host-level
links: reversed host names undone, self-loops dropped, bad vertex lines reported, and a
second ingest of the same release a no-op."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import backlinks
from backlinks.urls import stable_id

# id -> reversed host, as Common Crawl writes them.
VERTICES = {
    0: "com.example",
    1: "com.example.www",
    2: "org.other",
    3: "uk.co.bbc.news",
    4: "de.beispiel.blog",
    5: "com.lonely",  # a vertex with no edges
}
EDGES = [(0, 1), (1, 2), (2, 2), (3, 0), (3, 1), (4, 3), (1, 4), (0, 0), (2, 3)]
BAD_VERTEX_LINES = {7: "not-a-number\tcom.bad", 8: "justonefield"}
DOMAINS = {
    "example.com": ["example.com", "www.example.com"],
    "other.org": ["other.org"],
    "bbc.co.uk": ["news.bbc.co.uk"],
    "beispiel.de": ["blog.beispiel.de"],
    "lonely.com": ["lonely.com"],
}


def _host(vid: int) -> str:
    return ".".join(reversed(VERTICES[vid].split(".")))


def write_graph(folder: Path, stem: str = "cc-main-host") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"{vid}\t{name}" for vid, name in VERTICES.items()]
    # Bad lines go at 1-based line numbers 7 and 8 (after the six good ones).
    lines += [BAD_VERTEX_LINES[7], BAD_VERTEX_LINES[8]]
    vertices = folder / f"{stem}-vertices.txt.gz"
    vertices.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    edges = folder / f"{stem}-edges.txt.gz"
    text = "".join(f"{a}\t{b}\n" for a, b in EDGES)
    edges.write_bytes(gzip.compress(text.encode(), mtime=0))
    return vertices, edges


def _tables(index: backlinks.Index) -> dict[str, list[tuple[object, ...]]]:
    queries = {
        "links": "SELECT * FROM links",
        "hosts": "SELECT * FROM hosts",
        "domains": "SELECT * FROM domains",
        "skipped": "SELECT * FROM skipped",
        "pages": "SELECT * FROM pages",
        "source_files": "SELECT * FROM source_files",
        "record_counts": "SELECT * FROM record_counts",
    }
    return {
        name: sorted(map(tuple, index.sql(sql).astype(str).values.tolist()))
        for name, sql in queries.items()
    }


def test_webgraph_edges_become_host_links(tmp_path: Path) -> None:
    vertices, _ = write_graph(tmp_path / "graph")
    db = tmp_path / "wg.duckdb"
    with backlinks.open(db) as index:
        report = index.ingest(tmp_path / "graph")
        assert report.problems == []
        assert [(Path(f.path).name, f.kind, f.status) for f in report.files] == [
            (vertices.name, "webgraph", "ingested")
        ]
        links = index.sql(
            "SELECT l.src_url, l.dst_url, hs.host AS src, hd.host AS dst, l.anchor, l.nofollow "
            "FROM links l JOIN hosts hs ON hs.host_id = l.src_host_id "
            "JOIN hosts hd ON hd.host_id = l.dst_host_id"
        )
        hosts = index.sql("SELECT host_id, host, domain_id FROM hosts")
        domains = index.sql("SELECT domain_id, domain FROM domains")
        skipped = index.sql('SELECT path, "offset", reason, detail FROM skipped ORDER BY 2')
        pages = index.sql("SELECT count(*) AS n FROM pages")["n"].iloc[0]
        stats = index.stats()

    want = sorted((_host(a), _host(b)) for a, b in EDGES if a != b)
    assert sorted(zip(links["src"], links["dst"], strict=True)) == want
    assert report.links == len(want) == len(links)
    # Each host is its root URL; no anchors, rel flags or pages from a host graph.
    assert all(links["src_url"] == "http://" + links["src"] + "/")
    assert all(links["dst_url"] == "http://" + links["dst"] + "/")
    assert set(links["anchor"]) == {""}
    assert not links["nofollow"].any()
    assert pages == 0

    all_hosts = {_host(v) for v in VERTICES}
    assert set(hosts["host"]) == all_hosts
    assert len(hosts) == len(all_hosts)
    assert all(hosts["host_id"] == [stable_id(h) for h in hosts["host"]])
    domain_of = {h: d for d, hs in DOMAINS.items() for h in hs}
    assert all(hosts["domain_id"] == [stable_id(domain_of[h]) for h in hosts["host"]])
    assert sorted(domains["domain"]) == sorted(DOMAINS)
    assert all(domains["domain_id"] == [stable_id(d) for d in domains["domain"]])

    # Bad vertex lines: reported with the file, the line number and why.
    assert skipped[["path", "offset", "reason"]].values.tolist() == [
        [str(vertices), 7, "bad_vertex"],
        [str(vertices), 8, "bad_vertex"],
    ]
    assert "not-a-number" in skipped["detail"].iloc[0]
    assert dict(report.skipped) == {"bad_vertex": 2}
    assert stats["skipped_by_reason"] == {"bad_vertex": 2}
    assert stats["hosts"] == len(all_hosts)
    assert stats["links"] == len(want)


def test_webgraph_backlinks_query(tmp_path: Path) -> None:
    write_graph(tmp_path / "graph")
    with backlinks.open(tmp_path / "wg.duckdb") as index:
        index.ingest(tmp_path / "graph")
        df = index.links("bbc.co.uk", limit=None)
    # news.bbc.co.uk is linked from other.org (2 -> 3) and blog.beispiel.de (4 -> 3).
    assert sorted(df["source_url"]) == ["http://blog.beispiel.de/", "http://other.org/"]
    assert set(df["target_url"]) == {"http://news.bbc.co.uk/"}


def test_webgraph_reingest_is_a_noop(tmp_path: Path) -> None:
    write_graph(tmp_path / "graph")
    with backlinks.open(tmp_path / "wg.duckdb") as index:
        index.ingest(tmp_path / "graph")
        before = _tables(index)
        again = index.ingest(tmp_path / "graph")
        assert [f.status for f in again.files] == ["already_ingested"]
        assert (again.links, again.records) == (0, 0)
        # The same release copied under another name is the same content.
        copy = tmp_path / "copy"
        write_graph(copy, stem="renamed")
        third = index.ingest(copy)
        assert [f.status for f in third.files] == ["already_ingested"]
        assert _tables(index) == before


def test_vertices_without_edges_is_a_problem(tmp_path: Path) -> None:
    vertices, edges = write_graph(tmp_path / "graph")
    edges.unlink()
    with backlinks.open(tmp_path / "wg.duckdb") as index:
        report = index.ingest(vertices)
        assert report.files == []
        assert len(report.problems) == 1
        assert str(vertices) in report.problems[0]
        assert "edges" in report.problems[0]
        assert index.stats()["links"] == 0


def test_edges_without_vertices_is_a_problem(tmp_path: Path) -> None:
    vertices, edges = write_graph(tmp_path / "graph")
    vertices.unlink()
    with backlinks.open(tmp_path / "wg.duckdb") as index:
        report = index.ingest(edges)
    assert report.files == []
    assert len(report.problems) == 1
    assert "vertices" in report.problems[0]


@pytest.mark.parametrize("compressed", [True, False])
def test_plain_text_graph_files(tmp_path: Path, compressed: bool) -> None:
    """Uncompressed ``.txt`` releases read the same as gzip ones."""
    folder = tmp_path / "graph"
    vertices, edges = write_graph(folder)
    if not compressed:
        for path in (vertices, edges):
            path.with_suffix("").write_bytes(gzip.decompress(path.read_bytes()))
            path.unlink()
    with backlinks.open(tmp_path / "wg.duckdb") as index:
        report = index.ingest(folder)
        assert report.problems == []
        assert report.links == sum(1 for a, b in EDGES if a != b)


def test_dropped_edges_are_counted(tmp_path: Path) -> None:
    """Self-loops and edges to vertex ids missing from the vertices file are counted."""
    folder = tmp_path / "graph"
    write_graph(folder)
    edges = folder / "cc-main-host-edges.txt.gz"
    extra = "".join(f"{a}\t{b}\n" for a, b in [*EDGES, (0, 99), (42, 1)])
    edges.write_bytes(gzip.compress(extra.encode(), mtime=0))
    with backlinks.open(tmp_path / "wg.duckdb") as index:
        report = index.ingest(folder)
        counts = dict(index.sql("SELECT kind, n FROM record_counts").values.tolist())
    loops = sum(1 for a, b in EDGES if a == b)
    assert counts["webgraph_edge_self_loop"] == loops
    assert counts["webgraph_edge_unknown_vertex"] == 2
    assert report.links == len(EDGES) - loops
