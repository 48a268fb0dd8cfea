"""Referral-traffic estimates on real DuckDB files built by the real pipeline (the synthetic
demo web, two snapshots, ranked), against a straightforward per-page Python version of the
reasonable-surfer model written from its documentation; then the CLI and the real WARC
samples."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import backlinks
from backlinks import urls
from backlinks.analysis.authority import rank_store
from backlinks.analysis.referral import referral
from backlinks.cli import app
from backlinks.demo.synthweb import SynthWeb, evolve, generate_web
from backlinks.demo.warcwrite import write_warc
from backlinks.store.db import Store
from datapaths import SHARED_DATA

runner = CliRunner()

# The documented model (README, backlinks.analysis.referral), written out again here.
SECTION = {"content": 1.0, "aside": 0.4, "header": 0.25, "nav": 0.25, "footer": 0.1,
           "comment": 0.05, "unknown": 0.5}  # fmt: skip
HALF, IMAGE, CTR, VISITS = 10.0, 0.6, 0.3, 100_000_000


@dataclass(frozen=True)
class Row:
    src_id: int
    src_url: str
    src_domain_id: int
    dst_url: str
    dst_domain_id: int
    section: str
    position: int
    is_image: bool


def latest_links(store: Store) -> dict[int, list[Row]]:
    """Every source page's links as of its latest fetch (by snapshot start, then id)."""
    started = dict(store.con.execute("SELECT snapshot_id, started_at FROM snapshots").fetchall())
    seen: dict[int, set[int]] = defaultdict(set)
    for url_id, snap in store.con.execute("SELECT url_id, snapshot_id FROM pages").fetchall():
        seen[url_id].add(snap)
    rows = store.con.execute(
        "SELECT src_url_id, src_url, src_domain_id, dst_url, dst_domain_id, section, position, "
        "is_image, snapshot_id FROM links"
    ).fetchall()
    for row in rows:
        seen[row[0]].add(row[-1])
    latest = {src: max(snaps, key=lambda s: (started[s], s)) for src, snaps in seen.items()}
    out: dict[int, list[Row]] = defaultdict(list)
    for *fields, snap in rows:
        if snap == latest[fields[0]]:
            out[fields[0]].append(Row(*fields))
    return out


def visit_shares(store: Store) -> dict[int, float]:
    return dict(
        store.con.execute(
            "SELECT node_id, pagerank FROM metrics WHERE level = 'page' AND snapshot_id IS NULL"
        ).fetchall()
    )


def reference(
    store: Store,
    domain: str,
    *,
    ctr: float = CTR,
    shares: dict[int, float] | None = None,
    pages: dict[int, list[Row]] | None = None,
) -> dict[tuple[str, str, int], tuple[float, float, float, int]]:
    """(source, target, position) -> (click_share, visits, clicks, page_links) for every
    external link to ``domain``, one page at a time."""
    want = urls.stable_id(domain)
    shares = visit_shares(store) if shares is None else shares
    floor = min(shares.values())
    out = {}
    for src, rows in (pages or latest_links(store)).items():
        weights = [
            SECTION[r.section] / (1 + r.position / HALF) * (IMAGE if r.is_image else 1.0)
            for r in rows
        ]
        total = sum(weights)
        for r, w in zip(rows, weights, strict=True):
            if r.dst_domain_id == want and r.src_domain_id != want:
                visits = VISITS * shares.get(src, floor)
                share = ctr * w / total
                out[(r.src_url, r.dst_url, r.position)] = (share, visits, share * visits, len(rows))
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthWeb]:
    folder = tmp_path_factory.mktemp("referral")
    first = generate_web(7)
    db = folder / "demo.duckdb"
    with backlinks.open(db) as index:
        for n, web in enumerate((first, evolve(first, 7))):
            path = folder / f"web-{n}.warc.gz"
            write_warc(web.pages, path)
            index.ingest(path)
        rank_store(index.store, ("page", "domain"))
    return db, first


def targets(web: SynthWeb) -> list[str]:
    money = next(s.host for s in web.sites if s.role == "money")
    return [urls.registrable_domain(h) for h in (web.featured_host, money)] + ["instagram.com"]


