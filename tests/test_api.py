"""The Python API: ``backlinks.open`` and the :class:`backlinks.Index` methods, and the
package's public names pinned."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import backlinks
from backlinks.demo import SynthWeb, evolve, generate_web, write_warc
from backlinks.urls import host_of, registrable_domain


def test_public_names_are_pinned() -> None:
    assert backlinks.__all__ == ["Index", "__version__", "open"]
    assert isinstance(backlinks.__version__, str)
    assert backlinks.open is backlinks.index.open
    for name in backlinks.__all__:
        assert hasattr(backlinks, name)


@pytest.fixture(scope="module")
def webs() -> tuple[SynthWeb, SynthWeb]:
    first = generate_web(3, sites=8)
    return first, evolve(first, 2)


@pytest.fixture(scope="module")
def db(webs: tuple[SynthWeb, SynthWeb], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("api")
    path = root / "api.duckdb"
    with backlinks.open(path) as index:
        assert isinstance(index, backlinks.Index)
        for i, web in enumerate(webs):
            warc = root / f"s{i}.warc.gz"
            write_warc(web.pages, warc)
            report = index.ingest(warc)
            assert report.pages == len(web.pages)
    return path


def test_open_creates_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with backlinks.open(path) as index:
        assert index.stats()["pages"] == 0
    assert path.exists()
    with backlinks.open(path, read_only=True) as index:
        assert index.snapshots().empty
    with pytest.raises(FileNotFoundError):
        backlinks.open(tmp_path / "absent.duckdb", read_only=True)
    assert not (tmp_path / "absent.duckdb").exists()


def test_links_returns_a_dataframe(webs: tuple[SynthWeb, SynthWeb], db: Path) -> None:
    target = webs[0].featured_host
    with backlinks.open(db, read_only=True) as index:
        df = index.links(target, limit=None)
        few = index.links(target, limit=4)
        internal = index.links(target, limit=None, include_internal=True)
        by_url = index.links(df["target_url"].iloc[0], mode="url", limit=None)
    assert isinstance(df, pd.DataFrame)
    assert len(df) > 4
    assert {"source_url", "target_url", "anchor", "first_seen", "last_seen", "snapshots"} <= set(
        df.columns
    )
    domain = registrable_domain(target)
    assert all(registrable_domain(host_of(u)) == domain for u in df["target_url"])
    assert all(registrable_domain(host_of(u)) != domain for u in df["source_url"])
    assert len(few) == 4
    assert few.equals(df.head(4))
    assert len(internal) > len(df)
    assert set(by_url["target_url"]) == {df["target_url"].iloc[0]}
    assert set(df["snapshots"]) <= {1, 2}


def test_stats_snapshots_and_sql(webs: tuple[SynthWeb, SynthWeb], db: Path) -> None:
    with backlinks.open(db, read_only=True) as index:
        stats = index.stats()
        snaps = index.snapshots()
        n_pages = index.sql("SELECT count(*) AS n FROM pages")
        by_snapshot = index.sql(
            "SELECT snapshot_id, count(*) AS n FROM pages WHERE status = ? GROUP BY 1",
            [200],
        )
    assert isinstance(stats, dict)
    assert stats["pages"] == sum(len(w.pages) for w in webs)
    assert stats["snapshots"] == 2
    assert isinstance(snaps, pd.DataFrame)
    assert isinstance(n_pages, pd.DataFrame)
    assert int(n_pages["n"].iloc[0]) == stats["pages"]
    assert len(snaps) == 2
    assert sorted(snaps["pages"]) == sorted(len(w.pages) for w in webs)
    starts = sorted(s.to_pydatetime() for s in snaps["started_at"])
    assert starts == sorted(
        min(p.fetched_at for p in w.pages).astimezone(UTC).replace(tzinfo=None) for w in webs
    )
    ok = sorted(sum(p.status == 200 for p in w.pages) for w in webs)
    assert sorted(by_snapshot["n"]) == ok


def test_read_only_index_refuses_writes(db: Path) -> None:
    with backlinks.open(db, read_only=True) as index, pytest.raises(duckdb.Error):
        index.sql("DELETE FROM pages")
