"""Sitemaps: a fetched body in, page URLs and child sitemap URLs out.

Pure: no network. Reads

* XML ``<urlset>`` (page URLs) and ``<sitemapindex>`` (child sitemaps), any namespace or none,
  CDATA and surrounding whitespace allowed; only a ``<loc>`` directly inside ``<url>`` or
  ``<sitemap>`` counts (``<image:loc>`` and other extensions are not pages);
* RSS 2.0 / RSS 1.0 ``<item><link>`` and Atom ``<entry><link href>`` (``rel`` absent or
  ``alternate``), as the sitemaps.org protocol allows feeds;
* plain-text sitemaps: one absolute http(s) URL per line;
* any of these gzip-compressed (detected by the magic bytes, whatever the file is called).

Hostile input is contained, never raised:

* the body is decompressed and parsed as a stream, and stops at :data:`MAX_SITEMAP_BYTES`
  (the protocol's 50 MB): a decompression bomb costs one 64 KiB chunk of memory at a time
  and counts as an error;
* entity declarations and external entities are refused (billion laughs, XXE), as
  ``defusedxml`` does with its defaults, by expat handlers that raise;
* elements nested deeper than 256 levels are refused (expat keeps every open tag);
* malformed or truncated documents keep the URLs read before the fault and count an error.

Every URL is made canonical with :func:`backlinks.urls.canonicalize` (relative ones resolved
against the sitemap's own URL); non-http(s), unparsable, empty and over-the-limit entries
(more than :data:`MAX_SITEMAP_URLS`, the protocol's 50,000) are dropped and counted.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final
from xml.parsers import expat

from backlinks.urls import canonicalize

__all__ = [
    "MAX_SITEMAP_BYTES",
    "MAX_SITEMAP_URLS",
    "SitemapResult",
    "parse_sitemap",
]

#: Decompressed bytes read from one sitemap (sitemaps.org: at most 50 MB uncompressed).
MAX_SITEMAP_BYTES: Final = 50 * 1024 * 1024
#: Entries (URLs plus child sitemaps) kept from one sitemap (sitemaps.org: at most 50,000).
MAX_SITEMAP_URLS: Final = 50_000

_CHUNK: Final = 64 * 1024
_GZIP_MAGIC: Final = b"\x1f\x8b"
_MAX_LOC_CHARS: Final = 16 * 1024  # longer than any URL canonicalize accepts (8192)
_MAX_DEPTH: Final = 256  # sitemaps nest 4 deep, feeds a few more; expat keeps every open tag
_ROOTS: Final = frozenset({"urlset", "sitemapindex", "rss", "RDF", "feed"})
_WHITESPACE: Final = b" \t\r\n"


@dataclass(slots=True)
class SitemapResult:
    """What one sitemap body yielded.

    ``errors`` counts document-level faults (malformed XML, refused entities, a body over the
    size cap, corrupt or truncated gzip, an unknown root element), each described in
    ``problems``; ``dropped`` counts entries that were not kept (not http(s), unparsable,
    empty, beyond :data:`MAX_SITEMAP_URLS`)."""

    urls: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    errors: int = 0
    dropped: int = 0
    problems: list[str] = field(default_factory=list)

    def _fault(self, problem: str) -> None:
        self.errors += 1
        self.problems.append(problem)


class _RefusedError(Exception):
    """An XML construct we do not process (entity declarations, external entities)."""


class _Collector:
    """Canonicalises entries into a result, within the entry limit."""

    def __init__(self, result: SitemapResult, base_url: str, max_urls: int) -> None:
        self.result = result
        self.base_url = base_url
        self.room = max_urls

    def add(self, text: str, *, sitemap: bool) -> None:
        url = canonicalize(text.strip(), self.base_url) if text.strip() else None
        if url is None or self.room <= 0:
            self.result.dropped += 1
            return
        self.room -= 1
        (self.result.sitemaps if sitemap else self.result.urls).append(url)


def _gunzip(body: bytes, max_bytes: int, result: SitemapResult) -> Iterator[bytes]:
    """Decompressed chunks of a gzip body (several members allowed), stopping at
    ``max_bytes``; corrupt or truncated input ends the stream with an error."""
    decomp = zlib.decompressobj(wbits=31)
    data = body
    total = 0
    while True:
        try:
            out = decomp.decompress(data, _CHUNK)
        except zlib.error as exc:
            result._fault(f"corrupt gzip: {exc}")
            return
        data = decomp.unconsumed_tail
        if out:
            total += len(out)
            if total > max_bytes:
                result._fault(f"decompressed size over {max_bytes} bytes")
                yield out[: len(out) - (total - max_bytes)]
                return
            yield out
        if decomp.eof:
            data = decomp.unused_data
            if not data.startswith(_GZIP_MAGIC):
                return  # trailing bytes after the last member are ignored
            decomp = zlib.decompressobj(wbits=31)
        elif not data and not out:
            result._fault("truncated gzip")
            return


def _chunks(body: bytes, max_bytes: int, result: SitemapResult) -> Iterator[bytes]:
    if body.startswith(_GZIP_MAGIC):
        yield from _gunzip(body, max_bytes, result)
        return
    if len(body) > max_bytes:
        result._fault(f"size over {max_bytes} bytes")
        body = body[:max_bytes]
    for start in range(0, len(body), _CHUNK):
        yield body[start : start + _CHUNK]


def _local(name: str) -> str:
    """Local name of an expat element or attribute name ("namespace-uri local")."""
    return name.rpartition(" ")[2]


def _refuse(*_args: object) -> int:
    raise _RefusedError("entity declarations and external entities are not processed")


class _XmlSitemap:
    """Streaming reader of XML sitemaps and feeds over expat."""

    def __init__(self, collect: _Collector) -> None:
        self.collect = collect
        self.stack: list[str] = []
        self.text: list[str] | None = None  # collecting a <loc> or RSS <link>
        self.text_len = 0
        self.text_is_sitemap = False
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.EntityDeclHandler = _refuse
        parser.UnparsedEntityDeclHandler = _refuse
        parser.ExternalEntityRefHandler = _refuse
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data
        self.parser = parser

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        parent = self.stack[-1] if self.stack else None
        if parent is None and local not in _ROOTS:
            raise _RefusedError(f"not a sitemap or feed (root <{local[:40]}>)")
        if len(self.stack) >= _MAX_DEPTH:
            raise _RefusedError(f"elements nested deeper than {_MAX_DEPTH}")
        self.stack.append(local)
        if (local == "loc" and parent in {"url", "sitemap"}) or (
            local == "link" and parent == "item"
        ):
            self.text, self.text_len = [], 0
            self.text_is_sitemap = parent == "sitemap"
        elif local == "link" and parent == "entry":
            rel = next((v for k, v in attrs.items() if _local(k) == "rel"), "alternate")
            href = next((v for k, v in attrs.items() if _local(k) == "href"), "")
            if rel.strip().lower() == "alternate":
                self.collect.add(href, sitemap=False)

    def end(self, _name: str) -> None:
        self.stack.pop()
        if self.text is not None:
            text = "".join(self.text) if self.text_len <= _MAX_LOC_CHARS else ""
            self.text = None
            self.collect.add(text, sitemap=self.text_is_sitemap)

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text_len += len(text)
            if self.text_len <= _MAX_LOC_CHARS:
                self.text.append(text)

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        self.parser.Parse(chunk, final)


def _parse_xml(chunks: Iterator[bytes], collect: _Collector, result: SitemapResult) -> None:
    reader = _XmlSitemap(collect)
    try:
        for chunk in chunks:
            reader.feed(chunk)
        if result.errors:
            return  # the stream was cut: the document's end is missing by our doing
        reader.feed(b"", final=True)
    except _RefusedError as exc:
        result._fault(str(exc))
    except expat.ExpatError as exc:
        result._fault(f"malformed XML: {exc}")
    except (ValueError, LookupError) as exc:  # an unknown or unmappable declared encoding
        result._fault(f"unreadable XML: {exc}")


def _parse_text(chunks: Iterator[bytes], collect: _Collector) -> None:
    carry = b""
    first = True
    overlong = False  # inside a line longer than any URL: skipped up to its end
    for chunk in chunks:
        lines = chunk.split(b"\n")
        tail = lines.pop()
        for raw in lines:
            if overlong:
                overlong = False
                collect.result.dropped += 1
            else:
                _text_line(carry + raw, collect, first=first)
            carry, first = b"", False
        if not overlong:
            carry += tail
            if len(carry) > _MAX_LOC_CHARS:
                overlong, carry = True, b""
    if overlong:
        collect.result.dropped += 1
    elif carry:
        _text_line(carry, collect, first=first)


def _text_line(raw: bytes, collect: _Collector, *, first: bool) -> None:
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    line = raw.decode("utf-8", "replace").strip()
    if not line:
        return
    if line[:8].lower().startswith(("http://", "https://")):
        collect.add(line, sitemap=False)
    else:
        collect.result.dropped += 1  # a text sitemap lists absolute URLs only


def parse_sitemap(
    body: bytes,
    base_url: str,
    *,
    max_bytes: int = MAX_SITEMAP_BYTES,
    max_urls: int = MAX_SITEMAP_URLS,
) -> SitemapResult:
    """Read one sitemap, sitemap index, feed or text sitemap (see the module docstring).

    ``base_url`` is the sitemap's own URL. Never raises on any ``bytes``."""
    result = SitemapResult()
    collect = _Collector(result, base_url, max_urls)
    chunks = _chunks(body, max_bytes, result)
    head = b""
    for chunk in chunks:
        head += chunk
        stripped = head.lstrip(_WHITESPACE)
        if stripped.startswith(b"\xef\xbb\xbf"):
            stripped = stripped[3:].lstrip(_WHITESPACE)
        if stripped:
            break
    else:
        return result  # empty (or all whitespace)

    def rest() -> Iterator[bytes]:
        yield head
        yield from chunks

    if stripped.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        _parse_xml(rest(), collect, result)
    else:
        _parse_text(rest(), collect)
    return result
