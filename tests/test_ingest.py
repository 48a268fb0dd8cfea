"""Ingest end to end: idempotency, content-addressed files and snapshots, first/last seen
across snapshots, every real sample archive, WAT links and chunked HTTP bodies.

Expected values are computed here from the inputs themselves (the synthetic pages' HTML and
fetch times, the WAT JSON, the raw HTTP bytes), not copied from a previous run.
"""

from __future__ import annotations

import json
import re
import shutil
import zlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from fastwarc.warc import ArchiveIterator, WarcRecordType
from selectolax.lexbor import LexborHTMLParser

import backlinks
from backlinks.demo import SynthPage, SynthWeb, evolve, generate_web, write_warc
from backlinks.ingest import IngestReport, ingest
from backlinks.sources.archive import iter_raw_records
from backlinks.sources.files import classify, snapshot_id_of
from backlinks.store.db import Store
from backlinks.urls import canonicalize, host_of, registrable_domain
from datapaths import SHARED_DATA

SAMPLES = SHARED_DATA / "warc-samples"
TABLES = (
    "pages",
    "links",
    "hosts",
    "domains",
    "page_text",
    "skipped",
    "source_files",
    "record_counts",
    "snapshots",
)


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared test data not present: {path}")
    return path


def dump(db: Path, *, drop: frozenset[str] = frozenset()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every ingest table, sorted; ``drop`` names ``table.column`` to leave out."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table in TABLES:
            cols = [
                r[0]
                for r in con.execute(f"DESCRIBE {table}").fetchall()
                if f"{table}.{r[0]}" not in drop
            ]
            select = ", ".join(f'"{c}"' for c in cols)
            sql = f"SELECT {select} FROM {table}"
            out[table] = sorted(con.execute(sql).fetchall(), key=repr)
        return out
    finally:
        con.close()


def run(db: Path, *paths: Path | str) -> IngestReport:
    with Store(db) as store:
        return ingest(store, [str(p) for p in paths])


@pytest.fixture(scope="module")
def webs() -> tuple[SynthWeb, SynthWeb]:
    first = generate_web(7)
    return first, evolve(first, 1)


@pytest.fixture(scope="module")
def warcs(webs: tuple[SynthWeb, SynthWeb], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("warcs")
    out = []
    for i, web in enumerate(webs):
        path = root / f"snap-{i}.warc.gz"
        write_warc(web.pages, path)
        out.append(path)
    return out


# --- idempotency and content ids --------------------------------------------------------------


def test_same_files_twice_change_nothing(warcs: list[Path], tmp_path: Path) -> None:
    db = tmp_path / "i.duckdb"
    first = run(db, *warcs)
    assert [f.status for f in first.files] == ["ingested", "ingested"]
    assert first.pages > 0
    assert first.links > 0
    before = dump(db)
    again = run(db, *warcs)
    assert [f.status for f in again.files] == ["already_ingested", "already_ingested"]
    assert (again.pages, again.links, again.records) == (0, 0, 0)
    assert again.snapshot_id == first.snapshot_id
    assert dump(db) == before  # even the wall-clock ingested_at is untouched


def test_same_content_under_another_name_is_recognised(warcs: list[Path], tmp_path: Path) -> None:
    db = tmp_path / "i.duckdb"
    run(db, warcs[0])
    before = dump(db)
    renamed = tmp_path / "renamed-copy.warc.gz"
    shutil.copyfile(warcs[0], renamed)
    report = run(db, renamed)
    assert [(f.path, f.status) for f in report.files] == [(str(renamed), "already_ingested")]
    assert dump(db) == before
    # Both names in one run: the second is the same file, seen once.
    db2 = tmp_path / "j.duckdb"
    both = run(db2, warcs[0], renamed)
    assert [f.status for f in both.files] == ["ingested", "duplicate"]
    assert dump(db2, drop=frozenset({"snapshots.source", "snapshots.ingested_at"})) == dump(
        db, drop=frozenset({"snapshots.source", "snapshots.ingested_at"})
    )
    # ... and the batch is the same snapshot as the file alone (content ids, not names).
    assert both.snapshot_id == run(tmp_path / "k.duckdb", warcs[0]).snapshot_id


def test_snapshot_id_is_independent_of_argument_order(warcs: list[Path], tmp_path: Path) -> None:
    forward = run(tmp_path / "f.duckdb", warcs[0], warcs[1])
    backward = run(tmp_path / "b.duckdb", warcs[1], warcs[0])
    assert forward.snapshot_id == backward.snapshot_id != 0
    alone = run(tmp_path / "a.duckdb", warcs[0])
    assert alone.snapshot_id != forward.snapshot_id
    drop = frozenset({"snapshots.source", "snapshots.ingested_at"})
    assert dump(tmp_path / "f.duckdb", drop=drop) == dump(tmp_path / "b.duckdb", drop=drop)


def _gzip_members(data: bytes) -> list[int]:
    starts, pos = [], 0
    while pos < len(data):
        starts.append(pos)
        inflater = zlib.decompressobj(31)
        inflater.decompress(data[pos:])
        pos = len(data) - len(inflater.unused_data)
    return starts


def test_resumed_reads_report_the_same_offsets(
    webs: tuple[SynthWeb, SynthWeb], warcs: list[Path], tmp_path: Path
) -> None:
    """A read started at a record's offset yields the offsets a full read yields from there on
    (the checkpoints of a resumed ingest are file offsets, gzip and plain alike)."""
    plain = tmp_path / "plain.warc"
    write_warc(webs[0].pages, plain, gzip=False)
    # Offsets are where records start: gzip members, found here with zlib.
    assert [r.offset for r in iter_raw_records(warcs[0])] == _gzip_members(warcs[0].read_bytes())
    for path in (warcs[0], plain):
        full = [r.offset for r in iter_raw_records(path)]
        assert len(full) == len(set(full)) > 10
        assert full == sorted(full)
        for k in (1, len(full) // 3, len(full) - 1):
            tail = [r.offset for r in iter_raw_records(path, start_offset=full[k])]
            assert tail == full[k:], f"{path.name} resumed at record {k}"


# --- snapshots and first/last seen ----------------------------------------------------------


def _naive(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)


def _links_to_domain(page: SynthPage, domain: str) -> bool:
    """Whether the page's HTML has an ``<a href>``/``<area href>`` into ``domain``."""
    head = page.html[:2048]
    declared = page.content_type.partition("charset=")[2] or (
        m.group(1).decode() if (m := re.search(rb'charset="?([\w-]+)', head)) else "utf-8"
    )
    tree = LexborHTMLParser(page.html.decode(declared, errors="replace"))
    base_node = tree.css_first("base[href]")
    base = (base_node.attributes.get("href") if base_node else None) or page.url
    base = canonicalize(base, page.url) or page.url
    for node in tree.css("a[href], area[href]"):
        href = (node.attributes.get("href") or "").strip()
        target = canonicalize(href, base) if href and not href.startswith("#") else None
        if target is not None and registrable_domain(host_of(target)) == domain:
            return True
    return False


def test_two_snapshots_give_first_and_last_seen(
    webs: tuple[SynthWeb, SynthWeb], warcs: list[Path], tmp_path: Path
) -> None:
    db = tmp_path / "two.duckdb"
    r1, r2 = run(db, warcs[0]), run(db, warcs[1])
    assert r1.snapshot_id != r2.snapshot_id
    target = webs[0].featured_host
    domain = registrable_domain(target)
    # Expected, from the synthetic pages: when each external page linking into the featured
    # site's domain was fetched, per snapshot (only 2xx HTML pages carry links).
    expected: dict[str, list[datetime]] = {}
    for web in webs:
        for page in web.pages:
            if (
                page.status == 200
                and registrable_domain(host_of(page.url)) != domain
                and _links_to_domain(page, domain)
            ):
                expected.setdefault(page.url, []).append(_naive(page.fetched_at))
    assert any(len(v) == 1 for v in expected.values()), "evolve should add or lose some links"
    assert any(len(v) == 2 for v in expected.values())

    with backlinks.open(db, read_only=True) as index:
        df = index.links(domain, mode="domain", limit=None)
        snaps = index.snapshots()
    assert not df.empty
    # Per source page, the fetch times its links were seen at are the expected ones.
    got: dict[str, set[datetime]] = {}
    for row in df.itertuples():
        seen = {row.first_seen.to_pydatetime(), row.last_seen.to_pydatetime()}
        got.setdefault(row.source_url, set()).update(seen)
        # A link seen in one snapshot has first == last; in both, the two fetch times.
        assert len(seen) == row.snapshots, row
    assert got == {url: set(times) for url, times in expected.items()}

    # The snapshots table: the crawl window of each snapshot is its pages' fetch times.
    assert len(snaps) == 2
    for web, (_, snap) in zip(webs, snaps.sort_values("started_at").iterrows(), strict=True):
        times = [_naive(p.fetched_at) for p in web.pages]
        assert snap["started_at"].to_pydatetime() == min(times)
        assert snap["finished_at"].to_pydatetime() == max(times)
        assert bool(snap["complete"])
        assert int(snap["pages"]) == len(web.pages)


# --- real archives ------------------------------------------------------------------------


def _expected_pages(path: Path) -> int:
    """HTTP(S) response/resource records, plus WAT records describing a response."""
    n = 0
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh, parse_http=False, quirks_mode=True):
            uri = str(rec.headers.get("WARC-Target-URI") or "").strip("<> ").lower()
            if rec.record_type in (WarcRecordType.response, WarcRecordType.resource):
                n += uri.startswith(("http://", "https://"))
            elif rec.record_type == WarcRecordType.metadata and "json" in str(
                rec.headers.get("Content-Type")
            ):
                doc = json.loads(rec.reader.read())
                n += doc["Envelope"]["WARC-Header-Metadata"].get("WARC-Type") == "response"
    return n


def test_every_sample_archive_ingests_with_a_report(tmp_path: Path) -> None:
    root = need(SAMPLES)
    archives = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".md", ".txt"))
    assert len(archives) >= 10
    db = tmp_path / "samples.duckdb"
    report = run(db, root)
    assert report.problems == []
    by_path = {f.path: f for f in report.files}
    assert sorted(by_path) == [str(p) for p in archives]
    assert {f.status for f in report.files} == {"ingested"}
    arc = str(root / "warcio" / "example.arc.gz")
    with backlinks.open(db, read_only=True) as index:
        skipped = index.sql('SELECT path, "offset", reason, detail FROM skipped')
        files = index.sql("SELECT path, pages, done FROM source_files")
    assert skipped[["path", "offset", "reason"]].values.tolist() == [[arc, 0, "unsupported_arc"]]
    assert "ARC" in skipped["detail"].iloc[0]
    assert by_path[arc].pages == 0
    assert files["done"].all()
    for path in archives:
        if str(path) == arc:
            continue
        want = _expected_pages(path)
        assert by_path[str(path)].pages == want, path
        assert int(files.loc[files["path"] == str(path), "pages"].iloc[0]) == want, path
    assert sum(f.pages for f in report.files) > 300


