"""Crawl throughput benchmark: ``backlinks crawl`` against Scrapy on a loopback test web.

Serves ``big.test`` (:class:`backlinks.demo.hosts.BigSite`: ``--pages`` generated pages with
10-20 links each) from the loopback test web (:mod:`backlinks.demo.server`) in its own
process, then crawls all of it, each engine in its own fresh process against a fresh server:

    ours        ``python -m backlinks crawl`` (the CLI), storing pages and links into DuckDB
    ours+warc   the same with ``--warc-dir`` (every response also written to WARC)
    scrapy      a Scrapy spider following every in-domain link (LinkExtractor) with the same
                concurrency, no delay, robots.txt obeyed and the same User-Agent

and prints pages, wall seconds, pages/s, CPU seconds and peak RSS of each run, then the
ratios ours/Scrapy for pages/s and for peak memory. The target: at least Scrapy's pages/s
with at most its memory.

    .venv/bin/python bench/crawl_bench.py                     # 20,000 pages, concurrency 16
    .venv/bin/python bench/crawl_bench.py --pages 5000 --engines ours,scrapy
    .venv/bin/python bench/crawl_bench.py --profile 3000      # cProfile of our crawler

Scrapy is not a dependency of the package (``pip install scrapy``); without it the Scrapy
run is skipped and no ratio is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pstats
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "crawl"
BIG_HOST = "big.test"
ENGINES = ("ours", "ours+warc", "scrapy")
MB = 1024 * 1024  # peak RSS is reported in MiB, as ps and top do


# --- the loopback web in its own process ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """``python -m backlinks.demo.server`` as a child process (its CPU is not the crawler's)."""

    pages: int
    hosts: int
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    cpu_s: float = 0.0

    def __enter__(self) -> Server:
        self.port = _free_port()
        cmd = [sys.executable, "-m", "backlinks.demo.server", "--port", str(self.port)]
        cmd += ["--big-pages", str(self.pages), "--big-hosts", str(self.hosts)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"test web exited with status {self.proc.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            time.sleep(0.05)
        raise RuntimeError("test web did not start listening within 60 s")

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()  # SIGINT may be ignored (a background job): SIGTERM always works
        status, usage = _wait(proc, 10.0)
        if status is None:
            proc.kill()
            status, usage = _wait(proc, None)
        self.cpu_s = usage.ru_utime + usage.ru_stime if usage else 0.0


def _wait(proc: subprocess.Popen[bytes], timeout: float | None) -> tuple[int | None, Any | None]:
    """Reap ``proc`` with ``os.wait4`` (exit status and *its own* rusage, so peak RSS is that
    child's, not the maximum over every child so far as ``RUSAGE_CHILDREN`` would give);
    (None, None) on timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, 0 if deadline is None else os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage
        if deadline is not None and time.monotonic() > deadline:
            return None, None
        time.sleep(0.02)


# --- one measured run -----------------------------------------------------------------------


@dataclass
class Run:
    engine: str
    pages: int = 0
    links: int = 0
    wall_s: float = 0.0
    crawl_s: float = 0.0  # first to last page fetch, without start-up and shutdown
    cpu_s: float = 0.0
    rss_mb: float = 0.0
    server_cpu_s: float = 0.0
    ok: bool = True
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s else 0.0


def _measure(cmd: list[str], env: dict[str, str], log: Path, timeout: float) -> Run:
    with log.open("wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        status, usage = _wait(proc, timeout)
        wall = time.perf_counter() - t0
        if status is None:
            proc.kill()
            status, usage = _wait(proc, None)
            run = Run("", ok=False, note=f"killed after {timeout:g} s")
        else:
            run = Run("", ok=status == 0, note="" if status == 0 else f"exit status {status}")
    run.wall_s = wall
    if usage is not None:
        run.cpu_s = usage.ru_utime + usage.ru_stime
        run.rss_mb = usage.ru_maxrss * 1024 / MB  # ru_maxrss is in KiB on Linux
    return run


def _seed(hosts: int) -> str:
    return f"http://{BIG_HOST}/p/0" if hosts == 1 else f"http://{BIG_HOST}/"


def run_ours(args: argparse.Namespace, port: int, work: Path, warc: bool) -> Run:
    db = work / "crawl.duckdb"
    cmd = [sys.executable, "-m", "backlinks", "crawl", _seed(args.hosts)]
    cmd += _crawl_options(args, port, db, args.max_pages)
    if warc:
        cmd += ["--warc-dir", str(work / "warc")]
    log = work / "ours.log"
    run = _measure(cmd, _env(), log, args.timeout)
    run.engine = "ours+warc" if warc else "ours"
    text = log.read_text(errors="replace")
    try:
        summary = json.loads(text[text.index("{") :])
    except ValueError:
        run.ok, run.note = False, (run.note or "no JSON summary: " + text[-300:])
        return run
    run.pages, run.links = int(summary["pages"]), int(summary["links"])
    run.extra = {"counts": summary.get("counts", {})}
    run.crawl_s = _crawl_window(db, int(summary["snapshot_id"]))
    if warc:
        run.extra["warc_mb"] = sum(f.stat().st_size for f in (work / "warc").glob("*")) / MB
    return run


def _crawl_options(args: argparse.Namespace, port: int, db: Path, max_pages: int) -> list[str]:
    conc = str(args.concurrency)
    return [
        *("--resolve", f"*=127.0.0.1:{port}", "--allow-private", "--delay", "0"),
        *("--concurrency", conc, "--per-host", conc, "--max-pages", str(max_pages)),
        *("--max-depth", "1000", "--scope", "host" if args.hosts == 1 else "domain"),
        *("--quiet", "--db", str(db), "--no-text", "--format", "json"),
    ]


def _crawl_window(db: Path, snapshot_id: int) -> float:
    """Seconds from the first to the last page fetch, from the snapshot's record dates."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT epoch(finished_at) - epoch(started_at) FROM snapshots WHERE snapshot_id = ?",
            [snapshot_id],
        ).fetchone()
    finally:
        con.close()
    return float(row[0]) if row and row[0] is not None else 0.0


def run_scrapy(args: argparse.Namespace, port: int, work: Path) -> Run:
    result = work / "scrapy.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--scrapy-child", str(result)]
    cmd += ["--seed", _seed(args.hosts), "--concurrency", str(args.concurrency)]
    cmd += ["--max-pages", str(args.max_pages), "--user-agent", args.user_agent]
    env = _env()
    # Scrapy has no --resolve: the test web doubles as an HTTP proxy (absolute-form targets),
    # and Scrapy's HttpProxyMiddleware picks the proxy up from the environment.
    env["http_proxy"] = env["HTTP_PROXY"] = f"http://127.0.0.1:{port}"
    log = work / "scrapy.log"
    run = _measure(cmd, env, log, args.timeout)
    run.engine = "scrapy"
    if not result.exists():
        run.ok = False
        run.note = run.note or "no result: " + log.read_text(errors="replace")[-300:]
        return run
    got = json.loads(result.read_text())
    run.pages, run.links = got["pages"], got["links"]
    run.crawl_s = got["last"] - got["first"] if got["pages"] else 0.0
    run.extra = {"stats": got["stats"]}
    return run


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    env.pop("BACKLINKS_PROGRESS", None)
    return env


