"""``trap.test``: the hostile host of the loopback test web (:mod:`backlinks.demo.server`),
one endpoint per thing a crawler must survive.

Parameters are query strings (``/slow?ms=200``) clamped to sane ranges; per-client state
(``/flaky``, ``/rate-limited``) is keyed by User-Agent and request target, so two tests (or
two crawlers) with different agents or query strings do not disturb each other.

The endpoints (``/`` links to every one; robots.txt disallows ``/private/``), and what a
good crawler does with each:

=============================== ===================================================
``/slow?ms=N``                  headers after N ms (default 1000): time-to-first-byte limit
``/slow-body?ms=N&pieces=K``    body dripped in K parts N ms apart: total-time limit
``/drop``                       Content-Length 100000, 10000 sent, closed: truncated, no page
``/hang``                       no answer for an hour: time out, free the slot
``/gzip-bomb?mib=N``            10 GiB of zeros as ~10 MB gzip: stop at the decoded cap
``/br-bomb?mib=N``              same with brotli (404 when brotli is not installed)
``/gzip-truncated``             gzip body cut in half: decoding error, no crash
``/gzip-bad``                   ``Content-Encoding: gzip`` on plain HTML: decoding error
``/huge?mib=N``                 100 MiB page, chunked, a link per line: wire-size cap
``/error/CODE``                 that status (400-599): record, do not retry 4xx
``/flaky?n=N&after=S``          503 + ``Retry-After: S`` N times per agent (2), then 200
``/rate-limited?n=N&after=S``   429 + ``Retry-After`` N times (1): back off, retry later
``/redirect/chain/N``           N hops to ``/redirect/final``: stop past the hop limit
``/redirect/loop``              ``/redirect/loop`` <-> ``/redirect/loop/b``: detect loop
``/redirect/to-private[/X]``    to 169.254.169.254, ``lan`` 10.0.0.1, ``loopback``,
                                ``localhost``, ``ipv6``: refuse to follow
``/redirect/to-ftp``            to ``ftp://``: drop, not an HTTP URL
``/redirect/relative``          ``Location: chain/0``: resolve against the request URL
``/redirect/no-location``       302 without Location: record, nothing to follow
``/redirect/to-other-host``     301 to ``http://big.test/``: follow, new host's politeness
``/calendar/YYYY/MM``           previous/next month for ever: depth or pattern guard
``/deep/a/a/...``               links ``a/`` deeper for ever: repeated-segment guard
``/params?...``                 links with ever more / reordered / session params
``/binary.pdf``, ``/image.png`` non-HTML types: store, extract no links
``/image-as-html``              a PNG labelled text/html: no crash, no links
``/no-type``                    no Content-Type header: sniff or skip, no crash
``/broken.html``                bad UTF-8, NULs, unclosed tags: still finds
                                ``/broken/target`` and ``/broken/also``
``/links-to-self-host-private`` links to loopback, private, metadata IPs and
                                ``javascript:``/``mailto:``/``data:``/``file:``: fetch none
``/private/secret``             robots-disallowed: never fetched
=============================== ===================================================
"""

from __future__ import annotations

import gzip
import re
import struct
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Final

from backlinks.demo.bombs import brotli_bomb, brotli_module, drip, gzip_bomb, huge_page
from backlinks.demo.wire import TEXT, Request, Response, html_page, not_found, redirect

__all__ = ["PRIVATE_TARGETS", "TRAP_HOST", "TrapHost", "png_1x1"]

TRAP_HOST: Final = "trap.test"
#: ``/redirect/to-private/<name>`` targets (a crawler must refuse to follow each).
PRIVATE_TARGETS: Final = {
    "": "http://169.254.169.254/latest/meta-data/",
    "lan": "http://10.0.0.1/admin/",
    "loopback": "http://127.0.0.1/",
    "localhost": "http://localhost/",
    "ipv6": "http://[::1]/",
}
#: Links of ``/links-to-self-host-private``: none may be fetched by a crawler.
UNSAFE_LINKS: Final = (
    "http://127.0.0.1/",
    "http://127.0.0.1:22/",
    "http://[::1]/",
    "http://localhost/",
    "http://localhost.localdomain/",
    "http://0.0.0.0/",
    "http://2130706433/",
    "http://10.0.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "javascript:alert(1)",
    "JaVaScRiPt:void(0)",
    "mailto:someone@example.com",
    "tel:+15551234567",
    "data:text/html,<a href=http://x.test/>x</a>",
    "ftp://ftp.trap.test/pub/",
    "file:///etc/passwd",
)
_MONTH: Final = re.compile(r"/calendar/(\d{1,6})/(\d{2})")
_DEEP: Final = re.compile(r"/deep/(?:a/)*")
_DEFAULT_BOMB_MIB: Final = 10 * 1024
_DEFAULT_HUGE_MIB: Final = 100


