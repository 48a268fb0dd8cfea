"""One HTTP fetch with every limit a hostile server calls for.

The body is read raw (as sent) under a wire-size cap, a time-to-first-byte and a total
deadline, then decoded under a decoded-size cap, so a gzip or brotli bomb costs at most
``max_decoded_bytes`` of memory. Redirects are not followed here: the crawler records each
hop as a page with ``redirect_to`` and queues the target like any other link.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from dataclasses import dataclass, field
from typing import Final

import httpx

from backlinks.crawl.config import CrawlConfig
from backlinks.crawl.net import BlockedError

_CHUNK: Final = 64 * 1024


@dataclass(slots=True)
class Fetched:
    """A response (or the reason there is none)."""

    url: str
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    raw: bytes = b""  # as on the wire (content-coding kept), for the WARC
    body: bytes = b""  # decoded
    http_version: str = "HTTP/1.1"
    error: str | None = None  # reason key when there is no usable response
    detail: str = ""
    truncated: str | None = None  # WARC-Truncated reason: length | time
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    started: float = 0.0
    seconds: float = 0.0

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


class DecodeLimitError(ValueError):
    """Decoding would exceed the decoded-size cap (a decompression bomb)."""


def decode(raw: bytes, coding: str | None, limit: int) -> bytes:
    """Undo Content-Encoding (gzip, deflate, br, chained) without exceeding ``limit``."""
    data = raw
    for coding_name in reversed(
        [t.strip().lower() for t in (coding or "").split(",") if t.strip()]
    ):
        token = coding_name
        if token in ("identity", "none"):
            continue
        if token in ("gzip", "x-gzip", "deflate"):
            inflater = zlib.decompressobj(47 if token != "deflate" else zlib.MAX_WBITS)
            try:
                out = inflater.decompress(data, limit + 1)
            except zlib.error:
                if token != "deflate":
                    raise
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                out = inflater.decompress(data, limit + 1)
        elif token == "br":
            import brotli  # type: ignore[import-untyped]  # noqa: PLC0415

            dec = brotli.Decompressor()
            out = dec.process(data, output_buffer_limit=limit + 1)
        else:
            return data  # unknown coding: keep the bytes
        if len(out) > limit:
            raise DecodeLimitError(f"{token} content inflates past {limit:,} bytes")
        data = out
    return data


async def fetch(client: httpx.AsyncClient, url: str, cfg: CrawlConfig) -> Fetched:
    """GET ``url`` (no redirects followed) within the limits of ``cfg``."""
    result = Fetched(url=url, started=time.time())
    t0 = time.monotonic()
    headers = {"User-Agent": cfg.user_agent, "Accept-Encoding": "gzip, deflate, br"}
    try:
        async with asyncio.timeout(cfg.total_timeout):
            request = client.build_request("GET", url, headers=headers)
            result.request_headers = [(k.decode(), v.decode()) for k, v in request.headers.raw]
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                result.status = response.status_code
                result.http_version = response.http_version
                result.headers = [
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
                ]
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_raw(_CHUNK):
                    size += len(chunk)
                    if size > cfg.max_response_bytes:
                        result.truncated = "length"
                        result.error, result.detail = (
                            "too_large",
                            f"over {cfg.max_response_bytes:,} bytes",
                        )
                        break
                    chunks.append(chunk)
                result.raw = b"".join(chunks)
            finally:
                await response.aclose()
    except TimeoutError:
        result.error, result.detail = "timeout", f"over {cfg.total_timeout:g}s"
        result.truncated = "time" if result.status is not None else None
    except BlockedError as exc:
        result.error, result.detail = "blocked_address", str(exc)
    except httpx.TimeoutException as exc:
        result.error, result.detail = "timeout", str(exc) or "time to first byte"
    except httpx.HTTPError as exc:
        result.error, result.detail = "unreachable", f"{type(exc).__name__}: {exc}"
    except (OSError, ValueError) as exc:
        result.error, result.detail = "unreachable", f"{type(exc).__name__}: {exc}"
    result.seconds = time.monotonic() - t0
    if result.status is not None and result.error is None:
        try:
            result.body = decode(
                result.raw, result.header("Content-Encoding"), cfg.max_decoded_bytes
            )
        except DecodeLimitError as exc:
            result.error, result.detail = "decompression_bomb", str(exc)
        except (zlib.error, OSError, ValueError) as exc:
            result.error, result.detail = "bad_encoding", str(exc)
    return result
