"""Damaged archives: each corruption costs the damaged record and nothing else.

Corrupted copies of a synthetic gzip WARC and of a real Common Crawl WARC are written to
``tmp_path``; record boundaries are found here independently (gzip members with ``zlib``,
WARC headers with a regex), so the expected offsets do not come from the reader under test.
For every case the ingest completes, the damage is in ``skipped`` with the file's path, the
damaged record's offset and a reason, and every other page is kept.
"""

from __future__ import annotations

import gzip
import random
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

import backlinks
from backlinks.demo import generate_web, write_warc
from backlinks.demo.warcwrite import warc_record
from backlinks.ingest import IngestReport
from backlinks.urls import canonicalize
from datapaths import SHARED_DATA

SAMPLE = SHARED_DATA / "warc-samples/commoncrawl-2020/warcfile.warc.gz"
_FIELD = re.compile(rb"^([A-Za-z-]+):[ \t]*(.*?)\r?$", re.M)


@dataclass(frozen=True)
class Rec:
    """A record of the clean file: where its gzip member (or plain bytes) starts and ends."""

    offset: int
    end: int
    kind: str
    url: str | None  # canonical target of a response/resource record (a page), else None


@dataclass
class Source:
    name: str
    gz: bytes
    recs: list[Rec]  # offsets in the gzip file
    plain: bytes
    plain_recs: list[Rec]  # offsets in the uncompressed file

    @property
    def pages(self) -> Counter[str]:
        return Counter(r.url for r in self.recs if r.url is not None)

    def page_index(self, fraction: float) -> int:
        """Index of a page record about ``fraction`` of the way through the file."""
        pages = [i for i, r in enumerate(self.recs) if r.url is not None]
        return pages[int(len(pages) * fraction)]


def _describe(record: bytes) -> tuple[str, str | None]:
    head = record.split(b"\r\n\r\n", 1)[0]
    fields = {k.decode().lower(): v.decode() for k, v in _FIELD.findall(head)}
    kind = fields.get("warc-type", "")
    uri = fields.get("warc-target-uri", "").strip("<>")
    page = kind in ("response", "resource") and uri.startswith(("http://", "https://"))
    return kind, canonicalize(uri) if page else None


def _split(gz: bytes, name: str) -> Source:
    """Cut a record-at-a-time gzip WARC into its members, and build its plain twin."""
    recs, plain_recs, plain = [], [], b""
    pos = 0
    while pos < len(gz):
        inflater = zlib.decompressobj(31)
        record = inflater.decompress(gz[pos:])
        end = len(gz) - len(inflater.unused_data)
        kind, url = _describe(record)
        recs.append(Rec(pos, end, kind, url))
        plain_recs.append(Rec(len(plain), len(plain) + len(record), kind, url))
        plain += record
        pos = end
    return Source(name, gz, recs, plain, plain_recs)


@pytest.fixture(scope="module", params=["synthetic", "commoncrawl-2020"])
def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Source:
    if request.param == "synthetic":
        path = tmp_path_factory.mktemp("synth") / "synth.warc.gz"
        write_warc(generate_web(5, sites=8).pages, path)
        return _split(path.read_bytes(), "synthetic")
    if not SAMPLE.exists():
        pytest.skip(f"shared test data not present: {SAMPLE}")
    return _split(SAMPLE.read_bytes(), "commoncrawl-2020")


@dataclass
class Result:
    report: IngestReport
    pages: Counter[str]
    skips: list[tuple[int, str, str]]  # offset, reason, detail


def ingest_file(path: Path, tmp_path: Path) -> Result:
    db = tmp_path / f"{path.name}.duckdb"
    with backlinks.open(db) as index:
        report = index.ingest(path)
        pages = Counter(index.sql("SELECT url FROM pages")["url"])
        skipped = index.sql('SELECT path, "offset", reason, detail FROM skipped ORDER BY 2')
        done = index.sql("SELECT done FROM source_files")["done"].tolist()
    # The ingest completed and recorded where every skip came from.
    assert report.problems == []
    assert [f.status for f in report.files] == ["ingested"]
    assert done == [True]
    assert set(skipped["path"]) <= {str(path)}
    assert all(skipped["reason"].str.len() > 0)
    skips = [(int(o), str(r), str(d)) for o, r, d in skipped[["offset", "reason", "detail"]].values]
    assert sum(report.skipped.values()) == len(skips)
    return Result(report, pages, skips)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_clean_files_lose_nothing(source: Source, tmp_path: Path) -> None:
    assert sum(source.pages.values()) >= 10
    for name, data in (("clean.warc.gz", source.gz), ("clean.warc", source.plain)):
        got = ingest_file(_write(tmp_path, name, data), tmp_path)
        assert got.skips == []
        assert got.pages == source.pages


