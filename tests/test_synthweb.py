"""The synthetic web and its WARC writer: deterministic, well-formed, and shaped as promised
(navigation everywhere, a link farm, a featured host with the most linking hosts, a later
snapshot that gains and loses links), and readable back through fastwarc."""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator, WarcRecordType
from selectolax.lexbor import LexborHTMLParser

from backlinks.demo.catalogue import PBN_SITES, SITES, TOPICS
from backlinks.demo.synthweb import (
    EVOLVE_AFTER,
    MIN_SITES,
    SynthPage,
    SynthWeb,
    evolve,
    generate_web,
)
from backlinks.demo.warcwrite import write_warc
from backlinks.urls import canonicalize, host_of

_META_CHARSET = re.compile(rb'charset="?([\w-]+)')

#: (source url, canonical target, anchor text or img alt, rel, section tag or "")
Edge = tuple[str, str, str, str, str]


@pytest.fixture(scope="module")
def web() -> SynthWeb:
    return generate_web()


@pytest.fixture(scope="module")
def later(web: SynthWeb) -> SynthWeb:
    return evolve(web)


def _decode(page: SynthPage) -> str:
    """Decode as a browser would: the HTTP charset, else the ``<meta>`` one."""
    declared = page.content_type.partition("charset=")[2]
    if not declared:
        match = _META_CHARSET.search(page.html[:1024])
        declared = match.group(1).decode() if match else "utf-8"
    return page.html.decode(declared)


def _parse(page: SynthPage) -> LexborHTMLParser:
    return LexborHTMLParser(_decode(page))


def _section(node: object) -> str:
    parent = getattr(node, "parent", None)
    while parent is not None:
        if parent.tag in ("header", "nav", "aside", "footer"):
            return str(parent.tag)
        if parent.tag == "section" and "comments" in (parent.attributes.get("class") or ""):
            return "comment"
        parent = parent.parent
    return "content"


def _edges(page: SynthPage) -> list[Edge]:
    tree = _parse(page)
    base_node = tree.css_first("base[href]")
    base = base_node.attributes["href"] if base_node else page.url
    out = []
    for node in tree.css("a[href]"):
        target = canonicalize(node.attributes["href"] or "", base)
        if target is None:
            continue
        img = node.css_first("img")
        text = node.text(strip=True) or (img.attributes.get("alt") or "" if img else "")
        rel = node.attributes.get("rel") or ""
        out.append((page.url, target, text, rel, _section(node)))
    return out


def _all_edges(web: SynthWeb) -> list[Edge]:
    return [e for p in web.pages if p.status == 200 for e in _edges(p)]


def _linking_hosts(web: SynthWeb) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for src, dst, *_ in _all_edges(web):
        if host_of(src) != host_of(dst):
            found[host_of(dst)].add(host_of(src))
    return found


def _write(web: SynthWeb, path: Path, *, gzip: bool = True) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert write_warc(web.pages, path, gzip=gzip) == len(web.pages) + 1
    return path.read_bytes()


def test_same_seed_gives_identical_warc_bytes(tmp_path: Path) -> None:
    first = _write(generate_web(7), tmp_path / "a" / "web.warc.gz")
    second = _write(generate_web(7), tmp_path / "b" / "web.warc.gz")
    other = _write(generate_web(8), tmp_path / "c" / "web.warc.gz")
    assert first == second
    assert first != other


@pytest.mark.parametrize("gzip", [True, False])
def test_warc_round_trips_through_fastwarc(web: SynthWeb, tmp_path: Path, gzip: bool) -> None:
    path = tmp_path / ("web.warc.gz" if gzip else "web.warc")
    _write(web, path, gzip=gzip)
    records = iter(ArchiveIterator(str(path), parse_http=True, fsspec_args=False))
    info = next(records)
    assert info.record_type == WarcRecordType.warcinfo
    assert info.record_date == web.pages[0].fetched_at
    ids = [info.record_id]
    for record, page in zip(records, web.pages, strict=True):
        assert record.record_type == WarcRecordType.response
        ids.append(record.record_id)
        assert record.headers["WARC-Target-URI"] == page.url
        assert record.http_headers.status_code == page.status
        assert record.record_date == page.fetched_at
        assert record.http_headers.get("Location") == page.location
        assert record.verify_payload_digest()
        assert record.reader.read() == page.html
    assert len(set(ids)) == len(ids) == len(web.pages) + 1
    unparsed = ArchiveIterator(
        str(path), record_types=WarcRecordType.response, parse_http=False, fsspec_args=False
    )
    assert all(record.verify_block_digest() for record in unparsed)


def test_each_gzip_member_holds_one_record(web: SynthWeb, tmp_path: Path) -> None:
    path = tmp_path / "web.warc.gz"
    data = _write(web, path)
    offsets = [r.stream_pos for r in ArchiveIterator(str(path), fsspec_args=False)]
    assert offsets[0] == 0
    assert len(offsets) == len(web.pages) + 1
    for start, end in zip(offsets, [*offsets[1:], len(data)], strict=True):
        member = zlib.decompressobj(wbits=31)
        record = member.decompress(data[start:end])
        assert member.eof
        assert not member.unused_data
        assert record.startswith(b"WARC/1.0\r\n")
        assert record.endswith(b"\r\n\r\n")


def test_pages_are_html5_with_the_expected_parts(web: SynthWeb) -> None:
    for page in web.pages:
        if page.status != 200:
            continue
        assert page.html.startswith(b"<!DOCTYPE html>")
        tree = _parse(page)
        root = tree.css_first("html")
        assert root is not None
        assert root.attributes.get("lang")
        title = tree.css_first("title")
        assert title is not None
        assert title.text(strip=True)
        canonical = tree.css_first('link[rel="canonical"]')
        assert canonical is not None
        assert canonicalize(canonical.attributes["href"] or "") is not None
        for part in ("header a.logo img[alt]", "nav a", "main", "article h1", "aside", "footer a"):
            assert tree.css_first(part) is not None, (page.url, part)


