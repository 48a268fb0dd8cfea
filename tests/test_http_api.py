"""The HTTP API in-process (FastAPI's TestClient): every answer equals the Python API's,
pages walk the whole answer, filters and sorts equal pandas on the same frame, exports are
complete and formula-safe, errors are JSON with the right status, auth and read-only hold."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import backlinks
from backlinks.api import ServerState, create_app
from backlinks.api.tables import js_safe
from backlinks.output import records
from httpweb import HOSTILE_ANCHORS, HOSTILE_HOST, TARGET, build

V1 = "/api/v1"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("http"))


@pytest.fixture(scope="module")
def reference(db: Path) -> Iterator[backlinks.Index]:
    """The Python API on a copy of the index (DuckDB lets one process hold a file once
    read-write, so the server and the reference read separate files)."""
    copy = db.with_name("reference.duckdb")
    copy.write_bytes(db.read_bytes())
    with backlinks.open(copy, read_only=True) as index:
        yield index


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    state = ServerState(db)
    with TestClient(create_app(state)) as c:
        yield c
    state.close()


def get(client: TestClient, path: str, **params: Any) -> Any:
    r = client.get(V1 + path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def walk(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a list answer, page by page through next_cursor."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = get(client, path, **params, **({"cursor": cursor} if cursor else {}))
        assert page["offset"] == len(rows)
        rows += page["rows"]
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(rows) == page["total"]
            return rows


def as_json(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as the API writes them: 64-bit ids as strings (JavaScript keeps 53 bits)."""
    return json.loads(json.dumps(js_safe(records(df))))


def test_links_pages_walk_the_whole_answer(client: TestClient, reference: backlinks.Index) -> None:
    expected = as_json(reference.links(TARGET, limit=None))
    assert len(expected) > 100
    got = walk(client, "/links", target=TARGET, limit=37)
    assert got == expected


def test_filters_and_sort_equal_pandas(client: TestClient, reference: backlinks.Index) -> None:
    df = reference.links(TARGET, limit=None)
    want = df[(df.section == "content") & ~df.nofollow & df.anchor.str.contains("velo", case=False)]
    want = want.sort_values(["first_seen", "position"], ascending=[False, True], kind="stable")
    got = walk(
        client,
        "/links",
        target=TARGET,
        limit=10,
        filter=["section=content", "nofollow=false", "anchor~VELO"],
        sort=["-first_seen", "position"],
    )
    assert got == as_json(want)
    assert 0 < len(got) < len(df)
    numeric = walk(client, "/links", target=TARGET, filter=["position>=20", "position<30"])
    assert numeric == as_json(df[(df.position >= 20) & (df.position < 30)])


