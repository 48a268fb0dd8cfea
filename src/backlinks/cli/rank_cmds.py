"""Authority commands: rank, top, whatif."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

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
from backlinks.graph.build import Exclusion
from backlinks.index import Index
from backlinks.output import emit_object, emit_rows, safe_text
from backlinks.quality.disavow import exclusion_of, read_disavow

DisavowOpt = Annotated[
    Path | None,
    typer.Option("--disavow", help="A disavow file: answer as if its links were disavowed."),
]


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
    disavow: DisavowOpt = None,
    limit: LimitOpt = 0,
    fmt: FormatOpt = "table",
) -> None:
    """Compute PageRank, rating (0-100), TrustRank and harmonic centrality.

    With --disavow, nothing is stored: each level is ranked with and without the links the
    file covers and the biggest rating changes are printed."""
    out_fmt = parse_format(fmt)
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
    if disavow is not None:
        with open_existing(db, writable=True) as index:
            exclude = _exclusion(index, disavow)
            for lv in levels:
                df = authority.rank_compare(index.store, lv, exclude, limit=limit or 50)  # type: ignore[arg-type]
                shown = df.drop(columns=["node_id"]) if out_fmt == "table" else df
                emit_rows(shown, out_fmt, title=f"{lv} ratings as if {disavow.name} were applied")
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
        disable=progress_off(),
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
    out_fmt = parse_format(fmt)
    from backlinks.analysis import authority  # noqa: PLC0415

    with open_existing(db) as index:
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
    disavow: DisavowOpt = None,
    query: Annotated[
        str | None,
        typer.Option("--query", help="Also show the target page's position for this search."),
    ] = None,
    fmt: FormatOpt = "table",
) -> None:
    """How the target's PageRank and rating would change if the sources linked to it (and,
    with --query, its position in `backlinks search` for that query)."""
    out_fmt = parse_format(fmt)
    if level not in ("page", "host", "domain"):
        raise typer.BadParameter("--level must be page, host or domain")
    if query is not None and level == "host":
        raise typer.BadParameter("--query needs --level page or domain (what search uses)")
    from backlinks.analysis import authority  # noqa: PLC0415

    with Index(db) as index:
        exclude = _exclusion(index, disavow) if disavow else None
        result = authority.whatif(index.store, source, target, level, exclude=exclude)  # type: ignore[arg-type]
        if query is not None:
            from backlinks.analysis.search_whatif import whatif_position  # noqa: PLC0415

            result |= whatif_position(
                index.store, query, source, target, level=level, exclude=exclude
            )
    if disavow:
        result["disavow_file"] = str(disavow)
    if query is not None and result["position_before"] is None:
        err.print(f"{safe_text(target)} does not match {safe_text(query)!r}: no position.")
    emit_object(result, out_fmt)


def _exclusion(index: Index, path: Path) -> Exclusion:
    """The links a disavow file covers in this index (its problems reported on stderr)."""
    parsed = read_disavow(path)
    for p in parsed.problems[:20]:
        err.print(
            f"{safe_text(path)} line {p.line}: {safe_text(p.reason)}: {safe_text(p.text[:100])}"
        )
    exclude = exclusion_of(index.store, parsed)
    err.print(
        f"disavowing {len(parsed.domains):,} domains ({len(exclude.host_ids):,} hosts) and "
        f"{len(parsed.urls):,} URLs from {safe_text(path)}"
    )
    return exclude
