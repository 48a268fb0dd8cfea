"""Robust iteration over WARC files: every readable record, with its byte offset, and a
:class:`~backlinks.records.Skipped` for every region that could not be read.

fastwarc stops at the first corrupt gzip member or malformed header. This module restarts it
at the next plausible record start (a gzip member that inflates to ``WARC/``, or a
``WARC/1.x`` line in a plain file), so one bad record never costs the rest of the file. A
record whose payload is shorter than its declared length (a truncated file) is reported,
not kept.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from fastwarc.warc import ArchiveIterator, WarcRecordType

from backlinks.records import Skipped

GZIP_MAGIC: Final = b"\x1f\x8b\x08"
_SCAN_BLOCK: Final = 1 << 20
_WANTED: Final = (
    WarcRecordType.response
    | WarcRecordType.resource
    | WarcRecordType.metadata
    | WarcRecordType.revisit
    | WarcRecordType.request
    | WarcRecordType.warcinfo
    | WarcRecordType.conversion
)


@dataclass(slots=True)
class RawRecord:
    """A WARC record read whole: its offset in the file, type, headers and payload."""

    offset: int
    record: Any  # fastwarc WarcRecord, with HTTP headers parsed when it is an HTTP record
    payload: bytes


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(3) == GZIP_MAGIC


def _plausible_gzip_member(fh: IO[bytes], offset: int) -> bool:
    fh.seek(offset)
    head = fh.read(65536)
    try:
        text = zlib.decompressobj(31).decompress(head, 16)
    except zlib.error:
        return False
    return text.startswith(b"WARC/")


def next_record_start(fh: IO[bytes], after: int, gz: bool) -> int | None:
    """Offset of the first plausible record start strictly after ``after``, or None."""
    pos = after + 1
    needle = GZIP_MAGIC if gz else b"WARC/1."
    while True:
        fh.seek(pos)
        block = fh.read(_SCAN_BLOCK + len(needle))
        if len(block) < len(needle):
            return None
        idx = block.find(needle)
        while idx >= 0:
            cand = pos + idx
            if gz:
                if _plausible_gzip_member(fh, cand):
                    return cand
            elif (
                cand == 0
                or block[idx - 1 : idx] == b"\n"
                or (idx == 0 and _prev_is_newline(fh, cand))
            ):
                return cand
            idx = block.find(needle, idx + 1)
        if len(block) < _SCAN_BLOCK + len(needle):
            return None
        pos += _SCAN_BLOCK


def _prev_is_newline(fh: IO[bytes], offset: int) -> bool:
    fh.seek(offset - 1)
    return fh.read(1) == b"\n"


def _describe(exc: BaseException, fh: IO[bytes], offset: int, gz: bool) -> tuple[str, str]:
    """A short reason key and a human detail for a failure at ``offset``."""
    detail = str(exc) or type(exc).__name__
    if "Gzip" in detail or "decompress" in detail.lower():
        return "corrupt_gzip", detail
    fh.seek(offset)
    head = fh.read(4096)
    if gz:
        try:
            head = zlib.decompressobj(31).decompress(head, 64)
        except zlib.error:
            return "corrupt_gzip", detail
    if head.startswith(b"filedesc://"):
        return "unsupported_arc", "ARC (pre-WARC) format is not supported; convert it to WARC"
    return "bad_record", detail


def _plain_record_end(fh: IO[bytes], offset: int, block_len: int) -> int:
    """Where the next record should start after the plain record at ``offset``."""
    fh.seek(offset)
    head = fh.read(65536)
    crlf, lf = head.find(b"\r\n\r\n"), head.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        body = offset + crlf + 4
    elif lf >= 0:
        body = offset + lf + 2
    elif len(head) < 65536:
        return offset + len(head)  # a header block cut short by the end of the file
    else:
        return offset + 1
    end = body + block_len
    fh.seek(end)
    tail = fh.read(64)
    return end + (len(tail) - len(tail.lstrip(b"\r\n")))


def _gap(scan: IO[bytes], prev: int | None, prev_len: int, nxt: int) -> int | None:
    """Start of unreadable bytes between a plain record at ``prev`` and the next at ``nxt``."""
    if prev is None:
        return None
    end = _plain_record_end(scan, prev, prev_len)
    return end if end < nxt else None


def iter_raw_records(path: Path, start_offset: int = 0) -> Iterator[RawRecord | Skipped]:
    """Yield every record of a WARC file from ``start_offset`` on, with skips for bad ones.

    Gzip files are read strictly (a bad member raises and we resynchronise); plain files are
    read leniently (LF-only headers occur in hand-made WARCs) and any bytes the lenient
    parser passes over between records are reported as a gap.
    """
    gz = is_gzip(path)
    src = str(path)
    size = path.stat().st_size
    with path.open("rb", buffering=0) as fh, path.open("rb") as scan:
        resume = start_offset
        while True:
            fh.seek(resume)
            last_ok: int | None = None
            last_len = 0
            last_bad = False
            current: int | None = None
            try:
                iterator = ArchiveIterator(
                    fh,
                    record_types=_WANTED,
                    parse_http=True,
                    auto_decode="none",
                    quirks_mode=not gz,
                    fsspec_args=False,
                )
                for rec in iterator:
                    current = rec.stream_pos  # absolute: fastwarc counts from the start of the file
                    if not gz:
                        gap = _gap(scan, last_ok, last_len, current)
                        if gap is not None and not last_bad:  # a bad length's block: reported
                            yield Skipped(
                                src, gap, "bad_record", "unparseable bytes between records"
                            )
                    payload = rec.reader.read()
                    declared = rec.content_length
                    if rec.headers.get("Content-Length") is not None and _block_length(rec) < 0:
                        yield Skipped(
                            src,
                            current,
                            "bad_record",
                            "unparseable Content-Length "
                            + repr(str(rec.headers.get("Content-Length"))[:40]),
                        )
                    elif rec.headers.get("Content-Length") is None:
                        # fastwarc accepts a header block cut short (at the end of a truncated
                        # file) as a record with an empty block; a real record has a length.
                        yield Skipped(
                            src, current, "truncated", "WARC header block without Content-Length"
                        )
                    elif declared is not None and len(payload) < declared:
                        yield Skipped(
                            src,
                            current,
                            "truncated",
                            f"payload has {len(payload)} of {declared} declared bytes",
                        )
                    else:
                        yield RawRecord(current, rec, payload)
                    last_ok, current = current, None
                    last_len = max(_block_length(rec), 0)
                    last_bad = _block_length(rec) < 0
                if not gz and last_ok is not None:
                    end = _plain_record_end(scan, last_ok, last_len)
                    if end < size and not last_bad:
                        yield Skipped(src, end, "bad_record", "unparseable bytes after last record")
                elif last_ok is None and resume == start_offset and size > start_offset:
                    yield Skipped(src, resume, "bad_record", "no WARC record found")
                return
            except (OSError, ValueError, UnicodeError) as exc:
                if current is not None:
                    bad_at = current
                elif last_ok is None:
                    bad_at = resume
                elif gz:
                    member_end = _member_end(scan, last_ok)
                    nxt_member = next_record_start(scan, last_ok, gz)
                    if member_end is not None and nxt_member == member_end:
                        # The next member is intact where the last record's member ends: the
                        # failure was the tail of that member (e.g. after a bad
                        # Content-Length, already reported). Go on there; a bad next member
                        # fails again before yielding and is reported at its own offset.
                        resume = nxt_member
                        continue
                    bad_at = member_end if member_end is not None else last_ok + 1
                else:
                    bad_at = _plain_record_end(scan, last_ok, last_len)
                reason, detail = _describe(exc, scan, bad_at, gz)
                yield Skipped(src, bad_at, reason, detail)
                nxt = next_record_start(scan, bad_at, gz)
                if nxt is None:
                    return
                resume = nxt


def _member_end(fh: IO[bytes], offset: int) -> int | None:
    """Where the gzip member starting at ``offset`` ends (the first byte after the last good
    record's member is where the unreadable bytes start), or None if it does not inflate."""
    fh.seek(offset)
    inflater = zlib.decompressobj(31)
    pos = offset
    try:
        while not inflater.eof:
            chunk = fh.read(_SCAN_BLOCK)
            if not chunk:
                return None
            pos += len(chunk)
            while chunk and not inflater.eof:  # bounded output: a bomb cannot fill memory
                inflater.decompress(chunk, _SCAN_BLOCK)
                chunk = inflater.unconsumed_tail
    except zlib.error:
        return None
    return pos - len(inflater.unused_data)


def _block_length(rec: Any) -> int:
    """The declared block length; -1 when the header is not a number."""
    try:
        return int(str(rec.headers.get("Content-Length") or 0).strip())
    except ValueError:
        return -1


def scan_next(fh: IO[bytes], after: int, needle: bytes) -> int | None:
    """Offset of the next occurrence of ``needle`` strictly after ``after``."""
    pos = after + 1
    while True:
        fh.seek(pos)
        block = fh.read(_SCAN_BLOCK + len(needle))
        idx = block.find(needle)
        if idx >= 0:
            return pos + idx
        if len(block) < _SCAN_BLOCK + len(needle):
            return None
        pos += _SCAN_BLOCK