def _wat_expected(path: Path) -> dict[str, Counter[tuple[str, str, bool]]]:
    """Page URL -> multiset of (target, anchor, nofollow) from the WAT JSON's A@/href links.

    Anchors are whitespace-collapsed JSON text; ``None`` stands for text with a character
    reference (decoded by the reader, checked separately)."""
    out: dict[str, Counter[tuple[str, str, bool]]] = {}
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh, parse_http=False, quirks_mode=True):
            if rec.record_type != WarcRecordType.metadata:
                continue
            env = json.loads(rec.reader.read())["Envelope"]
            head = env["WARC-Header-Metadata"]
            if head.get("WARC-Type") != "response":
                continue
            page = canonicalize(head["WARC-Target-URI"])
            assert page is not None
            meta = env["Payload-Metadata"]["HTTP-Response-Metadata"].get("HTML-Metadata", {})
            links: Counter[tuple[str, str, bool]] = Counter()
            for entry in meta.get("Links", []):
                # The JSON keeps attribute text raw: "&amp;" in a query is a plain "&".
                href = str(entry.get("url", "")).replace("&amp;", "&").strip()
                if entry.get("path") != "A@/href" or not href or href.startswith("#"):
                    continue
                target = canonicalize(href, page)
                if target is None or not target.startswith(("http://", "https://")):
                    continue
                text = str(entry.get("text", ""))
                anchor = " ".join(text.split()) if "&" not in text else ENTITY
                nofollow = "nofollow" in str(entry.get("rel", "")).lower().split()
                links[(target, anchor, nofollow)] += 1
            out[page] = links
    return out


