"""Hand-made cases for :func:`backlinks.extract.extract`: every field of a link, the counts of
hrefs not stored, page metadata, sections, encodings and text."""

from __future__ import annotations

from pathlib import Path

import pytest

from backlinks.extract import ANCHOR_LIMIT, TITLE_LIMIT, extract
from backlinks.records import Extraction, Link

FIXTURES = Path(__file__).parent / "fixtures" / "html"
PAGE = "https://www.example.com/dir/page.html"


def run(
    body: str, url: str = PAGE, *, keep_text: bool = True, text_limit: int = 65536
) -> Extraction:
    return extract(body.encode("utf-8"), url, keep_text=keep_text, text_limit=text_limit)


def one(body: str, url: str = PAGE) -> Link:
    links = run(body, url).links
    assert len(links) == 1, links
    return links[0]


# --- targets, counts, positions ----------------------------------------------------------


def test_relative_hrefs_resolve_against_the_page() -> None:
    result = run('<a href="a.html">1</a><a href="/b">2</a><a href="../c?x=1">3</a>')
    assert [link.dst_url for link in result.links] == [
        "https://www.example.com/dir/a.html",
        "https://www.example.com/b",
        "https://www.example.com/c?x=1",
    ]


def test_targets_are_canonical() -> None:
    link = one('<a href="  HTTPS://WWW.Example.COM:443/%7Euser/?utm_source=x&b=2#frag ">x</a>')
    assert link.dst_url == "https://www.example.com/~user/?b=2"


def test_non_web_fragment_and_invalid_hrefs_are_counted_not_stored() -> None:
    result = run(
        '<a href="javascript:void(0)">j</a><a href="mailto:a@b.c">m</a><a href="tel:+1">t</a>'
        '<a href="data:text/html,hi">d</a><a href="intent://scan/#Intent;end">i</a>'
        '<a href="#top">f</a><a href="#">f</a><a href="">f</a><a href>f</a><a href="  #x ">f</a>'
        '<a href="http://[::1">bad</a><a href="https://exa mple.com/">bad</a>'
        '<a href="/kept">kept</a><a name="anchor-only">no href</a>'
    )
    assert (result.non_web, result.fragment, result.invalid) == (5, 5, 2)
    assert [link.dst_url for link in result.links] == ["https://www.example.com/kept"]


def test_positions_count_stored_links_in_document_order() -> None:
    result = run(
        '<a href="#">skip</a><a href="/0">0</a><a href="mailto:x@y.z">skip</a>'
        '<map><area href="/1" alt="one"></map><p><a href="/2">2</a></p>'
    )
    assert [(link.dst_url[-2:], link.position) for link in result.links] == [
        ("/0", 0),
        ("/1", 1),
        ("/2", 2),
    ]


def test_invalid_page_url_makes_relative_hrefs_invalid() -> None:
    result = run('<a href="/rel">r</a><a href="https://abs.example/">a</a>', url="not a url")
    assert result.invalid == 1
    assert [link.dst_url for link in result.links] == ["https://abs.example/"]
    assert run('<a href="x">r</a>', url="ftp://files.example/").invalid == 1


# --- rel flags ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "flags"),
    [
        ("nofollow", (True, False, False)),
        ("noopener NoFollow", (True, False, False)),
        ("UGC", (False, True, False)),
        ("sponsored nofollow", (True, False, True)),
        ("external\tugc\nsponsored", (False, True, True)),
        ("nofollowed no-follow", (False, False, False)),  # tokens, not substrings
        ("", (False, False, False)),
    ],
)
def test_rel_tokens(rel: str, flags: tuple[bool, bool, bool]) -> None:
    link = one(f'<a href="/x" rel="{rel}">x</a>')
    assert (link.nofollow, link.ugc, link.sponsored) == flags


def test_page_nofollow_stays_on_the_page_not_the_links() -> None:
    result = run('<meta name="robots" content="nofollow"><a href="/x">x</a>')
    assert result.meta.robots_nofollow
    assert not result.links[0].nofollow