def test_csv_export_is_complete_and_formula_safe(
    client: TestClient, reference: backlinks.Index
) -> None:
    r = client.get(V1 + "/links", params={"target": TARGET, "format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(reference.links(TARGET, limit=None))
    anchors = {row["anchor"] for row in rows if HOSTILE_HOST in row["source_url"]}
    for hostile in HOSTILE_ANCHORS:
        if hostile[0] in "=+-@":
            assert "'" + hostile in anchors, hostile
            assert hostile not in anchors
        else:
            assert hostile in anchors
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values()), row


def test_jsonl_export(client: TestClient) -> None:
    r = client.get(
        V1 + "/links", params={"target": TARGET, "format": "jsonl", "filter": "section=footer"}
    )
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert lines
    assert all(x["section"] == "footer" for x in lines)
    assert len(lines) == get(client, "/links", target=TARGET, filter="section=footer")["total"]


def test_profile_and_charts(client: TestClient, reference: backlinks.Index) -> None:
    got = get(client, "/profile", target=TARGET)
    want = reference.profile(TARGET, limit=0)
    assert got["summary"]["referring_domains"] == want.summary["referring_domains"]
    assert got["summary"]["backlinks"] == want.summary["backlinks"]
    assert got["summary"]["rating"] == pytest.approx(want.summary["rating"])
    assert [d["domain"] for d in got["top_domains"]] == list(want.top_domains.domain.head(20))
    charts = get(client, "/charts", target=TARGET)
    assert set(charts) >= {"chart-anchors", "chart-ratings", "chart-velocity", "chart-tlds"}
    assert all(svg.startswith("<svg") and "<script" not in svg for svg in charts.values())
    domains = walk(client, "/referring-domains", target=TARGET, limit=5)
    assert [d["domain"] for d in domains] == list(want.top_domains.domain)


def test_answers_equal_the_python_api(client: TestClient, reference: backlinks.Index) -> None:
    me, competitor = "gravel-grinders.net", TARGET
    pairs = {
        "/new-lost": (reference.new_lost(TARGET), {"target": TARGET}),
        "/timeline": (reference.timeline(TARGET), {"target": TARGET}),
        "/broken": (reference.broken(TARGET), {"target": TARGET}),
        "/referral": (reference.referral(TARGET), {"target": TARGET}),
        "/top": (reference.top("domain", "rating", limit=None), {}),
        "/intersect": (
            reference.intersect(me, [competitor], limit=None),
            {"me": me, "competitor": competitor},
        ),
        "/gap": (
            reference.gap(me, [competitor], limit=None),
            {"me": me, "competitor": competitor},
        ),
        "/search": (reference.search("gravel bike", limit=100), {"q": "gravel bike"}),
    }
    for path, (want, params) in pairs.items():
        got = walk(client, path, limit=1000, **params)
        assert got == as_json(want), path
    assert walk(client, "/intersect", me=me, competitor=competitor), "intersect is empty"
    assert walk(client, "/gap", me=me, competitor=competitor), "gap is empty"


def test_toxic_and_disavow(client: TestClient, reference: backlinks.Index) -> None:
    want = reference.toxic(TARGET, min_score=50)
    got = walk(client, "/toxic", target=TARGET, min_score=50, limit=500)
    assert len(got) == len(want) > 0
    assert [r["score"] for r in got] == list(want.score)
    domains = walk(client, "/toxic", target=TARGET, by="domain", min_score=50)
    assert {d["source_domain"] for d in domains} == set(
        reference.toxic(TARGET, by="domain", min_score=50).source_domain
    )
    r = client.get(V1 + "/disavow", params={"target": TARGET})
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    text, preview = reference.disavow(TARGET)
    assert r.text.splitlines()[3:] == text.splitlines()[3:]  # the header carries a date
    assert any(line.startswith("domain:") for line in r.text.splitlines())
    assert len(walk(client, "/disavow", target=TARGET, preview=True)) == len(preview)


def test_whatif(client: TestClient, reference: backlinks.Index) -> None:
    got = get(client, "/whatif", **{"from": "devpocket.io", "to": "gravel-grinders.net"})
    want = reference.whatif(["devpocket.io"], "gravel-grinders.net")
    assert got["rating_after"] == pytest.approx(want["rating_after"])
    assert got["pagerank_delta"] == pytest.approx(want["pagerank_delta"])
    assert got["pagerank_delta"] > 0
    # a bare domain's search position is its best page's (the page /search ranks first)
    query = "gravel bike"
    placed = get(client, "/whatif", **{"from": "devpocket.io", "to": TARGET, "query": query})
    results = walk(client, "/search", q=query, limit=200)
    best = next(r for r in results if TARGET in r["url"])
    assert placed["target_page"] == best["url"]
    assert placed["position_before"] == best["rank"]
    assert placed["position_after"] is not None


def test_ids_survive_javascript(client: TestClient, reference: backlinks.Index) -> None:
    snaps = reference.snapshots()
    got = walk(client, "/snapshots")
    assert [int(s["snapshot_id"]) for s in got] == list(snaps.snapshot_id)
    big = [s for s in got if abs(int(s["snapshot_id"])) > 2**53]
    assert big, "the demo's snapshot ids are 64-bit hashes"
    assert all(isinstance(s["snapshot_id"], str) for s in big)
    sid = big[0]["snapshot_id"]
    one = walk(client, "/snapshots", filter=f"snapshot_id={sid}")
    assert [s["snapshot_id"] for s in one] == [sid]  # exact, not through a float
    first, last = (str(x) for x in snaps.snapshot_id)
    changes = walk(client, "/new-lost", target=TARGET, **{"from": first, "to": last})
    assert len(changes) == len(
        reference.new_lost(TARGET, from_snapshot=int(first), to_snapshot=int(last))
    )


def test_hostile_text_comes_back_as_data(client: TestClient) -> None:
    rows = walk(client, "/links", target=TARGET, filter=f"source_domain={HOSTILE_HOST}")
    assert sorted(r["anchor"] for r in rows) == sorted(HOSTILE_ANCHORS)
    r = client.get("/")
    assert r.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("path", "params", "status", "needle"),
    [
        ("/links", {"target": "not-indexed.example"}, 404, "not in this index"),
        ("/links", {"target": TARGET, "mode": "planet"}, 422, "mode"),
        ("/links", {"target": TARGET, "limit": 0}, 422, "limit"),
        ("/links", {"target": TARGET, "limit": 5000}, 422, "limit"),
        ("/links", {"target": TARGET, "filter": "nope=1"}, 422, "no column"),
        ("/links", {"target": TARGET, "filter": "position>x"}, 422, "number"),
        ("/links", {"target": TARGET, "filter": "nofollow=maybe"}, 422, "true or false"),
        ("/links", {"target": TARGET, "filter": "garbage"}, 422, "bad filter"),
        ("/links", {"target": TARGET, "sort": "-nope"}, 422, "no column"),
        ("/links", {"target": TARGET, "cursor": "%%%"}, 422, "cursor"),
        ("/links", {"target": "http://[::1"}, 422, "not a URL"),
        ("/links", {}, 422, "target"),
        ("/profile", {"target": "nowhere.example"}, 404, "not in this index"),
        (
            "/whatif",
            {"from": "a.example", "to": TARGET, "level": "host", "query": "x"},
            422,
            "query",
        ),
        ("/jobs/rank-999", {}, 404, "no job"),
        ("/nope", {}, 404, "Not Found"),
    ],
)
def test_errors_are_json(
    client: TestClient, path: str, params: dict[str, Any], status: int, needle: str
) -> None:
    r = client.get(V1 + path, params=params)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["status"] == status
    assert needle.lower() in err["message"].lower()


