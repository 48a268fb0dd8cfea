"""What one ``backlinks serve`` process holds: the open index, the answer cache, the shared
quality context and the job queue."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from backlinks.api.cache import DEFAULT_MAX_ROWS, AnswerCache
from backlinks.api.jobs import JobManager
from backlinks.index import Index
from backlinks.store.db import Store

if TYPE_CHECKING:
    from backlinks.quality.context import QualityContext

__all__ = ["ServerState"]

T = TypeVar("T")


class ServerState:
    """The server's index and everything cached over it (thread-safe).

    Requests run on a thread pool; each gets a DuckDB cursor of its own
    (:func:`backlinks.api.common.get_index`). ``generation`` counts finished write
    jobs: it is part of every cache key, so answers never outlive their data."""

    def __init__(
        self,
        db: str | Path,
        *,
        read_only: bool = False,
        token: str | None = None,
        allow_private: bool = False,
        cache_rows: int = DEFAULT_MAX_ROWS,
    ) -> None:
        self.db = Path(db)
        self.read_only = read_only
        self.token = token
        self.allow_private = allow_private
        self.store = Store(self.db, read_only=read_only)
        self.cache = AnswerCache(cache_rows)
        self.generation = 0
        self._ctx_lock = threading.Lock()
        self._ctx: tuple[int, QualityContext] | None = None
        self.jobs: JobManager | None = (
            None if read_only else JobManager(self.store, on_change=self.changed)
        )

    def changed(self) -> None:
        """The data changed (a write job ended): drop every cached answer."""
        self.generation += 1  # the quality context is rebuilt on its next use
        self.cache.clear()

    def cached(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """An answer by key for the current data generation, computed once."""
        return self.cache.get((self.generation, *key), compute)

    def quality(self, index: Index) -> QualityContext:
        """The shared toxic-link context (host spam scores, networks), built once per data
        generation and bound to the calling thread's connection."""
        from backlinks.quality.context import quality_context  # noqa: PLC0415 - numba

        with self._ctx_lock:
            if self._ctx is None or self._ctx[0] != self.generation:
                self._ctx = (self.generation, quality_context(index.store))
            ctx = self._ctx[1]
        return dataclasses.replace(ctx, store=index.store)

    def describe(self) -> dict[str, Any]:
        return {
            "db": str(self.db),
            "read_only": self.read_only,
            "auth": self.token is not None,
            "generation": self.generation,
            "cache": self.cache.stats(),
        }

    def close(self) -> None:
        if self.jobs is not None:
            self.jobs.close()
        self.store.close()
