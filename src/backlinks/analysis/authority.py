"""Authority answers: rank the index (PageRank, TrustRank, rating, harmonic centrality) into
the ``metrics`` table, list the top nodes, and the what-if of new links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from backlinks import urls
from backlinks.graph.build import LEVELS, Exclusion, Level, build_graph
from backlinks.graph.csr import Graph
from backlinks.rank.harmonic import harmonic
from backlinks.rank.pagerank import pagerank
from backlinks.rank.rating import rating
from backlinks.rank.trust import select_seeds, trustrank
from backlinks.rank.whatif import what_if
from backlinks.settings import SETTINGS
from backlinks.store.db import Store

By = Literal["rating", "pagerank", "trustrank", "harmonic"]
#: Called with (stage description, done, total).
StageProgress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class RankSummary:
    """What one level's ranking did."""

    level: str
    nodes: int
    edges: int
    iterations: int
    seeds: int
    collisions: int | None  # None: not checked (page level, see build_graph)


def _collisions(g: Graph) -> int | None:
    value = g.meta.get("collisions")
    return int(str(value)) if value is not None else None


def node_id(token: str, level: str) -> int:
    """The stable id of a URL / host / domain given as text, at ``level``."""
    text = token.strip()
    url = urls.canonicalize(text if "://" in text else f"http://{text}")
    if url is None:
        raise ValueError(f"not a URL, host or domain: {token!r}")
    host = urls.host_of(url)
    if level == "page":
        return urls.stable_id(url)
    if level == "host":
        return urls.stable_id(host)
    return urls.stable_id(urls.registrable_domain(host))


