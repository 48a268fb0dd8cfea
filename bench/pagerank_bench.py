"""PageRank benchmark: our Numba pull kernel against NetworKit, igraph (PRPACK) and scipy, the
machine's memory-bandwidth bound, and the store -> graph build against DuckDB's own scan.

Graphs: (a) the UKWA 1996 host graph (``../shared/data/ukwa-1996-host-graph/``, skipped with a
message when absent) and (b) generated power-law web-like graphs (``bench/graphgen.py``) of
about 10M, 30M and 100M edges, cached as ``.npy`` CSR arrays under ``bench/out/pagerank/``.
Every engine runs in its own fresh Python process that loads the same arrays, so peak RSS is
per engine; the time per iteration, iterations, build/load and solve times, peak RSS (total and
above the process's baseline after imports) and bytes per edge are printed, with the ratios and
the targets of the issue:

* at least 3x NetworKit's speed per iteration, at every size;
* within 1.3x of the memory-bandwidth bound measured in the same run (one pass that streams
  ``m`` int32 indices and gathers ``m`` float32 values from an ``n``-vector at random);
* peak memory of build plus ranking at most 9 bytes per edge;
* graph build from a store of ``--store-links`` million links within 3x of DuckDB's own scan of
  the links table (the same filter, the same id columns).

All engines stop on the same rule: the L1 error bound ``d/(1-d) * ||x_k - x_{k-1}||_1 < tol``.
NetworKit gets ``norm = L1_NORM`` and ``tol * (1-d)/d`` (its test is the plain L1 change), and
sink distribution, which is the same definition and the same rule, so it runs the same number
of iterations. igraph's PRPACK has a fixed internal tolerance (1e-10) and does not report
iterations: only its build and solve times are compared. scipy runs the same float32 power
iteration as ours with a CSR matvec.

Other processes may share the cores, which moves wall-clock times by 2-3x from one minute to the
next: solves are repeated (best kept), rows show CPU utilisation and the load average, and a
*paired* process per generated graph alternates ours (f32), NetworKit and the bound kernel in
5 rounds of 10 iterations; the median per-round ratios are the ones held against the targets.

    .venv/bin/python bench/pagerank_bench.py --quick          # UKWA + 10M, 10M-link store
    .venv/bin/python bench/pagerank_bench.py                  # UKWA, 10M, 30M, 100M; 100M store
    .venv/bin/python bench/pagerank_bench.py --sizes 10,30 --engines ours,networkit --store-links 0
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out" / "pagerank"
UKWA = REPO.parent / "shared" / "data" / "ukwa-1996-host-graph" / "1996-uk-web-hosts.tsv.gz"
MB = 1_000_000
DAMPING = 0.85
TARGET_SPEEDUP = 3.0
TARGET_BOUND = 1.3
TARGET_BPE = 9.0
TARGET_STORE = 3.0
ENGINES = ("ours32", "ours64", "networkit", "igraph", "scipy")
LABELS = {
    "ours32": "ours f32 (numba pull)",
    "ours64": "ours f64 (numba pull)",
    "networkit": "NetworKit PageRank",
    "igraph": "igraph PRPACK",
    "scipy": "scipy CSR f32 (1 thr)",
}


# --- child processes ------------------------------------------------------------------------


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _peak() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _load(folder: Path) -> dict[str, Any]:
    return {k: np.load(folder / f"{k}.npy") for k in ("in_ptr", "in_src", "out_deg")}


def _warm_ours(dtype: type[np.floating[Any]]) -> None:
    """Compile (or load from Numba's cache) the kernels on a tiny graph, off the clock."""
    from backlinks.graph.csr import from_edges
    from backlinks.rank.pagerank import pagerank

    pagerank(from_edges([0, 1, 2, 2], [1, 2, 0, 1], 4), dtype=dtype)


def _solves(solve: Callable[[], Any], repeat: int, budget: float) -> tuple[Any, dict[str, Any]]:
    """Run ``solve`` up to ``repeat`` times (fewer once ``budget`` seconds are spent) and keep
    the fastest: other processes may share the cores, and the best run is the least disturbed.
    Also reports the CPU utilisation of that run (process CPU time / wall / threads)."""
    walls: list[float] = []
    best: tuple[float, float, Any] | None = None
    spent = 0.0
    for _ in range(max(1, repeat)):
        c0, t0 = os.times(), time.perf_counter()
        out = solve()
        wall = time.perf_counter() - t0
        c1 = os.times()
        cpu = (c1.user - c0.user) + (c1.system - c0.system)
        walls.append(wall)
        if best is None or wall < best[0]:
            best = (wall, cpu, out)
        else:
            del out
        spent += wall
        if spent + wall > budget:
            break
    assert best is not None
    return best[2], {"solve_s": best[0], "solve_cpu_s": best[1], "solve_walls": walls}


def _child_ours(
    folder: Path, tol: float, dtype: type[np.floating[Any]], repeat: int, budget: float
) -> dict[str, Any]:
    from backlinks.graph.csr import Graph
    from backlinks.rank.pagerank import pagerank

    _warm_ours(dtype)
    base = _rss()
    t0 = time.perf_counter()
    a = _load(folder)
    n = int(a["out_deg"].shape[0])
    # the Graph the build hands over also holds the 64-bit stable ids (8 B/node)
    g = Graph(a["in_ptr"], a["in_src"], a["out_deg"], np.arange(n, dtype=np.int64))
    load_s = time.perf_counter() - t0
    loaded = _rss()

    def solve() -> tuple[Any, float, float]:
        stamps = [time.perf_counter()]
        res = pagerank(
            g,
            damping=DAMPING,
            tol=tol,
            max_iter=500,
            dtype=dtype,
            on_iteration=lambda i, e: stamps.append(time.perf_counter()),
        )
        steps = np.diff(np.asarray(stamps))
        return res, float(np.median(steps)), float(steps.min())

    (res, median, fastest), timing = _solves(solve, repeat, budget)
    return {
        "build_s": load_s,
        "build_what": "np.load",
        **timing,
        "iterations": res.iterations,
        "median_iter_s": median,
        "min_iter_s": fastest,
        "err_bound": res.error,
        "base": base,
        "loaded": loaded,
        "peak": _peak(),
        "scores": res.scores.astype(np.float64),
    }


def _child_networkit(
    folder: Path, tol: float, threads: int, repeat: int, budget: float
) -> dict[str, Any]:
    import networkit as nk

    nk.setNumberOfThreads(threads)
    base = _rss()
    t0 = time.perf_counter()
    a = _load(folder)
    load_s = time.perf_counter() - t0
    loaded = _rss()
    n = int(a["out_deg"].shape[0])
    t0 = time.perf_counter()
    dst = np.repeat(np.arange(n, dtype=np.uint64), np.diff(a["in_ptr"]))
    src = a["in_src"].astype(np.uint64)
    del a
    graph = nk.GraphFromCoo((src, dst), n=n, directed=True)
    del src, dst
    build_s = time.perf_counter() - t0

    def solve() -> Any:
        pr = nk.centrality.PageRank(
            graph,
            damp=DAMPING,
            tol=tol * (1.0 - DAMPING) / DAMPING,
            distributeSinks=nk.centrality.SinkHandling.DistributeSinks,
        )
        pr.norm = nk.centrality.Norm.L1_NORM
        pr.maxIterations = 500
        pr.run()
        return pr

    pr, timing = _solves(solve, repeat, budget)
    peak = _peak()
    return {
        "build_s": build_s,
        "load_s": load_s,
        "build_what": "np.load + GraphFromCoo",
        **timing,
        "iterations": int(pr.numberOfIterations()),
        "threads": int(nk.getMaxNumberOfThreads()),
        "base": base,
        "loaded": loaded,
        "peak": peak,
        "scores": np.asarray(pr.scores(), dtype=np.float64),
    }


def _child_igraph(folder: Path, repeat: int, budget: float) -> dict[str, Any]:
    import igraph as ig

    base = _rss()
    t0 = time.perf_counter()
    a = _load(folder)
    load_s = time.perf_counter() - t0
    loaded = _rss()
    n, m = int(a["out_deg"].shape[0]), int(a["in_src"].shape[0])
    t0 = time.perf_counter()
    el = np.empty((m, 2), dtype=np.int64)  # igraph's fast path: a buffer of igraph_int_t pairs
    el[:, 0] = a["in_src"]
    el[:, 1] = np.repeat(np.arange(n, dtype=np.int64), np.diff(a["in_ptr"]))
    del a
    graph = ig.Graph(n=n, edges=memoryview(el), directed=True)
    del el
    build_s = time.perf_counter() - t0
    scores, timing = _solves(
        lambda: graph.pagerank(damping=DAMPING, directed=True, implementation="prpack"),
        repeat,
        budget,
    )
    return {
        "build_s": build_s,
        "load_s": load_s,
        "build_what": "np.load + Graph(edges)",
        **timing,
        "iterations": None,
        "threads": int(os.environ.get("OMP_NUM_THREADS", "1")),
        "base": base,
        "loaded": loaded,
        "peak": _peak(),
        "scores": np.asarray(scores, dtype=np.float64),
    }


def _child_scipy(folder: Path, tol: float, repeat: int, budget: float) -> dict[str, Any]:
    import scipy.sparse as sp

    base = _rss()
    t0 = time.perf_counter()
    a = _load(folder)
    load_s = time.perf_counter() - t0
    loaded = _rss()
    n, m = int(a["out_deg"].shape[0]), int(a["in_src"].shape[0])
    t0 = time.perf_counter()
    mat = sp.csr_matrix((np.ones(m, dtype=np.float32), a["in_src"], a["in_ptr"]), shape=(n, n))
    build_s = time.perf_counter() - t0
    f32 = np.float32
    out_deg = a["out_deg"]
    inv_out = np.zeros(n, dtype=f32)
    inv_out[out_deg > 0] = 1.0 / out_deg[out_deg > 0]
    dangling = np.flatnonzero(out_deg == 0)
    factor = DAMPING / (1.0 - DAMPING)

    def solve() -> tuple[Any, int, float]:
        x = np.full(n, 1.0 / n, dtype=f32)
        err = float("inf")
        it = 0
        while it < 500:
            it += 1
            y = mat @ (x * inv_out)
            dsum = float(x[dangling].sum(dtype=np.float64))
            tele = f32((DAMPING * dsum + 1.0 - DAMPING) / n)
            new = (DAMPING * y + tele).astype(f32, copy=False)
            err = factor * float(np.abs(new - x).sum(dtype=np.float64))
            x = new
            if err < tol:
                break
        return x, it, err

    (x, it, err), timing = _solves(solve, repeat, budget)
    return {
        "build_s": build_s,
        "load_s": load_s,
        "build_what": "np.load + csr_matrix",
        **timing,
        "iterations": it,
        "threads": 1,
        "converged": err < tol,
        "err_bound": err,
        "base": base,
        "loaded": loaded,
        "peak": _peak(),
        "scores": x.astype(np.float64),
    }


def _bound_kernels() -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    from numba import njit, prange

    @njit(parallel=True)
    def stream(idx):  # type: ignore[no-untyped-def]
        s = 0
        for j in prange(idx.shape[0]):
            s += idx[j]
        return s

    @njit(parallel=True)
    def gather(idx, vec):  # type: ignore[no-untyped-def]
        s = 0.0
        for j in prange(idx.shape[0]):
            s += vec[idx[j]]
        return s

    @njit(parallel=True)
    def gather_hashed(m, vec):  # type: ignore[no-untyped-def]
        """m random loads from vec with the index computed in registers (no index stream)."""
        n = np.uint64(vec.shape[0])
        s = 0.0
        for j in prange(m):
            z = np.uint64(j) * np.uint64(0x9E3779B97F4A7C15)
            z ^= z >> np.uint64(31)
            z *= np.uint64(0xBF58476D1CE4E5B9)
            # multiply-shift range reduction (no division): uniform over 0..n-1
            s += vec[((z >> np.uint64(32)) * n) >> np.uint64(32)]
        return s

    return stream, gather, gather_hashed


def _best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _child_bound(folder: Path, repeat: int) -> dict[str, Any]:
    stream, gather, gather_hashed = _bound_kernels()
    small = np.arange(1000, dtype=np.int32)
    stream(small), gather(small, np.ones(1000, np.float32)), gather_hashed(10, small * 1.0)
    in_src = np.load(folder / "in_src.npy")
    n = int(np.load(folder / "out_deg.npy").shape[0])
    m = int(in_src.shape[0])
    rng = np.random.default_rng(7)
    vec = rng.random(n, dtype=np.float32)
    ridx = rng.integers(0, n, m, dtype=np.int32)
    for f in (lambda: stream(in_src), lambda: gather(ridx, vec)):
        f()  # first touch
    return {
        "stream_s": _best(lambda: stream(in_src), repeat),
        "gather_random_s": _best(lambda: gather(ridx, vec), repeat),
        "gather_graph_s": _best(lambda: gather(in_src, vec), repeat),
        "gather_only_s": _best(lambda: gather_hashed(m, vec), repeat),
        "threads": int(os.environ.get("NUMBA_NUM_THREADS", os.cpu_count() or 1)),
    }


def _child_paired(folder: Path, threads: int, rounds: int, iters: int) -> dict[str, Any]:
    """Ours (f32), NetworKit and the bound kernel in ONE process, alternating, ``rounds`` times
    ``iters`` iterations each: neighbouring measurements see the same machine load, so the
    per-round ratios are robust where other processes share the cores (memory is not measured
    here; the per-engine processes do that)."""
    import networkit as nk

    from backlinks.graph.csr import Graph
    from backlinks.rank.pagerank import ConvergenceError, pagerank

    nk.setNumberOfThreads(threads)
    _warm_ours(np.float32)
    stream, gather, _ = _bound_kernels()
    small = np.arange(1000, dtype=np.int32)
    stream(small), gather(small, np.ones(1000, np.float32))
    a = _load(folder)
    n, m = int(a["out_deg"].shape[0]), int(a["in_src"].shape[0])
    g = Graph(a["in_ptr"], a["in_src"], a["out_deg"], np.arange(n, dtype=np.int64))
    dst = np.repeat(np.arange(n, dtype=np.uint64), np.diff(a["in_ptr"]))
    graph = nk.GraphFromCoo((a["in_src"].astype(np.uint64), dst), n=n, directed=True)
    del dst
    rng = np.random.default_rng(7)
    vec = rng.random(n, dtype=np.float32)
    ridx = rng.integers(0, n, m, dtype=np.int32)
    gather(ridx, vec)

    def ours() -> float:
        t0 = time.perf_counter()
        with contextlib.suppress(ConvergenceError):  # unreachable tol: exactly ``iters`` its
            pagerank(g, damping=DAMPING, tol=1e-300, max_iter=iters, dtype=np.float32)
        return (time.perf_counter() - t0) / iters

    def networkit() -> float:
        pr = nk.centrality.PageRank(
            graph,
            damp=DAMPING,
            tol=1e-300,
            distributeSinks=nk.centrality.SinkHandling.DistributeSinks,
        )
        pr.norm = nk.centrality.Norm.L1_NORM
        pr.maxIterations = iters
        t0 = time.perf_counter()
        pr.run()
        return (time.perf_counter() - t0) / int(pr.numberOfIterations())

    def bound() -> float:
        return _best(lambda: gather(ridx, vec), 3)

    per_round = []
    for _ in range(rounds):
        per_round.append({"bound": bound(), "ours": ours(), "networkit": networkit()})
    speed = [r["networkit"] / r["ours"] for r in per_round]
    vs_bound = [r["ours"] / r["bound"] for r in per_round]
    return {
        "rounds": per_round,
        "iters": iters,
        "ours_s": min(r["ours"] for r in per_round),
        "networkit_s": min(r["networkit"] for r in per_round),
        "bound_s": min(r["bound"] for r in per_round),
        "speedup_median": float(np.median(speed)),
        "speedup_range": [min(speed), max(speed)],
        "vs_bound_median": float(np.median(vs_bound)),
        "vs_bound_range": [min(vs_bound), max(vs_bound)],
    }


def _child_ukwa(folder: Path) -> dict[str, Any]:
    from backlinks.graph.edgefile import load_edge_file

    t0 = time.perf_counter()
    g = load_edge_file(UKWA, "host")
    folder.mkdir(parents=True, exist_ok=True)
    for k in ("in_ptr", "in_src", "out_deg"):
        np.save(folder / f"{k}.npy", getattr(g, k))
    meta = {"kind": "ukwa-1996-hosts", "n": g.n, "m": g.m, "source": str(UKWA)}
    meta["gen_seconds"] = round(time.perf_counter() - t0, 2)
    (folder / "meta.json").write_text(json.dumps(meta, indent=1))
    return meta


def _child_gen(folder: Path, edges_m: float, order: str) -> dict[str, Any]:
    from graphgen import generate

    return generate(round(edges_m * MB), folder, order=order)


def _store_sql(links: int) -> str:
    """INSERT of ``links`` web-like links (12 per page on average): 60 % to a page of the same
    32-page block, skewed to its first pages, 40 % to a Zipf(0.9)-popular page. Ids are 63-bit
    hashes of the page numbers, like ``backlinks.urls.stable_id``; URL strings, host and domain
    ids are NULL (only the page-level graph is built)."""
    n = max(2, links // 12)
    one = 0.1
    c = float(n + 1) ** one - 1.0
    return f"""
        INSERT INTO links (src_url_id, dst_url_id, nofollow, ugc, sponsored, is_image, position,
                           snapshot_id)
        WITH r AS (
            SELECT hash(i, 1) % {n} AS s,
                   (hash(i, 2) % 1000003) / 1000003.0 AS u,
                   (hash(i, 3) % 1000003) / 1000003.0 AS v
            FROM range({links}) t(i)
        ), e AS (
            SELECT s, CASE WHEN v < 0.6
                THEN (s // 32) * 32 + CAST(floor(32 * u * u) AS UBIGINT)
                ELSE hash(CAST(floor(pow(1 + u * {c!r}, {1 / one!r})) AS UBIGINT), 4) % {n}
                END AS d
            FROM r
        )
        SELECT (hash(s, 5) >> 1)::BIGINT, (hash(d, 5) >> 1)::BIGINT, false, false, false, false,
               0, 1
        FROM e
    """


def _child_mkstore(path: Path, links: int) -> dict[str, Any]:
    from backlinks.store.db import Store

    t0 = time.perf_counter()
    tmp = path.with_name(path.name + ".tmp")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    with Store(tmp) as st:
        st.con.execute(_store_sql(links))
        st.con.execute("CHECKPOINT")
    tmp.rename(path)
    return {"links": links, "seconds": time.perf_counter() - t0, "bytes": path.stat().st_size}


def _child_scan(path: Path) -> dict[str, Any]:
    import duckdb

    base = _rss()
    con = duckdb.connect(str(path), read_only=True)
    where = "NOT (nofollow OR ugc OR sponsored) AND src_url_id <> dst_url_id"
    out: dict[str, Any] = {"base": base}
    t0 = time.perf_counter()
    row = con.execute(
        f"SELECT count(*), bit_xor(src_url_id), bit_xor(dst_url_id) FROM links WHERE {where}"
    ).fetchone()
    out["scan_s"] = time.perf_counter() - t0
    out["scan_peak"] = _peak()
    out["rows"] = int(row[0]) if row else 0
    t0 = time.perf_counter()
    row = con.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT src_url_id, dst_url_id FROM links WHERE {where})"
    ).fetchone()
    out["distinct_s"] = time.perf_counter() - t0
    out["distinct_peak"] = _peak()
    out["distinct_rows"] = int(row[0]) if row else 0
    con.close()
    return out


