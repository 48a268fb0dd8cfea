"""The ``backlinks`` command line: thin wrappers over the Python API.

Every command that prints rows takes ``--db``, ``--limit`` and ``--format table|csv|json``.
Commands live by concern in ``index_cmds``, ``rank_cmds``, ``quality_cmds`` and
``crawl_cmds``; importing them registers them on :data:`app`.
"""

# Registration order is the order of `backlinks --help`.
from backlinks.cli.base import app, main  # noqa: I001
from backlinks.cli import index_cmds, rank_cmds, quality_cmds, crawl_cmds

__all__ = ["app", "crawl_cmds", "index_cmds", "main", "quality_cmds", "rank_cmds"]
