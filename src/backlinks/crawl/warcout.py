"""The crawl's own WARC files: a ``request`` and a ``response`` record per fetch.

Records are gzip members appended one at a time and flushed, so a killed crawl leaves at
most one torn record at the end of the current file (our reader reports it as truncated);
a resumed crawl starts a new file instead of appending after it.
"""

from __future__ import annotations

import gzip
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO

from backlinks.crawl.fetch import Fetched
from backlinks.demo.warcwrite import warc_record

_ROTATE_BYTES = 1 << 30


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WarcOut:
    """Appends fetches to ``DIR/<prefix>-<n>.warc.gz``, rotating at 1 GiB."""

    def __init__(self, folder: str | Path, prefix: str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self._fh: BinaryIO | None = None
        self.records = 0

    def _open(self) -> BinaryIO:
        if self._fh is None or self._fh.tell() > _ROTATE_BYTES:
            if self._fh is not None:
                self._fh.close()
            n = 0
            while (self.folder / f"{self.prefix}-{n:05d}.warc.gz").exists():
                n += 1
            path = self.folder / f"{self.prefix}-{n:05d}.warc.gz"
            self._fh = path.open("ab")
            info = b"software: backlinks crawler\r\nformat: WARC File Format 1.0\r\n"
            self._write(
                [
                    ("WARC-Type", "warcinfo"),
                    ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
                    ("WARC-Date", _date(datetime.now(UTC).timestamp())),
                    ("WARC-Filename", path.name),
                    ("Content-Type", "application/warc-fields"),
                ],
                info,
            )
        return self._fh

    def _write(self, fields: list[tuple[str, str]], block: bytes) -> None:
        assert self._fh is not None  # noqa: S101 - opened by _open
        self._fh.write(gzip.compress(warc_record(fields, block), compresslevel=6, mtime=0))
        self.records += 1

    def write(self, fetched: Fetched) -> None:
        """Record one fetch (request + response; nothing for a fetch without a response)."""
        if fetched.status is None:
            return
        self._open()
        date = _date(fetched.started)
        target = fetched.url
        path = target.split("//", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        req_lines = [f"GET {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in fetched.request_headers]
        request = ("\r\n".join(req_lines) + "\r\n\r\n").encode("latin-1", "replace")
        req_id = f"<urn:uuid:{uuid.uuid4()}>"
        self._write(
            [
                ("WARC-Type", "request"),
                ("WARC-Record-ID", req_id),
                ("WARC-Date", date),
                ("WARC-Target-URI", target),
                ("Content-Type", "application/http; msgtype=request"),
            ],
            request,
        )
        try:
            reason = HTTPStatus(fetched.status).phrase
        except ValueError:
            reason = ""
        head = [f"HTTP/1.1 {fetched.status} {reason}".rstrip()]
        for key, value in fetched.headers:
            if key.lower() in ("transfer-encoding", "content-length"):
                continue  # the block holds the body as received, de-chunked
            head.append(f"{key}: {value}")
        head.append(f"Content-Length: {len(fetched.raw)}")
        block = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace") + fetched.raw
        fields = [
            ("WARC-Type", "response"),
            ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
            ("WARC-Date", date),
            ("WARC-Target-URI", target),
            ("WARC-Concurrent-To", req_id),
            ("Content-Type", "application/http; msgtype=response"),
        ]
        if fetched.truncated:
            fields.append(("WARC-Truncated", fetched.truncated))
        self._write(fields, block)
        assert self._fh is not None  # noqa: S101
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
