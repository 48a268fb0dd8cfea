"""Backlinks over time: the flow of referring domains and links from snapshot to snapshot,
and the backlinks new and lost between two snapshots, each lost one with why.

A backlink here is a (source page, target URL) pair, internal links (same registrable
domain) left out. Between snapshots ``from`` and ``to`` it is

* **lost** when present in ``from`` and absent in ``to``, or when it was followed in ``from``
  and is present in ``to`` only as nofollow/ugc/sponsored (``now nofollow``: lost as a
  followed link, it no longer passes authority);
* **new** when present in ``to`` and absent in ``from``, or followed in ``to`` after being
  present in ``from`` only unfollowed (``now followed``).

A lost link's reason comes from what the source page answered in ``to``: ``page gone (404)``
/ ``page gone (410)``, ``redirected`` (3xx or a recorded redirect target), ``page error
(NNN)`` (another 4xx/5xx), ``removed`` (re-fetched without the link). ``not re-crawled``
means the page is not in ``to`` at all: no fact of loss — unless ``backlinks verify`` recorded
one in ``link_history``, which is then given as ``<reason> (verify)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from typing import Any, Final

import duckdb
import pandas as pd

from backlinks import urls
from backlinks.analysis.backlinks import Mode, Target, resolve_target
from backlinks.store.db import Store

__all__ = [
    "NEW_LOST_COLUMNS",
    "TIMELINE_COLUMNS",
    "external_links",
    "flow",
    "link_snapshots",
    "new_lost",
    "target_domain",
    "timeline",
]

NEW_LOST_COLUMNS: Final = (
    "change", "source_url", "source_domain", "target_url", "anchor", "nofollow",
    "first_seen", "last_seen", "reason",
)  # fmt: skip
TIMELINE_COLUMNS: Final = (
    "snapshot_id", "started_at", "referring_domains", "new_domains", "lost_domains",
    "backlinks", "new_links", "lost_links",
)  # fmt: skip
#: ``link_history.lost_reason`` (written by ``backlinks verify``) in new-lost's words.
VERIFY_REASONS: Final = {
    "removed": "removed",
    "now_nofollow": "now nofollow",
    "page_gone": "page gone",
    "redirected": "redirected",
    "blocked_robots": "blocked by robots.txt",
    "unreachable": "unreachable",
}
_FOLLOWED: Final = "NOT (l.nofollow OR l.ugc OR l.sponsored)"


def target_domain(target: Target) -> str:
    """The registrable domain of a resolved target (links from it are internal)."""
    host = target.value if target.mode in ("host", "domain") else urls.host_of(target.value)
    return urls.registrable_domain(host)


def external_links(target: Target) -> tuple[str, list[Any]]:
    """SQL condition on ``links l`` for the target's external backlinks: its own condition,
    the domain (and host) that a host, URL or prefix target implies — redundant, but it lets
    DuckDB's zone maps skip row groups when ``links`` is clustered by target — and links
    from its own registrable domain left out."""
    cond, params = target.where
    domain = urls.stable_id(target_domain(target))
    implied: list[str] = []
    values: list[Any] = []
    if target.mode != "domain":
        implied.append("l.dst_domain_id = ?")
        values.append(domain)
    if target.mode in ("url", "prefix"):
        implied.append("l.dst_host_id = ?")
        values.append(urls.stable_id(urls.host_of(target.value)))
    sql = " AND ".join([*implied, cond, "l.src_domain_id <> ?"])
    return sql, [*values, *params, domain]


def link_snapshots(store: Store) -> pd.DataFrame:
    """The snapshots that hold links, oldest first (``started_at``, then id).

    One ``LIMIT 1`` probe per snapshot: links are written snapshot by snapshot, so DuckDB's
    per-row-group min/max skips the others and no probe scans the table."""
    rows = store.con.execute(
        "SELECT snapshot_id, started_at FROM snapshots ORDER BY started_at NULLS LAST, snapshot_id"
    ).fetchall()
    keep = [
        (int(sid), started)
        for sid, started in rows
        if store.con.execute("SELECT 1 FROM links WHERE snapshot_id = ? LIMIT 1", [sid]).fetchall()
    ]
    return pd.DataFrame(
        {
            "snapshot_id": pd.Series([k[0] for k in keep], dtype="int64"),
            "started_at": pd.Series([k[1] for k in keep], dtype="datetime64[us]"),
        }
    )


def flow(
    con: duckdb.DuckDBPyConnection, relation: str, keys: Sequence[str], snaps: pd.DataFrame
) -> pd.DataFrame:
    """Per snapshot of ``snaps`` (in their order): how many distinct ``keys`` the relation
    holds (``present``), how many of them were not in the previous snapshot (``new``; all
    of them in the first) and how many of the previous snapshot's are gone (``lost``), so
    ``present[k] = present[k-1] + new[k] - lost[k]``. ``relation`` is a table name of ours
    (never user input) with a ``snapshot_id`` column and the (non-null) ``keys``."""
    order = pd.DataFrame(
        {"snapshot_id": snaps["snapshot_id"].astype("int64"), "k": range(len(snaps))}
    )
    cols = ", ".join(keys)
    same = " AND ".join(f"b.{k} = a.{k}" for k in keys)
    con.register("_h_order", order)
    try:
        df = con.execute(
            f"""
            WITH pres AS (
                SELECT DISTINCT o.k, {cols} FROM {relation} r JOIN _h_order o USING (snapshot_id)
            ), cur AS (SELECT k, count(*) AS n FROM pres GROUP BY k),
            gained AS (
                SELECT a.k, count(*) AS n FROM pres a
                WHERE NOT EXISTS (SELECT 1 FROM pres b WHERE b.k = a.k - 1 AND {same})
                GROUP BY a.k
            ), gone AS (
                SELECT a.k + 1 AS k, count(*) AS n FROM pres a
                WHERE NOT EXISTS (SELECT 1 FROM pres b WHERE b.k = a.k + 1 AND {same})
                GROUP BY a.k
            )
            SELECT o.k, coalesce(cur.n, 0) AS present, coalesce(gained.n, 0) AS new,
                   coalesce(gone.n, 0) AS lost
            FROM _h_order o LEFT JOIN cur USING (k) LEFT JOIN gained USING (k)
            LEFT JOIN gone USING (k) ORDER BY o.k
            """
        ).df()
    finally:
        con.unregister("_h_order")
    out = snaps.loc[:, ["snapshot_id", "started_at"]].reset_index(drop=True)
    for col in ("present", "new", "lost"):
        out[col] = df[col].astype("int64").to_numpy()
    return out


def timeline(store: Store, target: str, *, mode: Mode = "auto") -> pd.DataFrame:
    """Per snapshot holding links, oldest first: the target's referring domains and
    backlinks (source page, target URL), and how many of each are new or lost since the
    previous snapshot (see :func:`flow`). Presence only: a link turned nofollow is still
    present here (``new_lost`` lists it as lost). A partial crawl (e.g. ``verify``) shows
    every page it did not fetch as lost; ``new_lost`` says ``not re-crawled`` for those."""
    resolved = resolve_target(target, mode)
    cond, params = external_links(resolved)
    snaps = link_snapshots(store)
    with closing(store.con.cursor()) as cur:
        cur.execute(
            "CREATE TEMP TABLE _h_pairs AS SELECT DISTINCT l.snapshot_id, l.src_url_id, "
            f"l.dst_url_id, l.src_domain_id FROM links l WHERE {cond}",
            params,
        )
        domains = flow(cur, "_h_pairs", ["src_domain_id"], snaps)
        pairs = flow(cur, "_h_pairs", ["src_url_id", "dst_url_id"], snaps)
    out = domains.rename(
        columns={"present": "referring_domains", "new": "new_domains", "lost": "lost_domains"}
    )
    out["backlinks"] = pairs["present"]
    out["new_links"] = pairs["new"]
    out["lost_links"] = pairs["lost"]
    return out.loc[:, list(TIMELINE_COLUMNS)]


def _pick_snapshots(
    store: Store, from_snapshot: int | None, to_snapshot: int | None
) -> tuple[int, int]:
    """Explicit ids (checked), or the last two snapshots holding links (the one before
    ``to`` when only ``to`` is given, the latest after ``from`` when only ``from`` is)."""
    ids = [int(s) for s in link_snapshots(store)["snapshot_id"]]
    known = {int(r[0]) for r in store.con.execute("SELECT snapshot_id FROM snapshots").fetchall()}
    for sid in (from_snapshot, to_snapshot):
        if sid is not None and sid not in known:
            raise ValueError(f"no snapshot {sid} in the index (see `backlinks snapshots`)")
    if from_snapshot is not None and to_snapshot is not None:
        return from_snapshot, to_snapshot
    if to_snapshot is not None:
        before = ids[: ids.index(to_snapshot)] if to_snapshot in ids else []
        if not before:
            raise ValueError(f"no snapshot with links before {to_snapshot}; give --from")
        return before[-1], to_snapshot
    if from_snapshot is not None:
        after = ids[ids.index(from_snapshot) + 1 :] if from_snapshot in ids else []
        if not after:
            raise ValueError(f"no snapshot with links after {from_snapshot}; give --to")
        return from_snapshot, after[-1]
    if len(ids) < 2:
        raise ValueError(f"new/lost needs two snapshots with links; the index has {len(ids)}")
    return ids[-2], ids[-1]


#: The changed (source page, target URL) pairs, with the row id of a followed link of each
#: where there is one (for its strings) and the snapshot whose page state tells the story.
_CHANGES_SQL = """
CREATE TEMP TABLE _h_changes AS
WITH t AS (
    SELECT l.snapshot_id, l.src_url_id, l.dst_url_id, any_value(l.src_domain_id) AS src_domain_id,
           bool_or({followed}) AS followed,
           coalesce(min(l.rowid) FILTER (WHERE {followed}), min(l.rowid)) AS rid
    FROM links l
    WHERE {cond} AND l.snapshot_id IN ($from, $to)
    GROUP BY l.snapshot_id, l.src_url_id, l.dst_url_id
), a AS (SELECT * FROM t WHERE snapshot_id = $from),
b AS (SELECT * FROM t WHERE snapshot_id = $to)
SELECT 'lost' AS change, a.src_url_id, a.dst_url_id, a.src_domain_id, a.rid,
       NOT a.followed AS nofollow, b.src_url_id IS NOT NULL AS still_there, $to AS tell
