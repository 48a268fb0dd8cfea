"""Answers computed once and paged many times.

A dashboard or an API client pages through an answer (a million backlinks, 100 at a time)
and re-sorts it; computing it again for every page would cost seconds each. Answers are
kept here by key, least recently used first out, bounded by their total rows. A key is
computed by one thread while others asking for it wait (single flight), so fifty clients
opening the same domain at once cost one query. Keys include the store's generation,
which every write job bumps, so no answer outlives the data it came from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final, TypeVar

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_MAX_ROWS", "AnswerCache"]

#: Rows kept across all cached answers (about 0.3-0.5 KB each for backlinks).
DEFAULT_MAX_ROWS: Final = 3_000_000

T = TypeVar("T")


def _rows(value: object) -> int:
    """What a value costs the cache, in answer rows: a frame its rows, an array of row
    positions (a filtered or sorted view of an answer: 8 bytes a row, not a copy) a
    sixteenth of its length."""
    if isinstance(value, pd.DataFrame):
        return len(value)
    if isinstance(value, np.ndarray):
        return 1 + len(value) // 16
    return 1


class AnswerCache:
    """LRU of computed answers with single-flight computation (thread-safe)."""

    def __init__(self, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        self.max_rows = max_rows
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()
        self._flights: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer for ``key``, computing it (once, however many ask) when missing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]  # type: ignore[return-value]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._items:  # computed while we waited
                    self._items.move_to_end(key)
                    self.hits += 1
                    return self._items[key]  # type: ignore[return-value]
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._flights.pop(key, None)
                raise
            with self._lock:
                self.misses += 1
                self._put(key, value)
                self._flights.pop(key, None)
            return value

    def _put(self, key: Hashable, value: object) -> None:
        size = _rows(value)
        if key in self._items:  # computed twice (a waiter whose answer was evicted meanwhile)
            self._rows -= _rows(self._items.pop(key))
        if size > self.max_rows:
            return  # too big to keep: answered, not cached
        self._items[key] = value
        self._rows += size
        while self._rows > self.max_rows and self._items:
            _, old = self._items.popitem(last=False)
            self._rows -= _rows(old)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._rows = 0

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "answers": len(self._items),
                "rows": self._rows,
                "max_rows": self.max_rows,
                "hits": self.hits,
                "misses": self.misses,
            }
