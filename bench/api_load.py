"""Load benchmark of the HTTP API's backlinks endpoint on a domain with 1M backlinks.

A bounded benchmark, not a test (``make test`` does not run it). Three steps:

1. **Store.** Builds once, and reuses later, ``bench/out/api/store-<N>.duckdb``: one target
   domain (``megabrand.com``) with exactly ``--links`` distinct external backlinks as
   ``backlinks.analysis.backlinks.backlinks()`` counts them (one row per distinct source URL,
   target URL, anchor, flags and section), plus background links to other domains, in two
   snapshots. The rows come from ``bench/query_bench.py``'s generator (imported, not copied:
   ``build_store`` with a smaller size), which writes an ingest-ordered store; this script
   then copies it into a fresh ``Store(path)`` with ``links`` ordered by target
   (``dst_domain_id, dst_host_id, dst_url_id``, as bench/README.md recommends), leaving out
   the target's surplus distinct backlinks beyond ``--links`` (chosen by hash), and checks
   the count with the project's own target condition.
2. **Server.** ``backlinks serve --db FILE --host 127.0.0.1 --port PORT --read-only`` as a
   child process; waits for ``GET /api/v1/health`` to answer 200, then reads its RSS.
3. **Load.** One warm-up ("cold") request per query shape, then ``--clients`` concurrent
   clients (one asyncio loop, ``httpx.AsyncClient``) for ``--seconds``: each runs sessions of
   1-5 pages of ``GET /api/v1/links?target=DOMAIN&limit=100``, following ``next_cursor``,
   some with ``sort=-first_seen`` or a ``filter=`` (section, anchor contains a word,
   nofollow). No new request starts after the deadline; requests in flight finish.

Prints requests, errors by status, throughput, latency percentiles, rows/s, the server's
RSS before and after (and its peak), CPU seconds of server and client, the cold latency
per query shape, and the server's answer-cache counters (``GET /api/v1/server``) after the
run. ``--serve-arg '--cache-rows 10000000'`` passes more options to ``backlinks serve``.
Exits 1 if any request failed (status != 200, no ``rows`` in the JSON, or a transport
error) or a response broke a check (a row that does not match the filter, rows out of the
requested order, a row repeated across the pages of one session).

    .venv/bin/python bench/api_load.py                          # 50 clients, 30 s
    .venv/bin/python bench/api_load.py --clients 10 --seconds 10
    .venv/bin/python bench/api_load.py --db my.duckdb --target example.com --anchor-word shop

Client and server share the machine's cores: on a 2-core box the client's own CPU time
(printed) is taken from the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "api"
sys.path.insert(0, str(HERE))

import query_bench as qb  # noqa: E402 - the store generator, shared with the query benchmark

TARGET = qb.SPECIAL[0][0]  # "megabrand.com"
ANCHOR_WORD = "shoes"  # in about a third of its anchors ("best running shoes", ...)
PAGE_SIZE = 100
#: Rows the generator writes for the target per distinct backlink (two snapshots, most links
#: seen in both); the first build asks for this many rows per wanted backlink, a retry more.
ROWS_PER_BACKLINK = 1.9
#: All link rows per wanted backlink (the rest go to the other synthetic domains).
LINKS_PER_BACKLINK = 4
MEMORY_LIMIT = "4GB"
HEALTH_TIMEOUT_S = 120.0
REQUEST_TIMEOUT_S = 60.0
#: Query shape -> (share of sessions, extra query parameters; ``{word}`` is --anchor-word).
SHAPES: dict[str, tuple[float, list[tuple[str, str]]]] = {
    "plain": (0.40, []),
    "sort=-first_seen": (0.15, [("sort", "-first_seen")]),
    "filter section=content": (0.15, [("filter", "section=content")]),
    "filter anchor~word": (0.15, [("filter", "anchor~{word}")]),
    "filter nofollow=false": (0.15, [("filter", "nofollow=false")]),
}
MAX_PAGES = 5
#: The CLI of this virtualenv (``backlinks serve`` runs from it).
BACKLINKS = Path(sys.executable).with_name("backlinks")


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _short(n: int) -> str:
    for div, unit in ((1_000_000, "M"), (1_000, "k")):
        if n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


# --- 1. the store ---------------------------------------------------------------------------

#: What makes two link rows the same backlink in ``backlinks()`` (its GROUP BY ALL; the
#: source domain follows from the source URL).
KEY = ("src_url", "dst_url", "anchor", "nofollow", "ugc", "sponsored", "is_image", "section")


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def target_condition(target: str) -> tuple[str, list[Any]]:
    """``backlinks()``'s own condition on ``links l``: the target, internal links left out."""
    from backlinks import urls
    from backlinks.analysis.backlinks import _host_of_target, resolve_target

    t = resolve_target(target)
    cond, params = t.where
    own = urls.stable_id(urls.registrable_domain(_host_of_target(t)))
    return f"{cond} AND l.src_domain_id <> ?", [*params, own]


