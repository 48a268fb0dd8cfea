"""Link extraction on real pages and on the hand-made link-extraction WARC.

Real pages (``../shared/data/html-pages``, read in place, never copied into the repo) are
cross-checked against an independent reference: the stdlib :class:`html.parser.HTMLParser`
collecting ``<a href>``/``<area href>`` and ``urllib.parse.urljoin``, with our canonical form
applied last so both sides compare the same spelling. Where the two must differ:

* the reference is a tokenizer, not an HTML5 tree builder: a browser (and lexbor) re-opens
  an unclosed ``<a>`` after a block element closes its paragraph, so the DOM holds the same
  link several times. We report every clone; the reference sees one. Our multiset can only
  be larger, so recall is exact and precision is checked on the set of targets;
* the reference skips the raw-text and template elements (``noscript``, ``template``,
  ``textarea``, ``title``, ``iframe``...) whose content is no markup to a browser running
  scripts, and decodes attribute character references by the HTML5 attribute rule (``&sect``
  in ``?a=1&sectionId=2`` is not ``§``), which :func:`html.unescape` alone does not follow.
"""

from __future__ import annotations

import csv
import gzip
import html
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from html.entities import html5 as html5_entities
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from fastwarc.warc import ArchiveIterator, WarcRecordType

from backlinks.encoding import decode_html
from backlinks.extract import extract
from backlinks.records import Extraction
from backlinks.urls import canonicalize
from datapaths import SHARED_DATA

DATA = SHARED_DATA
PAGES = DATA / "html-pages"
WARC = DATA / "warc-samples" / "link-extraction-cases" / "link-extraction-test.warc"

needs_pages = pytest.mark.skipif(
    not (PAGES / "urls.tsv").exists(), reason=f"real-page corpus not present at {PAGES}"
)
needs_warc = pytest.mark.skipif(not WARC.exists(), reason=f"sample WARC not present at {WARC}")


def _page_rows() -> list[tuple[str, str]]:
    if not (PAGES / "urls.tsv").exists():
        return []
    with (PAGES / "urls.tsv").open(encoding="utf-8") as handle:
        return [(row["file"], row["url"]) for row in csv.DictReader(handle, delimiter="\t")]


def _read(name: str) -> bytes:
    data = (PAGES / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


# --- the independent reference ---------------------------------------------------------------

_HREF_RE = re.compile(r"""[\s"'/]href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*))""", re.IGNORECASE)
_CHARREF_RE = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)")


