"""The Python API: an opened backlink index whose methods return DataFrames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from backlinks.analysis import backlinks as _backlinks
from backlinks.ingest import IngestReport, ProgressFn, ingest
from backlinks.quality.disavow import DisavowFile
from backlinks.store.db import Store

if TYPE_CHECKING:
    from backlinks.analysis.profile import Profile
    from backlinks.graph.build import Exclusion
    from backlinks.quality.context import QualityContext


class Index:
    """A backlink index in a DuckDB file.

    >>> import backlinks
    >>> idx = backlinks.open("links.duckdb")          # doctest: +SKIP
    >>> idx.links("example.com", limit=10)             # doctest: +SKIP
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.store = Store(path, read_only=read_only)
        self._ctx: tuple[tuple[str, int], QualityContext] | None = None

    @classmethod
    def on(cls, store: Store) -> Index:
        """An index over an already open store (e.g. a per-thread :meth:`Store.view`)."""
        index = object.__new__(cls)
        index.store = store
        index._ctx = None
        return index

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    def ingest(
        self,
        *paths: str | Path,
        keep_text: bool = True,
        progress: ProgressFn | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Ingest WARC/WAT files, directories, globs or web-graph releases.

        ``progress(bytes, records, links)`` is called as work advances; ``on_total(bytes)``
        once, with the total size of the input."""
        return ingest(
            self.store,
            [str(p) for p in paths],
            keep_text=keep_text,
            progress=progress,
            on_total=on_total,
        )

    def links(
        self,
        target: str,
        *,
        mode: _backlinks.Mode = "auto",
        limit: int | None = 100,
        include_internal: bool = False,
    ) -> pd.DataFrame:
        """Backlinks to a URL, URL prefix, host or domain."""
        return _backlinks.backlinks(
            self.store, target, mode=mode, limit=limit, include_internal=include_internal
        )

    def stats(self) -> dict[str, Any]:
        """Counts of pages, links, hosts, domains, snapshots and skipped records."""
        return _backlinks.stats(self.store)

    def snapshots(self) -> pd.DataFrame:
        """Snapshots (ingest batches) with their crawl windows."""
        return _backlinks.snapshots(self.store)

    def rank(
        self, *levels: str, seeds_file: str | Path | None = None, auto_seeds: int = 0
    ) -> pd.DataFrame:
        """Compute PageRank, rating, harmonic centrality (and TrustRank with seeds) into the
        metrics table; one summary row per level."""
        from backlinks.analysis import authority  # noqa: PLC0415 - numba import is slow

        summaries = authority.rank_store(
            self.store,
            levels or ("page", "host", "domain"),
            seeds_file=Path(seeds_file) if seeds_file else None,
            auto_seeds=auto_seeds,
        )
        return pd.DataFrame([asdict(x) for x in summaries])

    def top(
        self, level: str = "domain", by: str = "rating", limit: int | None = 50
    ) -> pd.DataFrame:
        """Top nodes of a level by rating, pagerank, trustrank or harmonic."""
        from backlinks.analysis import authority  # noqa: PLC0415

        return authority.top(self.store, level, by, limit)  # type: ignore[arg-type]

    def whatif(self, sources: list[str], target: str, level: str = "domain") -> dict[str, Any]:
        """Before/after/delta of the target's PageRank and rating if the sources linked to it."""
        from backlinks.analysis import authority  # noqa: PLC0415

        return authority.whatif(self.store, sources, target, level)  # type: ignore[arg-type]

    def toxic(
        self,
        target: str,
        *,
        min_score: float = 50.0,
        by: str = "link",
        seeds_file: str | Path | None = None,
        auto_seeds: int = 0,
        disavowed: DisavowFile | None = None,
        mode: _backlinks.Mode = "auto",
    ) -> pd.DataFrame:
        """Toxic backlinks (``by="link"``) or referring domains (``by="domain"``) of a
        target, scored 0-100 with reasons, most toxic first."""
        from backlinks.quality import toxic as _toxic  # noqa: PLC0415 - numba import

        ctx = self._quality(seeds_file, auto_seeds)
        links = _toxic.toxic_links(
            self.store, target, mode=mode, ctx=ctx, disavowed=disavowed, min_score=0.0
        )
        if by == "domain":
            return _toxic.toxic_domains(links, min_score=min_score)
        if by != "link":
            raise ValueError("by must be link or domain")
        return links[links.score >= min_score].reset_index(drop=True)

    def spam_hosts(
        self, *, limit: int | None = 50, seeds_file: str | Path | None = None, auto_seeds: int = 0
    ) -> pd.DataFrame:
        """Hosts by link-based spam score (0-100), with reasons for those scoring 70+."""
        return self._quality(seeds_file, auto_seeds).spam_hosts(limit)

    def disavow(
        self,
        target: str,
        *,
        min_score: float = 60.0,
        seeds_file: str | Path | None = None,
        auto_seeds: int = 0,
        existing: DisavowFile | None = None,
    ) -> tuple[str, pd.DataFrame]:
        """A Google disavow file (text) for the target's toxic links, and its preview rows
        (kind, entry, score, reasons, existing)."""
        from backlinks.quality import toxic as _toxic  # noqa: PLC0415

        ctx = self._quality(seeds_file, auto_seeds)
        links = _toxic.toxic_links(self.store, target, ctx=ctx, min_score=0.0)
        return _toxic.disavow_plan(links, min_score=min_score, target=target, existing=existing)

    def _quality(self, seeds_file: str | Path | None, auto_seeds: int) -> QualityContext:
        from backlinks.analysis.authority import read_node_list  # noqa: PLC0415
        from backlinks.quality.context import quality_context  # noqa: PLC0415

        key = (str(seeds_file or ""), auto_seeds)
        if self._ctx is None or self._ctx[0] != key:
            seeds = read_node_list(Path(seeds_file), "host") if seeds_file else None
            self._ctx = (key, quality_context(self.store, seeds=seeds, auto_seeds=auto_seeds))
        return self._ctx[1]

    # ---- backlink answers (analysis/*) ---------------------------------------------------

    def profile(
        self, target: str, *, disavow: str | Path | None = None, limit: int = 20
    ) -> Profile:
        """Profile of a URL, host or domain: summary figures and section DataFrames
        (anchors, top domains, best pages, TLDs, sections, velocity, rating spread); with
        ``disavow``, as if that disavow file's links were gone."""
        from backlinks.analysis.profile import profile  # noqa: PLC0415

        exclude = self._exclusion(disavow) if disavow else None
        return profile(self.store, target, exclude=exclude, limit=limit)

    def anchors(self, target: str) -> tuple[pd.DataFrame, float]:
        """The target's anchor-text profile by class (branded, exact, partial, url, generic,
        image, other) and the share of followed referring domains that use keyword anchors
        (exact, partial or commercial) for at least half their links — over-optimised at
        0.5 or more."""
        from backlinks.quality import anchor_evidence as _anchors  # noqa: PLC0415

        ev = _anchors.anchor_classes(self.store, target)
        return _anchors.anchor_profile(ev), _anchors.over_optimisation(ev)

    def new_lost(
        self, target: str, *, from_snapshot: int | None = None, to_snapshot: int | None = None
    ) -> pd.DataFrame:
        """Backlinks new and lost between two snapshots (default: the last two), with the
        reason of each loss."""
        from backlinks.analysis.history import new_lost  # noqa: PLC0415

        return new_lost(self.store, target, from_snapshot=from_snapshot, to_snapshot=to_snapshot)

    def timeline(self, target: str) -> pd.DataFrame:
        """Referring domains and links of the target per snapshot, new and lost."""
        from backlinks.analysis.history import timeline  # noqa: PLC0415

        return timeline(self.store, target)

    def intersect(
        self, me: str, competitors: list[str], *, min_competitors: int = 1, limit: int | None = 100
    ) -> pd.DataFrame:
        """Domains linking to at least ``min_competitors`` competitors but not to me."""
        from backlinks.analysis.competitors import intersect  # noqa: PLC0415

        return intersect(self.store, me, competitors, min_competitors=min_competitors, limit=limit)

    def gap(self, me: str, competitors: list[str], *, limit: int | None = 100) -> pd.DataFrame:
        """Competitor pages ranked by the referring domains that link them but not me."""
        from backlinks.analysis.competitors import gap  # noqa: PLC0415

        return gap(self.store, me, competitors, limit=limit)

    def broken(self, target: str, *, limit: int | None = None) -> pd.DataFrame:
        """Backlinks to my URLs that answer 404/410 or end in redirect chains, with the live
        page that should receive a redirect."""
        from backlinks.analysis.reclaim import broken  # noqa: PLC0415

        return broken(self.store, target, limit=limit)

    def lost(self, target: str, *, min_rating: float = 20.0) -> pd.DataFrame:
        """Lost backlinks worth asking back (rated sources)."""
        from backlinks.analysis.lost import lost_worth_asking  # noqa: PLC0415

        return lost_worth_asking(self.store, target, min_rating=min_rating)

    def mentions(
        self, target: str, *, brand: list[str] | None = None, limit: int | None = 100
    ) -> pd.DataFrame:
        """Indexed pages that name my brand or domain but do not link to me."""
        from backlinks.analysis.mentions import unlinked_mentions  # noqa: PLC0415

        return unlinked_mentions(self.store, target, brand=brand, limit=limit)

    def prospects(self, target: str | None = None, status: str | None = None) -> pd.DataFrame:
        """The outreach pipeline's prospects (optionally for one target / status)."""
        from backlinks.analysis.outreach import list_prospects  # noqa: PLC0415

        return list_prospects(self.store, target, status)

    def referral(self, target: str, *, by: str = "link", limit: int | None = None) -> pd.DataFrame:
        """Estimated monthly referral clicks per backlink (or per referring domain)."""
        from backlinks.analysis.referral import referral  # noqa: PLC0415

        return referral(self.store, target, by=by, limit=limit)  # type: ignore[arg-type]

    def search(self, query: str, *, limit: int = 10) -> pd.DataFrame:
        """BM25 full-text search over the indexed pages, lifted by link authority."""
        from backlinks.analysis.search import search  # noqa: PLC0415

        return search(self.store, query, limit=limit)

    def report(self, target: str, out: str | Path, *, tables: str | Path | None = None) -> Path:
        """Write the self-contained HTML report for a target; returns its path."""
        from backlinks.report.build import build_report  # noqa: PLC0415

        return build_report(
            self.store, target, out=Path(out), tables=Path(tables) if tables else None
        )

    def _exclusion(self, path: str | Path) -> Exclusion:
        from backlinks.quality.disavow import exclusion_of, read_disavow  # noqa: PLC0415

        return exclusion_of(self.store, read_disavow(path))

    def export(self, folder: str | Path) -> list[Path]:
        """Export every table to Parquet files in ``folder``."""
        return self.store.export_parquet(folder)

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run read-only SQL of your own against the index tables."""
        df: pd.DataFrame = self.store.query(query, params)
        return df


def open(path: str | Path, *, read_only: bool = False) -> Index:
    """Open (or create) the backlink index at ``path``."""
    return Index(path, read_only=read_only)
