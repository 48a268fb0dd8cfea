"""Answers that judge or compare: toxic links, spam hosts, disavow files, what-if,
competitor intersect and gap, broken and lost links, unlinked mentions, outreach."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import PlainTextResponse, Response

from backlinks.api.common import (
    LIST,
    IndexDep,
    ModeQ,
    StateDep,
    TableDep,
    TablePage,
    TargetQ,
    known_target,
    table_response,
)
from backlinks.api.state import ServerState
from backlinks.api.tables import js_safe
from backlinks.index import Index
from backlinks.output import records

router = APIRouter(prefix="/api/v1")
Table = Response
CompetitorsQ = Annotated[
    list[str],
    Query(
        alias="competitor",
        min_length=1,
        max_length=20,
        description="A competitor's URL, host or domain (repeatable).",
    ),
]
MinScoreQ = Annotated[float, Query(ge=0, le=100, description="Lowest toxic score (0-100).")]


def _toxic_links(state: ServerState, index: Index, target: str, mode: str) -> pd.DataFrame:
    from backlinks.quality.toxic import toxic_links  # noqa: PLC0415 - numba import

    known_target(index, state, target, mode)  # type: ignore[arg-type]

    def run() -> pd.DataFrame:
        ctx = state.quality(index)
        return toxic_links(index.store, target, mode=mode, ctx=ctx, min_score=0.0)  # type: ignore[arg-type]

    return state.cached(("toxic-all", target, mode), run)


@router.get("/toxic", tags=["quality"], **LIST)
def toxic(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    target: TargetQ,
    mode: ModeQ = "auto",
    by: Annotated[
        Literal["link", "domain"], Query(description="Each backlink or each referring domain.")
    ] = "link",
    min_score: MinScoreQ = 50.0,
) -> Table:
    """Toxic backlinks (or referring domains) scored 0-100 with the reasons, most toxic
    first."""
    from backlinks.quality.toxic import toxic_domains  # noqa: PLC0415

    links = _toxic_links(state, index, target, mode)

    def run() -> pd.DataFrame:
        if by == "domain":
            return toxic_domains(links, min_score=min_score)
        return links[links.score >= min_score].reset_index(drop=True)

    return table_response(state, "toxic", (target, mode, by, min_score), run, params)


@router.get("/toxic-chart", tags=["quality"])
def toxic_chart(
    state: StateDep, index: IndexDep, target: TargetQ, mode: ModeQ = "auto"
) -> dict[str, str]:
    """The toxic-score histogram of the target's backlinks, as SVG."""
    from backlinks.report.build import toxic_chart as draw  # noqa: PLC0415

    links = _toxic_links(state, index, target, mode)
    return {"chart-toxic": draw(links)}


@router.get("/spam-hosts", tags=["quality"], **LIST)
def spam_hosts(state: StateDep, index: IndexDep, params: TableDep) -> Table:
    """Hosts by link-based spam score (0-100), with reasons for those scoring 70+."""
    return table_response(
        state, "spam-hosts", (), lambda: state.quality(index).spam_hosts(None), params
    )


@router.get(
    "/disavow",
    tags=["quality"],
    response_model=None,
    responses={
        200: {
            "content": {"text/plain": {}},
            "model": TablePage,
            "description": "A Google disavow file (text), or with preview=true its rows.",
        }
    },
)
def disavow(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    target: TargetQ,
    min_score: MinScoreQ = 60.0,
    preview: Annotated[
        bool, Query(description="The entries as a table (with reasons) instead of the file.")
    ] = False,
) -> Table | PlainTextResponse:
    """A Google disavow file for the target's toxic links (download), or its preview."""
    from backlinks.quality.toxic import disavow_plan  # noqa: PLC0415

    links = _toxic_links(state, index, target, "auto")
    text, rows = state.cached(
        ("disavow", target, min_score),
        lambda: disavow_plan(links, min_score=min_score, target=target),
    )
    if preview:
        return table_response(state, "disavow-preview", (target, min_score), lambda: rows, params)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return PlainTextResponse(
        text,
        headers={"Content-Disposition": f'attachment; filename="disavow-{stamp}.txt"'},
    )