def count_backlinks(con: Any, target: str) -> int:
    """Distinct backlinks of ``target`` as ``backlinks(store, target, limit=None)`` returns
    them: the same condition, join and GROUP BY, counted instead of fetched."""
    cond, params = target_condition(target)
    row = con.execute(
        f"""SELECT count(*) FROM (
            SELECT l.src_url, d.domain, l.dst_url, l.anchor, l.nofollow, l.ugc, l.sponsored,
                   l.is_image, l.section
            FROM links l LEFT JOIN domains d ON d.domain_id = l.src_domain_id
            WHERE {cond} GROUP BY ALL)""",
        params,
    ).fetchone()
    return int(row[0]) if row else 0


def describe(con: Any, target: str) -> dict[str, Any]:
    """What the target's backlinks look like, and the rest of the store."""
    cond, params = target_condition(target)
    one = con.execute(
        f"""SELECT count(*), count(DISTINCT l.src_domain_id), count(DISTINCT l.src_host_id),
                   count(DISTINCT l.src_url_id), count(DISTINCT l.dst_url_id),
                   count(DISTINCT l.anchor), count(DISTINCT l.snapshot_id),
                   avg(l.nofollow::INT), avg(l.ugc::INT), avg(l.sponsored::INT),
                   count(*) FILTER (WHERE d.domain IS NULL)
            FROM links l LEFT JOIN domains d ON d.domain_id = l.src_domain_id WHERE {cond}""",
        params,
    ).fetchone()
    sections = dict(
        con.execute(
            f"SELECT l.section, count(*) FROM links l WHERE {cond} GROUP BY 1 ORDER BY 2 DESC",
            params,
        ).fetchall()
    )
    total = con.execute("SELECT count(*) FROM links").fetchone()[0]
    return {
        "target_link_rows": int(one[0]),
        "ref_domains": int(one[1]),
        "ref_hosts": int(one[2]),
        "source_pages": int(one[3]),
        "target_urls": int(one[4]),
        "anchors": int(one[5]),
        "snapshots": int(one[6]),
        "nofollow_share": round(float(one[7] or 0), 3),
        "ugc_share": round(float(one[8] or 0), 3),
        "sponsored_share": round(float(one[9] or 0), 3),
        "rows_without_domain": int(one[10]),
        "sections": {k: int(v) for k, v in sections.items()},
        "all_link_rows": int(total),
        "other_link_rows": int(total) - int(one[0]),
    }


def _raw_store(path: Path, backlinks: int, factor: float) -> tuple[Path, dict[str, Any]]:
    """The ingest-ordered store from query_bench's generator, sized so that the target gets
    at least ``backlinks`` distinct backlinks (checked by the caller)."""
    raw = path.with_name(path.stem + "-raw.duckdb")
    for p in (raw, Path(f"{raw}.wal"), raw.with_suffix(".json")):
        p.unlink(missing_ok=True)
    big = int(backlinks * factor)
    links = max(400_000, LINKS_PER_BACKLINK * backlinks, int(big * 2))
    qb.MEMORY_LIMIT = MEMORY_LIMIT
    info = qb.build_store(raw, links, big)
    return raw, info


