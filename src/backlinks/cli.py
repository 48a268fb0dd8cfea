"""The ``backlinks`` command line: thin wrappers over the Python API.

Every command that prints rows takes ``--db``, ``--limit`` and ``--format table|csv|json``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from backlinks.crawl.config import DEFAULT_USER_AGENT
from backlinks.index import Index
from backlinks.ingest import IngestReport
from backlinks.output import FORMATS, Format, compact_links, emit_object, emit_rows, safe_text

DEFAULT_DB: Final = os.environ.get("BACKLINKS_DB", "backlinks.duckdb")

app = typer.Typer(
    name="backlinks",
    help="Self-hosted backlink intelligence: ingest web archives, index links, rank authority.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)

DbOpt = Annotated[Path, typer.Option("--db", help="DuckDB index file ($BACKLINKS_DB).")]
LimitOpt = Annotated[int, typer.Option("--limit", min=0, help="Most rows to print (0: all).")]
FormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="Output format: table, csv or json.")
]


def _fmt(value: str) -> Format:
    if value not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    return value  # type: ignore[return-value]


def _open_existing(db: Path) -> Index:
    if not db.exists():
        err.print(
            f"[red]No index at {safe_text(db)}[/red] — run `backlinks ingest PATH --db {db}`."
        )
        raise typer.Exit(2)
    return Index(db, read_only=True)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="WARC/WAT files, directories or globs.")],
    db: DbOpt = Path(DEFAULT_DB),
    no_text: Annotated[
        bool, typer.Option("--no-text", help="Do not keep page text (smaller index).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    fmt: FormatOpt = "table",
) -> None:
    """Ingest web archives (WARC, WAT) and web-graph releases into the index."""
    out_fmt = _fmt(fmt)
    start = time.perf_counter()
    totals = {"records": 0, "links": 0}
    with Index(db) as index:
        progress = Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[records]:>9,} records {task.fields[links]:>11,} links"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=quiet or (not err.is_terminal and not os.environ.get("BACKLINKS_PROGRESS")),
        )
        with progress:
            task = progress.add_task("ingest", total=None, records=0, links=0)

            def on_total(total: int) -> None:
                progress.update(task, total=total)

            def advance(nbytes: int, nrec: int, nlinks: int) -> None:
                totals["records"] += nrec
                totals["links"] += nlinks
                progress.update(
                    task, advance=nbytes, records=totals["records"], links=totals["links"]
                )

            report = index.ingest(
                *paths, keep_text=not no_text, progress=advance, on_total=on_total
            )
    _summary(report, time.perf_counter() - start, out_fmt)
    if report.problems and not report.files:
        raise typer.Exit(1)


def _summary(report: IngestReport, seconds: float, fmt: Format) -> None:
    mb = sum(Path(f.path).stat().st_size for f in report.files if Path(f.path).exists()) / 1e6
    summary = {
        "snapshot_id": report.snapshot_id,
        "files": len(report.files),
        "records": report.records,
        "pages": report.pages,
        "links": report.links,
        "skipped": sum(report.skipped.values()),
        "seconds": round(seconds, 2),
        "mb_per_s": round(mb / seconds, 1) if seconds > 0 else 0.0,
        "skipped_by_reason": dict(report.skipped),
        "ignored_by_kind": dict(report.ignored),
        "file_status": {f.path: f.status for f in report.files},
    }
    if fmt != "table":
        emit_object(summary, fmt)
        return
    con = Console()
    table = Table(title="ingest summary", show_header=True, header_style="bold")
    for col in ("file", "status", "pages", "links", "skipped"):
        table.add_column(col, justify="left" if col in ("file", "status") else "right")
    paths = [f.path for f in report.files]
    root = os.path.commonpath(paths) if len(paths) > 1 else ""
    if root:
        table.title = f"ingest summary (files under {safe_text(root)})"
    for f in report.files:
        shown = os.path.relpath(f.path, root) if root else f.path
        table.add_row(
            Text(safe_text(shown)), f.status, f"{f.pages:,}", f"{f.links:,}", f"{f.skipped:,}"
        )
    con.print(table)
    con.print(
        f"snapshot {report.snapshot_id}: {report.records:,} records, {report.pages:,} pages, "
        f"{report.links:,} links in {seconds:.1f}s ({summary['mb_per_s']} MB/s)"
    )
    if report.skipped:
        con.print("[yellow]skipped records[/yellow] (kept in the `skipped` table with offsets):")
        for reason, n in sorted(report.skipped.items()):
            con.print(f"  {reason}: {n:,}")
        for ex in report.skip_examples[:5]:
            where = f"{safe_text(ex.source)} @ {ex.offset}"
            con.print(Text(f"    {where}: {ex.reason} — {safe_text(ex.detail)[:160]}"))
    if report.ignored:
        kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(report.ignored.items()))
        con.print(f"not pages (counted, not stored): {kinds}")
    for problem in report.problems:
        con.print(Text(f"problem: {safe_text(problem)}", style="red"))


@app.command()
def links(
    target: Annotated[str, typer.Argument(help="URL, URL prefix, host or domain.")],
    db: DbOpt = Path(DEFAULT_DB),
    limit: LimitOpt = 100,
    fmt: FormatOpt = "table",
    mode: Annotated[
        str, typer.Option("--mode", help="auto, url, prefix, host or domain.")
    ] = "auto",
    internal: Annotated[
        bool, typer.Option("--internal", help="Include links from the target's own domain.")
    ] = False,
) -> None:
    """Backlinks to a URL, host or domain: source, anchor, rel flags, section, first/last seen."""
    out_fmt = _fmt(fmt)
    if mode not in ("auto", "url", "prefix", "host", "domain"):
        raise typer.BadParameter("--mode must be auto, url, prefix, host or domain")
    with _open_existing(db) as index:
        try:
            df = index.links(target, mode=mode, limit=limit or None, include_internal=internal)  # type: ignore[arg-type]
        except ValueError as exc:
            err.print(Text(str(exc), style="red"))
            raise typer.Exit(2) from exc
    emit_rows(
        compact_links(df) if out_fmt == "table" else df,
        out_fmt,
        title=f"backlinks to {safe_text(target)}",
    )


@app.command()
def stats(db: DbOpt = Path(DEFAULT_DB), fmt: FormatOpt = "table") -> None:
    """Pages, links, hosts, domains, snapshots, and skipped records by reason."""
    out_fmt = _fmt(fmt)
    with _open_existing(db) as index:
        emit_object(index.stats(), out_fmt)


@app.command()
def snapshots(
    db: DbOpt = Path(DEFAULT_DB), limit: LimitOpt = 100, fmt: FormatOpt = "table"
) -> None:
    """Snapshots (ingest batches) with their crawl windows and sizes."""
    out_fmt = _fmt(fmt)
    with _open_existing(db) as index:
        df = index.snapshots()
    emit_rows(df.head(limit) if limit else df, out_fmt, title="snapshots")


@app.command()
def export(
    folder: Annotated[Path, typer.Argument(help="Folder to write <table>.parquet files into.")],
    db: DbOpt = Path(DEFAULT_DB),
) -> None:
    """Export every table of the index to Parquet (the layout the Spark jobs read)."""
    with _open_existing(db) as index:
        written = index.export(folder)
    for path in written:
        Console().print(Text(f"{safe_text(path)}  {path.stat().st_size:,} bytes"))


@app.command()
def rank(
    db: DbOpt = Path(DEFAULT_DB),
    level: Annotated[
        list[str] | None,
        typer.Option("--level", help="page, host or domain (repeatable; default: all three)."),
    ] = None,
    seeds: Annotated[
        Path | None,
        typer.Option("--seeds", help="TrustRank seeds: URLs/hosts/domains, one a line."),
    ] = None,
    auto_seeds: Annotated[
        int,
        typer.Option("--auto-seeds", help="Choose this many TrustRank seeds by inverse PageRank."),
    ] = 0,
    allow: Annotated[
        Path | None, typer.Option("--allow", help="Allow-list of domains for --auto-seeds.")
    ] = None,
    nofollow: Annotated[
        bool, typer.Option("--include-nofollow", help="Count nofollow/ugc/sponsored links too.")
    ] = False,
    edges: Annotated[
        Path | None,
        typer.Option("--edges", help="Rank an edge file instead of the index (no --db needed)."),
    ] = None,
    limit: LimitOpt = 0,
    fmt: FormatOpt = "table",
) -> None:
    """Compute PageRank, rating (0-100), TrustRank and harmonic centrality."""
    out_fmt = _fmt(fmt)
    levels = tuple(level or ("page", "host", "domain"))
    for lv in levels:
        if lv not in ("page", "host", "domain"):
            raise typer.BadParameter("--level must be page, host or domain")
    from backlinks.analysis import authority  # noqa: PLC0415 - numba import is slow

    if edges is not None:
        from backlinks.graph.edgefile import load_edge_file  # noqa: PLC0415

        graph = load_edge_file(edges, levels[0] if level else "page")
        err.print(
            f"{graph.n:,} nodes, {graph.m:,} edges; {graph.meta['self_loops']:,} self-loops "
            f"dropped, {graph.meta['bad_lines']:,} bad lines, {graph.meta['collisions']} id "
            "collisions"
        )
        emit_rows(authority.rank_graph(graph, limit=limit or None), out_fmt, title="ranks")
        return
    allow_list = (
        [ln.strip() for ln in allow.read_text().splitlines() if ln.strip()] if allow else None
    )
    with Index(db) as index, _stage_progress() as on_stage:
        summaries = authority.rank_store(
            index.store,
            levels,
            seeds_file=seeds,
            auto_seeds=auto_seeds,
            allow=allow_list,
            include_nofollow=nofollow,
            progress=on_stage,
        )
    import pandas as pd  # noqa: PLC0415

    emit_rows(pd.DataFrame([asdict(x) for x in summaries]), out_fmt, title="ranked")


@contextmanager
def _stage_progress() -> Iterator[Callable[[str, int, int], None]]:
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal and not os.environ.get("BACKLINKS_PROGRESS"),
    )
    tasks: dict[str, TaskID] = {}

    def on_stage(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total or None)
        progress.update(tasks[stage], completed=done, total=total or None)

    with progress:
        yield on_stage


@app.command()
def top(
    db: DbOpt = Path(DEFAULT_DB),
    level: Annotated[str, typer.Option("--level", help="page, host or domain.")] = "domain",
    by: Annotated[
        str, typer.Option("--by", help="rating, pagerank, trustrank or harmonic.")
    ] = "rating",
    limit: LimitOpt = 50,
    fmt: FormatOpt = "table",
) -> None:
    """The top pages, hosts or domains by rating, PageRank, TrustRank or harmonic centrality."""
    out_fmt = _fmt(fmt)
    from backlinks.analysis import authority  # noqa: PLC0415

    with _open_existing(db) as index:
        try:
            df = authority.top(index.store, level, by, limit or None)  # type: ignore[arg-type]
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    if df.empty:
        err.print("No metrics yet: run `backlinks rank` first.")
    shown = df.drop(columns=["node_id"]) if out_fmt == "table" else df
    emit_rows(shown, out_fmt, title=f"top {level}s by {by}")


@app.command()
def whatif(
    source: Annotated[
        list[str], typer.Option("--from", help="Linking page, host or domain (repeatable).")
    ],
    target: Annotated[str, typer.Option("--to", help="The page, host or domain linked to.")],
    db: DbOpt = Path(DEFAULT_DB),
    level: Annotated[str, typer.Option("--level", help="page, host or domain.")] = "domain",
    fmt: FormatOpt = "table",
) -> None:
    """How the target's PageRank and rating would change if the sources linked to it."""
    out_fmt = _fmt(fmt)
    if level not in ("page", "host", "domain"):
        raise typer.BadParameter("--level must be page, host or domain")
    from backlinks.analysis import authority  # noqa: PLC0415

    with Index(db) as index:
        result = authority.whatif(index.store, source, target, level)  # type: ignore[arg-type]
    emit_object(result, out_fmt)


