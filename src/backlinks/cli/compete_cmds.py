"""Backlink-answer commands: intersect, gap, topics (competitor analysis and relevance)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from backlinks.analysis import competitors
from backlinks.analysis import topics as topic_mod
from backlinks.cli.base import (
    DEFAULT_DB,
    DbOpt,
    FormatOpt,
    LimitOpt,
    app,
    err,
    open_existing,
    parse_format,
)
from backlinks.output import emit_rows, safe_text

__all__ = ["app"]

MeArg = Annotated[str, typer.Argument(help="Your site: URL, host or domain.")]
CompetitorOpt = Annotated[
    list[str],
    typer.Option(
        "--competitor", "-c", help="A competitor: URL, host or domain (repeat for each one)."
    ),
]
NofollowOpt = Annotated[
    bool,
    typer.Option(
        "--include-nofollow", help="Count nofollow, ugc and sponsored links to competitors too."
    ),
]


def _shown(df: pd.DataFrame, fmt: str, ids: tuple[str, ...]) -> pd.DataFrame:
    """Internal ids are for programs: CSV and JSON keep them, the table does not."""
    return df.drop(columns=[c for c in ids if c in df.columns]) if fmt == "table" else df


@app.command()
def intersect(
    me: MeArg,
    competitor: CompetitorOpt,
    db: DbOpt = Path(DEFAULT_DB),
    min_competitors: Annotated[
        int,
        typer.Option("--min-competitors", min=1, help="Link to at least this many competitors."),
    ] = 1,
    include_nofollow: NofollowOpt = False,
    limit: LimitOpt = 100,
    fmt: FormatOpt = "table",
) -> None:
    """Referring domains that link to your competitors but not to you: most competitors
    linked first, then by score (rating x topical relevance to you)."""
    out_fmt = parse_format(fmt)
    with open_existing(db) as index:
        try:
            df = competitors.intersect(
                index.store,
                me,
                competitor,
                min_competitors=min_competitors,
                limit=limit or None,
                include_nofollow=include_nofollow,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    if df.empty:
        err.print(
            f"No referring domain links to {min_competitors} or more of the competitors "
            f"but not to {safe_text(me)}."
        )
    emit_rows(
        _shown(df, out_fmt, ("domain_id",)),
        out_fmt,
        title=f"link intersect: not linking to {me}",
    )


@app.command()
def gap(
    me: MeArg,
    competitor: CompetitorOpt,
    db: DbOpt = Path(DEFAULT_DB),
    include_nofollow: NofollowOpt = False,
    limit: LimitOpt = 100,
    fmt: FormatOpt = "table",
) -> None:
    """Competitor pages by the number of referring domains that link them but not you."""
    out_fmt = parse_format(fmt)
    with open_existing(db) as index:
        try:
            df = competitors.gap(
                index.store,
                me,
                competitor,
                limit=limit or None,
                include_nofollow=include_nofollow,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    if df.empty:
        err.print(f"No competitor page has referring domains that do not link to {safe_text(me)}.")
    emit_rows(
        _shown(df, out_fmt, ("dst_url_id",)),
        out_fmt,
        title=f"link gap: competitor pages, domains not linking to {me}",
    )


@app.command()
def topics(
    db: DbOpt = Path(DEFAULT_DB),
    clusters: Annotated[
        int,
        typer.Option(
            "--clusters", min=0, help="Number of topics (0: chosen by silhouette, the default)."
        ),
    ] = 0,
    limit: LimitOpt = 100,
    fmt: FormatOpt = "table",
) -> None:
    """A topic label per domain with page text: its TF-IDF cluster's top terms."""
    out_fmt = parse_format(fmt)
    with open_existing(db) as index:
        df = topic_mod.topic_labels(index.store, k=clusters or None)
    if df.empty:
        err.print("No page text in the index (ingest WARC files without --no-text).")
    else:
        err.print(f"{df.cluster.nunique()} topics over {len(df):,} domains")
    if limit:
        df = df.head(limit)
    emit_rows(_shown(df, out_fmt, ("domain_id",)), out_fmt, title="topics")