def build_store(path: Path, backlinks: int, keep_raw: bool) -> dict[str, Any]:
    """Create ``path`` (via ``path.tmp``, renamed when complete, then a ``.json`` sidecar
    that marks it complete)."""
    import duckdb

    from backlinks.store.db import Store
    from backlinks.store.schema import TABLES

    t0 = time.perf_counter()
    factor = ROWS_PER_BACKLINK
    for _attempt in range(3):
        tg = time.perf_counter()
        raw, raw_info = _raw_store(path, backlinks, factor)
        gen_s = time.perf_counter() - tg
        with duckdb.connect(str(raw), read_only=True) as con:
            have = count_backlinks(con, TARGET)
        _say(f"[build] generated {raw_info['links']:,} rows in {gen_s:.1f} s; {have:,} distinct")
        if have >= backlinks:
            break
        factor *= 1.15 * backlinks / max(have, 1)
        _say(f"[build] fewer than {backlinks:,} distinct backlinks; again with {factor:.2f}x")
    else:
        raise SystemExit(f"could not generate {backlinks:,} distinct backlinks of {TARGET}")

    tmp = path.with_name(path.name + ".tmp")
    for p in (tmp, Path(f"{tmp}.wal")):
        p.unlink(missing_ok=True)
    ts = time.perf_counter()
    cond, params = target_condition(TARGET)
    keys = ", ".join(KEY)
    lkeys = ", ".join(f"l.{k}" for k in KEY)
    with Store(tmp) as st:
        con = st.con
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{raw}' AS r (READ_ONLY)")
        for table in TABLES:
            if table not in ("links", "meta"):
                con.execute(f"INSERT INTO {table} SELECT * FROM r.{table}")
        # The target's distinct backlinks beyond the first N in a fixed hash order.
        con.execute(
            f"""CREATE TEMP TABLE _surplus AS
            SELECT {keys} FROM (SELECT DISTINCT {lkeys} FROM r.links l WHERE {cond})
            ORDER BY hash({keys}), {keys} OFFSET ?""",
            [*params, backlinks],
        )
        surplus = con.execute("SELECT count(*) FROM _surplus").fetchone()[0]  # type: ignore[index]
        _say(f"[build] dropping {surplus:,} surplus backlinks; writing links in target order")
        con.execute(
            f"""INSERT INTO links SELECT l.* FROM r.links l ANTI JOIN _surplus USING ({keys})
            ORDER BY {qb.SORT_KEY}"""
        )
        con.execute("DROP TABLE _surplus")
        con.execute("DETACH r")
        con.execute("CHECKPOINT")
        have = count_backlinks(con, TARGET)
        shape = describe(con, TARGET)
    sort_s = time.perf_counter() - ts
    if have != backlinks:
        raise SystemExit(f"built {have:,} distinct backlinks of {TARGET}, wanted {backlinks:,}")
    tmp.rename(path)
    if not keep_raw:
        for p in (raw, Path(f"{raw}.wal"), raw.with_suffix(".json")):
            p.unlink(missing_ok=True)
    info = {
        "complete": True,
        "target": TARGET,
        "backlinks": backlinks,
        "generated_rows": raw_info["links"],
        "generate_s": round(gen_s, 1),
        "order_s": round(sort_s, 1),
        "build_s": round(time.perf_counter() - t0, 1),
        "bytes": path.stat().st_size,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **shape,
    }
    _sidecar(path).write_text(json.dumps(info, indent=1))
    return info


