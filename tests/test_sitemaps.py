"""Sitemap parsing: XML urlsets and indexes, feeds, text sitemaps, gzip, and hostile bodies."""

from __future__ import annotations

import gzip
import time
import tracemalloc
from typing import Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backlinks.crawl.sitemaps import MAX_SITEMAP_URLS, SitemapResult, parse_sitemap

BASE: Final = "https://example.com/sitemaps/sitemap.xml"
NS: Final = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def urlset(*locs: str, ns: str = NS) -> bytes:
    entries = "".join(f"<url><loc>{loc}</loc></url>\n" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {ns}>\n{entries}</urlset>\n'.encode()


def assert_clean(result: SitemapResult) -> None:
    assert (result.errors, result.dropped, result.problems) == (0, 0, [])


# --- XML sitemaps ----------------------------------------------------------------------------


def test_urlset() -> None:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset {NS}
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>
      https://example.com/a
    </loc>
    <lastmod>2024-01-01</lastmod>
    <image:image><image:loc>https://example.com/photo.jpg</image:loc></image:image>
  </url>
  <url><loc><![CDATA[https://example.com/b?x=1&y=2]]></loc><priority>0.5</priority></url>
  <url><loc>https://EXAMPLE.com/c?q=1&amp;utm_source=news#top</loc></url>
</urlset>""".encode()
    result = parse_sitemap(body, BASE)
    assert result.urls == [
        "https://example.com/a",
        "https://example.com/b?x=1&y=2",
        "https://example.com/c?q=1",  # canonical: tracking parameter and fragment gone
    ]
    assert result.sitemaps == []
    assert_clean(result)


@pytest.mark.parametrize(
    "ns",
    [
        "",
        'xmlns="http://www.google.com/schemas/sitemap/0.84"',
        'xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9"',
    ],
)
def test_urlset_in_any_namespace(ns: str) -> None:
    body = urlset("https://example.com/a", ns=ns)
    if ns.startswith("xmlns:sm"):
        body = body.replace(b"<url>", b"<sm:url>").replace(b"</url>", b"</sm:url>")
    result = parse_sitemap(body, BASE)
    assert result.urls == ["https://example.com/a"]
    assert_clean(result)


def test_sitemap_index() -> None:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex {NS}>
  <sitemap><loc>https://example.com/sitemap-1.xml.gz</loc><lastmod>2024-01-01</lastmod></sitemap>
  <sitemap><loc> /sitemap-2.xml </loc></sitemap>
</sitemapindex>""".encode()
    result = parse_sitemap(body, BASE)
    assert result.sitemaps == [
        "https://example.com/sitemap-1.xml.gz",
        "https://example.com/sitemap-2.xml",
    ]
    assert result.urls == []
    assert_clean(result)


def test_relative_urls_resolve_against_the_sitemap_url() -> None:
    result = parse_sitemap(urlset("page.html", "/root", "../up", "//other.example/x"), BASE)
    assert result.urls == [
        "https://example.com/sitemaps/page.html",
        "https://example.com/root",
        "https://example.com/up",
        "https://other.example/x",
    ]


def test_non_http_and_bad_urls_are_dropped_and_counted() -> None:
    locs = (
        "https://example.com/ok",
        "ftp://example.com/file",
        "mailto:someone@example.com",
        "javascript:alert(1)",
        "http://exa mple.com/",
        "",
        "https://" + "a" * 9000 + ".com/",
    )
    result = parse_sitemap(urlset(*locs), BASE)
    assert result.urls == ["https://example.com/ok"]
    assert result.dropped == 6
    assert result.errors == 0


def test_declared_encodings() -> None:
    latin = urlset("https://example.com/café").replace(b"UTF-8", b"ISO-8859-1")
    latin = latin.replace("é".encode(), "é".encode("latin-1"))
    assert parse_sitemap(latin, BASE).urls == ["https://example.com/caf%C3%A9"]
    utf16 = urlset("https://example.com/ü").decode().replace("UTF-8", "UTF-16").encode("utf-16")
    assert parse_sitemap(utf16, BASE).urls == ["https://example.com/%C3%BC"]
    bom = b"\xef\xbb\xbf" + urlset("https://example.com/a")
    assert parse_sitemap(bom, BASE).urls == ["https://example.com/a"]


def test_doctype_without_entities_is_read() -> None:
    body = b'<?xml version="1.0"?>\n<!DOCTYPE urlset>\n' + urlset("https://example.com/a")[39:]
    result = parse_sitemap(body, BASE)
    assert result.urls == ["https://example.com/a"]
    assert_clean(result)


# --- feeds -----------------------------------------------------------------------------------


def test_rss_feed() -> None:
    body = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
  <title>News</title><link>https://example.com/</link>
  <atom:link href="https://example.com/feed.xml" rel="self"/>
  <item><title>One</title><link>https://example.com/posts/1</link></item>
  <item><title>Two</title><link> /posts/2 </link><guid>urn:x</guid></item>
</channel></rss>"""
    result = parse_sitemap(body, "https://example.com/feed.xml")
    assert result.urls == ["https://example.com/posts/1", "https://example.com/posts/2"]
    assert_clean(result)


def test_rss1_rdf_feed() -> None:
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
  <channel rdf:about="https://example.com/"><link>https://example.com/</link></channel>
  <item rdf:about="https://example.com/p"><link>https://example.com/p</link></item>
</rdf:RDF>"""
    assert parse_sitemap(body, BASE).urls == ["https://example.com/p"]


def test_atom_feed() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="https://example.com/" rel="alternate"/>
  <entry><title>A</title><link href="https://example.com/a"/></entry>
  <entry><link rel="alternate" href="/b"/><link rel="edit" href="/b/edit"/></entry>
  <entry><link rel="enclosure" href="https://example.com/c.mp3"/></entry>
</feed>"""
    result = parse_sitemap(body, BASE)
    assert result.urls == ["https://example.com/a", "https://example.com/b"]
    assert_clean(result)


# --- text sitemaps ---------------------------------------------------------------------------


def test_text_sitemap() -> None:
    body = (
        b"\xef\xbb\xbfhttps://example.com/a\r\n"
        b"\n"
        b"   https://example.com/b   \n"
        b"HTTPS://Example.com/c\n"
        b"not a url\n"
        b"/relative/path\n"
        b"ftp://example.com/f\n"
        b"https://example.com/last"
    )
    result = parse_sitemap(body, BASE)
    assert result.urls == [
        "https://example.com/a",
        "https://example.com/b",
        "https://example.com/c",
        "https://example.com/last",
    ]
    assert result.dropped == 3
    assert result.errors == 0


def test_text_sitemap_overlong_line_is_dropped_without_holding_it() -> None:
    body = (
        b"https://example.com/a\n" + b"x" * 1_000_000 + b"\nhttps://example.com/b\n" + b"y" * 70_000
    )
    result = parse_sitemap(body, BASE)
    assert result.urls == ["https://example.com/a", "https://example.com/b"]
    assert result.dropped == 2


# --- gzip ------------------------------------------------------------------------------------


def test_gzip_is_detected_by_its_magic_bytes() -> None:
    body = urlset("https://example.com/a", "https://example.com/b")
    result = parse_sitemap(gzip.compress(body), "https://example.com/sitemap.xml.gz")
    assert result.urls == ["https://example.com/a", "https://example.com/b"]
    assert_clean(result)
    text = gzip.compress(b"https://example.com/t\n")
    assert parse_sitemap(text, BASE).urls == ["https://example.com/t"]


def test_multi_member_gzip() -> None:
    body = urlset("https://example.com/a")
    half = len(body) // 2
    result = parse_sitemap(gzip.compress(body[:half]) + gzip.compress(body[half:]), BASE)
    assert result.urls == ["https://example.com/a"]
    assert_clean(result)


def test_truncated_gzip_keeps_what_was_read() -> None:
    body = gzip.compress(urlset(*(f"https://example.com/{i}" for i in range(5000))), 1)
    result = parse_sitemap(body[: len(body) // 2], BASE)
    assert 0 < len(result.urls) < 5000
    assert result.errors == 1
    assert result.problems == ["truncated gzip"]


def test_corrupt_gzip() -> None:
    body = bytearray(gzip.compress(urlset("https://example.com/a") * 50))
    body[20:40] = b"\xff" * 20
    result = parse_sitemap(bytes(body), BASE)
    assert result.errors >= 1
    assert "gzip" in result.problems[0] or "XML" in result.problems[0]


@pytest.mark.parametrize(
    "payload",
    [b"\0" * (120 * 1024 * 1024), b"<urlset>" + b" " * (120 * 1024 * 1024)],
    ids=["zeros", "xml-whitespace"],
)
def test_gzip_bomb_stops_at_the_cap_in_bounded_memory(payload: bytes) -> None:
    bomb = gzip.compress(payload, 9)
    del payload
    assert len(bomb) < 200_000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = parse_sitemap(bomb, BASE)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 10
    assert peak < 8 * 1024 * 1024
    assert result.urls == []
    assert result.errors == 1
    assert result.problems == [f"decompressed size over {50 * 1024 * 1024} bytes"]


def test_plain_body_over_the_cap_is_cut_and_counted() -> None:
    body = urlset(*(f"https://example.com/{i}" for i in range(100)))
    result = parse_sitemap(body, BASE, max_bytes=len(body) // 2)
    assert 0 < len(result.urls) < 100
    assert result.errors == 1
    assert result.problems == [f"size over {len(body) // 2} bytes"]


# --- malformed and hostile XML ---------------------------------------------------------------


def test_malformed_xml_keeps_earlier_urls() -> None:
    body = urlset("https://example.com/a", "https://example.com/b")[:-40] + b"<url><loc>broken"
    result = parse_sitemap(body, BASE)
    assert result.urls == ["https://example.com/a"]
    assert result.errors == 1
    assert result.problems[0].startswith("malformed XML")


@pytest.mark.parametrize(
    "body",
    [
        b"<urlset><url><loc>https://example.com/a</loc></url>",
        b"<urlset><url><loc>https://example.com/a</loc></url></sitemapindex>",
        b"<urlset><url><loc>https://example.com/a&nbsp;</loc></url></urlset>",
        b"<urlset>\x00</urlset>",
        b"<",
    ],
)
def test_malformed_xml_is_an_error_not_an_exception(body: bytes) -> None:
    result = parse_sitemap(body, BASE)
    assert result.errors == 1
    assert result.problems[0].startswith("malformed XML")


BILLION_LAUGHS: Final = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<urlset><url><loc>https://example.com/&lol9;</loc></url></urlset>
"""


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<urlset><url><loc>https://example.com/&xxe;</loc></url></urlset>",
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY % p SYSTEM "http://evil.example/x">%p;]>'
        b"<urlset/>",
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY u SYSTEM "x" NDATA gif>]><urlset/>',
    ],
    ids=["billion-laughs", "external-entity", "parameter-entity", "unparsed-entity"],
)
def test_entity_declarations_are_refused(body: bytes) -> None:
    started = time.perf_counter()
    result = parse_sitemap(body, BASE)
    assert time.perf_counter() - started < 1
    assert result.urls == []
    assert result.errors == 1
    assert "entit" in result.problems[0]


