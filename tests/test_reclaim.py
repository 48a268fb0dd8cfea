"""Link reclamation and unlinked mentions on real index files built by the real ingest.

* ``broken`` on the two-snapshot demo store equals a slow reference written here over the raw
  ``pages`` and ``links`` rows (latest fetch per URL, current links per source page, redirect
  chains walked hop by hop), and finds the demo's planted 404 target; a small hand-made site
  adds what the demo lacks: a two-hop chain, a loop, a redirect to a 404, a 410, and a
  one-hop redirect that is fine.
* ``lost_worth_asking`` equals the set difference of each source page's links between the two
  snapshots, and reads ``link_history`` as ``backlinks verify`` writes it.
* ``unlinked_mentions`` on a small WARC of pages that mention the brand with and without a
  link (one linking to another URL of the domain, on another host), with accents, hyphens,
  line breaks, near-misses and regex metacharacters in a user-supplied brand; and on the demo,
  against a Python reference.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import backlinks
from backlinks import urls
from backlinks.analysis.authority import rank_store
from backlinks.analysis.lost import lost_worth_asking
from backlinks.analysis.mentions import unlinked_mentions
from backlinks.analysis.reclaim import broken, broken_links
from backlinks.cli import app
from backlinks.demo.synthweb import SynthPage, SynthWeb, evolve, generate_web
from backlinks.demo.warcwrite import write_warc
from backlinks.store.db import Store

runner = CliRunner()
WHEN = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)


def page(url: str, *, title: str = "", body: str = "", links: tuple[str, ...] = (),
         status: int = 200, location: str | None = None, n: int = 0) -> SynthPage:  # fmt: skip
    """A hand-made response: ``body`` is text (escaped here), ``links`` are (href) anchors."""
    anchors = "".join(f'<p><a href="{escape(h)}">{escape(a)}</a></p>' for h, a in _pairs(links))
    html = (
        f"<!doctype html><html><head><title>{escape(title)}</title></head>"
        f"<body><p>{escape(body)}</p>{anchors}</body></html>"
    )
    return SynthPage(
        url, status, html.encode(), "text/html; charset=utf-8", WHEN + timedelta(seconds=n),
        location,
    )  # fmt: skip


def _pairs(links: tuple[str, ...]) -> list[tuple[str, str]]:
    """``"href|anchor"`` strings (anchor defaults to "a link")."""
    return [(s.split("|", 1)[0], s.split("|", 1)[1] if "|" in s else "a link") for s in links]


def ingest_pages(folder: Path, name: str, pages: list[SynthPage]) -> Path:
    db = folder / f"{name}.duckdb"
    warc = folder / f"{name}.warc.gz"
    write_warc(pages, warc)
    with backlinks.open(db) as index:
        index.ingest(warc)
        rank_store(index.store)
    return db


# ---- the demo store ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthWeb, SynthWeb]:
    folder = tmp_path_factory.mktemp("reclaim")
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


def reference_broken(store: Store, domain: str) -> dict[str, tuple[int, str, int, int]]:
    """target URL -> (status, problem, referring domains, links), the slow way."""
    latest: dict[int, tuple[datetime, str, int, int | None]] = {}
    for url_id, url, status, nxt, at in store.con.execute(
        "SELECT url_id, url, status, redirect_to_url_id, fetched_at FROM pages"
    ).fetchall():
        if url_id not in latest or at > latest[url_id][0]:
            latest[url_id] = (at, url, status, nxt)
    mine = urls.stable_id(domain)
    current: dict[int, set[tuple[int, int]]] = {}  # dst -> {(src page, src domain)}
    for src, src_dom, dst, seen in store.con.execute(
        "SELECT src_url_id, src_domain_id, dst_url_id, seen_at FROM links WHERE dst_domain_id = ?",
        [mine],
    ).fetchall():
        if src_dom == mine or (src in latest and seen < latest[src][0]):
            continue
        current.setdefault(dst, set()).add((src, src_dom))
    out = {}
    for dst, sources in current.items():
        if dst not in latest:
            continue
        _, url, status, nxt = latest[dst]
        problem = None
        if status in (404, 410):
            problem = "gone"
        elif 300 <= status < 400:
            seen_ids, hops, here = [dst], 0, latest[dst]
            while 300 <= here[2] < 400 and here[3] is not None:
                hops += 1
                if here[3] in seen_ids:
                    problem = "loop"
                    break
                seen_ids.append(here[3])
                if here[3] not in latest:
                    break
                here = latest[here[3]]
            else:
                if 400 <= here[2] < 500 and hops >= 1:
                    problem = "redirect_to_4xx"
            if problem is None and hops >= 2:
                problem = "chain"
        if problem:
            out[url] = (status, problem, len({d for _, d in sources}), len(sources))
    return out


def test_broken_equals_reference_on_the_demo(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    domains = sorted({urls.registrable_domain(s.host) for s in first.sites})
    total = 0
    with Store(db, read_only=True) as store:
        for domain in domains:
            got = broken(store, domain)
            mine = {
                r.target_url: (r.status, r.problem, r.referring_domains, r.links)
                for r in got.itertuples()
            }
            assert mine == reference_broken(store, domain), domain
            assert list(got.referring_domains) == sorted(got.referring_domains, reverse=True)
            total += len(got)
    assert total >= 1


def test_planted_404_is_found_with_a_live_suggestion(
    demo: tuple[Path, SynthWeb, SynthWeb],
) -> None:
    db, first, _ = demo
    featured = next(p for p in first.plans if p.info.role == "featured")
    missing = featured.url(featured.missing[0])
    domain = urls.registrable_domain(first.featured_host)
    with Store(db, read_only=True) as store:
        got = broken(store, domain).set_index("target_url")
        assert got.loc[missing, "status"] == 404
        for row in got.itertuples():
            assert row.redirect_to != row.Index
            status, dom = store.con.execute(
                "SELECT status, domain_id FROM pages WHERE url = ? ORDER BY fetched_at DESC "
                "LIMIT 1",
                [row.redirect_to],
            ).fetchall()[0]
            assert (status, dom) == (200, urls.stable_id(domain))  # a live page of mine
            sources = broken_links(store, domain)
            best = sources[sources.target_url == row.Index]
            assert row.best_source in set(best.source_url)


@pytest.fixture(scope="module")
def chains(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small site with every kind of broken URL, linked from two blogs."""
    me = "https://www.tyre-lab.com"
    pages = [
        page(f"{me}/", title="Tyre Lab – tyre reviews", body="Tyre reviews."),
        page(f"{me}/guides/tyre-pressure/", title="Tyre pressure guide", body="Pressure."),
        page(f"{me}/guides/tubeless-setup/", title="Tubeless setup", body="Sealant."),
        page(f"{me}/about/", title="About us", body="We test tyres.", links=(f"{me}/deleted/",)),
        page(f"{me}/old-pressure/", status=301, location=f"{me}/older-pressure/"),
        page(f"{me}/older-pressure/", status=301, location=f"{me}/guides/tyre-pressure/"),
        page(f"{me}/loop-a/", status=301, location=f"{me}/loop-b/"),
        page(f"{me}/loop-b/", status=301, location=f"{me}/loop-a/"),
        page(f"{me}/moved/", status=301, location=f"{me}/deleted/"),
        page(f"{me}/deleted/", status=404, body="Not found"),
        page(f"{me}/guides/tubeless-2019/", status=410, body="Gone"),
        page(f"{me}/short/", status=301, location=f"{me}/about/"),
    ]
    blog_a = (
        f"{me}/old-pressure/|pressure tips",
        f"{me}/loop-a/",
        f"{me}/moved/",
        f"{me}/guides/tubeless-2019/|tubeless setup guide",
        f"{me}/short/",
    )
    pages += [
        page("https://blog-a.org/post", title="Post", body="Links.", links=blog_a),
        page("https://blog-a.org/other", title="Other", body="More.", links=blog_a[3:4]),
        page(
            "https://blog-b.net/post",
            title="B",
            body="Links.",
            links=(f"{me}/guides/tubeless-2019/", f"{me}/deleted/"),
        ),
    ]
    pages = [replace_time(p, i) for i, p in enumerate(pages)]
    return ingest_pages(tmp_path_factory.mktemp("chains"), "chains", pages)


