"""The crawler against the real loopback test web (:mod:`backlinks.demo.server`): no mocks.

Every host name resolves to the server through ``resolve`` (``{"*": "127.0.0.1:PORT"}``), a
mapping the crawler trusts, so these crawls run with ``allow_private`` off except where a test
says otherwise; IP literals and ``localhost`` in links are never mapped and stay refused.

What is checked, from the server's side (its request log: per-host hits, peak requests in
flight, arrival times) and from the index:

* the synthetic web crawled from its seeds with the ``crawl`` command: pages and links land
  under the crawl's snapshot exactly as an independent parse of the served HTML says,
  redirects with ``redirect_to``, 404s stored, robots.txt obeyed (``/private/`` never asked
  for, a robots.txt 500 or a ``backlinksbot`` ban means no page requests, ``Crawl-delay``
  spacing), sitemaps read, per-host in-flight cap, WARC output readable and re-ingestible,
  the JSON summary;
* scope (host / domain / domains / external), ``max_pages``, ``max_depth``, ``delay``;
* every hostile endpoint of ``trap.test``: timeouts, dropped and hanging responses, gzip and
  brotli bombs (with the memory they cost, measured in a subprocess), a 100 MiB page,
  retries with ``Retry-After``, redirect chains, loops and redirects to private addresses,
  crawler traps, non-HTML and broken content, unsafe link schemes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import duckdb
import httpx
import pytest
from fastwarc.warc import ArchiveIterator, WarcRecordType
from typer.testing import CliRunner

from backlinks import urls
from backlinks.cli import app
from backlinks.crawl.config import CrawlConfig
from backlinks.crawl.crawler import Crawler, CrawlReport
from backlinks.crawl.fetch import Fetched, fetch
from backlinks.crawl.net import GuardedTransport
from backlinks.demo import SynthWeb, generate_web
from backlinks.demo.hosts import PRIVATE_PAGE, ROBOTS_SPECIAL
from backlinks.demo.server import TestWeb, serve_web
from backlinks.demo.trap import PRIVATE_TARGETS
from backlinks.demo.webstats import Hit
from backlinks.store.db import Store

FEATURED = "www.velo-trails.com"
ROBOTS_500 = "cheap-bike-reviews.top"
ROBOTS_BANNED = "top-cycling-offers.biz"
CRAWL_DELAY_HOST = "www.bikeshop-discounts.shop"
SITEMAP_PATHS = ("/sitemap.xml", "/sitemap-pages.xml.gz")
NOT_PAGES = ("/robots.txt", *SITEMAP_PATHS)
TRAP = "http://trap.test"


# ---- helpers ------------------------------------------------------------------------------


class _Anchors(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        href = values.get("href")
        if tag == "base" and href:
            self.base = urljoin(self.base, href)
        elif tag == "a" and href is not None:
            self.hrefs.append(href.strip())


def page_links(html: bytes, url: str) -> set[str]:
    """The link targets of a page by an independent parse (the standard library's HTML
    parser, not the project's extractor): every ``<a href>``, resolved against ``<base>``,
    canonical; same-document references (``#...``) are not links."""
    parser = _Anchors(url)
    parser.feed(html.decode("utf-8", "replace"))
    hrefs = [h for h in parser.hrefs if h and not h.startswith("#")]
    out = {urls.canonicalize(href, parser.base) for href in hrefs}
    return {u for u in out if u is not None}


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def config(srv: TestWeb, **kw: Any) -> CrawlConfig:
    """A fast crawl of the test web: no delay, short timeouts, every name to the server."""
    base: dict[str, Any] = {
        "delay": 0.0,
        "resolve": srv.resolve,
        "ttfb_timeout": 5.0,
        "total_timeout": 10.0,
        "max_pages": 2000,
    }
    base.update(kw)
    return CrawlConfig(**base)


def crawl(db: Path, seeds: list[str], cfg: CrawlConfig) -> CrawlReport:
    """One crawl through the Python API, to completion (or its budget)."""
    with Store(db) as store:
        crawler = Crawler.start(store, seeds, cfg)
        return asyncio.run(crawler.run())


def frontier(db: Path, snapshot_id: int) -> dict[str, tuple[str, str, int]]:
    """url -> (state, reason, attempts) of every URL the crawl queued."""
    got = rows(
        db,
        "SELECT url, state, reason, attempts FROM frontier WHERE snapshot_id = ?",
        snapshot_id,
    )
    return {u: (s, r, a) for u, s, r, a in got}


def stored_pages(db: Path, snapshot_id: int) -> dict[str, tuple[int, str | None, str]]:
    """url -> (status, redirect_to, content_type) of the crawl's pages."""
    got = rows(
        db,
        "SELECT url, status, redirect_to, content_type FROM pages WHERE snapshot_id = ?",
        snapshot_id,
    )
    return {u: (s, r, c) for u, s, r, c in got}


def stored_links(db: Path, snapshot_id: int) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for src, dst in rows(
        db, "SELECT src_url, dst_url FROM links WHERE snapshot_id = ?", snapshot_id
    ):
        out.setdefault(src, set()).add(dst)
    return out


def page_hits(hits: list[Hit]) -> list[Hit]:
    return [h for h in hits if h.path not in NOT_PAGES]


@pytest.fixture(scope="module")
def web() -> SynthWeb:
    return generate_web(sites=8)


@pytest.fixture
def trap_web() -> Iterator[TestWeb]:
    """A server of its own (trap.test and a small big.test), so its counters are this test's."""
    with serve_web(None, big_pages=30) as srv:
        yield srv


# ---- the synthetic web through the `crawl` command -----------------------------------------


@dataclass
class SiteCrawl:
    srv: TestWeb  # stopped; its url() and synth still map URLs
    db: Path
    warcs: Path
    summary: dict[str, Any]
    hits: list[Hit]
    peak: dict[str, int]  # most requests in flight per host

    @property
    def snap(self) -> int:
        return int(self.summary["snapshot_id"])


@pytest.fixture(scope="module")
def site_crawl(web: SynthWeb, tmp_path_factory: pytest.TempPathFactory) -> SiteCrawl:
    root = tmp_path_factory.mktemp("site")
    db, warcs = root / "crawl.duckdb", root / "warcs"
    with serve_web(web, extras=False) as srv:
        seeds = [f"http://{site.host}/" for site in web.sites]
        args = ["crawl", *seeds, "--db", str(db), "--delay", "0", "--per-host", "2"]
        args += ["--resolve", f"*={srv.base_address}", "--warc-dir", str(warcs)]
        args += ["--max-pages", "2000", "--quiet", "--format", "json"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        hits = srv.stats.hits()
        peak = {h: srv.stats.max_inflight(h) for h in srv.stats.by_host()}
    return SiteCrawl(srv, db, warcs, json.loads(result.stdout), hits, peak)


def test_crawl_command_summary(site_crawl: SiteCrawl) -> None:
    summary = site_crawl.summary
    assert set(summary) >= {"snapshot_id", "pages", "links", "finished", "counts"}
    assert summary["finished"] is True
    counts = summary["counts"]
    assert counts["pages"] == summary["pages"] > 80
    assert summary["links"] > 1000
    assert counts["robots_fetched"] >= 8
    assert counts["sitemaps"] > 0
    assert counts["robots_disallowed"] > 0
    assert "internal_error" not in counts
    assert sum(v for k, v in counts.items() if k.startswith("status_")) == summary["pages"]
    (source,) = rows(
        site_crawl.db,
        "SELECT source FROM snapshots WHERE snapshot_id = ?",
        site_crawl.snap,
    )[0]
    assert source == "crawl"


def test_pages_and_links_land_in_the_store(site_crawl: SiteCrawl, web: SynthWeb) -> None:
    snap, db, srv = site_crawl.snap, site_crawl.db, site_crawl.srv
    assert srv.synth is not None
    pages = stored_pages(db, snap)
    (n_rows,) = rows(db, "SELECT count(*) FROM pages WHERE snapshot_id = ?", snap)[0]
    assert n_rows == len(pages) == site_crawl.summary["pages"]  # one row per URL
    # exactly the URLs the server was asked for (robots.txt and sitemaps apart)
    asked = {urls.canonicalize(h.url) for h in page_hits(site_crawl.hits)}
    assert set(pages) == asked
    assert not {u for u, n in Counter(h.url for h in site_crawl.hits).items() if n > 1}
    # every page of every crawlable host, reached by links or sitemaps
    closed = {ROBOTS_500, ROBOTS_BANNED}
    live = {srv.url(p.url) for p in web.pages if p.status == 200}
    assert {u for u in live if urls.host_of(u) not in closed} <= set(pages)
    # the links of each page are those of its HTML
    links = stored_links(db, snap)
    checked = 0
    for page in web.pages:
        url = srv.url(page.url)
        if page.status == 200 and url in pages:
            assert links.get(url, set()) == page_links(srv.synth.rewrite(page.html), url), url
            checked += 1
    assert checked > 80
    (n_links,) = rows(db, "SELECT count(*) FROM links WHERE snapshot_id = ?", snap)[0]
    assert n_links == site_crawl.summary["links"]
    assert rows(db, "SELECT count(*) FROM links WHERE snapshot_id <> ?", snap)[0][0] == 0


def test_redirects_and_404s_are_stored(site_crawl: SiteCrawl, web: SynthWeb) -> None:
    pages = stored_pages(site_crawl.db, site_crawl.snap)
    links = stored_links(site_crawl.db, site_crawl.snap)
    redirects = gone = 0
    for page in web.pages:
        url = site_crawl.srv.url(page.url)
        if url not in pages:
            continue
        status, redirect_to, _ = pages[url]
        assert status == page.status, url
        if page.location:
            target = site_crawl.srv.url(page.location)
            assert redirect_to == target
            assert target in pages  # the target was queued and fetched
            redirects += 1
        else:
            assert redirect_to is None
        if page.status == 404:
            assert url not in links  # an error page's links are not the web's
            gone += 1
    assert redirects >= 2
    assert gone >= 2


def test_robots_txt_is_obeyed(site_crawl: SiteCrawl) -> None:
    hits = site_crawl.hits
    assert not [h.url for h in hits if h.path.startswith("/private/")]
    for host in (ROBOTS_500, ROBOTS_BANNED):
        assert ROBOTS_SPECIAL[host]  # the server's special robots rule for it
        assert [h.target for h in hits if h.host == host] == ["/robots.txt"]
    queue = frontier(site_crawl.db, site_crawl.snap)
    for host in (ROBOTS_500, ROBOTS_BANNED):
        assert queue[f"http://{host}/"][:2] == ("skipped", "robots_disallowed")
    # sitemaps list the private page of every host; it is queued, never fetched
    private = {u: v for u, v in queue.items() if urlsplit(u).path == PRIVATE_PAGE}
    assert len(private) >= 4
    assert {v[:2] for v in private.values()} == {("skipped", "robots_disallowed")}
    # robots.txt first, once per host
    for host in {h.host for h in hits}:
        mine = [h.target for h in hits if h.host == host]
        assert mine[0] == "/robots.txt"
        assert mine.count("/robots.txt") == 1


def test_crawl_delay_spaces_requests(site_crawl: SiteCrawl) -> None:
    delay = 1.0  # its robots.txt says Crawl-delay: 1
    assert f"Crawl-delay: {delay:g}" in str(ROBOTS_SPECIAL[CRAWL_DELAY_HOST])
    times = [h.at for h in site_crawl.hits if h.host == CRAWL_DELAY_HOST]
    assert len(times) >= 4  # robots.txt, sitemaps, pages
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # arrival times at the server jitter with the machine's load (a request sent on time can
    # arrive late, the next one on time), so allow a fifth of the delay; no delay would give
    # gaps of a few milliseconds, as the other hosts show
    assert min(gaps) >= delay * 0.8, gaps
    # and the other hosts, with no delay, were not held back to it
    fast = [h.at for h in site_crawl.hits if h.host == FEATURED]
    assert min(b - a for a, b in itertools.pairwise(fast)) < delay / 2


def test_per_host_cap_in_the_site_crawl(site_crawl: SiteCrawl) -> None:
    assert site_crawl.peak
    assert max(site_crawl.peak.values()) <= 2


def test_sitemaps_are_discovered(site_crawl: SiteCrawl) -> None:
    hits = site_crawl.hits
    queue = frontier(site_crawl.db, site_crawl.snap)
    for host in (FEATURED, "www.devpocket.io", CRAWL_DELAY_HOST):
        for path in SITEMAP_PATHS:
            assert [h.target for h in hits if h.host == host].count(path) == 1
            assert queue[f"http://{host}{path}"][:2] == ("done", "200")
    (maps,) = rows(
        site_crawl.db,
        "SELECT count(*) FROM frontier WHERE snapshot_id = ? AND kind = 'sitemap' "
        "AND state = 'done'",
        site_crawl.snap,
    )[0]
    assert site_crawl.summary["counts"]["sitemaps"] == maps
    # a host whose robots.txt forbids everything: its sitemap is listed, not fetched
    banned = [v for u, v in queue.items() if urls.host_of(u) == ROBOTS_BANNED and "sitemap" in u]
    assert banned
    assert {v[:2] for v in banned} == {("skipped", "robots_disallowed")}


def _warc_records(folder: Path) -> list[tuple[str, str, str, str | None, int | None]]:
    """(type, record id, target URI, concurrent-to, HTTP status) of every record."""
    out: list[tuple[str, str, str, str | None, int | None]] = []
    files = sorted(folder.glob("*.warc.gz"))
    assert files
    for path in files:
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh, parse_http=True):
                rec.reader.read()
                kind = "other"
                for name in ("request", "response", "warcinfo"):
                    if rec.record_type == getattr(WarcRecordType, name):
                        kind = name
                status = rec.http_headers.status_code if kind == "response" else None
                out.append(
                    (
                        kind,
                        str(rec.record_id),
                        str(rec.headers.get("WARC-Target-URI", "")),
                        rec.headers.get("WARC-Concurrent-To"),
                        status,
                    )
                )
    return out


def test_warc_output_has_request_response_pairs(site_crawl: SiteCrawl) -> None:
    records = _warc_records(site_crawl.warcs)
    kinds = Counter(r[0] for r in records)
    assert kinds["warcinfo"] >= 1
    assert kinds["other"] == 0
    assert kinds["request"] == kinds["response"] == len(site_crawl.hits)
    requests = {r[1]: r[2] for r in records if r[0] == "request"}
    for kind, _, uri, concurrent, _status in records:
        if kind == "response":
            assert requests[concurrent or ""] == uri  # paired with its own request
    responses = {urls.canonicalize(r[2]): r[4] for r in records if r[0] == "response"}
    asked = {urls.canonicalize(h.url): h.status for h in site_crawl.hits}
    assert responses == asked  # every fetch, with the status the server gave


def test_warc_output_reads_with_warcio(site_crawl: SiteCrawl) -> None:
    warcio = pytest.importorskip("warcio.archiveiterator")
    seen: Counter[str] = Counter()
    for path in sorted(site_crawl.warcs.glob("*.warc.gz")):
        with path.open("rb") as fh:
            for rec in warcio.ArchiveIterator(fh):
                seen[rec.rec_type] += 1
    assert seen["request"] == seen["response"] == len(site_crawl.hits)


def test_reingesting_the_warcs_gives_the_same_pages(site_crawl: SiteCrawl, tmp_path: Path) -> None:
    db = tmp_path / "again.duckdb"
    result = CliRunner().invoke(
        app, ["ingest", str(site_crawl.warcs), "--db", str(db), "--quiet", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["skipped"] == 0
    crawled = stored_pages(site_crawl.db, site_crawl.snap)
    ingested = {
        u: (s, r, c)
        for u, s, r, c in rows(db, "SELECT url, status, redirect_to, content_type FROM pages")
    }
    # the WARC also holds robots.txt and sitemap responses: ingest keeps them as documents
    fetched_not_pages = {u for u in ingested if urlsplit(u).path in NOT_PAGES}
    assert {u: v for u, v in ingested.items() if u not in fetched_not_pages} == crawled
    query = "SELECT src_url, dst_url, position, nofollow, anchor FROM links"
    assert Counter(rows(db, query)) == Counter(
        rows(site_crawl.db, query + " WHERE snapshot_id = ?", site_crawl.snap)
    )


# ---- scope, budgets, politeness ------------------------------------------------------------


def test_scope_host_domain_external(web: SynthWeb, tmp_path: Path) -> None:
    """Seeded at ``velo-trails.com/``, which redirects to ``www.velo-trails.com``."""
    seed = "http://velo-trails.com/"
    with serve_web(web, extras=False) as srv:
        report = crawl(tmp_path / "host.duckdb", [seed], config(srv, scope="host"))
        assert set(srv.stats.by_host()) == {"velo-trails.com"}
        pages = stored_pages(tmp_path / "host.duckdb", report.snapshot_id)
        assert pages == {seed: (301, f"http://{FEATURED}/", "text/html")}
        assert report.finished

        srv.stats.reset()
        report = crawl(tmp_path / "domain.duckdb", [seed], config(srv, scope="domain"))
        assert set(srv.stats.by_host()) == {"velo-trails.com", FEATURED}
        featured = [p for p in web.pages if urls.host_of(p.url) == FEATURED and p.status == 200]
        pages = stored_pages(tmp_path / "domain.duckdb", report.snapshot_id)
        assert {srv.url(p.url) for p in featured} <= set(pages)

        srv.stats.reset()
        db = tmp_path / "external2.duckdb"
        report = crawl(db, [f"http://{FEATURED}/"], config(srv, scope="external"))
        pages = stored_pages(db, report.snapshot_id)
        links = stored_links(db, report.snapshot_id)
        inside = {u for u in pages if urls.registrable_domain(urls.host_of(u)) == "velo-trails.com"}
        outside = set(pages) - inside
        assert outside  # other sites' pages were fetched...
        linked_from_inside = set().union(*(links.get(u, set()) for u in inside))
        redirected = {pages[u][1] for u in inside if pages[u][1]}
        assert outside <= linked_from_inside | redirected  # ...only one hop from inside
        for url in outside:  # and their own links were not followed
            assert not (links.get(url, set()) - linked_from_inside - {url}) & set(pages)

        srv.stats.reset()
        db = tmp_path / "domains.duckdb"
        cfg = config(srv, scope="domains", allowed_domains=("devpocket.io",), max_depth=2)
        report = crawl(db, [f"http://{FEATURED}/"], cfg)
        hosts = {urls.host_of(u) for u in stored_pages(db, report.snapshot_id)}
        assert "www.devpocket.io" in hosts
        assert hosts <= {FEATURED, "velo-trails.com", "www.devpocket.io", "devpocket.io"}


def test_max_pages_budget(web: SynthWeb, tmp_path: Path) -> None:
    db = tmp_path / "budget.duckdb"
    with serve_web(web, extras=False) as srv:
        args = ["crawl", f"http://{FEATURED}/", "--db", str(db), "--max-pages", "7"]
        args += ["--delay", "0", "--resolve", f"*={srv.base_address}", "-q", "-f", "json"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        hits = srv.stats.hits()
    summary = json.loads(result.stdout)
    assert summary["pages"] == 7
    assert summary["finished"] is False  # URLs still queued: resumable
    assert len(page_hits(hits)) == 7
    assert len(stored_pages(db, summary["snapshot_id"])) == 7
    queue = frontier(db, summary["snapshot_id"])
    assert sum(1 for s, _, _ in queue.values() if s == "queued") > 0


def test_max_depth(web: SynthWeb, tmp_path: Path) -> None:
    db = tmp_path / "depth.duckdb"
    home = f"http://{FEATURED}/"
    with serve_web(web, extras=False) as srv:
        assert srv.synth is not None
        report = crawl(db, [home], config(srv, max_depth=1, sitemaps=False, scope="host"))
        home_page = next(p for p in web.pages if srv.url(p.url) == home)
        one_hop = set(page_links(srv.synth.rewrite(home_page.html), home))
    pages = stored_pages(db, report.snapshot_id)
    in_scope = {u for u in one_hop if urls.host_of(u) == FEATURED}
    redirected = {r for _, r, _ in pages.values() if r}
    assert set(pages) - redirected == in_scope | {home}
    (deepest,) = rows(
        db, "SELECT max(depth) FROM frontier WHERE snapshot_id = ?", report.snapshot_id
    )[0]
    assert deepest == 1


def test_delay_between_requests_to_one_host(trap_web: TestWeb, tmp_path: Path) -> None:
    seeds = [f"http://big.test/p/{i}" for i in range(5)]
    cfg = config(trap_web, delay=0.2, per_host=4, max_depth=0, sitemaps=False)
    report = crawl(tmp_path / "delay.duckdb", seeds, cfg)
    assert report.pages == 5
    times = trap_web.stats.times("big.test")
    assert len(times) == 6  # robots.txt and five pages
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.2 - 0.05


def test_per_host_cap_is_reached_not_exceeded(trap_web: TestWeb, tmp_path: Path) -> None:
    seeds = [f"{TRAP}/slow?ms=300&i={i}" for i in range(9)]
    report = crawl(tmp_path / "cap.duckdb", seeds, config(trap_web, per_host=3, max_depth=0))
    assert report.pages == 9
    assert trap_web.stats.max_inflight("trap.test") == 3


def test_concurrency_cap_over_hosts(web: SynthWeb, tmp_path: Path) -> None:
    with serve_web(web, big_pages=10) as srv:
        seeds = [f"{TRAP}/slow?ms=300&i={i}" for i in range(6)]
        seeds += [f"http://{FEATURED}/no/such/page/{i}" for i in range(3)]
        cfg = config(srv, per_host=4, concurrency=2, max_depth=0, sitemaps=False)
        report = crawl(tmp_path / "conc.duckdb", seeds, cfg)
        assert report.pages == 9
        assert srv.stats.max_inflight() <= 2


# ---- hostile endpoints -------------------------------------------------------------------


def hostile(srv: TestWeb, **kw: Any) -> CrawlConfig:
    """Short limits, so hostile endpoints cost little time."""
    base: dict[str, Any] = {
        "scope": "host",
        "ttfb_timeout": 0.5,
        "total_timeout": 1.5,
        "per_host": 8,
        "retries": 1,
        "max_response_bytes": 16 << 20,
        "max_decoded_bytes": 8 << 20,
    }
    base.update(kw)
    return config(srv, **base)


@pytest.fixture(scope="module")
def trap_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlReport, Path, list[Hit]]:
    """trap.test from its index page, every endpoint one hop away (scope ``external``, so
    links and redirects to other hosts are tried too, and refused where they must be)."""
    db = tmp_path_factory.mktemp("trap") / "trap.duckdb"
    with serve_web(None, big_pages=30) as srv:
        report = crawl(db, [f"{TRAP}/"], hostile(srv, scope="external", max_depth=2))
        return report, db, srv.stats.hits()


def test_trap_crawl_survives_every_endpoint(
    trap_crawl: tuple[CrawlReport, Path, list[Hit]],
) -> None:
    report, db, hits = trap_crawl
    assert report.finished
    queue = frontier(db, report.snapshot_id)
    reason = {u: q[1] for u, q in queue.items()}
    assert reason[f"{TRAP}/slow"] == "timeout"  # headers later than the TTFB limit
    assert reason[f"{TRAP}/slow-body"] == "timeout"  # dripped past the total limit
    assert reason[f"{TRAP}/hang"] == "timeout"
    assert reason[f"{TRAP}/drop"] == "unreachable"  # cut off mid-body
    assert reason[f"{TRAP}/huge"] == "too_large"
    assert reason[f"{TRAP}/gzip-bomb"] == "decompression_bomb"
    # 10 GiB brotli, compressed as it is sent: refused, or out of time first (404: no brotli)
    assert reason[f"{TRAP}/br-bomb"] in ("decompression_bomb", "timeout", "404")
    assert reason[f"{TRAP}/gzip-bad"] == "bad_encoding"
    counts = report.counts
    assert counts["timeout"] >= 3
    assert counts["decompression_bomb"] >= 1
    assert counts["too_large"] == 1
    assert counts["unreachable"] >= 1
    assert "internal_error" not in counts
    # failures are not pages; nothing stayed queued
    pages = stored_pages(db, report.snapshot_id)
    failed = {u for u, q in queue.items() if q[0] == "failed"}
    assert not failed & set(pages)
    assert "queued" not in {q[0] for q in queue.values()}
    # robots.txt disallows /private/ on trap.test
    assert queue[f"{TRAP}/private/secret"][:2] == ("skipped", "robots_disallowed")
    assert not [h for h in hits if h.path.startswith("/private/")]


def test_trap_crawl_refuses_private_addresses(
    trap_crawl: tuple[CrawlReport, Path, list[Hit]],
) -> None:
    report, db, hits = trap_crawl
    queue = frontier(db, report.snapshot_id)
    # redirects to the metadata address, the LAN, loopback, localhost and ::1 were queued
    # (scope external) and refused at connect time, although every name maps to the server
    for target in PRIVATE_TARGETS.values():
        url = urls.canonicalize(target)
        assert url is not None
        assert queue[url][:2] == ("failed", "blocked_address"), url
    # so were the IP-literal links of /links-to-self-host-private
    for url in ("http://127.0.0.1:22/", "http://192.168.1.1/", "http://0.0.0.0/"):
        assert queue[url][:2] == ("failed", "blocked_address"), url
    # localhost.localdomain: refused, or unknown to this machine's resolver; never fetched
    assert queue["http://localhost.localdomain/"][:2] in (
        ("failed", "blocked_address"),
        ("failed", "unreachable"),
    )
    assert report.counts["blocked_address"] >= 8
    # the server saw trap.test and the one other host a redirect leads to, nothing else
    assert {h.host for h in hits} == {"trap.test", "big.test"}
    assert [h.target for h in hits if h.host == "big.test"] == ["/robots.txt", "/"]
    # and no non-HTTP scheme was ever queued (javascript:, mailto:, data:, file:, ftp:...)
    assert {urlsplit(u).scheme for u in queue} == {"http"}


def test_trap_crawl_content_types_and_broken_html(
    trap_crawl: tuple[CrawlReport, Path, list[Hit]],
) -> None:
    report, db, _ = trap_crawl
    pages = stored_pages(db, report.snapshot_id)
    links = stored_links(db, report.snapshot_id)
    assert pages[f"{TRAP}/binary.pdf"][0::2] == (200, "application/pdf")
    assert pages[f"{TRAP}/image.png"][0::2] == (200, "image/png")
    for url in ("binary.pdf", "image.png", "image-as-html"):
        assert f"{TRAP}/{url}" not in links  # stored, no links
    (out,) = rows(
        db,
        "SELECT links_out FROM pages WHERE url = ? AND snapshot_id = ?",
        f"{TRAP}/binary.pdf",
        report.snapshot_id,
    )[0]
    assert out == 0
    assert pages[f"{TRAP}/no-type"][0] == 200
    # broken HTML (bad bytes, NULs, unclosed tags) is stored without a crash. Its links:
    # its <title> is never closed (``</titl>``), so to an HTML5 parser (lexbor, browsers)
    # the rest of the document is title text and there are none; whatever is found must
    # be among the ones written
    assert pages[f"{TRAP}/broken.html"][0] == 200
    written = {f"{TRAP}/broken/{n}" for n in ("target", "also", "nested", "inner", "spaces")}
    assert links.get(f"{TRAP}/broken.html", set()) <= written
    for url in written:  # the index links them too
        assert pages[url][0] == 200
    # gzip cut in half: what inflates is kept, no crash
    assert pages[f"{TRAP}/gzip-truncated"][0] == 200


def test_trap_crawl_redirects(trap_crawl: tuple[CrawlReport, Path, list[Hit]]) -> None:
    report, db, hits = trap_crawl
    pages = stored_pages(db, report.snapshot_id)
    per_url = Counter(h.target for h in hits)
    # the loop ends: each of its two URLs fetched once, stored as a redirect
    assert per_url["/redirect/loop"] == per_url["/redirect/loop/b"] == 1
    assert pages[f"{TRAP}/redirect/loop"][1] == f"{TRAP}/redirect/loop/b"
    assert pages[f"{TRAP}/redirect/loop/b"][1] == f"{TRAP}/redirect/loop"
    assert pages[f"{TRAP}/redirect/relative"][1] == f"{TRAP}/redirect/chain/0"
    assert pages[f"{TRAP}/redirect/no-location"][:2] == (302, None)
    # to ftp://: recorded as a redirect to nothing the web index keeps, not followed
    assert pages[f"{TRAP}/redirect/to-ftp"][:2] == (302, None)
    assert not [h for h in hits if "ftp" in h.host]
    assert pages[f"{TRAP}/redirect/to-other-host"][1] == "http://big.test/"


def test_timeouts_drops_and_hangs_at_fetch_level(trap_web: TestWeb) -> None:
    """The limits one by one, with the times they took."""
    cfg = config(trap_web, ttfb_timeout=0.5, total_timeout=1.5)

    async def get(url: str, c: CrawlConfig) -> Fetched:
        timeout = httpx.Timeout(c.total_timeout, connect=c.ttfb_timeout, read=c.ttfb_timeout)
        transport = GuardedTransport(resolve=c.resolve, allow_private=False)
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            return await fetch(client, url, c)

    slow = asyncio.run(get(f"{TRAP}/slow?ms=3000", cfg))  # headers after 3 s
    assert (slow.error, slow.status) == ("timeout", None)
    assert slow.seconds < 1.2  # the TTFB limit (0.5 s) fired, not the total one
    # each piece within the TTFB limit, the whole past the total limit
    drip = asyncio.run(get(f"{TRAP}/slow-body?ms=300&pieces=10", cfg))
    assert (drip.error, drip.status, drip.truncated) == ("timeout", 200, "time")
    assert 1.4 < drip.seconds < 2.5
    patient = CrawlConfig(**{**_fields(cfg), "total_timeout": 10.0})
    ok = asyncio.run(get(f"{TRAP}/slow-body?ms=100&pieces=5", patient))
    assert (ok.error, ok.status) == (None, 200)
    assert b"drip drip" in ok.body
    hang = asyncio.run(get(f"{TRAP}/hang", cfg))
    assert hang.error == "timeout"
    assert hang.seconds < 1.2
    drop = asyncio.run(get(f"{TRAP}/drop", cfg))
    assert drop.error == "unreachable"
    assert "RemoteProtocolError" in drop.detail or "Read" in drop.detail


def _fields(cfg: CrawlConfig) -> dict[str, Any]:
    return {name: getattr(cfg, name) for name in CrawlConfig.__dataclass_fields__}


_BOMB_PROBE = textwrap.dedent(
    """
    import asyncio, json, resource, sys
    import httpx
    from backlinks.crawl.config import CrawlConfig
    from backlinks.crawl.fetch import fetch
    from backlinks.crawl.net import GuardedTransport

    def peak() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux

    async def main(address: str) -> None:
        out = {}
        for name, url, kw in json.loads(sys.argv[2]):
            cfg = CrawlConfig(resolve={"*": address}, total_timeout=60.0, **kw)
            transport = GuardedTransport(resolve=cfg.resolve, allow_private=False)
            async with httpx.AsyncClient(transport=transport) as client:
                before = peak()
                got = await fetch(client, url, cfg)
                out[name] = {
                    "error": got.error,
                    "status": got.status,
                    "raw": len(got.raw),
                    "body": len(got.body),
                    "growth": peak() - before,
                }
                del got
        print(json.dumps(out))

    asyncio.run(main(sys.argv[1]))
    """
)


def test_bombs_and_huge_pages_cost_bounded_memory(trap_web: TestWeb) -> None:
    """A 10 GiB gzip bomb, a 1 GiB brotli bomb and a 100 MiB page, each fetched by a fresh
    process with the default limits (wire 20 MiB, decoded 50 MiB) or a small wire limit:
    refused, and the process's peak memory grows by a small multiple of the limits only."""
    probes = [
        ("gzip", f"{TRAP}/gzip-bomb", {}),  # 10 GiB of zeros, ~10 MB on the wire
        ("br", f"{TRAP}/br-bomb?mib=1024", {}),
        ("huge", f"{TRAP}/huge", {"max_response_bytes": 4 << 20}),
    ]
    proc = subprocess.run(
        [sys.executable, "-c", _BOMB_PROBE, trap_web.base_address, json.dumps(probes)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    mib = 1 << 20
    gzip_bomb = got["gzip"]
    assert (gzip_bomb["error"], gzip_bomb["status"], gzip_bomb["body"]) == (
        "decompression_bomb",
        200,
        0,
    )
    assert gzip_bomb["raw"] < 20 * mib
    assert gzip_bomb["growth"] < 160 * mib  # vs. 10 GiB inflated
    br = got["br"]
    if br["status"] != 404:  # the server has brotli
        assert (br["error"], br["body"]) == ("decompression_bomb", 0)
        assert br["growth"] < 160 * mib  # vs. 1 GiB inflated
    huge = got["huge"]
    assert (huge["error"], huge["status"]) == ("too_large", 200)
    assert huge["raw"] <= 4 * mib
    assert huge["growth"] < 64 * mib  # vs. 100 MiB sent


def test_retries_honour_retry_after(trap_web: TestWeb, tmp_path: Path) -> None:
    seeds = [
        f"{TRAP}/flaky?n=2&after=1",  # 503, 503, then 200
        f"{TRAP}/rate-limited?n=1&after=1",  # 429, then 200
        f"{TRAP}/error/500",  # 500 every time: retried, then stored as it is
        f"{TRAP}/flaky?n=1&after=999",  # Retry-After past max_retry_after: no retry
        f"{TRAP}/error/404",  # never retried
    ]
    db = tmp_path / "retry.duckdb"
    report = crawl(db, seeds, hostile(trap_web, retries=2, max_depth=0, max_retry_after=60))
    hits = trap_web.stats.hits("trap.test")
    per_target = Counter(h.target for h in hits)
    assert per_target["/flaky?n=2&after=1"] == 3
    assert per_target["/rate-limited?n=1&after=1"] == 2
    assert per_target["/error/500"] == 3  # the first try and two retries
    assert per_target["/flaky?n=1&after=999"] == 1
    assert per_target["/error/404"] == 1
    flaky = [h.at for h in hits if h.target == "/flaky?n=2&after=1"]
    assert min(b - a for a, b in itertools.pairwise(flaky)) >= 1.0 - 0.05
    pages = stored_pages(db, report.snapshot_id)
    assert pages[seeds[0]][0] == 200
    assert pages[seeds[1]][0] == 200
    assert pages[seeds[2]][0] == 500
    assert pages[seeds[3]][0] == 503
    assert pages[seeds[4]][0] == 404
    queue = frontier(db, report.snapshot_id)
    assert queue[seeds[0]] == ("done", "200", 2)
    assert report.counts["retries"] == 2 + 1 + 2


def test_redirect_chain_limit(trap_web: TestWeb, tmp_path: Path) -> None:
    seeds = [f"{TRAP}/redirect/chain/3", f"{TRAP}/redirect/chain/20"]
    db = tmp_path / "chain.duckdb"
    report = crawl(db, seeds, hostile(trap_web, max_redirects=5, max_depth=0))
    asked = {h.target for h in trap_web.stats.hits("trap.test")}
    pages = stored_pages(db, report.snapshot_id)
    # within the limit: followed to the end, every hop stored with its redirect_to
    assert pages[f"{TRAP}/redirect/final"][0] == 200
    for n in (3, 2, 1):
        nxt = f"{TRAP}/redirect/chain/{n - 1}" if n > 1 else f"{TRAP}/redirect/final"
        assert pages[f"{TRAP}/redirect/chain/{n}"][:2] == (302, nxt)
    # past it: five hops followed from the first URL, then no more
    assert {f"/redirect/chain/{n}" for n in range(15, 21)} <= asked
    assert not {f"/redirect/chain/{n}" for n in range(4, 15)} & asked
    assert report.counts["redirect_limit"] == 1
    assert report.finished


def test_calendar_deep_and_param_traps_stop(trap_web: TestWeb, tmp_path: Path) -> None:
    seeds = [f"{TRAP}/calendar/2024/05", f"{TRAP}/deep/a/", f"{TRAP}/params"]
    cfg = hostile(
        trap_web, max_depth=10_000, host_budget=60, max_query_params=3, per_host=2, max_pages=5000
    )
    report = crawl(tmp_path / "traps.duckdb", seeds, cfg)
    assert report.finished
    counts = report.counts
    assert counts["trap_repeated_segment"] > 0  # /deep/a/a/a/a/
    assert counts["trap_query_params"] > 0  # /params?p1=1&p2=2&p3=3&p4=4
    assert counts["trap_host_budget"] > 0  # the calendar goes on for ever otherwise
    assert 60 <= counts["pages"] <= 60 + cfg.per_host
    hits = trap_web.stats.hits("trap.test")
    assert not [h for h in hits if h.path.count("/a") > 3]
    assert not [h for h in hits if h.target.count("&") >= 3]


def test_loopback_literals_refused_unless_allowed(trap_web: TestWeb, tmp_path: Path) -> None:
    """The server really listens on 127.0.0.1:PORT; a URL naming that address (or
    ``localhost``) is refused without ``allow_private`` and fetched with it."""
    seeds = [f"http://127.0.0.1:{trap_web.port}/x", f"http://localhost:{trap_web.port}/y"]
    db = tmp_path / "literal.duckdb"
    report = crawl(db, seeds, hostile(trap_web, max_depth=0))
    assert trap_web.stats.hits() == []
    queue = frontier(db, report.snapshot_id)
    assert {q[:2] for q in queue.values()} == {("failed", "blocked_address")}
    assert report.counts["blocked_address"] == 2
    # a name mapped with resolve is the user's own and trusted, even to loopback
    named = crawl(tmp_path / "named.duckdb", [f"{TRAP}/"], hostile(trap_web, max_depth=0))
    assert named.pages == 1
    trap_web.stats.reset()
    allowed = hostile(trap_web, max_depth=0, allow_private=True)
    report = crawl(tmp_path / "allowed.duckdb", seeds[:1], allowed)
    assert report.pages == 1  # the server answers 404 for a host it does not know
    assert trap_web.stats.count("127.0.0.1", "/x") == 1
