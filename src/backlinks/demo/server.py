"""A real HTTP/1.1 test web on loopback: every host of a synthetic web plus hostile and big
hosts, told apart by the request's Host header, served from one port.

    with serve_web(generate_web()) as web:      # background thread, ephemeral port
        crawl(seeds=["http://www.velo-trails.com/"], resolve=web.resolve)  # {"*": "127.0.0.1:PORT"}
        assert web.stats.max_inflight("www.velo-trails.com") <= 2

A client maps every host name to ``web.base_address`` (``web.resolve`` for the crawler;
curl ``--connect-to ::127.0.0.1:PORT``) or uses the server as an HTTP proxy (absolute-form
targets). It speaks plain HTTP only, so by default (``scheme="http"``) the synthetic pages'
``https://`` links, redirects and sitemap entries to their own hosts are rewritten to
``http://`` and ``web.url(u)`` maps a :class:`SynthWeb` URL to the served one;
``scheme="keep"`` serves the bytes unchanged (a TLS handshake is counted in
``stats.tls_attempts`` and closed). Other hosts (``127.0.0.1``, ``localhost``,
``instagram.com``...) get a 404 and are recorded, so a test can assert that a crawler never
went there. Stopping cancels every response still in progress (``/hang``).

Synthetic hosts (``web.synth.hosts``): the pages as generated (301/404 with their
``location``), a ``/robots.txt`` and ``/sitemap.xml`` each; four hosts have special robots
rules (404, 500, ``backlinksbot`` disallowed, ``Crawl-delay``; override any host with
``robots=``): see :mod:`backlinks.demo.hosts`.

``big.test`` (:class:`~backlinks.demo.hosts.BigSite`): ``big_pages`` pages ``/p/0`` ...
with 10-20 links each, on ``big_hosts`` hosts (``h0.big.test`` ... when more than one);
robots allows all. For the crawl benchmark.

``trap.test`` (:class:`~backlinks.demo.trap.TrapHost`): one endpoint per hostile behaviour
(slow, dripping, dropped and hanging responses, gzip and brotli bombs, a 100 MiB page,
flaky and rate-limited endpoints, redirect chains, loops and redirects to private addresses,
calendar, depth and parameter traps, binary and broken content, links to loopback and
private addresses); the table of endpoints and what a good crawler does with each is in
:mod:`backlinks.demo.trap`.

Run it by hand: ``python -m backlinks.demo.server [--port 8080] [--big-pages N]`` and
``curl -H 'Host: trap.test' http://127.0.0.1:8080/``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import sys
import threading
import time
from collections.abc import Mapping
from email.utils import formatdate
from http import HTTPStatus
from types import TracebackType
from typing import Final

from backlinks.demo.hosts import BigSite, RobotsRule, SynthHosts, robots_response
from backlinks.demo.model import SynthWeb
from backlinks.demo.synthweb import generate_web
from backlinks.demo.trap import TRAP_HOST, TrapHost
from backlinks.demo.webstats import Hit, WebStats
from backlinks.demo.wire import Host, Request, Response, html_page, parse_head

__all__ = ["TestWeb", "serve_web"]

_MAX_HEAD: Final = 64 * 1024
_MAX_BODY: Final = 1 << 20


class TestWeb:
    """The loopback test web (see the module docstring). Start with :meth:`start` or
    ``with``; ``port``, ``base_address`` and ``resolve`` are valid once started."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        web: SynthWeb | None = None,
        *,
        extras: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        scheme: str = "http",
        robots: Mapping[str, RobotsRule] | None = None,
        big_pages: int = 20_000,
        big_hosts: int = 1,
        idle_timeout: float = 30.0,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the test web listens on loopback only, not {host}")
        self.host, self.port, self.idle_timeout = host, port, idle_timeout
        self.stats = WebStats()
        self.synth = SynthHosts(web, scheme=scheme) if web is not None else None
        self.routes: dict[str, Host] = (
            dict.fromkeys(self.synth.hosts, self.synth) if self.synth else {}
        )
        self.big: BigSite | None = None
        if extras:
            self.big = BigSite(big_pages, big_hosts)
            self.routes |= dict.fromkeys(self.big.hosts, self.big)
            self.routes[TRAP_HOST] = TrapHost()
        self.robots = dict(robots or {})
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # ---- life cycle --------------------------------------------------------------------

    def start(self) -> TestWeb:
        """Listen and serve in a background thread; returns once the port is bound."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="test-web")
        self._thread.start()
        ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel every response in progress, close the port and join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(TimeoutError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> TestWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_address(self) -> str:
        """``127.0.0.1:PORT``: where every host name should resolve."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.base_address}"

    @property
    def resolve(self) -> dict[str, str]:
        """A crawler's ``resolve`` mapping that sends every host here."""
        return {"*": self.base_address}

    @property
    def hosts(self) -> list[str]:
        """Every host name served."""
        return sorted(self.routes)

    def url(self, url: str) -> str:
        """A :class:`SynthWeb` URL as this server presents it (see ``scheme``)."""
        return self.synth.url(url) if self.synth else url

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._client, self.host, self.port, limit=_MAX_HEAD)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            self._loop = loop
        except BaseException as exc:  # noqa: BLE001 - re-raised by start() in the caller
            self._error = exc
            loop.close()
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    # ---- HTTP --------------------------------------------------------------------------

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # noqa: S101 - a stream callback runs in a task
        self._tasks.add(task)
        conn, hosts, graceful = self.stats.connection_opened(), set[str](), False
        try:
            async with asyncio.timeout(self.idle_timeout):
                first = await reader.read(1)
            if first == b"\x16":  # a TLS ClientHello: this server speaks plain HTTP only
                self.stats.tls_attempt()
            elif first:
                await self._requests(first, reader, writer, conn, hosts)
            graceful = True
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except asyncio.CancelledError:
            pass  # stop(): end quietly (asyncio.streams reports a cancelled callback task)
        finally:
            self.stats.connection_closed(hosts)
            if graceful:  # flush what is buffered, then FIN
                writer.close()
                with contextlib.suppress(ConnectionError, TimeoutError, asyncio.CancelledError):
                    async with asyncio.timeout(self.idle_timeout):
                        await writer.wait_closed()
            writer.transport.abort()
            self._tasks.discard(task)

    async def _requests(
        self,
        head: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        conn: int,
        hosts: set[str],
    ) -> None:
        """Serve requests on one connection until it closes or must close."""
        while True:
            try:
                async with asyncio.timeout(self.idle_timeout):
                    head += await reader.readuntil(b"\r\n\r\n")
            except asyncio.LimitOverrunError:
                await self._send(writer, "GET", Response(431, b"", None), keep=False)
                return
            parsed, head = parse_head(head), b""
            if parsed is None:
                await self._send(writer, "GET", Response(400, b"", None), keep=False)
                return
            version, request = parsed
            length = request.headers.get("content-length", "0")
            if "transfer-encoding" in request.headers or not length.isdigit():
                refusal = Response(501, b"", None)
            elif int(length) > _MAX_BODY:
                refusal = Response(413, b"", None)
            else:
                await reader.readexactly(int(length))
                refusal = None
            if refusal is not None:
                await self._send(writer, request.method, refusal, keep=False)
                return
            if request.host not in hosts:
                hosts.add(request.host)
                self.stats.connection_uses(request.host)
            response = self._route(request)
            hit = Hit(
                time.monotonic(),
                request.host,
                request.target,
                request.method,
                response.status,
                conn,
                request.client,
            )
            number, done = self.stats.started(hit), False
            http11 = version == "HTTP/1.1"
            keep = http11 and request.headers.get("connection", "").lower() != "close"
            try:
                await _pause(response.delay, reader)
                keep = await self._send(writer, request.method, response, keep=keep, chunk=http11)
                done = not response.close
            finally:
                self.stats.finished(number, hit, done=done)
            if not keep:
                return

    def _route(self, request: Request) -> Response:
        if request.path == "/robots.txt" and request.host in self.robots:
            return robots_response(self.robots[request.host])
        route = self.routes.get(request.host)
        if route is None:
            page = html_page(f"Host {request.host} is not part of the test web")
            return Response(404, page, headers=[("X-Test-Web", "unknown-host")])
        try:
            return route.handle(request)
        except Exception as exc:  # noqa: BLE001 - a handler bug must not kill the server
            return Response(500, html_page(f"handler error: {exc!r}"))

    @staticmethod
    async def _send(
        writer: asyncio.StreamWriter,
        method: str,
        resp: Response,
        *,
        keep: bool,
        chunk: bool = True,
    ) -> bool:
        """Write ``resp`` (chunked if its length is unknown and ``chunk``, else up to the
        close); return whether the connection may carry another request."""
        body = resp.body
        headers = [("Server", "backlinks-test-web"), ("Date", formatdate(usegmt=True))]
        if resp.content_type:
            headers.append(("Content-Type", resp.content_type))
        headers += resp.headers
        length = len(body) if isinstance(body, bytes) else resp.length
        chunked = length is None and chunk
        if length is not None:
            headers.append(("Content-Length", str(length)))
        elif chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        keep = keep and not resp.close and (length is not None or chunked)
        headers.append(("Connection", "keep-alive" if keep else "close"))
        try:
            reason = HTTPStatus(resp.status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [f"HTTP/1.1 {resp.status} {reason}", *(f"{k}: {v}" for k, v in headers)]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if isinstance(body, bytes):
            writer.write(head if method == "HEAD" else head + body)
        else:
            writer.write(head)
            try:
                if method != "HEAD":
                    async for part in body:
                        if part:
                            writer.write(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
                            await writer.drain()
                    if chunked and not resp.close:
                        writer.write(b"0\r\n\r\n")
            finally:
                aclose = getattr(body, "aclose", None)
                if aclose is not None:
                    await aclose()
        await writer.drain()
        return keep


async def _pause(seconds: float, reader: asyncio.StreamReader) -> None:
    """Sleep ``seconds`` before answering, unless the client hangs up first (so a client
    that timed out stops counting as a request in flight)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while (left := end - loop.time()) > 0:
        if reader.at_eof():
            raise ConnectionResetError("client closed the connection while waiting")
        await asyncio.sleep(min(left, 0.05))


def serve_web(
    web: SynthWeb | None = None,
    *,
    extras: bool = True,
    host: str = "127.0.0.1",
    port: int = 0,
    scheme: str = "http",
    robots: Mapping[str, RobotsRule] | None = None,
    big_pages: int = 20_000,
    big_hosts: int = 1,
) -> TestWeb:
    """A started :class:`TestWeb` (use it as a context manager to stop it): the hosts of
    ``web`` (none when None) and, with ``extras``, ``trap.test`` and ``big.test``."""
    return TestWeb(
        web,
        extras=extras,
        host=host,
        port=port,
        scheme=scheme,
        robots=robots,
        big_pages=big_pages,
        big_hosts=big_hosts,
    ).start()


def main(argv: list[str] | None = None) -> None:
    """``python -m backlinks.demo.server``: serve the default synthetic web until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--big-pages", type=int, default=20_000)
    parser.add_argument("--big-hosts", type=int, default=1)
    args = parser.parse_args(argv)
    web = generate_web(args.seed)
    with serve_web(web, port=args.port, big_pages=args.big_pages, big_hosts=args.big_hosts) as srv:
        sys.stdout.write(f"serving {len(srv.hosts)} hosts on {srv.base_url} (Ctrl-C stops)\n")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