def test_garbage_inside_one_gzip_member(source: Source, tmp_path: Path) -> None:
    k = source.page_index(0.5)
    rec = source.recs[k]
    data = bytearray(source.gz)
    mid = (rec.offset + rec.end) // 2
    data[mid : mid + 64] = random.Random(k).randbytes(64)
    got = ingest_file(_write(tmp_path, "garbled.warc.gz", bytes(data)), tmp_path)
    assert [s[0] for s in got.skips] == [rec.offset]
    assert got.pages == source.pages - Counter([rec.url])


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip", "plain"])
def test_truncated_mid_record(source: Source, tmp_path: Path, compressed: bool) -> None:
    recs = source.recs if compressed else source.plain_recs
    data = source.gz if compressed else source.plain
    rng = random.Random(f"{source.name}-{compressed}")
    for trial in range(4):
        k = rng.randrange(1, len(recs))
        rec = recs[k]
        cut = rec.offset + int((rec.end - rec.offset) * rng.uniform(0.1, 0.9))
        path = _write(tmp_path, f"cut-{trial}.warc{'.gz' if compressed else ''}", data[:cut])
        got = ingest_file(path, tmp_path)
        assert [s[0] for s in got.skips] == [rec.offset], f"cut at {cut} in record {k}"
        assert got.pages == Counter(r.url for r in recs[:k] if r.url is not None)
        if rec.url is not None and compressed is False and cut > rec.offset + 1024:
            assert got.skips[0][1] == "truncated"


@pytest.mark.parametrize(
    "junk",
    [b"garbage between records\r\n", b"\x00\xff\x1f\x8b binary\r\n\r\n"],
    ids=["line", "bytes"],
)
def test_garbage_between_plain_records(source: Source, tmp_path: Path, junk: bytes) -> None:
    k = source.page_index(0.3)
    at = source.plain_recs[k].offset
    data = source.plain[:at] + junk + source.plain[at:]
    got = ingest_file(_write(tmp_path, "junk-between.warc", data), tmp_path)
    assert [s[0] for s in got.skips] == [at]
    assert got.pages == source.pages  # no record was damaged, none is lost


def _bad_version(record: bytes) -> bytes:
    assert record.startswith(b"WARC/1.")
    return b"WXRC" + record[4:]


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip", "plain"])
def test_bad_warc_header(source: Source, tmp_path: Path, compressed: bool) -> None:
    k = source.page_index(0.6)
    if compressed:
        rec = source.recs[k]
        record = zlib.decompress(source.gz[rec.offset : rec.end], 31)
        member = gzip.compress(_bad_version(record), mtime=0)
        data = source.gz[: rec.offset] + member + source.gz[rec.end :]
    else:
        rec = source.plain_recs[k]
        data = (
            source.plain[: rec.offset]
            + _bad_version(source.plain[rec.offset : rec.end])
            + source.plain[rec.end :]
        )
    path = _write(tmp_path, f"bad-header.warc{'.gz' if compressed else ''}", data)
    got = ingest_file(path, tmp_path)
    assert [s[0] for s in got.skips] == [rec.offset]
    assert got.pages == source.pages - Counter([rec.url])


def _bad_length(record: bytes) -> bytes:
    return record.replace(b"Content-Length: ", b"Content-Length: x", 1)


def test_unparseable_content_length_plain(source: Source, tmp_path: Path) -> None:
    """The damaged record is reported inside its own bytes; no other record is lost."""
    k = source.page_index(0.6)
    rec = source.plain_recs[k]
    data = (
        source.plain[: rec.offset]
        + _bad_length(source.plain[rec.offset : rec.end])
        + source.plain[rec.end :]
    )
    got = ingest_file(_write(tmp_path, "bad-length.warc", data), tmp_path)
    assert len(got.skips) == 1
    assert rec.offset <= got.skips[0][0] < rec.end + 1
    others = source.pages - Counter([rec.url])
    assert got.pages - others == Counter() or got.pages - others == Counter([rec.url])
    assert others - got.pages == Counter()


