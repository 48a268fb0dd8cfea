"""Background jobs over HTTP: start an ingest, rank or crawl, watch its progress, cancel it."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from backlinks.api.common import StateDep
from backlinks.api.jobs import RUNNERS, JobManager
from backlinks.api.state import ServerState
from backlinks.crawl.net import parse_resolve

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
JobId = Annotated[str, PathParam(max_length=64, pattern=r"^[a-z]+-[0-9]+$")]


class JobOut(BaseModel):
    """A job and how far it got."""

    id: str
    kind: str
    params: dict[str, Any]
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    done: float
    total: float | None
    fraction: float | None
    unit: str
    message: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    result: dict[str, Any] | None
    error: str | None


class IngestIn(BaseModel):
    """Files, folders or globs on the server to ingest."""

    paths: list[Annotated[str, Field(min_length=1, max_length=4096)]] = Field(
        min_length=1, max_length=1000
    )
    keep_text: bool = True


class RankIn(BaseModel):
    """Levels to rank (default all three) and TrustRank seeds chosen by inverse PageRank."""

    levels: list[Literal["page", "host", "domain"]] = Field(
        default=["page", "host", "domain"], min_length=1, max_length=3
    )
    auto_seeds: int = Field(default=0, ge=0, le=100_000)
    include_nofollow: bool = False


class CrawlIn(BaseModel):
    """A polite crawl from seed URLs (or resume the last unfinished one)."""

    seeds: list[Annotated[str, Field(min_length=1, max_length=2048)]] = Field(
        default=[], max_length=10_000
    )
    resume: bool = False
    max_pages: int = Field(default=1000, ge=1, le=10_000_000)
    max_depth: int = Field(default=5, ge=0, le=100)
    scope: Literal["host", "domain", "domains", "external"] = "host"
    allow_domains: list[Annotated[str, Field(max_length=253)]] = Field(default=[], max_length=1000)
    concurrency: int = Field(default=16, ge=1, le=256)
    per_host: int = Field(default=2, ge=1, le=16)
    delay: float = Field(default=1.0, ge=0, le=3600)
    keep_text: bool = True
    allow_private: bool = False
    resolve: list[Annotated[str, Field(max_length=300)]] = Field(
        default=[],
        max_length=100,
        description="HOST=ADDRESS[:PORT] like curl's --resolve (* for every host); needs "
        "--allow-private on the server.",
    )


def _manager(state: ServerState) -> JobManager:
    if state.jobs is None:
        raise HTTPException(403, "this server is read-only: jobs that write the index are off")
    return state.jobs


@router.get("", response_model=list[JobOut])
def list_jobs(state: StateDep) -> list[dict[str, Any]]:
    """Every job of this server run, newest first."""
    if state.jobs is None:
        return []
    return [j.public() for j in reversed(state.jobs.list())]


@router.get("/{job_id}", response_model=JobOut, responses={404: {"description": "No such job."}})
def get_job(state: StateDep, job_id: JobId) -> dict[str, Any]:
    """One job: state, progress, result or error."""
    try:
        return _manager(state).get(job_id).public()
    except KeyError as exc:
        raise HTTPException(404, f"no job {job_id!r}") from exc


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel_job(state: StateDep, job_id: JobId) -> dict[str, Any]:
    """Cancel a queued or running job (the index stays consistent; crawls can resume)."""
    try:
        return _manager(state).cancel(job_id).public()
    except KeyError as exc:
        raise HTTPException(404, f"no job {job_id!r}") from exc


@router.post("/ingest", response_model=JobOut, status_code=202)
def start_ingest(state: StateDep, body: IngestIn) -> dict[str, Any]:
    """Ingest WARC/WAT files or web-graph releases that are on the server's disk."""
    manager = _manager(state)
    missing = [p for p in body.paths if not Path(p).exists() and not glob.glob(p)]
    if missing:
        raise HTTPException(422, f"not found on the server: {', '.join(missing[:5])}")
    return manager.submit("ingest", body.model_dump(), RUNNERS["ingest"]).public()


@router.post("/rank", response_model=JobOut, status_code=202)
def start_rank(state: StateDep, body: RankIn) -> dict[str, Any]:
    """Compute PageRank, rating, TrustRank and harmonic centrality into the index."""
    return _manager(state).submit("rank", body.model_dump(), RUNNERS["rank"]).public()


@router.post("/crawl", response_model=JobOut, status_code=202)
def start_crawl(state: StateDep, body: CrawlIn) -> dict[str, Any]:
    """Crawl politely from seeds; private and loopback addresses only when the server was
    started with --allow-private."""
    manager = _manager(state)
    if (body.allow_private or body.resolve) and not state.allow_private:
        raise HTTPException(
            403, "private addresses and resolve maps need `backlinks serve --allow-private`"
        )
    try:
        parse_resolve(body.resolve)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    if not body.resume and not body.seeds:
        raise HTTPException(422, "give seeds, or resume: true")
    return manager.submit("crawl", body.model_dump(), RUNNERS["crawl"]).public()
