"""One table of tunable settings, each with its default and the reason it exists.

Modules read ``SETTINGS[name].value``; nothing tunable hides as a magic number in a function.
A value can be overridden with the environment variable named by :func:`env_name`
(``BACKLINKS_INGEST_BATCH_RECORDS=500``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: int
    help: str

    @property
    def value(self) -> int:
        raw = os.environ.get(env_name(self.name))
        if raw is None:
            return self.default
        try:
            return int(raw)
        except ValueError:
            return self.default


def env_name(name: str) -> str:
    return "BACKLINKS_" + name.upper().replace(".", "_")


_ALL: Final = (
    Setting(
        "ingest.batch_records",
        5000,
        "Records read before a commit; a killed ingest redoes at most this many.",
    ),
    Setting(
        "ingest.batch_links",
        200_000,
        "Links buffered before a commit; bounds memory on link-heavy pages.",
    ),
    Setting(
        "graph.duckdb_memory_mb",
        2048,
        "DuckDB memory while building a graph; beyond it DuckDB spills to disk.",
    ),
    Setting(
        "rank.float32_edges",
        50_000_000,
        "Graphs with more edges are ranked in float32 (half the vector traffic and memory).",
    ),
    Setting("extract.text_limit", 65536, "Characters of visible page text kept per page."),
    Setting("extract.anchor_limit", 512, "Characters of anchor text kept per link."),
    Setting("relevance.fit_pages", 20_000, "Pages the TF-IDF vocabulary is fitted on."),
    Setting("relevance.text_chars", 20_000, "Characters of each page's text used."),
    Setting("relevance.domain_pages", 200, "Pages averaged into a domain's centroid."),
    Setting("relevance.max_features", 200_000, "Largest TF-IDF vocabulary (most frequent)."),
    Setting("relevance.max_topics", 20, "Most topic clusters tried by topic_labels."),
    Setting("relevance.seed", 0, "Seed of k-means and the silhouette sample."),
)

SETTINGS: Final[dict[str, Setting]] = {s.name: s for s in _ALL}
