"""Backlinks to a target (URL, prefix, host or domain) and index statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from backlinks import urls
from backlinks.store.db import Store

Mode = Literal["auto", "url", "prefix", "host", "domain"]


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved target: how to match it and the value to match."""

    mode: Literal["url", "prefix", "host", "domain"]
    value: str

    @property
    def where(self) -> tuple[str, list[Any]]:
        """SQL condition on ``links`` (alias ``l``) and its parameters."""
        if self.mode == "url":
            return "l.dst_url_id = ?", [urls.stable_id(self.value)]
        if self.mode == "prefix":
            return "starts_with(l.dst_url, ?)", [self.value]
        if self.mode == "host":
            return "l.dst_host_id = ?", [urls.stable_id(self.value)]
        return "l.dst_domain_id = ?", [urls.stable_id(self.value)]


def resolve_target(target: str, mode: Mode = "auto") -> Target:
    """Interpret what the user typed. ``auto``: a URL with a path is a URL, a bare host that
    is a registrable domain means the whole domain (all subdomains), another host means
    just that host."""
    text = target.strip()
    has_scheme = "://" in text
    url = urls.canonicalize(text if has_scheme else f"http://{text}")
    if url is None:
        raise ValueError(f"not a URL, host or domain: {target!r}")
    host = urls.host_of(url)
    if mode == "url":
        return Target("url", url)
    if mode == "prefix":
        return Target("prefix", url)
    if mode == "host":
        return Target("host", host)
    if mode == "domain":
        return Target("domain", urls.registrable_domain(host))
    path_part = url.split(host, 1)[1] if host in url else "/"
    if has_scheme and path_part not in ("", "/"):
        return Target("url", url)
    if not has_scheme and "/" in text.rstrip("/"):
        return Target("url", url)
    domain = urls.registrable_domain(host)
    return Target("domain", domain) if domain == host else Target("host", host)


def backlinks(
    store: Store,
    target: str,
    *,
    mode: Mode = "auto",
    limit: int | None = 100,
    include_internal: bool = False,
) -> pd.DataFrame:
    """One row per distinct link (source page, target URL, anchor, flags, section) pointing
    at the target, with when it was first and last seen across snapshots.

    Links from the target's own domain are internal and left out unless asked for.
    """
    resolved = resolve_target(target, mode)
    cond, params = resolved.where
    internal = ""
    if not include_internal:
        internal = "AND l.src_domain_id <> ?"
        params = [*params, urls.stable_id(urls.registrable_domain(_host_of_target(resolved)))]
    sql = f"""
        SELECT l.src_url AS source_url, d.domain AS source_domain, l.dst_url AS target_url,
               l.anchor, l.nofollow, l.ugc, l.sponsored, l.is_image, l.section,
               min(l.position) AS position,
               min(l.seen_at) AS first_seen, max(l.seen_at) AS last_seen,
               count(DISTINCT l.snapshot_id) AS snapshots
        FROM links l LEFT JOIN domains d ON d.domain_id = l.src_domain_id
        WHERE {cond} {internal}
        GROUP BY ALL
        ORDER BY source_domain, source_url, target_url, position, anchor
        {"LIMIT ?" if limit is not None else ""}
    """
    if limit is not None:
        params = [*params, limit]
    df: pd.DataFrame = store.query(sql, params)
    return df


def _host_of_target(target: Target) -> str:
    if target.mode in ("host", "domain"):
        return target.value
    return urls.host_of(target.value)


def stats(store: Store) -> dict[str, Any]:
    """Counts of everything in the index, and every skipped record by reason."""
    con = store.con

    def one(sql: str) -> int:
        row = con.execute(sql).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    skipped = dict(
        con.execute(
            "SELECT reason, count(*) FROM skipped GROUP BY reason ORDER BY reason"
        ).fetchall()
    )
    ignored = dict(
        con.execute(
            "SELECT kind, sum(n)::BIGINT FROM record_counts GROUP BY kind ORDER BY kind"
        ).fetchall()
    )
    return {
        "pages": one("SELECT count(*) FROM pages"),
        "links": one("SELECT count(*) FROM links"),
        "followed_links": one(
            "SELECT count(*) FROM links WHERE NOT (nofollow OR ugc OR sponsored)"
        ),
        "distinct_targets": one("SELECT count(DISTINCT dst_url_id) FROM links"),
        "hosts": one("SELECT count(*) FROM hosts"),
        "domains": one("SELECT count(*) FROM domains"),
        "snapshots": one("SELECT count(*) FROM snapshots"),
        "source_files": one("SELECT count(*) FROM source_files"),
        "records": one("SELECT coalesce(sum(records), 0) FROM source_files"),
        "skipped": sum(skipped.values()),
        "skipped_by_reason": skipped,
        "ignored_by_kind": ignored,
    }


def snapshots(store: Store) -> pd.DataFrame:
    """The snapshots in the index with their crawl window and size."""
    df: pd.DataFrame = store.query(
        """
        SELECT s.snapshot_id, s.source, s.started_at, s.finished_at, s.files, s.complete,
               coalesce(sum(f.pages), 0) AS pages, coalesce(sum(f.links), 0) AS links
        FROM snapshots s LEFT JOIN source_files f USING (snapshot_id)
        GROUP BY ALL ORDER BY s.started_at NULLS LAST, s.snapshot_id
        """
    )
    return df


def target_known(store: Store, target: str, mode: Mode = "auto") -> bool:
    """Whether the index has anything of ``target``: a link to it or a page of it (an
    answer for an unknown target is "not found", not an empty table)."""
    resolved = resolve_target(target, mode)
    cond, params = resolved.where
    # fetchall, not fetchone: a half-read result blocks register() on this connection
    hit = store.con.execute(f"SELECT EXISTS (SELECT 1 FROM links l WHERE {cond})", params)
    if hit.fetchall()[0][0]:
        return True
    page = {
        "url": ("url_id = ?", [urls.stable_id(resolved.value)]),
        "prefix": ("starts_with(url, ?)", [resolved.value]),
        "host": ("host_id = ?", [urls.stable_id(resolved.value)]),
        "domain": ("domain_id = ?", [urls.stable_id(resolved.value)]),
    }[resolved.mode]
    found = store.con.execute(f"SELECT EXISTS (SELECT 1 FROM pages WHERE {page[0]})", page[1])
    return bool(found.fetchall()[0][0])