def _unescape_attribute(value: str) -> str:
    """HTML5 character references in an attribute value: a legacy named reference without
    ``;`` is decoded only when it is the whole name and no ``=`` follows."""

    def one(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith("#") or ref.endswith(";"):
            return html.unescape(match.group(0))
        following = value[match.end() : match.end() + 1]
        if ref in html5_entities and following != "=":
            return html5_entities[ref]
        return match.group(0)

    return _CHARREF_RE.sub(one, value)


class _Reference(HTMLParser):
    RAW = frozenset(
        {"noscript", "template", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.base: str | None = None
        self.raw_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.RAW:
            self.raw_depth += 1
            return
        if self.raw_depth or tag not in ("a", "area", "base"):
            return
        match = _HREF_RE.search(self.get_starttag_text() or "")
        if match is None:
            return
        href = _unescape_attribute(next(g for g in match.groups() if g is not None))
        if tag != "base":
            self.hrefs.append(href)
        elif self.base is None:
            self.base = href

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.RAW:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.RAW and self.raw_depth:
            self.raw_depth -= 1


def reference_targets(data: bytes, page_url: str) -> list[str]:
    text, _ = decode_html(data)
    parser = _Reference()
    parser.feed(text)
    parser.close()
    base = urljoin(page_url, parser.base.strip()) if parser.base is not None else page_url
    out = []
    for raw in parser.hrefs:
        href = raw.strip(" \t\n\r\f")
        if href and not href.startswith("#"):
            target = canonicalize(urljoin(base, href))
            if target is not None:
                out.append(target)
    return out


# --- real pages --------------------------------------------------------------------------


@cache
def _both(name: str, url: str) -> tuple[Counter[str], Counter[str]]:
    """Our targets and the reference's for one page (computed once per test session)."""
    data = _read(name)
    ours = Counter(link.dst_url for link in extract(data, url).links)
    return ours, Counter(reference_targets(data, url))


@needs_pages
@pytest.mark.parametrize(("name", "url"), _page_rows(), ids=lambda value: value[-40:])
def test_agrees_with_stdlib_reference(name: str, url: str) -> None:
    ours, ref = _both(name, url)
    found = sum((ours & ref).values())
    if ref:  # every link the reference sees, we see (as often)
        assert found / sum(ref.values()) >= 0.98, (ref - ours).most_common(5)
    if ours:  # our extras are HTML5 clones of links the reference saw too
        assert len(set(ours) & set(ref)) / len(set(ours)) >= 0.98, (ours - ref).most_common(5)
        assert found / sum(ours.values()) >= 0.9, (ours - ref).most_common(5)


@needs_pages
def test_corpus_level_agreement() -> None:
    ours_total = ref_total = common = 0
    for name, url in _page_rows():
        ours, ref = _both(name, url)
        ours_total += sum(ours.values())
        ref_total += sum(ref.values())
        common += sum((ours & ref).values())
    assert ref_total > 30_000
    assert common / ref_total >= 0.999
    assert common / ours_total >= 0.995


def _page(fragment: str) -> tuple[Extraction, str]:
    for name, url in _page_rows():
        if fragment in name:
            return extract(_read(name), url), url
    raise AssertionError(fragment)


@needs_pages
def test_business_insider_page_is_noindex() -> None:
    # <meta name="robots" content="noindex"> in the head
    result, _ = _page("f81c6c05d9cbc93316992fa23ef74ec4")
    assert (result.meta.robots_noindex, result.meta.robots_nofollow) == (True, False)
    assert result.meta.canonical_url == (
        "https://www.businessinsider.de/how-to-retire-early-steps-for-early-retirement"
    )
    assert result.meta.lang == "de"
    assert not any(link.nofollow for link in result.links)  # page-level only


@needs_pages
def test_luxurious_magazine_page_is_nofollow() -> None:
    # <meta name="robots" content="index,nofollow"/>
    result, _ = _page("luxuriousmagazine.com.polo")
    assert (result.meta.robots_noindex, result.meta.robots_nofollow) == (False, True)
    assert result.meta.title == "A Royal Salute To Polo In Rome - Luxurious Magazine"


@needs_pages
def test_dealbreaker_base_href() -> None:
    # <base href="/"> resolves against the page URL
    result, _ = _page("55bb6340e3d7dd8632ba45179ae43c39")
    assert result.meta.base_url == "https://dealbreaker.com/"
    assert result.links[0].dst_url == "https://dealbreaker.com/tag/steve-mnuchin"
    assert result.links[0].anchor == "Steve Mnuchin"


@needs_pages
def test_appleinsider_sponsored_links() -> None:
    # <a href="https://prices.appleinsider.com/macbook-pro-16-inch-late-2019" rel="sponsored">
    result, _ = _page("65bf3048b500bbd84928d9122f99617c")
    sponsored = [(link.dst_url, link.anchor) for link in result.links if link.sponsored]
    assert len(sponsored) == 6
    assert sponsored[0] == (
        "https://prices.appleinsider.com/macbook-pro-16-inch-late-2019",
        "new 16-inch MacBook Pro",
    )
    # &amp; in the href is decoded, the query kept in order
    assert sponsored[1][0].startswith("https://click.linksynergy.com/deeplink?id=SnlbqrT3b2s&mid=")


@needs_pages
def test_latin1_declared_page_decodes_as_windows_1252() -> None:
    # <meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">
    result, _ = _page("cdu-fraktion-erfurt.de.waldorfschule")
    assert result.meta.encoding == "windows-1252"
    assert result.meta.title.endswith("Entwicklung der Waldorfschule ermöglicht")
    assert result.links[0][:2] == (
        "http://www.cdu-fraktion-erfurt.de/inhalte/1/start/index.html",
        "START",
    )


# --- the hand-made link-extraction WARC --------------------------------------------------------


def _warc_pages() -> Iterator[tuple[str, Extraction]]:
    with WARC.open("rb") as stream:
        for record in ArchiveIterator(stream, parse_http=True):
            if record.record_type != WarcRecordType.response:
                continue
            uri = record.headers["WARC-Target-URI"].strip("<>")  # one record wraps it in <>
            body = record.reader.read()
            yield uri, extract(body, uri, http_content_type=record.http_content_type)


_EXPECTED: dict[str, list[tuple[str, str]]] = {
    # <base href="http://www.example.com/"> ; "#anchor" is a same-page jump; images, <q cite>,
    # <blockquote cite>, <object data> and meta refresh are not hyperlinks
    "http://www.example.com/html4.html": [("http://www.example.com/a-href.html", "A@/href")],
    # <video>/<source> and <link rel=alternate> are not hyperlinks
    "http://www.example.com/link-extraction-test-html5-video.html": [],
    # <A hRef = http://www.example.com/ >: case and spaces around "=" do not matter
    "http://www.example.com/poor_html5.html": [("http://www.example.com/", "link")],
    # the <script> builds nothing we see; the two <a> in the blockquote are links
    "http://www.example.com/fb-video.html": [
        (
            "https://www.facebook.com/facebook/videos/10153231379946729/",
            "How to Share With Just Friends",
        ),
        ("https://www.facebook.com/facebook/", "Facebook"),
    ],
    # data-href is no href; <a class=jackbox> has none; two href="#" are fragments
    "http://www.example.com/data-href.examples.html": [
        (
            "https://www.facebook.com/facebook/videos/10153231379946729/",
            "How to Share With Just Friends",
        ),
        ("https://www.facebook.com/facebook/", "Facebook"),
        ("http://www.example.com/content-page", "Headline goes here."),
        ("http://www.example.com/tags/content", "content"),
        ("http://www.example.com/tags/headlines", "headlines"),
    ],
    "http://www.example.com/fb-social-plugins.html": [
        ("https://www.facebook.com/facebook", "Facebook")
    ],
    # onclick handlers are scripts, not links
    "http://www.example.com/link-extraction-test-onclick-attr.html": [],
    # character references in href are decoded (&amp; and &#x3D;), and in the anchor text
    "http://www.example.com/link-extraction-test-unescaped-entities.xhtml": [
        ("http://www.example.com/view?id=logo&action=edit", "logo"),
        ("http://www.example.com/search?q=examples&n=20", "Examples & more"),
    ],
    # <p><a>text<ul><li>...</ul></a></p>: the <ul> closes the <p> and with it the <a>, and the
    # HTML5 tree builder re-opens the <a> around the list and again after </p> (as browsers
    # do: document.links has three entries), so there are three links to the same target
    "http://example.org/cc/link-extraction-test-anchor-text.html": [
        ("https://example.org/", "Anchor text with"),
        ("https://example.org/", "white space character entities and HTML block elements"),
        ("https://example.org/", ""),
    ],
}


@needs_warc
def test_warc_links_exactly() -> None:
    got = {
        uri: [(link.dst_url, link.anchor) for link in result.links] for uri, result in _warc_pages()
    }
    assert got == _EXPECTED


@needs_warc
def test_warc_metadata_and_counts() -> None:
    results = dict(_warc_pages())
    html4 = results["http://www.example.com/html4.html"]
    assert html4.meta.base_url == "http://www.example.com/"
    assert html4.meta.title == "Test XHTML Link Extraction"
    assert (html4.fragment, html4.non_web, html4.invalid) == (1, 0, 0)
    video = results["http://www.example.com/link-extraction-test-html5-video.html"]
    assert video.meta.canonical_url == "http://www.example.com/video.html"  # from http:///www...
    assert results["http://www.example.com/data-href.examples.html"].fragment == 2
    entities = results["http://www.example.com/link-extraction-test-unescaped-entities.xhtml"]
    assert entities.meta.title == 'Title – "Title" written using character entities'
    assert [link.nofollow for link in entities.links] == [False, True]
    assert results["http://www.example.com/poor_html5.html"].meta.title == "Testing poor HTML5"