def ensure_store(args: argparse.Namespace) -> tuple[Path, dict[str, Any], bool]:
    """(store path, its description, whether it was built now)."""
    path = args.db or OUT / f"store-{_short(args.links)}.duckdb"
    side = _sidecar(path)
    info = json.loads(side.read_text()) if side.exists() else {}
    if path.exists() and not args.rebuild:
        if args.db is not None and not info:
            return path, {"external": True}, False  # someone else's store: used as it is
        if info.get("complete") and info.get("backlinks") == args.links:
            return path, info, False
        _say(f"[build] {path} is incomplete or of another size: building it again")
    if args.db is not None and args.target != TARGET:
        raise SystemExit(f"--target other than {TARGET} needs an existing store (--db)")
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, Path(f"{path}.wal"), side):
        p.unlink(missing_ok=True)
    return path, build_store(path, args.links, args.keep), True


def direct_first_page(path: Path, target: str) -> list[float]:
    """Milliseconds of ``backlinks(store, target, limit=100)`` in this process, twice (the
    library call behind the endpoint's first page, for comparison; store opened read-only)."""
    from backlinks.analysis.backlinks import backlinks
    from backlinks.store.db import Store

    out = []
    with Store(path, read_only=True) as st:
        for _ in range(2):
            t = time.perf_counter()
            backlinks(st, target, limit=PAGE_SIZE)
            out.append((time.perf_counter() - t) * 1e3)
    return out