def _child_storebuild(path: Path, tol: float) -> dict[str, Any]:
    from backlinks.graph.build import build_graph
    from backlinks.rank.pagerank import pagerank
    from backlinks.store.db import Store

    _warm_ours(np.float32)
    base = _rss()
    marks: list[float] = []
    st = Store(path)
    t0 = time.perf_counter()
    g = build_graph(
        st, "page", use_cache=False, progress=lambda d, t: marks.append(time.perf_counter())
    )
    build_s = time.perf_counter() - t0
    build_peak = _peak()
    after_build = _rss()
    t1 = time.perf_counter()
    res = pagerank(g, damping=DAMPING, tol=tol, dtype=np.float32)
    rank_s = time.perf_counter() - t1
    rank_peak = _peak()
    st.close()
    return {
        "n": g.n,
        "m": g.m,
        "build_s": build_s,
        "sql_before_first_batch_s": (marks[0] - t0) if marks else None,
        "streaming_fill_s": (marks[-1] - marks[0]) if marks else None,
        "after_last_batch_s": (t0 + build_s - marks[-1]) if marks else None,
        "rank_s": rank_s,
        "iterations": res.iterations,
        "base": base,
        "after_build": after_build,
        "build_peak": build_peak,
        "rank_peak": rank_peak,
    }


