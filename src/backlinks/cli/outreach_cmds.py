"""Backlink-answer commands: broken, mentions, and the ``outreach`` pipeline sub-commands."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from backlinks.analysis.reclaim import DEFAULT_MIN_RATING
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
from backlinks.output import emit_object, emit_rows, safe_text

__all__ = ["app", "outreach_app", "read_prospects"]

outreach_app = typer.Typer(
    name="outreach",
    help="The link-building pipeline: gather prospects, track their status, re-check won links.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(outreach_app, name="outreach")

ModeOpt = Annotated[str, typer.Option("--mode", help="auto, url, prefix, host or domain.")]
_MODES = ("auto", "url", "prefix", "host", "domain")
_SOURCES = ("broken", "lost", "mentions")


def _mode(value: str) -> str:
    if value not in _MODES:
        raise typer.BadParameter("--mode must be auto, url, prefix, host or domain")
    return value


def read_prospects(path: Path, kind: str = "manual") -> pd.DataFrame:
    """Prospect rows from a file: JSON (an array of objects), CSV with a header naming
    ``source_url``, ``url`` or ``example_url`` (``kind`` and ``notes`` optional; rows with
    ``domain`` and ``example_url``, as ``backlinks intersect --format csv`` writes, are
    ``intersect`` prospects), or one URL a line (``#`` starts a comment line)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        records = json.loads(text)
        if not isinstance(records, list):
            raise ValueError(f"{path}: expected a JSON array of objects")
    else:
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        head = {h.strip().lower() for h in lines[0].split(",")} if lines else set()
        if head & {"source_url", "url", "example_url"}:
            records = list(csv.DictReader(lines))
        else:
            records = [{"source_url": ln.strip()} for ln in lines]
    out = []
    for rec in records:
        url = rec.get("source_url") or rec.get("url") or rec.get("example_url")
        if url:
            default = "intersect" if "example_url" in rec and "domain" in rec else kind
            out.append({"source_url": url, "kind": rec.get("kind") or default,
                        "notes": rec.get("notes")})  # fmt: skip
    return pd.DataFrame(out, columns=["source_url", "kind", "notes"])


def _fail(exc: Exception) -> typer.Exit:
    err.print(Text(str(exc), style="red"))
    return typer.Exit(2)


@app.command()
def broken(
    target: Annotated[str, typer.Argument(help="URL, URL prefix, host or domain of mine.")],
    db: DbOpt = Path(DEFAULT_DB),
    limit: LimitOpt = 100,
    fmt: FormatOpt = "table",
    mode: ModeOpt = "auto",
) -> None:
    """Backlinks landing on my 404/410 pages or redirect chains, and where to 301 them."""
    from backlinks.analysis.reclaim import broken as find_broken  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    with open_existing(db) as index:
        try:
            df = find_broken(index.store, target, mode=_mode(mode), limit=limit or None)  # type: ignore[arg-type]
        except ValueError as exc:
            raise _fail(exc) from exc
    emit_rows(df, out_fmt, title=f"broken pages of {safe_text(target)} with backlinks")


@app.command()
def mentions(
    target: Annotated[str, typer.Argument(help="URL, host or domain of mine.")],
    brand: Annotated[
        list[str] | None,
        typer.Option("--brand", help="Brand term to look for (repeatable; default: derived)."),
    ] = None,
    db: DbOpt = Path(DEFAULT_DB),
    limit: LimitOpt = 100,
    fmt: FormatOpt = "table",
) -> None:
    """Pages that name my brand or domain but do not link to my domain."""
    from backlinks.analysis.mentions import unlinked_mentions  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    with open_existing(db) as index:
        try:
            df = unlinked_mentions(index.store, target, brand=brand, limit=limit or None)
        except ValueError as exc:
            raise _fail(exc) from exc
    emit_rows(df, out_fmt, title=f"unlinked mentions of {safe_text(target)}")


@outreach_app.command("add")
def outreach_add(
    target: Annotated[str, typer.Argument(help="URL, host or domain the links should point to.")],
    sources: Annotated[
        list[str] | None,
        typer.Option("--from", help="Gather prospects: broken, lost or mentions (repeatable)."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Prospects from a file: URL lines, CSV or JSON."),
    ] = None,
    url: Annotated[
        list[str] | None, typer.Option("--url", help="A prospect page (repeatable).")
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="Kind of --url and --file prospects.")
    ] = "manual",
    owner: Annotated[str | None, typer.Option("--owner", help="Who works them.")] = None,
    brand: Annotated[
        list[str] | None, typer.Option("--brand", help="Brand term for --from mentions.")
    ] = None,
    min_rating: Annotated[
        float, typer.Option("--min-rating", help="Lowest source rating for --from lost.")
    ] = DEFAULT_MIN_RATING,
    db: DbOpt = Path(DEFAULT_DB),
    fmt: FormatOpt = "table",
) -> None:
    """Add prospects for TARGET: gathered from the index, from a file, or given URLs."""
    from backlinks.analysis import outreach  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    picked = list(sources or [])
    if "file" in picked:  # `--from file --file FILE` reads as the same thing
        picked.remove("file")
        if file is None:
            raise typer.BadParameter("--from file needs --file FILE")
    unknown = [s for s in picked if s not in _SOURCES]
    if unknown:
        raise typer.BadParameter(f"--from must be one of {', '.join(_SOURCES)}, not {unknown}")
    if not (picked or file or url):
        raise typer.BadParameter("give --from, --file or --url")
    if not db.exists():
        err.print(f"[red]No index at {safe_text(db)}[/red]")
        raise typer.Exit(2)
    with Index(db) as index:
        try:
            parts = []
            if picked:
                kinds = ["mention" if s == "mentions" else s for s in picked]
                parts.append(
                    outreach.gather(
                        index.store, target, kinds=kinds, brand=brand, min_rating=min_rating
                    )
                )
            if file is not None:
                parts.append(read_prospects(file, kind))
            if url:
                parts.append(pd.DataFrame({"source_url": url, "kind": kind, "notes": None}))
            cols = ["source_url", "kind", "notes"]
            frames = [p[cols] for p in parts if not p.empty]
            rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
            added = outreach.add_prospects(index.store, target, rows, owner=owner)
        except (ValueError, OSError) as exc:
            raise _fail(exc) from exc
    summary = {
        "target": target,
        "found": len(rows),
        "added": added,
        "by_kind": {str(k): int(n) for k, n in rows["kind"].value_counts().items()},
    }
    emit_object(summary, out_fmt)


@outreach_app.command("list")
def outreach_list(
    target: Annotated[str | None, typer.Argument(help="Only this target's prospects.")] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only this status: new, contacted, replied, won, declined."),
    ] = None,
    db: DbOpt = Path(DEFAULT_DB),
    limit: LimitOpt = 100,
    fmt: FormatOpt = "table",
) -> None:
    """The prospects in the pipeline with status, owner, notes and the last live check."""
    from backlinks.analysis.outreach import list_prospects  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    with open_existing(db) as index:
        try:
            df = list_prospects(index.store, target, status, limit=limit or None)
        except ValueError as exc:
            raise _fail(exc) from exc
    emit_rows(df, out_fmt, title="outreach prospects")