ENTITY = "\x00has-entity"


def test_wat_links_match_the_json(tmp_path: Path) -> None:
    path = need(SAMPLES / "commoncrawl-wat-2015" / "wat-18.warc")
    expected = _wat_expected(path)
    assert len(expected) == 5
    assert sum(sum(c.values()) for c in expected.values()) > 300
    db = tmp_path / "wat.duckdb"
    report = run(db, path)
    assert report.pages == 5
    with backlinks.open(db, read_only=True) as index:
        pages = index.sql("SELECT url, fetched_at, links_out FROM pages")
        links = index.sql("SELECT src_url, dst_url, anchor, nofollow FROM links")
    assert sorted(pages["url"]) == sorted(expected)
    # fetched_at is the WARC-Date inside the envelope (2015-04-18), not the WAT's own date.
    assert pages["fetched_at"].min() == pd.Timestamp("2015-04-18 03:18:39")
    for url, want in expected.items():
        rows = links[links["src_url"] == url]
        got = Counter(
            (
                r.dst_url,
                r.anchor if (r.dst_url, r.anchor, bool(r.nofollow)) in want else ENTITY,
                bool(r.nofollow),
            )
            for r in rows.itertuples()
        )
        assert got == want, url
        assert int(pages.loc[pages["url"] == url, "links_out"].iloc[0]) == sum(want.values())
    # Character references in anchors are decoded, in URLs too: no "&amp;" in a stored URL.
    assert "Newgrounds.com \u2014 Everything, By Everyone." in set(links["anchor"])
    assert not links["dst_url"].str.contains("&amp;", regex=False).any()


