"""``backlinks verify`` against the real loopback test web: a crawl of a synthetic web, then
the same web weeks later (:func:`backlinks.demo.evolve`: links removed or turned nofollow,
a page gone, one redirected) served in its place, and every backlink of the featured site
re-checked live.

The expected verdict of each backlink is computed independently, from the two
:class:`SynthWeb` objects and a standard-library HTML parse of their pages (not from the
index): ``live``, ``removed``, ``now_nofollow``, ``page_gone`` (404), ``redirected``,
``blocked_robots`` (a host whose robots.txt now answers 500, one that bans ``backlinksbot``)
and ``unreachable`` (a host whose address refuses connections).
"""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import duckdb
import pytest
from typer.testing import CliRunner

from backlinks import urls
from backlinks.cli import app
from backlinks.crawl.config import CrawlConfig
from backlinks.crawl.crawler import Crawler
from backlinks.demo import SynthWeb, evolve, generate_web
from backlinks.demo.hosts import ROBOTS_SPECIAL, SynthHosts
from backlinks.demo.server import serve_web
from backlinks.store.db import Store

TARGET = "velo-trails.com"  # the featured site's domain
ROBOTS_500 = "cheap-bike-reviews.top"
ROBOTS_BANNED = "top-cycling-offers.biz"
CRAWL_DELAY_HOST = "www.bikeshop-discounts.shop"
EVOLVE_SEED = 2  # an evolution in which every kind of change hits a backlink
CHANGES = {"live", "removed", "now_nofollow", "page_gone", "redirected"}

Pair = tuple[str, str]