@app.command()
def crawl(
    seeds: Annotated[list[str] | None, typer.Argument(help="Start URLs (or hosts).")] = None,
    db: DbOpt = Path(DEFAULT_DB),
    max_pages: Annotated[
        int | None,
        typer.Option("--max-pages", help="Pages to fetch [default: 1000; --resume: as saved]."),
    ] = None,
    max_depth: Annotated[int, typer.Option("--max-depth", help="Link hops from a seed.")] = 5,
    scope: Annotated[
        str,
        typer.Option("--scope", help="host, domain, domains (with --allow-domain) or external."),
    ] = "domain",
    allow_domain: Annotated[
        list[str] | None, typer.Option("--allow-domain", help="Extra domain in scope (repeatable).")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Requests in flight.")] = 16,
    per_host: Annotated[int, typer.Option("--per-host", help="Requests in flight per host.")] = 2,
    delay: Annotated[
        float, typer.Option("--delay", help="Seconds between requests to a host.")
    ] = 0.5,
    user_agent: Annotated[
        str,
        typer.Option("--user-agent", help="User-Agent; its first word is the robots.txt token."),
    ] = DEFAULT_USER_AGENT,
    warc_dir: Annotated[
        Path | None, typer.Option("--warc-dir", help="Write every response to WARC files here.")
    ] = None,
    resolve: Annotated[
        list[str] | None,
        typer.Option("--resolve", help="HOST=ADDRESS[:PORT], like curl; * for every host."),
    ] = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow private/loopback addresses.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the last unfinished crawl.")
    ] = False,
    no_text: Annotated[bool, typer.Option("--no-text", help="Do not keep page text.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    fmt: FormatOpt = "table",
) -> None:
    """Crawl politely from seeds (robots.txt, sitemaps, per-host delays, trap guards)."""
    import asyncio  # noqa: PLC0415

    from backlinks.crawl.config import CrawlConfig  # noqa: PLC0415
    from backlinks.crawl.crawler import Crawler  # noqa: PLC0415
    from backlinks.crawl.net import parse_resolve  # noqa: PLC0415

    out_fmt = _fmt(fmt)
    if scope not in ("host", "domain", "domains", "external"):
        raise typer.BadParameter("--scope must be host, domain, domains or external")
    try:
        mapping = parse_resolve(resolve or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    cfg = CrawlConfig(
        max_pages=1000 if max_pages is None else max_pages,
        max_depth=max_depth,
        scope=scope,  # type: ignore[arg-type]
        allowed_domains=tuple(allow_domain or ()),
        concurrency=concurrency,
        per_host=per_host,
        delay=delay,
        user_agent=user_agent,
        warc_dir=str(warc_dir) if warc_dir else None,
        resolve=mapping,
        allow_private=allow_private,
        keep_text=not no_text,
    )
    with Index(db) as index:
        try:
            if resume:
                crawler = Crawler.resume(index.store)
                # options given now win over the saved ones where they matter for going on
                if max_pages is not None:  # else the budget the crawl was started with
                    crawler.cfg.max_pages = max_pages
                crawler.cfg.resolve = mapping or crawler.cfg.resolve
                crawler.cfg.allow_private = allow_private or crawler.cfg.allow_private
            else:
                if not seeds:
                    raise typer.BadParameter("give seed URLs, or --resume")
                crawler = Crawler.start(index.store, seeds, cfg)
        except (LookupError, ValueError) as exc:
            err.print(Text(str(exc), style="red"))
            raise typer.Exit(2) from exc
        progress = Progress(
            TextColumn("[bold]crawl"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} pages, {task.fields[queued]:,} queued"),
            TimeElapsedColumn(),
            console=err,
            disable=quiet or (not err.is_terminal and not os.environ.get("BACKLINKS_PROGRESS")),
        )
        with progress:
            task = progress.add_task("crawl", total=crawler.cfg.max_pages, queued=0)

            def on_progress(done: int, total: int, queued: int) -> None:
                progress.update(task, completed=done, total=total, queued=queued)

            report = asyncio.run(crawler.run(on_progress))
        counts = dict(
            index.store.con.execute(
                "SELECT kind, n FROM crawl_counts WHERE snapshot_id = ? ORDER BY kind",
                [report.snapshot_id],
            ).fetchall()
        )
    summary = {
        "snapshot_id": report.snapshot_id,
        "pages": report.pages,
        "links": report.links,
        "finished": report.finished,
        "counts": counts,
    }
    emit_object(summary, out_fmt)


@app.command()
def verify(
    target: Annotated[str, typer.Argument(help="URL, host or domain whose backlinks to check.")],
    db: DbOpt = Path(DEFAULT_DB),
    limit: LimitOpt = 0,
    fmt: FormatOpt = "table",
    delay: Annotated[
        float, typer.Option("--delay", help="Seconds between requests to a host.")
    ] = 0.5,
    resolve: Annotated[
        list[str] | None, typer.Option("--resolve", help="HOST=ADDRESS[:PORT]; * for every host.")
    ] = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow private/loopback addresses.")
    ] = False,
    user_agent: Annotated[
        str, typer.Option("--user-agent", help="User-Agent.")
    ] = DEFAULT_USER_AGENT,
) -> None:
    """Re-fetch the pages linking to TARGET and say which backlinks are live, and why not."""
    import asyncio  # noqa: PLC0415

    from backlinks.crawl.config import CrawlConfig  # noqa: PLC0415
    from backlinks.crawl.net import parse_resolve  # noqa: PLC0415
    from backlinks.crawl.verify import verify as run_verify  # noqa: PLC0415

    out_fmt = _fmt(fmt)
    cfg = CrawlConfig(
        delay=delay,
        resolve=parse_resolve(resolve or []),
        allow_private=allow_private,
        user_agent=user_agent,
    )
    if not db.exists():
        err.print(f"[red]No index at {safe_text(db)}[/red]")
        raise typer.Exit(2)
    with Index(db) as index:
        df = asyncio.run(run_verify(index.store, target, cfg, limit=limit or None))
    emit_rows(df, out_fmt, title=f"backlinks to {safe_text(target)}, checked live")


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option("--workdir", help="Where the demo writes its files.")
    ] = Path("demo-out"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic web.")] = 7,
    limit: LimitOpt = 25,
) -> None:
    """Generate a synthetic multi-site web, write it as a WARC, ingest it, show backlinks."""
    from backlinks.demo.run import run_demo  # noqa: PLC0415 - keeps CLI start-up light

    run_demo(workdir, seed=seed, limit=limit)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        err.print("interrupted")
        sys.exit(130)
