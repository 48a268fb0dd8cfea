"""``backlinks spark ...``: the same jobs on Apache Spark (local mode by default)."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from backlinks.cli.base import FormatOpt, LimitOpt, app, err, parse_format
from backlinks.output import emit_rows, safe_text

spark_app = typer.Typer(
    name="spark",
    help="Run the pipeline on Apache Spark (local[2] here, or a cluster via spark-submit).",
    no_args_is_help=True,
)
app.add_typer(spark_app, name="spark")

MasterOpt = Annotated[
    str,
    typer.Option(
        "--master",
        help="Spark master (local[N], spark://..., yarn; 'submit': keep spark-submit's).",
    ),
]
BlocksOpt = Annotated[
    int, typer.Option("--blocks", min=0, help="Graph blocks (Spark tasks per iteration; 0: cores).")
]


def _session(master: str):  # type: ignore[no-untyped-def]
    from backlinks.spark.session import spark_session  # noqa: PLC0415

    # PySpark warns that it does not yet "fully support" pandas 3; our jobs move Arrow.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    try:
        return spark_session(None if master == "submit" else master)
    except RuntimeError as exc:
        err.print(f"[red]{safe_text(exc)}[/red]")
        raise typer.Exit(2) from exc


@spark_app.command("ingest")
def spark_ingest(
    paths: Annotated[
        list[str] | None, typer.Argument(help="WARC/WAT files, directories or globs.")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the Parquet tables (one file per input).")
    ] = Path("spark-out"),
    paths_file: Annotated[
        Path | None,
        typer.Option(
            "--paths-file", help="A manifest: one path a line (gzip ok), e.g. wat.paths.gz."
        ),
    ] = None,
    prefix: Annotated[
        str, typer.Option("--prefix", help="Put before every manifest line (a folder).")
    ] = "",
    no_text: Annotated[bool, typer.Option("--no-text", help="Do not keep page text.")] = False,
    master: MasterOpt = "local[2]",
    fmt: FormatOpt = "table",
) -> None:
    """WARC/WAT files → pages, links (and the other store tables) as Parquet, one Spark task
    per file, with the embedded ingest's reader and extractor; load the result with
    `backlinks import-parquet`."""
    from backlinks.spark.ingest import read_manifest, spark_ingest  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    todo = list(paths or [])
    if paths_file is not None:
        todo += read_manifest(paths_file, prefix)
    if not todo:
        raise typer.BadParameter("give WARC/WAT paths or --paths-file")
    start = time.perf_counter()
    spark = _session(master)
    result = spark_ingest(spark, todo, out, keep_text=not no_text)
    for problem in result.problems[:50]:
        err.print(Text(problem, style="yellow"))
    rows = [
        {"file": f.path, "pages": f.pages, "links": f.links, "skipped": f.skipped}
        for f in result.files
    ]
    import pandas as pd  # noqa: PLC0415

    emit_rows(pd.DataFrame(rows), out_fmt, title=f"spark ingest → {safe_text(out)}")
    err.print(
        f"snapshot {result.snapshot_id}: {len(result.files):,} files, {result.records:,} records, "
        f"{result.pages:,} pages, {result.links:,} links in {time.perf_counter() - start:.1f} s"
    )
    if not result.files:
        raise typer.Exit(1)


@spark_app.command("graph")
def spark_graph(
    edges: Annotated[Path | None, typer.Option("--edges", help="An edge file.")] = None,
    links: Annotated[
        str | None, typer.Option("--links", help="links Parquet (`export` or `spark ingest`).")
    ] = None,
    pages: Annotated[
        str | None, typer.Option("--pages", help="pages Parquet: fetched pages are nodes too.")
    ] = None,
    names: Annotated[
        str | None, typer.Option("--names", help="hosts or domains Parquet for labels.")
    ] = None,
    level: Annotated[str, typer.Option("--level", help="page, host or domain.")] = "host",
    out: Annotated[Path, typer.Option("--out", help="Folder for edges/, nodes/, graph.json.")] = (
        Path("spark-graph")
    ),
    master: MasterOpt = "local[2]",
) -> None:
    """Build a link graph with dense ids (the embedded build's rules) and write it as
    Parquet, for `spark rank --graph`."""
    from backlinks.spark.graph import write_graph  # noqa: PLC0415

    _check(edges, links, level)
    spark = _session(master)
    graph = _graph(spark, edges, links, pages, names, level)
    write_graph(graph, str(out))
    err.print(f"{graph.n:,} nodes, {graph.edges.count():,} edges written to {safe_text(out)}")


def _check(edges: Path | None, links: str | None, level: str) -> None:
    """Bad options fail before a Spark session is started (seconds)."""
    if level not in ("page", "host", "domain"):
        raise typer.BadParameter("--level must be page, host or domain")
    if (edges is None) == (links is None):
        raise typer.BadParameter("give one of --edges FILE or --links PARQUET")
    if edges is not None and not edges.exists():
        raise typer.BadParameter(f"no such file: {edges}")


def _graph(  # type: ignore[no-untyped-def]
    spark, edges: Path | None, links: str | None, pages: str | None, names: str | None, level: str
):
    from backlinks.spark.graph import edge_file_graph, links_graph  # noqa: PLC0415

    _check(edges, links, level)
    if edges is not None:
        return edge_file_graph(spark, str(edges), level)
    return links_graph(spark, str(links), level, pages=pages, names=names)


@spark_app.command("rank")
def spark_rank(
    edges: Annotated[
        Path | None,
        typer.Option("--edges", help="Rank an edge file (as `backlinks rank --edges`)."),
    ] = None,
    links: Annotated[
        str | None,
        typer.Option("--links", help="Rank links Parquet (`backlinks export`'s links.parquet)."),
    ] = None,
    pages: Annotated[
        str | None,
        typer.Option("--pages", help="pages.parquet: fetched pages are nodes too (as the store)."),
    ] = None,
    names: Annotated[
        str | None,
        typer.Option("--names", help="hosts.parquet or domains.parquet for --links labels."),
    ] = None,
    graph_dir: Annotated[
        str | None, typer.Option("--graph", help="A graph written by `spark graph`.")
    ] = None,
    level: Annotated[str, typer.Option("--level", help="page, host or domain.")] = "host",
    seeds: Annotated[
        Path | None,
        typer.Option("--seeds", help="TrustRank seeds: URLs/hosts/domains, one a line."),
    ] = None,
    out: Annotated[
        str | None, typer.Option("--out", help="Write the metrics table here (Parquet folder).")
    ] = None,
    master: MasterOpt = "local[2]",
    blocks: BlocksOpt = 0,
    harmonic: Annotated[
        bool,
        typer.Option(
            "--harmonic/--no-harmonic",
            help="Harmonic centrality on the driver (gathers the CSR: 4 bytes an edge).",
        ),
    ] = True,
    limit: LimitOpt = 0,
    fmt: FormatOpt = "table",
) -> None:
    """PageRank and rating (0-100) on Spark with the embedded kernel in Spark tasks; prints
    what `backlinks rank --edges FILE` prints."""
    out_fmt = parse_format(fmt)
    from backlinks.spark.graph import read_graph  # noqa: PLC0415
    from backlinks.spark.rank import rank_spark_graph, rank_table_of, write_metrics  # noqa: PLC0415

    if graph_dir is None:
        _check(edges, links, level)
    start = time.perf_counter()
    spark = _session(master)
    if graph_dir is not None:
        graph = read_graph(spark, graph_dir)
    else:
        graph = _graph(spark, edges, links, pages, names, level)
    seed_ids = None
    if seeds is not None:
        from backlinks.analysis.authority import read_node_list  # noqa: PLC0415

        seed_ids = read_node_list(seeds, graph.level)
    try:
        result, bg = rank_spark_graph(spark, graph, blocks=blocks or None, seeds=seed_ids)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    err.print(
        f"{graph.n:,} nodes, {bg.m:,} edges; {graph.meta.get('self_loops', 0):,} self-loops "
        f"dropped, {graph.meta.get('bad_lines', 0):,} bad lines; {result.iterations} iterations "
        f"on Spark ({spark.sparkContext.master}, {bg.blocks.getNumPartitions()} blocks), "
        f"{time.perf_counter() - start:.1f} s"
    )
    if out is not None:
        write_metrics(spark, result, out)
        err.print(f"metrics written to {safe_text(out)}")
    if harmonic:
        table = rank_table_of(result, bg, limit=limit or None)
    else:
        table = result.metrics().sort_values(["pagerank", "name"], ascending=[False, True])
        table = table.head(limit) if limit else table
    emit_rows(table, out_fmt, title="ranks")
