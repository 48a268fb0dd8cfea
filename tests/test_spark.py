"""Spark and the embedded engine give the same answers: one local[2] session for the
module, the embedded engine as the oracle.

- UKWA 1996 host graph: ``backlinks spark rank --edges`` reads the same graph (nodes,
  edges, self-loops) and its PageRank matches the embedded one within 1e-6, ratings equal
  after rounding, the printed table equal.
- The store's Parquet export (``backlinks export``) of the demo web: Spark's domain and host
  graphs are the store's graphs, and their PageRank and ratings equal the ``metrics`` table
  that ``backlinks rank`` wrote.
- TrustRank (personalised PageRank) from seeds matches the embedded ``pagerank``.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import backlinks
from backlinks import urls
from backlinks.analysis.authority import rank_graph
from backlinks.graph.build import build_graph
from backlinks.graph.edgefile import load_edge_file
from backlinks.rank.pagerank import pagerank
from datapaths import SHARED_DATA
from httpweb import build

pytest.importorskip("pyspark", reason="Spark tests need PySpark (make test installs it)")
if shutil.which("java") is None:  # pragma: no cover - depends on the machine
    pytest.skip("Spark needs Java 17+ on PATH", allow_module_level=True)

UKWA = SHARED_DATA / "ukwa-1996-host-graph/1996-uk-web-hosts.tsv.gz"
TOL = 1e-6


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from backlinks.spark.session import spark_session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # PySpark on pandas 3 (we move Arrow)
        session = spark_session("local[2]", driver_memory="2g")
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _pyspark_pandas_warning() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
        yield


def test_ukwa_host_graph_ranks_as_embedded(spark: Any) -> None:
    if not UKWA.exists():
        pytest.skip(f"UKWA host graph not found at {UKWA}")
    from backlinks.spark.graph import edge_file_graph
    from backlinks.spark.rank import rank_spark_graph, rank_table_of

    emb = load_edge_file(UKWA, "host")
    graph = edge_file_graph(spark, str(UKWA), "host")
    assert graph.n == emb.n
    assert graph.meta["self_loops"] == emb.meta["self_loops"]
    assert graph.meta["bad_lines"] == emb.meta["bad_lines"]
    result, bg = rank_spark_graph(spark, graph, blocks=3)
    assert bg.m == emb.m
    assert result.names == emb.labels  # same dense ids: nodes in token order
    want = pagerank(emb)
    assert np.abs(result.pagerank - want.scores).max() < TOL
    assert abs(result.iterations - want.iterations) <= 1
    table = rank_table_of(result, bg)
    expected = rank_graph(emb)
    assert list(table.name) == list(expected.name)
    assert (table.rating.to_numpy() == expected.rating.to_numpy()).all()
    assert np.allclose(table.harmonic, expected.harmonic)
    assert np.abs(table.pagerank.to_numpy() - expected.pagerank.to_numpy()).max() < TOL


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("spark-store")
    db = build(folder)  # the two-snapshot demo web, ranked
    with backlinks.open(db) as index:
        index.export(folder / "parquet")
    return db, folder / "parquet"


@pytest.mark.parametrize("level", ["domain", "host"])
def test_store_export_ranks_as_the_store(
    spark: Any, exported: tuple[Path, Path], level: str
) -> None:
    from backlinks.spark.graph import links_graph
    from backlinks.spark.rank import rank_spark_graph

    db, parquet = exported
    names = parquet / f"{level}s.parquet"
    graph = links_graph(
        spark,
        str(parquet / "links.parquet"),
        level,
        pages=str(parquet / "pages.parquet"),
        names=str(names),
    )
    with backlinks.open(db, read_only=True) as index:
        emb = build_graph(index.store, level, use_cache=False)  # type: ignore[arg-type]
        stored = index.sql(
            "SELECT node_id, pagerank, rating FROM metrics WHERE level = ? AND snapshot_id IS NULL",
            [level],
        )
    assert graph.n == emb.n
    result, bg = rank_spark_graph(spark, graph)
    assert bg.m == emb.m
    assert (result.ids == emb.ids).all()  # same nodes in the same (stable-id) order
    want = stored.set_index("node_id").loc[result.ids]
    assert np.abs(result.pagerank - want.pagerank.to_numpy()).max() < TOL
    assert (np.round(result.rating, 1) == np.round(want.rating.to_numpy(), 1)).all()
    if level == "domain":
        assert "velo-trails.com" in result.names  # labelled from domains.parquet


def test_trustrank_matches_embedded(spark: Any, exported: tuple[Path, Path]) -> None:
    from backlinks.spark.graph import links_graph
    from backlinks.spark.rank import rank_spark_graph

    db, parquet = exported
    graph = links_graph(
        spark, str(parquet / "links.parquet"), "domain", names=str(parquet / "domains.parquet")
    )
    seeds = ["devpocket.io", "github.com"]
    seed_ids = [urls.stable_id(s) for s in seeds]
    result, _ = rank_spark_graph(spark, graph, seeds=seed_ids)
    assert result.trustrank is not None
    with backlinks.open(db, read_only=True) as index:
        emb = build_graph(index.store, "domain", use_cache=False)
    # the Spark graph here has no page-only nodes: compare on its own node set
    assert set(emb.ids) >= set(result.ids)
    from backlinks.graph.csr import from_edges

    pos = {int(v): i for i, v in enumerate(result.ids)}
    src, dst = emb.edges()
    keep = [
        (pos[int(emb.ids[s])], pos[int(emb.ids[d])])
        for s, d in zip(src, dst, strict=True)
        if int(emb.ids[s]) in pos and int(emb.ids[d]) in pos
    ]
    small = from_edges([k[0] for k in keep], [k[1] for k in keep], len(pos))
    tele = np.array([1.0 if x in seeds else 0.0 for x in result.names])
    want = pagerank(small, personalization=tele)
    assert np.abs(result.trustrank - want.scores).max() < TOL
    assert np.abs(result.pagerank - pagerank(small).scores).max() < TOL
    assert result.trustrank[[result.names.index(s) for s in seeds]].min() > np.median(
        result.trustrank
    )


WARC_SAMPLES = SHARED_DATA / "warc-samples"
#: Columns compared row for row (every column of each table, in the store's order).
COMPARED = ("pages", "links", "page_text", "skipped", "hosts", "domains", "record_counts")


def _rows(index: backlinks.Index, table: str) -> list[tuple[Any, ...]]:
    df = index.sql(f"SELECT * FROM {table} ORDER BY ALL")
    return [tuple(r) for r in df.astype(object).where(df.notna(), None).itertuples(index=False)]


def test_warc_samples_ingest_as_embedded(spark: Any, tmp_path: Path) -> None:
    if not WARC_SAMPLES.is_dir():
        pytest.skip(f"WARC samples not found at {WARC_SAMPLES}")
    from backlinks.spark.ingest import spark_ingest
    from backlinks.store.parquet_import import import_parquet

    paths = [str(WARC_SAMPLES)]
    embedded_db = tmp_path / "embedded.duckdb"
    with backlinks.open(embedded_db) as index:
        report = index.ingest(*paths)
    assert report.links > 1000
    result = spark_ingest(spark, paths, tmp_path / "spark-out")
    assert result.snapshot_id == report.snapshot_id  # the same content ids, the same snapshot
    assert result.pages == report.pages
    assert result.links == report.links
    # the Spark tables as Parquet equal the embedded store's tables, row for row
    loaded_db = tmp_path / "loaded.duckdb"
    with backlinks.open(loaded_db) as loaded:
        added = import_parquet(loaded.store, tmp_path / "spark-out")
        assert added["links"] == report.links
        again = import_parquet(loaded.store, tmp_path / "spark-out")  # idempotent
        assert again["links"] == 0
        assert again["files_already_imported"] == len(result.files)
    with (
        backlinks.open(embedded_db, read_only=True) as emb,
        backlinks.open(loaded_db, read_only=True) as got,
    ):
        for table in COMPARED:
            assert _rows(got, table) == _rows(emb, table), table
        keys = "SELECT file_id, snapshot_id, kind, size, records, pages, links, skipped, done"
        assert got.sql(f"{keys} FROM source_files ORDER BY ALL").equals(
            emb.sql(f"{keys} FROM source_files ORDER BY ALL")
        )
        window = "SELECT snapshot_id, started_at, finished_at, files, complete FROM snapshots"
        assert got.sql(window).equals(emb.sql(window))
        assert got.links("iana.org", limit=None).equals(emb.links("iana.org", limit=None))


def test_import_parquet_layouts(spark: Any, exported: tuple[Path, Path], tmp_path: Path) -> None:
    """An export loads into a fresh store (once: a second load adds nothing), and a Spark
    rank's metrics replace the store's."""
    from backlinks.spark.graph import links_graph
    from backlinks.spark.rank import rank_spark_graph, write_metrics
    from backlinks.store.parquet_import import import_parquet

    db, parquet = exported
    fresh = tmp_path / "fresh.duckdb"
    with backlinks.open(fresh) as index:
        first = import_parquet(index.store, parquet)
        assert first["links"] > 0
        assert import_parquet(index.store, parquet)["links"] == 0
    with backlinks.open(db, read_only=True) as emb, backlinks.open(fresh, read_only=True) as got:
        assert got.links("velo-trails.com", limit=None).equals(
            emb.links("velo-trails.com", limit=None)
        )
        assert got.stats() == emb.stats()
    graph = links_graph(
        spark, str(parquet / "links.parquet"), "host", pages=str(parquet / "pages.parquet")
    )
    result, _ = rank_spark_graph(spark, graph)
    write_metrics(spark, result, tmp_path / "metrics-host")
    with backlinks.open(fresh) as index:
        import_parquet(index.store, tmp_path / "metrics-host")
        top = index.top("host", "rating", limit=None)
    best = int(np.argmax(result.pagerank))
    assert int(top.node_id.iloc[0]) == int(result.ids[best])
    assert len(top) == graph.n


def test_cli_spark_rank_prints_what_rank_prints(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    edges = tmp_path / "edges.txt"
    edges.write_text(
        "# a small host graph\na.example b.example\nb.example c.example\nc.example a.example\n"
        "d.example a.example\nd.example d.example\nbad-line-without-target\n"
    )
    exe = str(Path(sys.executable).parent / "backlinks")
    args = ["--edges", str(edges), "--level", "host", "--format", "json"]
    embedded = subprocess.run([exe, "rank", *args], capture_output=True, text=True, check=True)
    spark_run = subprocess.run(
        [exe, "spark", "rank", *args, "--blocks", "2"], capture_output=True, text=True, check=True
    )
    want, got = json.loads(embedded.stdout), json.loads(spark_run.stdout)
    assert [r["name"] for r in got] == [r["name"] for r in want]
    assert [r["rating"] for r in got] == [r["rating"] for r in want]
    assert max(abs(a["pagerank"] - b["pagerank"]) for a, b in zip(got, want, strict=True)) < TOL
    assert "1 bad lines" in spark_run.stderr
    assert "1 self-loops" in spark_run.stderr


def test_remote_paths_ingest_as_local(spark: Any, tmp_path: Path) -> None:
    """Files fetched over HTTP (a real server on loopback) and file:// URIs give the same
    snapshot, pages and links as the embedded ingest of the local files; a missing URL is
    reported and the rest kept."""
    if not WARC_SAMPLES.is_dir():
        pytest.skip(f"WARC samples not found at {WARC_SAMPLES}")
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from backlinks.sources.files import expand
    from backlinks.spark.ingest import spark_ingest
    from backlinks.store.parquet_import import import_parquet

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    files, _ = expand([str(WARC_SAMPLES / "commoncrawl-2020"), str(WARC_SAMPLES / "warcio")])
    handler = functools.partial(Quiet, directory=str(WARC_SAMPLES))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        urls_ = [base + str(f.relative_to(WARC_SAMPLES)) for f in files[1:]]
        remote = [f"file://{files[0]}", *urls_, base + "no-such-file.warc.gz"]
        result = spark_ingest(spark, remote, tmp_path / "remote-out")
    finally:
        server.shutdown()
        server.server_close()
    assert any("no-such-file" in p and "cannot read" in p for p in result.problems)
    with backlinks.open(tmp_path / "local.duckdb") as local:
        report = local.ingest(*map(str, files))
    assert result.snapshot_id == report.snapshot_id
    assert (result.pages, result.links) == (report.pages, report.links)
    with backlinks.open(tmp_path / "remote.duckdb") as got:
        import_parquet(got.store, tmp_path / "remote-out")
    with (
        backlinks.open(tmp_path / "local.duckdb", read_only=True) as emb,
        backlinks.open(tmp_path / "remote.duckdb", read_only=True) as got,
    ):
        for table in ("pages", "links", "hosts", "domains"):
            assert _rows(got, table) == _rows(emb, table), table
        paths = set(got.sql("SELECT path FROM source_files").path)
        assert any(p.startswith("http://127.0.0.1") for p in paths)