def dense_of(g: Graph, stable: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Dense ids of stable ids (``-1`` where absent); ``g.ids`` is sorted by construction."""
    want = np.asarray(stable, dtype=np.int64)
    pos = np.searchsorted(g.ids, want)
    pos = np.clip(pos, 0, max(g.n - 1, 0))
    found = g.n > 0 and np.asarray(g.ids[pos] == want)
    return np.where(found, pos, -1).astype(np.int64)


def read_node_list(path: Path, level: str) -> list[int]:
    """Stable ids of the URLs/hosts/domains listed one per line (``#`` comments)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            out.append(node_id(text, level))
    return out


def _allowed_ids(store: Store, level: str, allow: list[str]) -> set[int]:
    domains = [
        urls.stable_id(
            urls.registrable_domain(
                urls.host_of(urls.canonicalize(a if "://" in a else f"http://{a}") or "")
            )
        )
        for a in allow
    ]
    if level == "domain":
        return set(domains)
    table, col = ("hosts", "host_id") if level == "host" else ("pages", "url_id")
    rows = store.con.execute(
        f"SELECT {col} FROM {table} WHERE list_contains(?, domain_id)", [domains]
    ).fetchall()
    return {int(r[0]) for r in rows}


def rank_level(
    store: Store,
    level: Level,
    *,
    seeds: list[int] | None = None,
    auto_seeds: int = 0,
    allow: list[str] | None = None,
    include_nofollow: bool = False,
    damping: float = 0.85,
    tol: float = 1e-6,
    progress: StageProgress | None = None,
    exclude: Exclusion | None = None,
) -> RankSummary:
    """Compute and store PageRank, rating, harmonic centrality (and TrustRank when seeds are
    given or chosen) for every node of one level. ``exclude`` ranks as if those links were
    not there (a disavow file); spam mass is stored where TrustRank is known."""
    g = build_graph(
        store,
        level,
        include_nofollow=include_nofollow,
        exclude=exclude,
        progress=(lambda d, t: progress(f"{level}: graph", d, t)) if progress else None,
    )
    big = g.m > SETTINGS["rank.float32_edges"].value
    pr = pagerank(
        g,
        damping=damping,
        tol=tol,
        dtype=np.float32 if big else np.float64,
        on_iteration=(lambda i, e: progress(f"{level}: pagerank", i, 0)) if progress else None,
    )
    trust: npt.NDArray[np.float64] | None = None
    seed_dense = np.zeros(0, dtype=np.int64)
    if seeds:
        seed_dense = dense_of(g, seeds)
        seed_dense = seed_dense[seed_dense >= 0]
    elif auto_seeds > 0:
        allowed = _allowed_ids(store, level, allow) if allow else None
        seed_dense = select_seeds(
            g,
            k=auto_seeds,
            allow=(lambda v: int(g.ids[v]) in allowed) if allowed is not None else None,
        )
    if seed_dense.size:
        trust = trustrank(g, seed_dense, damping=damping, tol=tol).scores.astype(np.float64)
    if progress:
        progress(f"{level}: harmonic", 0, 0)
    harm = harmonic(g)
    rate = rating(pr.scores, g.in_degree())
    table = pa.table(
        {
            "level": pa.array([level] * g.n, pa.string()),
            "node_id": g.ids,
            "snapshot_id": pa.nulls(g.n, pa.int64()),
            "pagerank": pr.scores.astype(np.float64),
            "trustrank": trust if trust is not None else pa.nulls(g.n, pa.float64()),
            "rating": rate,
            "harmonic": np.asarray(harm, dtype=np.float64),
            "spam_mass": (
                relative_spam_mass(pr.scores, trust)
                if trust is not None
                else pa.nulls(g.n, pa.float64())
            ),
        }
    )
    with store.transaction() as con:
        con.execute("DELETE FROM metrics WHERE level = ? AND snapshot_id IS NULL", [level])
        con.register("_metrics_batch", table)
        con.execute("INSERT INTO metrics SELECT * FROM _metrics_batch")
        con.unregister("_metrics_batch")
    return RankSummary(level, g.n, g.m, pr.iterations, int(seed_dense.size), _collisions(g))


def rank_store(store: Store, levels: tuple[str, ...] = LEVELS, **kwargs: Any) -> list[RankSummary]:
    """Rank every requested level (see :func:`rank_level`)."""
    seeds_file: Path | None = kwargs.pop("seeds_file", None)
    out = []
    for level in levels:
        seeds = read_node_list(seeds_file, level) if seeds_file else None
        out.append(rank_level(store, level, seeds=seeds, **kwargs))  # type: ignore[arg-type]
    return out


_LABELS = {
    "page": "SELECT url_id AS id, any_value(url) AS name FROM pages WHERE url_id IN "
    "(SELECT node_id FROM top) GROUP BY 1 UNION ALL SELECT dst_url_id, any_value(dst_url) "
    "FROM links WHERE dst_url_id IN (SELECT node_id FROM top) GROUP BY 1",
    "host": "SELECT host_id AS id, host AS name FROM hosts WHERE host_id IN "
    "(SELECT node_id FROM top)",
    "domain": "SELECT domain_id AS id, domain AS name FROM domains WHERE domain_id IN "
    "(SELECT node_id FROM top)",
}


def top(
    store: Store, level: str = "domain", by: By = "rating", limit: int | None = 50
) -> pd.DataFrame:
    """Nodes of a level ordered by a metric, with names and referring-domain counts."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    if by not in ("rating", "pagerank", "trustrank", "harmonic"):
        raise ValueError("by must be rating, pagerank, trustrank or harmonic")
    order = f"{by} DESC NULLS LAST, pagerank DESC, node_id"
    key = {"page": "dst_url_id", "host": "dst_host_id", "domain": "dst_domain_id"}[level]
    sql = f"""
        WITH top AS (
            SELECT node_id, pagerank, rating, trustrank, harmonic FROM metrics
            WHERE level = ? AND snapshot_id IS NULL ORDER BY {order}
            {"LIMIT ?" if limit else ""}
        ), names AS ({_LABELS[level]}),
        refs AS (
            SELECT {key} AS id, count(DISTINCT src_domain_id) AS referring_domains
            FROM links WHERE {key} IN (SELECT node_id FROM top)
              AND NOT (nofollow OR ugc OR sponsored) AND src_domain_id <> dst_domain_id
            GROUP BY 1
        )
        SELECT (row_number() OVER (ORDER BY {order}))::INTEGER AS rank,
               coalesce((SELECT any_value(name) FROM names WHERE names.id = top.node_id),
                        top.node_id::VARCHAR) AS name,
               round(rating, 1) AS rating, pagerank, trustrank, harmonic,
               coalesce(refs.referring_domains, 0) AS referring_domains, node_id
        FROM top LEFT JOIN refs ON refs.id = top.node_id
        ORDER BY rank
    """
    params: list[Any] = [level] + ([limit] if limit else [])
    df: pd.DataFrame = store.query(sql, params)
    return df


def relative_spam_mass(
    pagerank: npt.ArrayLike, trustrank: npt.ArrayLike, good_fraction: float = 0.85
) -> npt.NDArray[np.float64]:
    """Relative spam mass (Gyöngyi et al. 2006): the share of a node's PageRank that does not
    come from the good core, ``(p − γ·t) / p`` with ``t`` the TrustRank (teleport to the
    seeds, normalised to sum 1) and ``γ`` the estimated share of good nodes; clipped to
    [-1, 1] for display, 0 where PageRank is 0."""
    p = np.asarray(pagerank, dtype=np.float64)
    core = good_fraction * np.asarray(trustrank, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mass = np.where(p > 0, (p - core) / p, 0.0)
    return np.clip(mass, -1.0, 1.0)


def whatif(
    store: Store,
    sources: list[str],
    target: str,
    level: Level = "domain",
    *,
    exclude: Exclusion | None = None,
) -> dict[str, Any]:
    """Before, after and delta of ``target``'s PageRank and rating if every source linked to
    it (sources and target are URLs, hosts or domains, mapped to ``level``); with
    ``exclude``, both as if those links were disavowed."""
    g = build_graph(store, level, exclude=exclude)
    current = pagerank(g).scores
    extra: dict[int, int] = {}

    def dense(token: str) -> int:
        sid = node_id(token, level)
        found = int(dense_of(g, [sid])[0])
        if found >= 0:
            return found
        return extra.setdefault(sid, g.n + len(extra))

    tgt = dense(target)
    links = [(dense(s), tgt) for s in sources]
    result = what_if(g, current, tgt, links, extra_nodes=len(extra))
    return {
        "level": level,
        "target": target,
        "sources": sources,
        "new_edges": result.added_edges,
        "pagerank_before": result.pagerank_before,
        "pagerank_after": result.pagerank_after,
        "pagerank_delta": result.pagerank_delta,
        "rating_before": round(result.rating_before, 2),
        "rating_after": round(result.rating_after, 2),
        "rating_delta": round(result.rating_delta, 2),
        "iterations": result.iterations,
    }


def rank_graph(g: Graph, *, by: By = "pagerank", limit: int | None = None) -> pd.DataFrame:
    """Scores of every node of a graph loaded from an edge file (no store involved)."""
    return rank_table(g, pagerank(g).scores, by=by, limit=limit)


def rank_table(
    g: Graph, scores: npt.ArrayLike, *, by: By = "pagerank", limit: int | None = None
) -> pd.DataFrame:
    """The ``rank --edges`` table of a graph from its PageRank ``scores`` (however they were
    computed: embedded or on Spark): rank, name, pagerank, rating, harmonic, degrees."""
    pr = np.asarray(scores, dtype=np.float64)
    df = pd.DataFrame(
        {
            "name": g.labels if g.labels is not None else g.ids,
            "pagerank": pr,
            "rating": np.round(rating(pr, g.in_degree()), 1),
            "harmonic": np.asarray(harmonic(g), dtype=np.float64),
            "in_degree": g.in_degree(),
            "out_degree": g.out_deg,
        }
    )
    key = "pagerank" if by in ("pagerank", "trustrank") else by
    df = df.sort_values([key, "name"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df.head(limit) if limit else df


def rank_compare(
    store: Store, level: Level, exclude: Exclusion, *, limit: int | None = 50
) -> pd.DataFrame:
    """PageRank and rating of every node with and without the excluded links (e.g. a
    disavow file), biggest rating change first. Stored metrics are not touched."""
    base = build_graph(store, level)
    cut = build_graph(store, level, exclude=exclude)
    pr_base, pr_cut = pagerank(base).scores, pagerank(cut).scores
    rate_base = rating(pr_base, base.in_degree())
    rate_cut = rating(pr_cut, cut.in_degree())
    after = pd.DataFrame({"node_id": cut.ids, "pagerank_after": pr_cut, "rating_after": rate_cut})
    df = pd.DataFrame(
        {"node_id": base.ids, "pagerank_before": pr_base, "rating_before": rate_base}
    ).merge(after, on="node_id", how="outer")
    df = df.fillna(0.0)
    df["rating_delta"] = df.rating_after - df.rating_before
    df["pagerank_delta"] = df.pagerank_after - df.pagerank_before
    for col in ("rating_before", "rating_after", "rating_delta"):
        df[col] = df[col].round(2)
    df = df.reindex(df.rating_delta.abs().sort_values(ascending=False, kind="stable").index)
    df = df.head(limit) if limit else df
    names = store.query(
        f"WITH top AS (SELECT unnest(?::BIGINT[]) AS node_id) {_LABELS[level]}",
        [df.node_id.tolist()],
    )
    label = dict(zip(names.id, names.name, strict=False))
    df.insert(0, "name", [label.get(i, str(i)) for i in df.node_id])
    cols = ["name", "rating_before", "rating_after", "rating_delta", "pagerank_before",
            "pagerank_after", "pagerank_delta", "node_id"]  # fmt: skip
    return df.loc[:, cols].reset_index(drop=True)