def test_external_dtd_is_not_fetched() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "http://evil.example/x.dtd">'
        + urlset("https://example.com/a")[39:]
    )
    result = parse_sitemap(body, BASE)
    assert result.urls == ["https://example.com/a"]


def test_deep_nesting_is_refused() -> None:
    result = parse_sitemap(b"<urlset>" + b"<a>" * 100_000, BASE)
    assert result.errors == 1
    assert "nested deeper" in result.problems[0]


@pytest.mark.parametrize("body", [b"<html><body><a href='/x'>x</a></body></html>", b"<foo/>"])
def test_unknown_root_is_an_error(body: bytes) -> None:
    result = parse_sitemap(body, BASE)
    assert result.urls == []
    assert result.errors == 1
    assert result.problems[0].startswith("not a sitemap")


@pytest.mark.parametrize("body", [b"", b"   \n\t", b"\xef\xbb\xbf  "])
def test_empty_body(body: bytes) -> None:
    result = parse_sitemap(body, BASE)
    assert result == SitemapResult()


def test_oversized_loc_is_dropped() -> None:
    result = parse_sitemap(urlset("https://example.com/" + "a" * 50_000), BASE)
    assert result.urls == []
    assert result.dropped == 1


# --- scale and robustness --------------------------------------------------------------------


