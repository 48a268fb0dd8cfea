"""Rows over HTTP: filters, sorting, cursor pages and CSV/JSON export of an answer frame.

Every list endpoint computes its answer once as a DataFrame (cached, see
:mod:`backlinks.api.cache`) and this module narrows it: ``filter=COLUMN OP VALUE``
(repeatable, all must hold; OP is one of ``= != ~ !~ >= <= > <``, ``~`` meaning "contains",
case-insensitive; ``a|b~text`` holds when any of the columns matches), ``sort=COLUMN`` or
``sort=-COLUMN`` (repeatable, stable, the answer's own order breaks ties), then a page of
``limit`` rows from an opaque ``cursor``. Nothing a client sends reaches SQL: filters run on
the frame.

A cursor names the query it belongs to (a hash of target, parameters, filters and sort), so
a cursor pasted into another query is refused instead of silently returning wrong rows.

CSV cells that begin with ``= + - @`` (or tab/CR) are formulas to a spreadsheet: they are
prefixed with an apostrophe (OWASP's "CSV injection" advice), strings only.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from backlinks.output import records

__all__ = [
    "MAX_LIMIT",
    "Filter",
    "Page",
    "apply",
    "csv_cell",
    "csv_chunks",
    "decode_cursor",
    "encode_cursor",
    "js_safe",
    "page_of",
    "parse_filter",
    "parse_sort",
    "positions",
]

T = TypeVar("T")
#: Most rows one page may hold.
MAX_LIMIT: Final = 1000
Op = Literal["=", "!=", "~", "!~", ">=", "<=", ">", "<"]
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_FILTER: Final = re.compile(rf"^\s*({_NAME}(?:\|{_NAME})*)\s*(!=|!~|>=|<=|=|~|>|<)(.*)$", re.S)
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_INT: Final = re.compile(r"^\s*[-+]?\d{1,19}\s*$")
#: Integers beyond this lose digits as JavaScript numbers: JSON carries them as strings.
JS_SAFE_INT: Final = 2**53 - 1
_TRUE: Final = {"true", "1", "yes"}
_FALSE: Final = {"false", "0", "no"}


class QueryError(ValueError):
    """A filter, sort or cursor the answer cannot take (HTTP 422)."""


@dataclass(frozen=True, slots=True)
class Filter:
    """One ``COLUMN OP VALUE`` condition."""

    column: str
    op: Op
    value: str

    def __str__(self) -> str:
        return f"{self.column}{self.op}{self.value}"

    @property
    def columns(self) -> list[str]:
        """The columns tested: ``a|b`` means any of them."""
        return self.column.split("|")


@dataclass(frozen=True, slots=True)
class Page:
    """One page of an answer."""

    rows: pd.DataFrame
    total: int  # rows matching the filters
    offset: int
    next_cursor: str | None


def parse_filter(text: str) -> Filter:
    """``"section=content"`` → ``Filter("section", "=", "content")``."""
    m = _FILTER.match(text)
    if not m:
        raise QueryError(
            f"bad filter {text!r}: use COLUMN OP VALUE with OP one of = != ~ !~ >= <= > <"
        )
    return Filter(m.group(1), m.group(2), m.group(3).strip())  # type: ignore[arg-type]


def parse_sort(items: Iterable[str]) -> list[tuple[str, bool]]:
    """``["-rating", "domain"]`` → ``[("rating", True), ("domain", False)]`` (descending?)."""
    out = []
    for item in items:
        for part in item.split(","):
            name = part.strip()
            if not name:
                continue
            desc = name.startswith("-")
            out.append((name.lstrip("+-"), desc))
    return out


def _mask(col: pd.Series, f: Filter) -> pd.Series:
    """Rows of ``col`` that pass ``f`` (missing values pass only ``!=`` and ``!~``)."""
    if f.op in ("~", "!~"):
        hit = col.astype("string").str.contains(f.value, case=False, regex=False, na=False)
        return ~hit if f.op == "!~" else hit
    value: Any
    if pd.api.types.is_bool_dtype(col.dtype) or (col.dtype == object and _all_bool(col)):
        low = f.value.lower()
        if low not in _TRUE | _FALSE:
            raise QueryError(f"{f.column} is true or false, not {f.value!r}")
        value = low in _TRUE
    elif pd.api.types.is_integer_dtype(col.dtype) and _INT.match(f.value):
        value = int(f.value)  # exact: 64-bit ids do not survive a float
    elif pd.api.types.is_numeric_dtype(col.dtype):
        try:
            value = float(f.value)
        except ValueError as exc:
            raise QueryError(f"{f.column} is a number, not {f.value!r}") from exc
    elif pd.api.types.is_datetime64_any_dtype(col.dtype):
        try:
            value = pd.Timestamp(f.value)
        except (ValueError, TypeError) as exc:
            raise QueryError(f"{f.column} is a date, not {f.value!r}") from exc
        if pd.isna(value):
            raise QueryError(f"{f.column} is a date, not {f.value!r}")
    else:
        col = col.astype("string")
        value = f.value
    if f.op in (">=", "<=", ">", "<") and isinstance(value, bool):
        raise QueryError(f"{f.column} is true or false: use = or !=")
    ops = {
        "=": col.eq,
        "!=": col.ne,
        ">=": col.ge,
        "<=": col.le,
        ">": col.gt,
        "<": col.lt,
    }
    try:
        result = ops[f.op](value)
    except TypeError as exc:
        raise QueryError(f"cannot compare {f.column} with {f.value!r}") from exc
    return result.fillna(f.op == "!=").astype(bool)


def _all_bool(col: pd.Series) -> bool:
    sample = col.dropna().head(50)
    return len(sample) > 0 and all(isinstance(v, bool | np.bool_) for v in sample)


def positions(
    df: pd.DataFrame, filters: Sequence[Filter], sort: Sequence[tuple[str, bool]]
) -> npt.NDArray[np.int64]:
    """Row positions of ``df`` passing every filter, stably sorted (the answer's own order
    breaks ties): a view of the answer that costs 8 bytes a row, not a copy of it."""
    known = set(map(str, df.columns))
    named = [c for f in filters for c in f.columns] + [s for s, _ in sort]
    for name in named:
        if name not in known:
            raise QueryError(f"no column {name!r}; columns: {', '.join(map(str, df.columns))}")
    keep = np.ones(len(df), dtype=bool)
    for f in filters:
        hit = np.zeros(len(df), dtype=bool)
        for column in f.columns:  # a|b~text: any of the columns
            hit |= _mask(df[column], replace(f, column=column)).to_numpy()
        keep &= hit
    pos = np.flatnonzero(keep).astype(np.int64)
    if sort and len(pos):
        view = df.iloc[pos].reset_index(drop=True)
        try:
            order = view.sort_values(
                [s for s, _ in sort],
                ascending=[not d for _, d in sort],
                kind="stable",
                na_position="last",
            )
        except TypeError as exc:
            raise QueryError(f"cannot sort by {', '.join(s for s, _ in sort)}: {exc}") from exc
        pos = pos[order.index.to_numpy()]
    return pos


def apply(
    df: pd.DataFrame, filters: Sequence[Filter], sort: Sequence[tuple[str, bool]]
) -> pd.DataFrame:
    """The rows of ``df`` passing every filter, stably sorted (see :func:`positions`)."""
    if not filters and not sort:
        return df
    return df.iloc[positions(df, filters, sort)]


def query_key(*parts: object) -> str:
    """A short stable hash of a query's parts (what a cursor belongs to)."""
    blob = json.dumps([str(p) for p in parts], ensure_ascii=True)
    return hashlib.blake2s(blob.encode(), digest_size=9).hexdigest()


