"""The ``backlinks`` command line through Typer's test runner: ingest summaries, the links
and stats commands in every format, limits, a missing index, hostile anchor text in a
terminal table, and the demo."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner, Result

import backlinks
from backlinks.cli import app
from backlinks.demo import SynthWeb, generate_web, write_warc
from backlinks.demo.warcwrite import warc_record

WIDE = {"COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb"}
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
HOSTILE = {
    "https://target.example/markup": "[bold red]x[/]",
    "https://target.example/ansi": "\x1b[31mred\x1b[0m",
    "https://target.example/bidi": "abc\u202edef",
}
LINK_KEYS = {
    "source_url",
    "target_url",
    "anchor",
    "nofollow",
    "ugc",
    "sponsored",
    "section",
    "first_seen",
    "last_seen",
    "snapshots",
}


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=WIDE, catch_exceptions=False)


def _hostile_warc(path: Path) -> None:
    links = "".join(
        f'<p><a href="{url}">{anchor}</a></p>'.encode().decode() for url, anchor in HOSTILE.items()
    )
    body = f"<html><head><title>t</title></head><body>{links}</body></html>".encode()
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
    fields = [
        ("WARC-Type", "response"),
        ("WARC-Target-URI", "http://hostile.example/page"),
        ("WARC-Date", "2024-02-03T04:05:06Z"),
        ("Content-Type", "application/http; msgtype=response"),
    ]
    path.write_bytes(warc_record(fields, block))


@pytest.fixture(scope="module")
def web() -> SynthWeb:
    return generate_web(7, sites=8)


@pytest.fixture(scope="module")
def warcs(web: SynthWeb, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("cli")
    synth = root / "synth.warc.gz"
    write_warc(web.pages, synth)
    hostile = root / "hostile.warc"
    _hostile_warc(hostile)
    return [synth, hostile]


@pytest.fixture(scope="module")
def db(warcs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clidb") / "index.duckdb"
    result = cli("ingest", *warcs, "--db", path, "--quiet", "--format", "json")
    assert result.exit_code == 0, result.output
    return path


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- ingest -----------------------------------------------------------------------------------


def test_ingest_summary_json(web: SynthWeb, warcs: list[Path], tmp_path: Path) -> None:
    db = tmp_path / "i.duckdb"
    summary = _json(cli("ingest", *warcs, "--db", db, "-q", "--format", "json"))
    assert summary["files"] == 2
    assert summary["pages"] == len(web.pages) + 1
    assert summary["records"] == len(web.pages) + 2  # the synthetic file's warcinfo too
    assert summary["skipped"] == 0
    assert summary["skipped_by_reason"] == {}
    assert summary["ignored_by_kind"] == {"warcinfo": 1}
    assert summary["file_status"] == {str(p): "ingested" for p in warcs}
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM links").fetchone()
        snap = con.execute("SELECT snapshot_id FROM snapshots").fetchall()
    assert row is not None
    assert summary["links"] == row[0] > 0
    assert snap == [(summary["snapshot_id"],)]
    again = _json(cli("ingest", *warcs, "--db", db, "-q", "--format", "json"))
    assert again["file_status"] == {str(p): "already_ingested" for p in warcs}
    assert (again["pages"], again["links"]) == (0, 0)


def test_ingest_summary_table(warcs: list[Path], tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    result = cli("ingest", warcs[0], "--db", db, "--quiet")
    assert result.exit_code == 0, result.output
    assert "ingest summary" in result.stdout
    assert str(warcs[0]) in result.stdout
    assert "ingested" in result.stdout
    again = cli("ingest", warcs[0], "--db", db, "--quiet")
    assert "already_ingested" in again.stdout


def test_ingest_csv_summary_is_key_value(warcs: list[Path], tmp_path: Path) -> None:
    result = cli("ingest", warcs[1], "--db", tmp_path / "c.duckdb", "-q", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["key", "value"]
    assert dict(rows[1:])["pages"] == "1"


def test_ingest_of_nothing_fails_with_the_reason(tmp_path: Path) -> None:
    missing = tmp_path / "nope.warc.gz"
    result = cli("ingest", missing, "--db", tmp_path / "n.duckdb", "-q")
    assert result.exit_code == 1
    assert "no such file" in result.stdout
    assert str(missing) in result.stdout


# --- links ------------------------------------------------------------------------------------


def test_links_json_rows(web: SynthWeb, db: Path) -> None:
    rows = _json(cli("links", web.featured_host, "--db", db, "--format", "json", "--limit", "0"))
    assert isinstance(rows, list)
    assert len(rows) > 10
    for row in rows:
        assert isinstance(row, dict)
        assert set(row) >= LINK_KEYS
        assert all(SNAKE.match(k) for k in row), sorted(row)
        assert isinstance(row["nofollow"], bool)
        assert isinstance(row["snapshots"], int)
        assert datetime.fromisoformat(row["first_seen"]) <= datetime.fromisoformat(row["last_seen"])
        assert row["target_url"].split("/")[2].endswith(web.featured_host.removeprefix("www."))
    # The same rows as the Python API returns.
    with backlinks.open(db, read_only=True) as index:
        df = index.links(web.featured_host, limit=None)
    assert len(df) == len(rows)
    assert sorted(df["source_url"]) == sorted(r["source_url"] for r in rows)


def test_links_csv_parses(web: SynthWeb, db: Path) -> None:
    as_json = _json(cli("links", web.featured_host, "--db", db, "-f", "json", "--limit", "0"))
    result = cli("links", web.featured_host, "--db", db, "--format", "csv", "--limit", "0")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(as_json)
    assert list(rows[0]) == list(as_json[0])
    assert [r["source_url"] for r in rows] == [r["source_url"] for r in as_json]
    assert [r["anchor"] for r in rows] == [r["anchor"] for r in as_json]


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_links_limit(web: SynthWeb, db: Path, fmt: str) -> None:
    result = cli("links", web.featured_host, "--db", db, "--format", fmt, "--limit", "3")
    assert result.exit_code == 0, result.output
    if fmt == "json":
        assert len(json.loads(result.stdout)) == 3
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(result.stdout)))) == 3
    else:
        assert result.stdout.count("http") == 6  # source and target URL on each of 3 rows


def test_bad_format_and_bad_target(web: SynthWeb, db: Path) -> None:
    bad = cli("links", web.featured_host, "--db", db, "--format", "xml")
    assert bad.exit_code == 2
    assert "--format" in bad.output
    nonsense = cli("links", "http://", "--db", db)
    assert nonsense.exit_code == 2
    assert "not a URL" in nonsense.output


def test_hostile_anchor_text_is_shown_not_interpreted(db: Path) -> None:
    result = cli("links", "target.example", "--db", db)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "[bold red]x[/]" in out  # rich markup printed literally
    assert "\x1b" not in out  # no escape sequence reaches the terminal
    assert "\u202e" not in out  # nor a bidi override
    assert "\ufffd[31mred" in out  # the control character is made visible instead
    # Machine formats keep the data exactly.
    rows = _json(cli("links", "target.example", "--db", db, "--format", "json"))
    assert {r["target_url"]: r["anchor"] for r in rows} == HOSTILE


# --- stats, snapshots, missing index -------------------------------------------------------


def test_stats_json(db: Path) -> None:
    stats = _json(cli("stats", "--db", db, "--format", "json"))
    assert isinstance(stats, dict)
    assert {"pages", "links", "hosts", "domains", "snapshots", "skipped_by_reason"} <= set(stats)
    with duckdb.connect(str(db), read_only=True) as con:
        for key in ("pages", "links", "hosts", "domains", "snapshots"):
            row = con.execute(f"SELECT count(*) FROM {key}").fetchone()
            assert row is not None
            assert stats[key] == row[0], key
    assert stats["skipped_by_reason"] == {}
    assert stats["snapshots"] == 1


def test_stats_table_and_snapshots(db: Path) -> None:
    table = cli("stats", "--db", db)
    assert table.exit_code == 0, table.output
    assert "pages" in table.stdout
    snaps = _json(cli("snapshots", "--db", db, "--format", "json"))
    assert len(snaps) == 1
    assert snaps[0]["complete"] is True


@pytest.mark.parametrize(
    "args", [("links", "example.com"), ("stats",), ("snapshots",)], ids=lambda a: a[0]
)
def test_missing_db_exits_2_with_a_message(tmp_path: Path, args: tuple[str, ...]) -> None:
    db = tmp_path / "missing.duckdb"
    result = cli(*args, "--db", db)
    assert result.exit_code == 2
    assert "No index" in result.stderr
    assert "backlinks ingest" in result.stderr
    assert not db.exists()  # asking a question does not create an empty index


# --- demo -------------------------------------------------------------------------------------


def test_demo_runs_in_a_folder(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    result = cli("demo", "--workdir", workdir, "--limit", "5")
    assert result.exit_code == 0, result.output
    warcs = sorted(p.name for p in workdir.glob("*.warc.gz"))
    assert len(warcs) == 2
    assert (workdir / "demo.duckdb").exists()
    featured = generate_web(7).featured_host
    assert f"backlinks to {featured}" in result.stdout
    with backlinks.open(workdir / "demo.duckdb", read_only=True) as index:
        stats = index.stats()
        assert stats["snapshots"] == 2
        assert len(index.links(featured, limit=None)) > 5
