"""The rank job on Spark: a graph (edge file or links Parquet) → PageRank (and TrustRank)
with the embedded kernel in Spark tasks → the 0–100 rating → a metrics table.

The printed table is the embedded ``rank --edges`` table
(:func:`backlinks.analysis.authority.rank_table`), so both engines print the same thing.
Ratings and harmonic centrality are computed on the driver from the PageRank vector and the
CSR gathered from the blocks (4 bytes an edge); ``harmonic=False`` skips the gathering for
graphs too big for one machine's memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backlinks import urls
from backlinks.analysis.authority import rank_table
from backlinks.graph.csr import Graph
from backlinks.rank.rating import rating
from backlinks.spark.graph import SparkGraph
from backlinks.spark.pagerank import BlockGraph, block_graph, spark_pagerank

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["SparkRank", "gather_csr", "rank_spark_graph"]


@dataclass(slots=True)
class SparkRank:
    """A ranked graph: names, stable ids, scores, ratings, degrees, and the run's figures."""

    names: list[str]
    ids: np.ndarray[Any, np.dtype[np.int64]]
    pagerank: np.ndarray[Any, np.dtype[np.float64]]
    rating: np.ndarray[Any, np.dtype[np.float64]]
    in_degree: np.ndarray[Any, np.dtype[np.int64]]
    out_degree: np.ndarray[Any, np.dtype[np.int64]]
    iterations: int
    edges: int
    level: str
    trustrank: np.ndarray[Any, np.dtype[np.float64]] | None = None

    def metrics(self) -> pd.DataFrame:
        """The metrics table (the store's ``metrics`` columns this job fills)."""
        return pd.DataFrame(
            {
                "level": self.level,
                "node_id": self.ids,
                "name": self.names,
                "pagerank": self.pagerank,
                "trustrank": np.full(len(self.ids), np.nan)
                if self.trustrank is None
                else self.trustrank,
                "rating": self.rating,
                "in_degree": self.in_degree,
                "out_degree": self.out_degree,
            }
        )


def gather_csr(bg: BlockGraph) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The whole in-link CSR (``in_ptr``, ``in_src``) on the driver, from the blocks."""
    in_ptr = np.zeros(bg.n + 1, dtype=np.int64)
    np.cumsum(bg.in_deg, out=in_ptr[1:])
    in_src = np.empty(bg.m, dtype=np.int32)
    for _, lo, _ptr, src in bg.blocks.collect():
        start = in_ptr[lo]
        in_src[start : start + src.shape[0]] = src
    return in_ptr, in_src


def rank_spark_graph(
    spark: SparkSession,
    graph: SparkGraph,
    *,
    blocks: int | None = None,
    tol: float = 1e-6,
    seeds: list[int] | None = None,
) -> tuple[SparkRank, BlockGraph]:
    """PageRank and ratings of a Spark graph, and TrustRank (PageRank teleporting to the
    ``seeds``, stable node ids, only) when seeds are given."""
    bg = block_graph(graph.edges, graph.n, blocks=blocks)
    has_ids = "id" in graph.nodes.columns
    rows = graph.nodes.orderBy("k").select("name", "id" if has_ids else "name").toArrow()
    names = [str(x) for x in rows.column(0).to_pylist()]
    ids = (
        rows.column(1).to_numpy().astype(np.int64)
        if has_ids
        else np.asarray([urls.stable_id(x) for x in names], dtype=np.int64)
    )
    pr = spark_pagerank(spark, bg, tol=tol)
    trust = None
    if seeds:
        tele = np.isin(ids, np.asarray(seeds, dtype=np.int64)).astype(np.float64)
        if not tele.any():
            raise ValueError("none of the seeds is a node of the graph")
        trust = spark_pagerank(spark, bg, tol=tol, personalization=tele).scores.astype(np.float64)
    result = SparkRank(
        names,
        ids,
        pr.scores.astype(np.float64),
        rating(pr.scores, bg.in_deg),
        bg.in_deg,
        bg.out_deg,
        pr.iterations,
        bg.m,
        graph.level,
        trust,
    )
    return result, bg


def rank_table_of(result: SparkRank, bg: BlockGraph, *, limit: int | None = None) -> pd.DataFrame:
    """The embedded ``rank --edges`` table of a Spark-ranked graph."""
    in_ptr, in_src = gather_csr(bg)
    g = Graph(
        in_ptr,
        in_src,
        result.out_degree.astype(np.int32),
        result.ids,
        result.names,
        result.level,
    )
    table = rank_table(g, result.pagerank, limit=limit)
    if result.trustrank is not None:
        trust = dict(zip(result.names, result.trustrank, strict=True))
        table.insert(4, "trustrank", table.name.map(trust))
    return table


def write_metrics(spark: SparkSession, result: SparkRank, out: str | Path) -> None:
    """Write the metrics table as Parquet (a folder, Spark's layout)."""
    import pyarrow as pa  # noqa: PLC0415

    table = pa.Table.from_pandas(result.metrics(), preserve_index=False)
    spark.createDataFrame(table).write.mode("overwrite").parquet(str(out))