def encode_cursor(key: str, offset: int) -> str:
    """An opaque cursor: the query it belongs to and where the next page starts."""
    raw = json.dumps({"q": key, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, key: str) -> int:
    """The offset in ``cursor`` when it belongs to query ``key`` (QueryError otherwise)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        offset = int(data["o"])
        owner = str(data["q"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise QueryError("bad cursor: pass back a next_cursor exactly as received") from exc
    if owner != key:
        raise QueryError("this cursor belongs to another query (target, filters or sort changed)")
    if offset < 0:
        raise QueryError("bad cursor: negative offset")
    return offset


def page_of(
    df: pd.DataFrame,
    key: str,
    limit: int,
    cursor: str | None,
    rows: npt.NDArray[np.int64] | None = None,
) -> Page:
    """The page of ``limit`` rows that ``cursor`` points at (the first without one), of
    ``df`` or of its rows at ``rows`` (see :func:`positions`)."""
    offset = decode_cursor(cursor, key) if cursor else 0
    total = len(df) if rows is None else len(rows)
    window = slice(offset, offset + limit)
    part = df.iloc[window] if rows is None else df.iloc[rows[window]]
    end = offset + len(part)
    nxt = encode_cursor(key, end) if end < total else None
    return Page(part, total, offset, nxt)


def js_safe(value: T) -> T:
    """``value`` with every integer beyond 2**53 as a string, through dicts and lists: the
    64-bit ids (snapshot, url, domain, node) a browser would otherwise round. (The same
    JSON shape, so typed as such; only those integers change type.)"""
    if isinstance(value, dict):
        return cast(T, {k: js_safe(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return cast(T, [js_safe(v) for v in value])
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > JS_SAFE_INT:
        return cast(T, str(value))
    return value


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_chunks(df: pd.DataFrame, rows_per_chunk: int = 5000) -> Iterator[str]:
    """``df`` as CSV text in chunks (header first), formula-safe, for streaming."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(str(c)) for c in df.columns])
    for start in range(0, len(df), rows_per_chunk):
        for row in records(df.iloc[start : start + rows_per_chunk]):
            writer.writerow([csv_cell(v) for v in row.values()])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    if buf.tell():
        yield buf.getvalue()