# --- the Scrapy side (runs in its own process) ----------------------------------------------


def scrapy_child(args: argparse.Namespace) -> None:
    """Crawl with Scrapy and write pages, links, first/last page time and stats as JSON."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.linkextractors import LinkExtractor

    class BigSpider(scrapy.Spider):  # type: ignore[misc]
        name = "big"
        allowed_domains = [BIG_HOST]  # noqa: RUF012 - Scrapy's class attribute
        start_urls = [args.seed]  # noqa: RUF012

        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, **kw)
            self.extractor = LinkExtractor(allow_domains=[BIG_HOST])
            self.pages = self.links = 0
            self.first = self.last = 0.0

        def parse(self, response: Any) -> Any:
            now = time.time()
            self.first = self.first or now
            self.last = now
            self.pages += 1
            links = self.extractor.extract_links(response)
            self.links += len(links)
            for link in links:
                yield scrapy.Request(link.url, callback=self.parse)

    settings = {
        "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": True,
        "CLOSESPIDER_PAGECOUNT": args.max_pages,
        "DEPTH_LIMIT": 1000,
        "USER_AGENT": args.user_agent,
        "LOG_LEVEL": "WARNING",
        "HTTPCACHE_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
    }
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BigSpider)
    process.crawl(crawler)
    process.start()
    spider = crawler.spider
    stats = {
        k: v
        for k, v in (crawler.stats.get_stats() or {}).items()
        if isinstance(v, int | float | str) and not k.startswith("log_count")
    }
    result = {
        "pages": spider.pages,
        "links": spider.links,
        "first": spider.first,
        "last": spider.last,
        "stats": stats,
    }
    Path(args.scrapy_child).write_text(json.dumps(result, indent=1, sort_keys=True))


# --- report ---------------------------------------------------------------------------------


def _row(run: Run) -> str:
    crawl_rate = run.pages / run.crawl_s if run.crawl_s else 0.0
    return (
        f"{run.engine:<10} {run.pages:>7,} {run.links:>9,} {run.wall_s:>8.1f} "
        f"{run.pages_per_s:>8.1f} {run.crawl_s:>8.1f} {crawl_rate:>9.1f} {run.cpu_s:>7.1f} "
        f"{run.server_cpu_s:>7.1f} {run.rss_mb:>8.1f}  {'' if run.ok else 'FAILED '}{run.note}"
    )


def report(runs: list[Run], args: argparse.Namespace) -> None:
    print()
    print(
        f"{'engine':<10} {'pages':>7} {'links':>9} {'wall s':>8} {'pages/s':>8} "
        f"{'crawl s':>8} {'crawl p/s':>9} {'CPU s':>7} {'srv CPU':>7} {'peak MB':>8}"
    )
    for run in runs:
        print(_row(run))
    print()
    print(
        "pages/s = pages / wall s (whole process: start-up, crawl, final commit); crawl s = "
        "first to last page fetch; CPU s = the crawler's user+sys; srv CPU = the test web's; "
        "peak MB = the crawler process's peak RSS (MiB, wait4). Wall time moves with other "
        "load on the machine; pages per CPU s (below) does much less."
    )
    want = args.max_pages
    for run in runs:
        if run.ok and run.pages < 0.98 * min(want, args.pages):
            print(f"WARNING: {run.engine} fetched {run.pages:,} of {want:,} pages")
    by_engine: dict[str, list[Run]] = {}
    for run in runs:
        if run.ok:
            by_engine.setdefault(run.engine, []).append(run)
    scrapy = by_engine.get("scrapy")
    if not scrapy:
        print("no successful Scrapy run: no ratio")
        return
    s_rate = statistics.median(r.pages_per_s for r in scrapy)
    s_rss = statistics.median(r.rss_mb for r in scrapy)
    s_cpu = statistics.median(r.pages / r.cpu_s for r in scrapy)
    print()
    agg = "median of runs" if args.repeat > 1 else "one run each"
    print(f"ratios ours/Scrapy ({agg}; target: pages/s >= 1.00, peak RSS <= 1.00):")
    for engine in ("ours", "ours+warc"):
        mine = by_engine.get(engine)
        if not mine:
            continue
        rate = statistics.median(r.pages_per_s for r in mine) / s_rate
        rss = statistics.median(r.rss_mb for r in mine) / s_rss
        cpu = statistics.median(r.pages / r.cpu_s for r in mine) / s_cpu
        met = "met" if rate >= 1.0 and rss <= 1.0 else "NOT met"
        print(
            f"  {engine:<10} pages/s {rate:5.2f}x   peak RSS {rss:5.2f}x   target {met}"
            f"   (pages per CPU s {cpu:5.2f}x)"
        )


# --- profile --------------------------------------------------------------------------------


def profile(args: argparse.Namespace) -> None:
    """cProfile of ``backlinks crawl`` (a subprocess) on a smaller crawl."""
    OUT.mkdir(parents=True, exist_ok=True)
    prof = OUT / "crawl.prof"
    pages = args.profile
    with tempfile.TemporaryDirectory(dir=OUT) as tmp, Server(args.pages, args.hosts) as web:
        db = Path(tmp) / "crawl.duckdb"
        cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "backlinks", "crawl"]
        cmd += [_seed(args.hosts), *_crawl_options(args, web.port, db, pages)]
        run = _measure(cmd, _env(), Path(tmp) / "profile.log", args.timeout)
        print(f"profiled crawl of {pages:,} pages: {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s CPU")
        if not run.ok:
            print((Path(tmp) / "profile.log").read_text(errors="replace")[-2000:])
            return
    stats = pstats.Stats(str(prof))
    for key in ("tottime", "cumulative"):
        print(f"\n--- top {args.top} by {key} ---")
        stats.sort_stats(key).print_stats(args.top)
    print(f"profile saved to {prof} (python -m pstats {prof})")


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    from backlinks.crawl.config import DEFAULT_USER_AGENT

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument("--pages", type=int, default=20_000, help="pages big.test serves")
    parser.add_argument(
        "--hosts",
        type=int,
        default=4,
        help="hosts the pages are spread over (h0.big.test...; 1 = big.test alone, which "
        "our crawler's 5,000-page per-host budget caps)",
    )
    parser.add_argument("--max-pages", type=int, default=None, help="default: --pages")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each engine")
    parser.add_argument("--engines", default=",".join(ENGINES), help="of " + ",".join(ENGINES))
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run")
    parser.add_argument("--user-agent", default=DEFAULT_USER_AGENT)
    parser.add_argument("--json", type=Path, help="also write the runs here")
    parser.add_argument("--profile", type=int, metavar="PAGES", help="profile our crawler only")
    parser.add_argument("--top", type=int, default=25, help="rows of the profile")
    parser.add_argument("--scrapy-child", help=argparse.SUPPRESS)
    parser.add_argument("--seed", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.max_pages is None:
        args.max_pages = args.pages
    if args.scrapy_child:
        scrapy_child(args)
        return
    if args.profile:
        profile(args)
        return
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    if "scrapy" in engines:
        try:
            import scrapy  # noqa: F401
        except ImportError:
            print("scrapy is not installed (pip install scrapy): skipping the Scrapy run")
            engines.remove("scrapy")
    print(
        f"big.test: {args.pages:,} pages on {args.hosts} host(s), max {args.max_pages:,} pages, "
        f"concurrency {args.concurrency} (per host too), no delay, robots.txt obeyed; "
        f"{os.cpu_count()} CPUs shared by crawler and test web "
        f"(load average {os.getloadavg()[0]:.2f} before the runs)"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    for i in range(args.repeat):
        for engine in engines:
            work = Path(tempfile.mkdtemp(prefix=f"{engine.replace('+', '-')}-", dir=OUT))
            try:
                with Server(args.pages, args.hosts) as web:
                    if engine == "scrapy":
                        run = run_scrapy(args, web.port, work)
                    else:
                        run = run_ours(args, web.port, work, warc=engine == "ours+warc")
                run.server_cpu_s = web.cpu_s
            finally:
                shutil.rmtree(work, ignore_errors=True)
            runs.append(run)
            print(f"[{i + 1}/{args.repeat}] {_row(run)}", flush=True)
    report(runs, args)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in runs], indent=1, default=str))


if __name__ == "__main__":
    main()
