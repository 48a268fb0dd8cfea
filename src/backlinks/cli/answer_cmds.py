"""Backlink-answer commands: referral, search."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

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
from backlinks.output import emit_rows, safe_text

__all__ = ["app"]

_MODES = ("auto", "url", "prefix", "host", "domain")
_LINK_TABLE = ("source_url", "target_url", "section", "position", "click_share", "clicks_per_month")


@app.command()
def referral(
    target: Annotated[str, typer.Argument(help="URL, URL prefix, host or domain.")],
    db: DbOpt = Path(DEFAULT_DB),
    by: Annotated[
        str, typer.Option("--by", help="link (each backlink) or domain (referring domains).")
    ] = "link",
    visits: Annotated[
        float,
        typer.Option("--visits", min=0, help="Monthly visits of the whole indexed web."),
    ] = 100_000_000,
    ctr: Annotated[
        float,
        typer.Option("--ctr", min=0, max=1, help="Share of a page's visits that click a link."),
    ] = 0.3,
    mode: Annotated[str, typer.Option("--mode", help="auto, url, prefix, host or domain.")] = (
        "auto"
    ),
    internal: Annotated[
        bool, typer.Option("--internal", help="Include links from the target's own domain.")
    ] = False,
    limit: LimitOpt = 100,
    fmt: FormatOpt = "table",
) -> None:
    """Estimated monthly referral clicks from each backlink (reasonable-surfer model)."""
    out_fmt = parse_format(fmt)
    if by not in ("link", "domain"):
        raise typer.BadParameter("--by must be link or domain")
    if mode not in _MODES:
        raise typer.BadParameter("--mode must be auto, url, prefix, host or domain")
    from backlinks.analysis.referral import referral as estimate  # noqa: PLC0415

    with open_existing(db) as index:
        try:
            df = estimate(
                index.store,
                target,
                mode=mode,  # type: ignore[arg-type]
                by=by,  # type: ignore[arg-type]
                limit=limit or None,
                total_visits=visits,
                ctr=ctr,
                include_internal=internal,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    if df.attrs.get("visits_basis") == "in-degree":
        err.print(
            "No page PageRank yet: visits estimated from in-degree. "
            "Run `backlinks rank --level page` for the PageRank-based estimate."
        )
    if df.empty:
        err.print(f"No backlinks of {safe_text(target)} in the sources' latest fetches.")
    if out_fmt == "table" and by == "link":  # CSV and JSON keep every column
        df = df.loc[:, [c for c in df.columns if c in _LINK_TABLE]]
    emit_rows(df, out_fmt, title=f"referral clicks per month to {target}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words to look for in titles and page text.")],
    db: DbOpt = Path(DEFAULT_DB),
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Show BM25, ratings, authority and its share of the score."),
    ] = False,
    limit: LimitOpt = 10,
    fmt: FormatOpt = "table",
) -> None:
    """Search the indexed pages: BM25 text relevance lifted by link authority."""
    out_fmt = parse_format(fmt)
    from backlinks.analysis import search as engine  # noqa: PLC0415

    progress = Progress(
        TextColumn("[bold]building search index"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} pages"),
        TimeElapsedColumn(),
        console=err,
        disable=progress_off(),
        transient=True,
    )
    tasks: list[TaskID] = []

    def on_batch(done: int, total: int) -> None:  # only called when the index is built
        if not tasks:
            tasks.append(progress.add_task("index", total=total))
        progress.update(tasks[0], completed=done, total=total)

    with open_existing(db) as index, progress:
        si = engine.load_index(index.store, progress=on_batch)
        df = engine.search(index.store, query, limit=limit or None, index=si)
    if not df.attrs.get("authority"):
        err.print("No ratings yet: ranked by text alone. Run `backlinks rank` to add authority.")
    if df.empty:
        err.print(f"No page matches {safe_text(query)!r} ({si.size:,} pages searched).")
    if explain:
        err.print(
            f"score = bm25/max(bm25) · (1 + {engine.AUTHORITY_WEIGHT:g} · authority); authority "
            "= (page rating + domain rating) / 200; authority_share = share of the score due "
            "to links"
        )
    elif out_fmt == "table":
        df = df.loc[:, ["rank", "url", "title", "score"]]
    emit_rows(df, out_fmt, title=f"search: {query}")