# --- 2. the server --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """``backlinks serve`` as a child process in its own session, its output in a log file."""

    db: Path
    port: int
    log: Path
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    ready_s: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import httpx

        cmd = [str(BACKLINKS), "serve", "--db", str(self.db), "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--read-only", *self.extra]
        _say(f"[server] {' '.join(cmd)}  (log: {self.log})")
        t0 = time.perf_counter()
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        last = ""
        while time.perf_counter() - t0 < HEALTH_TIMEOUT_S:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"server exited with status {self.proc.returncode} before it was healthy:\n"
                    + self.tail()
                )
            try:
                r = httpx.get(f"{self.base}/api/v1/health", timeout=5)
                if r.status_code == 200:
                    self.ready_s = time.perf_counter() - t0
                    return
                last = f"status {r.status_code}: {r.text[:200]}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}"
            time.sleep(0.25)
        self.stop()
        raise SystemExit(f"/api/v1/health not 200 after {HEALTH_TIMEOUT_S:.0f} s ({last})")

    def processes(self) -> list[Any]:
        import psutil

        if self.proc is None or self.proc.poll() is not None:
            return []
        try:
            p = psutil.Process(self.proc.pid)
            return [p, *p.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss(self) -> int:
        """Resident bytes of the server and any processes it started."""
        import psutil

        total = 0
        for p in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total

    def cpu_s(self) -> float:
        import psutil

        total = 0.0
        for p in self.processes():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def tail(self, n: int = 30) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: only what it started
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


# --- 3. the load ----------------------------------------------------------------------------


@dataclass
class Req:
    shape: str
    page: int  # 1 = first page, 2.. = followed cursors
    ms: float
    status: str  # "200", "500", "no-rows", "ReadTimeout", ...
    rows: int


@dataclass
class Load:
    reqs: list[Req] = field(default_factory=list)
    checks: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    unchecked: set[str] = field(default_factory=set)
    sessions: int = 0
    rss_peak: int = 0

    def fail(self, kind: str, example: str) -> None:
        self.checks[kind] += 1
        self.examples.setdefault(kind, example[:300])


def _params(target: str, shape: str, word: str, cursor: str | None) -> list[tuple[str, str]]:
    out = [("target", target), ("limit", str(PAGE_SIZE))]
    out += [(k, v.format(word=word)) for k, v in SHAPES[shape][1]]
    if cursor is not None:
        out.append(("cursor", cursor))
    return out


async def _get(
    client: Any, target: str, shape: str, word: str, cursor: str | None, page: int
) -> tuple[Req, Any]:
    """One request; (its record, the JSON body when it succeeded, else None)."""
    import httpx

    t = time.perf_counter()
    try:
        r = await client.get("/api/v1/links", params=_params(target, shape, word, cursor))
        ms = (time.perf_counter() - t) * 1e3
    except httpx.HTTPError as exc:
        return Req(shape, page, (time.perf_counter() - t) * 1e3, type(exc).__name__, 0), None
    if r.status_code != 200:
        return Req(shape, page, ms, str(r.status_code), 0), r.text
    try:
        body = r.json()
    except ValueError:
        return Req(shape, page, ms, "not-json", 0), None
    if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
        return Req(shape, page, ms, "no-rows", 0), None
    return Req(shape, page, ms, "200", len(body["rows"])), body


def check_page(load: Load, shape: str, word: str, rows: list[Any], seen: set[str]) -> None:
    """What a correct page of this shape must satisfy; ``seen`` holds the session's rows."""
    if len(rows) > PAGE_SIZE:
        load.fail("more rows than limit", f"{len(rows)} rows")
    for row in rows:
        if not isinstance(row, dict):
            load.fail("row not an object", repr(row))
            return
        key = json.dumps(row, sort_keys=True, default=str)
        if key in seen:
            load.fail("row repeated across pages", key)
        seen.add(key)
        for col, ok in (
            ("section", shape != "filter section=content" or row.get("section") == "content"),
            ("nofollow", shape != "filter nofollow=false" or row.get("nofollow") is False),
            (
                "anchor",
                shape != "filter anchor~word" or word.lower() in str(row.get("anchor")).lower(),
            ),
        ):
            if col not in row:
                load.unchecked.add(col)
            elif not ok:
                load.fail(f"row does not match {shape}", key)


def check_order(load: Load, shape: str, first_seen: list[Any]) -> None:
    if shape != "sort=-first_seen":
        return
    vals = [v for v in first_seen if v is not None]
    if any(a < b for a, b in itertools.pairwise(vals)):
        load.fail("first_seen not descending (within a session)", str(vals[:6]))


async def session(
    client: Any, load: Load, target: str, word: str, rng: random.Random, deadline: float
) -> None:
    shape = rng.choices(list(SHAPES), weights=[w for w, _ in SHAPES.values()])[0]
    pages = rng.randint(1, MAX_PAGES)
    cursor: str | None = None
    seen: set[str] = set()
    first_seen: list[Any] = []
    load.sessions += 1
    for page in range(1, pages + 1):
        if time.perf_counter() >= deadline:
            return
        req, body = await _get(client, target, shape, word, cursor, page)
        load.reqs.append(req)
        if req.status != "200":
            if req.status not in load.examples:
                load.examples[req.status] = f"{shape} page {page}: {str(body)[:300]}"
            return
        rows = body["rows"]
        check_page(load, shape, word, rows, seen)
        first_seen += [r.get("first_seen") for r in rows if isinstance(r, dict)]
        if rows and isinstance(rows[0], dict) and "first_seen" not in rows[0]:
            load.unchecked.add("first_seen")
        cursor = body.get("next_cursor")
        if not cursor:
            break
    check_order(load, shape, first_seen)


async def client_loop(
    client: Any, load: Load, target: str, word: str, seed: int, deadline: float
) -> None:
    rng = random.Random(seed)
    while time.perf_counter() < deadline:
        await session(client, load, target, word, rng, deadline)


async def sample_rss(server: Server, load: Load, stop: asyncio.Event) -> None:
    while not stop.is_set():
        load.rss_peak = max(load.rss_peak, server.rss())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def run_load(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(
        base_url=server.base, limits=limits, timeout=REQUEST_TIMEOUT_S
    ) as client:
        cold: dict[str, Any] = {}
        for shape in SHAPES:
            req, body = await _get(client, args.target, shape, args.anchor_word, None, 1)
            cold[shape] = {
                "ms": round(req.ms, 1),
                "status": req.status,
                "rows": req.rows,
                "next_cursor": bool(isinstance(body, dict) and body.get("next_cursor")),
                "total": body.get("total") if isinstance(body, dict) else None,
            }
            if req.status == "200":
                first_row = body["rows"][0] if body["rows"] else None
                cold[shape]["fields"] = sorted(first_row) if isinstance(first_row, dict) else None
            else:
                cold[shape]["body"] = str(body)[:300]
            _say(f"[cold] {shape:24s} {req.ms:9,.0f} ms  status {req.status}  rows {req.rows}")

        load = Load()
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_rss(server, load, stop))
        cpu0, srv0 = time.process_time(), server.cpu_s()
        _say(f"[load] {args.clients} clients for {args.seconds:g} s ...")
        t0 = time.perf_counter()
        deadline = t0 + args.seconds
        await asyncio.gather(
            *(
                client_loop(client, load, args.target, args.anchor_word, args.seed + i, deadline)
                for i in range(args.clients)
            )
        )
        elapsed = time.perf_counter() - t0
        client_cpu, server_cpu = time.process_time() - cpu0, server.cpu_s() - srv0
        stop.set()
        await sampler
        described = await _describe(client)
    return {
        "cold": cold,
        "load": load,
        "elapsed_s": elapsed,
        "client_cpu_s": client_cpu,
        "server_cpu_s": server_cpu,
        "server_describe": described,
    }


async def _describe(client: Any) -> Any:
    """``GET /api/v1/server`` (the server's own account, e.g. its answer cache), if any."""
    import httpx

    try:
        r = await client.get("/api/v1/server")
        return r.json() if r.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


# --- 4. report ------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(q * len(s)) - 1))]


def _lat(values: list[float]) -> dict[str, float | None]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 1)

    return {
        "n": len(values),
        "p50_ms": r(_pct(values, 0.50)),
        "p90_ms": r(_pct(values, 0.90)),
        "p99_ms": r(_pct(values, 0.99)),
        "max_ms": r(max(values) if values else None),
        "mean_ms": r(statistics.fmean(values) if values else None),
    }


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}"


