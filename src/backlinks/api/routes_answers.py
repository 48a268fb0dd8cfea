"""Read-only answers about one target: links, profile, charts, referring domains, anchors,
new and lost links, timeline, referral traffic; and index-wide ones: stats, snapshots, top,
search. Each is a thin call into :class:`backlinks.index.Index` (or the analysis layer)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from backlinks.api.common import (
    LIST,
    IndexDep,
    ModeQ,
    StateDep,
    TableDep,
    TargetQ,
    known_target,
    table_response,
)
from backlinks.api.tables import js_safe
from backlinks.output import records

router = APIRouter(prefix="/api/v1")
Table = Response
LevelQ = Annotated[Literal["page", "host", "domain"], Query(description="page, host or domain.")]


@router.get("/server", tags=["index"])
def server(state: StateDep) -> dict[str, Any]:
    """Which index this server serves, whether it is read-only, its data generation (bumped
    by every write job) and its answer cache."""
    return state.describe()


@router.get("/stats", tags=["index"])
def stats(state: StateDep, index: IndexDep) -> dict[str, Any]:
    """Counts of pages, links, hosts, domains, snapshots and skipped records."""
    return js_safe(state.cached(("stats",), index.stats))


@router.get("/snapshots", tags=["index"], **LIST)
def snapshots(state: StateDep, index: IndexDep, params: TableDep) -> Table:
    """Snapshots (ingest batches and crawls) with their crawl windows."""
    return table_response(state, "snapshots", (), index.snapshots, params)


@router.get("/links", tags=["backlinks"], **LIST)
def links(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    target: TargetQ,
    mode: ModeQ = "auto",
    internal: Annotated[
        bool, Query(description="Include links from the target's own domain.")
    ] = False,
) -> Table:
    """Backlinks of a URL, prefix, host or domain: one row per distinct link, with when it was
    first and last seen."""
    known_target(index, state, target, mode)
    return table_response(
        state,
        "links",
        (target, mode, internal),
        lambda: index.links(target, mode=mode, limit=None, include_internal=internal),
        params,
    )


def _profile(state: StateDep, index: IndexDep, target: str, mode: str) -> Any:
    from backlinks.analysis.profile import profile  # noqa: PLC0415

    known_target(index, state, target, mode)  # type: ignore[arg-type]
    return state.cached(
        ("profile", target, mode),
        lambda: profile(index.store, target, mode=mode, limit=0),  # type: ignore[arg-type]
    )


@router.get("/profile", tags=["backlinks"])
def profile(
    state: StateDep,
    index: IndexDep,
    target: TargetQ,
    mode: ModeQ = "auto",
    top: Annotated[int, Query(ge=1, le=1000, description="Rows of each ranked list.")] = 20,
) -> dict[str, Any]:
    """Summary figures (rating, referring domains, followed share...) and the profile's
    sections: anchors, top anchors, top referring domains, best pages, TLDs, sections,
    velocity and rating distribution."""
    from backlinks.analysis.profile import SECTIONS  # noqa: PLC0415

    p = _profile(state, index, target, mode)
    return js_safe(
        {
            "target": p.target,
            "mode": p.mode,
            "summary": records(pd.DataFrame([p.summary]))[0],
            **{name: records(getattr(p, name).head(top)) for name in SECTIONS},
        }
    )


@router.get("/charts", tags=["backlinks"])
def charts(
    state: StateDep, index: IndexDep, target: TargetQ, mode: ModeQ = "auto"
) -> dict[str, str]:
    """The profile's charts as SVG documents by id (the HTML report's charts): anchor
    classes, rating distribution, new/lost per snapshot, best pages, TLDs, sections."""
    from backlinks.report.build import profile_charts  # noqa: PLC0415

    p = _profile(state, index, target, mode)
    return state.cached(("charts", target, mode), lambda: profile_charts(p))


@router.get("/referring-domains", tags=["backlinks"], **LIST)
def referring_domains(
    state: StateDep, index: IndexDep, params: TableDep, target: TargetQ, mode: ModeQ = "auto"
) -> Table:
    """Every referring domain of the target with its rating and link counts."""
    p = _profile(state, index, target, mode)
    return table_response(state, "referring-domains", (target, mode), lambda: p.top_domains, params)


@router.get("/anchors", tags=["backlinks"], **LIST)
def anchors(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    target: TargetQ,
    mode: ModeQ = "auto",
    by: Annotated[
        Literal["class", "text"],
        Query(description="class: the anchor-class profile; text: every anchor text."),
    ] = "class",
) -> Table:
    """Anchor texts of the target's backlinks by class (branded, exact, partial, url, generic,
    image, other) or by text, with referring domains and links."""
    p = _profile(state, index, target, mode)
    frame = p.anchors if by == "class" else p.top_anchors
    return table_response(state, "anchors", (target, mode, by), lambda: frame, params)


@router.get("/new-lost", tags=["history"], **LIST)
def new_lost(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    target: TargetQ,
    mode: ModeQ = "auto",
    from_snapshot: Annotated[
        int | None,
        Query(alias="from", description="Earlier snapshot id (default: second-to-last)."),
    ] = None,
    to_snapshot: Annotated[
        int | None, Query(alias="to", description="Later snapshot id (default: the last).")
    ] = None,
) -> Table:
    """Backlinks new and lost between two snapshots, each lost one with its reason."""
    from backlinks.analysis.history import new_lost as compute  # noqa: PLC0415

    known_target(index, state, target, mode)

    def run() -> pd.DataFrame:
        try:
            return compute(
                index.store,
                target,
                mode=mode,
                from_snapshot=from_snapshot,
                to_snapshot=to_snapshot,
            )
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc

    return table_response(
        state, "new-lost", (target, mode, from_snapshot, to_snapshot), run, params
    )


@router.get("/timeline", tags=["history"], **LIST)
def timeline(
    state: StateDep, index: IndexDep, params: TableDep, target: TargetQ, mode: ModeQ = "auto"
) -> Table:
    """Referring domains and links per snapshot, new and lost."""
    from backlinks.analysis.history import timeline as compute  # noqa: PLC0415

    known_target(index, state, target, mode)
    return table_response(
        state, "timeline", (target, mode), lambda: compute(index.store, target, mode=mode), params
    )


@router.get("/referral", tags=["backlinks"], **LIST)
def referral(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    target: TargetQ,
    mode: ModeQ = "auto",
    by: Annotated[
        Literal["link", "domain"], Query(description="Per backlink or per domain.")
    ] = "link",
) -> Table:
    """Estimated monthly referral clicks per backlink or referring domain."""
    from backlinks.analysis.referral import referral as compute  # noqa: PLC0415

    known_target(index, state, target, mode)
    return table_response(
        state,
        "referral",
        (target, mode, by),
        lambda: compute(index.store, target, mode=mode, by=by),
        params,
    )


@router.get("/top", tags=["authority"], **LIST)
def top(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    level: LevelQ = "domain",
    by: Annotated[
        Literal["rating", "pagerank", "trustrank", "harmonic"], Query(description="Order.")
    ] = "rating",
) -> Table:
    """Pages, hosts or domains by rating, PageRank, TrustRank or harmonic centrality."""
    return table_response(
        state, "top", (level, by), lambda: index.top(level, by, limit=None), params
    )


@router.get("/search", tags=["backlinks"], **LIST)
def search(
    state: StateDep,
    index: IndexDep,
    params: TableDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Words to look for.")],
    results: Annotated[int, Query(ge=1, le=1000, description="Results to rank.")] = 100,
) -> Table:
    """BM25 full-text search over the indexed pages, lifted by link authority."""
    return table_response(
        state, "search", (q, results), lambda: index.search(q, limit=results), params
    )
