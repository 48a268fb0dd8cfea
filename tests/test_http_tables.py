"""The API's table machinery on its own: filters against plain Python, cursors, the
formula-safe CSV writer, and the answer cache's single flight."""

from __future__ import annotations

import contextlib
import threading
import time

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlinks.api import tables
from backlinks.api.cache import AnswerCache


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["alpha", "Beta", None, "gamma", "=evil()"],
            "n": [3, 1, 2, 5, 4],
            "flag": [True, False, True, False, True],
        }
    )


def test_filters_match_python(frame: pd.DataFrame) -> None:
    def names(*filters: str) -> list[object]:
        parsed = [tables.parse_filter(f) for f in filters]
        return list(tables.apply(frame, parsed, []).name.fillna("-"))

    assert names("name~BET") == ["Beta"]
    assert names("name!~a") == ["-", "=evil()"]
    assert names("n>=3", "flag=true") == ["alpha", "=evil()"]
    assert names("name!=alpha") == ["Beta", "-", "gamma", "=evil()"]
    assert names("n<2") == ["Beta"]
    assert names("name|n~5") == ["gamma"]  # any of the columns
    assert names("name|n~a", "n>3") == ["gamma"]
    with pytest.raises(tables.QueryError, match="no column"):
        names("missing=1")
    with pytest.raises(tables.QueryError, match="a number"):
        names("n>many")


def test_sort_is_stable_with_missing_last(frame: pd.DataFrame) -> None:
    out = tables.apply(frame, [], tables.parse_sort(["-flag,name"]))
    assert list(out.name.fillna("-")) == ["=evil()", "alpha", "-", "Beta", "gamma"]


@given(st.integers(0, 10_000), st.text(max_size=20))
def test_cursor_round_trip(offset: int, key: str) -> None:
    cursor = tables.encode_cursor(key, offset)
    assert tables.decode_cursor(cursor, key) == offset
    with pytest.raises(tables.QueryError):
        tables.decode_cursor(cursor, key + "x")


@given(st.text())
def test_decode_never_crashes(garbage: str) -> None:
    with contextlib.suppress(tables.QueryError):
        tables.decode_cursor(garbage, "k")


def test_pages_cover_the_frame(frame: pd.DataFrame) -> None:
    seen, cursor = [], None
    while True:
        page = tables.page_of(frame, "k", 2, cursor)
        seen += list(page.rows.n)
        if (cursor := page.next_cursor) is None:
            break
    assert seen == list(frame.n)


def test_csv_cells_cannot_be_formulas(frame: pd.DataFrame) -> None:
    text = "".join(tables.csv_chunks(frame, rows_per_chunk=2))
    assert "'=evil()" in text
    assert "\n=evil()" not in text
    assert tables.csv_cell("-1+1") == "'-1+1"
    assert tables.csv_cell(-1) == -1  # numbers stay numbers
    assert text.splitlines()[0] == "name,n,flag"


def test_cache_computes_once_under_concurrency() -> None:
    cache = AnswerCache(max_rows=10)
    calls = []

    def slow() -> pd.DataFrame:
        calls.append(1)
        time.sleep(0.2)
        return pd.DataFrame({"a": [1, 2, 3]})

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 8
    cache.get("other", lambda: pd.DataFrame({"a": range(9)}))  # 3 + 9 rows > 10: "k" goes
    assert cache.stats()["rows"] == 9
    cache.get("k", slow)
    assert len(calls) == 2


def test_cache_row_count_stays_true_under_churn() -> None:
    """Many threads over more keys than fit: the row count always equals what is held
    (a key computed twice once counted its rows twice, and the cache then kept nothing)."""
    cache = AnswerCache(max_rows=30)

    def work(seed: int) -> None:
        for i in range(200):
            key = (seed + i) % 5
            cache.get(key, lambda: pd.DataFrame({"a": range(10)}))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = cache.stats()
    assert stats["rows"] == 10 * stats["answers"]
    assert stats["answers"] == 3