def summarise(res: dict[str, Any]) -> dict[str, Any]:
    load: Load = res["load"]
    ok = [r for r in load.reqs if r.status == "200"]
    errors = Counter(r.status for r in load.reqs if r.status != "200")
    el = res["elapsed_s"]
    by_shape = {s: _lat([r.ms for r in ok if r.shape == s]) for s in SHAPES}
    return {
        "requests": len(load.reqs),
        "ok": len(ok),
        "errors": sum(errors.values()),
        "errors_by_status": dict(errors),
        "error_examples": {k: v for k, v in load.examples.items() if k in errors},
        "check_failures": dict(load.checks),
        "check_examples": {k: v for k, v in load.examples.items() if k in load.checks},
        "unchecked_fields_absent": sorted(load.unchecked),
        "sessions": load.sessions,
        "elapsed_s": round(el, 2),
        "throughput_rps": round(len(load.reqs) / el, 2) if el else None,
        "rows": sum(r.rows for r in ok),
        "rows_per_s": round(sum(r.rows for r in ok) / el, 1) if el else None,
        "latency": _lat([r.ms for r in ok]),
        "latency_first_page": _lat([r.ms for r in ok if r.page == 1]),
        "latency_next_pages": _lat([r.ms for r in ok if r.page > 1]),
        "latency_by_shape": by_shape,
        "requests_by_shape": dict(Counter(r.shape for r in load.reqs)),
        "client_cpu_s": round(res["client_cpu_s"], 1),
        "server_cpu_s": round(res["server_cpu_s"], 1),
        "server_rss_peak_bytes": load.rss_peak,
        "cold": res["cold"],
        "server_describe": res["server_describe"],
    }


