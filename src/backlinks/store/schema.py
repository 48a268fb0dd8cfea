"""The DuckDB schema of the backlink index (see ARCHITECTURE.md, "Data model").

Ids are signed 64-bit xxh64 hashes of canonical strings (:func:`backlinks.urls.stable_id`).
Deviations from ARCHITECTURE.md, on purpose:

* ``links`` also carries ``src_url``, ``src_host_id``, ``src_domain_id`` and ``seen_at`` (the source
  page's fetch time) so host/domain graphs and first/last-seen need no join with ``pages``
  (web-graph sources have no pages at all);
* ``snapshots.started_at``/``finished_at`` are the earliest/latest record dates in the
  snapshot (the crawl window, deterministic), and ``ingested_at`` is the wall-clock time;
* ``source_files`` holds per-file progress checkpoints that make ingest resumable, and
  ``skipped`` every record that could not be used, with file, offset and reason;
* ``crawls``, ``frontier`` and ``crawl_counts`` hold a crawl's settings, its queue (every URL
  with its state) and its counters, so a killed crawl resumes from the store.
"""

from __future__ import annotations

from typing import Final

SCHEMA_VERSION: Final = 1

TABLES: Final[dict[str, str]] = {
    "meta": """
        key VARCHAR PRIMARY KEY,
        value VARCHAR
    """,
    "snapshots": """
        snapshot_id BIGINT PRIMARY KEY,
        source VARCHAR,
        started_at TIMESTAMP,
        finished_at TIMESTAMP,
        note VARCHAR,
        files INTEGER,
        complete BOOLEAN,
        ingested_at TIMESTAMP
    """,
    "source_files": """
        file_id BIGINT PRIMARY KEY,
        snapshot_id BIGINT,
        path VARCHAR,
        kind VARCHAR,
        size BIGINT,
        next_offset BIGINT,
        records BIGINT,
        pages BIGINT,
        links BIGINT,
        skipped BIGINT,
        done BOOLEAN
    """,
    "pages": """
        url_id BIGINT,
        url VARCHAR,
        host_id BIGINT,
        domain_id BIGINT,
        snapshot_id BIGINT,
        fetched_at TIMESTAMP,
        status SMALLINT,
        content_type VARCHAR,
        title VARCHAR,
        lang VARCHAR,
        canonical_url_id BIGINT,
        robots_noindex BOOLEAN,
        robots_nofollow BOOLEAN,
        redirect_to_url_id BIGINT,
        redirect_to VARCHAR,
        links_out INTEGER,
        non_web_links INTEGER
    """,
    "links": """
        src_url_id BIGINT,
        src_url VARCHAR,
        src_host_id BIGINT,
        src_domain_id BIGINT,
        dst_url_id BIGINT,
        dst_url VARCHAR,
        dst_host_id BIGINT,
        dst_domain_id BIGINT,
        anchor VARCHAR,
        nofollow BOOLEAN,
        ugc BOOLEAN,
        sponsored BOOLEAN,
        is_image BOOLEAN,
        section VARCHAR,
        position INTEGER,
        snapshot_id BIGINT,
        seen_at TIMESTAMP
    """,
    "hosts": """
        host_id BIGINT PRIMARY KEY,
        host VARCHAR,
        domain_id BIGINT
    """,
    "domains": """
        domain_id BIGINT PRIMARY KEY,
        domain VARCHAR
    """,
    "page_text": """
        url_id BIGINT,
        snapshot_id BIGINT,
        text VARCHAR
    """,
    "skipped": """
        snapshot_id BIGINT,
        file_id BIGINT,
        path VARCHAR,
        "offset" BIGINT,
        reason VARCHAR,
        detail VARCHAR
    """,
    "record_counts": """
        file_id BIGINT,
        kind VARCHAR,
        n BIGINT,
        PRIMARY KEY (file_id, kind)
    """,
    "link_history": """
        src_url_id BIGINT,
        dst_url_id BIGINT,
        first_seen TIMESTAMP,
        last_seen TIMESTAMP,
        lost_reason VARCHAR
    """,
    "outreach": """
        prospect_id BIGINT,
        target VARCHAR,
        source_url VARCHAR,
        kind VARCHAR,
        status VARCHAR,
        owner VARCHAR,
        notes VARCHAR,
        updated_at TIMESTAMP
    """,
    "crawls": """
        snapshot_id BIGINT PRIMARY KEY,
        seeds VARCHAR,
        config VARCHAR,
        started_at TIMESTAMP,
        finished BOOLEAN
    """,
    "frontier": """
        snapshot_id BIGINT,
        url_id BIGINT,
        url VARCHAR,
        host VARCHAR,
        kind VARCHAR,
        depth INTEGER,
        follow BOOLEAN,
        hops INTEGER,
        state VARCHAR,
        reason VARCHAR,
        attempts INTEGER,
        PRIMARY KEY (snapshot_id, url_id)
    """,
    "crawl_counts": """
        snapshot_id BIGINT,
        kind VARCHAR,
        n BIGINT,
        PRIMARY KEY (snapshot_id, kind)
    """,
    "metrics": """
        level VARCHAR,
        node_id BIGINT,
        snapshot_id BIGINT,
        pagerank DOUBLE,
        trustrank DOUBLE,
        rating DOUBLE,
        harmonic DOUBLE,
        spam_mass DOUBLE
    """,
}


def ddl() -> list[str]:
    """CREATE statements for every table (idempotent)."""
    return [f"CREATE TABLE IF NOT EXISTS {name} ({cols})" for name, cols in TABLES.items()]


def columns(table: str) -> list[str]:
    """Column names of a table, in order."""
    out = []
    for line in TABLES[table].strip().splitlines():
        name = line.strip().split()[0].strip('"')
        if name != "PRIMARY":
            out.append(name)
    return out
