"""The Typer app, the options every command shares, and small helpers."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console

from backlinks.index import Index
from backlinks.output import FORMATS, Format, safe_text

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


def progress_off(quiet: bool = False) -> bool:
    """Progress bars are for people: off with --quiet or when stderr is not a terminal
    (``BACKLINKS_PROGRESS=1`` forces them on, e.g. under a pager or in a recording)."""
    return quiet or (not err.is_terminal and not os.environ.get("BACKLINKS_PROGRESS"))


def parse_format(value: str) -> Format:
    if value not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    return value  # type: ignore[return-value]


def open_existing(db: Path, *, writable: bool = False) -> Index:
    """An index that must already exist (exit 2 with a hint otherwise); read-only unless
    the command caches graphs beside it."""
    if not db.exists():
        err.print(
            f"[red]No index at {safe_text(db)}[/red] — run `backlinks ingest PATH --db {db}`."
        )
        raise typer.Exit(2)
    return Index(db, read_only=not writable)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        err.print("interrupted")
        sys.exit(130)
