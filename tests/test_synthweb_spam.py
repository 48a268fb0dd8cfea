"""Planted spam of the synthetic web: each kind is there, its ground truth
(:meth:`SynthWeb.planted_spam`) is what the HTML really links, it survives the real ingest
into the ``links`` table, and each kind looks as promised only through its links.

Expectations are read from the rendered HTML and the catalogue, not copied from a run.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

import backlinks
from backlinks.demo import SynthPage, SynthWeb, evolve, generate_web, write_warc
from backlinks.demo.catalogue import PBN_SITES, SPONSOR_LINES, TOPICS
from backlinks.demo.model import SPAM_KINDS, SPAM_SOURCES
from backlinks.demo.synthweb import MIN_SITES
from backlinks.urls import canonicalize, host_of

#: (source url, canonical target, anchor text or img alt, rel, section)
Edge = tuple[str, str, str, str, str]
#: Exact-match commercial anchors of the money site.
COMMERCIAL = frozenset(TOPICS[("spam", "en")].keywords)


@pytest.fixture(scope="module")
def web() -> SynthWeb:
    return generate_web(7)


@pytest.fixture(scope="module")
def later(web: SynthWeb) -> SynthWeb:
    return evolve(web)


def _tree(page: SynthPage) -> LexborHTMLParser:
    charset = page.content_type.partition("charset=")[2]
    if not charset:  # only the <meta> names it
        head = page.html[:1024].decode("ascii", "replace")
        charset = head.partition('charset="')[2].partition('"')[0] or "utf-8"
    return LexborHTMLParser(page.html.decode(charset))


def _section(node: LexborNode) -> str:
    parent = node.parent
    while parent is not None:
        if parent.tag in ("header", "nav", "aside", "footer"):
            return str(parent.tag)
        if parent.tag == "section" and "comments" in (parent.attributes.get("class") or ""):
            return "comment"
        parent = parent.parent
    return "content"


def _edges(page: SynthPage) -> list[Edge]:
    """The page's links as a browser resolves them (against its ``<base>`` if any)."""
    tree = _tree(page)
    base_node = tree.css_first("base[href]")
    base = (base_node.attributes["href"] if base_node else None) or page.url
    out = []
    for node in tree.css("a[href]"):
        target = canonicalize(node.attributes["href"] or "", base)
        if target is not None:
            text = node.text(strip=True) or (
                (node.css_first("img") or node).attributes.get("alt") or ""
            )
            rel = node.attributes.get("rel") or ""
            out.append((page.url, target, text, rel, _section(node)))
    return out


def _cross(web: SynthWeb) -> list[Edge]:
    """Every cross-site link of every rendered page."""
    return [
        e for p in web.pages if p.status == 200 for e in _edges(p) if host_of(e[0]) != host_of(e[1])
    ]


def _roles(web: SynthWeb) -> dict[str, str]:
    return {s.host: s.role for s in web.sites}


def _money(web: SynthWeb) -> str:
    return next(s.host for s in web.sites if s.role == "money")


def test_every_kind_is_planted(web: SynthWeb, later: SynthWeb) -> None:
    small = generate_web(3, sites=MIN_SITES)
    for snapshot in (web, later, small):
        spam = snapshot.planted_spam()
        assert {k.kind for k in spam} == set(SPAM_KINDS)
        assert len(set(spam)) == len(spam)
        assert all(host_of(k.src_url) != host_of(k.dst_url) for k in spam)
        rendered = {p.url for p in snapshot.pages if p.status == 200}
        assert {k.src_url for k in spam} <= rendered
    assert generate_web(7).planted_spam() == web.planted_spam()


def test_pbn_sites_are_spam_sites_of_their_own_role(web: SynthWeb) -> None:
    pbn = [s for s in web.sites if s.role == "pbn"]
    assert 3 <= len(pbn) == len(PBN_SITES) <= 4
    assert all(s.is_spam for s in pbn)
    topics = {topic for topic, _ in TOPICS} - {"spam"}
    assert all(s.topic in topics for s in pbn)
    assert len({s.topic for s in pbn}) > 1  # mixed topics


def test_planted_links_are_in_the_html(web: SynthWeb, later: SynthWeb) -> None:
    for snapshot in (web, later):
        pairs = {(src, dst) for src, dst, *_ in _cross(snapshot)}
        missing = {(k.src_url, k.dst_url) for k in snapshot.planted_spam()} - pairs
        assert not missing


def test_spam_sites_plant_every_link_they_carry(web: SynthWeb) -> None:
    """Each cross-site link of a farm, money or PBN page is planted, of its role's kind;
    legitimate pages carry only paid and comment spam."""
    roles = _roles(web)
    planted: dict[tuple[str, str], set[str]] = defaultdict(set)
    for k in web.planted_spam():
        planted[(k.src_url, k.dst_url)].add(k.kind)
        if roles[host_of(k.src_url)] not in SPAM_SOURCES:
            assert k.kind in ("paid", "comment"), k
    for src, dst, *_ in _cross(web):
        kind = SPAM_SOURCES.get(roles[host_of(src)])
        if kind:
            assert planted[(src, dst)] == {kind}, (src, dst)


