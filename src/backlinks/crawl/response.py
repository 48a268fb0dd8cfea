"""What one fetched response is, apart from what the crawl does next: the page it records
(status, content type, redirect target, and for 2xx HTML the links and text, extracted
exactly as ``ingest`` extracts them from a WARC) and how long to wait before a retry.
Pure functions of a :class:`~backlinks.crawl.fetch.Fetched`."""

from __future__ import annotations

from datetime import UTC, datetime

from backlinks import urls
from backlinks.crawl.fetch import Fetched
from backlinks.extract import extract
from backlinks.records import Page
from backlinks.sources.warc import HTML_TYPES, _looks_html

__all__ = ["is_redirect", "page_of", "retry_delay"]


def _naive(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)


def is_redirect(got: Fetched) -> bool:
    """A 3xx answer with a ``Location`` header."""
    return got.status is not None and 300 <= got.status < 400 and bool(got.header("Location"))


def page_of(url: str, got: Fetched, *, keep_text: bool) -> Page:
    """The page a response records. Links come from 2xx HTML only (or unlabelled bytes that
    look like HTML), as ingest takes them from a WARC, so a crawl and a re-ingest of its
    WARC files give the same index."""
    ctype = got.header("Content-Type") or ""
    page = Page(
        url=url,
        fetched_at=_naive(got.started),
        status=got.status,
        content_type=ctype.split(";", 1)[0].strip().lower(),
    )
    if is_redirect(got):
        page.redirect_to = urls.canonicalize((got.header("Location") or "").strip(), url)
        return page
    is_html = page.content_type in HTML_TYPES or (not page.content_type and _looks_html(got.body))
    if not (is_html and got.body and got.status is not None and 200 <= got.status < 300):
        return page
    result = extract(got.body, url, http_content_type=ctype, keep_text=keep_text)
    page.meta, page.links, page.non_web, page.invalid, page.text = (
        result.meta,
        result.links,
        result.non_web,
        result.invalid,
        result.text,
    )
    return page


def retry_delay(got: Fetched, max_retry_after: float) -> float | None:
    """Seconds to wait before retrying, or None when a retry is not worth it (the server
    asks for longer than ``max_retry_after``)."""
    value = got.header("Retry-After")
    if value is None:
        return 1.0 + got.seconds
    try:
        seconds = float(value)
    except ValueError:
        return 5.0
    return seconds if seconds <= max_retry_after else None
