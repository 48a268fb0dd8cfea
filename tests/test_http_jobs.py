"""Background jobs: the queue's order, progress, cancel and failure (JobManager with plain
runners), then real ingest, rank and crawl jobs over HTTP — a crawl of the loopback test
web cancelled mid-way leaves a consistent index and resumes to the end."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backlinks.api import ServerState, create_app
from backlinks.api.jobs import Job, JobManager
from backlinks.demo import generate_web, write_warc
from backlinks.demo.server import TestWeb, serve_web
from backlinks.store.db import Store

V1 = "/api/v1"


def wait_for(pred: Any, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            pytest.fail("timed out waiting for a job")
        time.sleep(0.02)


def test_queue_runs_in_order_and_cancels(tmp_path: Path) -> None:
    changes: list[int] = []
    with Store(tmp_path / "jobs.duckdb") as store:
        jobs = JobManager(store, on_change=lambda: changes.append(1))
        started = threading.Event()
        order: list[str] = []

        def forever(job: Job, _: Store) -> dict[str, Any]:
            started.set()
            n = 0
            while True:  # stops only by cancel (JobCancelled from report)
                n += 1
                job.report(n, None, "steps")
                time.sleep(0.005)

        def quick(job: Job, _: Store) -> dict[str, Any]:
            order.append(job.id)
            job.report(1, 1, "steps")
            return {"ok": True}

        def broken(job: Job, _: Store) -> dict[str, Any]:
            raise RuntimeError("disk on fire")

        first = jobs.submit("rank", {}, forever)
        second = jobs.submit("rank", {}, quick)
        third = jobs.submit("rank", {}, quick)
        fourth = jobs.submit("rank", {}, broken)
        started.wait(10)
        wait_for(lambda: first.done > 3)
        assert first.state == "running"
        assert second.state == "queued"
        jobs.cancel(third.id)  # queued: dropped without running
        assert third.state == "cancelled"
        jobs.cancel(first.id)
        wait_for(lambda: fourth.finished_at is not None)
        assert first.state == "cancelled"
        assert "consistent" in first.message
        assert second.state == "done"
        assert second.public()["fraction"] == 1.0
        assert order == [second.id]  # third never ran
        assert fourth.state == "failed"
        assert fourth.error == "RuntimeError: disk on fire"
        assert len(changes) == 3  # each job that ran bumps the data generation
        jobs.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    state = ServerState(tmp_path / "fresh.duckdb", allow_private=True)
    with TestClient(create_app(state)) as c:
        yield c
    state.close()


def run_job(client: TestClient, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"{V1}/jobs/{kind}", json=body)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    final: dict[str, Any] = {}

    def finished() -> bool:
        nonlocal final
        final = client.get(f"{V1}/jobs/{job_id}").json()
        return final["state"] not in ("queued", "running")

    wait_for(finished)
    return final


def test_ingest_then_rank_jobs_refresh_answers(client: TestClient, tmp_path: Path) -> None:
    web = generate_web(5, sites=8)
    warc = tmp_path / "web.warc.gz"
    write_warc(web.pages, warc)
    assert client.get(f"{V1}/stats").json()["pages"] == 0
    done = run_job(client, "ingest", {"paths": [str(warc)]})
    assert done["state"] == "done", done
    assert done["result"]["pages"] == len(web.pages)
    assert done["unit"] == "bytes"
    assert done["fraction"] == 1.0
    assert client.get(f"{V1}/stats").json()["pages"] == len(web.pages)  # cache dropped
    assert client.get(f"{V1}/top").json()["total"] == 0
    ranked = run_job(client, "rank", {"levels": ["domain"]})
    assert ranked["state"] == "done", ranked
    assert ranked["result"]["levels"][0]["level"] == "domain"
    assert client.get(f"{V1}/top").json()["total"] > 0
    listed = client.get(f"{V1}/jobs").json()
    assert [j["kind"] for j in listed] == ["rank", "ingest"]  # newest first


def test_job_requests_are_validated(client: TestClient) -> None:
    assert (
        client.post(f"{V1}/jobs/ingest", json={"paths": ["/no/such/file.warc"]}).status_code == 422
    )
    assert client.post(f"{V1}/jobs/rank", json={"levels": ["planet"]}).status_code == 422
    assert client.post(f"{V1}/jobs/crawl", json={}).status_code == 422
    assert (
        client.post(f"{V1}/jobs/crawl", json={"seeds": ["x"], "resolve": ["bad"]}).status_code
        == 422
    )
    form = client.post(f"{V1}/jobs/rank", data={"levels": "page"})  # no JSON: no CSRF by form
    assert form.status_code == 422
    assert client.post(f"{V1}/jobs/rank-77/cancel").status_code == 404


def test_private_crawls_need_the_server_flag(tmp_path: Path) -> None:
    state = ServerState(tmp_path / "strict.duckdb")
    with TestClient(create_app(state)) as c:
        for body in (
            {"seeds": ["http://127.0.0.1/"], "allow_private": True},
            {"seeds": ["http://a.test/"], "resolve": ["*=127.0.0.1"]},
        ):
            r = c.post(f"{V1}/jobs/crawl", json=body)
            assert r.status_code == 403
            assert "--allow-private" in r.json()["error"]["message"]
    state.close()


@pytest.fixture(scope="module")
def web() -> Iterator[TestWeb]:
    with serve_web(None, big_pages=400) as srv:
        yield srv


def test_crawl_job_cancels_and_resumes(client: TestClient, web: TestWeb) -> None:
    body = {
        "seeds": ["http://big.test/"],
        "resolve": [f"*={web.base_address}"],
        "allow_private": True,
        "delay": 0.02,
        "max_pages": 5000,
        "max_depth": 100,
    }
    r = client.post(f"{V1}/jobs/crawl", json=body)
    assert r.status_code == 202
    job_id = r.json()["id"]
    wait_for(lambda: client.get(f"{V1}/jobs/{job_id}").json()["done"] >= 40)
    client.post(f"{V1}/jobs/{job_id}/cancel")
    wait_for(lambda: client.get(f"{V1}/jobs/{job_id}").json()["state"] != "running")
    job = client.get(f"{V1}/jobs/{job_id}").json()
    assert job["state"] == "cancelled", job
    partial = client.get(f"{V1}/stats").json()["pages"]
    assert 40 <= partial < 400
    resumed = run_job(client, "crawl", {"resume": True, "delay": 0})
    assert resumed["state"] == "done", resumed
    assert resumed["result"]["finished"] is True
    pages = client.get(f"{V1}/stats").json()["pages"]
    assert pages >= 400  # every page of big.test (plus robots/sitemaps bookkeeping aside)
    rows = client.app.state.backlinks.store.con.execute(  # type: ignore[attr-defined]
        "SELECT count(*) - count(DISTINCT url_id) FROM pages"
    ).fetchall()
    assert rows[0][0] == 0, "a page was stored twice"
