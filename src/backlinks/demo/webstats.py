"""What the loopback test web saw: every request, and the peak concurrency per host, so a
crawler test can assert politeness (at most N connections or requests in flight per host,
at least the Crawl-delay between two requests to a host), robots compliance (no request for a
disallowed path) and that no finished page was fetched twice.

The server's event-loop thread writes, the test thread reads: every access takes one lock,
and readers get copies.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

__all__ = ["Hit", "WebStats"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One request: when it arrived (``time.monotonic()``), for which host and target, the
    status it was given, on which connection (numbered from 1), from which User-Agent, and
    whether the whole response was written (``done``: false while it is being answered, and
    for ``/hang``, dropped bodies and clients that hung up)."""

    at: float
    host: str
    target: str
    method: str
    status: int
    connection: int
    user_agent: str
    done: bool = False

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.target}"


class WebStats:
    """Counters of one server run (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections = self._open_total = 0
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far (open connections stay counted as open)."""
        with self._lock:
            self._hits: list[Hit] = []
            self._inflight: Counter[str] = Counter()
            self._peak_inflight: Counter[str] = Counter()
            self._open: Counter[str] = Counter()
            self._peak_open: Counter[str] = Counter()
            self._tls = 0

    # ---- written by the server -------------------------------------------------------------

    def connection_opened(self) -> int:
        with self._lock:
            self._connections += 1
            self._open_total += 1
            self._peak_open["*"] = max(self._peak_open["*"], self._open_total)
            return self._connections

    def connection_uses(self, host: str) -> None:
        """A connection sent its first request for ``host``."""
        with self._lock:
            self._open[host] += 1
            self._peak_open[host] = max(self._peak_open[host], self._open[host])

    def connection_closed(self, hosts: Iterable[str]) -> None:
        with self._lock:
            self._open_total -= 1
            for host in hosts:
                self._open[host] -= 1

    def tls_attempt(self) -> None:
        """A client spoke TLS to the plain-HTTP server (an ``https://`` URL was fetched)."""
        with self._lock:
            self._tls += 1

    def started(self, hit: Hit) -> int:
        """Record a request; returns its number for :meth:`finished`."""
        with self._lock:
            self._hits.append(hit)
            for key in (hit.host, "*"):
                self._inflight[key] += 1
                self._peak_inflight[key] = max(self._peak_inflight[key], self._inflight[key])
            return len(self._hits) - 1

    def finished(self, number: int, hit: Hit, *, done: bool) -> None:
        """Request ``number`` (``hit``) is over: answered in full when ``done``."""
        with self._lock:
            self._inflight[hit.host] -= 1
            self._inflight["*"] -= 1
            if done and number < len(self._hits) and self._hits[number] is hit:
                self._hits[number] = replace(hit, done=True)

    # ---- read by tests -----------------------------------------------------------------

    def hits(self, host: str | None = None) -> list[Hit]:
        """Requests in arrival order (all, or for one host)."""
        with self._lock:
            return [h for h in self._hits if host is None or h.host == host]

    def count(self, host: str | None = None, path: str | None = None) -> int:
        """Requests for ``host`` (any if None) and ``path`` (the target without its query;
        a ``path`` with ``?`` is compared with the whole target)."""
        key = "target" if path is not None and "?" in path else "path"
        return sum(1 for h in self.hits(host) if path is None or getattr(h, key) == path)

    def by_host(self) -> Counter[str]:
        return Counter(h.host for h in self.hits())

    def by_url(self) -> Counter[str]:
        """Requests per ``http://host/target``."""
        return Counter(h.url for h in self.hits())

    def times(self, host: str) -> list[float]:
        """Arrival times (``time.monotonic()``) of the requests for ``host``."""
        return [h.at for h in self.hits(host)]

    def min_gap(self, host: str) -> float | None:
        """Shortest time between two consecutive requests for ``host`` (None under two)."""
        times = self.times(host)
        return min((b - a for a, b in itertools.pairwise(times)), default=None)

    def inflight(self, host: str | None = None) -> int:
        """Requests for ``host`` (all hosts when None) being answered now."""
        with self._lock:
            return self._inflight[host or "*"]

    def max_inflight(self, host: str | None = None) -> int:
        """Most requests for ``host`` (for all hosts together when None) being answered at
        once, from the request line read to the last byte written."""
        with self._lock:
            return self._peak_inflight[host or "*"]

    def max_connections(self, host: str | None = None) -> int:
        """Most connections open at once that had requested ``host`` (any host when None)."""
        with self._lock:
            return self._peak_open[host or "*"]

    @property
    def connections(self) -> int:
        """Connections accepted since the server started."""
        with self._lock:
            return self._connections

    @property
    def tls_attempts(self) -> int:
        with self._lock:
            return self._tls

    def refetched(self, statuses: Iterable[int] = (200,)) -> Counter[str]:
        """URLs requested again after a complete response with one of ``statuses`` (a
        finished page), with how many times; empty for a crawler that never refetches."""
        done, again = set[str](), Counter[str]()
        wanted = set(statuses)
        for hit in self.hits():
            if hit.url in done:
                again[hit.url] += 1
            if hit.done and hit.status in wanted:
                done.add(hit.url)
        return again
