"""Background jobs of the HTTP server: ingest, rank and crawl, with progress and cancel.

Jobs that write the index run one at a time, in the order they were submitted, on one
worker thread with a connection of its own; answers keep being served meanwhile. Each job
reports progress (done, total, unit, message) as it goes. Cancelling a queued job drops it;
cancelling a running ingest or rank stops it at its next progress report; a running crawl
starts no new fetch, lets those in flight finish and commits them. The index stays
consistent either way: ingest commits batches atomically and a cancelled crawl is
resumable (``resume: true``), exactly as after a kill.

When a job ends, ``on_change`` runs (the server bumps its data generation, so no cached
answer outlives the data it came from).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from backlinks.store.db import Store

__all__ = ["KINDS", "Job", "JobCancelled", "JobManager"]

KINDS: Final = ("ingest", "rank", "crawl")
State = Literal["queued", "running", "done", "failed", "cancelled"]
Runner = Callable[["Job", Store], dict[str, Any]]
#: Finished jobs kept for listing (oldest dropped first).
KEEP_FINISHED: Final = 200


class JobCancelled(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside a job's progress report once it has been cancelled."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class Job:
    """One background job and how far it got."""

    id: str
    kind: str
    params: dict[str, Any]
    state: State = "queued"
    done: float = 0
    total: float | None = None
    unit: str = ""
    message: str = ""
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    on_cancel: Callable[[], None] | None = field(default=None, repr=False)

    def report(
        self,
        done: float,
        total: float | None = None,
        unit: str = "",
        msg: str = "",
        *,
        check: bool = True,
    ) -> None:
        """Record progress; raises :class:`JobCancelled` once the job was cancelled (unless
        ``check`` is false: a crawl is stopped through ``on_cancel`` instead)."""
        self.done = done
        if total is not None:
            self.total = total
        if unit:
            self.unit = unit
        if msg:
            self.message = msg
        if check and self.cancel.is_set():
            raise JobCancelled

    def public(self) -> dict[str, Any]:
        """The job as the API shows it."""
        from backlinks.api.tables import js_safe  # noqa: PLC0415 - keeps this module light

        d = {f.name: js_safe(getattr(self, f.name)) for f in fields(self) if f.repr}
        d["fraction"] = (
            min(1.0, self.done / self.total)
            if self.total
            else (1.0 if self.state == "done" else None)
        )
        return d


class JobManager:
    """A queue of write jobs run in order on one worker thread."""

    def __init__(self, store: Store, on_change: Callable[[], None]) -> None:
        self.store = store
        self.on_change = on_change
        self.jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._queue: queue.Queue[tuple[Job, Runner] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._worker = threading.Thread(target=self._work, name="backlinks-jobs", daemon=True)
        self._worker.start()

    def submit(self, kind: str, params: dict[str, Any], runner: Runner) -> Job:
        with self._lock:
            job = Job(id=f"{kind}-{next(self._ids)}", kind=kind, params=params)
            self.jobs[job.id] = job
            self._trim()
        self._queue.put((job, runner))
        return job

    def _trim(self) -> None:
        finished = [j for j in self.jobs.values() if j.finished_at]
        for old in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self.jobs[old.id]

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise KeyError(f"no job {job_id!r}")
        return job

    def list(self) -> list[Job]:
        with self._lock:
            return list(self.jobs.values())

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        job.cancel.set()
        if job.state == "queued":
            job.state = "cancelled"
            job.finished_at = _now()
        elif job.state == "running" and job.on_cancel is not None:
            job.on_cancel()
        return job

    def close(self, timeout: float = 10.0) -> None:
        """Cancel what runs, drop what waits, and stop the worker."""
        for job in self.list():
            if job.state in ("queued", "running"):
                self.cancel(job.id)
        self._queue.put(None)
        self._worker.join(timeout)

    def _work(self) -> None:
        view = self.store.view()
        try:
            while (item := self._queue.get()) is not None:
                job, runner = item
                if job.state != "queued":
                    continue
                job.state = "running"
                job.started_at = _now()
                start = time.perf_counter()
                try:
                    job.result = runner(job, view)
                    job.state = "done"
                except JobCancelled:
                    job.state = "cancelled"
                    job.message = "cancelled; the index is consistent (crawls can resume)"
                except Exception as exc:  # noqa: BLE001 - a job's failure is its result
                    job.state = "failed"
                    job.error = f"{type(exc).__name__}: {exc}"
                    job.message = traceback.format_exception_only(exc)[-1].strip()
                finally:
                    job.finished_at = _now()
                    if job.result is not None:
                        job.result["seconds"] = round(time.perf_counter() - start, 2)
                    # a job stopped mid-transaction; no open transaction is the usual case
                    with contextlib.suppress(Exception):
                        view.con.execute("ROLLBACK")
                    self.on_change()
        finally:
            view.close()


# ---- runners: one per kind, each a thin call into the library ---------------------------------


def run_ingest(job: Job, store: Store) -> dict[str, Any]:
    """Ingest ``paths`` (files, folders or globs on the server)."""
    from backlinks.ingest import ingest  # noqa: PLC0415

    seen = {"bytes": 0, "records": 0, "links": 0}

    def on_total(total: int) -> None:
        job.report(0, total, "bytes")

    def advance(nbytes: int, nrec: int, nlinks: int) -> None:
        seen["bytes"] += nbytes
        seen["records"] += nrec
        seen["links"] += nlinks
        job.report(seen["bytes"], msg=f"{seen['records']:,} records, {seen['links']:,} links")

    report = ingest(
        store,
        [str(p) for p in job.params["paths"]],
        keep_text=bool(job.params.get("keep_text", True)),
        progress=advance,
        on_total=on_total,
    )
    store.con.execute("CHECKPOINT")
    return {**report.totals(), "problems": report.problems[:50]}


def run_rank(job: Job, store: Store) -> dict[str, Any]:
    """Rank the index at the given levels (and TrustRank from ``auto_seeds``)."""
    from backlinks.analysis import authority  # noqa: PLC0415

    levels = tuple(job.params.get("levels") or ("page", "host", "domain"))
    stages: list[str] = []

    def on_stage(stage: str, done: int, total: int) -> None:
        if stage not in stages:
            stages.append(stage)
        job.report(done, total or None, "steps", f"{stage} ({len(stages)})")

    seeds = job.params.get("seeds_file")
    summaries = authority.rank_store(
        store,
        levels,
        seeds_file=Path(seeds) if seeds else None,
        auto_seeds=int(job.params.get("auto_seeds", 0)),
        include_nofollow=bool(job.params.get("include_nofollow", False)),
        progress=on_stage,
    )
    return {"levels": [asdict(s) for s in summaries]}


def run_crawl(job: Job, store: Store) -> dict[str, Any]:
    """Crawl from ``seeds`` (or resume the last unfinished crawl)."""
    from backlinks.crawl.config import CrawlConfig  # noqa: PLC0415
    from backlinks.crawl.crawler import Crawler  # noqa: PLC0415
    from backlinks.crawl.net import parse_resolve  # noqa: PLC0415

    p = job.params
    mapping = parse_resolve(list(p.get("resolve") or []))
    if p.get("resume"):
        crawler = Crawler.resume(store)
        if p.get("max_pages") is not None:
            crawler.cfg.max_pages = int(p["max_pages"])
        crawler.cfg.allow_private = bool(p.get("allow_private")) or crawler.cfg.allow_private
        crawler.cfg.resolve = mapping or crawler.cfg.resolve
    else:
        cfg = CrawlConfig(
            max_pages=int(p.get("max_pages") or 1000),
            max_depth=int(p.get("max_depth", 5)),
            scope=p.get("scope", "host"),
            allowed_domains=tuple(p.get("allow_domains") or ()),
            concurrency=int(p.get("concurrency", 16)),
            per_host=int(p.get("per_host", 2)),
            delay=float(p.get("delay", 1.0)),
            allow_private=bool(p.get("allow_private", False)),
            resolve=mapping,
            keep_text=bool(p.get("keep_text", True)),
        )
        crawler = Crawler.start(store, list(p["seeds"]), cfg)
    job.report(0, crawler.cfg.max_pages, "pages")

    def on_progress(done: int, total: int, queued: int) -> None:
        job.report(done, total, "pages", f"{queued:,} queued", check=False)

    async def main() -> Any:
        loop = asyncio.get_running_loop()

        def stop() -> None:
            loop.call_soon_threadsafe(crawler.stop)

        job.on_cancel = stop
        if job.cancel.is_set():
            crawler.stop()
        return await crawler.run(on_progress)

    report = asyncio.run(main())
    job.on_cancel = None
    job.result = {
        "snapshot_id": report.snapshot_id,
        "pages": report.pages,
        "links": report.links,
        "finished": report.finished,
        "counts": dict(report.counts),
    }
    if crawler.stopping:
        raise JobCancelled
    return job.result


RUNNERS: Final[dict[str, Runner]] = {"ingest": run_ingest, "rank": run_rank, "crawl": run_crawl}