def test_planted_spam_reaches_the_links_table(
    web: SynthWeb, later: SynthWeb, tmp_path: Path
) -> None:
    for i, snapshot in enumerate((web, later)):
        warc, db = tmp_path / f"snap-{i}.warc.gz", tmp_path / f"snap-{i}.duckdb"
        write_warc(snapshot.pages, warc)
        with backlinks.open(db) as index:
            assert index.ingest(warc).links > 0
        con = duckdb.connect(str(db), read_only=True)
        try:
            stored = set(con.execute("SELECT src_url, dst_url FROM links").fetchall())
        finally:
            con.close()
        missing = {(k.src_url, k.dst_url) for k in snapshot.planted_spam()} - stored
        assert not missing


def test_pbn_blogs_share_a_theme_and_never_link_each_other(web: SynthWeb) -> None:
    roles, money = _roles(web), _money(web)
    pbn = {host for host, role in roles.items() if role == "pbn"}
    money_links: dict[str, int] = defaultdict(int)
    theme: dict[str, set[str]] = defaultdict(set)  # sidebar and footer targets
    for src, dst, text, rel, section in _cross(web):
        if host_of(src) in pbn:
            assert host_of(dst) not in pbn, (src, dst)
            if host_of(dst) == money:
                assert (section, rel) == ("content", "")
                assert text in COMMERCIAL
                money_links[host_of(src)] += 1
            elif section in ("aside", "footer"):
                theme[host_of(src)].add(dst)
        elif roles.get(host_of(src)) not in SPAM_SOURCES:
            assert host_of(dst) not in pbn, (src, dst)  # the legitimate web ignores them
    assert set(money_links) == pbn
    assert all(1 <= n <= 2 for n in money_links.values())
    shared = set.intersection(*theme.values())
    assert {host_of(u) for u in shared} >= {web.featured_host}  # an authority of the web
    assert len(shared) >= 3  # authorities and the theme credit
    assert all(len(shared) * 2 >= len(targets) for targets in theme.values())  # near-identical


def test_paid_posts_say_so_but_leave_money_links_followed(web: SynthWeb) -> None:
    roles, money = _roles(web), _money(web)
    brand = next(s.name for s in web.sites if s.role == "money")
    lines = [line.format(brand=brand) for line in SPONSOR_LINES]
    paid: dict[str, set[str]] = defaultdict(set)
    for k in web.planted_spam():
        if k.kind == "paid":
            paid[k.src_url].add(k.dst_url)
    assert paid
    assert 1 <= len({host_of(src) for src in paid}) <= 2
    disclosed = {
        p.url for p in web.pages if p.status == 200 and any(x in _tree(p).text() for x in lines)
    }
    assert disclosed == set(paid)
    for src, targets in paid.items():
        assert roles[host_of(src)] == "normal"
        page = web.page(src)
        assert page is not None
        shop = [e for e in _edges(page) if host_of(e[1]) == money]
        assert {dst for _, dst, *_ in shop} == targets
        assert all(rel == "" and text in COMMERCIAL for *_, text, rel, _ in shop)


def test_comment_spam_is_nofollowed_except_on_one_blog(web: SynthWeb) -> None:
    roles, money = _roles(web), _money(web)
    planted = {(k.src_url, k.dst_url) for k in web.planted_spam() if k.kind == "comment"}
    assert all(roles[host_of(src)] not in SPAM_SOURCES for src, _ in planted)
    followed: set[str] = set()
    nofollowed: set[str] = set()
    for src, dst, text, rel, section in _cross(web):
        if (src, dst) in planted and section == "comment":
            assert host_of(dst) == money
            tokens = rel.lower().split()
            (nofollowed if {"nofollow", "ugc"} & set(tokens) else followed).add(host_of(src))
            assert text in COMMERCIAL or dst == f"{urlsplit(dst).scheme}://{money}/"
    assert len(followed) == 1
    assert nofollowed
    assert not followed & nofollowed
    (blog,) = followed  # its comment links are all followed, commenters' sites included
    rels = {rel for src, _, _, rel, section in _cross(web) if section == "comment"}
    assert "" in rels
    assert all(
        rel == ""
        for src, _, _, rel, section in _cross(web)
        if section == "comment" and host_of(src) == blog
    )


def test_evolve_bursts_spam_links_to_the_money_site(web: SynthWeb, later: SynthWeb) -> None:
    roles, money = _roles(web), _money(web)

    def to_money(snapshot: SynthWeb) -> set[tuple[str, str]]:
        spam = snapshot.planted_spam()
        return {(k.src_url, k.dst_url) for k in spam if host_of(k.dst_url) == money}

    before, after = to_money(web), to_money(later)
    assert len(after) > len(before)
    new = after - before
    first = {p.url for p in web.pages}
    assert {roles[host_of(src)] for src, _ in new if src not in first} >= {"farm", "pbn"}
    assert set(web.planted_spam()) <= set(later.planted_spam())  # planted spam stays


def test_html_carries_no_spam_label(web: SynthWeb) -> None:
    for page in web.pages:
        text = page.html.lower()
        assert not any(word in text for word in (b"spam", b"pbn", b"link farm", b"blog network"))
