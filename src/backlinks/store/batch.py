"""Column-wise accumulation of pages and links, turned into Arrow tables for one bulk write.

Rows are never inserted one by one: a source fills a :class:`Batch`, the store registers its
Arrow tables with DuckDB and copies them in a single statement per table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyarrow as pa

from backlinks import urls
from backlinks.records import Page, Skipped
from backlinks.store.schema import columns

_TYPES: dict[str, pa.DataType] = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "SMALLINT": pa.int16(),
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
    "DOUBLE": pa.float64(),
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema matching a store table (see :mod:`backlinks.store.schema`)."""
    from backlinks.store.schema import TABLES  # noqa: PLC0415 - avoid a cycle at import

    fields = []
    for line in TABLES[table].strip().splitlines():
        parts = line.strip().rstrip(",").split()
        if parts[0] == "PRIMARY":
            continue
        fields.append(pa.field(parts[0].strip('"'), _TYPES[parts[1]]))
    return pa.schema(fields)


_EPOCH = datetime(1970, 1, 1)
_MICRO = timedelta(microseconds=1)
_CACHE_LIMIT = 1 << 21


class HostCache:
    """Memoised ids: url -> (url_id, host_id, domain_id) and host -> (host_id, domain,
    domain_id). Navigation, footer and popular targets repeat on every page of a site, so
    most links of a batch are one dict hit instead of a parse and three hashes. A URL's host
    is reported as new (to be written) only on its first sighting in this process."""

    def __init__(self) -> None:
        self._hosts: dict[str, tuple[int, str, int]] = {}
        self._urls: dict[str, tuple[int, int, int]] = {}

    def lookup(self, host: str) -> tuple[int, str, int]:
        hit = self._hosts.get(host)
        if hit is None:
            domain = urls.registrable_domain(host)
            hit = (urls.stable_id(host), domain, urls.stable_id(domain))
            if len(self._hosts) > _CACHE_LIMIT:
                self._hosts.clear()
            self._hosts[host] = hit
        return hit

    def url_ids(self, url: str, batch: Batch) -> tuple[int, int, int]:
        hit = self._urls.get(url)
        if hit is None:
            host = urls.host_of(url)
            host_id, domain, domain_id = self.lookup(host)
            hit = (urls.stable_id(url), host_id, domain_id)
            if len(self._urls) > _CACHE_LIMIT:
                self._urls.clear()
            self._urls[url] = hit
            if host_id not in batch.hosts:
                batch.hosts[host_id] = (host, domain_id)
                batch.domains.setdefault(domain_id, domain)
        return hit


