"""Commands over the index: ingest, links, stats, snapshots, export."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from backlinks.cli.base import (
    DEFAULT_DB,
    DbOpt,
    FormatOpt,
    LimitOpt,
    app,
    err,
    open_existing,
    parse_format,
    progress_off,
)
from backlinks.index import Index
from backlinks.ingest import IngestReport
from backlinks.output import Format, compact_links, emit_object, emit_rows, safe_text


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
    out_fmt = parse_format(fmt)
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
            disable=progress_off(quiet),
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
        **report.totals(),
        "seconds": round(seconds, 2),
        "mb_per_s": round(mb / seconds, 1) if seconds > 0 else 0.0,
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
    out_fmt = parse_format(fmt)
    if mode not in ("auto", "url", "prefix", "host", "domain"):
        raise typer.BadParameter("--mode must be auto, url, prefix, host or domain")
    with open_existing(db) as index:
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
    out_fmt = parse_format(fmt)
    with open_existing(db) as index:
        emit_object(index.stats(), out_fmt)


@app.command()
def snapshots(
    db: DbOpt = Path(DEFAULT_DB), limit: LimitOpt = 100, fmt: FormatOpt = "table"
) -> None:
    """Snapshots (ingest batches) with their crawl windows and sizes."""
    out_fmt = parse_format(fmt)
    with open_existing(db) as index:
        df = index.snapshots()
    emit_rows(df.head(limit) if limit else df, out_fmt, title="snapshots")


@app.command()
def export(
    folder: Annotated[Path, typer.Argument(help="Folder to write <table>.parquet files into.")],
    db: DbOpt = Path(DEFAULT_DB),
) -> None:
    """Export every table of the index to Parquet (the layout the Spark jobs read)."""
    with open_existing(db) as index:
        written = index.export(folder)
    for path in written:
        Console().print(Text(f"{safe_text(path)}  {path.stat().st_size:,} bytes"))


@app.command("import-parquet")
def import_parquet(
    folder: Annotated[
        Path,
        typer.Argument(help="`spark ingest --out`, `export` or `spark rank --out` folder."),
    ],
    db: DbOpt = Path(DEFAULT_DB),
    fmt: FormatOpt = "table",
) -> None:
    """Load Parquet into the index: a Spark ingest's tables (file by file, idempotent),
    another index's export, or a Spark rank's metrics."""
    from backlinks.store.parquet_import import import_parquet as load  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    with Index(db) as index:
        try:
            added = load(index.store, folder)
        except (FileNotFoundError, ValueError) as exc:
            err.print(Text(str(exc), style="red"))
            raise typer.Exit(2) from exc
    emit_object(dict(sorted(added.items())), out_fmt)