def test_matches_a_per_page_reference(demo: tuple[Path, SynthWeb]) -> None:
    db, web = demo
    with Store(db, read_only=True) as store:
        for domain in targets(web):
            df = referral(store, domain, mode="domain")
            expected = reference(store, domain)
            assert df.attrs["visits_basis"] == "pagerank"
            assert len(df) == len(expected) > 0
            for row in df.itertuples():
                share, visits, clicks, n = expected[(row.source_url, row.target_url, row.position)]
                assert row.click_share == pytest.approx(share, rel=1e-9)
                assert row.source_visits == pytest.approx(visits, rel=1e-9)
                assert row.clicks_per_month == pytest.approx(clicks, rel=1e-9)
                assert row.page_links == n
            assert df.clicks_per_month.is_monotonic_decreasing
            per_domain = referral(store, domain, mode="domain", by="domain")
            assert per_domain.clicks_per_month.sum() == pytest.approx(
                sum(v[2] for v in expected.values())
            )
            assert per_domain.links.sum() == len(expected)
            top = df.groupby("source_domain").clicks_per_month.sum().idxmax()
            assert per_domain.source_domain.iloc[0] == top


def test_shares_of_a_page_sum_to_the_ctr(demo: tuple[Path, SynthWeb]) -> None:
    db, _ = demo
    with Store(db, read_only=True) as store:
        pages = sorted(latest_links(store).values(), key=len, reverse=True)[:3]
        for ctr, some in ((CTR, pages), (0.5, pages[:1])):
            for rows in some:
                page, total = rows[0].src_url, 0.0
                for dst in sorted({r.dst_domain_id for r in rows}):
                    domain = store.con.execute(
                        "SELECT domain FROM domains WHERE domain_id = ?", [dst]
                    ).fetchall()[0][0]
                    df = referral(store, domain, mode="domain", ctr=ctr, include_internal=True)
                    part = float(df[df.source_url == page].click_share.sum())
                    assert 0 < part <= ctr + 1e-12  # one target: at most the CTR
                    total += part
                assert total == pytest.approx(ctr)  # every link counted: exactly the CTR


def test_content_link_first_beats_footer_link(demo: tuple[Path, SynthWeb]) -> None:
    db, _ = demo
    checked = 0
    with Store(db, read_only=True) as store:
        for rows in latest_links(store).values():
            content = [r for r in rows if r.section == "content" and not r.is_image]
            footer = [r for r in rows if r.section == "footer" and not r.is_image]
            if not content or not footer or checked >= 5:
                continue
            first = min(content, key=lambda r: r.position)
            last = footer[0]
            got = {}
            for r in (first, last):
                df = referral(store, r.dst_url, mode="url", include_internal=True)
                hit = df[(df.source_url == r.src_url) & (df.position == r.position)]
                got[r.section] = float(hit.click_share.iloc[0])
            assert got["content"] > got["footer"]
            assert got["content"] / got["footer"] == pytest.approx(
                (1.0 / (1 + first.position / HALF)) / (0.1 / (1 + last.position / HALF))
            )
            checked += 1
    assert checked == 5


def test_monotone_in_source_pagerank(tmp_path: Path, demo: tuple[Path, SynthWeb]) -> None:
    db, web = demo
    domain = targets(web)[0]
    with Store(db, read_only=True) as store:
        before = referral(store, domain, mode="domain")
    source = before.source_url.iloc[-1]  # the weakest source gets a much stronger rank
    copy = tmp_path / "boosted.duckdb"
    shutil.copy(db, copy)
    with Store(copy) as store:
        store.con.execute(
            "UPDATE metrics SET pagerank = pagerank * 50 WHERE level = 'page' AND node_id = ?",
            [urls.stable_id(source)],
        )
        after = referral(store, domain, mode="domain")
    key = ["source_url", "target_url", "position"]
    merged = before.merge(after, on=key, suffixes=("_before", "_after"))
    assert len(merged) == len(before)
    boosted = merged.source_url == source
    assert (merged[boosted].clicks_per_month_after > merged[boosted].clicks_per_month_before).all()
    ratio = merged[boosted].clicks_per_month_after / merged[boosted].clicks_per_month_before
    assert ratio.tolist() == pytest.approx([50.0] * int(boosted.sum()))
    rest = merged[~boosted]
    assert rest.clicks_per_month_after.tolist() == rest.clicks_per_month_before.tolist()
    assert after.source_url.iloc[-1] != source  # it left the bottom


