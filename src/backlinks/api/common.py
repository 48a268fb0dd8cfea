"""What every endpoint shares: the server state, table parameters and the table response."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

import pandas as pd
from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from backlinks.analysis.backlinks import Mode, target_known
from backlinks.api import tables
from backlinks.api.state import ServerState
from backlinks.index import Index
from backlinks.output import records

__all__ = [
    "LIST",
    "IndexDep",
    "ModeQ",
    "StateDep",
    "TableDep",
    "TablePage",
    "TableParams",
    "TargetQ",
    "get_state",
    "known_target",
    "table_response",
]

TargetQ = Annotated[
    str,
    Query(
        min_length=1,
        max_length=2048,
        description="URL, URL prefix, host or domain, as on the command line.",
    ),
]
ModeQ = Annotated[
    Literal["auto", "url", "prefix", "host", "domain"],
    Query(description="How to read the target (auto: a bare registrable domain is the domain)."),
]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def get_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.backlinks
    return state


StateDep = Annotated[ServerState, Depends(get_state)]


def get_index(request: Request) -> Iterator[Index]:
    """A handle on the index with a DuckDB connection of its own for this request (a
    connection must not be shared between threads, nor carry one request's state into the
    next)."""
    view = get_state(request).store.view()
    try:
        yield Index.on(view)
    finally:
        view.close()


IndexDep = Annotated[Index, Depends(get_index)]


@dataclass(frozen=True, slots=True)
class TableParams:
    """Filtering, sorting, paging and export parameters of every list endpoint."""

    limit: int
    cursor: str | None
    sort: list[str]
    filter: list[str]
    format: Literal["json", "csv", "jsonl"]


def table_params(
    limit: Annotated[int, Query(ge=1, le=tables.MAX_LIMIT, description="Rows per page.")] = 100,
    cursor: Annotated[
        str | None,
        Query(max_length=512, description="next_cursor of the previous page, as received."),
    ] = None,
    sort: Annotated[
        list[str],
        Query(
            max_length=200, description="Column to sort by; -column for descending (repeatable)."
        ),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    filter: Annotated[
        list[str],
        Query(
            max_length=1000,
            description="COLUMN OP VALUE with OP one of = != ~ !~ >= <= > < (~: contains, "
            "case-insensitive); repeatable, all must hold.",
        ),
    ] = [],  # noqa: B006
    format: Annotated[
        Literal["json", "csv", "jsonl"],
        Query(description="json: one page; csv or jsonl: every matching row, as a download."),
    ] = "json",
) -> TableParams:
    return TableParams(limit, cursor, list(sort), list(filter), format)


TableDep = Annotated[TableParams, Depends(table_params)]


class TablePage(BaseModel):
    """One page of a list answer."""

    columns: list[str]
    rows: list[dict[str, Any]]
    total: int = Field(description="Rows matching the filters.")
    offset: int
    limit: int
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null: last.")
    sort: list[str]
    filter: list[str]


#: Route options of every list endpoint: the page model documented, not re-validated.
LIST: Final[dict[str, Any]] = {
    "response_model": None,
    "responses": {
        200: {
            "model": TablePage,
            "description": "One page of rows (format=json), or every row (csv, jsonl).",
        }
    },
}


def known_target(index: Index, state: ServerState, target: str, mode: Mode = "auto") -> None:
    """404 unless the index knows ``target`` (422 when it is not a URL, host or domain)."""
    try:
        found = state.cached(
            ("known", target, mode), lambda: target_known(index.store, target, mode)
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    if not found:
        raise HTTPException(404, f"{target!r} is not in this index (no page of it, no link to it)")


def table_response(
    state: ServerState,
    name: str,
    key: tuple[Hashable, ...],
    compute: Callable[[], pd.DataFrame],
    params: TableParams,
) -> Response:
    """Compute (or reuse) an answer, then filter, sort and page (a :class:`TablePage` as
    JSON) or export it."""
    try:
        filters = [tables.parse_filter(f) for f in params.filter]
        sort = tables.parse_sort(params.sort)
    except tables.QueryError as exc:
        raise HTTPException(422, str(exc)) from exc
    full = state.cached((name, *key), compute)
    shaped_key = (name, *key, tuple(map(str, filters)), tuple(sort))
    rows = None
    if filters or sort:  # a cached view of the answer: row positions, not a copy
        try:
            rows = state.cached(
                ("shaped", *shaped_key), lambda: tables.positions(full, filters, sort)
            )
        except tables.QueryError as exc:
            raise HTTPException(422, str(exc)) from exc
    if params.format != "json":
        return _download(full if rows is None else full.iloc[rows], name, key, params.format)
    qkey = tables.query_key(*shaped_key)
    try:
        page = tables.page_of(full, qkey, params.limit, params.cursor, rows)
    except tables.QueryError as exc:
        raise HTTPException(422, str(exc)) from exc
    body = {
        "columns": [str(c) for c in full.columns],
        "rows": tables.js_safe(records(page.rows)),
        "total": page.total,
        "offset": page.offset,
        "limit": params.limit,
        "next_cursor": page.next_cursor,
        "sort": [("-" if d else "") + c for c, d in sort],
        "filter": [str(f) for f in filters],
    }
    return JSONResponse(body)  # rows are JSON-ready: no second validation pass


def _download(
    df: pd.DataFrame, name: str, key: tuple[Hashable, ...], fmt: str
) -> StreamingResponse:
    label = _SAFE_NAME.sub("_", "-".join([name, *(str(k) for k in key[:1])]))[:100] or name
    if fmt == "csv":
        body: Iterator[str] = tables.csv_chunks(df)
        media = "text/csv; charset=utf-8"
    else:
        body = _jsonl(df)
        media = "application/x-ndjson"
    return StreamingResponse(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{label}.{fmt}"'},
    )


def _jsonl(df: pd.DataFrame, chunk: int = 5000) -> Iterator[str]:
    for start in range(0, len(df), chunk):
        yield "".join(
            json.dumps(r, ensure_ascii=False) + "\n"
            for r in tables.js_safe(records(df.iloc[start : start + chunk]))
        )
