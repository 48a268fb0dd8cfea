"""WARC responses and Common Crawl WAT metadata records -> :class:`~backlinks.records.Page`.

One reader covers both: a ``response``/``resource`` record with an HTML payload goes through
:func:`backlinks.extract.extract`; a WAT ``metadata`` record (``application/json`` with an
``Envelope``) already carries the parsed links (``A@/href`` entries with ``text`` and ``rel``).
Records that are not pages (requests, warcinfo, revisits, WET text) are counted by kind.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from fastwarc.warc import WarcRecordType

from backlinks import urls
from backlinks.extract import extract
from backlinks.records import Link, Page, PageMeta, Skipped
from backlinks.sources.archive import RawRecord, iter_raw_records
from backlinks.sources.http import PayloadError, decode_body

#: What a reader yields: a record's offset and a page, a skip, or the name of an ignored kind.
SourceItem = tuple[int, Page | Skipped | str]

HTML_TYPES: Final = ("text/html", "application/xhtml+xml", "application/xml", "text/xml")
_WAT_HREF_PATHS: Final = ("A@/href", "AREA@/href")
_EPOCH: Final = datetime(1970, 1, 1)
#: A character reference closed by ``;``. WAT ``url`` values are raw attribute text
#: (``?a=1&amp;b=2``); only these are decoded, so ``&lang=`` or ``&para=`` in a query stay.
_CHAR_REF: Final = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def _naive_utc(value: datetime | None) -> datetime:
    if value is None:
        return _EPOCH
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _target(rec: Any) -> str:
    raw = rec.headers.get("WARC-Target-URI") or ""
    return str(raw).strip().removeprefix("<").removesuffix(">")


def _mime(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _looks_html(payload: bytes) -> bool:
    head = payload[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head


def response_page(raw: RawRecord, *, keep_text: bool) -> Page | Skipped | str:
    """A WARC response/resource record as a page, a skip, or an ignored kind."""
    rec = raw.record
    src = _target(rec)
    url = urls.canonicalize(src)
    if url is None:
        return "non_web_target" if src else Skipped("", raw.offset, "bad_target_uri", src[:200])
    fetched = _naive_utc(rec.record_date)
    headers = rec.http_headers
    status: int | None = None
    content_type = ""
    body = raw.payload
    location: str | None = None
    if headers is not None and rec.is_http:
        status = headers.status_code
        content_type = headers.get("Content-Type") or ""
        location = headers.get("Location")
        try:
            body = decode_body(
                body, headers.get("Transfer-Encoding"), headers.get("Content-Encoding")
            )
        except PayloadError as exc:
            return Skipped("", raw.offset, "bad_payload", f"{url}: {exc}")
    else:
        content_type = rec.headers.get("Content-Type") or ""
    page = Page(url=url, fetched_at=fetched, status=status, content_type=_mime(content_type))
    if location:
        page.redirect_to = urls.canonicalize(location.strip(), url)
    is_html = page.content_type in HTML_TYPES or (not page.content_type and _looks_html(body))
    ok = status is None or 200 <= status < 300
    if is_html and ok and body:
        result = extract(body, url, http_content_type=content_type, keep_text=keep_text)
        page.meta = result.meta
        page.links = result.links
        page.non_web = result.non_web
        page.invalid = result.invalid
        page.text = result.text
    return page


def _wat_rel(entry: dict[str, Any]) -> set[str]:
    rel = entry.get("rel") or ""
    return {tok.lower() for tok in str(rel).split()}


def wat_page(raw: RawRecord) -> Page | Skipped | str:
    """A Common Crawl WAT metadata record as a page (or an ignored kind)."""
    try:
        doc = json.loads(raw.payload)
        env = doc["Envelope"]
        head = env.get("WARC-Header-Metadata", {})
    except (ValueError, KeyError, TypeError) as exc:
        return Skipped("", raw.offset, "bad_wat_json", str(exc)[:200])
    if head.get("WARC-Type") != "response":
        return "wat_" + str(head.get("WARC-Type", "other"))
    url = urls.canonicalize(str(head.get("WARC-Target-URI", "")))
    if url is None:
        return "non_web_target"
    try:
        when = datetime.fromisoformat(str(head.get("WARC-Date", "")).replace("Z", "+00:00"))
    except ValueError:
        when = None
    http = env.get("Payload-Metadata", {}).get("HTTP-Response-Metadata", {}) or {}
    hdrs = http.get("Headers", {}) or {}
    status_text = str(http.get("Response-Message", {}).get("Status", ""))
    page = Page(
        url=url,
        fetched_at=_naive_utc(when),
        status=int(status_text) if status_text.isdigit() else None,
        content_type=_mime(hdrs.get("Content-Type")),
    )
    if hdrs.get("Location"):
        page.redirect_to = urls.canonicalize(str(hdrs["Location"]).strip(), url)
    meta_doc = http.get("HTML-Metadata") or {}
    page.meta = _wat_meta(meta_doc.get("Head") or {}, url)
    base = page.meta.base_url or url
    links: list[Link] = []
    for entry in meta_doc.get("Links") or []:
        if entry.get("path") not in _WAT_HREF_PATHS:
            continue
        href = _CHAR_REF.sub(lambda m: html.unescape(m.group(0)), str(entry.get("url") or ""))
        if href.startswith("#") or not href.strip():
            continue
        if urls.is_non_web(href):
            page.non_web += 1
            continue
        dst = urls.canonicalize(href, base)
        if dst is None:
            page.invalid += 1
            continue
        rel = _wat_rel(entry)
        anchor = " ".join(html.unescape(str(entry.get("text") or "")).split())[:512]
        links.append(
            Link(
                dst,
                anchor,
                "nofollow" in rel,
                "ugc" in rel,
                "sponsored" in rel,
                False,
                "unknown",
                len(links),
            )
        )
    page.links = links
    return page


def _wat_meta(head: dict[str, Any], url: str) -> PageMeta:
    meta = PageMeta(title=" ".join(str(head.get("Title") or "").split())[:1024])
    base = head.get("Base")
    if isinstance(base, str) and base:
        meta.base_url = urls.canonicalize(base, url)
    for item in head.get("Metas") or []:
        if str(item.get("name", "")).lower() in ("robots", "googlebot"):
            tokens = {t.strip().lower() for t in str(item.get("content", "")).split(",")}
            meta.robots_noindex |= bool(tokens & {"noindex", "none"})
            meta.robots_nofollow |= bool(tokens & {"nofollow", "none"})
    for item in head.get("Link") or []:
        if "canonical" in str(item.get("rel", "")).lower().split():
            meta.canonical_url = urls.canonicalize(str(item.get("url", "")), url)
    return meta


def read_warc(path: Path, *, start_offset: int = 0, keep_text: bool = True) -> Iterator[SourceItem]:
    """Pages from a WARC or WAT file (gzip or plain), from ``start_offset`` on."""
    src = str(path)
    for item in iter_raw_records(path, start_offset):
        if isinstance(item, Skipped):
            yield item.offset, item
            continue
        rtype = item.record.record_type
        if rtype in (WarcRecordType.response, WarcRecordType.resource):
            result = response_page(item, keep_text=keep_text)
        elif rtype == WarcRecordType.metadata and "json" in str(
            item.record.headers.get("Content-Type") or ""
        ):
            result = wat_page(item)
        else:
            result = _kind_name(rtype)
        if isinstance(result, Skipped):
            result = Skipped(src, result.offset, result.reason, result.detail)
        yield item.offset, result


def _kind_name(rtype: object) -> str:
    """Counter key of a record that is not a page (fastwarc record types are unhashable)."""
    for kind in ("request", "warcinfo", "revisit", "metadata", "conversion"):
        if rtype == getattr(WarcRecordType, kind):
            return kind
    return "other"