FROM a LEFT JOIN b USING (src_url_id, dst_url_id)
WHERE b.src_url_id IS NULL OR (a.followed AND NOT b.followed)
UNION ALL
SELECT 'new', b.src_url_id, b.dst_url_id, b.src_domain_id, b.rid, NOT b.followed,
       a.src_url_id IS NOT NULL, $from
FROM b LEFT JOIN a USING (src_url_id, dst_url_id)
WHERE a.src_url_id IS NULL OR (b.followed AND NOT a.followed)
"""
#: What each changed pair's source page answered in the telling snapshot (its ``pages`` row).
_STATE_SQL = """
CREATE TEMP TABLE _h_state AS
SELECT c.url_id, c.snapshot_id, arg_max(p.status, p.fetched_at) AS status,
       bool_or(p.redirect_to_url_id IS NOT NULL) AS redirects
FROM (SELECT DISTINCT src_url_id AS url_id, tell AS snapshot_id FROM _h_changes) c
JOIN pages p ON p.url_id = c.url_id AND p.snapshot_id = c.snapshot_id
GROUP BY ALL
"""
#: A snapshot without ``pages`` rows (a web-graph import) stores links only: there a source
#: page with links in that snapshot was fetched, with no status known.
_LINKED_SQL = """
INSERT INTO _h_state
SELECT DISTINCT c.src_url_id, c.tell, NULL, false
FROM _h_changes c JOIN links l ON l.src_url_id = c.src_url_id AND l.snapshot_id = c.tell
WHERE c.tell = ?
"""
_NEW_LOST_SQL = """
WITH seen AS (
    SELECT l.src_url_id, l.dst_url_id, min(l.seen_at) AS first_seen, max(l.seen_at) AS last_seen
    FROM links l SEMI JOIN _h_changes c
         ON c.src_url_id = l.src_url_id AND c.dst_url_id = l.dst_url_id
    WHERE {cond} AND l.snapshot_id IN (
        SELECT snapshot_id FROM snapshots WHERE snapshot_id = $to
        OR started_at <= (SELECT started_at FROM snapshots WHERE snapshot_id = $to))
    GROUP BY ALL
), text AS (
    SELECT l.rowid AS rid, l.src_url, l.dst_url, l.anchor FROM links l
    WHERE l.rowid IN (SELECT rid FROM _h_changes)
), verified AS (
    SELECT src_url_id, dst_url_id, any_value(lost_reason) AS code FROM link_history
    WHERE lost_reason IS NOT NULL GROUP BY ALL
)
SELECT c.change, x.src_url AS source_url, d.domain AS source_domain, x.dst_url AS target_url,
       x.anchor, c.nofollow, s.first_seen, s.last_seen,
       CASE
         WHEN c.change = 'new' AND c.still_there THEN 'now followed'
         WHEN c.change = 'new' THEN (CASE WHEN st.url_id IS NULL THEN 'new page' ELSE 'added' END)
         WHEN c.still_there THEN 'now nofollow'
         WHEN st.url_id IS NULL THEN coalesce(coalesce(vt.text, v.code) || ' (verify)',
                                             'not re-crawled')
         WHEN st.status IN (404, 410) THEN 'page gone (' || st.status || ')'
         WHEN st.redirects OR st.status BETWEEN 300 AND 399 THEN 'redirected'
         WHEN st.status >= 400 THEN 'page error (' || st.status || ')'
         ELSE 'removed'
       END AS reason
