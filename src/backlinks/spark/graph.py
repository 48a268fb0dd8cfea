"""Graphs as Spark DataFrames with dense ids, from edge files or from links Parquet.

Dense ids follow the embedded engine: nodes sorted by their token (binary order), numbered
from 0; parallel edges merged, self-loops dropped (a node seen only in a self-loop stays a
node). Lines are parsed by :func:`backlinks.graph.edgefile.parse_edge_line`, the embedded
reader's rules as a function; links Parquet (the store's export) gives host and domain
graphs by :mod:`backlinks.urls` ids already in the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from backlinks.graph.edgefile import parse_edge_line

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkGraph", "edge_file_graph", "links_graph"]


@dataclass(slots=True)
class SparkGraph:
    """Edges ``(src, dst)`` over dense ids and the nodes ``(k, name)``."""

    edges: DataFrame
    nodes: DataFrame
    n: int
    level: str
    meta: dict[str, object] = field(default_factory=dict)


def _dense(spark: SparkSession, pairs: DataFrame) -> tuple[DataFrame, DataFrame, int]:
    """Number the tokens of ``pairs`` (s, d) in sorted order; edges over the numbers."""
    from pyspark.sql import functions as F  # noqa: N812, PLC0415
    from pyspark.sql.types import LongType, StringType, StructField, StructType  # noqa: PLC0415

    tokens = pairs.select(F.col("s").alias("tok")).union(pairs.select(F.col("d"))).distinct()
    ranked = tokens.orderBy("tok").rdd.zipWithIndex().map(lambda r: (r[1], r[0][0]))
    schema = StructType([StructField("k", LongType()), StructField("name", StringType())])
    nodes = spark.createDataFrame(ranked, schema).cache()
    n = nodes.count()
    a, b = nodes.alias("a"), nodes.alias("b")
    edges = (
        pairs.where(F.col("s") != F.col("d"))
        .join(a, F.col("s") == F.col("a.name"))
        .join(b, F.col("d") == F.col("b.name"))
        .select(F.col("a.k").alias("src"), F.col("b.k").alias("dst"))
    )
    return edges, nodes, n


def edge_file_graph(spark: SparkSession, path: str, level: str = "page") -> SparkGraph:
    """Read an edge file (plain edge list or UK Web Archive host-linkage lines; gzip by the
    ``.gz`` name, as Spark reads text) into a graph."""
    from pyspark.sql import functions as F  # noqa: N812, PLC0415
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType  # noqa: PLC0415

    def parse(rows: Iterator[Any]) -> Iterator[tuple[str, str, bool]]:
        for row in rows:
            got = parse_edge_line(row[0], level)
            if got is None:
                continue
            if got is False:
                yield "", "", True
            else:
                s, d = got  # type: ignore[misc]
                yield s, d, False

    schema = StructType(
        [
            StructField("s", StringType()),
            StructField("d", StringType()),
            StructField("bad", BooleanType()),
        ]
    )
    lines = spark.read.text(path).rdd.mapPartitions(parse)  # type: ignore[arg-type]
    parsed = spark.createDataFrame(lines, schema).cache()
    bad = parsed.where("bad").count()
    pairs = parsed.where(~F.col("bad")).select("s", "d").distinct().cache()
    self_loops = pairs.where(F.col("s") == F.col("d")).count()
    edges, nodes, n = _dense(spark, pairs)
    edges = edges.cache()
    return SparkGraph(
        edges, nodes, n, level, {"source": path, "bad_lines": bad, "self_loops": self_loops}
    )


def links_graph(
    spark: SparkSession,
    links: str | DataFrame,
    level: str = "domain",
    *,
    pages: str | DataFrame | None = None,
    names: str | None = None,
    include_nofollow: bool = False,
) -> SparkGraph:
    """The store's graph (:func:`backlinks.graph.build.build_graph`) from its Parquet export:
    one edge per distinct (source, target) pair at ``level`` with at least one followed link,
    self-links dropped; nodes are the edges' ends and every fetched page's node (``pages``
    Parquet), numbered in stable-id order as the embedded build does. ``names``: the
    ``hosts``/``domains`` Parquet for labels (ids otherwise)."""
    from pyspark.sql import functions as F  # noqa: N812, PLC0415
    from pyspark.sql.types import LongType, StructField, StructType  # noqa: PLC0415

    cols = {"page": "url", "host": "host", "domain": "domain"}
    if level not in cols:
        raise ValueError("level must be page, host or domain")
    col = cols[level]
    df = spark.read.parquet(links) if isinstance(links, str) else links
    if not include_nofollow:
        df = df.where(~(F.col("nofollow") | F.col("ugc") | F.col("sponsored")))
    pairs = (
        df.select(F.col(f"src_{col}_id").alias("s"), F.col(f"dst_{col}_id").alias("d"))
        .where(F.col("s") != F.col("d"))
        .distinct()
    )
    ids = pairs.select(F.col("s").alias("id")).union(pairs.select("d"))
    if pages is not None:
        page_df = spark.read.parquet(pages) if isinstance(pages, str) else pages
        ids = ids.union(page_df.select(F.col(f"{col}_id").alias("id")))
    ranked = ids.distinct().orderBy("id").rdd.zipWithIndex().map(lambda r: (r[1], r[0][0]))
    schema = StructType([StructField("k", LongType()), StructField("id", LongType())])
    nodes = spark.createDataFrame(ranked, schema).cache()
    n = nodes.count()
    a, b = nodes.alias("a"), nodes.alias("b")
    edges = (
        pairs.join(a, F.col("s") == F.col("a.id"))
        .join(b, F.col("d") == F.col("b.id"))
        .select(F.col("a.k").alias("src"), F.col("b.k").alias("dst"))
        .cache()
    )
    labels = nodes.select("k", F.col("id").cast("string").alias("name"), "id")
    if names is not None and level != "page":
        named = spark.read.parquet(names).select(
            F.col(f"{col}_id").alias("nid"), F.col(col).alias("label")
        )
        labels = nodes.join(named, nodes.id == named.nid, "left").select(
            "k", F.coalesce("label", F.col("id").cast("string")).alias("name"), "id"
        )
    return SparkGraph(edges, labels, n, level, {"source": str(links)})


def write_graph(graph: SparkGraph, out: str) -> None:
    """Write a graph as ``out/edges`` (src, dst) and ``out/nodes`` (k, name[, id]) Parquet
    and ``out/graph.json`` (n, level, counts), for ``spark rank --graph``."""
    import json  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    graph.edges.write.mode("overwrite").parquet(f"{out}/edges")
    graph.nodes.write.mode("overwrite").parquet(f"{out}/nodes")
    meta = {"n": graph.n, "level": graph.level, **graph.meta}
    Path(out, "graph.json").write_text(json.dumps(meta, default=str))


def read_graph(spark: SparkSession, folder: str) -> SparkGraph:
    """A graph written by :func:`write_graph`."""
    import json  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    meta = json.loads(Path(folder, "graph.json").read_text())
    edges = spark.read.parquet(f"{folder}/edges").cache()
    nodes = spark.read.parquet(f"{folder}/nodes")
    n = int(meta.pop("n"))
    level = str(meta.pop("level"))
    return SparkGraph(edges, nodes, n, level, meta)