def test_unparseable_content_length_gzip(source: Source, tmp_path: Path) -> None:
    k = source.page_index(0.6)
    rec = source.recs[k]
    record = zlib.decompress(source.gz[rec.offset : rec.end], 31)
    member = gzip.compress(_bad_length(record), mtime=0)
    data = source.gz[: rec.offset] + member + source.gz[rec.end :]
    got = ingest_file(_write(tmp_path, "bad-length.warc.gz", data), tmp_path)
    _assert_only_record_lost(source, k, rec.offset + len(member), got)


def _assert_only_record_lost(source: Source, k: int, end: int, got: Result) -> None:
    """One skip, inside the damaged record's bytes (``recs[k].offset`` to ``end``), and no
    other record lost."""
    rec = source.recs[k]
    assert len(got.skips) == 1
    assert rec.offset <= got.skips[0][0] < end
    others = source.pages - Counter([rec.url])
    assert others - got.pages == Counter(), "an intact page was lost"
    non_pages = sum(1 for r in source.recs if r.url is None)
    assert sum(got.report.ignored.values()) == non_pages, "an intact record was lost"


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize(
    "junk",
    [b"trailing junk\r\n" * 3, b"\x1f\x8b\x08 looks like gzip, is not"],
    ids=["text", "magic"],
)
def test_trailing_junk(source: Source, tmp_path: Path, compressed: bool, junk: bytes) -> None:
    data = source.gz if compressed else source.plain
    path = _write(tmp_path, f"trailing.warc{'.gz' if compressed else ''}", data + junk)
    got = ingest_file(path, tmp_path)
    assert [s[0] for s in got.skips] == [len(data)]
    assert got.pages == source.pages


@pytest.mark.parametrize(
    ("name", "data", "skipped_at"),
    [
        pytest.param("empty.warc.gz", b"", [], id="empty"),
        pytest.param("notes.warc", b"just some notes\n" * 200, [0], id="text"),
        pytest.param("noise.warc.gz", random.Random(3).randbytes(5000), [0], id="binary"),
        pytest.param(
            "page.warc.gz",
            gzip.compress(b"<html><a href=/x>x</a></html>\n" * 50),
            [0],
            id="gzip-html",
        ),
    ],
)
def test_empty_and_non_warc_files(
    tmp_path: Path, name: str, data: bytes, skipped_at: list[int]
) -> None:
    got = ingest_file(_write(tmp_path, name, data), tmp_path)
    assert [s[0] for s in got.skips] == skipped_at
    assert got.pages == Counter()
    assert got.report.records == len(skipped_at)


def _http(body: bytes, *extra: str) -> bytes:
    head = ["HTTP/1.1 200 OK", "Content-Type: text/html; charset=utf-8", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _response(url: str, block: bytes) -> bytes:
    fields = [
        ("WARC-Type", "response"),
        ("WARC-Target-URI", url),
        ("WARC-Date", "2024-01-02T03:04:05Z"),
        ("Content-Type", "application/http; msgtype=response"),
    ]
    return warc_record(fields, block)


def test_corrupt_content_encoding_is_bad_payload(tmp_path: Path) -> None:
    page = b'<html><body><a href="https://target.example/landing">go</a></body></html>'
    records = [
        _response("http://ok.example/", _http(page)),
        _response(
            "http://broken.example/",
            _http(b"\x1f\x8b\x08 not a gzip stream", "Content-Encoding: gzip"),
        ),
        _response("http://gzipped.example/", _http(gzip.compress(page), "Content-Encoding: gzip")),
    ]
    offsets = [sum(len(r) for r in records[:i]) for i in range(len(records))]
    for compressed in (False, True):
        data = (
            b"".join(gzip.compress(r, mtime=0) for r in records)
            if compressed
            else b"".join(records)
        )
        if compressed:
            offsets = [
                sum(len(gzip.compress(r, mtime=0)) for r in records[:i])
                for i in range(len(records))
            ]
        name = f"payloads.warc{'.gz' if compressed else ''}"
        got = ingest_file(_write(tmp_path, name, data), tmp_path)
        assert [(o, r) for o, r, _ in got.skips] == [(offsets[1], "bad_payload")]
        assert "broken.example" in got.skips[0][2]
        assert got.pages == Counter(["http://ok.example/", "http://gzipped.example/"])
        with backlinks.open(tmp_path / f"{name}.duckdb", read_only=True) as index:
            links = index.sql("SELECT src_url, dst_url FROM links ORDER BY 1")
        assert links.values.tolist() == [
            ["http://gzipped.example/", "https://target.example/landing"],
            ["http://ok.example/", "https://target.example/landing"],
        ]
