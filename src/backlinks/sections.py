"""Where on a page a link sits: the section a container element opens (nav, header,
footer, aside, comment) by its tag, its ARIA role, or the words of its class and id, and the
labelling of each container's links during the extraction walk of :mod:`backlinks.extract`.

Sections follow WAI-ARIA: a ``<header>``/``<footer>`` inside an ``<article>`` or ``<main>``
is that article's own header or footer (title, byline, tags), not the page's, so it adds no
section of its own.
"""

from __future__ import annotations

import re
from typing import Final

from selectolax.lexbor import LexborNode

__all__ = ["HINT_TAGS", "LINKS", "container_kind", "label"]

#: The elements that are links.
LINKS: Final = "a[href], area[href]"
#: Most ancestors looked at to decide whether a header/footer sits inside an article.
_SCOPE_DEPTH: Final = 48
# Words in class/id values that name a section, strongest first: "footer-widgets" is a
# footer, "sidebar-header" an aside, "footer-menu" navigation.
_HINTS: Final = tuple(
    (kind, frozenset(words.split()))
    for kind, words in (
        ("comment", "comment comments reply replies disqus"),
        ("nav", "nav navbar navigation menu menubar submenu breadcrumb breadcrumbs"),
        ("aside", "sidebar aside"),
        ("footer", "footer colophon"),
        ("header", "header masthead topbar"),
        ("widget", "widget widgets"),
    )
)
_HINT_RANK: Final = {word: rank for rank, (_, words) in enumerate(_HINTS) for word in words}
# Quick reject: a class/id value without any of these cannot name a section.
# (searched in the lower-cased value: an IGNORECASE alternation is four times slower)
_HINT_RE: Final = re.compile(
    "nav|menu|bread|side|widget|foot|colophon|head|mast|topbar|comment|repl|disqus"
)
# Class names that describe a state, not a region ("has-sidebar", "no-comments").
_STATE_PREFIXES: Final = ("has-", "no-", "with-", "without-", "is-", "show-", "hide-")
_WORD_RE: Final = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_TAG_SECTIONS: Final = {"nav": "nav", "header": "header", "footer": "footer", "aside": "aside"}
_ROLE_SECTIONS: Final = {
    "navigation": "nav",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "aside",
}
_SCOPES: Final = frozenset({"article", "main"})
# Kinds that add no section inside an article or main: its own header and footer, and
# "widget" (a word CMS layouts also use for their content columns).
_SCOPED: Final = frozenset({"header", "footer", "widget"})
_SECTION_OF: Final = {"widget": "aside"}
# Block elements whose class/id words are read. Hints on <li>, <a> and <span> (one per menu
# item) would multiply the containers for little gain: their list or block carries the hint.
HINT_TAGS: Final = ("div", "ul", "ol", "section", "table", "td")

_HINT_CACHE: dict[str, str | None] = {}
_HINT_CACHE_LIMIT: Final = 1 << 14


def _hint_section(value: str) -> str | None:
    """Section named by the words of a class or id value (``"main-nav"`` -> ``"nav"``,
    ``"siteFooter"`` -> ``"footer"``). Memoised: a site repeats its class names on every
    page, and most values name no section, which the first regex test settles."""
    kind = _HINT_CACHE.get(value, "")
    if kind != "":
        return kind
    kind = None
    if _HINT_RE.search(value.lower()):
        best = len(_HINTS)
        for name in value.split():
            if name.lower().startswith(_STATE_PREFIXES):
                continue
            # BEM: in "header__nav--open" the block "header" names the parent; the
            # element "nav" names this one; a modifier ("--open") names a state.
            element = name.rsplit("__", 1)[-1].split("--", 1)[0]
            for word in _WORD_RE.findall(element):
                best = min(best, _HINT_RANK.get(word.lower(), best))
        if best < len(_HINTS):
            kind = _HINTS[best][0]
    if len(_HINT_CACHE) >= _HINT_CACHE_LIMIT:
        _HINT_CACHE.clear()
    _HINT_CACHE[value] = kind
    return kind


def container_kind(node: LexborNode, tag: str) -> str | None:
    """Section an element opens, by tag, then ARIA role, then class/id words."""
    kind = _TAG_SECTIONS.get(tag)
    if kind:
        return kind
    attrs = node.attributes  # one dict: cheaper than three lookups through node.attrs
    role = attrs.get("role")
    if role:
        for token in role.lower().split():
            kind = _ROLE_SECTIONS.get(token)
            if kind:
                return kind
    if tag in HINT_TAGS:
        value = attrs.get("class")
        if value and (kind := _hint_section(value)):
            return kind
        value = attrs.get("id")
        if value:
            return _hint_section(value)
    return None


def _in_article(node: LexborNode) -> bool:
    """True when an ancestor (within :data:`_SCOPE_DEPTH`) is an ``<article>``/``<main>``."""
    parent = node.parent
    for _ in range(_SCOPE_DEPTH):
        if parent is None:
            return False
        if parent.tag in _SCOPES:
            return True
        parent = parent.parent
    return False


def label(
    first: LexborNode, pending: list[tuple[LexborNode, str]], sections: dict[int, str]
) -> None:
    """Label the links of the containers met since the previous link, outermost first.

    The scan only returns containers that hold a link, so each of them holds ``first``,
    the next link in document order. Whatever label ``first`` carries, all the container's
    links carry (they share every enclosing container processed so far), so a container
    whose kind ``first`` already has is skipped without asking lexbor for its links.
    """
    first_id = first.mem_id
    for node, kind in pending:
        section = _SECTION_OF.get(kind, kind)
        if sections.get(first_id) == section:
            continue
        if kind in _SCOPED and _in_article(node):
            continue
        inside = node.css(LINKS)
        sections.update(dict.fromkeys([link.mem_id for link in inside], section))
    pending.clear()