def test_a_cursor_belongs_to_its_query(client: TestClient) -> None:
    first = get(client, "/links", target=TARGET, limit=5, sort="anchor")
    r = client.get(
        V1 + "/links", params={"target": TARGET, "limit": 5, "cursor": first["next_cursor"]}
    )
    assert r.status_code == 422
    assert "another query" in r.json()["error"]["message"]


def test_docs_work_offline(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in html
    assert "cdn." not in html
    js = client.get("/docs-assets/swagger-ui-bundle.js")
    assert js.status_code == 200
    assert len(js.content) > 100_000
    spec = client.get("/openapi.json").json()
    for path in (
        "links", "profile", "anchors", "new-lost", "intersect", "gap", "broken", "referral",
        "toxic", "disavow", "whatif", "search", "top", "jobs", "jobs/{job_id}/cancel",
    ):  # fmt: skip
        assert f"{V1}/{path}" in spec["paths"], path


def test_token_is_required_when_set(db: Path) -> None:
    copy = db.with_name("token.duckdb")
    copy.write_bytes(db.read_bytes())
    state = ServerState(copy, read_only=True, token="s3cret-token-for-tests")  # noqa: S106
    with TestClient(create_app(state)) as c:
        assert c.get(V1 + "/health").json()["auth"] is True
        denied = c.get(V1 + "/stats")
        assert denied.status_code == 401
        assert denied.headers["www-authenticate"] == "Bearer"
        assert c.get(V1 + "/stats", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.get(V1 + "/stats", headers={"Authorization": "Bearer s3cret-token-for-tests"})
        assert ok.status_code == 200
        assert ok.json()["links"] > 0
        alt = c.get(V1 + "/stats", headers={"X-API-Token": "s3cret-token-for-tests"})
        assert alt.status_code == 200
        # read-only: jobs that write are refused, answers are served
        headers = {"Authorization": "Bearer s3cret-token-for-tests"}
        r = c.post(V1 + "/jobs/rank", json={}, headers=headers)
        assert r.status_code == 403
        assert "read-only" in r.json()["error"]["message"]
        assert c.get(V1 + "/links", params={"target": TARGET}, headers=headers).status_code == 200
    state.close()


def test_host_header_guard(db: Path) -> None:
    copy = db.with_name("guard.duckdb")
    copy.write_bytes(db.read_bytes())
    state = ServerState(copy, read_only=True)
    with TestClient(create_app(state, allowed_hosts=frozenset({"127.0.0.1"}))) as c:
        assert c.get(V1 + "/health", headers={"Host": "127.0.0.1:8000"}).status_code == 200
        r = c.get(V1 + "/health", headers={"Host": "evil.example"})
        assert r.status_code == 400
        assert "Host" in r.json()["error"]["message"]
    state.close()
