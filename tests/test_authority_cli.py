"""``backlinks rank``, ``top`` and ``whatif`` through Typer's test runner on a demo store, checked
against networkx on the link graphs read back from the store, plus ``rank --edges`` on the UK
Web Archive host graph and ``rank --seeds`` (TrustRank)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner, Result

from backlinks.analysis import authority
from backlinks.cli import app
from backlinks.demo import generate_web, write_warc
from backlinks.graph.build import build_graph
from backlinks.ingest import ingest
from backlinks.rank.rating import rating
from backlinks.store.db import Store
from datapaths import SHARED_DATA

UKWA = SHARED_DATA / "ukwa-1996-host-graph/1996-uk-web-hosts.tsv.gz"
ENV = {"COLUMNS": "300", "NO_COLOR": "1", "TERM": "dumb"}
TOP_KEYS = {
    "rank",
    "name",
    "rating",
    "pagerank",
    "trustrank",
    "harmonic",
    "referring_domains",
    "node_id",
}
COLUMNS = {
    "page": ("src_url_id", "dst_url_id", "SELECT url_id FROM pages"),
    "host": ("src_host_id", "dst_host_id", "SELECT host_id FROM pages"),
    "domain": ("src_domain_id", "dst_domain_id", "SELECT domain_id FROM pages"),
}


def cli(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], env=ENV, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def store_graph(db: Path, level: str) -> nx.DiGraph:
    """The followed-link graph of a level read straight from the tables, keyed by stable id."""
    s_col, d_col, nodes = COLUMNS[level]
    with Store(db, read_only=True) as store:
        edges = store.con.execute(
            f"SELECT DISTINCT {s_col}, {d_col} FROM links "
            f"WHERE NOT (nofollow OR ugc OR sponsored) AND {s_col} <> {d_col}"
        ).fetchall()
        pages = store.con.execute(nodes).fetchall()
    ref = nx.DiGraph()
    ref.add_nodes_from(r[0] for r in pages)
    ref.add_edges_from(edges)
    return ref


def metrics(db: Path, level: str) -> dict[int, dict[str, Any]]:
    with Store(db, read_only=True) as store:
        df = store.query(
            "SELECT node_id, pagerank, trustrank, rating, harmonic FROM metrics "
            "WHERE level = ? AND snapshot_id IS NULL",
            [level],
        )
    return {int(r["node_id"]): dict(r) for r in df.to_dict(orient="records")}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("authority-cli")
    warc = folder / "web.warc.gz"
    write_warc(generate_web(7).pages, warc)
    path = folder / "demo.duckdb"
    with Store(path) as store:
        ingest(store, [str(warc)])
    summary = as_json(cli("rank", "--db", path, "--format", "json"))
    assert [row["level"] for row in summary] == ["page", "host", "domain"]
    return path


def test_rank_summary_and_metrics_rows(db: Path) -> None:
    summary = as_json(cli("rank", "--db", db, "--level", "domain", "--level", "host", "-f", "json"))
    assert [row["level"] for row in summary] == ["domain", "host"]
    for level in ("page", "host", "domain"):
        ref = store_graph(db, level)
        rows = metrics(db, level)
        assert len(rows) == ref.number_of_nodes()
        assert set(rows) == set(ref.nodes)
    for row in summary:
        ref = store_graph(db, row["level"])
        assert row["nodes"] == ref.number_of_nodes()
        assert row["edges"] == ref.number_of_edges()
        assert row["collisions"] == 0
        assert row["seeds"] == 0
        assert row["iterations"] > 0


@pytest.mark.parametrize("level", ["page", "host", "domain"])
def test_metrics_match_networkx(db: Path, level: str) -> None:
    ref = store_graph(db, level)
    rows = metrics(db, level)
    expected = nx.pagerank(ref, tol=1e-14, max_iter=2000)
    assert sum(abs(rows[v]["pagerank"] - expected[v]) for v in ref.nodes) < 1e-6
    order = list(ref.nodes)
    indeg = np.asarray([ref.in_degree(v) for v in order])
    exp_rating = rating(np.asarray([expected[v] for v in order]), indeg)
    got_rating = np.asarray([rows[v]["rating"] for v in order])
    assert np.abs(got_rating - exp_rating).max() < 1e-3
    assert got_rating.max() == 100.0
    assert np.all(got_rating[indeg == 0] == 0.0)
    harmonic = nx.harmonic_centrality(ref)
    assert max(abs(rows[v]["harmonic"] - harmonic[v]) for v in ref.nodes) < 1e-9
    assert all(rows[v]["trustrank"] is None or np.isnan(rows[v]["trustrank"]) for v in ref.nodes)


def test_top_domains_by_rating(db: Path) -> None:
    rows = as_json(cli("top", "--db", db, "--level", "domain", "--by", "rating", "-f", "json"))
    ref = store_graph(db, "domain")
    assert isinstance(rows, list)
    assert len(rows) == ref.number_of_nodes()  # fewer than the default limit of 50
    assert all(set(r) == TOP_KEYS for r in rows)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    ratings = [r["rating"] for r in rows]
    assert all(0.0 <= x <= 100.0 for x in ratings)
    assert ratings == sorted(ratings, reverse=True)
    assert ratings[0] == 100.0
    # names are the store's domains; referring domains counted independently
    with Store(db, read_only=True) as store:
        names = dict(store.con.execute("SELECT domain_id, domain FROM domains").fetchall())
        refs = dict(
            store.con.execute(
                "SELECT dst_domain_id, count(DISTINCT src_domain_id) FROM links WHERE NOT "
                "(nofollow OR ugc OR sponsored) AND src_domain_id <> dst_domain_id GROUP BY 1"
            ).fetchall()
        )
    expected = nx.pagerank(ref, tol=1e-14, max_iter=2000)
    for r in rows:
        assert r["name"] == names[r["node_id"]]
        assert r["referring_domains"] == refs.get(r["node_id"], 0)
        assert r["referring_domains"] == ref.in_degree(r["node_id"])
        assert abs(r["pagerank"] - expected[r["node_id"]]) < 1e-6
    # the top-rated domain is networkx's top PageRank domain
    assert rows[0]["node_id"] == max(expected, key=expected.__getitem__)
    limited = as_json(cli("top", "--db", db, "--level", "domain", "--limit", "5", "-f", "json"))
    assert limited == rows[:5]


@pytest.mark.parametrize("by", ["pagerank", "harmonic"])
@pytest.mark.parametrize("level", ["domain", "host", "page"])
def test_top_by_other_metrics(db: Path, by: str, level: str) -> None:
    rows = as_json(
        cli("top", "--db", db, "--level", level, "--by", by, "--limit", "20", "-f", "json")
    )
    assert 0 < len(rows) <= 20
    assert all(set(r) == TOP_KEYS for r in rows)
    values = [r[by] for r in rows]
    assert values == sorted(values, reverse=True)
    ref = store_graph(db, level)
    if by == "pagerank":
        expected = nx.pagerank(ref, tol=1e-14, max_iter=2000)
    else:
        expected = nx.harmonic_centrality(ref)
    best = sorted(expected.values(), reverse=True)[: len(rows)]
    assert np.allclose(values, best, rtol=0, atol=1e-6)
    if level == "page":
        assert all(str(r["name"]).startswith(("http://", "https://")) for r in rows)


def test_top_table_and_csv(db: Path) -> None:
    table = cli("top", "--db", db, "--level", "host", "--limit", "3").stdout
    assert "rating" in table
    assert "node_id" not in table
    rows = list(csv.DictReader(io.StringIO(cli("top", "--db", db, "-f", "csv").stdout)))
    assert set(rows[0]) == TOP_KEYS
    assert float(rows[0]["rating"]) == 100.0


def test_top_rejects_bad_by(db: Path) -> None:
    result = CliRunner().invoke(app, ["top", "--db", str(db), "--by", "clicks"], env=ENV)
    assert result.exit_code != 0


def test_whatif_json(db: Path) -> None:
    rows = as_json(cli("top", "--db", db, "--level", "domain", "--by", "pagerank", "-f", "json"))
    target = rows[len(rows) // 2]["name"]
    source = rows[-1]["name"]
    args = ["whatif", "--db", db, "--from", source, "--from", "fresh.example", "--to", target]
    out = as_json(cli(*args, "-f", "json"))
    for key in (
        "pagerank_before",
        "pagerank_after",
        "pagerank_delta",
        "rating_before",
        "rating_after",
        "rating_delta",
    ):
        assert isinstance(out[key], float), key
    assert out["level"] == "domain"
    assert out["target"] == target
    assert out["sources"] == [source, "fresh.example"]
    existing = store_graph(db, "domain").has_edge(
        rows[-1]["node_id"], rows[len(rows) // 2]["node_id"]
    )
    assert out["new_edges"] == 2 - int(existing)
    assert out["pagerank_delta"] == pytest.approx(out["pagerank_after"] - out["pagerank_before"])
    assert out["rating_delta"] == pytest.approx(
        out["rating_after"] - out["rating_before"], abs=0.011
    )
    assert out["pagerank_delta"] > 0
    assert out["pagerank_before"] == pytest.approx(rows[len(rows) // 2]["pagerank"], abs=1e-6)
    # the same numbers as the Python API
    with Store(db) as store:
        api = authority.whatif(store, [source, "fresh.example"], target, "domain")
    assert api == out


def test_whatif_page_level_table(db: Path) -> None:
    with Store(db, read_only=True) as store:
        a, b = (
            r[0] for r in store.con.execute("SELECT url FROM pages ORDER BY url LIMIT 2").fetchall()
        )
    text = cli("whatif", "--db", db, "--level", "page", "--from", a, "--to", b).stdout
    assert "pagerank_delta" in text
    assert "rating_after" in text


@pytest.fixture(scope="module")
def ukwa_csv() -> list[dict[str, str]]:
    if not UKWA.exists():
        pytest.skip(f"UK Web Archive host graph not present at {UKWA}")
    result = cli("rank", "--edges", UKWA, "--level", "host", "--format", "csv", "--limit", "10")
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_rank_edge_file(ukwa_csv: list[dict[str, str]]) -> None:
    rows = ukwa_csv
    assert len(rows) == 10
    assert list(rows[0]) == [
        "rank",
        "name",
        "pagerank",
        "rating",
        "harmonic",
        "in_degree",
        "out_degree",
    ]
    assert [int(r["rank"]) for r in rows] == list(range(1, 11))
    pr = [float(r["pagerank"]) for r in rows]
    assert pr == sorted(pr, reverse=True)
    assert float(rows[0]["rating"]) == 100.0
    assert all(0 < float(r["rating"]) <= 100 for r in rows)
    # degrees checked against the file itself
    names = {r["name"] for r in rows}
    sources: dict[str, set[str]] = {n: set() for n in names}
    targets: dict[str, set[str]] = {n: set() for n in names}
    with gzip.open(UKWA, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            _, s, d = line.split("\t", 1)[0].split("|")
            s, d = s.lower(), d.lower()
            if s == d:
                continue
            if d in names:
                sources[d].add(s)
            if s in names:
                targets[s].add(d)
    for r in rows:
        assert int(r["in_degree"]) == len(sources[r["name"]])
        assert int(r["out_degree"]) == len(targets[r["name"]])
    assert rows[0]["name"] == "www.microsoft.com"


def test_rank_with_seeds_fills_trustrank(db: Path, tmp_path: Path) -> None:
    rows = as_json(cli("top", "--db", db, "--level", "domain", "--by", "rating", "-f", "json"))
    seeds = [rows[0]["name"], rows[1]["name"]]
    seed_file = tmp_path / "seeds.txt"
    seed_file.write_text(f"# trusted\n{seeds[0]}\n\nhttps://{seeds[1]}/  # a URL works too\n")
    summary = as_json(
        cli("rank", "--db", db, "--level", "domain", "--seeds", seed_file, "-f", "json")
    )
    assert summary[0]["seeds"] == 2
    ref = store_graph(db, "domain")
    got = metrics(db, "domain")
    assert all(
        row["trustrank"] is not None and not np.isnan(row["trustrank"]) for row in got.values()
    )
    seed_ids = [r["node_id"] for r in rows[:2]]
    expected = nx.pagerank(
        ref, personalization=dict.fromkeys(seed_ids, 1.0), tol=1e-14, max_iter=2000
    )
    assert sum(abs(got[v]["trustrank"] - expected[v]) for v in ref.nodes) < 1e-6
    by_trust = as_json(
        cli("top", "--db", db, "--level", "domain", "--by", "trustrank", "-f", "json")
    )
    values = [r["trustrank"] for r in by_trust]
    assert values == sorted(values, reverse=True)
    # host level: the seed domains' hosts are the seeds
    summary = as_json(
        cli("rank", "--db", db, "--level", "host", "--seeds", seed_file, "-f", "json")
    )
    assert summary[0]["seeds"] >= 1
    assert all(r["trustrank"] is not None for r in metrics(db, "host").values())
    with Store(db, read_only=True) as store:
        assert summary[0]["nodes"] == build_graph(store, "host").n