@router.get("/whatif", tags=["authority"])
def whatif(
    state: StateDep,
    index: IndexDep,
    sources: Annotated[
        list[str],
        Query(
            alias="from",
            min_length=1,
            max_length=50,
            description="A linking page, host or domain (repeatable).",
        ),
    ],
    to: Annotated[
        str, Query(min_length=1, max_length=2048, description="The page, host or domain linked to.")
    ],
    level: Annotated[
        Literal["page", "host", "domain"], Query(description="page, host or domain.")
    ] = "domain",
    query: Annotated[
        str | None,
        Query(max_length=500, description="Also the target's position for this search."),
    ] = None,
) -> dict[str, Any]:
    """How the target's PageRank and rating would change if the sources linked to it."""
    from backlinks.analysis import authority  # noqa: PLC0415

    if query is not None and level == "host":
        raise HTTPException(422, "query needs level page or domain (what search uses)")

    def run() -> dict[str, Any]:
        try:
            result = authority.whatif(index.store, sources, to, level)
            if query:
                from backlinks.analysis.search_whatif import whatif_position  # noqa: PLC0415

                result |= whatif_position(index.store, query, sources, to, level=level)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return result

    result = state.cached(("whatif", tuple(sources), to, level, query), run)
    return js_safe(records(pd.DataFrame([result]))[0])


@router.get("/intersect", tags=["competitors"], **LIST)
def intersect(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    me: TargetQ,
    competitors: CompetitorsQ,
    min_competitors: Annotated[
        int, Query(ge=1, le=20, description="Link to at least this many.")
    ] = 1,
) -> Table:
    """Domains linking to at least min_competitors competitors but not to me."""

    def run() -> pd.DataFrame:
        try:
            return index.intersect(me, competitors, min_competitors=min_competitors, limit=None)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc

    return table_response(
        state, "intersect", (me, tuple(competitors), min_competitors), run, params
    )


@router.get("/gap", tags=["competitors"], **LIST)
def gap(
    state: StateDep, index: IndexDep, params: TableDep, me: TargetQ, competitors: CompetitorsQ
) -> Table:
    """Competitor pages ranked by the referring domains that link them but not me."""

    def run() -> pd.DataFrame:
        try:
            return index.gap(me, competitors, limit=None)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc

    return table_response(state, "gap", (me, tuple(competitors)), run, params)


@router.get("/broken", tags=["reclaim"], **LIST)
def broken(state: StateDep, index: IndexDep, params: TableDep, target: TargetQ) -> Table:
    """Backlinks to my URLs that answer 404/410 or end in redirect chains, with the live page
    that should receive a 301."""
    known_target(index, state, target)
    return table_response(state, "broken", (target,), lambda: index.broken(target), params)


@router.get("/lost", tags=["reclaim"], **LIST)
def lost(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    target: TargetQ,
    min_rating: Annotated[float, Query(ge=0, le=100, description="Lowest source rating.")] = 20.0,
) -> Table:
    """Lost backlinks worth asking back (rated sources)."""
    known_target(index, state, target)
    return table_response(
        state,
        "lost",
        (target, min_rating),
        lambda: index.lost(target, min_rating=min_rating),
        params,
    )


@router.get("/mentions", tags=["reclaim"], **LIST)
def mentions(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    target: TargetQ,
    brand: Annotated[
        list[str], Query(max_length=20, description="Brand term (repeatable; default: derived).")
    ] = [],  # noqa: B006
) -> Table:
    """Indexed pages that name my brand or domain but do not link to me."""
    known_target(index, state, target)
    return table_response(
        state,
        "mentions",
        (target, tuple(brand)),
        lambda: index.mentions(target, brand=brand or None, limit=None),
        params,
    )


@router.get("/outreach", tags=["reclaim"], **LIST)
def outreach(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    target: Annotated[str | None, Query(max_length=2048, description="Only this target.")] = None,
    status: Annotated[
        Literal["new", "contacted", "replied", "won", "declined"] | None,
        Query(description="Only this status."),
    ] = None,
) -> Table:
    """The outreach pipeline's prospects."""
    return table_response(
        state, "outreach", (target, status), lambda: index.prospects(target, status), params
    )
