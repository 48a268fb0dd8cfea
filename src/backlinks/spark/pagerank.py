"""PageRank on Spark with the embedded engine's kernel.

The graph is cut once into blocks by target node: block ``b`` holds the in-link CSR of the
dense ids ``[b·B, (b+1)·B)`` (``in_ptr`` local, ``in_src`` global ids), built from Arrow
batches inside Spark tasks and cached in executor memory. Each iteration the driver
broadcasts the contribution vector ``x[u] / outdeg[u]``; every task runs
:func:`backlinks.rank.pagerank._pull` — the same Numba kernel, same summation order, as the
embedded :func:`backlinks.rank.pagerank.pagerank` — over its block and returns its slice of
the new vector. The driver holds the vector (8 bytes a node), adds the dangling mass and
teleport exactly as the embedded code does, and stops on the same L1 error bound. Spark only
moves data: edges once, then a vector out and a vector back per iteration. (A vector too big
for the driver — beyond a few hundred million nodes — would need a partitioned one; see the
README.)

So the results equal the embedded engine's to the last bits or nearly (the one difference is
the order in which per-block L1 changes are added, which can move the stopping iteration only
at a knife's edge of ``tol``); the contract tests hold them to 1e-6.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from backlinks.rank.pagerank import ConvergenceError, PageRankResult, _normalise

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["BlockGraph", "block_graph", "spark_pagerank"]

F64 = npt.NDArray[np.float64]


@dataclass(slots=True)
class BlockGraph:
    """A graph cut into in-link CSR blocks cached on the executors."""

    blocks: RDD[tuple[int, int, Any, Any]]  # (block, lo, in_ptr, in_src) per block
    n: int
    m: int
    block_size: int
    out_deg: npt.NDArray[np.int64]  # per node, on the driver
    in_deg: npt.NDArray[np.int64]

    def unpersist(self) -> None:
        self.blocks.unpersist()


def _build_blocks(block_size: int, n: int) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """A ``mapInArrow`` function: Arrow batches of (b, dst, src) → one row per block with
    its CSR arrays as bytes, edges sorted by (dst, src) like the embedded build."""
    import pyarrow as pa  # noqa: PLC0415

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        got = list(batches)
        if not got:
            return
        table = pa.Table.from_batches(got)
        if table.num_rows == 0:
            return
        b = table.column("b").to_numpy()
        dst = table.column("dst").to_numpy().astype(np.int64)
        src = table.column("src").to_numpy().astype(np.int64)
        order = np.lexsort((src, dst))
        b, dst, src = b[order], dst[order], src[order]
        for block in np.unique(b):
            sel = b == block
            lo = int(block) * block_size
            hi = min(n, lo + block_size)
            counts = np.bincount(dst[sel] - lo, minlength=hi - lo)
            ptr = np.zeros(hi - lo + 1, dtype=np.int64)
            np.cumsum(counts, out=ptr[1:])
            yield pa.RecordBatch.from_pydict(
                {
                    "b": [int(block)],
                    "lo": [lo],
                    "ptr": [ptr.tobytes()],
                    "src": [src[sel].astype(np.int32).tobytes()],
                },
                schema=_BLOCK_SCHEMA(),
            )

    return run


def _BLOCK_SCHEMA() -> Any:  # noqa: N802 - a constant built lazily (pyarrow import)
    import pyarrow as pa  # noqa: PLC0415

    return pa.schema(
        [
            ("b", pa.int64()),
            ("lo", pa.int64()),
            ("ptr", pa.large_binary()),
            ("src", pa.large_binary()),
        ]
    )


def block_graph(edges: DataFrame, n: int, *, blocks: int | None = None) -> BlockGraph:
    """Cut ``edges`` (columns ``src``, ``dst``: dense ids ``0..n-1``, no duplicates, no
    self-loops) into ``blocks`` target-node blocks (default: the session's default
    parallelism) and cache them."""
    from pyspark import StorageLevel  # noqa: PLC0415
    from pyspark.sql import functions as F  # noqa: N812, PLC0415

    spark = edges.sparkSession
    parts = max(1, blocks or spark.sparkContext.defaultParallelism)
    size = max(1, math.ceil(n / parts)) if n else 1
    cut = edges.select(
        F.floor(F.col("dst") / size).cast("long").alias("b"),
        F.col("dst").cast("long").alias("dst"),
        F.col("src").cast("long").alias("src"),
    ).repartitionByRange(parts, "b")
    built = cut.mapInArrow(_build_blocks(size, n), _spark_schema())

    def decode(row: Any) -> tuple[int, int, Any, Any]:
        return (
            int(row["b"]),
            int(row["lo"]),
            np.frombuffer(row["ptr"], dtype=np.int64),
            np.frombuffer(row["src"], dtype=np.int32),
        )

    rdd = built.rdd.map(decode).persist(StorageLevel.MEMORY_ONLY)
    degrees = edges.groupBy("src").count().toArrow()
    in_degrees = edges.groupBy("dst").count().toArrow()
    out_deg = np.zeros(n, dtype=np.int64)
    out_deg[degrees.column("src").to_numpy()] = degrees.column("count").to_numpy()
    in_deg = np.zeros(n, dtype=np.int64)
    in_deg[in_degrees.column("dst").to_numpy()] = in_degrees.column("count").to_numpy()
    return BlockGraph(rdd, n, int(in_deg.sum()), size, out_deg, in_deg)


def _spark_schema() -> Any:
    from pyspark.sql.types import BinaryType, LongType, StructField, StructType  # noqa: PLC0415

    return StructType(
        [
            StructField("b", LongType()),
            StructField("lo", LongType()),
            StructField("ptr", BinaryType()),
            StructField("src", BinaryType()),
        ]
    )


def _pull_block(
    contrib_bc: Any, tele_bc: Any, damping: float, dangling_sum: float
) -> Callable[[tuple[int, int, Any, Any]], tuple[int, Any]]:
    """A task: the embedded kernel over one block → (lo, new ranks of the block)."""

    def run(block: tuple[int, int, Any, Any]) -> tuple[int, Any]:
        import numba  # noqa: PLC0415

        from backlinks.rank.pagerank import _pull  # noqa: PLC0415

        numba.set_num_threads(1)  # one task per core already
        _, lo, ptr, src = block
        k = ptr.shape[0] - 1
        contrib = contrib_bc.value
        tele = tele_bc.value[lo : lo + k]  # dangling mass follows it too, as networkx
        out = np.empty(k, dtype=np.float64)
        scratch = np.zeros(k, dtype=np.float64)  # the kernel's L1 change is not used
        _pull(ptr, src, contrib, scratch, out, tele, tele, damping, dangling_sum)
        return lo, out

    return run


def spark_pagerank(
    spark: SparkSession,
    g: BlockGraph,
    *,
    damping: float = 0.85,
    tol: float = 1e-6,
    max_iter: int = 200,
    personalization: npt.ArrayLike | None = None,
    on_iteration: Callable[[int, float], None] | None = None,
) -> PageRankResult:
    """PageRank of every node of ``g``, as :func:`backlinks.rank.pagerank.pagerank` defines
    and computes it (float64; ``personalization`` for TrustRank)."""
    n = g.n
    if not 0.0 <= damping < 1.0:
        raise ValueError("damping must be in [0, 1)")
    if n == 0:
        return PageRankResult(np.zeros(0), 0, 0.0)
    sc = spark.sparkContext
    tele_norm = _normalise(personalization, n, "personalization")
    tele = np.full(n, 1.0 / n) if tele_norm is None else tele_norm
    tele_bc = sc.broadcast(tele)
    x = np.full(n, 1.0 / n)
    has_out = g.out_deg > 0
    inv_out = np.zeros(n)
    inv_out[has_out] = 1.0 / g.out_deg[has_out]
    dangling = np.flatnonzero(~has_out)
    factor = damping / (1.0 - damping) if damping > 0 else 1.0
    rounding = float(np.finfo(np.float64).eps) / 2.0 / (1.0 - damping)
    err = float("inf")
    try:
        for it in range(1, max_iter + 1):
            contrib = x * inv_out
            dsum = float(x[dangling].sum()) if dangling.size else 0.0
            # nodes without in-links (in no block, or in none's CSR) get this, as in the kernel
            new = damping * 0.0 + damping * dsum * tele + (1.0 - damping) * tele
            contrib_bc = sc.broadcast(contrib)
            try:
                parts = g.blocks.map(_pull_block(contrib_bc, tele_bc, damping, dsum)).collect()
            finally:
                contrib_bc.destroy()
            for lo, vals in parts:
                new[lo : lo + vals.shape[0]] = vals
            err = rounding + factor * float(np.abs(new - x).sum())
            x = new
            if on_iteration is not None:
                on_iteration(it, err)
            if err < tol:
                return PageRankResult(x, it, err)
    finally:
        tele_bc.destroy()
    raise ConvergenceError(
        f"PageRank did not converge in {max_iter} iterations "
        f"(L1 error bound {err:.3g} > tol {tol:g}); raise max_iter or tol"
    )