# --- anchors -----------------------------------------------------------------------------


def test_anchor_whitespace_is_normalised() -> None:
    link = one('<a href="/x">\n  Read&nbsp;&nbsp;the\t<b>full</b>\u00a0story  </a>')
    assert link.anchor == "Read the full story"


def test_image_anchor_takes_alt() -> None:
    link = one('<a href="/x"><img src="a.png" alt=" Logo  text "></a>')
    assert (link.anchor, link.is_image) == ("Logo text", True)


def test_image_alt_is_appended_to_text() -> None:
    link = one('<a href="/x">Home <span><img src="a.png" alt="logo"></span></a>')
    assert (link.anchor, link.is_image) == ("Home logo", True)


def test_image_without_alt_is_still_an_image_link() -> None:
    link = one('<a href="/x"><img src="a.png"></a>')
    assert (link.anchor, link.is_image) == ("", True)


def test_image_after_a_link_is_not_its_image() -> None:
    result = run('<a href="/x">x</a><img src="a.png" alt="outside">')
    assert (result.links[0].anchor, result.links[0].is_image) == ("x", False)


def test_image_in_a_dropped_link_does_not_touch_the_previous_one() -> None:
    result = run('<a href="/x">x</a><a href="#"><img alt="top"></a>')
    assert (result.links[0].anchor, result.links[0].is_image) == ("x", False)


def test_area_uses_alt_and_counts_as_image() -> None:
    link = one('<map name="m"><area shape="rect" href="/region" alt="The region"></map>')
    assert (link.dst_url, link.anchor, link.is_image) == (
        "https://www.example.com/region",
        "The region",
        True,
    )


def test_anchor_is_capped() -> None:
    link = one(f'<a href="/x">{"word " * 1000}</a>')
    assert len(link.anchor) == ANCHOR_LIMIT
    assert link.anchor.startswith("word word")


# --- <base href> ---------------------------------------------------------------------------


def test_base_href_sets_the_base() -> None:
    result = run('<head><base href="/sub/dir/"></head><a href="x.html">x</a>')
    assert result.meta.base_url == "https://www.example.com/sub/dir/"
    assert result.links[0].dst_url == "https://www.example.com/sub/dir/x.html"


def test_only_the_first_base_counts() -> None:
    result = run('<base href="https://one.example/"><base href="https://two.example/"><a href="x">')
    assert result.links[0].dst_url == "https://one.example/x"


def test_base_after_links_still_applies_to_the_whole_page() -> None:
    result = run('<a href="x">x</a><a href="#f">f</a><base href="https://cdn.example/b/">')
    assert result.meta.base_url == "https://cdn.example/b/"
    assert [link.dst_url for link in result.links] == ["https://cdn.example/b/x"]
    assert result.fragment == 1


def test_unusable_base_is_ignored() -> None:
    result = run('<base href="javascript:alert(1)"><a href="x">x</a>')
    assert result.meta.base_url is None
    assert result.links[0].dst_url == "https://www.example.com/dir/x"


# --- sections ------------------------------------------------------------------------------