FROM _h_changes c
JOIN text x USING (rid)
LEFT JOIN domains d ON d.domain_id = c.src_domain_id
LEFT JOIN seen s USING (src_url_id, dst_url_id)
LEFT JOIN _h_state st ON st.url_id = c.src_url_id AND st.snapshot_id = c.tell
LEFT JOIN verified v USING (src_url_id, dst_url_id)
LEFT JOIN _h_verify vt ON vt.code = v.code
ORDER BY c.change, source_domain NULLS LAST, source_url, target_url
"""


def new_lost(
    store: Store,
    target: str,
    *,
    mode: Mode = "auto",
    from_snapshot: int | None = None,
    to_snapshot: int | None = None,
) -> pd.DataFrame:
    """The target's backlinks new and lost between two snapshots (default: the last two
    holding links), lost ones with why (see the module docstring). ``nofollow`` is the
    link's state in the snapshot that row describes (``from`` for lost, ``to`` for new),
    ``anchor`` that of its first followed link there (else its first link); first/last seen
    span every snapshot up to ``to``. All in SQL over the target's rows; URL and anchor
    strings are read (by row id) for the changed links alone."""
    src, dst = _pick_snapshots(store, from_snapshot, to_snapshot)
    cond, params = external_links(resolve_target(target, mode))
    named = {f"p{k}": v for k, v in enumerate(params)}
    for k in range(len(params)):  # positional ? -> named $pK, reused in several statements
        cond = cond.replace("?", f"$p{k}", 1)
    snaps = {"from": src, "to": dst}
    verify = pd.DataFrame({"code": list(VERIFY_REASONS), "text": list(VERIFY_REASONS.values())})
    with closing(store.con.cursor()) as cur:
        cur.execute("BEGIN TRANSACTION")  # row ids are read twice: one consistent view
        cur.execute(_CHANGES_SQL.format(cond=cond, followed=_FOLLOWED), {**named, **snaps})
        cur.execute(_STATE_SQL)
        for sid in (src, dst):
            if not cur.execute(
                "SELECT 1 FROM pages WHERE snapshot_id = ? LIMIT 1", [sid]
            ).fetchall():
                cur.execute(_LINKED_SQL, [sid])
        cur.register("_h_verify", verify)
        df: pd.DataFrame = cur.execute(_NEW_LOST_SQL.format(cond=cond), {**named, "to": dst}).df()
        cur.execute("COMMIT")
    return df.loc[:, list(NEW_LOST_COLUMNS)]
