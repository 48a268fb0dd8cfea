"""Streamed bodies for the hostile endpoints of the test web: decompression bombs, a huge
page and a dripping body, all generated lazily so the server holds at most one chunk.

The gzip bomb repeats one precomputed deflate segment: 1 MiB of zero bytes compressed and
ended with a *full flush*, which makes the segment byte-aligned, non-final and free of
back-references to earlier data, so any number of copies form one valid deflate stream. The
gzip trailer's CRC-32 of many copies is computed with the CRC combination algorithm (the
GF(2) matrix method zlib's ``crc32_combine`` uses), so the stream is valid to its last byte
without ever inflating it.
"""

from __future__ import annotations

import asyncio
import importlib
import struct
import zlib
from collections.abc import AsyncIterator
from functools import cache
from typing import Any, Final

__all__ = [
    "BOMB_BLOCK",
    "brotli_bomb",
    "brotli_module",
    "crc32_combine",
    "drip",
    "gzip_bomb",
    "huge_page",
]

#: Uncompressed size of one bomb segment (the filler is zero bytes).
BOMB_BLOCK: Final = 1 << 20
#: Target size of one write on the wire.
CHUNK: Final = 64 * 1024
_CRC_POLY: Final = 0xEDB88320  # CRC-32 (reflected)


def _gf2_apply(matrix: list[int], vector: int) -> int:
    out, i = 0, 0
    while vector:
        if vector & 1:
            out ^= matrix[i]
        vector >>= 1
        i += 1
    return out


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_apply(matrix, row) for row in matrix]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of ``A + B`` from ``crc32(A)``, ``crc32(B)`` and ``len(B)`` (bytes)."""
    if len2 <= 0:
        return crc1
    # operator that feeds one zero bit through the CRC register, squared up to one byte
    op = [_CRC_POLY] + [1 << n for n in range(31)]
    op = _gf2_square(_gf2_square(_gf2_square(op)))
    while len2:
        if len2 & 1:
            crc1 = _gf2_apply(op, crc1)
        len2 >>= 1
        if len2:
            op = _gf2_square(op)
    return crc1 ^ crc2


@cache
def _segment() -> bytes:
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return deflater.compress(bytes(BOMB_BLOCK)) + deflater.flush(zlib.Z_FULL_FLUSH)


def _repeat_crc(crc: int, length: int, times: int) -> int:
    """CRC-32 of a ``length``-byte string with CRC ``crc`` repeated ``times`` times."""
    total, have_total = 0, False
    while times:
        if times & 1:
            total = crc32_combine(total, crc, length) if have_total else crc
            have_total = True
        times >>= 1
        if times:
            crc, length = crc32_combine(crc, crc, length), length * 2
    return total


def gzip_bomb(mib: int) -> tuple[int, AsyncIterator[bytes]]:
    """A gzip member inflating to ``mib`` MiB of zero bytes: (its exact compressed size, a
    stream of it). 10 GiB is about 10 MB on the wire."""
    segment, blocks = _segment(), max(1, mib)
    ending = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # empty final block
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    crc = _repeat_crc(zlib.crc32(bytes(BOMB_BLOCK)), BOMB_BLOCK, blocks)
    trailer = struct.pack("<II", crc, (blocks * BOMB_BLOCK) & 0xFFFFFFFF)
    size = len(header) + blocks * len(segment) + len(ending) + len(trailer)

    async def stream() -> AsyncIterator[bytes]:
        yield header
        per_chunk = max(1, CHUNK // len(segment))
        left = blocks
        while left:
            n = min(per_chunk, left)
            yield segment * n
            left -= n
        yield ending + trailer

    return size, stream()


def brotli_module() -> Any | None:
    """The ``brotli`` module if it is installed (it is optional), else None."""
    try:
        return importlib.import_module("brotli")
    except ImportError:
        return None


def brotli_bomb(mib: int, brotli: Any) -> AsyncIterator[bytes]:
    """A brotli stream inflating to ``mib`` MiB of zero bytes, compressed as it is sent
    (brotli streams cannot be spliced from copies); about 200 bytes per MiB."""

    async def stream() -> AsyncIterator[bytes]:
        compressor = brotli.Compressor(quality=1, lgwin=24)
        zeros = bytes(BOMB_BLOCK)
        for i in range(max(1, mib)):
            out = compressor.process(zeros)
            if i % 16 == 15:
                yield out + compressor.flush()
                await asyncio.sleep(0)  # ~3 ms of CPU per flush: let other clients in
            elif out:
                yield out
        yield compressor.finish()

    return stream()


def huge_page(mib: int, link_prefix: str = "/huge/item/") -> AsyncIterator[bytes]:
    """An HTML page of about ``mib`` MiB, one link per line (``link_prefix`` + a counter),
    generated chunk by chunk."""

    async def stream() -> AsyncIterator[bytes]:
        target = max(1, mib) << 20
        sent, i = 0, 0
        head = b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Huge</title></head>'
        yield head + b"<body><h1>Huge</h1><ul>\n"
        sent += len(head) + 24
        while sent < target:
            lines = [
                f'<li><a href="{link_prefix}{n}">item {n}</a></li>\n'
                for n in range(i, i + CHUNK // 48)
            ]
            i += len(lines)
            chunk = "".join(lines).encode()
            sent += len(chunk)
            yield chunk
        yield b"</ul></body></html>\n"

    return stream()


def drip(body: bytes, pieces: int, interval: float) -> AsyncIterator[bytes]:
    """``body`` in ``pieces`` parts, ``interval`` seconds apart (a slow body)."""

    async def stream() -> AsyncIterator[bytes]:
        step = max(1, -(-len(body) // max(1, pieces)))
        for start in range(0, len(body), step):
            if start:
                await asyncio.sleep(interval)
            yield body[start : start + step]

    return stream()
