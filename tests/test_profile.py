"""Backlink profiles on the two-snapshot synthetic web: every number is recomputed here with
pandas from `backlinks(..., limit=None)`, the raw links table or the slow anchor classifier
of the toxic-link module; `--disavow` lowers the money site's profile; the CLI prints all
three formats and escapes hostile anchor text; real WARC samples give consistent profiles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from publicsuffixlist import PublicSuffixList
from typer.testing import CliRunner

import backlinks
from backlinks import urls
from backlinks.analysis.authority import rank_store
from backlinks.analysis.backlinks import Mode
from backlinks.analysis.backlinks import backlinks as list_backlinks
from backlinks.analysis.profile import BUCKETS, SECTIONS, Profile, profile
from backlinks.cli import app
from backlinks.demo.synthweb import SynthPage, SynthWeb, evolve, generate_web
from backlinks.demo.warcwrite import write_warc
from backlinks.quality.disavow import exclusion_of, parse_disavow
from backlinks.quality.toxic import anchor_classes, anchor_profile
from datapaths import SHARED_DATA

runner = CliRunner()
SAMPLES = SHARED_DATA / "warc-samples"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthWeb, SynthWeb]:
    folder = tmp_path_factory.mktemp("profile")
    first = generate_web(7)
    second = evolve(first, 7)
    db = folder / "demo.duckdb"
    with backlinks.open(db) as index:
        for n, web in enumerate((first, second)):
            path = folder / f"web-{n}.warc.gz"
            write_warc(web.pages, path)
            index.ingest(path)
        rank_store(index.store)
    return db, first, second


def _money(web: SynthWeb) -> str:
    return next(s.host for s in web.sites if s.role == "money")


def _targets(web: SynthWeb) -> list[tuple[str, Mode]]:
    """Host, domain, URL and prefix targets of the demo."""
    featured = web.featured_host
    return [
        (featured, "auto"),
        (urls.registrable_domain(featured), "auto"),
        (_money(web), "auto"),
        (f"https://{featured}/", "url"),
        (f"https://{featured}/gravel/", "prefix"),
    ]


def _followed(df: pd.DataFrame) -> pd.Series:
    return ~(df.nofollow | df.ugc | df.sponsored)


def test_summary_matches_backlinks_listing(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    psl = PublicSuffixList()
    with backlinks.open(db, read_only=True) as index:
        for target, mode in _targets(first):
            p = profile(index.store, target, mode=mode, limit=0)
            ref = list_backlinks(index.store, target, mode=mode, limit=None)
            assert len(ref) > 0, target
            followed = ref[_followed(ref)]
            s = p.summary
            assert s["backlinks"] == len(ref)
            assert s["referring_pages"] == ref.source_url.nunique()
            assert s["referring_domains"] == ref.source_domain.nunique()
            assert s["referring_hosts"] == ref.source_url.map(urls.host_of).nunique()
            assert s["followed_backlinks"] == len(followed)
            assert s["followed_share"] == pytest.approx(len(followed) / len(ref), abs=1e-4)
            assert s["followed_domains"] == followed.source_domain.nunique()
            assert s["first_seen"] == ref.first_seen.min()
            assert s["last_seen"] == ref.last_seen.max()
            assert s["snapshots"] == 2
            assert s["disavowed_links"] == 0
            # sections, best pages, TLDs
            sections = ref.section.value_counts()
            assert dict(zip(p.sections.section, p.sections.links, strict=True)) == dict(sections)
            assert p.sections.share.sum() == pytest.approx(1.0)
            pages = ref.groupby("target_url").agg(
                referring_domains=("source_domain", "nunique"), links=("anchor", "size")
            )
            pages["followed_links"] = followed.groupby("target_url").size()
            pages = pages.fillna(0).astype("int64")
            for row in p.best_pages.itertuples():
                assert tuple(pages.loc[row.target_url]) == (
                    row.referring_domains,
                    row.links,
                    row.followed_links,
                )
            assert len(p.best_pages) == len(pages)
            assert list(p.best_pages.referring_domains) == sorted(
                p.best_pages.referring_domains, reverse=True
            )
            tlds = ref.drop_duplicates("source_domain").source_domain.map(psl.publicsuffix)
            assert dict(zip(p.tlds.tld, p.tlds.referring_domains, strict=True)) == dict(
                tlds.value_counts()
            )
            assert p.tlds.share.sum() == pytest.approx(1.0)
            assert p.target
            assert p.mode in ("url", "prefix", "host", "domain")


def test_ratings_come_from_metrics(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    with backlinks.open(db, read_only=True) as index:
        metrics = index.store.query("SELECT * FROM metrics WHERE snapshot_id IS NULL")
        rating_of = dict(
            zip(
                metrics[metrics.level == "domain"].node_id,
                metrics[metrics.level == "domain"].rating,
                strict=True,
            )
        )
        for target, mode in _targets(first):
            p = profile(index.store, target, mode=mode, limit=0)
            url = target if "://" in target else f"https://{target}/"
            own = urls.stable_id(urls.registrable_domain(urls.host_of(url)))
            assert p.summary["rating"] == pytest.approx(rating_of[own], abs=0.05)
            ref = list_backlinks(index.store, target, mode=mode, limit=None)
            ratings = {
                d: rating_of.get(urls.stable_id(d)) for d in ref.source_domain.drop_duplicates()
            }
            for row in p.top_domains.itertuples():
                assert row.rating == pytest.approx(ratings[row.domain], abs=0.05)
                mine = ref[ref.source_domain == row.domain]
                assert row.links == len(mine)
                assert row.followed_links == int(_followed(mine).sum())
                assert row.first_seen == mine.first_seen.min()
            assert list(p.top_domains.rating) == sorted(p.top_domains.rating, reverse=True)
            # the rating spread: every referring domain in exactly one bucket
            dist = p.rating_distribution
            spread = dict(zip(dist.bucket, dist.referring_domains, strict=True))
            assert list(p.rating_distribution.bucket)[:10] == list(BUCKETS)
            assert sum(spread.values()) == p.summary["referring_domains"]
            expect = pd.Series(
                [
                    "unranked" if r is None else BUCKETS[min(int(round(r, 1) // 10), 9)]
                    for r in ratings.values()
                ]
            ).value_counts()
            assert {k: v for k, v in spread.items() if v} == dict(expect)
        url_target = f"https://{first.featured_host}/"
        page = profile(index.store, url_target, mode="url")
        page_pr = metrics[(metrics.level == "page") & (metrics.node_id == urls.url_id(url_target))]
        assert page.summary["pagerank"] == pytest.approx(float(page_pr.pagerank.iloc[0]))


def test_velocity_matches_links_per_snapshot(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    with backlinks.open(db, read_only=True) as index:
        raw = index.store.query(
            "SELECT l.*, s.started_at FROM links l JOIN snapshots s USING (snapshot_id)"
        )
        order = raw.drop_duplicates("snapshot_id").sort_values("started_at").snapshot_id.tolist()
        for host in (first.featured_host, _money(first)):
            target = urls.registrable_domain(host)
            p = profile(index.store, target, mode="domain")
            dom = urls.stable_id(target)
            mine = raw[(raw.dst_domain_id == dom) & (raw.src_domain_id != dom)]
            assert list(p.velocity.snapshot_id) == order
            before: set[int] = set()
            for row, sid in zip(p.velocity.itertuples(), order, strict=True):
                now = mine[mine.snapshot_id == sid]
                doms = set(now.src_domain_id)
                assert row.referring_domains == len(doms)
                assert row.new_domains == len(doms - before)
                assert row.lost_domains == len(before - doms)
                key = ["src_url_id", "dst_url_id", "anchor", "nofollow", "ugc", "sponsored",
                       "is_image", "section"]  # fmt: skip
                assert row.links == len(now.drop_duplicates(key))
                before = doms


def test_anchors_match_the_slow_classifier(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    with backlinks.open(db, read_only=True) as index:
        for target, mode in _targets(first):
            p = profile(index.store, target, mode=mode, limit=0)
            ev = anchor_classes(index.store, target, mode=mode)
            expect = anchor_profile(ev)
            got = p.anchors.astype({"referring_domains": "int64", "links": "int64"})
            pd.testing.assert_frame_equal(
                got, expect.astype({"referring_domains": "int64", "links": "int64"})
            )
            assert got.links.sum() == p.summary["backlinks"]
            # top anchors: every link once, domains per anchor as pandas counts them
            top = p.top_anchors
            assert top.links.sum() == p.summary["backlinks"]
            per = ev.groupby("anchor").src_domain_id.nunique()
            assert dict(zip(top.anchor, top.referring_domains, strict=True)) == dict(per)
            # an anchor's class is its most frequent one (ties: alphabetical)
            classes = ev.groupby("anchor").anchor_class.agg(lambda s: s.mode().iloc[0])
            assert dict(zip(top.anchor, top.anchor_class, strict=True)) == dict(classes)
        small = profile(index.store, first.featured_host, limit=3)
        assert len(small.top_anchors) == len(small.top_domains) == len(small.best_pages) == 3


def _farm_file(web: SynthWeb, folder: Path) -> Path:
    farms = sorted(urls.registrable_domain(s.host) for s in web.sites if s.role == "farm")
    path = folder / "farms.txt"
    path.write_text("# the planted link farm\n" + "".join(f"domain:{d}\n" for d in farms))
    return path


def test_disavow_lowers_the_money_site(
    demo: tuple[Path, SynthWeb, SynthWeb], tmp_path: Path
) -> None:
    db, first, _ = demo
    money = _money(first)
    path = _farm_file(first, tmp_path)
    farms = {urls.registrable_domain(s.host) for s in first.sites if s.role == "farm"}
    with backlinks.open(db) as index:
        before = profile(index.store, money)
        exclude = exclusion_of(index.store, parse_disavow(path.read_text()))
        after = profile(index.store, money, exclude=exclude)
        ref = list_backlinks(index.store, money, limit=None)
    farm_links = ref[ref.source_domain.isin(farms)]
    assert len(farm_links) > 0
    assert after.summary["disavowed_links"] == len(farm_links)
    assert after.summary["backlinks"] == before.summary["backlinks"] - len(farm_links)
    kept = ref[~ref.source_domain.isin(farms)]
    assert after.summary["referring_domains"] == kept.source_domain.nunique()
    assert after.summary["referring_domains"] < before.summary["referring_domains"]
    assert after.summary["rating"] < before.summary["rating"]
    assert after.summary["pagerank"] < before.summary["pagerank"]
    assert not set(after.top_domains.domain) & farms
    assert sum(after.rating_distribution.referring_domains) == after.summary["referring_domains"]
    # the CLI gives the same numbers from the file
    result = runner.invoke(
        app, ["profile", money, "--db", str(db), "--disavow", str(path), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["disavowed_links"] == len(farm_links)
    assert summary["referring_domains"] == after.summary["referring_domains"]
    assert summary["rating"] == pytest.approx(after.summary["rating"])


def test_profile_cli_formats(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    target = first.featured_host
    with backlinks.open(db, read_only=True) as index:
        p = profile(index.store, target, limit=5)
    base = ["profile", target, "--db", str(db), "--limit", "5"]
    table = runner.invoke(app, base)
    assert table.exit_code == 0, table.output
    for title in ("backlink profile of", "anchors", "top domains", "best pages", "velocity"):
        assert title in table.stdout
    assert f"{p.summary['referring_domains']:,}" in table.stdout
    as_json = runner.invoke(app, [*base, "-f", "json"])
    payload = json.loads(as_json.stdout)
    assert set(payload) == {"summary", *SECTIONS}
    assert payload["summary"]["backlinks"] == p.summary["backlinks"]
    assert len(payload["top_domains"]) == 5
    assert payload["best_pages"][0]["target_url"] == p.best_pages.target_url.iloc[0]
    as_csv = runner.invoke(app, [*base, "-f", "csv"])
    lines = as_csv.stdout.splitlines()
    assert lines[0] == "key,value"
    assert f"referring_domains,{p.summary['referring_domains']}" in lines
    section = runner.invoke(app, [*base, "-f", "csv", "--section", "top_domains"])
    rows = section.stdout.splitlines()
    assert rows[0] == "domain,rating,links,followed_links,first_seen"
    assert len(rows) == 6
    bad = runner.invoke(app, [*base, "--section", "nope"])
    assert bad.exit_code != 0
    missing = runner.invoke(app, ["profile", target, "--db", str(db.with_name("none.duckdb"))])
    assert missing.exit_code == 2


def test_anchors_cli_formats(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    target = first.featured_host
    base = ["anchors", target, "--db", str(db), "--limit", "4"]
    table = runner.invoke(app, base)
    assert table.exit_code == 0, table.output
    assert "anchor classes of" in table.stdout
    assert "top anchors of" in table.stdout
    payload = json.loads(runner.invoke(app, [*base, "-f", "json"]).stdout)
    assert {r["anchor_class"] for r in payload["classes"]} >= {"branded", "exact", "url"}
    assert len(payload["top_anchors"]) == 4
    lines = runner.invoke(app, [*base, "-f", "csv"]).stdout.splitlines()
    assert lines[0] == "part,anchor,anchor_class,referring_domains,links,share"
    assert sum(line.startswith("top_anchors,") for line in lines) == 4
    assert sum(line.startswith("classes,") for line in lines) == 7


HOSTILE = "\x1b[31mred\x1b[0m [bold]markup[/bold] \u202eevil\x07"


def test_hostile_anchor_text_is_escaped(tmp_path: Path) -> None:
    """Anchor text with terminal escapes, bidi overrides and rich markup prints inert."""
    db = tmp_path / "evil.duckdb"
    for n, day in enumerate((1, 29)):
        when = datetime(2024, 5, day, tzinfo=UTC)
        pages = [
            SynthPage(
                f"https://spam{k}.example/post",
                200,
                f"<html><body><main><p><a href='https://victim.example/p'>{HOSTILE}</a>"
                f"</p></main></body></html>".encode()
                if k >= n
                else b"<html><body><main><p>gone</p></main></body></html>",
                "text/html",
                when,
            )
            for k in range(3)
        ]
        path = tmp_path / f"evil-{n}.warc.gz"
        write_warc(pages, path)
        with backlinks.open(db) as index:
            index.ingest(path)
    with backlinks.open(db, read_only=True) as index:
        stored = index.store.query("SELECT DISTINCT anchor FROM links").anchor.tolist()
    assert any("\x1b" in a or "\u202e" in a for a in stored)  # the store keeps what it saw
    for args in (
        ["profile", "victim.example"],
        ["anchors", "victim.example"],
        ["new-lost", "victim.example"],
    ):
        result = runner.invoke(app, [*args, "--db", str(db)], env={"COLUMNS": "400"})
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert "\x1b" not in out
        assert "\u202e" not in out
        assert "\x07" not in out
        assert "[bold]markup[/bold]" in out  # shown as text, not read as markup
        assert "\ufffd" in out  # control characters made visible


def test_real_warc_samples(tmp_path: Path) -> None:
    """Profiles of the best-linked domains of the real WARC samples are self-consistent."""
    if not SAMPLES.is_dir():
        pytest.skip(f"shared test data not present: {SAMPLES}")
    files = sorted(
        p for p in SAMPLES.rglob("*") if p.is_file() and (".warc" in p.name or ".arc" in p.name)
    )
    db = tmp_path / "real.duckdb"
    with backlinks.open(db) as index:
        for path in files:
            index.ingest(path)
        rank_store(index.store)
        top = index.store.query(
            "SELECT d.domain FROM links l JOIN domains d ON d.domain_id = l.dst_domain_id "
            "WHERE l.src_domain_id <> l.dst_domain_id GROUP BY 1 "
            "ORDER BY count(DISTINCT l.src_domain_id) DESC, 1 LIMIT 3"
        ).domain.tolist()
        assert top
        for target in top:
            p = profile(index.store, target, limit=0)
            _consistent(p)
            ref = list_backlinks(index.store, target, limit=None)
            assert p.summary["backlinks"] == len(ref)
            assert p.summary["referring_domains"] == ref.source_domain.nunique()


def _consistent(p: Profile) -> None:
    s = p.summary
    assert s["backlinks"] > 0
    assert s["followed_backlinks"] <= s["backlinks"]
    assert s["followed_domains"] <= s["referring_domains"] <= s["referring_hosts"]
    assert s["referring_hosts"] <= s["referring_pages"] <= s["backlinks"]
    assert s["first_seen"] <= s["last_seen"]
    assert 0.0 <= s["followed_share"] <= 1.0
    assert s["rating"] is None or 0.0 <= s["rating"] <= 100.0
    assert p.sections.share.sum() == pytest.approx(1.0)
    assert p.tlds.share.sum() == pytest.approx(1.0)
    assert p.tlds.referring_domains.sum() == s["referring_domains"]
    assert p.rating_distribution.referring_domains.sum() == s["referring_domains"]
    assert p.anchors.links.sum() == s["backlinks"]
    assert p.top_anchors.links.sum() == s["backlinks"]
    assert p.best_pages.links.sum() == s["backlinks"]
    assert p.top_domains.links.sum() == s["backlinks"]
    assert (p.top_domains.followed_links <= p.top_domains.links).all()
    v = p.velocity
    change = v.referring_domains.diff().fillna(v.referring_domains)
    assert (change == v.new_domains - v.lost_domains).all()
    assert v.links.max() <= s["backlinks"]
    assert (v.links > 0).sum() == s["snapshots"]
