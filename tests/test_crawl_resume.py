"""The kill proof of the crawler: ``backlinks crawl`` killed with SIGKILL mid-crawl (twice),
then ``backlinks crawl --resume``, loses no queued URL, refetches no page it had finished,
and leaves the same index as an uninterrupted crawl.

The real console script runs in a subprocess against ``big.test`` of the loopback test web
(:mod:`backlinks.demo.server`), a deterministic site of ``BIG_PAGES`` pages all reachable
from its home page. Kills are placed by the server's request counter (the index itself
cannot be read while the crawl holds it), so "mid-crawl" means the same on a fast machine
and on a loaded one. After each kill a copy of the index (file and write-ahead log) shows
what was committed; the server's request log shows what was fetched after the kill.

"Finished" is what the store says: a page whose row (and frontier state ``done``) was
committed. Pages fetched but not yet committed when the process died may be fetched again;
that is the contract (one transaction per group of pages).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from backlinks.demo.server import TestWeb, serve_web

BIG_PAGES = 1200
SEED = "http://big.test/"


def _cli() -> str:
    exe = shutil.which("backlinks") or str(Path(sys.executable).parent / "backlinks")
    if not Path(exe).exists():  # pragma: no cover - broken install
        pytest.fail(f"the backlinks console script is not installed next to {sys.executable}")
    return exe


@pytest.fixture(scope="module")
def big() -> Iterator[TestWeb]:
    with serve_web(None, big_pages=BIG_PAGES) as srv:
        yield srv


def start_cmd(db: Path, srv: TestWeb) -> list[str]:
    """A whole-site crawl: the page budget and depth are above what the site needs, so the
    final set of pages does not depend on the order of fetches."""
    return [
        _cli(),
        "crawl",
        SEED,
        "--db",
        str(db),
        "--resolve",
        f"*={srv.base_address}",
        "--delay",
        "0",
        "--max-pages",
        "5000",
        "--max-depth",
        "100",
        "--quiet",
        "--format",
        "json",
    ]


def resume_cmd(db: Path) -> list[str]:
    """Resume with nothing but the index: resolve map, budget and depth come from it."""
    return [_cli(), "crawl", "--resume", "--db", str(db), "--quiet", "--format", "json"]


def run_to_end(cmd: list[str], log: Path) -> dict[str, Any]:
    with log.open("ab") as err:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, timeout=120, check=False)
    assert proc.returncode == 0, log.read_text(errors="replace")[-3000:]
    summary: dict[str, Any] = json.loads(proc.stdout)
    return summary


def run_and_kill(cmd: list[str], srv: TestWeb, requests: int, log: Path) -> int:
    """Start ``cmd``, SIGKILL it once the server has had ``requests`` more requests for
    big.test; return the length of the server's request log at the kill."""
    start = srv.stats.count("big.test")
    with log.open("ab") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 60
    while srv.stats.count("big.test") - start < requests:
        if proc.poll() is not None:
            pytest.fail(f"the crawl ended before the kill: {log.read_text()[-3000:]}")
        if time.monotonic() > deadline:  # pragma: no cover - hung
            proc.kill()
            pytest.fail("the crawl made no progress")
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    return len(srv.stats.hits())


@dataclass
class State:
    """What a (killed) crawl's index holds."""

    pages: set[str]  # page URLs committed
    frontier: dict[str, str]  # url -> state
    page_rows: int
    frontier_rows: int
    links: Counter[tuple[Any, ...]]


def inspect(db: Path, into: Path) -> State:
    """Read a copy of the index (file and WAL), leaving the original for the resume."""
    copy = into / f"inspect-{time.monotonic_ns()}.duckdb"
    shutil.copyfile(db, copy)
    wal = Path(f"{db}.wal")
    if wal.exists():
        shutil.copyfile(wal, Path(f"{copy}.wal"))
    con = duckdb.connect(str(copy), read_only=True)
    try:
        pages = [r[0] for r in con.execute("SELECT url FROM pages").fetchall()]
        front = con.execute("SELECT url, state FROM frontier").fetchall()
        links = Counter(
            con.execute("SELECT src_url, dst_url, position, anchor, section FROM links").fetchall()
        )
    finally:
        con.close()
    return State(set(pages), dict(front), len(pages), len(front), links)


