"""Backlink-answer commands: report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, get_args

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backlinks.analysis.backlinks import Mode
from backlinks.cli.base import DEFAULT_DB, DbOpt, app, err, open_existing, progress_off
from backlinks.output import safe_text
from backlinks.quality.disavow import read_disavow

__all__ = ["app"]


@app.command()
def report(
    target: Annotated[str, typer.Argument(help="URL, URL prefix, host or domain.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="HTML file to write (self-contained).")
    ] = Path("report.html"),
    tables: Annotated[
        Path | None,
        typer.Option("--tables", help="Also write every table as CSV and JSON into this folder."),
    ] = None,
    disavow: Annotated[
        Path | None,
        typer.Option(
            "--disavow", help="Disavow file: its links leave the profile, toxic links are marked."
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="How to read TARGET: auto, url, prefix, host, domain.")
    ] = "auto",
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows per table.")] = 20,
    db: DbOpt = Path(DEFAULT_DB),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """One self-contained HTML report of a target: summary, charts and tables (no script,
    nothing loaded from the network; tables download as CSV and JSON)."""
    if mode not in get_args(Mode):
        raise typer.BadParameter(f"--mode must be one of {', '.join(get_args(Mode))}")
    if disavow is not None:
        if not disavow.is_file():
            raise typer.BadParameter(f"no disavow file at {safe_text(disavow)}")
        problems = read_disavow(disavow).problems
        if problems:
            err.print(
                f"{safe_text(disavow)}: {len(problems):,} malformed lines skipped "
                f"(see `backlinks disavow-check {safe_text(disavow)}`)"
            )
    index = open_existing(db)
    from backlinks.report.build import STEPS, build_report  # noqa: PLC0415 - numba import

    progress = Progress(
        TextColumn("[bold]report"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        console=err,
        disable=progress_off(quiet),
    )
    with index, progress:
        task = progress.add_task("report", total=len(STEPS), step="")

        def on_step(name: str) -> None:
            progress.update(task, advance=1, step=name)

        try:
            path = build_report(
                index.store,
                target,
                out=out,
                tables=tables,
                disavow=disavow,
                mode=mode,  # type: ignore[arg-type]
                limit=limit,
                on_step=on_step,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"report: {path.resolve()}")
    if tables is not None:
        typer.echo(f"tables: {tables.resolve()}")