def child_main(args: argparse.Namespace) -> int:
    kind = args.child
    folder = Path(args.graph) if args.graph else Path()
    result: dict[str, Any]
    if kind == "ours32":
        result = _child_ours(folder, args.tol, np.float32, args.solve_repeat, args.solve_budget)
    elif kind == "ours64":
        result = _child_ours(folder, args.tol, np.float64, args.solve_repeat, args.solve_budget)
    elif kind == "networkit":
        result = _child_networkit(
            folder, args.tol, args.threads, args.solve_repeat, args.solve_budget
        )
    elif kind == "igraph":
        result = _child_igraph(folder, args.solve_repeat, args.solve_budget)
    elif kind == "scipy":
        result = _child_scipy(folder, args.tol, args.solve_repeat, args.solve_budget)
    elif kind == "paired":
        result = _child_paired(folder, args.threads, args.paired_rounds, args.paired_iters)
    elif kind == "bound":
        result = _child_bound(folder, args.repeat)
    elif kind == "ukwa":
        result = _child_ukwa(folder)
    elif kind == "gen":
        result = _child_gen(folder, args.edges, args.order)
    elif kind == "mkstore":
        result = _child_mkstore(Path(args.store), round(args.store_links * MB))
    elif kind == "scan":
        result = _child_scan(Path(args.store))
    elif kind == "storebuild":
        result = _child_storebuild(Path(args.store), args.tol)
    else:
        raise SystemExit(f"unknown child {kind}")
    scores = result.pop("scores", None)
    if scores is not None and args.scores:
        np.save(args.scores, scores)
    Path(args.result).write_text(json.dumps(result, default=float))
    return 0


