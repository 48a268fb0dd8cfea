"""Link extraction: HTML bytes and the page URL in, an :class:`~backlinks.records.Extraction` out.

The page is decoded as a browser would (:mod:`backlinks.encoding`) and parsed by lexbor, an
HTML5-conformant C parser (through selectolax), so the links are those of the DOM a browser
builds: a ``<p>`` closed by a ``<ul>`` re-opens an unclosed ``<a>`` in each list item, for
instance, and every clone is a link. Each ``<a href>`` / ``<area href>`` becomes a
:class:`~backlinks.records.Link` with a canonical target, anchor text, rel flags, the page
section it sits in and its ordinal; hrefs that are not stored are counted instead.

Speed matters (ingest runs at hundreds of MB/s), so lexbor walks the tree, not Python: one
CSS query returns, in document order, the links, images inside links, head metadata and the
candidate section containers that hold a link (sectioning tags, ARIA roles, blocks with a
class or id). The containers met since the previous link all hold the next link, so when
that link comes they are labelled, outermost first (the nearest wins): a container whose
kind the link already has is skipped, any other asks lexbor once for its links. A link then
reads its section from a dict; there is no per-link ancestor walk. What opens a section,
and how containers are labelled, is :mod:`backlinks.sections`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from backlinks.encoding import codec_of, detect_encoding
from backlinks.records import Extraction, Link, PageMeta
from backlinks.sections import HINT_TAGS, LINKS, container_kind, label
from backlinks.urls import canonicalize, is_non_web

__all__ = ["ANCHOR_LIMIT", "TITLE_LIMIT", "extract"]

#: Longest anchor text kept, in characters.
ANCHOR_LIMIT: Final = 512
#: Longest title kept, in characters.
TITLE_LIMIT: Final = 1024
_LANG_LIMIT: Final = 64
#: Hrefs longer than this are resolved without the memo cache (they would bloat it).
_CACHED_HREF_LIMIT: Final = 512
#: Section containers whose links are looked up, per page; a bound for pathological pages
#: (thousands of nested classified elements), where later containers are ignored.
_CONTAINER_LIMIT: Final = 4096

_METADATA_TAGS: Final = frozenset({"title", "base", "meta", "link"})
_HAS_LINK: Final = ":has(a[href], area[href])"
_SCAN: Final = ", ".join(
    [LINKS, "a[href] img", "title, base[href], meta[name][content], link[rel][href]"]
    + [f"{tag}{_HAS_LINK}" for tag in ("nav", "header", "footer", "aside", "[role]:not(a)")]
    + [f"{tag}[{attr}]{_HAS_LINK}" for tag in HINT_TAGS for attr in ("class", "id")]
)
_INVISIBLE: Final = ["script", "style", "noscript", "template", "iframe", "noembed", "noframes"]
# Encodings in which ASCII bytes do not always mean ASCII characters (so a pure-ASCII
# document must still be decoded): UTF-16 and the 7-bit stateful ones.
_NOT_ASCII_SAFE: Final = frozenset(
    {"utf-16le", "utf-16be", "iso-2022-jp", "iso-2022-kr", "hz-gb-2312"}
)
_SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_META_SPLIT_RE: Final = re.compile(r"[\s,]+")
_WS: Final = " \t\n\r\f"  # ASCII whitespace, which URL parsing strips from an href


def _norm(text: str, limit: int) -> str:
    """Collapse whitespace runs (NBSP included) to one space, strip, cap at ``limit``.
    Only a prefix is normalised when that already yields ``limit`` characters."""
    if len(text) > 4 * limit:
        head = " ".join(text[: 4 * limit].split())
        if len(head) >= limit:
            return head[:limit]
    return " ".join(text.split())[:limit]


@lru_cache(maxsize=1 << 15)
def _canonical_cached(href: str, base: str | None) -> str | None:
    return canonicalize(href, base)


def _canonical(href: str, base: str | None) -> str | None:
    """Memoised :func:`backlinks.urls.canonicalize`: a page repeats a quarter of its hrefs
    and a site its navigation on every page. Absolute http(s) hrefs resolve the same
    against any base, so they are cached without one."""
    if len(href) > _CACHED_HREF_LIMIT:
        return canonicalize(href, base)
    if href[:8].lower().startswith(("http://", "https://")):
        return _canonical_cached(href, None)
    return _canonical_cached(href, base)


def _non_web(href: str) -> bool:
    """True for hrefs naming a scheme other than http(s): the listed ones
    (:func:`backlinks.urls.is_non_web`) and any other well-formed one (``intent:``...)."""
    if is_non_web(href):
        return True
    match = _SCHEME_RE.match(href)
    return match is not None and match.group(0).lower() not in ("http:", "https:")


def _parser(html: bytes, http_content_type: str | None, meta: PageMeta) -> LexborHTMLParser:
    """Decode as a browser would; UTF-8 (and pure ASCII) bytes go to lexbor undecoded.

    ``scripting=True`` parses ``<noscript>`` as a browser running scripts does (as text), so
    a tracking ``<img>`` in a head ``<noscript>`` does not push the rest of the head (the
    canonical link, meta robots) into the body.
    """
    encoding, bom = detect_encoding(html, http_content_type)
    meta.encoding = encoding
    data = html[bom:] if bom else html
    if encoding == "utf-8" or (encoding not in _NOT_ASCII_SAFE and data.isascii()):
        return LexborHTMLParser(data, scripting=True)
    try:
        text = data.decode(codec_of(encoding), "replace")
    except LookupError:  # a codec missing from this Python build
        meta.encoding = "utf-8"
        return LexborHTMLParser(data, scripting=True)
    return LexborHTMLParser(text, scripting=True)


def _walk(nodes: list[LexborNode], base: str | None, result: Extraction) -> str | None:
    """Fill ``result`` from the scan's nodes (document order), resolving against ``base``.

    Returns the resolved ``<base href>`` when it turns up only after the first link (legal,
    rare): the caller then walks again with that base, which applies to the whole page.
    """
    meta = result.meta
    links = result.links
    sections: dict[int, str] = {}
    pending: list[tuple[LexborNode, str]] = []
    containers = 0
    canonical_href: str | None = None
    base_seen = meta.base_url is not None
    last_stored = False
    resolved_here: dict[str, str | None] = {}  # hrefs repeat within a page
    for node in nodes:
        tag = node.tag or ""
        if tag == "a" or tag == "area":  # noqa: PLR1714 (hot loop: two == beat a tuple)
            last_stored = False
            if pending:  # containers met since the last link all hold this one
                label(node, pending, sections)
            attrs = node.attributes  # one dict beats two lookups through node.attrs
            href = (attrs.get("href") or "").strip(_WS)
            if not href or href[0] == "#":
                result.fragment += 1
                continue
            dst = resolved_here.get(href, "")
            if dst == "":
                dst = resolved_here[href] = _canonical(href, base)
            if dst is None:
                if _non_web(href):
                    result.non_web += 1
                else:
                    result.invalid += 1
                continue
            rel = attrs.get("rel")
            nofollow = ugc = sponsored = False
            if rel:
                tokens = rel.lower().split()
                nofollow = "nofollow" in tokens
                ugc = "ugc" in tokens
                sponsored = "sponsored" in tokens
            if tag == "a":
                text = node.text_lexbor()
                anchor = (
                    _norm(text, ANCHOR_LIMIT)
                    if len(text) > ANCHOR_LIMIT
                    else " ".join(text.split())
                )
                is_image = False
            else:  # an image-map area: its alt text is its anchor
                anchor = _norm(attrs.get("alt") or "", ANCHOR_LIMIT)
                is_image = True
            section = sections.get(node.mem_id, "content") if sections else "content"
            links.append(Link(dst, anchor, nofollow, ugc, sponsored, is_image, section, len(links)))
            last_stored = True
        elif tag == "img":
            if last_stored:  # inside the link just stored
                link = links[-1]
                alt = node.attributes.get("alt") or ""
                anchor = _norm(f"{link.anchor} {alt}", ANCHOR_LIMIT) if alt else link.anchor
                links[-1] = link._replace(anchor=anchor, is_image=True)
        elif tag in _METADATA_TAGS:
            attrs = node.attributes
            if tag == "meta":
                name = (attrs.get("name") or "").strip().lower()
                if name in ("robots", "googlebot"):
                    tokens = _META_SPLIT_RE.split((attrs.get("content") or "").lower())
                    none = "none" in tokens
                    meta.robots_noindex |= none or "noindex" in tokens
                    meta.robots_nofollow |= none or "nofollow" in tokens
            elif tag == "title":
                if not meta.title:
                    meta.title = _norm(node.text(), TITLE_LIMIT)
            elif tag == "link":
                if (
                    canonical_href is None
                    and "canonical" in (attrs.get("rel") or "").lower().split()
                ):
                    canonical_href = (attrs.get("href") or "").strip(_WS)
            elif not base_seen:  # the first <base href> counts, even an unusable one
                base_seen = True
                resolved = _canonical((attrs.get("href") or "").strip(_WS), base)
                if resolved is not None:
                    if links or result.fragment or result.non_web or result.invalid:
                        return resolved
                    base = meta.base_url = resolved
        elif containers < _CONTAINER_LIMIT:
            kind = container_kind(node, tag)
            if kind is not None:
                containers += 1
                pending.append((node, kind))
    if canonical_href is not None:
        meta.canonical_url = _canonical(canonical_href, base)
    return None


def extract(
    html: bytes,
    page_url: str,
    *,
    http_content_type: str | None = None,
    keep_text: bool = True,
    text_limit: int = 65536,
) -> Extraction:
    """Extract the links, metadata and visible text of one HTML page.

    ``page_url`` is the page's (canonical) URL and the base for relative hrefs unless the
    page has a ``<base href>``; if it is not an http(s) URL, relative hrefs count as
    invalid. ``http_content_type`` is the response's Content-Type header, whose charset
    outranks the page's own ``<meta charset>``. ``text`` is the visible text of the body
    (no script, style, noscript, template), whitespace-normalised and cut at
    ``text_limit`` characters; empty unless ``keep_text``. Never raises on any input.
    """
    result = Extraction()
    if not isinstance(html, bytes):
        html = bytes(html)
    parser = _parser(html, http_content_type, result.meta)
    root = parser.root
    if root is None:
        return result
    base = _canonical(page_url, None) if isinstance(page_url, str) and page_url else None
    nodes = root.css(_SCAN)
    late_base = _walk(nodes, base, result)
    if late_base is not None:
        encoding = result.meta.encoding
        result = Extraction(meta=PageMeta(base_url=late_base, encoding=encoding))
        _walk(nodes, late_base, result)
    if root.tag == "html":
        attrs = root.attributes
        lang = attrs.get("lang") or attrs.get("xml:lang") or ""
        result.meta.lang = lang.strip()[:_LANG_LIMIT]
    if keep_text and text_limit > 0:
        body = parser.body
        if body is not None:
            parser.strip_tags(_INVISIBLE)
            result.text = _norm(body.text(separator=" ", skip_empty=True), text_limit)
    return result
