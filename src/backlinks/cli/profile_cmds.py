"""Backlink-answer commands: profile, anchors, new-lost."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.text import Text

from backlinks.analysis.backlinks import Mode
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
from backlinks.graph.build import Exclusion
from backlinks.output import Format, emit_object, emit_rows, records, safe_text
from backlinks.store.db import Store

__all__ = ["anchors", "app", "new_lost", "profile"]

MODES = ("auto", "url", "prefix", "host", "domain")
ModeOpt = Annotated[str, typer.Option("--mode", help="auto, url, prefix, host or domain.")]
TargetArg = Annotated[str, typer.Argument(help="URL, URL prefix, host or domain.")]


def _mode(value: str) -> Mode:
    if value not in MODES:
        raise typer.BadParameter("--mode must be auto, url, prefix, host or domain")
    return value  # type: ignore[return-value]


def _fail(exc: Exception) -> typer.Exit:
    err.print(Text(safe_text(exc), style="red"))
    return typer.Exit(2)


@app.command()
def profile(
    target: TargetArg,
    db: DbOpt = Path(DEFAULT_DB),
    limit: LimitOpt = 20,
    fmt: FormatOpt = "table",
    mode: ModeOpt = "auto",
    disavow: Annotated[
        Path | None,
        typer.Option("--disavow", help="A disavow file: counts and ratings as if applied."),
    ] = None,
    section: Annotated[
        str | None,
        typer.Option(
            "--section",
            help="Print one part as rows: summary, anchors, top_anchors, top_domains, "
            "best_pages, tlds, sections, velocity or rating_distribution.",
        ),
    ] = None,
) -> None:
    """A target's backlink profile: rating, counts, anchors, top referring domains, best
    pages, TLDs, sections, velocity per snapshot and the rating spread of its referrers."""
    from backlinks.analysis.profile import SECTIONS  # noqa: PLC0415
    from backlinks.analysis.profile import profile as build  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    if section is not None and section not in ("summary", *SECTIONS):
        raise typer.BadParameter(f"--section must be summary or one of {', '.join(SECTIONS)}")
    resolved_mode = _mode(mode)
    with open_existing(db, writable=disavow is not None) as index:
        exclude = _exclusion(index.store, disavow) if disavow else None
        try:
            result = build(index.store, target, mode=resolved_mode, exclude=exclude, limit=limit)
        except ValueError as exc:
            raise _fail(exc) from exc
    summary = {"target": result.target, "mode": result.mode, **result.summary}
    if disavow:
        summary["disavow_file"] = str(disavow)
    if section == "summary" or (section is None and out_fmt == "csv"):
        emit_object(summary, out_fmt)
        return
    if section is not None:
        emit_rows(getattr(result, section), out_fmt, title=f"{section} of {safe_text(target)}")
        return
    frames = {name: getattr(result, name) for name in SECTIONS}
    if out_fmt == "json":
        payload: dict[str, Any] = {"summary": records(pd.DataFrame([summary]))[0]}
        payload |= {name: records(df) for name, df in frames.items()}
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    emit_rows(_key_values(summary), out_fmt, title=f"backlink profile of {safe_text(target)}")
    for name, df in frames.items():
        emit_rows(df, out_fmt, title=name.replace("_", " "))


def _key_values(summary: dict[str, Any]) -> pd.DataFrame:
    """The summary as a two-column table of display strings."""
    shown = []
    for key, value in summary.items():
        if value is None:
            text = "unranked" if key in ("rating", "pagerank") else ""
        elif isinstance(value, bool):
            text = str(value)
        elif isinstance(value, int):
            text = f"{value:,}"
        elif isinstance(value, float):
            text = f"{value:.4g}" if key == "pagerank" else f"{value:g}"
        else:
            text = str(value)
        shown.append(text)
    return pd.DataFrame({"key": list(summary), "value": shown})


def _exclusion(store: Store, path: Path) -> Exclusion:
    """The links a disavow file covers in this index; its problems go to stderr."""
    from backlinks.quality.disavow import exclusion_of, read_disavow  # noqa: PLC0415

    parsed = read_disavow(path)
    for p in parsed.problems[:20]:
        where = f"{safe_text(path)} line {p.line}"
        err.print(Text(f"{where}: {safe_text(p.reason)}: {safe_text(p.text[:100])}"))
    exclude = exclusion_of(store, parsed)
    err.print(
        Text(
            f"disavowing {len(parsed.domains):,} domains ({len(exclude.host_ids):,} hosts) and "
            f"{len(parsed.urls):,} URLs from {safe_text(path)}"
        )
    )
    return exclude


@app.command()
def anchors(
    target: TargetArg,
    db: DbOpt = Path(DEFAULT_DB),
    limit: LimitOpt = 20,
    fmt: FormatOpt = "table",
    mode: ModeOpt = "auto",
) -> None:
    """Anchor text of a target's backlinks: the profile by class (branded, exact, partial,
    url, generic, image, other) and the top anchors. CSV stacks both, with a `part` column."""
    from backlinks.analysis.profile import anchor_sections  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    resolved_mode = _mode(mode)
    with open_existing(db) as index:
        try:
            classes, top = anchor_sections(index.store, target, mode=resolved_mode, limit=limit)
        except ValueError as exc:
            raise _fail(exc) from exc
    if out_fmt == "json":
        json.dump(
            {"classes": records(classes), "top_anchors": records(top)},
            sys.stdout,
            ensure_ascii=False,
            indent=1,
        )
        sys.stdout.write("\n")
        return
    if out_fmt == "csv":
        stacked = pd.concat(
            [classes.assign(part="classes"), top.assign(part="top_anchors")], ignore_index=True
        )
        cols = ["part", "anchor", "anchor_class", "referring_domains", "links", "share"]
        emit_rows(stacked.loc[:, cols], out_fmt)
        return
    emit_rows(classes, out_fmt, title=f"anchor classes of {safe_text(target)}")
    emit_rows(top, out_fmt, title=f"top anchors of {safe_text(target)}")


@app.command("new-lost")
def new_lost(
    target: TargetArg,
    db: DbOpt = Path(DEFAULT_DB),
    limit: LimitOpt = 100,
    fmt: FormatOpt = "table",
    mode: ModeOpt = "auto",
    from_snapshot: Annotated[
        int | None,
        typer.Option("--from", help="Earlier snapshot id (default: second-to-last with links)."),
    ] = None,
    to_snapshot: Annotated[
        int | None, typer.Option("--to", help="Later snapshot id (default: the last with links).")
    ] = None,
    show_timeline: Annotated[
        bool,
        typer.Option("--timeline", help="Per snapshot: referring domains and links, new and lost."),
    ] = False,
) -> None:
    """Backlinks new and lost between two snapshots, each lost one with why (page gone,
    redirected, now nofollow, removed, or not re-crawled); --timeline for every snapshot."""
    from backlinks.analysis import history  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    resolved_mode = _mode(mode)
    with open_existing(db) as index:
        try:
            if show_timeline:
                df = history.timeline(index.store, target, mode=resolved_mode)
            else:
                df = history.new_lost(
                    index.store,
                    target,
                    mode=resolved_mode,
                    from_snapshot=from_snapshot,
                    to_snapshot=to_snapshot,
                )
        except ValueError as exc:
            raise _fail(exc) from exc
    if show_timeline:
        emit_rows(df.head(limit) if limit else df, out_fmt, title=f"timeline of {target}")
        return
    _tally(df)
    emit_rows(
        _compact(df, out_fmt).head(limit) if limit else _compact(df, out_fmt),
        out_fmt,
        title=f"new and lost backlinks of {safe_text(target)}",
    )


def _tally(df: pd.DataFrame) -> None:
    """Counts by change and reason, on stderr."""
    if df.empty:
        err.print("No new or lost backlinks between these snapshots.")
        return
    counts = df.groupby(["change", "reason"]).size()
    parts = [f"{int(n):,} {key[0]} ({key[1]})" for key, n in zip(counts.index, counts, strict=True)]
    err.print(Text(", ".join(parts)))


def _compact(df: pd.DataFrame, fmt: Format) -> pd.DataFrame:
    """Terminal tables: no source domain or first-seen column, dates without times. CSV and
    JSON keep every field as is."""
    if fmt != "table" or df.empty:
        return df
    out = df.drop(columns=["source_domain", "first_seen"])
    out["last_seen"] = pd.to_datetime(out["last_seen"]).dt.strftime("%Y-%m-%d")
    return out