# --- the parent -----------------------------------------------------------------------------


def _run_child(kind: str, args: argparse.Namespace, timeout: float, **opts: Any) -> dict[str, Any]:
    res_path = OUT / f".child-{os.getpid()}-{kind}.json"
    res_path.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        "--result",
        str(res_path),
    ]
    cmd += ["--tol", repr(args.tol), "--threads", str(args.threads), "--repeat", str(args.repeat)]
    cmd += ["--solve-repeat", str(args.solve_repeat), "--solve-budget", str(args.solve_budget)]
    cmd += ["--paired-rounds", str(args.paired_rounds), "--paired-iters", str(args.paired_iters)]
    for key, value in opts.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    env = dict(os.environ)
    env.update(
        NUMBA_NUM_THREADS=str(args.threads),
        OMP_NUM_THREADS=str(args.threads),
        PYTHONPATH=os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p),
    )
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, check=False, timeout=timeout, capture_output=True, text=True, env=env
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "wall_s": time.perf_counter() - t0}
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not res_path.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: {' | '.join(tail)}", "wall_s": wall}
    result: dict[str, Any] = json.loads(res_path.read_text())
    res_path.unlink()
    result["wall_s"] = wall
    result["load1"] = os.getloadavg()[0]  # other processes compete for the same cores
    return result


