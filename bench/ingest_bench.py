"""Ingest throughput benchmark on a WARC built from real HTML pages.

Builds (once, cached in ``bench/out/``) a record-at-a-time gzipped WARC by repeating the real
pages listed in ``../shared/data/html-pages/urls.tsv`` under varied URLs up to a target payload
size, then times on that same file, each stage in its own fresh process pinned to one core:

    a   fastwarc iteration alone (parse HTTP, read every payload)
    b   a + selectolax (lexbor) parse and a walk of ``a[href]`` reading href and text
    d   a + ``backlinks.extract.extract`` (no store): our extraction cost
    s   ``backlinks.sources.warc.read_warc`` (robust reader + response parsing + extract)
    c   ``backlinks.ingest.ingest`` into a fresh DuckDB file (keep_text False, then True)
    e   warcio iteration / lxml link walk, only when those (non-dependency) packages import

and prints seconds, MB/s (compressed and payload), pages/s, links/s, peak RSS and the speed
ratio of every stage to (b); the target is full ingest at >= 60% of (b).

    .venv/bin/python bench/ingest_bench.py --size-mb 100
    .venv/bin/python bench/ingest_bench.py --profile      # cProfile of (c) on ~50 MB

The page data is read at run time and never copied into the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import functools
import gzip
import importlib
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
DEFAULT_PAGES = REPO.parent / "shared" / "data" / "html-pages"
MB = 1_000_000
TARGET_RATIO = 0.60
#: Stages in run order: key -> label.
STAGES: dict[str, str] = {
    "a": "(a) fastwarc iterate",
    "b": "(b) fastwarc + selectolax a[href]",
    "d": "(d) fastwarc + extract (no text)",
    "dt": "(d) fastwarc + extract (text)",
    "s": "(s) read_warc, no store (no text)",
    "c": "(c) ingest, keep_text=False",
    "ct": "(c) ingest, keep_text=True",
    "e1": "(e) warcio iterate",
    "e2": "(e) fastwarc + lxml a[href]",
}
DEFAULT_STAGES = "a,b,d,dt,s,c,ct,e1,e2"
#: The stage whose ratio to (b) is held against the target.
HEADLINE = "ct"


# --- building the WARC ----------------------------------------------------------------------


def _read_pages(folder: Path) -> list[tuple[str, bytes]]:
    """(url, html bytes) of every page listed in ``urls.tsv`` (file<TAB>url, a header row)."""
    pages = []
    with (folder / "urls.tsv").open(newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 2 or row[0] == "file":
                continue
            path = folder / row[0]
            if not path.is_file():
                continue
            with gzip.open(path, "rb") as gz:
                pages.append((row[1].strip(), gz.read()))
    return pages


def _variant(url: str, copy: int, vary: str) -> str:
    """The URL of copy ``copy`` of a page: copy 0 is the page's own URL."""
    url = url.split("#", 1)[0]
    if copy == 0:
        return url
    if vary == "host":
        scheme, sep, rest = url.partition("://")
        return f"{scheme}{sep}c{copy}.{rest}"
    if vary == "path":
        scheme, sep, rest = url.partition("://")
        host, slash, path = rest.partition("/")
        return f"{scheme}{sep}{host}/copy{copy}/{path if slash else ''}"
    return f"{url}{'&' if '?' in url else '?'}copy={copy}"


