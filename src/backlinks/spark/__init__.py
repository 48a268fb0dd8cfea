"""The pipeline on Apache Spark (PySpark), for graphs beyond one machine.

Same formulas, same ids, same Parquet layout as the embedded engine: Spark moves the data,
and the embedded engine's own code does the work inside Spark tasks (the PageRank kernel over
blocks of CSR arrays, the edge-line parser). Import :mod:`pyspark` only through here, lazily:
the rest of the package never needs it.
"""
