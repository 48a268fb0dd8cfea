"""Decoding of archived HTTP payloads: chunked transfer coding and content codings.

fastwarc parses the HTTP header block; we decode the body ourselves with
``auto_decode="none"`` so that a truncated record is still recognisable by its length.
"""

from __future__ import annotations

import zlib
from typing import Final

_MAX_DECODED: Final = 64 * 1024 * 1024  # a decompression bomb stops here


class PayloadError(ValueError):
    """The HTTP body could not be decoded (bad chunking, corrupt compression)."""


def dechunk(body: bytes) -> bytes:
    """Undo HTTP/1.1 chunked transfer coding; tolerant of a missing final chunk."""
    out = bytearray()
    pos = 0
    while pos < len(body):
        eol = body.find(b"\n", pos)
        if eol < 0:
            break
        size_text = body[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as exc:
            raise PayloadError(f"bad chunk size {size_text[:20]!r}") from exc
        if size == 0:
            break
        start = eol + 1
        out += body[start : start + size]
        pos = start + size
        if body[pos : pos + 2] == b"\r\n":
            pos += 2
        elif body[pos : pos + 1] == b"\n":
            pos += 1
    return bytes(out)


def decompress(body: bytes, coding: str) -> bytes:
    """Undo a ``Content-Encoding`` (gzip, deflate, br); unknown codings pass through."""
    coding = coding.strip().lower()
    if coding in ("", "identity", "none"):
        return body
    try:
        if coding in ("gzip", "x-gzip"):
            return zlib.decompressobj(47).decompress(body, _MAX_DECODED)
        if coding == "deflate":
            try:
                return zlib.decompressobj().decompress(body, _MAX_DECODED)
            except zlib.error:
                return zlib.decompressobj(-15).decompress(body, _MAX_DECODED)
    except zlib.error as exc:
        raise PayloadError(f"corrupt {coding} content: {exc}") from exc
    if coding == "br":
        return _brotli(body)
    return body


def _brotli(body: bytes) -> bytes:
    import io  # noqa: PLC0415 - only for the rare brotli case

    from fastwarc.stream_io import BrotliReader  # noqa: PLC0415

    try:
        reader = BrotliReader(io.BytesIO(body), fsspec_args=False)
        return bytes(reader.read(_MAX_DECODED))
    except (OSError, ValueError) as exc:
        raise PayloadError(f"corrupt br content: {exc}") from exc


def decode_body(body: bytes, transfer_encoding: str | None, content_encoding: str | None) -> bytes:
    """The entity body as the server meant it: dechunked, then decompressed."""
    if transfer_encoding and "chunked" in transfer_encoding.lower():
        body = dechunk(body)
    if content_encoding:
        for coding in reversed(content_encoding.split(",")):
            body = decompress(body, coding)
    return body
