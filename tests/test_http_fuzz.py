"""Schemathesis fuzzes every operation of the OpenAPI spec (random and boundary parameters,
hostile strings) against the in-process app: no request may get a 500, and every error is
the JSON error shape. A second pass pins real targets into the fuzzed requests, so filters,
sorts and cursors are fuzzed on answers that have rows, not only on validation.

Write endpoints are fuzzed on a read-only server (validation runs, nothing is started): a
fuzzed ingest path such as ``/`` would walk the whole disk, a fuzzed crawl would queue
thousands of jobs. (Schemathesis' own pytest plugin does not load under pytest 9 here, so
each operation's Hypothesis strategy is driven directly.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from backlinks.api import ServerState, create_app
from httpweb import TARGET, build

#: Operations whose answers have rows when given a real target.
WITH_TARGET = ("links", "profile", "anchors", "referring-domains", "toxic", "new-lost", "timeline")
#: Examples per operation; BACKLINKS_FUZZ_EXAMPLES=500 for a long run.
EXAMPLES = int(os.environ.get("BACKLINKS_FUZZ_EXAMPLES", "30"))


@pytest.fixture(scope="module")
def operations(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state = ServerState(build(tmp_path_factory.mktemp("fuzz"), sites=8), read_only=True)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(state))
    yield {op.label: op for op in (r.ok() for r in schema.get_all_operations())}
    state.close()


def check(case: Any, response: Any) -> None:
    """No server error, and errors in the documented shape."""
    assert response.status_code < 500, (case.path, case.query, response.text)
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert body["error"]["status"] == response.status_code
        assert body["error"]["message"]


def fuzz(operation: Any, pin: dict[str, str] | None = None) -> list[int]:
    statuses: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy())
    def run(case: Any) -> None:
        if pin:
            case.query = {**(case.query or {}), **pin}
        response = case.call()
        statuses.append(response.status_code)
        check(case, response)

    run()
    return statuses


def test_every_operation_is_fuzzed(operations: dict[str, Any]) -> None:
    assert len(operations) >= 25
    statuses: dict[str, list[int]] = {}
    for label, op in sorted(operations.items()):
        statuses[label] = fuzz(op)
    assert all(statuses.values())
    assert any(200 in s for s in statuses.values())
    total = sum(map(len, statuses.values()))
    print(f"fuzzed {len(statuses)} operations with {total} requests: no 5xx")


def test_real_targets_with_fuzzed_options(operations: dict[str, Any]) -> None:
    ok = 0
    for name in WITH_TARGET:
        op = operations[f"GET /api/v1/{name}"]
        statuses = fuzz(op, {"target": TARGET})
        ok += statuses.count(200)
    assert ok > 0, "no fuzzed request with a real target got an answer"
