"""The ``backlinks`` command line: thin wrappers over the Python API.

Every command that prints rows takes ``--db``, ``--limit`` and ``--format table|csv|json``.
Commands live by concern in ``index_cmds``, ``rank_cmds``, ``quality_cmds``,
``profile_cmds``, ``compete_cmds``, ``outreach_cmds``, ``answer_cmds``, ``report_cmds``,
``crawl_cmds``, ``serve_cmds`` and ``spark_cmds``; importing them registers them on :data:`app`.
"""

# Registration order is the order of `backlinks --help`.
from backlinks.cli.base import app, main  # noqa: I001
from backlinks.cli import index_cmds, rank_cmds, quality_cmds, profile_cmds, compete_cmds
from backlinks.cli import outreach_cmds, answer_cmds, report_cmds, crawl_cmds, serve_cmds
from backlinks.cli import spark_cmds

__all__ = [
    "answer_cmds",
    "app",
    "compete_cmds",
    "crawl_cmds",
    "index_cmds",
    "main",
    "outreach_cmds",
    "profile_cmds",
    "quality_cmds",
    "rank_cmds",
    "report_cmds",
    "serve_cmds",
    "spark_cmds",
]
