"""``backlinks serve`` as a real process on loopback: it answers over TCP, streams a CSV
export, refuses to bind off loopback without a token, and with one requires it."""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from httpweb import TARGET, build

PUBLIC = "0.0.0.0"  # noqa: S104 - what is tested is the refusal to bind it without a token


def cli() -> str:
    exe = shutil.which("backlinks") or str(Path(sys.executable).parent / "backlinks")
    if not Path(exe).exists():  # pragma: no cover - broken install
        pytest.fail(f"the backlinks console script is not installed next to {sys.executable}")
    return exe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], port: int, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [cli(), "serve", *args, "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(
                f"serve exited {proc.returncode}: {proc.stdout.read() if proc.stdout else ''}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    stop(proc)
    pytest.fail("serve did not answer within 60 s")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
        proc.wait(10)
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[str]:
    port = free_port()
    proc = start(["--db", str(db), "--read-only"], port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def test_answers_over_tcp(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as c:
        first = c.get("/api/v1/links", params={"target": TARGET, "limit": 50}).json()
        second = c.get(
            "/api/v1/links", params={"target": TARGET, "limit": 50, "cursor": first["next_cursor"]}
        ).json()
        assert second["offset"] == 50
        assert first["total"] == second["total"] > 100
        assert first["rows"] != second["rows"]
        export = c.get("/api/v1/links", params={"target": TARGET, "format": "csv"})
        assert len(list(csv.DictReader(io.StringIO(export.text)))) == first["total"]
        page = c.get("/")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert c.get("/api/v1/nothing").json()["error"]["status"] == 404
        assert c.post("/api/v1/jobs/rank", json={}).status_code == 403  # --read-only


def test_dns_rebinding_guard(server: str) -> None:
    r = httpx.get(server + "/api/v1/stats", headers={"Host": "attacker.example"})
    assert r.status_code == 400


def test_refuses_public_binding_without_token(db: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BACKLINKS_TOKEN"}
    run = subprocess.run(
        [cli(), "serve", "--db", str(db), "--host", PUBLIC, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert run.returncode == 2
    assert "without a token" in run.stderr
    short = subprocess.run(
        [cli(), "serve", "--db", str(db), "--host", PUBLIC, "--token", "abc"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert short.returncode == 2
    assert "too short" in short.stderr


def test_public_binding_with_token_from_env(db: Path) -> None:
    copy = db.with_name("public.duckdb")
    copy.write_bytes(db.read_bytes())
    port = free_port()
    token = "t0ken-" + "x" * 20
    proc = start(
        ["--db", str(copy), "--host", PUBLIC, "--read-only"], port, {"BACKLINKS_TOKEN": token}
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        assert httpx.get(base + "/stats").status_code == 401
        ok = httpx.get(base + "/stats", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        assert ok.json()["links"] > 0
        other_host = httpx.get(
            base + "/stats", headers={"Authorization": f"Bearer {token}", "Host": "backlinks.lan"}
        )
        assert other_host.status_code == 200  # with a token any Host may be served
    finally:
        stop(proc)