def test_in_degree_estimate_without_page_metrics(
    tmp_path: Path, demo: tuple[Path, SynthWeb]
) -> None:
    db, web = demo
    copy = tmp_path / "unranked.duckdb"
    shutil.copy(db, copy)
    with Store(copy) as store:
        store.con.execute("DELETE FROM metrics WHERE level = 'page'")
        edges = set(
            store.con.execute(
                "SELECT src_url_id, dst_url_id FROM links WHERE NOT (nofollow OR ugc OR "
                "sponsored) AND src_url_id <> dst_url_id"
            ).fetchall()
        )
        nodes = {n for e in edges for n in e}
        nodes |= {r[0] for r in store.con.execute("SELECT url_id FROM pages").fetchall()}
        indeg: dict[int, int] = defaultdict(int)
        for _, d in edges:
            indeg[d] += 1
        shares = {n: (1 + indeg[n]) / (len(nodes) + len(edges)) for n in nodes}
        domain = targets(web)[0]
        df = referral(store, domain, mode="domain")
        expected = reference(store, domain, shares=shares)
    assert df.attrs["visits_basis"] == "in-degree"
    for row in df.itertuples():
        _, visits, clicks, _ = expected[(row.source_url, row.target_url, row.position)]
        assert row.source_visits == pytest.approx(visits, rel=1e-9)
        assert row.clicks_per_month == pytest.approx(clicks, rel=1e-9)
    got = runner.invoke(app, ["referral", domain, "--db", str(copy), "--limit", "1"])
    assert got.exit_code == 0, got.output
    assert "from in-degree" in got.output


def test_cli_referral(demo: tuple[Path, SynthWeb]) -> None:
    db, web = demo
    domain = targets(web)[0]
    base = ["referral", domain, "--db", str(db), "--format", "json", "--limit", "0"]
    rows = json.loads(runner.invoke(app, base).stdout)
    tenfold = json.loads(runner.invoke(app, [*base, "--visits", "1000000000"]).stdout)
    assert len(rows) == len(tenfold) > 0
    assert [r["clicks_per_month"] * 10 for r in rows] == pytest.approx(
        [r["clicks_per_month"] for r in tenfold]
    )
    domains = runner.invoke(app, [*base, "--by", "domain", "--ctr", "0.6"])
    assert domains.exit_code == 0, domains.output
    per_domain = json.loads(domains.stdout)
    assert {"source_domain", "clicks_per_month", "links", "best_source"} == set(per_domain[0])
    assert sum(d["clicks_per_month"] for d in per_domain) == pytest.approx(
        2 * sum(r["clicks_per_month"] for r in rows)
    )
    assert runner.invoke(app, [*base, "--by", "anchor"]).exit_code == 2
    table = runner.invoke(app, ["referral", domain, "--db", str(db), "--limit", "3"])
    assert table.exit_code == 0, table.output
    assert "clicks" in table.stdout


SAMPLES = SHARED_DATA / "warc-samples"
REAL = ["commoncrawl-2020", "commoncrawl-wat-2015", "commoncrawl-2024-whirlwind",
        "link-extraction-cases"]  # fmt: skip


@pytest.mark.skipif(not SAMPLES.exists(), reason=f"shared WARC samples absent ({SAMPLES})")
def test_referral_real_warc_samples(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    with backlinks.open(db) as index:
        # WARC pages with layout, WAT metadata without (section "unknown"), edge cases
        index.ingest(*(SAMPLES / f for f in REAL))
        rank_store(index.store, ("page",))
    with Store(db, read_only=True) as store:
        busiest = store.con.execute(
            "SELECT d.domain FROM links l JOIN domains d ON d.domain_id = l.dst_domain_id "
            "WHERE l.src_domain_id <> l.dst_domain_id GROUP BY 1 ORDER BY count(*) DESC, 1 "
            "LIMIT 3"
        ).fetchall()
        pages = latest_links(store)
        for (domain,) in busiest:
            df = referral(store, domain, mode="domain")
            expected = reference(store, domain, pages=pages)
            assert len(df) == len(expected) > 0
            got = {(r.source_url, r.target_url, r.position): r for r in df.itertuples()}
            for k, (share, _, clicks, _) in expected.items():
                assert got[k].click_share == pytest.approx(share, rel=1e-9)
                assert got[k].clicks_per_month == pytest.approx(clicks, rel=1e-9)
            assert (df.clicks_per_month > 0).all()
            assert df.groupby("source_url").click_share.sum().le(CTR + 1e-12).all()
        sections = store.con.execute("SELECT DISTINCT section FROM links").fetchall()
    assert ("unknown",) in sections  # the WAT's links were weighed too