def report(out: dict[str, Any]) -> None:
    st, s, srv = out["store"], out["summary"], out["server"]
    mib = 1024 * 1024
    print(f"\n## HTTP API load: GET /api/v1/links?target={out['target']}&limit={PAGE_SIZE}")
    print(
        f"store {out['db']}: {st.get('bytes', 0) / 1e6:,.0f} MB, "
        f"{st.get('backlinks', out['backlinks_counted']):,} distinct backlinks of the target "
        f"(counted: {out['backlinks_counted']:,}), {st.get('all_link_rows', 0):,} link rows; "
        + (
            f"built now in {st['build_s']:.1f} s (generate {st['generate_s']:.1f} s, "
            f"order {st['order_s']:.1f} s)"
            if out["built_now"]
            else "reused"
        )
    )
    if "ref_domains" in st:
        print(
            f"target: {st['target_link_rows']:,} link rows over {st['snapshots']} snapshots, "
            f"{st['ref_domains']:,} referring domains, {st['ref_hosts']:,} hosts, "
            f"{st['source_pages']:,} source pages, {st['target_urls']:,} target URLs, "
            f"{st['anchors']} anchors; nofollow {st['nofollow_share']:.0%}, "
            f"ugc {st['ugc_share']:.0%}, sponsored {st['sponsored_share']:.1%}; "
            f"sections {st['sections']}"
        )
    if out.get("direct_ms"):
        d = out["direct_ms"]
        print(
            f"in-process backlinks(store, target, limit={PAGE_SIZE}): {d[0]:,.0f} ms first, "
            f"{d[1]:,.0f} ms second (no server)"
        )
    print(
        f"machine: {os.cpu_count()} cores shared by client and server; load average before "
        f"{out['load_before']}, after {out['load_after']}; DuckDB {out['duckdb']}"
    )
    if srv["extra_args"]:
        print(f"server options added: {' '.join(srv['extra_args'])}")
    print(
        f"server: healthy after {srv['ready_s']:.1f} s; RSS {srv['rss_before'] / mib:,.0f} MiB "
        f"before, {srv['rss_after'] / mib:,.0f} MiB after, peak "
        f"{s['server_rss_peak_bytes'] / mib:,.0f} MiB during the run"
    )
    print("\ncold first page per query shape (one request each, before the run):")
    for shape, c in s["cold"].items():
        print(
            f"  {shape:24s} {c['ms']:9,.0f} ms  status {c['status']}  rows {c['rows']}  "
            f"next_cursor {'yes' if c['next_cursor'] else 'no'}  total {c.get('total')}"
        )
    lat = s["latency"]
    print(
        f"\nload: {out['clients']} clients, {out['seconds']:g} s (+ drain: "
        f"{s['elapsed_s']:.1f} s in all), {s['sessions']:,} sessions"
    )
    print(f"  requests     {s['requests']:,}  (ok {s['ok']:,})")
    print(f"  errors       {s['errors']:,}  {s['errors_by_status'] or ''}")
    print(f"  throughput   {s['throughput_rps']:,.2f} req/s")
    print(f"  rows/s       {s['rows_per_s']:,.0f}  ({s['rows']:,} rows)")
    print(
        f"  latency ms   p50 {_ms(lat['p50_ms'])}  p90 {_ms(lat['p90_ms'])}  "
        f"p99 {_ms(lat['p99_ms'])}  max {_ms(lat['max_ms'])}"
    )
    for name, key in (
        ("first pages", "latency_first_page"),
        ("cursor pages", "latency_next_pages"),
    ):
        v = s[key]
        print(
            f"    {name:12s} n {v['n']:5,}  p50 {_ms(v['p50_ms'])}  p90 {_ms(v['p90_ms'])}  "
            f"p99 {_ms(v['p99_ms'])}  max {_ms(v['max_ms'])}"
        )
    for shape, v in s["latency_by_shape"].items():
        print(
            f"    {shape:24s} n {v['n']:5,}  p50 {_ms(v['p50_ms'])}  p90 {_ms(v['p90_ms'])}  "
            f"max {_ms(v['max_ms'])}"
        )
    print(
        f"  CPU seconds  server {s['server_cpu_s']:.1f}, client {s['client_cpu_s']:.1f} "
        f"(of {os.cpu_count()} x {s['elapsed_s']:.1f} s)"
    )
    cache = (s["server_describe"] or {}).get("cache")
    if isinstance(cache, dict):
        print(f"  server cache after the run (GET /api/v1/server): {json.dumps(cache)}")
    for kind, ex in s["error_examples"].items():
        print(f"  error {kind}: {ex}")
    if s["check_failures"]:
        print(f"  CHECK FAILURES {s['check_failures']}")
        for kind, ex in s["check_examples"].items():
            print(f"    {kind}: {ex}")
    if s["unchecked_fields_absent"]:
        print(f"  not checked (field absent from rows): {', '.join(s['unchecked_fields_absent'])}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", type=Path, default=None, help="store to use (built there if absent)")
    ap.add_argument("--links", type=int, default=1_000_000, help="distinct backlinks of target")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--port", type=int, default=None, help="default: a free one")
    ap.add_argument("--target", default=TARGET, help="domain to query (another needs --db)")
    ap.add_argument("--anchor-word", default=ANCHOR_WORD, help="word for the anchor~ filter")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="more `backlinks serve` options, e.g. '--cache-rows 8000000' (repeatable)",
    )
    ap.add_argument(
        "--keep", action="store_true", help="also keep the ingest-ordered intermediate store"
    )
    ap.add_argument("--rebuild", action="store_true", help="build the store even if present")
    ap.add_argument("--build-only", action="store_true", help="build and check the store; stop")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = ap.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0:
        ap.error("--clients and --seconds must be positive")

    import duckdb

    path, info, built = ensure_store(args)
    with duckdb.connect(str(path), read_only=True) as con:
        tc = time.perf_counter()
        counted = count_backlinks(con, args.target)
        count_ms = (time.perf_counter() - tc) * 1e3
        if info.get("external"):
            info = {"bytes": path.stat().st_size, **describe(con, args.target)}
    info.setdefault("bytes", path.stat().st_size)
    _say(
        f"[store] {path}: {info['bytes'] / 1e6:,.0f} MB; {args.target} has {counted:,} distinct "
        f"backlinks (count query {count_ms:,.0f} ms)"
        + (f"; built in {info['build_s']:.1f} s" if built else "; reused")
    )
    if counted == 0 or (not info.get("external") and info.get("backlinks", counted) != counted):
        _say(f"[store] expected {info.get('backlinks')} distinct backlinks, counted {counted}")
        return 1
    out: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "db": str(path),
        "target": args.target,
        "store": info,
        "built_now": built,
        "backlinks_counted": counted,
        "count_query_ms": round(count_ms, 1),
        "clients": args.clients,
        "seconds": args.seconds,
        "duckdb": duckdb.__version__,
        "cpus": os.cpu_count(),
    }
    if args.build_only:
        print(json.dumps(out, indent=1))
        return 0
    out["direct_ms"] = [round(v, 1) for v in direct_first_page(path, args.target)]

    OUT.mkdir(parents=True, exist_ok=True)
    extra = [a for arg in args.serve_arg for a in arg.split()]
    server = Server(path, args.port or _free_port(), OUT / "server.log", extra)
    out["load_before"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    server.start()
    try:
        rss_before = server.rss()
        res = asyncio.run(run_load(server, args))
        rss_after = server.rss()
        alive = server.proc is not None and server.proc.poll() is None
    finally:
        server.stop()
    out["load_after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    out["server"] = {
        "port": server.port,
        "extra_args": extra,
        "ready_s": round(server.ready_s, 2),
        "rss_before": rss_before,
        "rss_after": rss_after,
        "alive_after_run": alive,
    }
    out["summary"] = summarise(res)
    report(out)
    if not alive:
        print(f"server died during the run:\n{server.tail()}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, default=str))
    s = out["summary"]
    return 1 if s["errors"] or s["check_failures"] or not alive else 0


if __name__ == "__main__":
    sys.exit(main())