def replace_time(p: SynthPage, i: int) -> SynthPage:
    return SynthPage(p.url, p.status, p.html, p.content_type, WHEN + timedelta(seconds=i),
                     p.location)  # fmt: skip


def test_chains_loops_and_redirects_to_errors(chains: Path) -> None:
    me = "https://www.tyre-lab.com"
    with Store(chains, read_only=True) as store:
        got = broken(store, "tyre-lab.com").set_index("target_url")
        assert broken(store, "tyre-lab.com").equals(broken(store, "www.tyre-lab.com"))
    rows = {u: (r.status, r.problem, r.referring_domains, r.links) for u, r in got.iterrows()}
    assert rows == {
        f"{me}/old-pressure/": (301, "chain", 1, 1),
        f"{me}/loop-a/": (301, "loop", 1, 1),
        f"{me}/moved/": (301, "redirect_to_4xx", 1, 1),
        f"{me}/deleted/": (404, "gone", 1, 1),  # the internal link from /about/ not counted
        f"{me}/guides/tubeless-2019/": (410, "gone", 2, 3),
    }
    assert list(got.index[:1]) == [f"{me}/guides/tubeless-2019/"]  # most referring domains
    assert got.loc[f"{me}/old-pressure/", "hops"] == 2
    chain = got.loc[f"{me}/old-pressure/", "chain"]
    assert chain.split(" → ") == [
        f"{me}/old-pressure/ (301)",
        f"{me}/older-pressure/ (301)",
        f"{me}/guides/tyre-pressure/ (200)",
    ]
    assert got.loc[f"{me}/loop-a/", "chain"].endswith(f"{me}/loop-a/ (loop)")
    # a chain that ends on a live page is shortened to it; the rest go to the closest page
    assert got.loc[f"{me}/old-pressure/", "redirect_to"] == f"{me}/guides/tyre-pressure/"
    assert got.loc[f"{me}/guides/tubeless-2019/", "redirect_to"] == f"{me}/guides/tubeless-setup/"
    for url in got.index:
        assert got.loc[url, "redirect_to"] in {
            f"{me}/",
            f"{me}/guides/tyre-pressure/",
            f"{me}/guides/tubeless-setup/",
            f"{me}/about/",
        }