def _say(msg: str) -> None:
    print(msg, flush=True)


def _graph_specs(args: argparse.Namespace) -> list[tuple[str, Path, dict[str, Any]]]:
    specs: list[tuple[str, Path, dict[str, Any]]] = []
    if not args.no_ukwa:
        if UKWA.exists():
            specs.append(("ukwa-1996-hosts", OUT / "graphs" / "ukwa-1996-hosts", {}))
        else:
            _say(f"UKWA host graph not found at {UKWA}: skipped")
    for size in args.size_list:
        for order in args.order_list:
            name = f"web-{size:g}M" + ("" if order == "host" else f"-{order}")
            specs.append((name, OUT / "graphs" / name, {"edges": size, "order": order}))
    return specs


def _ensure_graph(name: str, folder: Path, gen: dict[str, Any], args: argparse.Namespace) -> dict:
    meta_path = folder / "meta.json"
    if meta_path.exists():
        return dict(json.loads(meta_path.read_text()))
    _say(f"[{name}] generating ...")
    res = (
        _run_child("ukwa", args, args.timeout, graph=folder)
        if not gen
        else _run_child("gen", args, args.timeout, graph=folder, **gen)
    )
    if "error" in res:
        raise RuntimeError(f"{name}: {res['error']}")
    return res


