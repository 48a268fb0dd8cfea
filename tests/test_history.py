"""New and lost backlinks and the per-snapshot timeline on the two-snapshot synthetic web,
checked against set differences computed here from the links and pages tables; a partial
third crawl shows `not re-crawled`; a `verify` verdict in link_history is used; the CLI
prints all three formats; the real WARC samples give consistent answers."""

from __future__ import annotations

import gzip
import itertools
import json
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import backlinks
from backlinks import urls
from backlinks.analysis.history import NEW_LOST_COLUMNS, TIMELINE_COLUMNS, new_lost, timeline
from backlinks.cli import app
from backlinks.demo.synthweb import SynthWeb, evolve, generate_web
from backlinks.demo.warcwrite import write_warc
from datapaths import SHARED_DATA

runner = CliRunner()
SAMPLES = SHARED_DATA / "warc-samples"
PAGE_REASONS = {"removed", "now nofollow", "page gone (404)", "page gone (410)", "redirected"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthWeb, SynthWeb]:
    folder = tmp_path_factory.mktemp("history")
    first = generate_web(7)
    second = evolve(first, 7)
    db = folder / "demo.duckdb"
    with backlinks.open(db) as index:
        for n, web in enumerate((first, second)):
            path = folder / f"web-{n}.warc.gz"
            write_warc(web.pages, path)
            index.ingest(path)
    return db, first, second


def _snapshots(db: Path) -> list[int]:
    with backlinks.open(db, read_only=True) as index:
        df = index.store.query("SELECT snapshot_id FROM snapshots ORDER BY started_at")
    return [int(s) for s in df.snapshot_id]


def _reference(db: Path, domain: str, a: int, b: int) -> pd.DataFrame:
    """New and lost (source page, target URL) pairs of a domain between snapshots a and b,
    by set difference over the raw links, with the reason the pages table gives."""
    dom = urls.stable_id(domain)
    with backlinks.open(db, read_only=True) as index:
        links = index.store.query(
            "SELECT * FROM links WHERE dst_domain_id = ? AND src_domain_id <> ?", [dom, dom]
        )
        pages = index.store.query("SELECT url_id, snapshot_id, status FROM pages")
    links["followed"] = ~(links.nofollow | links.ugc | links.sponsored)

    def pairs(sid: int) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        rows = links[links.snapshot_id == sid]
        every = set(zip(rows.src_url, rows.dst_url, strict=True))
        fol = rows[rows.followed]
        return every, set(zip(fol.src_url, fol.dst_url, strict=True))

    (pa, fa), (pb, fb) = pairs(a), pairs(b)
    status = {(int(u), int(s)): int(st) for u, s, st in pages.itertuples(index=False)}
    rows = []
    for src, dst in sorted(pa - pb):
        st = status.get((urls.stable_id(src), b))
        if st is None:
            why = "not re-crawled"
        elif st in (404, 410):
            why = f"page gone ({st})"
        elif 300 <= st < 400:
            why = "redirected"
        else:
            why = "removed"
        rows.append(("lost", src, dst, why))
    rows += [("lost", s, d, "now nofollow") for s, d in sorted(fa & (pb - fb))]
    rows += [("new", s, d, "") for s, d in sorted(pb - pa)]
    rows += [("new", s, d, "now followed") for s, d in sorted(fb & (pa - fa))]
    return pd.DataFrame(rows, columns=["change", "source_url", "target_url", "reason"])