def png_1x1() -> bytes:
    """A valid 1×1 transparent PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00\x00\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


_PDF: Final = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b'% <a href="http://trap.test/from-pdf">not a link</a>\n'
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
_BROKEN: Final = (
    b"<!DOCTYPE html><html><head><title>Broken \xff\xfe page</title></titl>\n"
    b"<meta charset=utf-8><body><p>Latin-1 caf\xe9, lone continuation \x80\x81, "
    b"truncated \xe2\x82 sequence, NUL \x00 byte\x00s.\n"
    b"<div><p><b><i>unclosed <a href=/broken/target>first link (unquoted)</a>\n"
    b"<a href='/broken/also'\x00>second link after a NUL</a>\n"
    b'<a href="/broken/nested">outer <a href="/broken/inner">nested anchor</a></a>\n'
    b'<a href="   /broken/spaces   ">padded href</a> <a href="">empty</a> <a>no href</a>\n'
    b'<a href="/broken/unterminated>never closed quote\n'
    b"<table><tr><td>cell<td>cell</table></div></html><p>after html</p>"
)


class TrapHost:
    """The endpoints of ``trap.test`` (see the table in :mod:`backlinks.demo.server`)."""

    def __init__(self) -> None:
        self._seen: Counter[tuple[str, str, str]] = Counter()
        self._exact: dict[str, Callable[[Request], Response]] = {
            "/": self.index,
            "/robots.txt": lambda r: Response(200, b"User-agent: *\nDisallow: /private/\n", TEXT),
            "/private/secret": lambda r: Response(200, html_page("Secret (robots-disallowed)")),
            "/slow": self.slow,
            "/slow-body": self.slow_body,
            "/drop": self.drop,
            "/hang": lambda r: Response(200, html_page("Too late"), delay=3600.0),
            "/gzip-bomb": self.gzip_bomb,
            "/br-bomb": self.br_bomb,
            "/gzip-truncated": self.gzip_truncated,
            "/gzip-bad": lambda r: Response(
                200, html_page("Not gzip at all"), headers=[("Content-Encoding", "gzip")]
            ),
            "/huge": lambda r: Response(
                200, huge_page(r.int_param("mib", _DEFAULT_HUGE_MIB, 1, 1 << 14))
            ),
            "/flaky": lambda r: self.fail_first(r, 503, 2),
            "/rate-limited": lambda r: self.fail_first(r, 429, 1),
            "/redirect/loop": lambda r: redirect("/redirect/loop/b"),
            "/redirect/loop/b": lambda r: redirect("/redirect/loop"),
            "/redirect/to-ftp": lambda r: redirect("ftp://ftp.trap.test/pub/file.txt"),
            "/redirect/to-other-host": lambda r: redirect("http://big.test/", 301),
            "/redirect/relative": lambda r: redirect("chain/0"),
            "/redirect/no-location": lambda r: Response(302, html_page("Moved, but where?")),
            "/redirect/final": lambda r: Response(200, html_page("Redirect target")),
            "/calendar/": lambda r: Response(200, html_page("Calendar", "", ["2024/05"])),
            "/params": self.params,
            "/binary.pdf": lambda r: Response(200, _PDF, "application/pdf"),
            "/image.png": lambda r: Response(200, png_1x1(), "image/png"),
            "/image-as-html": lambda r: Response(200, png_1x1()),
            "/no-type": lambda r: Response(200, html_page("No Content-Type"), None),
            "/broken.html": lambda r: Response(200, _BROKEN, "text/html"),
            "/links-to-self-host-private": lambda r: Response(
                200, html_page("Unsafe links", "<p>Fetch none of these.</p>", UNSAFE_LINKS)
            ),
        }
        for name in ("target", "also", "nested", "inner", "spaces"):
            self._exact[f"/broken/{name}"] = lambda r: Response(200, html_page(r.path))

    # ---- dispatch ----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path
        if path in self._exact:
            return self._exact[path](request)
        if path.startswith("/error/"):
            code = path.removeprefix("/error/")
            if code.isdigit() and 400 <= int(code) <= 599:
                return Response(int(code), html_page(f"Error {code}"))
        elif path.startswith("/redirect/chain/"):
            return self.chain(request)
        elif path.startswith("/redirect/to-private"):
            target = PRIVATE_TARGETS.get(path.removeprefix("/redirect/to-private").strip("/"))
            if target:
                return redirect(target)
        elif _MONTH.fullmatch(path):
            return self.calendar(request)
        elif _DEEP.fullmatch(path):
            depth = path.count("/a")
            return Response(200, html_page(f"Depth {depth}", "", ["a/", "/deep/"]))
        return not_found(request)

    def index(self, request: Request) -> Response:
        """Links to every endpoint (a crawler seeded here meets all of them)."""
        paths = [p for p in self._exact if p not in ("/", "/robots.txt")]
        paths += ["/error/500", "/redirect/chain/5", "/calendar/2024/05", "/deep/a/"]
        paths += [f"/redirect/to-private/{k}".rstrip("/") for k in PRIVATE_TARGETS]
        return Response(200, html_page("trap.test", "<p>Every hostile endpoint.</p>", paths))

    # ---- slow and broken transfers -----------------------------------------------------

    def slow(self, request: Request) -> Response:
        """``?ms=N`` (default 1000) before the status line."""
        ms = request.int_param("ms", 1000, 0, 600_000)
        return Response(200, html_page(f"Slow ({ms} ms)"), delay=ms / 1000)

    def slow_body(self, request: Request) -> Response:
        """Headers at once, then ``?pieces=K`` parts ``?ms=N`` apart (default 8 × 250 ms)."""
        ms = request.int_param("ms", 250, 0, 600_000)
        pieces = request.int_param("pieces", 8, 1, 10_000)
        body = html_page("Slow body", "<p>" + "drip " * 400 + "</p>", ["/slow-body/next"])
        return Response(200, drip(body, pieces, ms / 1000), length=len(body))

    def drop(self, request: Request) -> Response:
        """Content-Length 100,000; 10,000 bytes sent, then the connection closes."""
        partial = html_page("Dropped", "<p>" + "x" * 10_000)[:10_000]

        async def body() -> AsyncIterator[bytes]:
            yield partial

        return Response(200, body(), length=100_000, close=True)

    def gzip_bomb(self, request: Request) -> Response:
        """``?mib=N`` (default 10 GiB) of zeros as a ~1000:1 gzip Content-Encoding."""
        size, stream = gzip_bomb(request.int_param("mib", _DEFAULT_BOMB_MIB, 1, 1 << 20))
        headers = [("Content-Encoding", "gzip")]
        return Response(200, stream, headers=headers, length=size)

    def br_bomb(self, request: Request) -> Response:
        """As ``/gzip-bomb`` with ``Content-Encoding: br`` (404 without the brotli module)."""
        brotli = brotli_module()
        if brotli is None:
            return not_found(request)
        mib = request.int_param("mib", _DEFAULT_BOMB_MIB, 1, 1 << 20)
        return Response(200, brotli_bomb(mib, brotli), headers=[("Content-Encoding", "br")])

    def gzip_truncated(self, request: Request) -> Response:
        """A gzip body cut in half (the HTTP framing itself is correct)."""
        full = gzip.compress(html_page("Truncated", "<p>" + "words " * 2000 + "</p>"), mtime=0)
        body = full[: len(full) // 2]
        return Response(200, body, headers=[("Content-Encoding", "gzip")])

    # ---- retries -----------------------------------------------------------------------

    def fail_first(self, request: Request, status: int, default_n: int) -> Response:
        """``status`` with ``Retry-After: ?after=S`` (default 1) for the first ``?n=N``
        requests of each client to this target, then 200."""
        key = (request.client, request.path, request.query)
        self._seen[key] += 1
        n = request.int_param("n", default_n, 0, 1 << 30)
        if self._seen[key] <= n:
            after = str(request.int_param("after", 1, 0, 1 << 30))
            page = html_page(f"Try again in {after} s ({self._seen[key]}/{n})")
            return Response(status, page, headers=[("Retry-After", after)])
        return Response(200, html_page(f"Served after {n} refusals"))

    # ---- redirects and traps -----------------------------------------------------------

    def chain(self, request: Request) -> Response:
        """``/redirect/chain/N``: N redirects, then ``/redirect/final``."""
        rest = request.path.removeprefix("/redirect/chain/")
        if not rest.isdigit() or int(rest) > 100_000:
            return not_found(request)
        n = int(rest)
        return redirect(f"/redirect/chain/{n - 1}" if n > 1 else "/redirect/final")

    def calendar(self, request: Request) -> Response:
        """``/calendar/YYYY/MM``: previous and next month, for ever."""
        match = _MONTH.fullmatch(request.path)
        assert match is not None  # noqa: S101 - checked by the caller
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12 or year < 1:
            return not_found(request)
        index = year * 12 + month - 1
        links = [f"/calendar/{i // 12:04d}/{i % 12 + 1:02d}" for i in (index - 1, index + 1)]
        return Response(200, html_page(f"Calendar {year:04d}-{month:02d}", "", links))

    def params(self, request: Request) -> Response:
        """Links to itself with one more parameter, reordered, and with a session id."""
        pairs = [p for p in request.query.split("&") if p]
        grown = [*pairs, f"p{len(pairs) + 1}={len(pairs) + 1}"]
        sid = f"sid={zlib.crc32(request.query.encode()):08x}"
        links = [
            "/params?" + "&".join(grown),
            "/params?" + "&".join(reversed(grown)),
            "/params?" + "&".join([sid, *[p for p in pairs if not p.startswith("sid=")]]),
        ]
        return Response(200, html_page(f"Params ({len(pairs)})", "", links))