class _Anchors(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.anchors: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        href = values.get("href")
        if tag == "base" and href:
            self.base = urljoin(self.base, href)
        elif tag == "a" and href and not href.strip().startswith("#"):
            rel = set((values.get("rel") or "").lower().split())
            self.anchors.append((href.strip(), not rel & {"nofollow", "ugc", "sponsored"}))


def followed_links(html: bytes, url: str) -> dict[str, bool]:
    """Link target -> whether any link to it on the page is followed (no nofollow, ugc or
    sponsored), by the standard library's HTML parser."""
    parser = _Anchors(url)
    parser.feed(html.decode("utf-8", "replace"))
    out: dict[str, bool] = {}
    for href, followed in parser.anchors:
        dst = urls.canonicalize(href, parser.base)
        if dst is not None:
            out[dst] = out.get(dst, False) or followed
    return out


def _domain(url: str) -> str:
    return urls.registrable_domain(urls.host_of(url))


def expected_verdicts(
    old: SynthWeb, new: SynthWeb, unreachable_host: str | None
) -> dict[Pair, str]:
    """(source URL, target URL) -> verdict, for every backlink of TARGET in ``old`` (URLs as
    the test server presents them)."""
    old_hosts, new_hosts = SynthHosts(old), SynthHosts(new)
    now = {new_hosts.url(p.url): p for p in new.pages}
    out: dict[Pair, str] = {}
    for page in old.pages:
        src = old_hosts.url(page.url)
        if page.status != 200 or _domain(src) == TARGET:
            continue
        before = followed_links(old_hosts.rewrite(page.html), src)
        for dst, was_followed in before.items():
            if _domain(dst) != TARGET:
                continue
            host = urls.host_of(src)
            later = now.get(src)
            if host in (ROBOTS_500, ROBOTS_BANNED):
                verdict = "blocked_robots"
            elif host == unreachable_host:
                verdict = "unreachable"
            elif later is None or later.status in (404, 410):  # the server answers 404
                verdict = "page_gone"
            elif 300 <= later.status < 400:
                verdict = "redirected"
            else:
                after = followed_links(new_hosts.rewrite(later.html), src)
                if dst not in after:
                    verdict = "removed"
                elif was_followed and not after[dst]:
                    verdict = "now_nofollow"
                else:
                    verdict = "live"
            out[(src, dst)] = verdict
    return out


def pick_unreachable(verdicts: dict[Pair, str]) -> str:
    """A source host whose loss keeps every other verdict represented (the fewest pages)."""
    by_host: dict[str, set[str]] = {}
    for src, _ in verdicts:
        by_host.setdefault(urls.host_of(src), set()).add(src)
    for host in sorted(by_host, key=lambda h: (len(by_host[h]), h)):
        if host in (ROBOTS_500, ROBOTS_BANNED, CRAWL_DELAY_HOST):
            continue
        rest = {v for (src, _), v in verdicts.items() if urls.host_of(src) != host}
        if rest >= CHANGES:
            return host
    raise AssertionError("no host can be made unreachable without losing a verdict")


def closed_port() -> int:
    """A loopback port nobody listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Checked:
    db: Path
    rows: list[dict[str, Any]]
    expected: dict[Pair, str]
    unreachable_host: str
    crawl_snapshot: int
    hits: list[tuple[str, str]]  # (host, target) the second server saw


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    old = generate_web(sites=8)
    new = evolve(old, seed=EVOLVE_SEED)
    plain = expected_verdicts(old, new, None)
    assert set(plain.values()) >= CHANGES  # the evolution touches backlinks every way
    host = pick_unreachable(plain)
    expected = expected_verdicts(old, new, host)
    db = tmp_path_factory.mktemp("verify") / "index.duckdb"

    # the first snapshot: every host crawled, the robots-closed ones opened for the occasion
    opened = {
        h: f"User-agent: *\nDisallow: /private/\nSitemap: http://{h}/sitemap.xml\n"
        for h in (ROBOTS_500, ROBOTS_BANNED, CRAWL_DELAY_HOST)
    }
    with serve_web(old, extras=False, robots=opened) as srv:
        cfg = CrawlConfig(delay=0, resolve=srv.resolve, max_pages=2000, max_depth=10)
        with Store(db) as store:
            crawler = Crawler.start(store, [f"http://{s.host}/" for s in old.sites], cfg)
            report = asyncio.run(crawler.run())
        assert report.finished

    # weeks later: the evolved web, its robots.txt as usual, one host unreachable
    with serve_web(new, extras=False) as later:
        args = ["verify", TARGET, "--db", str(db), "--delay", "0", "--format", "json"]
        args += ["--resolve", f"*={later.base_address}"]
        args += ["--resolve", f"{host}=127.0.0.1:{closed_port()}"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        hits = [(h.host, h.target) for h in later.stats.hits()]
    return Checked(db, json.loads(result.stdout), expected, host, report.snapshot_id, hits)


def test_every_known_backlink_is_checked(checked: Checked) -> None:
    pairs = [(r["source_url"], r["target_url"]) for r in checked.rows]
    assert len(pairs) == len(set(pairs))  # one row per backlink
    assert set(pairs) == set(checked.expected)
    assert len(pairs) > 40


def test_verdicts_match_the_two_webs(checked: Checked) -> None:
    wrong = {
        (r["source_url"], r["target_url"]): (
            r["status"],
            checked.expected[(r["source_url"], r["target_url"])],
        )
        for r in checked.rows
        if r["status"] != checked.expected.get((r["source_url"], r["target_url"]))
    }
    assert wrong == {}
    seen = {r["status"] for r in checked.rows}
    assert seen == CHANGES | {"blocked_robots", "unreachable"}


def test_verdict_details(checked: Checked) -> None:
    for row in checked.rows:
        status = row["status"]
        if status == "redirected":
            assert 300 <= row["http_status"] < 400
            assert row["redirect_to"]
        elif status == "page_gone":
            assert row["http_status"] == 404
        elif status in ("live", "removed", "now_nofollow"):
            assert row["http_status"] == 200
        elif status == "blocked_robots":
            assert row["http_status"] is None
            assert row["detail"] == "robots_disallowed"
        elif status == "unreachable":
            assert row["http_status"] is None
            assert row["detail"] == "unreachable"  # connection refused, not a robots verdict
            assert urls.host_of(row["source_url"]) == checked.unreachable_host


def test_verify_is_polite_and_fetches_only_sources(checked: Checked) -> None:
    sources = {src for src, _ in checked.expected}
    pages = [(h, t) for h, t in checked.hits if t != "/robots.txt"]
    # nothing but the referring pages (no links followed, no redirects, no sitemaps)
    assert {f"http://{h}{t}" for h, t in pages} <= sources
    assert len(pages) == len({f"http://{h}{t}" for h, t in pages})  # each once
    # robots.txt first on every host, and no page of a host that now forbids it
    for host in (ROBOTS_500, ROBOTS_BANNED):
        assert ROBOTS_SPECIAL[host]
        assert [t for h, t in checked.hits if h == host] == ["/robots.txt"]
    assert not [h for h, _ in checked.hits if h == checked.unreachable_host]


def test_verify_is_a_snapshot_and_writes_link_history(checked: Checked) -> None:
    con = duckdb.connect(str(checked.db), read_only=True)
    try:
        snaps = con.execute(
            "SELECT snapshot_id, source FROM snapshots ORDER BY ingested_at"
        ).fetchall()
        history = con.execute(
            "SELECT src_url_id, dst_url_id, first_seen, last_seen, lost_reason FROM link_history"
        ).fetchall()
        first_seen = {
            (s, d): t
            for s, d, t in con.execute(
                "SELECT src_url_id, dst_url_id, min(seen_at) FROM links WHERE snapshot_id = ? "
                "GROUP BY ALL",
                [checked.crawl_snapshot],
            ).fetchall()
        }
    finally:
        con.close()
    assert [s for _, s in snaps] == ["crawl", "crawl"]
    assert snaps[0][0] == checked.crawl_snapshot
    by_pair = {(s, d): (f, last, lost) for s, d, f, last, lost in history}
    assert len(by_pair) == len(history)  # one row per backlink
    assert set(by_pair) == {
        (urls.stable_id(src), urls.stable_id(dst)) for src, dst in checked.expected
    }
    for (src, dst), verdict in checked.expected.items():
        first, last, lost = by_pair[(urls.stable_id(src), urls.stable_id(dst))]
        assert lost == (None if verdict == "live" else verdict)
        assert first == first_seen[(urls.stable_id(src), urls.stable_id(dst))]
        if verdict == "live":
            assert last > first  # seen again at the check
        else:
            assert last == first  # last seen in the crawl, the only time before