def test_sections_fixture_golden() -> None:
    """A WordPress-like page: tags, ARIA roles, class/id words, nesting, article headers."""
    html = (FIXTURES / "sections.html").read_bytes()
    result = extract(html, "https://www.example.com/blog/post")
    got = [(link.dst_url, link.anchor, link.section) for link in result.links]
    assert got == [
        ("https://www.example.com/", "Example Home", "header"),
        ("https://www.example.com/about", "About", "nav"),
        ("https://www.example.com/blog", "Blog", "nav"),
        ("https://www.example.com/blog", "Blog", "nav"),  # div.breadcrumbs
        ("https://www.example.com/blog/2024", "2024", "nav"),
        ("https://www.example.com/blog/post", "A post", "content"),  # article's own header
        ("https://other.example/ref", "a reference", "content"),
        ("https://partner.example/", "a partner", "content"),
        ("https://www.example.com/tag/x", "x", "content"),  # article's own footer
        ("https://commenter.example/", "Commenter", "comment"),
        ("https://www.example.com/popular", "Popular", "aside"),
        ("https://www.example.com/related", "Related", "aside"),  # role=complementary
        ("https://www.example.com/page/2", "Next page", "nav"),  # role=navigation
        ("https://www.example.com/privacy", "Privacy", "nav"),  # nav inside footer
        ("https://wordpress.org/", "Proudly powered", "footer"),
        ("https://www.example.com/imprint", "Imprint", "footer"),  # class="siteFooter"
    ]
    assert [link.position for link in result.links] == list(range(16))
    flags = {link.dst_url: (link.nofollow, link.ugc, link.sponsored) for link in result.links}
    assert flags["https://other.example/ref"] == (True, False, False)
    assert flags["https://partner.example/"] == (False, False, True)
    assert flags["https://commenter.example/"] == (True, True, False)
    assert (result.non_web, result.fragment, result.invalid) == (1, 1, 0)
    assert result.meta.title == "Sections test page"
    assert result.meta.lang == "en-GB"
    assert result.meta.canonical_url == "https://www.example.com/blog/post?id=7"
    assert not result.meta.robots_noindex
    assert "/from-script" not in " ".join(link.dst_url for link in result.links)


@pytest.mark.parametrize(
    ("html", "section"),
    [
        ("<nav><a href=/x>x</a></nav>", "nav"),
        ("<header><a href=/x>x</a></header>", "header"),
        ("<footer><a href=/x>x</a></footer>", "footer"),
        ("<aside><a href=/x>x</a></aside>", "aside"),
        ('<div role="banner"><a href=/x>x</a></div>', "header"),
        ('<div role="contentinfo"><a href=/x>x</a></div>', "footer"),
        ('<ul role="Navigation menubar"><li><a href=/x>x</a></ul>', "nav"),
        ('<div id="nav"><a href=/x>x</a></div>', "nav"),
        ('<div class="top-menu"><a href=/x>x</a></div>', "nav"),
        ('<div class="sidebar-left"><a href=/x>x</a></div>', "aside"),
        ('<div class="footer-widgets"><a href=/x>x</a></div>', "footer"),
        ('<div id="disqus_thread"><a href=/x>x</a></div>', "comment"),
        ('<table><tr><td class="navCell"><a href=/x>x</a></td></tr></table>', "nav"),
        ('<div class="has-sidebar no-comments"><a href=/x>x</a></div>', "content"),
        ('<div class="navigator headline"><a href=/x>x</a></div>', "content"),  # not words
        ('<span class="nav"><a href=/x>x</a></span>', "content"),  # inline: not read
        ('<body class="sidebar"><a href=/x>x</a></body>', "content"),
        ("<article><header><a href=/x>x</a></header></article>", "content"),
        ("<nav><article><footer><a href=/x>x</a></footer></article></nav>", "nav"),
        ("<footer><div class=comments><a href=/x>x</a></div></footer>", "comment"),
        ("<div class=comments><footer><a href=/x>x</a></footer></div>", "footer"),
        ("<p><a href=/x>x</a></p>", "content"),
    ],
)
def test_section_of_a_link(html: str, section: str) -> None:
    assert one(html).section == section


def test_sections_close_where_their_element_ends() -> None:
    result = run(
        "<nav><a href=/1>1</a><div class=footer><a href=/2>2</a></div><a href=/3>3</a></nav>"
        "<a href=/4>4</a><div id=sidebar><a href=#>skip</a><a href=/5>5</a></div><a href=/6>6</a>"
    )
    assert [link.section for link in result.links] == [
        "nav",
        "footer",
        "nav",
        "content",
        "aside",
        "content",
    ]


# --- page metadata ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "noindex", "nofollow"),
    [
        ("noindex", True, False),
        ("NOINDEX, NOFOLLOW", True, True),
        ("none", True, True),
        ("index,follow", False, False),
        ("noarchive", False, False),
    ],
)
def test_meta_robots(content: str, noindex: bool, nofollow: bool) -> None:
    meta = run(f'<meta name="Robots" content="{content}">').meta
    assert (meta.robots_noindex, meta.robots_nofollow) == (noindex, nofollow)