def test_new_lost_is_the_set_difference(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    a, b = _snapshots(db)
    domains = sorted({urls.registrable_domain(s.host) for s in first.sites})
    seen: set[str] = set()
    with backlinks.open(db, read_only=True) as index:
        for domain in domains:
            got = new_lost(index.store, domain, mode="domain")
            assert list(got.columns) == list(NEW_LOST_COLUMNS)
            ref = _reference(db, domain, a, b)
            key = ["change", "source_url", "target_url"]
            assert sorted(map(tuple, got[key].to_numpy().tolist())) == sorted(
                map(tuple, ref[key].to_numpy().tolist())
            ), domain
            merged = got.merge(ref, on=key, suffixes=("", "_ref"))
            lost = merged[merged.change == "lost"]
            assert (lost.reason == lost.reason_ref).all(), lost[["reason", "reason_ref"]]
            new = merged[merged.change == "new"]
            assert new.reason.isin(["new page", "added", "now followed"]).all()
            assert ((new.reason == "now followed") == (new.reason_ref == "now followed")).all()
            assert (got.source_domain == got.source_url.map(urls.domain_of)).all()
            assert (got.first_seen <= got.last_seen).all()
            seen |= set(got.reason)
            # defaults are the last two snapshots; explicit ids give the same answer
            same = new_lost(index.store, domain, mode="domain", from_snapshot=a, to_snapshot=b)
            pd.testing.assert_frame_equal(got, same)
    # evolve removes links, turns some nofollow, takes a page to 404 and redirects another
    assert {"removed", "now nofollow", "page gone (404)", "redirected", "new page"} <= seen


def test_timeline_counts(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    a, b = _snapshots(db)
    domain = urls.registrable_domain(first.featured_host)
    dom = urls.stable_id(domain)
    with backlinks.open(db, read_only=True) as index:
        tl = timeline(index.store, domain)
        changes = new_lost(index.store, domain)
        links = index.store.query(
            "SELECT * FROM links WHERE dst_domain_id = ? AND src_domain_id <> ?", [dom, dom]
        )
    assert list(tl.columns) == list(TIMELINE_COLUMNS)
    assert list(tl.snapshot_id) == [a, b]
    prev_d: set[int] = set()
    prev_p: set[tuple[int, int]] = set()
    for row in tl.itertuples():
        now = links[links.snapshot_id == row.snapshot_id]
        doms = set(now.src_domain_id)
        pairs = set(zip(now.src_url_id, now.dst_url_id, strict=True))
        assert (row.referring_domains, row.new_domains, row.lost_domains) == (
            len(doms),
            len(doms - prev_d),
            len(prev_d - doms),
        )
        assert (row.backlinks, row.new_links, row.lost_links) == (
            len(pairs),
            len(pairs - prev_p),
            len(prev_p - pairs),
        )
        prev_d, prev_p = doms, pairs
    # presence only: the timeline's last step is new-lost without the rel flips
    last = tl.iloc[-1]
    lost = changes[(changes.change == "lost") & (changes.reason != "now nofollow")]
    new = changes[(changes.change == "new") & (changes.reason != "now followed")]
    assert (last.lost_links, last.new_links) == (len(lost), len(new))


def test_not_recrawled_and_verify_verdicts(
    demo: tuple[Path, SynthWeb, SynthWeb], tmp_path: Path
) -> None:
    """A later partial crawl: pages it did not fetch are `not re-crawled`, not lost by fact,
    unless `verify` recorded why in link_history."""
    db0, first, second = demo
    db = tmp_path / "partial.duckdb"
    shutil.copy(db0, db)
    featured = first.featured_host
    dropped = next(
        s.host for s in second.sites if s.role == "normal" and s.host != featured
    )  # one site's pages are not fetched again
    later = [
        replace(p, fetched_at=p.fetched_at + timedelta(days=7))
        for p in second.pages
        if urls.host_of(p.url) != dropped
    ]
    path = tmp_path / "partial.warc.gz"
    write_warc(later, path)
    with backlinks.open(db) as index:
        index.ingest(path)
    a, b, c = _snapshots(db)
    domain = urls.registrable_domain(featured)
    with backlinks.open(db, read_only=True) as index:
        got = new_lost(index.store, domain)
        assert len(got) > 0
        assert (got.change == "lost").all()
        assert (got.reason == "not re-crawled").all()
        assert set(got.source_url.map(urls.host_of)) == {dropped}
        tl = timeline(index.store, domain)
        assert list(tl.snapshot_id) == [a, b, c]
        assert tl.lost_links.iloc[-1] == len(got)
        # from the first snapshot straight to the partial one
        jump = new_lost(index.store, domain, from_snapshot=a, to_snapshot=c)
        assert set(jump.reason) - {"not re-crawled", "new page"} <= PAGE_REASONS
        with pytest.raises(ValueError, match="no snapshot"):
            new_lost(index.store, domain, from_snapshot=12345)
        only_to = new_lost(index.store, domain, to_snapshot=b)
        explicit = new_lost(index.store, domain, from_snapshot=a, to_snapshot=b)
        pd.testing.assert_frame_equal(only_to, explicit)
    # what `backlinks verify` records in link_history names the reason
    victim = got.iloc[0]
    with backlinks.open(db) as index:
        index.store.con.execute(
            "INSERT INTO link_history VALUES (?, ?, NULL, NULL, 'page_gone')",
            [urls.stable_id(victim.source_url), urls.stable_id(victim.target_url)],
        )
        again = new_lost(index.store, domain)
    pairs = zip(again.source_url, again.target_url, strict=True)
    verdicts = dict(zip(pairs, again.reason, strict=True))
    assert verdicts[(victim.source_url, victim.target_url)] == "page gone (verify)"
    assert list(verdicts.values()).count("not re-crawled") == len(got) - 1


def test_one_snapshot_is_not_enough(tmp_path: Path) -> None:
    web = generate_web(3)
    path = tmp_path / "one.warc.gz"
    write_warc(web.pages, path)
    db = tmp_path / "one.duckdb"
    with backlinks.open(db) as index:
        index.ingest(path)
        with pytest.raises(ValueError, match="two snapshots"):
            new_lost(index.store, web.featured_host)
        assert len(timeline(index.store, web.featured_host)) == 1
    result = runner.invoke(app, ["new-lost", web.featured_host, "--db", str(db)])
    assert result.exit_code == 2
    assert "two snapshots" in result.output


def test_new_lost_cli_formats(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    target = urls.registrable_domain(first.featured_host)
    with backlinks.open(db, read_only=True) as index:
        expect = new_lost(index.store, target)
        tl = timeline(index.store, target)
    base = ["new-lost", target, "--db", str(db), "--limit", "0"]
    table = runner.invoke(app, base, env={"COLUMNS": "300"})
    assert table.exit_code == 0, table.output
    assert "new and lost backlinks of" in table.stdout
    assert "page gone (404)" in table.stdout
    rows = json.loads(runner.invoke(app, [*base, "-f", "json"]).stdout)
    assert len(rows) == len(expect)
    assert set(rows[0]) == set(NEW_LOST_COLUMNS)
    lines = runner.invoke(app, [*base, "-f", "csv"]).stdout.splitlines()
    assert lines[0] == ",".join(NEW_LOST_COLUMNS)
    assert len(lines) == len(expect) + 1
    a, b = _snapshots(db)
    swapped = json.loads(
        runner.invoke(app, [*base, "-f", "json", "--from", str(b), "--to", str(a)]).stdout
    )
    assert sum(r["change"] == "new" for r in swapped) == int((expect.change == "lost").sum())
    timeline_rows = json.loads(runner.invoke(app, [*base, "--timeline", "-f", "json"]).stdout)
    assert [r["backlinks"] for r in timeline_rows] == list(tl.backlinks)
    limited = runner.invoke(app, ["new-lost", target, "--db", str(db), "--limit", "3", "-f", "csv"])
    assert len(limited.stdout.splitlines()) == 4


def test_real_warc_samples(tmp_path: Path) -> None:
    """New/lost and timelines over the real samples (each file its own snapshot)."""
    if not SAMPLES.is_dir():
        pytest.skip(f"shared test data not present: {SAMPLES}")
    files = sorted(
        p for p in SAMPLES.rglob("*") if p.is_file() and (".warc" in p.name or ".arc" in p.name)
    )
    db = tmp_path / "real.duckdb"
    with backlinks.open(db) as index:
        for path in files:
            index.ingest(path)
        top = index.store.query(
            "SELECT d.domain FROM links l JOIN domains d ON d.domain_id = l.dst_domain_id "
            "WHERE l.src_domain_id <> l.dst_domain_id GROUP BY 1 "
            "HAVING count(DISTINCT l.snapshot_id) > 1 "
            "ORDER BY count(DISTINCT l.snapshot_id) DESC, count(*) DESC, 1 LIMIT 3"
        ).domain.tolist()
        assert top
        snaps = index.store.query(
            "SELECT snapshot_id FROM snapshots s WHERE EXISTS "
            "(SELECT 1 FROM links l WHERE l.snapshot_id = s.snapshot_id) "
            "ORDER BY started_at NULLS LAST, snapshot_id"
        ).snapshot_id.tolist()
        for target in top:
            tl = timeline(index.store, target, mode="domain")
            assert list(tl.snapshot_id) == snaps
            for col in ("referring_domains", "backlinks"):
                step = tl[col].diff().fillna(tl[col])
                new, lost = (
                    ("new_domains", "lost_domains")
                    if col != "backlinks"
                    else ("new_links", "lost_links")
                )
                assert (step == tl[new] - tl[lost]).all()
            for a, b in itertools.pairwise(snaps):
                got = new_lost(index.store, target, mode="domain", from_snapshot=a, to_snapshot=b)
                step = tl[tl.snapshot_id == b].iloc[0]
                flips = got.reason.isin(["now nofollow", "now followed"])
                assert int((got.change == "lost")[~flips].sum()) == step.lost_links
                assert int((got.change == "new")[~flips].sum()) == step.new_links
                allowed = PAGE_REASONS | {"not re-crawled", "new page", "added", "now followed"}
                assert set(got.reason) <= allowed | set(
                    got.reason[got.reason.str.startswith("page error")]
                )


def _release(folder: Path, stem: str, edges: list[tuple[int, int]]) -> None:
    """A Common Crawl host-graph release: vertices (reversed hosts) and edges files."""
    vertices = {0: "com.example", 1: "com.example.www", 2: "org.other", 3: "uk.co.bbc.news"}
    lines = "".join(f"{vid}\t{name}\n" for vid, name in vertices.items())
    (folder / f"{stem}-vertices.txt.gz").write_bytes(gzip.compress(lines.encode(), mtime=0))
    text = "".join(f"{a}\t{b}\n" for a, b in edges)
    (folder / f"{stem}-edges.txt.gz").write_bytes(gzip.compress(text.encode(), mtime=0))


def test_web_graph_snapshots_without_pages(tmp_path: Path) -> None:
    """Host-graph releases store links only: a source with links in the later release was
    fetched (its lost link is `removed`); one without any is `not re-crawled`."""
    _release(tmp_path, "release-a", [(0, 2), (3, 2), (1, 0)])
    _release(tmp_path, "release-b", [(0, 1), (1, 0)])
    db = tmp_path / "graph.duckdb"
    with backlinks.open(db) as index:
        index.ingest(str(tmp_path / "release-a-vertices.txt.gz"))
        index.ingest(str(tmp_path / "release-b-vertices.txt.gz"))
        snaps = index.store.query("SELECT snapshot_id, source FROM snapshots")
        assert index.store.query("SELECT count(*) AS n FROM pages").n.iloc[0] == 0
        a, b = (
            int(snaps.snapshot_id[snaps.source.str.contains(name)].iloc[0])
            for name in ("release-a", "release-b")
        )
        got = new_lost(index.store, "other.org", from_snapshot=a, to_snapshot=b)
    reasons = dict(zip(got.source_url.map(urls.host_of), got.reason, strict=True))
    assert reasons == {"example.com": "removed", "news.bbc.co.uk": "not re-crawled"}
    assert (got.change == "lost").all()