def test_50k_urls_quickly() -> None:
    n = MAX_SITEMAP_URLS
    entries = b"".join(
        b"<url><loc>https://example.com/p/%d</loc><lastmod>2024-01-01</lastmod></url>\n" % i
        for i in range(n + 10)
    )
    body = b"<urlset " + NS.encode() + b">" + entries + b"</urlset>"
    started = time.perf_counter()
    result = parse_sitemap(gzip.compress(body), BASE)
    elapsed = time.perf_counter() - started
    assert len(result.urls) == n
    assert result.urls[-1] == f"https://example.com/p/{n - 1}"
    assert result.dropped == 10  # beyond the protocol's 50,000
    assert result.errors == 0
    assert elapsed < 5, f"{elapsed:.2f}s for {n} URLs"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_never_raises_on_random_bytes(body: bytes) -> None:
    result = parse_sitemap(body, BASE)
    assert all(u.startswith(("http://", "https://")) for u in result.urls + result.sitemaps)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_never_raises_on_mutated_sitemaps(data: st.DataObject) -> None:
    body = bytearray(urlset("https://example.com/a", "/b", "https://example.com/c?d=1&amp;e"))
    if data.draw(st.booleans()):
        body = bytearray(gzip.compress(bytes(body)))
    for _ in range(data.draw(st.integers(1, 5))):
        pos = data.draw(st.integers(0, len(body) - 1))
        body[pos : pos + 1] = data.draw(st.binary(max_size=3))
    result = parse_sitemap(bytes(body), BASE)
    assert result.errors == len(result.problems)