@outreach_app.command("set")
def outreach_set(
    prospect: Annotated[str, typer.Argument(help="Prospect id, or its source URL.")],
    status: Annotated[
        str,
        typer.Option("--status", help="new, contacted, replied, won or declined."),
    ],
    owner: Annotated[str | None, typer.Option("--owner", help="Who works it.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Replace its notes.")] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="Its target, when a URL has several.")
    ] = None,
    db: DbOpt = Path(DEFAULT_DB),
    fmt: FormatOpt = "table",
) -> None:
    """Move a prospect along new → contacted → replied → won (or to declined)."""
    from backlinks.analysis.outreach import set_status  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    if not db.exists():
        err.print(f"[red]No index at {safe_text(db)}[/red]")
        raise typer.Exit(2)
    with Index(db) as index:
        try:
            row = set_status(index.store, prospect, status, owner=owner, notes=notes, target=target)
        except (ValueError, LookupError) as exc:
            raise _fail(exc) from exc
    emit_object(row, out_fmt)


@outreach_app.command("check")
def outreach_check(
    target: Annotated[str | None, typer.Argument(help="Only this target's won links.")] = None,
    db: DbOpt = Path(DEFAULT_DB),
    limit: LimitOpt = 0,
    fmt: FormatOpt = "table",
    delay: Annotated[
        float, typer.Option("--delay", help="Seconds between requests to a host.")
    ] = 0.5,
    resolve: Annotated[
        list[str] | None,
        typer.Option("--resolve", help="HOST=ADDRESS[:PORT], like curl; * for every host."),
    ] = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow private/loopback addresses.")
    ] = False,
    user_agent: Annotated[
        str | None, typer.Option("--user-agent", help="User-Agent (default: the crawler's).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Re-fetch the page of every won prospect and flag its link live, lost or unknown."""
    import asyncio  # noqa: PLC0415

    from backlinks.analysis.outreach_check import check_async  # noqa: PLC0415
    from backlinks.crawl.config import CrawlConfig  # noqa: PLC0415
    from backlinks.crawl.net import parse_resolve  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    try:
        mapping = parse_resolve(resolve or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    cfg = CrawlConfig(delay=delay, resolve=mapping, allow_private=allow_private)
    if user_agent:
        cfg.user_agent = user_agent
    if not db.exists():
        err.print(f"[red]No index at {safe_text(db)}[/red]")
        raise typer.Exit(2)
    progress = Progress(
        TextColumn("[bold]check"),
        BarColumn(),
        TextColumn("{task.completed:,} pages fetched"),
        TimeElapsedColumn(),
        console=err,
        disable=progress_off(quiet),
    )
    with Index(db) as index, progress:
        task = progress.add_task("check", total=None)

        def on_progress(done: int, total: int, queued: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            df = asyncio.run(check_async(index.store, target, cfg, progress=on_progress))
        except ValueError as exc:
            raise _fail(exc) from exc
    emit_rows(df.head(limit) if limit else df, out_fmt, title="won links, checked live")
