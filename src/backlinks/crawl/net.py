"""The crawler's one network seam: name resolution, address safety and the HTTP transport.

Every connection goes through :class:`GuardedBackend`, which resolves the host itself (or
takes a curl-style ``--resolve`` mapping, which is trusted: it is the user's own), refuses
private, loopback, link-local and other special addresses unless allowed — IP literals and
``localhost`` in URLs included — and only then opens the socket. Because the check sits
under the connection pool, it applies to every request — redirects included — and cannot be
side-stepped by DNS tricks between check and connect (we connect to the address we checked).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpcore
import httpx


class BlockedAddress(httpcore.ConnectError):
    """The host resolves to an address the crawler must not contact."""


def is_public(address: str) -> bool:
    """True for globally routable unicast addresses."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def parse_resolve(items: Iterable[str]) -> dict[str, str]:
    """``HOST=ADDRESS`` options (ADDRESS is ``ip`` or ``ip:port``; HOST ``*`` for all)."""
    out: dict[str, str] = {}
    for item in items:
        host, sep, address = item.partition("=")
        if not sep or not host or not address:
            raise ValueError(f"--resolve wants HOST=ADDRESS, got {item!r}")
        out[host.strip().lower()] = address.strip()
    return out


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An anyio network backend with our resolver and the address policy in front."""

    def __init__(self, resolve: dict[str, str], allow_private: bool) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolve = resolve
        self._allow_private = allow_private

    async def _address(self, host: str, port: int) -> tuple[str, int]:
        """Where to connect. ``--resolve`` maps *names* and is trusted (it is the user's own
        staging or test mapping); an IP literal or ``localhost`` in a URL is never mapped and
        is checked like any resolved address."""
        literal = _is_ip(host) or host.lower().rstrip(".") in ("localhost", "localhost.localdomain")
        mapped = None if literal else self._resolve.get(host.lower()) or self._resolve.get("*")
        if mapped:
            if mapped.startswith("["):  # [v6]:port
                addr, _, rest = mapped[1:].partition("]")
                port_text = rest.lstrip(":")
            elif mapped.count(":") == 1:  # v4:port
                addr, port_text = mapped.split(":")
            else:  # v4 or bare v6
                addr, port_text = mapped, ""
            return addr, int(port_text) if port_text else port
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not infos:
            raise httpcore.ConnectError(f"cannot resolve {host}")
        for info in infos:
            addr = str(info[4][0])
            if self._allow_private or is_public(addr):
                return addr, port
        raise BlockedAddress(f"{host} resolves to a non-public address ({infos[0][4][0]})")

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addr, real_port = await self._address(host, port)
        trusted = (
            not _is_ip(host)
            and bool(self._resolve.get(host.lower()) or self._resolve.get("*"))
            and host.lower().rstrip(".") not in ("localhost", "localhost.localdomain")
        )
        if not self._allow_private and not trusted and not is_public(addr):
            raise BlockedAddress(f"refusing non-public address {addr} for {host}")
        return await self._inner.connect_tcp(
            addr,
            real_port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by the crawler")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@contextmanager
def _mapped(request: httpx.Request) -> Iterator[None]:
    """httpcore's exceptions as httpx's (as httpx's own transport maps them), our address
    refusal as :class:`BlockedError`."""
    try:
        yield
    except BlockedAddress as exc:
        raise BlockedError(str(exc), request=request) from exc
    except httpcore.TimeoutException as exc:
        raise httpx.TimeoutException(str(exc), request=request) from exc
    except httpcore.NetworkError as exc:
        raise httpx.NetworkError(str(exc), request=request) from exc
    except httpcore.ProtocolError as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: Any, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # errors while the body streams (a connection dropped mid-body, a read timeout)
        # must reach the caller as httpx errors too, not as raw httpcore ones
        with _mapped(self._request):
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        if hasattr(self._stream, "aclose"):
            await self._stream.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """httpx transport over an httpcore pool that uses :class:`GuardedBackend`."""

    def __init__(
        self,
        *,
        resolve: dict[str, str],
        allow_private: bool,
        http2: bool = True,
        max_connections: int = 100,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(),
            max_connections=max_connections,
            http1=True,
            http2=http2,
            network_backend=GuardedBackend(resolve, allow_private),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        req = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _mapped(request):
            resp = await self._pool.handle_async_request(req)
        return httpx.Response(
            status_code=resp.status,
            headers=resp.headers,
            stream=_Body(resp.stream, request),
            extensions=resp.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class BlockedError(httpx.ConnectError):
    """A request refused by the address policy (reported as ``blocked_address``)."""
