"""Value types of the loopback test web (:mod:`backlinks.demo.server`): a parsed request, a
response (fixed or streamed, delayed, cut short) and the small interface each host serves.

Handlers are plain functions from :class:`Request` to :class:`Response`; everything slow or
hostile (a delay before the headers, a body dripped or streamed for ever, a connection closed
mid-body) is *described* by the response and carried out by the server, so a handler never
blocks the event loop and stopping the server cancels whatever is still in flight.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Final, Protocol
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "HTML",
    "TEXT",
    "Host",
    "Request",
    "Response",
    "html_page",
    "not_found",
    "parse_head",
    "redirect",
]

HTML: Final = "text/html; charset=utf-8"
TEXT: Final = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the server read it. ``host`` is the Host header (or the host of an
    absolute-form target) in lower case, without port or trailing dot; ``target`` is the
    origin-form request target as sent (``/path?query``), ``path`` and ``query`` its parts;
    ``headers`` have lower-case names."""

    method: str
    host: str
    target: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    @property
    def params(self) -> dict[str, str]:
        """Query parameters (the first value of each)."""
        out: dict[str, str] = {}
        for key, value in parse_qsl(self.query, keep_blank_values=True):
            out.setdefault(key, value)
        return out

    def int_param(self, name: str, default: int, lo: int = 0, hi: int = 1 << 40) -> int:
        """Query parameter ``name`` as an int clamped to ``[lo, hi]`` (``default`` if absent
        or malformed)."""
        try:
            value = int(self.params.get(name, default))
        except ValueError:
            value = default
        return max(lo, min(hi, value))

    @property
    def client(self) -> str:
        """Who is asking, for per-client state (``/flaky``): the User-Agent header."""
        return self.headers.get("user-agent", "")


@dataclass(slots=True)
class Response:
    """What to send. ``body`` is bytes or an async iterator of chunks (streamed with
    ``length`` as Content-Length, or chunked when ``length`` is None). ``delay`` seconds pass
    before the status line; ``close`` closes the connection once the body iterator ends (with
    a ``length`` larger than what was sent, the client sees a truncated body)."""

    status: int = 200
    body: bytes | AsyncIterator[bytes] = b""
    content_type: str | None = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)
    length: int | None = None
    delay: float = 0.0
    close: bool = False


class Host(Protocol):
    """A virtual host of the test web."""

    def handle(self, request: Request) -> Response:
        """Answer one request (never blocks; describe slowness in the :class:`Response`)."""
        ...  # pragma: no cover - protocol


def html_page(title: str, body: str = "", links: tuple[str, ...] | list[str] = ()) -> bytes:
    """A small well-formed UTF-8 HTML page; ``links`` are hrefs (escaped here), each linked
    with its own href as text. ``body`` is inserted as is (already HTML)."""
    items = "".join(f'<li><a href="{escape(h)}">{escape(h)}</a></li>\n' for h in links)
    ul = f"<ul>\n{items}</ul>\n" if items else ""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body><h1>{escape(title)}</h1>\n{body}\n{ul}"
        "</body></html>\n"
    ).encode()


def not_found(request: Request) -> Response:
    """The 404 every host answers for a path it does not serve."""
    return Response(404, html_page("Not found", f"<p>{escape(request.target)}</p>"))


def redirect(location: str, status: int = 302) -> Response:
    """A redirect with a tiny HTML body (as real servers send)."""
    body = html_page("Moved", f'<p><a href="{escape(location)}">moved here</a></p>')
    return Response(status, body, headers=[("Location", location)])


def parse_head(head: bytes) -> tuple[str, Request] | None:
    """(HTTP version, request) from a request head, or None if it is malformed."""
    line, *rest = head.decode("latin-1").split("\r\n")
    parts = line.split(" ")
    if len(parts) != 3 or parts[2] not in ("HTTP/1.0", "HTTP/1.1"):
        return None
    method, target, version = parts
    headers: dict[str, str] = {}
    for raw in rest:
        if raw:
            name, sep, value = raw.partition(":")
            if not sep or not name.strip():
                return None
            headers[name.strip().lower()] = value.strip()
    authority = headers.get("host", "")
    if target[:8].lower().startswith(("http://", "https://")):  # absolute form (as a proxy)
        split = urlsplit(target)
        authority = split.netloc.rpartition("@")[2]
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
    if not target.startswith("/"):
        return None
    if authority.startswith("["):  # [v6]:port
        host = authority[: authority.find("]") + 1]
    else:
        host = authority.partition(":")[0]
    return version, Request(method.upper(), host.lower().rstrip("."), target, headers)