def build_warc(folder: Path, size_mb: float, vary: str) -> tuple[Path, dict[str, Any]]:
    """The cached benchmark WARC for (size, vary), built if missing; with its facts."""
    from backlinks.demo.model import SynthPage
    from backlinks.demo.warcwrite import write_warc

    OUT.mkdir(parents=True, exist_ok=True)
    tag = f"{size_mb:g}mb-{vary}"
    path = OUT / f"real-pages-{tag}.warc.gz"
    facts_path = OUT / f"real-pages-{tag}.json"
    if path.is_file() and facts_path.is_file():
        facts = json.loads(facts_path.read_text())
        if facts.get("warc_bytes") == path.stat().st_size:
            return path, facts
    sources = _read_pages(folder)
    if not sources:
        raise SystemExit(f"no pages found through {folder / 'urls.tsv'}")
    target = int(size_mb * MB)
    when = datetime(2024, 1, 1, tzinfo=UTC)
    counts = {"pages": 0, "payload_bytes": 0, "copies": 0}

    def pages() -> Iterator[SynthPage]:
        copy = 0
        while counts["payload_bytes"] < target:
            for url, html in sources:
                if counts["payload_bytes"] >= target:
                    break
                counts["pages"] += 1
                counts["payload_bytes"] += len(html)
                yield SynthPage(_variant(url, copy, vary), 200, html, "text/html", when)
            copy += 1
        counts["copies"] = copy

    started = time.perf_counter()
    print(f"building {path.relative_to(REPO)} from {len(sources)} pages ...", flush=True)
    tmp = path.with_suffix(".tmp")
    write_warc(pages(), tmp, gzip=True)
    tmp.replace(path)
    facts = {
        **counts,
        "source_pages": len(sources),
        "warc_bytes": path.stat().st_size,
        "vary": vary,
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    facts_path.write_text(json.dumps(facts, indent=1))
    return path, facts


# --- the stages (each runs in a child process) ----------------------------------------------


def _records(path: Path) -> Iterator[Any]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    with path.open("rb") as fh:
        yield from ArchiveIterator(fh, record_types=WarcRecordType.response, parse_http=True)


def stage_a(path: Path) -> dict[str, Any]:
    pages = payload = 0
    for rec in _records(path):
        payload += len(rec.reader.read())
        pages += 1
    return {"pages": pages, "payload_bytes": payload, "links": 0}


def stage_b(path: Path) -> dict[str, Any]:
    from selectolax.lexbor import LexborHTMLParser

    pages = links = chars = 0
    for rec in _records(path):
        tree = LexborHTMLParser(rec.reader.read())
        for node in tree.css("a[href]"):
            href = node.attrs.get("href") or ""
            text = node.text_lexbor() or ""
            chars += len(href) + len(text)
            links += 1
        pages += 1
    return {"pages": pages, "links": links, "chars": chars}


def _stage_extract(path: Path, keep_text: bool) -> dict[str, Any]:
    from backlinks.extract import extract

    pages = links = 0
    for rec in _records(path):
        body = rec.reader.read()
        url = str(rec.headers.get("WARC-Target-URI") or "")
        ctype = rec.http_headers.get("Content-Type") if rec.http_headers else None
        result = extract(body, url, http_content_type=ctype, keep_text=keep_text)
        links += len(result.links)
        pages += 1
    return {"pages": pages, "links": links, **_cache_stats()}


def stage_d(path: Path) -> dict[str, Any]:
    return _stage_extract(path, keep_text=False)


def stage_dt(path: Path) -> dict[str, Any]:
    return _stage_extract(path, keep_text=True)


def stage_s(path: Path) -> dict[str, Any]:
    from backlinks.records import Page
    from backlinks.sources.warc import read_warc

    pages = links = 0
    for _offset, item in read_warc(path, keep_text=False):
        if isinstance(item, Page):
            pages += 1
            links += len(item.links)
    return {"pages": pages, "links": links}


class _Timers:
    """CPU seconds spent inside wrapped functions (per call: one pair of clock reads)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.process_time() - t0

        return timed

    def wrap_iter(self, name: str, fn: Callable[..., Iterator[Any]]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            it = fn(*args, **kwargs)
            while True:
                t0 = time.process_time()
                try:
                    item = next(it)
                except StopIteration:
                    return
                finally:
                    self.seconds[name] = self.seconds.get(name, 0.0) + time.process_time() - t0
                yield item

        return timed


def _ingest(path: Path, keep_text: bool, threads: int, breakdown: bool) -> dict[str, Any]:
    import backlinks.ingest as ingest_mod
    from backlinks.store.batch import Batch
    from backlinks.store.db import Store

    timers = _Timers()
    if breakdown:  # this child process only: time the parts of the ingest loop
        ingest_mod.read_warc = timers.wrap_iter("read+extract", ingest_mod.read_warc)  # type: ignore[assignment]
        Batch.add_page = timers.wrap("Batch.add_page", Batch.add_page)  # type: ignore[method-assign]
        Batch.tables = timers.wrap("Batch.tables (Arrow)", Batch.tables)  # type: ignore[method-assign]
        Store.commit_batch = timers.wrap("Store.commit_batch", Store.commit_batch)  # type: ignore[method-assign]
        ingest_mod.classify = timers.wrap("classify (file hash)", ingest_mod.classify)  # type: ignore[assignment]
    started = time.process_time()
    tmp = Path(tempfile.mkdtemp(prefix="ingest-", dir=OUT))
    try:
        db = tmp / "bench.duckdb"
        with Store(db) as store:
            if threads > 0:
                store.con.execute(f"SET threads = {int(threads)}")
            report = ingest_mod.ingest(store, [str(path)], keep_text=keep_text)
        db_bytes = sum(p.stat().st_size for p in tmp.iterdir())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if report.problems:
        raise RuntimeError(f"ingest problems: {report.problems}")
    parts = dict(timers.seconds)
    if "Store.commit_batch" in parts and "Batch.tables (Arrow)" in parts:
        parts["DuckDB insert+commit"] = (
            parts.pop("Store.commit_batch") - parts["Batch.tables (Arrow)"]
        )
    if parts:
        parts["rest"] = time.process_time() - started - sum(parts.values())
    return {
        "pages": report.pages,
        "links": report.links,
        "skipped": sum(report.skipped.values()),
        "db_bytes": db_bytes,
        "parts": parts,
    }


def _cache_stats() -> dict[str, Any]:
    """Hit rate of extract's href cache (an LRU: repeated pages may hit it)."""
    try:
        from backlinks.extract import _canonical_cached
    except ImportError:
        return {}
    info = _canonical_cached.cache_info()
    total = info.hits + info.misses
    return {"href_cache_hit": round(info.hits / total, 3) if total else None}


def stage_e1(path: Path) -> dict[str, Any]:
    from warcio.archiveiterator import ArchiveIterator

    pages = payload = 0
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type == "response":
                payload += len(rec.content_stream().read())
                pages += 1
    return {"pages": pages, "payload_bytes": payload, "links": 0}


def stage_e2(path: Path) -> dict[str, Any]:
    import lxml.html

    pages = links = chars = 0
    for rec in _records(path):
        body = rec.reader.read()
        try:
            root = lxml.html.document_fromstring(body)
        except (ValueError, lxml.etree.ParserError):
            pages += 1
            continue
        for node in root.iter("a"):
            href = node.get("href")
            if href is None:
                continue
            chars += len(href) + len(node.text_content())
            links += 1
        pages += 1
    return {"pages": pages, "links": links, "chars": chars}


_OPTIONAL = {"e1": "warcio", "e2": "lxml"}


_IMPORTS: dict[str, tuple[str, ...]] = {
    "a": ("fastwarc.warc",),
    "b": ("fastwarc.warc", "selectolax.lexbor"),
    "d": ("fastwarc.warc", "backlinks.extract"),
    "dt": ("fastwarc.warc", "backlinks.extract"),
    "s": ("backlinks.sources.warc",),
    "c": ("backlinks.ingest",),
    "ct": ("backlinks.ingest",),
    "e1": ("warcio.archiveiterator",),
    "e2": ("fastwarc.warc", "lxml.html"),
}


def _warm_up(key: str) -> None:
    """Import the stage's modules and load the Public Suffix List before the clock starts:
    one-off costs (about a second together) that a long ingest amortises."""
    for name in _IMPORTS[key]:
        importlib.import_module(name)
    if key.startswith(("c", "s", "d")):
        from backlinks import urls

        urls.registrable_domain("www.example.co.uk")


def _peak_rss_mb() -> float:
    """This process's peak resident set: VmHWM (reset at exec, unlike ru_maxrss, which a
    child inherits from the parent it was forked from), else ru_maxrss."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_stage(key: str, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run one stage in this process and return its measurements."""
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    funcs: dict[str, Callable[[], dict[str, Any]]] = {
        "a": lambda: stage_a(path),
        "b": lambda: stage_b(path),
        "d": lambda: stage_d(path),
        "dt": lambda: stage_dt(path),
        "s": lambda: stage_s(path),
        "c": lambda: _ingest(path, False, args.duckdb_threads, args.breakdown),
        "ct": lambda: _ingest(path, True, args.duckdb_threads, args.breakdown),
        "e1": lambda: stage_e1(path),
        "e2": lambda: stage_e2(path),
    }
    _warm_up(key)
    t0 = time.perf_counter()
    c0 = time.process_time()
    result = funcs[key]()
    result["seconds"] = time.perf_counter() - t0
    result["cpu_seconds"] = time.process_time() - c0
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def _child(key: str, path: Path, args: argparse.Namespace) -> dict[str, Any] | str:
    """Run a stage in a fresh interpreter (cold caches, its own peak RSS)."""
    if key in _OPTIONAL:
        probe = subprocess.run(
            [sys.executable, "-c", f"import {_OPTIONAL[key]}"], capture_output=True, check=False
        )
        if probe.returncode != 0:
            return f"skipped: {_OPTIONAL[key]} is not installed"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--stage", key, "--warc", str(path)]
    cmd += ["--duckdb-threads", str(args.duckdb_threads)]
    if args.cpu is not None:
        cmd += ["--cpu", str(args.cpu)]
    if not args.breakdown:
        cmd.append("--no-breakdown")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return "failed: " + " | ".join(tail)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# --- reporting ------------------------------------------------------------------------------


def _fmt_row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(
        c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def report(
    results: dict[str, dict[str, Any] | str],
    facts: dict[str, Any],
    path: Path,
    *,
    repeat: int = 1,
    clock: str = "cpu",
) -> None:
    """Print the table, the breakdown of (c) and the verdict on the target."""
    key_s = "cpu_seconds" if clock == "cpu" else "seconds"
    warc_mb = facts["warc_bytes"] / MB
    payload_mb = facts["payload_bytes"] / MB
    base = results.get("b")
    base_s = base[key_s] if isinstance(base, dict) else None
    head = ["stage", "wall s", "cpu s", "MB/s gz", "MB/s html", "pages/s", "links", "links/s"]
    head += ["vs (b)", "RSS MB"]
    rows = []
    for key, res in results.items():
        if isinstance(res, str):
            rows.append([STAGES[key], res, *[""] * (len(head) - 2)])
            continue
        sec = res[key_s]
        links = res.get("links", 0)
        rows.append(
            [
                STAGES[key],
                f"{res['seconds']:.2f}",
                f"{res['cpu_seconds']:.2f}",
                f"{warc_mb / sec:.1f}",
                f"{payload_mb / sec:.1f}",
                f"{res['pages'] / sec:,.0f}",
                f"{links:,}" if links else "-",
                f"{links / sec:,.0f}" if links else "-",
                f"{base_s / sec:.0%}" if base_s else "-",
                f"{res['peak_rss_mb']:.0f}",
            ]
        )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    print()
    print(
        f"file: {path.relative_to(REPO)}  {warc_mb:.1f} MB gzipped, {payload_mb:.1f} MB of HTML "
        f"payload, {facts['pages']:,} pages ({facts['source_pages']} real pages x "
        f"~{facts['pages'] / facts['source_pages']:.1f}, URLs varied by {facts['vary']})"
    )
    runs = f"fastest of {repeat} runs" if repeat > 1 else "one run"
    print(
        f"a fresh process per stage, pinned to one core, {runs}; rates and ratios use "
        f"{'CPU' if clock == 'cpu' else 'wall-clock'} seconds (--clock); MB = 10^6 bytes\n"
    )
    print(_fmt_row(head, widths))
    print(_fmt_row(["-" * w for w in widths], widths))
    for row in rows:
        print(_fmt_row(row, widths))
    print()
    for key, res in results.items():
        if not isinstance(res, dict):
            continue
        extras = []
        if res.get("parts"):
            sec = res["cpu_seconds"]
            extras.append(
                "CPU time in "
                + ", ".join(f"{k} {v:.2f}s ({v / sec:.0%})" for k, v in res["parts"].items())
            )
        if "db_bytes" in res:
            extras.append(f"DuckDB file {res['db_bytes'] / MB:.0f} MB")
        if res.get("href_cache_hit") is not None:
            extras.append(f"extract href-cache hit rate {res['href_cache_hit']:.0%}")
        if res.get("skipped"):
            extras.append(f"{res['skipped']} records skipped")
        if extras:
            print(f"{STAGES[key]}: " + "; ".join(extras))
    headline = results.get(HEADLINE)
    if isinstance(headline, dict) and base_s:
        ratio = base_s / headline[key_s]
        verdict = "MEETS" if ratio >= TARGET_RATIO else "MISSES"
        print(
            f"\nRATIO full ingest (c, keep_text=True) / (b) = {ratio:.2f} -> {verdict} the "
            f"{TARGET_RATIO:.0%} target"
        )
        other = results.get("c")
        if isinstance(other, dict):
            print(f"      ingest with keep_text=False / (b) = {base_s / other[key_s]:.2f}")
        if isinstance(base, dict):
            wall = base["seconds"] / headline["seconds"]
            print(f"      (on wall-clock seconds: full ingest / (b) = {wall:.2f})")


# --- profile ---------------------------------------------------------------------------------


def profile(path: Path, args: argparse.Namespace, top: int = 30) -> None:
    """cProfile of the full ingest (keep_text=True) on ``path``, in this process."""
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    _warm_up("ct")
    prof = cProfile.Profile()
    prof.enable()
    res = _ingest(path, True, args.duckdb_threads, breakdown=False)
    prof.disable()
    dump = OUT / "ingest.prof"
    prof.dump_stats(dump)
    stats = pstats.Stats(prof)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(
        f"\nprofile of ingest(keep_text=True): {res['pages']:,} pages, {res['links']:,} links, "
        f"{total:.1f}s profiled (saved to {dump.relative_to(REPO)}: "
        "`python -m pstats` or snakeviz)"
    )
    for order, label in (("cumulative", "cum"), ("tottime", "own")):
        print(f"\ntop {top} by {order} time ({label} % of {total:.1f}s):")
        buf = io.StringIO()
        entries = []
        for func, (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            entries.append((ct if order == "cumulative" else tt, tt, ct, nc, func))
        entries.sort(reverse=True)
        print(f"{'cum%':>6} {'own%':>6} {'calls':>10}  function", file=buf)
        for _key, tt, ct, nc, (file, line, name) in entries[:top]:
            where = file
            for marker in ("site-packages/", "src/"):
                if marker in file:
                    where = file.split(marker, 1)[1]
            print(
                f"{ct / total:6.1%} {tt / total:6.1%} {nc:10,}  {name} ({where}:{line})", file=buf
            )
        print(buf.getvalue(), end="")


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size-mb", type=float, default=500.0, help="HTML payload to build (MB)")
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES, help="html-pages folder")
    parser.add_argument(
        "--vary",
        choices=("query", "path", "host"),
        default="query",
        help="how copies get distinct URLs: ?copy=N, /copyN/ path prefix, or cN. host prefix",
    )
    parser.add_argument("--stages", default=DEFAULT_STAGES, help=f"comma list of {list(STAGES)}")
    parser.add_argument("--cpu", type=int, default=None, help="core to pin stages to")
    parser.add_argument("--no-pin", action="store_true", help="do not pin stages to one core")
    parser.add_argument(
        "--duckdb-threads", type=int, default=1, help="DuckDB threads in (c); 0 = its default"
    )
    parser.add_argument(
        "--no-breakdown",
        dest="breakdown",
        action="store_false",
        help="do not time the parts of (c)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile (c) on a --profile-size-mb file instead of the table",
    )
    parser.add_argument("--profile-size-mb", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per stage; the fastest counts")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="seconds that rates and ratios use: the stage process's CPU time (per core, "
        "robust to other load on the machine) or wall-clock time",
    )
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--warc", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stage:  # child process
        print(json.dumps(run_stage(args.stage, args.warc, args)))
        return 0
    if args.cpu is None and not args.no_pin and hasattr(os, "sched_getaffinity"):
        args.cpu = max(os.sched_getaffinity(0))
    if args.no_pin:
        args.cpu = None
    if not (args.pages / "urls.tsv").is_file():
        print(f"benchmark skipped: no real pages at {args.pages} (expected urls.tsv there)")
        return 0
    size = args.profile_size_mb if args.profile else args.size_mb
    path, facts = build_warc(args.pages, size, args.vary)
    with path.open("rb") as fh:  # warm the page cache so no stage pays the disk read
        while fh.read(1 << 24):
            pass
    if args.profile:
        profile(path, args)
        return 0
    keys = [k.strip() for k in args.stages.split(",") if k.strip()]
    unknown = [k for k in keys if k not in STAGES]
    if unknown:
        parser.error(f"unknown stages {unknown}; choose from {list(STAGES)}")
    results: dict[str, dict[str, Any] | str] = {}
    clock_key = "cpu_seconds" if args.clock == "cpu" else "seconds"
    for key in keys:
        print(f"running {STAGES[key]} ...", flush=True)
        for _ in range(max(1, args.repeat)):
            res = _child(key, path, args)
            best = results.get(key)
            if not isinstance(res, dict) or not isinstance(best, dict):
                results[key] = best if isinstance(best, dict) else res
            elif res[clock_key] < best[clock_key]:
                results[key] = res
            if not isinstance(res, dict):
                break
        with contextlib.suppress(TypeError, KeyError):
            res = results[key]
            if isinstance(res, dict):
                print(f"  {res['seconds']:.1f}s", flush=True)
    report(results, facts, path, repeat=args.repeat, clock=args.clock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