def test_every_site_has_navigation_and_footer_links(web: SynthWeb) -> None:
    sections: dict[str, set[str]] = defaultdict(set)
    for src, dst, _, _, section in _all_edges(web):
        if host_of(src) == host_of(dst):
            sections[host_of(src)].add(section)
    for site in web.sites:
        assert {"header", "nav", "footer", "aside"} <= sections[site.host], site.host


def test_links_to_the_web_reach_served_or_planned_missing_pages(web: SynthWeb) -> None:
    served = {p.url for p in web.pages}
    missing = {plan.url(path) for plan in web.plans for path in plan.missing}
    hosts = {s.host for s in web.sites}
    for _, dst, *_ in _all_edges(web):
        if host_of(dst) in hosts:
            assert dst in served | missing, dst
    assert missing - served, "some 404 targets are never crawled"


def test_links_vary_in_rel_anchor_and_form(web: SynthWeb) -> None:
    edges = _all_edges(web)
    rels = {rel for *_, rel, _ in edges}
    assert {"", "nofollow", "sponsored", "ugc nofollow", "noopener NoFollow"} <= rels
    assert any(section == "comment" and "ugc" in rel for *_, rel, section in edges)
    raw = b"\n".join(p.html for p in web.pages)
    for needle in (b"utm_source=", b'href="mailto:', b'href="#', b'href="../', b"<base href=",
                   b'href="//', b'content="noindex', b"<img src=\"/assets/badge.png\"",
                   b">click here<", b"cr\xc3\xa8me-br\xc3\xbbl\xc3\xa9e"):  # fmt: skip
        assert needle in raw, needle
    assert {p.status for p in web.pages} == {200, 301, 404}


def test_encodings_and_international_names(web: SynthWeb) -> None:
    by_host = {s.host: s for s in web.sites}
    french = next(
        p for p in web.pages if host_of(p.url) == "www.petit-voyage.fr" and p.status == 200
    )
    assert french.content_type == "text/html"  # only the <meta> names the charset
    assert b'<meta charset="windows-1252">' in french.html
    assert "é" in _decode(french)
    assert by_host["www.brotzeit-kueche.de"].encoding == "iso-8859-1"
    assert "www.xn--grtnerei-sonnenschein-51b.de" in by_host
    assert any(h.endswith(".co.uk") for h in by_host)
    assert "blog.saucepan-diaries.com" in by_host


def test_featured_host_has_the_most_linking_hosts(web: SynthWeb) -> None:
    linking = _linking_hosts(web)
    featured = len(linking[web.featured_host])
    assert featured == len(web.sites) - 1
    others = [s.host for s in web.sites if s.host != web.featured_host]
    assert all(len(linking[host]) < featured for host in others)
    counts = sorted((len(linking[s.host]) for s in web.sites), reverse=True)
    assert counts[0] > counts[len(counts) // 2] > 0  # skewed, not flat


def test_link_farm_links_itself_and_its_target(web: SynthWeb) -> None:
    farms = {s.host for s in web.sites if s.role == "farm"}
    money = next(s.host for s in web.sites if s.role == "money")
    assert len(farms) >= 3
    spam_words = set(TOPICS[("spam", "en")].keywords)
    linked: dict[str, set[str]] = defaultdict(set)
    for src, dst, text, rel, _ in _all_edges(web):
        if host_of(src) in farms and host_of(dst) in (farms | {money}) - {host_of(src)}:
            linked[host_of(src)].add(host_of(dst))
            assert not rel
            assert text in spam_words
    for farm in farms:
        assert linked[farm] == (farms | {money}) - {farm}
    assert all(s.is_spam == (s.role in ("farm", "money", "pbn")) for s in web.sites)


def test_evolve_adds_and_removes_links(web: SynthWeb, later: SynthWeb) -> None:
    def pairs(w: SynthWeb) -> set[tuple[str, str]]:
        return {(s, d) for s, d, *_ in _all_edges(w) if host_of(s) != host_of(d)}

    before, after = pairs(web), pairs(later)
    assert before - after
    assert after - before
    lost_featured = {p for p in before - after if host_of(p[1]) == web.featured_host}
    new_featured = {p for p in after - before if host_of(p[1]) == web.featured_host}
    assert lost_featured
    assert new_featured
    statuses = {p.url: p.status for p in web.pages}
    assert any(statuses.get(p.url) == 200 and p.status == 404 for p in later.pages)
    assert any(statuses.get(p.url) == 200 and p.status == 301 for p in later.pages)
    assert later.when == web.when + EVOLVE_AFTER
    assert min(p.fetched_at for p in later.pages) == later.when
    assert web.pages == generate_web().pages  # evolve left its input alone
    assert evolve(web).pages == later.pages


def test_sizes_and_dates() -> None:
    when = datetime(2023, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    small = generate_web(3, sites=MIN_SITES, when=when)
    # the first n catalogue sites, then the private blog network
    assert [s.host for s in small.sites[:MIN_SITES]] == [
        host_of(canonicalize(f"{spec.scheme}://{spec.host}/") or "") for spec in SITES[:MIN_SITES]
    ]
    assert len(small.sites) == MIN_SITES + len(PBN_SITES)
    assert small.pages[0].fetched_at == when.replace(microsecond=0)
    assert len(generate_web(sites=len(SITES)).sites) == len(SITES) + len(PBN_SITES)
    for bad in (MIN_SITES - 1, len(SITES) + 1):
        with pytest.raises(ValueError, match="sites must be"):
            generate_web(sites=bad)