def test_kill_and_resume_loses_nothing_and_refetches_nothing(big: TestWeb, tmp_path: Path) -> None:
    db, log = tmp_path / "crawl.duckdb", tmp_path / "crawl.log"
    everything = {SEED} | {f"http://big.test/p/{i}" for i in range(BIG_PAGES)}

    # first run, killed about a third of the way in
    big.stats.reset()
    kill_1 = run_and_kill(start_cmd(db, big), big, BIG_PAGES // 3, log)
    first = inspect(db, tmp_path)
    assert len(first.pages) >= 50  # at least one group of pages was committed
    assert len(first.pages) < BIG_PAGES  # and the crawl was far from done
    # whole groups only: a page row exactly when its frontier state is done
    assert {u for u, s in first.frontier.items() if s == "done"} == first.pages
    assert first.page_rows == len(first.pages)

    # resumed, killed again
    kill_2 = run_and_kill(resume_cmd(db), big, BIG_PAGES // 3, log)
    second = inspect(db, tmp_path)
    assert first.pages < second.pages
    assert second.page_rows == len(second.pages)

    # resumed to the end
    summary = run_to_end(resume_cmd(db), log)
    assert summary["finished"] is True
    final = inspect(db, tmp_path)
    hits = big.stats.hits()

    # no finished page fetched again after a kill
    after_1 = Counter(h.url for h in hits[kill_1:] if h.path != "/robots.txt")
    after_2 = Counter(h.url for h in hits[kill_2:] if h.path != "/robots.txt")
    assert not first.pages & set(after_1)
    assert not second.pages & set(after_2)
    # what was fetched twice had been fetched, not committed, before a kill
    before_1 = {h.url for h in hits[:kill_1]}
    before_2 = {h.url for h in hits[kill_1:kill_2]}
    twice = {u for u, n in Counter(h.url for h in hits if h.path != "/robots.txt").items() if n > 1}
    assert twice <= (before_1 - first.pages) | (before_2 - second.pages)
    assert len(twice) <= 2 * 60  # at most a group (and what was in flight) per kill

    # no queued URL lost: every page done, nothing left queued, no duplicate rows
    assert final.pages == everything
    assert set(final.frontier.values()) == {"done"}
    assert set(final.frontier) == everything
    assert final.page_rows == len(everything)
    assert final.frontier_rows == len(everything)

    # and the index is the one an uninterrupted crawl leaves
    clean_db = tmp_path / "clean.duckdb"
    clean_summary = run_to_end(start_cmd(clean_db, big), tmp_path / "clean.log")
    assert clean_summary["finished"] is True
    clean = inspect(clean_db, tmp_path)
    assert final.pages == clean.pages
    assert final.frontier == clean.frontier
    assert final.links == clean.links
    assert sum(final.links.values()) > 10 * BIG_PAGES


def test_resume_keeps_the_saved_page_budget(big: TestWeb, tmp_path: Path) -> None:
    """A budget-limited crawl killed and resumed stops at its budget, counting the pages
    done before the kill; ``--max-pages`` on the resume raises it."""
    db, log = tmp_path / "budget.duckdb", tmp_path / "budget.log"
    cmd = start_cmd(db, big)
    cmd[cmd.index("--max-pages") + 1] = "400"
    big.stats.reset()
    run_and_kill(cmd, big, 150, log)
    summary = run_to_end(resume_cmd(db), log)
    assert summary["finished"] is False  # the budget ran out with URLs still queued
    state = inspect(db, tmp_path)
    assert len(state.pages) == 400
    assert "queued" in state.frontier.values()
    more = run_to_end([*resume_cmd(db), "--max-pages", "450"], log)
    assert more["pages"] == 50
    assert len(inspect(db, tmp_path).pages) == 450