def _dechunk(body: bytes) -> bytes:
    out, pos = b"", 0
    while True:
        eol = body.index(b"\r\n", pos)
        size = int(body[pos:eol], 16)
        if size == 0:
            return out
        out += body[eol + 2 : eol + 2 + size]
        pos = eol + 2 + size + 2


def test_chunked_http_body_is_decoded_and_its_links_extracted(tmp_path: Path) -> None:
    path = need(SAMPLES / "warcio" / "example-iana.org-chunked.warc")
    raw = path.read_bytes()
    http = raw[raw.index(b"HTTP/1.1 200 OK") :]
    header, _, body = http.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in header
    html = _dechunk(body)
    tree = LexborHTMLParser(html.decode("utf-8"))
    hrefs = [n.attributes.get("href") or "" for n in tree.css("a[href], area[href]")]
    expected = {
        t
        for h in hrefs
        if h.strip() and not h.strip().startswith("#")
        for t in [canonicalize(h.strip(), "http://www.iana.org/")]
        if t is not None and t.startswith("http")
    }
    assert len(expected) > 20
    db = tmp_path / "chunked.duckdb"
    report = run(db, path)
    assert report.pages == 1
    assert dict(report.skipped) == {}
    with backlinks.open(db, read_only=True) as index:
        got = set(index.sql("SELECT dst_url FROM links")["dst_url"])
        title = index.sql("SELECT title FROM pages")["title"].iloc[0]
    assert got == expected
    assert title == "Internet Assigned Numbers Authority"


def test_snapshot_id_of_is_order_and_repeat_free(warcs: list[Path]) -> None:
    sources, problems = classify(list(warcs))
    assert problems == []
    assert snapshot_id_of(sources) == snapshot_id_of(list(reversed(sources)))
    assert snapshot_id_of(sources) == snapshot_id_of([*sources, sources[0]])
    assert snapshot_id_of(sources) != snapshot_id_of(sources[:1])


@pytest.mark.parametrize("size", [0, 5000])
def test_index_killed_while_created_is_set_aside(tmp_path: Path, size: int) -> None:
    """A kill while DuckDB writes a new file's headers leaves a file DuckDB cannot open;
    the next run moves it aside (it cannot hold data) and starts a fresh index."""
    fresh = tmp_path / "fresh.duckdb"
    duckdb.connect(str(fresh)).close()
    db = tmp_path / "idx.duckdb"
    db.write_bytes(fresh.read_bytes()[:size])
    with Store(db) as store:
        assert store.moved_aside
        assert store.moved_aside[0].read_bytes() == fresh.read_bytes()[:size]
        assert store.con.execute("SELECT count(*) FROM links").fetchone() == (0,)