def test_googlebot_meta_counts_and_others_do_not() -> None:
    assert run('<meta name="googlebot" content="noindex">').meta.robots_noindex
    assert not run('<meta name="description" content="noindex">').meta.robots_noindex


def test_canonical_is_resolved_against_base_and_canonicalised() -> None:
    meta = run(
        '<link rel="Canonical" href="../Page?gclid=1#x"><base href="https://m.example/a/b/">'
        '<link rel="canonical" href="/second">'
    ).meta
    assert meta.canonical_url == "https://m.example/a/Page"


def test_title_and_lang() -> None:
    meta = run(f'<html lang=" de-AT "><title>\n Ein   Titel \n</title>{"<p>x"}').meta
    assert (meta.title, meta.lang) == ("Ein Titel", "de-AT")
    long_title = run(f"<title>{'t' * 5000}</title>").meta.title
    assert len(long_title) == TITLE_LIMIT


def test_page_without_anything() -> None:
    result = run("")
    assert result.links == []
    assert result.meta.title == ""
    assert result.text == ""


# --- encodings ---------------------------------------------------------------------------


def test_utf16_with_bom() -> None:
    html = '\ufeff<title>Grüße</title><a href="/straße">Straße</a>'.encode("utf-16-le")
    result = extract(html, PAGE)
    assert result.meta.encoding == "utf-16le"
    assert result.meta.title == "Grüße"
    assert result.links[0].anchor == "Straße"
    assert result.links[0].dst_url == "https://www.example.com/stra%C3%9Fe"


def test_utf8_bom_is_not_content() -> None:
    result = extract(b"\xef\xbb\xbf<title>T</title><a href=/x>x</a>", PAGE)
    assert (result.meta.title, result.meta.encoding) == ("T", "utf-8")
    assert result.text == "x"


def test_meta_charset_windows_1251_fixture() -> None:
    result = extract((FIXTURES / "cp1251.html").read_bytes(), "https://example.ru/")
    assert result.meta.encoding == "windows-1251"
    assert result.meta.title == "Новости дня"
    assert result.meta.lang == "ru"
    assert [(link.dst_url, link.anchor) for link in result.links] == [
        ("https://example.ru/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/", "Читать далее"),
        ("https://xn--e1afmkfd.xn--p1ai/", "Пример"),
    ]
    assert result.text == "Главная страница. Читать далее Пример"


def test_http_header_latin1_beats_meta() -> None:
    html = b'<meta charset="utf-8"><a href="/caf\xe9">caf\xe9 \x80</a>'
    result = extract(html, PAGE, http_content_type="text/html; charset=ISO-8859-1")
    assert result.meta.encoding == "windows-1252"
    assert result.links[0].anchor == "café €"
    assert result.links[0].dst_url == "https://www.example.com/caf%C3%A9"


def test_broken_utf8_is_replaced_not_raised() -> None:
    result = extract(b"<title>bad \xff\xfe bytes</title><a href='/x\xc3'>a\x80b</a>", PAGE)
    assert result.meta.title == "bad \ufffd\ufffd bytes"
    assert result.links[0].anchor == "a\ufffdb"
    assert result.links[0].dst_url == "https://www.example.com/x%EF%BF%BD"


# --- visible text ------------------------------------------------------------------------------


def test_text_skips_invisible_elements() -> None:
    result = run(
        "<head><title>Title</title><style>p{}</style></head><body><p>One</p><script>var x;</script>"
        "<noscript>Enable JS</noscript><template><p>tpl</p></template><div>Two&nbsp; three</div>"
    )
    assert result.text == "One Two three"


def test_text_can_be_capped_or_skipped() -> None:
    body = "<p>" + "lorem ipsum " * 100 + "</p>"
    assert run(body, text_limit=11).text == "lorem ipsum"
    assert run(body, keep_text=False).text == ""
    assert run(body, text_limit=0).text == ""
