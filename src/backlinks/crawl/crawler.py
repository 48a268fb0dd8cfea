"""The crawl loop: per-host politeness queues over one asyncio event loop.

Each host has its own queue, a next-allowed time (the crawl delay, or robots.txt's
``Crawl-delay`` when longer, or a server's ``Retry-After``) and an in-flight count capped by
``per_host``; ``concurrency`` caps requests in flight overall. A host's robots.txt is fetched
before anything else on it. Responses go to the WARC writer and, through the same extraction
as ``ingest``, to the store via :class:`~backlinks.crawl.frontier.Frontier`.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx

from backlinks import urls
from backlinks.crawl.config import CrawlConfig
from backlinks.crawl.fetch import Fetched, fetch
from backlinks.crawl.frontier import Frontier, Item
from backlinks.crawl.net import GuardedTransport
from backlinks.crawl.response import is_redirect, page_of, retry_delay
from backlinks.crawl.robots import RobotsPolicy, policy_from_response, robots_url
from backlinks.crawl.sitemaps import parse_sitemap
from backlinks.crawl.traps import Scope, trap_reason
from backlinks.crawl.warcout import WarcOut
from backlinks.records import Page
from backlinks.store.db import Store

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: Called with (pages done, pages allowed, queued).
CrawlProgress = Callable[[int, int, int], None]


@dataclass
class CrawlReport:
    """What a crawl (or one resumed run of it) did."""

    snapshot_id: int
    pages: int = 0
    links: int = 0
    finished: bool = False
    counts: Counter[str] = field(default_factory=Counter)  # the crawl's counters, all runs


@dataclass
class _Host:
    queue: deque[Item] = field(default_factory=deque)
    ready_at: float = 0.0
    active: int = 0
    robots: RobotsPolicy | None = None
    robots_pending: bool = False
    robots_error: str | None = None  # why robots.txt got no response (unreachable, timeout...)
    fetched: int = 0
    delay: float = 0.0


class Crawler:
    """One crawl run. Create with :meth:`start` or :meth:`resume`, then ``await run()``."""

    def __init__(self, store: Store, cfg: CrawlConfig, seeds: list[str], snapshot_id: int) -> None:
        self.store = store
        self.cfg = cfg
        self.seeds = seeds
        self.frontier = Frontier(store, snapshot_id, keep_text=cfg.keep_text)
        self.scope = Scope(seeds, cfg)
        self.hosts: dict[str, _Host] = {}
        self.report = CrawlReport(snapshot_id)
        self.done_pages = 0
        self.queued = 0
        self.stopping = False  # stop(): no new fetches, finish those in flight, commit
        self.warc = (
            WarcOut(cfg.warc_dir, f"crawl-{snapshot_id & 0xFFFFFFFF:08x}") if cfg.warc_dir else None
        )

    @classmethod
    def start(cls, store: Store, seeds: list[str], cfg: CrawlConfig) -> Crawler:
        clean = [
            u for u in (urls.canonicalize(s if "://" in s else f"http://{s}") for s in seeds) if u
        ]
        if not clean:
            raise ValueError("no valid http(s) seed URL")
        crawler = cls(store, cfg, clean, Frontier.create(store, clean, cfg))
        for seed in clean:
            crawler._enqueue(Item(seed, "page", 0, True))
        crawler.frontier.commit()
        return crawler

    @classmethod
    def resume(cls, store: Store, cfg: CrawlConfig | None = None) -> Crawler:
        found = Frontier.latest_unfinished(store)
        if found is None:
            raise LookupError("no unfinished crawl in this index to resume")
        snapshot_id, seeds, saved = found
        config = cfg or CrawlConfig(
            **{k: v for k, v in saved.items() if k != "allowed_domains"},
            allowed_domains=tuple(saved.get("allowed_domains", ())),
        )
        return cls(store, config, seeds, snapshot_id)

    # --- queueing -----------------------------------------------------------------------------

    def _host(self, url: str) -> _Host:
        key = url.split("/", 3)[2] if url.count("/") >= 2 else url  # scheme://authority
        host = self.hosts.get(key)
        if host is None:
            host = self.hosts[key] = _Host(delay=self.cfg.delay)
        return host

    def _enqueue(self, item: Item) -> None:
        reason = trap_reason(item.url, self.cfg) if item.kind == "page" else None
        if reason:
            self.frontier.count(reason)
            return
        if self.frontier.add(item):
            self._host(item.url).queue.append(item)
            self.queued += 1

    def _requeue(self, item: Item) -> None:
        self._host(item.url).queue.append(item)
        self.queued += 1

    # --- the loop -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask a running crawl to stop gracefully: it starts no new fetch, lets those in
        flight finish, commits and returns unfinished (resumable). Call it on the crawl's
        event loop (``loop.call_soon_threadsafe(crawler.stop)`` from another thread)."""
        self.stopping = True

    async def run(self, progress: CrawlProgress | None = None) -> CrawlReport:
        queued, done = self.frontier.load()  # the store's queue is the truth: start afresh
        self.hosts.clear()
        self.queued = 0
        self.done_pages = done
        for item in queued:
            self._requeue(item)
        timeout = httpx.Timeout(
            self.cfg.total_timeout, connect=self.cfg.ttfb_timeout, read=self.cfg.ttfb_timeout
        )
        transport = GuardedTransport(
            resolve=self.cfg.resolve,
            allow_private=self.cfg.allow_private,
            max_connections=max(self.cfg.concurrency, 1),
        )
        tasks: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            while True:
                now = time.monotonic()
                wake = None if self.stopping else self._launch(client, tasks, now)
                if self.frontier.pending_pages >= self.cfg.commit_every:
                    self.frontier.commit()
                if progress is not None:
                    progress(self.done_pages, self.cfg.max_pages, self.queued)
                if not tasks and (wake is None or self.done_pages >= self.cfg.max_pages):
                    break
                wait = max(0.0, (wake - now)) if wake is not None else None
                if tasks:
                    await asyncio.wait(tasks, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
                elif wait is not None:
                    await asyncio.sleep(wait)
        self.frontier.commit()
        if not self.stopping:
            self.frontier.close_crawl()
        if self.warc is not None:
            self.warc.close()
        row = self.store.con.execute(
            "SELECT finished FROM crawls WHERE snapshot_id = ?", [self.report.snapshot_id]
        ).fetchone()
        self.report.finished = bool(row and row[0])
        self.report.counts = Counter(
            dict(
                self.store.con.execute(
                    "SELECT kind, n FROM crawl_counts WHERE snapshot_id = ?",
                    [self.report.snapshot_id],
                ).fetchall()
            )
        )
        return self.report

    def _launch(
        self, client: httpx.AsyncClient, tasks: set[asyncio.Task[None]], now: float
    ) -> float | None:
        """Start every fetch that politeness allows now; return when to look again."""
        wake: list[float] = []
        for host in self.hosts.values():
            if not host.queue:
                continue
            while host.queue and len(tasks) < self.cfg.concurrency:
                if host.active >= self.cfg.per_host or host.robots_pending:
                    break
                if host.ready_at > now:
                    heapq.heappush(wake, host.ready_at)
                    break
                item = host.queue[0]
                if host.robots is None:
                    host.robots_pending = True
                    self._spawn(client, tasks, self._fetch_robots(client, host, item.url))
                    break
                if (
                    item.kind == "page"
                    and self.done_pages + self._in_flight_pages(tasks) >= self.cfg.max_pages
                ):
                    break
                host.queue.popleft()
                self.queued -= 1
                host.active += 1
                host.ready_at = now + host.delay
                self._spawn(client, tasks, self._process(client, host, item))
            if host.queue and host.ready_at > now:
                heapq.heappush(wake, host.ready_at)
        if tasks:
            return min(wake) if wake else None
        pending = any(h.queue for h in self.hosts.values())
        if not pending or self.done_pages >= self.cfg.max_pages:
            return None
        return min(wake) if wake else now

    def _in_flight_pages(self, tasks: set[asyncio.Task[None]]) -> int:
        return sum(h.active for h in self.hosts.values())

    def _spawn(
        self,
        client: httpx.AsyncClient,
        tasks: set[asyncio.Task[None]],
        coro: Coroutine[Any, Any, None],
    ) -> None:
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    # --- per response -----------------------------------------------------------------------

    async def _fetch_robots(self, client: httpx.AsyncClient, host: _Host, url: str) -> None:
        target = robots_url(url)
        status: int | None = None
        body = b""
        ctype = None
        error: str | None = None
        for _ in range(self.cfg.max_redirects + 1):
            got = await fetch(client, target, self.cfg)
            if self.warc is not None:
                self.warc.write(got)
            if got.status in (301, 302, 303, 307, 308) and got.header("Location"):
                nxt = urls.canonicalize(got.header("Location") or "", target)
                if nxt is None:
                    break
                target = nxt
                continue
            status = got.status if got.error is None else None
            error = got.error
            body, ctype = got.body, got.header("Content-Type")
            break
        host.robots = policy_from_response(status, body, ctype)
        host.robots_error = error if status is None else None
        host.robots_pending = False
        self.frontier.count("robots_fetched")
        delay = host.robots.crawl_delay(self.cfg.user_agent)
        if delay is not None:
            host.delay = max(self.cfg.delay, min(float(delay), 60.0))
        host.ready_at = time.monotonic() + host.delay  # robots.txt was a request too
        if self.cfg.sitemaps:
            for sm in host.robots.sitemaps:
                found = urls.canonicalize(sm, target)
                if found and self.scope.inside(found):
                    self._enqueue(Item(found, "sitemap", 0, True))

    async def _process(self, client: httpx.AsyncClient, host: _Host, item: Item) -> None:
        try:
            await self._process_inner(client, host, item)
        except Exception as exc:  # noqa: BLE001 - one bad response must not end the crawl
            self.frontier.finish(item, "failed", f"internal_error: {type(exc).__name__}")
            self.frontier.count("internal_error")
        finally:
            host.active -= 1

    async def _process_inner(self, client: httpx.AsyncClient, host: _Host, item: Item) -> None:
        cfg = self.cfg
        if host.robots is not None and not host.robots.allowed(item.url, cfg.user_agent):
            if host.robots_error is not None:
                # no answer at all for robots.txt (refused address, down, timed out): the
                # host is not crawled (RFC 9309), and the reason is the network's, not robots'
                self.frontier.finish(item, "failed", host.robots_error)
                self.frontier.count(host.robots_error)
                return
            self.frontier.finish(item, "skipped", "robots_disallowed")
            self.frontier.count("robots_disallowed")
            return
        if item.kind == "page" and host.fetched >= cfg.host_budget:
            self.frontier.finish(item, "skipped", "host_budget")
            self.frontier.count("trap_host_budget")
            return
        got = await fetch(client, item.url, cfg)
        if self.warc is not None:
            self.warc.write(got)
        retry_after = retry_delay(got, self.cfg.max_retry_after)
        if (
            (got.error in ("timeout", "unreachable") or got.status in _RETRY_STATUS)
            and item.attempts < cfg.retries
            and retry_after is not None
        ):
            item.attempts += 1
            host.ready_at = time.monotonic() + retry_after
            self.frontier.count("retries")
            self._requeue(item)
            return
        if got.error is not None:
            self.frontier.finish(item, "failed", got.error)
            self.frontier.count(got.error)
            return
        if item.kind == "sitemap":
            self._sitemap(item, got)
            return
        host.fetched += 1
        self.done_pages += 1
        self.frontier.finish(item, "done", str(got.status))
        self.frontier.count("pages")
        self.frontier.count(f"status_{got.status}")
        page = self._page(item, got)
        self.frontier.add_page(page)
        self.report.pages += 1
        self.report.links += len(page.links)

    def _sitemap(self, item: Item, got: Fetched) -> None:
        result = parse_sitemap(got.body, item.url)
        self.frontier.finish(item, "done", str(got.status))
        self.frontier.count("sitemaps")
        for sm in result.sitemaps:
            if self.scope.inside(sm):
                self._enqueue(Item(sm, "sitemap", 0, True))
        for url in result.urls:
            fetch_it, follow = self.scope.accepts(url, True)
            if fetch_it:
                self._enqueue(Item(url, "page", 1, follow))

    def _page(self, item: Item, got: Fetched) -> Page:
        """The response's page (see :func:`~backlinks.crawl.response.page_of`), and what it
        adds to the queue: its redirect target, or its canonical URL and links."""
        page = page_of(item.url, got, keep_text=self.cfg.keep_text)
        if is_redirect(got):
            if page.redirect_to and item.hops < self.cfg.max_redirects:
                fetch_it, follow = self.scope.accepts(page.redirect_to, item.follow)
                if fetch_it:
                    self._enqueue(Item(page.redirect_to, "page", item.depth, follow, item.hops + 1))
            elif page.redirect_to:
                self.frontier.count("redirect_limit")
            return page
        if not item.follow or item.depth >= self.cfg.max_depth:
            return page
        if page.meta.robots_nofollow:
            self.frontier.count("meta_nofollow_pages")
            return page
        canonical = page.meta.canonical_url
        if canonical and canonical != item.url:
            self._enqueue(Item(canonical, "page", item.depth, True))
        for link in page.links:
            fetch_it, follow = self.scope.accepts(link.dst_url, True)
            if fetch_it:
                self._enqueue(Item(link.dst_url, "page", item.depth + 1, follow))
            else:
                self.frontier.count("out_of_scope")
        return page