def test_broken_cli(chains: Path) -> None:
    result = runner.invoke(
        app, ["broken", "tyre-lab.com", "--db", str(chains), "--format", "json", "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 2
    assert rows[0]["target_url"] == "https://www.tyre-lab.com/guides/tubeless-2019/"
    table = runner.invoke(app, ["broken", "tyre-lab.com", "--db", str(chains)])
    assert table.exit_code == 0
    assert "410" in table.stdout


# ---- lost links ----------------------------------------------------------------------------


def reference_lost(store: Store, domain: str) -> set[tuple[str, str, str]]:
    """(source, target, reason) lost between the two snapshots, by set difference."""
    snaps = [
        s
        for (s,) in store.con.execute(
            "SELECT snapshot_id FROM snapshots ORDER BY started_at"
        ).fetchall()
    ]
    mine = urls.stable_id(domain)
    pairs: dict[int, set[tuple[str, str]]] = {s: set() for s in snaps}
    for src, dst, snap, src_dom in store.con.execute(
        "SELECT src_url, dst_url, snapshot_id, src_domain_id FROM links WHERE dst_domain_id = ?",
        [mine],
    ).fetchall():
        if src_dom != mine:
            pairs[snap].add((src, dst))
    later = dict(
        store.con.execute("SELECT url, status FROM pages WHERE snapshot_id = ?", [snaps[-1]])
        .fetchall()
    )  # fmt: skip
    out = set()
    for src, dst in pairs[snaps[-2]] - pairs[snaps[-1]]:
        if src not in later:
            continue  # not fetched again: unknown, not lost
        status = later[src]
        reason = "page_gone" if status in (404, 410) else (
            "redirected" if 300 <= status < 400 else "removed")  # fmt: skip
        out.add((src, dst, reason))
    return out


def test_lost_equals_the_set_difference(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    with Store(db, read_only=True) as store:
        total = 0
        for site in first.sites:
            domain = urls.registrable_domain(site.host)
            got = lost_worth_asking(store, domain, min_rating=0)
            mine = set(zip(got.source_url, got.target_url, got.lost_reason, strict=True))
            assert mine == reference_lost(store, domain), domain
            assert len(mine) == len(got)
            total += len(got)
        assert total > 5
        everyone = lost_worth_asking(store, "velo-trails.com", min_rating=0)
        rated = lost_worth_asking(store, "velo-trails.com", min_rating=40)
    assert set(rated.source_url) == set(everyone[everyone.rating >= 40].source_url)
    assert len(rated) < len(everyone)
    assert list(rated.rating) == sorted(rated.rating, reverse=True)
    assert {"page_gone", "removed"} <= set(everyone.lost_reason)


def test_lost_reads_link_history(demo: tuple[Path, SynthWeb, SynthWeb], tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo[0].read_bytes())
    with Store(db) as store:
        before = lost_worth_asking(store, "velo-trails.com", min_rating=0)
        # a link present in both snapshots, found removed by a later `backlinks verify`;
        # and a snapshot-lost link that verify saw live again afterwards
        kept = store.con.execute(
            "SELECT src_url_id, dst_url_id, src_url FROM links WHERE dst_domain_id = ? "
            "AND src_domain_id <> dst_domain_id GROUP BY ALL "
            "HAVING count(DISTINCT snapshot_id) = 2 ORDER BY src_url LIMIT 1",
            [urls.stable_id("velo-trails.com")],
        ).fetchall()[0]
        back = before.iloc[0]
        later = datetime(2024, 7, 1)
        store.con.execute(
            "INSERT INTO link_history VALUES (?, ?, ?, ?, 'removed'), (?, ?, ?, ?, NULL)",
            [kept[0], kept[1], WHEN, later, urls.stable_id(back.source_url),
             urls.stable_id(back.target_url), WHEN, later],
        )  # fmt: skip
        after = lost_worth_asking(store, "velo-trails.com", min_rating=0)
    verified = after[after.evidence == "verify"]
    assert list(verified.source_url) == [kept[2]]
    assert verified.iloc[0].lost_reason == "removed"
    assert back.source_url not in set(after.source_url)
    assert len(after) == len(before)


# ---- unlinked mentions ---------------------------------------------------------------------

ME = "https://www.velo-trails.com"
MENTIONS: list[tuple[SynthPage, bool]] = [  # (page, is an unlinked mention of the defaults)
    (page(f"{ME}/", title="Gravel tyres and more – Velo Trails", body="Velo Trails home."), False),
    (page(f"{ME}/blog/", title="Blog", body="News from Velo Trails."), False),  # my own
    (page("https://ride-report.org/a", title="A", body="Last week we rode with Velo Trails."),
     True),
    (page("https://cycling-news.net/b", title="B", body="The VÉLO-TRAILS team won.",
          links=("https://example.org/|elsewhere",)), True),
    (page("https://friends.org/c", title="C", body="Thanks velo-trails.com for the map!",
          links=("http://velo-trails.com/maps/|maps",)), False),  # links another URL of mine
    (page("https://shop.org/d", title="D", body="Visit velotrailsshop and avelo trails."),
     False),  # no whole word
    (page("https://forum.net/e", title="E", body="I love Velo\n   Trails, really."), True),
    (page("https://meta.org/f", title="F", body="We sell Trails.Co (beta)+ kits."), False),
    (page("https://meta.org/g", title="G", body="We sell TrailsXCo (beta) kits."), False),
    (page("https://regex.org/h", title="H", body="Regex fans write (.*) everywhere."), False),
    (page("https://news.org/i", title="I", body="Velotrails.com is great.",
          links=("https://www.velo-trails.com/|Velo Trails",)), False),
]  # fmt: skip


@pytest.fixture(scope="module")
def mentions_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pages = [replace_time(p, i) for i, (p, _) in enumerate(MENTIONS)]
    return ingest_pages(tmp_path_factory.mktemp("mentions"), "mentions", pages)


def test_unlinked_mentions_with_default_brand(mentions_db: Path) -> None:
    with Store(mentions_db, read_only=True) as store:
        got = unlinked_mentions(store, "velo-trails.com")
    expected = {p.url for p, unlinked in MENTIONS if unlinked}
    assert set(got.source_url) == expected
    by_url = dict(zip(got.source_url, got.mention, strict=True))
    assert by_url["https://cycling-news.net/b"] == "VÉLO-TRAILS"
    assert by_url["https://forum.net/e"] == "Velo Trails"
    for row in got.itertuples():
        assert "\n" not in row.snippet
        assert row.mention in row.snippet
        assert len(row.snippet) <= 2 * 80 + len(row.mention) + 2


def test_brand_terms_are_literal(mentions_db: Path) -> None:
    with Store(mentions_db, read_only=True) as store:
        meta = unlinked_mentions(store, "velo-trails.com", brand=["Trails.Co (beta)+"])
        regex = unlinked_mentions(store, "velo-trails.com", brand=["(.*)"])
        alt = unlinked_mentions(store, "velo-trails.com", brand=["xyz|velo"])
        with pytest.raises(ValueError, match="brand term"):
            unlinked_mentions(store, "velo-trails.com", brand=["a"])
    assert list(meta.source_url) == ["https://meta.org/f"]
    assert list(meta.mention) == ["Trails.Co (beta)+"]
    assert list(regex.source_url) == ["https://regex.org/h"]
    assert alt.empty


def test_mentions_cli(mentions_db: Path) -> None:
    args = ["mentions", "velo-trails.com", "--db", str(mentions_db), "--format", "json"]
    result = runner.invoke(app, [*args, "--brand", "rode with", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert [r["source_url"] for r in json.loads(result.stdout)] == ["https://ride-report.org/a"]


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c)
    )


@pytest.mark.parametrize("domain", ["velo-trails.com", "gravel-grinders.net"])
def test_mentions_on_the_demo_equal_a_reference(
    demo: tuple[Path, SynthWeb, SynthWeb], domain: str
) -> None:
    db, _, _ = demo
    phrase = "gravel bike tyres"
    mine = urls.stable_id(domain)
    with Store(db, read_only=True) as store:
        got = unlinked_mentions(store, domain, brand=[phrase], limit=None)
        texts = store.query(
            "SELECT p.url, p.url_id, p.domain_id, p.fetched_at, t.text FROM page_text t "
            "JOIN pages p USING (url_id, snapshot_id)"
        )
        linking = store.query(
            "SELECT src_url_id, seen_at FROM links WHERE dst_domain_id = ?", [mine]
        )
    latest = texts.sort_values("fetched_at").groupby("url_id").tail(1)
    word = re.compile(r"(?<![^\W_])gravel[\s-]+bike[\s-]+tyres(?![^\W_])")
    expected, linked = set(), set()
    for row in latest.itertuples():
        if row.domain_id == mine or not word.search(_fold(row.text)):
            continue
        now = linking[(linking.src_url_id == row.url_id) & (linking.seen_at >= row.fetched_at)]
        (linked if len(now) else expected).add(row.url)
    assert set(got.source_url) == expected
    assert expected
    assert linked  # pages that mention and link are there, and left out
    assert pd.Series(got.mention).str.lower().eq(phrase).all()
    assert list(got.rating) == sorted(got.rating, reverse=True)
