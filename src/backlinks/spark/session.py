"""A Spark session for our jobs: local mode by default (``local[2]``), or whatever
``spark-submit`` configured (a cluster's master wins over ours)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["spark_session"]


def spark_session(
    master: str | None = "local[2]",
    *,
    app_name: str = "backlinks",
    driver_memory: str = "4g",
    conf: dict[str, Any] | None = None,
) -> SparkSession:
    """Get or create the session. Under ``spark-submit`` pass ``master=None`` to keep the
    cluster's; ``conf`` adds settings (e.g. ``{"spark.sql.shuffle.partitions": 400}``)."""
    try:
        from pyspark.sql import SparkSession  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "Spark jobs need PySpark and Java 17+: pip install 'backlinks[spark]'"
        ) from exc
    # Local Python workers run this interpreter (the one with backlinks installed), not
    # whatever `python3` is first on PATH; spark-submit's own setting wins.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    settings: dict[str, Any] = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": driver_memory,
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.shuffle.partitions": "8",
        "spark.python.worker.reuse": "true",
        "spark.executorEnv.NUMBA_NUM_THREADS": "1",
        **(conf or {}),
    }
    for key, value in settings.items():
        builder = builder.config(key, str(value))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