@dataclass
class Batch:
    """Pages, links, texts, skips and counters waiting to be written in one transaction."""

    snapshot_id: int
    file_id: int
    path: str
    keep_text: bool = True
    cols: dict[str, dict[str, list[object]]] = field(default_factory=dict)
    hosts: dict[int, tuple[str, int]] = field(default_factory=dict)
    domains: dict[int, str] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)
    records: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    def __post_init__(self) -> None:
        for table in ("pages", "links", "page_text", "skipped"):
            self.cols[table] = {name: [] for name in columns(table)}

    @property
    def n_pages(self) -> int:
        return len(self.cols["pages"]["url_id"])

    @property
    def n_links(self) -> int:
        return len(self.cols["links"]["dst_url_id"])

    @property
    def n_skipped(self) -> int:
        return len(self.cols["skipped"]["offset"])

    def add_skip(self, skip: Skipped) -> None:
        c = self.cols["skipped"]
        c["snapshot_id"].append(self.snapshot_id)
        c["file_id"].append(self.file_id)
        c["path"].append(skip.source or self.path)
        c["offset"].append(skip.offset)
        c["reason"].append(skip.reason)
        c["detail"].append(skip.detail[:1000])

    def add_page(self, page: Page, cache: HostCache, *, store_page: bool = True) -> None:
        """Add a page row (unless ``store_page`` is false, for web-graph nodes) and its links."""
        src_id, src_host, src_domain = cache.url_ids(page.url, self)
        seen = page.fetched_at
        if self.first_seen is None or seen < self.first_seen:
            self.first_seen = seen
        if self.last_seen is None or seen > self.last_seen:
            self.last_seen = seen
        if store_page:
            self._page_row(page, src_id, src_host, src_domain)
        k = len(page.links)
        if not k:
            return
        c = self.cols["links"]
        dst, anchor, nofollow, ugc, sponsored, is_image, section, position = zip(
            *page.links, strict=True
        )
        ids = [cache.url_ids(u, self) for u in dst]
        c["src_url_id"] += [src_id] * k
        c["src_url"] += [page.url] * k
        c["src_host_id"] += [src_host] * k
        c["src_domain_id"] += [src_domain] * k
        c["dst_url_id"] += [t[0] for t in ids]
        c["dst_url"] += dst
        c["dst_host_id"] += [t[1] for t in ids]
        c["dst_domain_id"] += [t[2] for t in ids]
        c["anchor"] += anchor
        c["nofollow"] += nofollow
        c["ugc"] += ugc
        c["sponsored"] += sponsored
        c["is_image"] += is_image
        c["section"] += section
        c["position"] += position
        c["snapshot_id"] += [self.snapshot_id] * k
        c["seen_at"] += [(seen - _EPOCH) // _MICRO] * k

    def _page_row(self, page: Page, src_id: int, host_id: int, domain_id: int) -> None:
        meta = page.meta
        c = self.cols["pages"]
        c["url_id"].append(src_id)
        c["url"].append(page.url)
        c["host_id"].append(host_id)
        c["domain_id"].append(domain_id)
        c["snapshot_id"].append(self.snapshot_id)
        c["fetched_at"].append(page.fetched_at)
        c["status"].append(page.status if page.status is None or page.status < 32768 else None)
        c["content_type"].append(page.content_type[:200])
        c["title"].append(meta.title)
        c["lang"].append(meta.lang[:35])
        c["canonical_url_id"].append(
            urls.stable_id(meta.canonical_url) if meta.canonical_url else None
        )
        c["robots_noindex"].append(meta.robots_noindex)
        c["robots_nofollow"].append(meta.robots_nofollow)
        c["redirect_to_url_id"].append(
            urls.stable_id(page.redirect_to) if page.redirect_to else None
        )
        c["redirect_to"].append(page.redirect_to)
        c["links_out"].append(len(page.links))
        c["non_web_links"].append(page.non_web)
        if self.keep_text and page.text:
            t = self.cols["page_text"]
            t["url_id"].append(src_id)
            t["snapshot_id"].append(self.snapshot_id)
            t["text"].append(page.text)

    def tables(self) -> dict[str, pa.Table]:
        """Arrow tables of the batch, one per store table that has rows."""
        out: dict[str, pa.Table] = {}
        for table, cols in self.cols.items():
            if cols and len(next(iter(cols.values()))) > 0:
                schema = arrow_schema(table)
                if table == "links":  # seen_at is kept as int64 microseconds: cheaper
                    arrays = [
                        pa.array(cols[f.name], pa.int64()).cast(f.type)
                        if f.name == "seen_at"
                        else pa.array(cols[f.name], f.type)
                        for f in schema
                    ]
                    out[table] = pa.Table.from_arrays(arrays, schema=schema)
                else:
                    out[table] = pa.Table.from_pydict(cols, schema=schema)
        if self.hosts:
            out["hosts"] = pa.Table.from_pydict(
                {
                    "host_id": list(self.hosts),
                    "host": [h for h, _ in self.hosts.values()],
                    "domain_id": [d for _, d in self.hosts.values()],
                },
                schema=arrow_schema("hosts"),
            )
        if self.domains:
            out["domains"] = pa.Table.from_pydict(
                {"domain_id": list(self.domains), "domain": list(self.domains.values())},
                schema=arrow_schema("domains"),
            )
        return out