def _fmt(v: float | None, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def _engine_row(engine: str, r: dict[str, Any], m: int, threads: int) -> dict[str, Any]:
    its = r.get("iterations")
    per_it = r["solve_s"] / its if its else None
    over = r["peak"] - r["base"]
    return {
        "engine": engine,
        "build_s": r["build_s"],
        "load_s": r.get("load_s"),
        "iterations": its,
        "per_iter_s": per_it,
        "median_iter_s": r.get("median_iter_s"),
        "solve_s": r["solve_s"],
        "total_s": r["build_s"] + r.get("load_s", 0.0) + r["solve_s"],
        "peak_mb": r["peak"] / MB,
        "over_base_mb": over / MB,
        "beyond_csr_mb": (r["peak"] - r["loaded"]) / MB,
        "bytes_per_edge": over / m,
        "converged": r.get("converged", True),
        "threads": r.get("threads") or threads,
        "cpu_util": r["solve_cpu_s"] / r["solve_s"] / (r.get("threads") or threads),
        "solve_walls": r.get("solve_walls"),
        "min_iter_s": r.get("min_iter_s"),
        "load1": r.get("load1"),
    }


def bench_graph(
    name: str, folder: Path, gen: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    meta = _ensure_graph(name, folder, gen, args)
    n, m = int(meta["n"]), int(meta["m"])
    _say(f"[{name}] n={n:,} m={m:,} ({meta.get('order', 'as built')} order)")
    out: dict[str, Any] = {"graph": name, "meta": meta, "rows": [], "skipped": {}}
    bound = _run_child("bound", args, args.timeout, graph=folder)
    out["bound"] = bound
    if "error" in bound:
        _say(f"  bound: {bound['error']}")
    else:
        _say(
            f"  bound: stream {bound['stream_s'] * 1e3:.1f} ms, random gather "
            f"{bound['gather_random_s'] * 1e3:.1f} ms, graph-order gather "
            f"{bound['gather_graph_s'] * 1e3:.1f} ms"
        )
    scores_dir = OUT / "scores" / name
    scores_dir.mkdir(parents=True, exist_ok=True)
    for engine in args.engine_list:
        if engine == "igraph" and m > args.igraph_max * MB:
            est = args.igraph_us_per_edge * m / MB
            out["skipped"][engine] = (
                f"m > --igraph-max {args.igraph_max:g}M (build est. ~{est:.0f} s at "
                f"{args.igraph_us_per_edge:g} us/edge)"
            )
            _say(f"  {engine}: skipped, {out['skipped'][engine]}")
            continue
        r = _run_child(
            engine, args, args.timeout, graph=folder, scores=scores_dir / f"{engine}.npy"
        )
        if "error" in r:
            out["skipped"][engine] = r["error"]
            _say(f"  {engine}: FAILED {r['error']}")
            continue
        row = _engine_row(engine, r, m, args.threads)
        out["rows"].append(row)
        _say(
            f"  {engine}: build {row['build_s']:.2f} s, {row['iterations']} it, "
            f"{_fmt(row['per_iter_s'], '.4f')} s/it, solve {row['solve_s']:.2f} s, "
            f"peak {row['peak_mb']:.0f} MB ({row['bytes_per_edge']:.1f} B/edge)"
        )
    again = _run_child("bound", args, args.timeout, graph=folder)  # the bound once more, after
    if "error" not in again and "error" not in bound:
        for key in ("stream_s", "gather_random_s", "gather_graph_s", "gather_only_s"):
            bound[key] = min(bound[key], again[key])
        bound["runs"] = 2
    if args.paired_rounds > 0 and gen and {"ours32", "networkit"} <= set(args.engine_list):
        paired = _run_child("paired", args, args.timeout, graph=folder)
        out["paired"] = paired
        if "error" in paired:
            _say(f"  paired: {paired['error']}")
        else:
            _say(
                f"  paired: NetworKit/ours {paired['speedup_median']:.2f}x, "
                f"ours/bound {paired['vs_bound_median']:.2f}x (medians of {args.paired_rounds})"
            )
    ref_path = scores_dir / "ours64.npy"
    if ref_path.exists():
        ref = np.load(ref_path)
        for row in out["rows"]:
            p = scores_dir / f"{row['engine']}.npy"
            if p.exists():
                row["l1_vs_ours64"] = float(np.abs(np.load(p) - ref).sum())
    shutil.rmtree(scores_dir, ignore_errors=True)
    return out


def bench_store(args: argparse.Namespace) -> dict[str, Any]:
    links = args.store_links
    path = OUT / f"store-{links:g}M.duckdb"
    out: dict[str, Any] = {"links": round(links * MB), "path": str(path)}
    if not path.exists():
        _say(f"[store {links:g}M links] generating in DuckDB ...")
        mk = _run_child("mkstore", args, args.timeout, store=path, store_links=links)
        out["mkstore"] = mk
        if "error" in mk:
            _say(f"  mkstore: {mk['error']}")
            return out
        _say(f"  generated in {mk['seconds']:.1f} s, {mk['bytes'] / MB:.0f} MB on disk")
    out["store_mb"] = path.stat().st_size / MB
    scan = _run_child("scan", args, args.timeout, store=path)
    out["scan"] = scan
    if "error" not in scan:
        _say(f"  DuckDB scan {scan['scan_s']:.2f} s; DISTINCT (src,dst) {scan['distinct_s']:.2f} s")
    build = _run_child("storebuild", args, args.timeout, store=path)
    out["build"] = build
    if "error" in build:
        _say(f"  build_graph: {build['error']}")
    else:
        _say(
            f"  build_graph {build['build_s']:.2f} s (n={build['n']:,}, m={build['m']:,}), "
            f"rank {build['rank_s']:.2f} s, peak {build['rank_peak'] / MB:.0f} MB"
        )
    return out


def _print_report(graphs: list[dict[str, Any]], store: dict[str, Any] | None, args: Any) -> None:
    print()
    print("=" * 100)
    print(
        f"PageRank benchmark: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, {args.threads} threads, tol {args.tol:g} (L1 error bound), "
        f"d={DAMPING}"
    )
    targets: dict[str, list[tuple[str, bool | None, str]]] = {
        "speedup": [],
        "bound": [],
        "bpe": [],
        "store": [],
    }
    largest = (0, "")
    for gr in graphs:
        meta = gr["meta"]
        n, m = int(meta["n"]), int(meta["m"])
        print()
        print(f"## {gr['graph']}: n={n:,} nodes, m={m:,} edges ({meta.get('order', 'as built')})")
        b = gr["bound"]
        if "error" not in b:
            print(
                f"bound ({b['threads']} thr, best of {b.get('runs', 1)}x{args.repeat}, before and "
                f"after the engines): stream int32[m] "
                f"{b['stream_s'] * 1e3:.2f} ms | gather only (computed idx) "
                f"{b['gather_only_s'] * 1e3:.2f} ms | stream+random gather "
                f"{b['gather_random_s'] * 1e3:.2f} ms (= the bound) | "
                f"stream+gather in graph order {b['gather_graph_s'] * 1e3:.2f} ms"
            )
        head = (
            f"{'engine':24} {'build s':>8} {'iters':>5} {'s/iter':>8} {'median':>8} "
            f"{'solve s':>8} {'total s':>8} {'peak MB':>8} {'+MB':>7} {'B/edge':>7} "
            f"{'L1 vs f64':>9} {'thr':>3} {'cpu%':>4} {'load':>5}"
        )
        print(head)
        print("-" * len(head))
        rows = {r["engine"]: r for r in gr["rows"]}
        for r in gr["rows"]:
            print(
                f"{LABELS[r['engine']]:24} {r['build_s']:8.2f} {_fmt(r['iterations'], 'd'):>5} "
                f"{_fmt(r['per_iter_s'], '.4f'):>8} {_fmt(r['median_iter_s'], '.4f'):>8} "
                f"{r['solve_s']:8.2f} {r['total_s']:8.2f} {r['peak_mb']:8.0f} "
                f"{r['over_base_mb']:7.0f} {r['bytes_per_edge']:7.1f} "
                f"{_fmt(r.get('l1_vs_ours64'), '.1e'):>9} {r['threads']:3d} "
                f"{100 * r['cpu_util']:4.0f} {_fmt(r.get('load1'), '.1f'):>5}"
                + ("" if r["converged"] else "  (not converged)")
            )
        for eng, why in gr["skipped"].items():
            print(f"{LABELS[eng]:24} skipped: {why}")
        ours = rows.get("ours32")
        if ours is None:
            continue
        largest = max(largest, (m, gr["graph"]))
        ratios = []
        nk = rows.get("networkit")
        if nk and nk["per_iter_s"]:
            sp = nk["per_iter_s"] / ours["per_iter_s"]
            ratios.append(f"NetworKit/ours per iter {sp:.2f}x")
            if gr["graph"].startswith("web-") and "paired" not in gr:
                targets["speedup"].append((gr["graph"], sp >= TARGET_SPEEDUP, f"{sp:.2f}x"))
        sc = rows.get("scipy")
        if sc and sc["per_iter_s"]:
            ratios.append(f"scipy/ours {sc['per_iter_s'] / ours['per_iter_s']:.2f}x")
        o64 = rows.get("ours64")
        if o64 and o64["per_iter_s"]:
            ratios.append(f"f64/f32 {o64['per_iter_s'] / ours['per_iter_s']:.2f}x")
        ig = rows.get("igraph")
        if ig:
            ratios.append(
                f"igraph total/ours total {ig['total_s'] / ours['total_s']:.1f}x "
                f"(build {ig['build_s']:.1f} s + PRPACK {ig['solve_s']:.2f} s)"
            )
        if "error" not in b:
            rb = ours["per_iter_s"] / b["gather_random_s"]
            rg = ours["per_iter_s"] / b["gather_graph_s"]
            rf = ours["min_iter_s"] / b["gather_random_s"]
            ratios.append(
                f"ours/bound {rb:.2f}x (fastest single iteration {rf:.2f}x; "
                f"vs graph-order gather {rg:.2f}x)"
            )
            if gr["graph"].startswith("web-") and "paired" not in gr:
                targets["bound"].append((gr["graph"], rb <= TARGET_BOUND, f"{rb:.2f}x"))
        if gr["graph"].startswith("web-"):
            bpe = ours["bytes_per_edge"]
            targets["bpe"].append(
                (f"{gr['graph']} load+rank", bpe <= TARGET_BPE, f"{bpe:.2f} B/edge")
            )
        print("ratios: " + "; ".join(ratios))
        pa = gr.get("paired")
        if pa and "error" not in pa:
            sp, vb = pa["speedup_median"], pa["vs_bound_median"]
            print(
                f"paired (one process, alternating, {len(pa['rounds'])} rounds x {pa['iters']} "
                f"iterations): ours f32 {pa['ours_s']:.4f} s/it, NetworKit {pa['networkit_s']:.4f} "
                f"s/it, bound {pa['bound_s']:.4f} s (best); per-round NetworKit/ours median "
                f"{sp:.2f}x (range {pa['speedup_range'][0]:.2f}-{pa['speedup_range'][1]:.2f}), "
                f"ours/bound median {vb:.2f}x (range {pa['vs_bound_range'][0]:.2f}-"
                f"{pa['vs_bound_range'][1]:.2f})"
            )
            targets["speedup"].append((gr["graph"], sp >= TARGET_SPEEDUP, f"{sp:.2f}x paired"))
            targets["bound"].append((gr["graph"], vb <= TARGET_BOUND, f"{vb:.2f}x paired"))
    if store is not None:
        print()
        print(f"## graph build from a store of {store['links']:,} links ({store['path']})")
        sc, bd = store.get("scan", {}), store.get("build", {})
        if "error" in sc or "error" in bd or not sc or not bd:
            why = sc.get("error") or bd.get("error") or store.get("mkstore")
            print(f"store step failed: {why}")
        else:
            ratio = bd["build_s"] / sc["scan_s"]
            bpe = (bd["rank_peak"] - bd["base"]) / max(bd["m"], 1)
            bpe_build = (bd["build_peak"] - bd["base"]) / max(bd["m"], 1)
            print(
                "DuckDB scan (count, bit_xor of both id columns, same filter): "
                f"{sc['scan_s']:.2f} s (peak {sc['scan_peak'] / MB:.0f} MB); "
                "DuckDB DISTINCT (src,dst): "
                f"{sc['distinct_s']:.2f} s (peak {sc['distinct_peak'] / MB:.0f} MB)"
            )
            print(
                f"build_graph(level='page', use_cache=False): {bd['build_s']:.2f} s -> "
                f"n={bd['n']:,} m={bd['m']:,}; SQL before first batch "
                f"{_fmt(bd['sql_before_first_batch_s'], '.2f')} s, streaming fill "
                f"{_fmt(bd['streaming_fill_s'], '.2f')} s, after last batch "
                f"(drop, out_deg, id_collisions) {_fmt(bd['after_last_batch_s'], '.2f')} s"
            )
            print(
                f"then pagerank f32: {bd['rank_s']:.2f} s, {bd['iterations']} it; peak RSS "
                f"build {bd['build_peak'] / MB:.0f} MB ({bpe_build:.1f} B/edge above baseline), "
                f"build+rank {bd['rank_peak'] / MB:.0f} MB ({bpe:.1f} B/edge); RSS after build "
                f"{bd['after_build'] / MB:.0f} MB"
            )
            dist = bd["build_s"] / sc["distinct_s"]
            print(f"ratios: build/scan {ratio:.1f}x; build/DISTINCT {dist:.1f}x")
            targets["store"].append(
                (f"{store['links'] / MB:g}M links", ratio <= TARGET_STORE, f"{ratio:.1f}x")
            )
            targets["bpe"].append(
                (f"store {store['links'] / MB:g}M build+rank", bpe <= TARGET_BPE, f"{bpe:.1f} B/e")
            )
            largest = max(largest, (bd["m"], f"store {store['links'] / MB:g}M links (build+rank)"))
    print()
    print("## targets")
    names = {
        "speedup": f">= {TARGET_SPEEDUP:g}x NetworKit per iteration",
        "bound": f"within {TARGET_BOUND:g}x of the bandwidth bound",
        "bpe": f"<= {TARGET_BPE:g} bytes/edge (build + rank)",
        "store": f"store build within {TARGET_STORE:g}x of DuckDB scan",
    }
    for key, label in names.items():
        items = targets[key]
        if not items:
            print(f"{label}: not measured")
            continue
        ok = all(bool(v) for _, v, _ in items)
        detail = ", ".join(f"{g} {s}{'' if v else ' MISSED'}" for g, v, s in items)
        print(f"{label}: {'MET' if ok else 'MISSED'} ({detail})")
    print(f"largest graph ranked: {largest[1]} with {largest[0]:,} edges")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10,30,100", help="generated graphs, millions of edges")
    ap.add_argument("--engines", default="ours,networkit,igraph,scipy")
    ap.add_argument("--orders", default="host", help="host (id locality) and/or random")
    ap.add_argument("--store-links", type=float, default=None, help="millions; 0 skips")
    ap.add_argument("--quick", action="store_true", help="UKWA + 10M graph, 10M-link store")
    ap.add_argument("--no-ukwa", action="store_true")
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--repeat", type=int, default=15, help="bound kernels: best of N")
    ap.add_argument("--solve-repeat", type=int, default=3, help="solves: best of up to N")
    ap.add_argument("--solve-budget", type=float, default=60.0, help="no more repeats past (s)")
    ap.add_argument("--paired-rounds", type=int, default=5, help="0 skips the paired check")
    ap.add_argument("--paired-iters", type=int, default=10)
    ap.add_argument("--igraph-max", type=float, default=40.0, help="skip igraph above (M edges)")
    ap.add_argument("--igraph-us-per-edge", type=float, default=1.5, help="for the skip note")
    ap.add_argument("--timeout", type=float, default=570.0, help="per child process, seconds")
    ap.add_argument("--json", type=Path, default=OUT / "results.json")
    # child-process plumbing
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--graph", help=argparse.SUPPRESS)
    ap.add_argument("--scores", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--edges", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--order", default="host", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes = "10"
        if args.store_links is None:
            args.store_links = 10.0
    if args.store_links is None:
        args.store_links = 100.0
    args.size_list = [float(s) for s in args.sizes.split(",") if s.strip()]
    args.order_list = [s.strip() for s in args.orders.split(",") if s.strip()]
    engines: list[str] = []
    for e in (s.strip() for s in args.engines.split(",") if s.strip()):
        engines += ["ours32", "ours64"] if e == "ours" else [e]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        ap.error(f"unknown engines: {', '.join(sorted(unknown))}")
    args.engine_list = engines
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    OUT.mkdir(parents=True, exist_ok=True)
    missing = [
        mod
        for mod, eng in (("networkit", "networkit"), ("igraph", "igraph"), ("psutil", None))
        if (eng is None or eng in args.engine_list) and not _importable(mod)
    ]
    if missing:
        _say(f"missing {', '.join(missing)}: pip install -e '.[bench]'")
        return 1
    t0 = time.perf_counter()
    graphs = [bench_graph(name, folder, gen, args) for name, folder, gen in _graph_specs(args)]
    store = bench_store(args) if args.store_links > 0 else None
    _print_report(graphs, store, args)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s; results in {args.json}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"argv": sys.argv[1:], "graphs": graphs, "store": store}, indent=1, default=float
        )
    )
    return 0


def _importable(mod: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(mod) is not None


if __name__ == "__main__":
    raise SystemExit(main())
