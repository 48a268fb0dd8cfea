"""Robustness of :func:`backlinks.extract.extract`: it never raises (arbitrary bytes, page
URLs and headers, under hypothesis), keeps its invariants, and scales to 100,000 links, a
50 MB page and thousands of nested section containers."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backlinks.extract import ANCHOR_LIMIT, extract
from backlinks.records import SECTIONS, Extraction
from backlinks.urls import canonicalize

ANY_TEXT = st.text(st.characters(codec=None, categories=None, exclude_characters=""), max_size=80)
PAGE = "https://example.com/a/b.html"

# HTML-ish pieces that reach the interesting branches: links of every kind, images, base,
# meta, containers, encodings, entity references, broken and nested markup.
_PIECES = [
    "<a href='{}'>",
    '<a href="{}" rel="nofollow UGC sponsored">',
    "<area href={} alt='{}'>",
    "<img alt='{}'>",
    "</a>",
    "<base href='{}'>",
    "<meta name=robots content='{}'>",
    "<meta charset='{}'>",
    "<link rel=canonical href='{}'>",
    "<title>{}</title>",
    "<nav>",
    "</nav>",
    "<footer>",
    "<article><header>",
    "<div class='{}'>",
    "<div id=comments role='{}'>",
    "</div>",
    "<ul class=menu><li>",
    "<p>{}",
    "<table><td>{}",
    "<svg><a href='{}'>",
    "<template><a href=/t>",
    "<noscript><a href=/n>",
    "<script>{}</script>",
    "&amp;&#0;&#x110000;&sect",
    "<!--{}-->",
    "\x00",
    "\ufeff",
]
_FILLERS = [
    "",
    "#",
    "#x",
    "javascript:x()",
    "mailto:a@b",
    "http://[::1",
    "//host/p",
    "../../x?y=1#z",
    "http://ex ample.com",
    "\t\n",
    "nav",
    "has-sidebar footer",
    "none",
    "utf-16",
    "windows-1251",
    "x" * 600,
    "\ud800",
    "é",
]
HTMLISH = st.lists(
    st.tuples(st.sampled_from(_PIECES), st.one_of(st.sampled_from(_FILLERS), ANY_TEXT)),
    max_size=40,
).map(lambda parts: "".join(piece.replace("{}", fill) for piece, fill in parts))
ENCODED = st.tuples(HTMLISH, st.sampled_from(["utf-8", "utf-16", "cp1251", "latin-1"])).map(
    lambda pair: pair[0].encode(pair[1], "surrogatepass" if "utf" in pair[1] else "replace")
)


def check_invariants(result: Extraction) -> None:
    assert [link.position for link in result.links] == list(range(len(result.links)))
    for link in result.links:
        assert link.dst_url.startswith(("http://", "https://"))
        assert link.section in SECTIONS
        assert len(link.anchor) <= ANCHOR_LIMIT
        assert link.anchor == link.anchor.strip()
    assert min(result.non_web, result.invalid, result.fragment) >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=st.binary(max_size=2000), page_url=ANY_TEXT, content_type=st.none() | ANY_TEXT)
def test_never_raises_on_arbitrary_bytes(
    html: bytes, page_url: str, content_type: str | None
) -> None:
    check_invariants(extract(html, page_url, http_content_type=content_type))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=ENCODED, page_url=st.sampled_from([PAGE, "", "x", "http://[::1", "\ud800"]) | ANY_TEXT)
def test_never_raises_on_html_like_input(html: bytes, page_url: str) -> None:
    result = extract(html, page_url, text_limit=100)
    check_invariants(result)
    assert len(result.text) <= 100


@settings(max_examples=300, deadline=None)
@given(href=ANY_TEXT, base=st.none() | ANY_TEXT | st.just(PAGE))
def test_canonicalize_never_raises(href: str, base: str | None) -> None:
    url = canonicalize(href, base)
    assert url is None or url.startswith(("http://", "https://"))


def test_hundred_thousand_links() -> None:
    body = "".join(f'<li><a href="/p/{i}">link {i}</a>' for i in range(100_000))
    started = time.perf_counter()
    result = extract(f"<ul>{body}</ul>".encode(), PAGE)
    elapsed = time.perf_counter() - started
    assert len(result.links) == 100_000
    assert [link.position for link in result.links] == list(range(100_000))
    assert result.links[-1].dst_url == "https://example.com/p/99999"
    assert result.links[-1].anchor == "link 99999"
    assert elapsed < 20


def test_fifty_megabyte_page() -> None:
    paragraph = "<p>" + "filler text " * 80 + '<a href="/x/{}">more</a></p>\n'
    count = 50_000_000 // len(paragraph) + 1
    page = (
        "<html><body><nav><a href=/>home</a></nav>"
        + "".join(paragraph.format(i) for i in range(count))
        + "</body></html>"
    ).encode()
    assert len(page) >= 50_000_000
    result = extract(page, PAGE, text_limit=1000)
    assert len(result.links) == count + 1
    assert result.links[0].section == "nav"
    assert result.links[-1].dst_url == f"https://example.com/x/{count - 1}"
    assert len(result.text) == 1000


def test_deeply_nested_containers_stay_fast() -> None:
    depth = 2000
    kinds = ["nav", "footer", "sidebar", "comments"]
    opening = "".join(f'<div class="{kinds[i % 4]}"><a href="/d/{i}">{i}</a>' for i in range(depth))
    started = time.perf_counter()
    result = extract((opening + "</div>" * depth).encode(), PAGE)
    assert time.perf_counter() - started < 15
    assert len(result.links) == depth
    assert [link.section for link in result.links[:5]] == [
        "nav",
        "footer",
        "aside",
        "comment",
        "nav",
    ]


def test_pathological_bytes() -> None:
    for html in (
        b"",
        b"\x00" * 10_000,
        b"\xff\xfe",
        b"\xfe\xff\x00",
        b"<" * 100_000,
        b"<a href=" * 10_000,
    ):
        check_invariants(extract(html, PAGE))
