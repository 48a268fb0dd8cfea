"""Query latency of ``backlinks links`` and ``profile`` on a big synthetic store.

Builds once (cached in ``bench/out/query/``) a DuckDB store with the project's schema filled in
DuckDB SQL: ``--links`` link rows (default 100M) from synthetic source pages in ingest order
(snapshot by snapshot, page by page), two snapshots, ``pages``, ``hosts``, ``domains`` and a
domain-level ``metrics`` table. A few target domains ("megabrand.com" with
``--big-domain-links`` rows, and domains with 1/10, 1/100 and 1/1000 of that) carry ids that
are ``backlinks.urls.stable_id`` of their canonical strings, so the project's own query
functions find them. Then it times, per query and target, the first query in a fresh process
("cold": DuckDB's buffers empty, the OS page cache as it is) and p50/p95 over ``--repeats``
warm rounds (every query on every target in turn), for:

    links        ``backlinks.analysis.backlinks.backlinks(store, target, limit=100)``
    links-topn   the proposed rewrite of it (:func:`links_topn`, same rows)
    profile-sql  the aggregates a profile shows, as plain SQL (:func:`profile_sql`)
    profile      ``backlinks.analysis.profile.profile(store, target)``, when it exists

plus ``backlinks links DOMAIN --db STORE --limit 100`` end to end, once. ``--variants`` picks
store layouts, prototyped on the bench's own files (nothing under src/ changes):

    base      the store as ingest leaves it (links in source-page order)
    sorted    links rewritten ORDER BY dst_domain_id, dst_host_id, dst_url_id (a copy)
    sorted+   sorted, and host/URL targets also filter on the domain (and host) they imply
    runs      each snapshot's links rewritten in that order in place (:func:`sort_snapshot`)
    tail      sorted+ with 10% more links appended unsorted (an ingest since the last sort)
    summary   sorted+ with per target-domain aggregate tables (and ``profile-summary``)
    art       base with ART indexes on the three target ids
    threads1  sorted+ with DuckDB threads=1

``art``, ``tail`` and ``runs`` copies are deleted after use (``--keep``); ``--clean`` deletes
the store and every copy.

    .venv/bin/python bench/query_bench.py                                 # 100M links
    .venv/bin/python bench/query_bench.py --links 200000 --big-domain-links 20000 --repeats 5
    .venv/bin/python bench/query_bench.py --clean                         # delete the stores
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out" / "query"
TARGET_P95_MS = 300.0
#: DuckDB memory_limit while building the store and its variants (``--memory-limit``).
MEMORY_LIMIT = os.environ.get("QUERY_BENCH_MEMORY", "8GB")

#: Snapshot number -> (first day of its crawl window). The crawl takes a week.
SNAP_DAYS = {1: "2024-01-01", 2: "2024-01-29"}
RECRAWL_PCT = 80  # pages fetched again in snapshot 2
CHANGED_PCT = 5  # links of a re-fetched page that differ from the first fetch
LINKS_MIN, LINKS_SPAN = 3, 25  # links per page: 3..27, mean 15
SITE_LOG2 = 7  # pages per site: 2^(7u) for uniform u, 1..128, mean ~26
CHUNK_LINKS = 4_000_000
_WORDS = (
    "best cheap guide review news free online top new how green city home travel food "
    "garden music sport bike shoes coffee design photo tech health family money car"
)
WORDS = tuple(_WORDS.split())
CATS = ("blog", "news", "reviews", "guides", "forum", "shop")
TLDS = ("com", "net", "org", "de", "co.uk", "io", "info", "fr")
GENERIC = ("click here", "read more", "here", "website", "this site", "source", "link", "more")
#: Target domains: name, brand, keyword, divisor of --big-domain-links, rating.
SPECIAL = (
    ("megabrand.com", "MegaBrand", "running shoes", 1, 88.0),
    ("midbrand.net", "MidBrand", "garden tools", 10, 62.0),
    ("nicheshop.com", "NicheShop", "coffee beans", 100, 41.0),
    ("tinyblog.org", "TinyBlog", "bike repair", 1000, 23.0),
)


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _lit(values: tuple[str, ...] | list[str]) -> str:
    """A DuckDB list literal of constant strings (ours, never user input)."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def special_pages(big: int) -> list[dict[str, Any]]:
    """Every page of the target domains, with ids exactly as the project computes them."""
    from backlinks import urls

    rows = []
    for t, (name, _brand, _kw, div, _rating) in enumerate(SPECIAL):
        for j in range(_n_pages(big // div)):
            if j == 0:
                url = f"https://www.{name}/"
            elif j % 10 == 9:
                url = f"https://blog.{name}/posts/post-{j}/"
            else:
                url = f"https://www.{name}/products/item-{j}/"
            canon = urls.canonicalize(url)
            assert canon == url, (url, canon)
            host = urls.host_of(url)
            rows.append(
                {
                    "t_id": t,
                    "t_j": j,
                    "t_url": url,
                    "t_url_id": urls.stable_id(url),
                    "t_host": host,
                    "t_host_id": urls.stable_id(host),
                    "t_domain_id": urls.stable_id(urls.registrable_domain(host)),
                }
            )
    return rows


def _n_pages(rows: int) -> int:
    return min(20_000, max(50, rows // 50))


def _macros() -> list[str]:
    """SQL macros naming the bulk sites' pages: the same (site, page) gives the same strings
    and ids whether it is a link's source or its target. Bulk ids are DuckDB hashes shifted
    to the signed range (as xxh64 ids are), not xxh64: only the target domains must match
    ``backlinks.urls.stable_id``."""
    return [
        f"CREATE OR REPLACE TEMP MACRO dom(s) AS 'site' || printf('%06d', s) || '.' || "
        f"{_lit(TLDS)}[(1 + hash(s::BIGINT, 3) % {len(TLDS)})::INT]",
        "CREATE OR REPLACE TEMP MACRO hkind(s, j) AS "
        "CASE WHEN hash(s::BIGINT, 5) % 4 = 0 AND j % 5 = 4 THEN 1 ELSE 0 END",
        "CREATE OR REPLACE TEMP MACRO hname(s, j) AS "
        "CASE WHEN hkind(s, j) = 1 THEN 'blog.' ELSE 'www.' END || dom(s)",
        "CREATE OR REPLACE TEMP MACRO page_url(s, j) AS 'https://' || hname(s, j) || "
        "CASE WHEN j = 0 THEN '/' ELSE "
        f"'/' || {_lit(CATS)}[(1 + hash(s::BIGINT, j::BIGINT, 4) % {len(CATS)})::INT] || '/' "
        f"|| {_lit(WORDS)}[(1 + hash(s::BIGINT, j::BIGINT, 6) % {len(WORDS)})::INT] || '-' "
        "|| j::VARCHAR || '/' END",
        "CREATE OR REPLACE TEMP MACRO sid(h) AS (h::HUGEINT - 9223372036854775808)::BIGINT",
        "CREATE OR REPLACE TEMP MACRO uid(s, j) AS sid(hash(s::BIGINT, j::BIGINT, 11))",
        "CREATE OR REPLACE TEMP MACRO hid(s, j) AS sid(hash(s::BIGINT, hkind(s, j)::BIGINT, 12))",
        "CREATE OR REPLACE TEMP MACRO did(s) AS sid(hash(s::BIGINT, 13))",
        "CREATE OR REPLACE TEMP MACRO unit(h) AS (h % 1000003) / 1000003.0",
    ]


def _plan(con: Any, links: int) -> int:
    """Temp tables ``_sites`` and ``_visits`` (one row per page fetch, in ingest order: all of
    snapshot 1 site by site, then the re-fetched pages in snapshot 2, with each fetch's link
    count and chunk), just enough sites for ``links`` rows; returns the number of sites."""
    mean_site = 2**SITE_LOG2 / (SITE_LOG2 * 0.693)
    per_site = mean_site * (LINKS_MIN + (LINKS_SPAN - 1) / 2) * (100 + RECRAWL_PCT) / 100
    n_sites = max(4, int(links / per_site * 1.3))
    while True:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _pg AS
            WITH st AS (SELECT range AS s,
                (1 + floor(pow(2, {SITE_LOG2} * unit(hash(range, 1)))))::BIGINT AS n
                FROM range({n_sites})),
            p AS (SELECT s, n AS n_site, unnest(range(n)) AS j FROM st)
            SELECT s, j, n_site, {LINKS_MIN} + hash(s, j, 3) % {LINKS_SPAN} AS nl0,
                   hash(s, j, 2) % 100 < {RECRAWL_PCT} AS again FROM p"""
        )
        row = con.execute(
            f"""SELECT min(s) FILTER (WHERE cum >= {links}) FROM (
                SELECT s, sum(tot) OVER (ORDER BY s) AS cum FROM (
                    SELECT s, sum(nl0 * (1 + again::INT)) AS tot FROM _pg GROUP BY s))"""
        ).fetchone()
        if row and row[0] is not None:
            last = int(row[0])
            break
        n_sites *= 2
    con.execute(f"DELETE FROM _pg WHERE s > {last}")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _visits AS
        WITH v AS (
            SELECT 1 AS snap, s, j, n_site, nl0 FROM _pg
            UNION ALL SELECT 2, s, j, n_site, nl0 FROM _pg WHERE again
        ), c AS (SELECT *, sum(nl0) OVER (ORDER BY snap, s, j) - nl0 AS lstart FROM v)
        SELECT snap, s, j, n_site, least(nl0, {links} - lstart)::BIGINT AS nl, lstart,
               lstart // {CHUNK_LINKS} AS c
        FROM c WHERE lstart < {links}"""
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _sites AS SELECT DISTINCT s FROM _pg")
    con.execute("DROP TABLE _pg")
    return last + 1


def _special_case(links: int, big: int) -> tuple[str, str, str]:
    """CASE expressions: which target domain a link row points at (-1: none), which of its
    pages, and its anchor. A target with R rows is linked from a fraction f of the sites
    (chosen by hash) by a fraction R / (links * f) of their links: sitewide-style, so its
    referring domains are far fewer than its links."""
    lo, whens, pages, anchors = 0.0, [], [], []
    for t, (name, brand, kw, div, _r) in enumerate(SPECIAL):
        rows = big // div
        f = min(1.0, max(0.01, 8 * rows / links))
        p = rows / (links * f)
        whens.append(
            f"WHEN u >= {lo!r} AND u < {lo + p!r} AND hash(s, {t}, 41) % 1000000 < {f * 1e6:.0f}"
            f" THEN {t}"
        )
        lo += p
        pages.append(f"WHEN {t} THEN {_n_pages(rows)}")
        words = [
            brand,
            name,
            f"https://www.{name}/",
            f"best {kw}",
            f"{kw} online",
            f"{brand} {kw}",
            kw,
            "click here",
            "read more",
            "here",
        ]
        anchors.append(f"WHEN {t} THEN {_lit(words)}[(1 + h3 % {len(words)})::INT]")
    if lo > 0.9:
        _say(f"warning: target domains take {lo:.0%} of their sites' links")
    return (
        f"CASE {' '.join(whens)} ELSE -1 END",
        f"CASE t {' '.join(pages)} ELSE 1 END",
        f"CASE w.t {' '.join(anchors)} END",
    )


def _links_sql(links: int, big: int, n_sites: int, snap_ids: dict[int, int]) -> str:
    """INSERT of the link rows of one chunk of page fetches (``$1``)."""
    case_t, case_pages, case_anchor = _special_case(links, big)
    sid = f"CASE snap WHEN 1 THEN {snap_ids[1]} ELSE {snap_ids[2]} END"
    return f"""
    INSERT INTO links BY NAME
    WITH r AS (
        SELECT snap, s, j, n_site, unnest(range(nl)) AS k FROM _visits WHERE c = $1
    ), x AS (
        SELECT *, CASE WHEN snap = 2 AND hash(s, j, k, 31) % 100 < {CHANGED_PCT}
                  THEN 2 ELSE 1 END AS ver FROM r
    ), y AS (
        SELECT *, hash(s, j, k, ver, 7) / 18446744073709551616.0 AS u,
               hash(s, j, k, ver, 8) AS h2, hash(s, j, k, ver, 9) AS h3 FROM x
    ), z AS (
        SELECT *, {case_t} AS t FROM y
    ), w AS (
        SELECT *,
            CASE WHEN t >= 0 THEN (floor(pow({case_pages} + 1, unit(h2))) - 1)::BIGINT END AS tj,
            CASE WHEN (h2 >> 32) % 100 < 50 THEN s
                 ELSE hash(floor({n_sites} * pow(unit(h2), 3))::BIGINT, 17) % {n_sites}
            END::BIGINT AS ds,
            CASE WHEN (h2 >> 32) % 100 < 50 THEN floor(n_site * pow(unit(h2 >> 20), 2))
                 ELSE floor(6 * pow(unit(h2 >> 20), 2)) END::BIGINT AS dj,
            CASE WHEN h3 % 100 < 55 THEN 'content' WHEN h3 % 100 < 70 THEN 'nav'
                 WHEN h3 % 100 < 82 THEN 'footer' WHEN h3 % 100 < 90 THEN 'aside'
                 WHEN h3 % 100 < 95 THEN 'header' ELSE 'comment' END AS section,
            (h3 >> 8) % 100 < 8 AS is_image
        FROM z
    )
    SELECT
        uid(s, j) AS src_url_id, page_url(s, j) AS src_url, hid(s, j) AS src_host_id,
        did(s) AS src_domain_id,
        coalesce(tp.t_url_id, uid(ds, dj)) AS dst_url_id,
        coalesce(tp.t_url, page_url(ds, dj)) AS dst_url,
        coalesce(tp.t_host_id, hid(ds, dj)) AS dst_host_id,
        coalesce(tp.t_domain_id, did(ds)) AS dst_domain_id,
        CASE WHEN is_image THEN ''
             WHEN w.t >= 0 THEN {case_anchor}
             WHEN (h3 >> 48) % 100 < 14 THEN {_lit(GENERIC)}[(1 + (h3 >> 4) % {len(GENERIC)})::INT]
             WHEN (h3 >> 48) % 100 < 27 THEN hname(ds, dj)
             ELSE {_lit(WORDS)}[(1 + (h2 >> 8) % {len(WORDS)})::INT] || ' '
                  || {_lit(WORDS)}[(1 + (h2 >> 16) % {len(WORDS)})::INT]
        END AS anchor,
        ((h3 >> 24) % 100 < 13) OR (section = 'comment' AND (h3 >> 32) % 2 = 0) AS nofollow,
        section = 'comment' AND (h3 >> 16) % 10 < 6 AS ugc,
        (h3 >> 40) % 100 < 1 AS sponsored,
        is_image, section, (k + 1)::INTEGER AS position, {sid} AS snapshot_id,
        TIMESTAMP '2024-01-01' + to_days((CASE snap WHEN 1 THEN 0 ELSE 28 END)::INTEGER)
            + to_seconds((hash(s, j, snap, 19) % 604800)::BIGINT) AS seen_at
    FROM w LEFT JOIN _tpages tp ON tp.t_id = w.t AND tp.t_j = w.tj
    """


def _pages_sql(snap_ids: dict[int, int]) -> str:
    sid = f"CASE snap WHEN 1 THEN {snap_ids[1]} ELSE {snap_ids[2]} END"
    return f"""
    INSERT INTO pages BY NAME
    SELECT uid(s, j) AS url_id, page_url(s, j) AS url, hid(s, j) AS host_id, did(s) AS domain_id,
           {sid} AS snapshot_id,
           TIMESTAMP '2024-01-01' + to_days((CASE snap WHEN 1 THEN 0 ELSE 28 END)::INTEGER)
               + to_seconds((hash(s, j, snap, 19) % 604800)::BIGINT) AS fetched_at,
           200::SMALLINT AS status, 'text/html' AS content_type,
           'Article ' || j::VARCHAR || ' - ' || dom(s) AS title, 'en' AS lang,
           false AS robots_noindex, false AS robots_nofollow, nl::INTEGER AS links_out,
           0 AS non_web_links
    FROM _visits WHERE c = $1
    """


def build_store(path: Path, links: int, big: int) -> dict[str, Any]:
    """Create the store at ``path`` (via ``path.tmp``, renamed when complete)."""
    import pandas as pd

    from backlinks import urls
    from backlinks.store.db import Store

    t0 = time.perf_counter()
    tmp = path.with_name(path.name + ".tmp")
    for p in (tmp, Path(f"{tmp}.wal")):
        p.unlink(missing_ok=True)
    snap_ids = {n: urls.stable_id(f"query-bench-snapshot-{n}") for n in SNAP_DAYS}
    with Store(tmp) as st:
        con = st.con
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        for m in _macros():
            con.execute(m)
        tpages = pd.DataFrame(special_pages(big))
        con.register("_tp", tpages)
        con.execute("CREATE TEMP TABLE _tpages AS SELECT * FROM _tp")
        con.unregister("_tp")
        n_sites = _plan(con, links)
        n_chunks = int(con.execute("SELECT max(c) + 1 FROM _visits").fetchone()[0])  # type: ignore[index]
        _say(f"[build] {links:,} links, {n_sites:,} sites, {n_chunks} chunks -> {path}")
        for n, day in SNAP_DAYS.items():
            con.execute(
                "INSERT INTO snapshots VALUES (?, 'synthetic', ?::TIMESTAMP, "
                "?::TIMESTAMP + INTERVAL 7 DAY, ?, 0, true, ?)",
                [
                    snap_ids[n],
                    day,
                    day,
                    f"query_bench snapshot {n}",
                    datetime.now(UTC).replace(tzinfo=None),
                ],
            )
        con.execute("""INSERT INTO domains SELECT did(s), dom(s) FROM _sites""")
        con.execute(
            """INSERT INTO hosts SELECT hid(s, 0), hname(s, 0), did(s) FROM _sites
               UNION ALL SELECT hid(s, 4), hname(s, 4), did(s) FROM _sites WHERE hkind(s, 4) = 1"""
        )
        spec = tpages.drop_duplicates("t_host_id")
        for row in spec.itertuples():
            con.execute(
                "INSERT OR IGNORE INTO hosts VALUES (?, ?, ?)",
                [row.t_host_id, row.t_host, row.t_domain_id],
            )
        for t, (name, *_rest, rating) in enumerate(SPECIAL):
            did = urls.stable_id(name)
            con.execute("INSERT OR IGNORE INTO domains VALUES (?, ?)", [did, name])
            con.execute(
                "INSERT INTO metrics VALUES ('domain', ?, NULL, ?, ?, ?, ?, 0.01)",
                [did, rating / 1e5, rating / 2e5, rating, rating * 1000],
            )
            del t
        con.execute(
            """INSERT INTO metrics
            SELECT 'domain', did(s), NULL, pr, pr * (0.3 + 0.7 * unit(hash(s, 22))),
                   round(100 * pow(u, 3), 1), 1000 * u, unit(hash(s, 24))
            FROM (SELECT s, unit(hash(s, 21)) AS u,
                         1e-7 * (1 + 1000 * pow(unit(hash(s, 21)), 12)) AS pr FROM _sites)"""
        )
        ins_links = _links_sql(links, big, n_sites, snap_ids)
        ins_pages = _pages_sql(snap_ids)
        tc = time.perf_counter()
        for c in range(n_chunks):
            con.execute(ins_links, [c])
            con.execute(ins_pages, [c])
            done = (c + 1) / n_chunks
            el = time.perf_counter() - tc
            _say(
                f"  chunk {c + 1}/{n_chunks}  {done:5.1%}  {el:6.0f} s  eta {el / done - el:5.0f} s"
            )
        con.execute("CHECKPOINT")
        counts = dict(
            con.execute(
                "SELECT d.domain, count(*) FROM links l "
                "JOIN domains d ON d.domain_id = l.dst_domain_id "
                f"WHERE d.domain IN {tuple(s[0] for s in SPECIAL)} GROUP BY 1"
            ).fetchall()
        )
        n_links = con.execute("SELECT count(*) FROM links").fetchone()[0]  # type: ignore[index]
    tmp.rename(path)
    info = {
        "links": int(n_links),
        "big": big,
        "sites": n_sites,
        "target_rows": counts,
        "seconds": round(time.perf_counter() - t0, 1),
        "bytes": path.stat().st_size,
    }
    path.with_suffix(".json").write_text(json.dumps(info, indent=1))
    return info


# --- the queries ---------------------------------------------------------------------------


def targets(big: int) -> list[tuple[str, str]]:
    """(label, target as typed on the command line) for every measured target."""
    j = _n_pages(big) // 20
    return [
        ("domain", SPECIAL[0][0]),
        ("domain", SPECIAL[1][0]),
        ("domain", SPECIAL[2][0]),
        ("host", f"www.{SPECIAL[0][0]}"),
        ("url", f"https://www.{SPECIAL[0][0]}/products/item-{j}/"),
    ]


def _cond(target: str) -> tuple[str, list[Any]]:
    """The target's condition on ``links l`` with internal links left out, as
    ``backlinks()`` and a profile use it."""
    from backlinks import urls
    from backlinks.analysis.backlinks import _host_of_target, resolve_target

    t = resolve_target(target)
    cond, params = t.where
    own = urls.stable_id(urls.registrable_domain(_host_of_target(t)))
    return f"{cond} AND l.src_domain_id <> ?", [*params, own]


def where_plus(self: Any) -> tuple[str, list[Any]]:
    """Proposed ``Target.where``: host, URL and prefix targets also state the domain (and
    host) they imply, so a links table clustered by ``dst_domain_id`` skips row groups."""
    from backlinks import urls

    if self.mode == "domain":
        return "l.dst_domain_id = ?", [urls.stable_id(self.value)]
    host = self.value if self.mode == "host" else urls.host_of(self.value)
    dom = [urls.stable_id(urls.registrable_domain(host)), urls.stable_id(host)]
    if self.mode == "host":
        return "l.dst_domain_id = ? AND l.dst_host_id = ?", dom
    if self.mode == "url":
        return "l.dst_domain_id = ? AND l.dst_host_id = ? AND l.dst_url_id = ?", [
            *dom,
            urls.stable_id(self.value),
        ]
    return "l.dst_domain_id = ? AND l.dst_host_id = ? AND starts_with(l.dst_url, ?)", [
        *dom,
        self.value,
    ]


def links_topn(store: Any, target: str, limit: int = 100) -> Any:
    """Proposed ``backlinks()`` for a limit: the first ``limit`` rows in (source_domain, ...)
    order come from the first ``limit`` distinct source domain names, so aggregate only the
    links from those instead of every link to the target. Same rows as ``backlinks()``."""
    cond, params = _cond(target)
    sql = f"""
        WITH ids AS (SELECT DISTINCT l.src_domain_id FROM links l WHERE {cond}),
        named AS (SELECT ids.src_domain_id, d.domain FROM ids
                  LEFT JOIN domains d ON d.domain_id = ids.src_domain_id),
        first AS (SELECT DISTINCT domain FROM named ORDER BY domain LIMIT ?),
        keep AS (SELECT src_domain_id FROM named
                 SEMI JOIN first ON named.domain IS NOT DISTINCT FROM first.domain)
        SELECT l.src_url AS source_url, d.domain AS source_domain, l.dst_url AS target_url,
               l.anchor, l.nofollow, l.ugc, l.sponsored, l.is_image, l.section,
               min(l.position) AS position,
               min(l.seen_at) AS first_seen, max(l.seen_at) AS last_seen,
               count(DISTINCT l.snapshot_id) AS snapshots
        FROM links l LEFT JOIN domains d ON d.domain_id = l.src_domain_id
        WHERE {cond} AND l.src_domain_id IN (SELECT src_domain_id FROM keep)
        GROUP BY ALL
        ORDER BY source_domain, source_url, target_url, position, anchor
        LIMIT ?
    """
    return store.query(sql, [*params, limit, *params, limit])


_FOLLOWED = "NOT (l.nofollow OR l.ugc OR l.sponsored)"


def profile_sql(store: Any, target: str) -> dict[str, Any]:
    """Stand-in for ``analysis.profile.profile``: the aggregates a backlink profile shows,
    each a plain query over the target's links (internal links left out)."""
    cond, p = _cond(target)
    q = store.query
    dom = "LEFT JOIN metrics m ON m.level = 'domain' AND m.snapshot_id IS NULL AND m.node_id"
    return {
        "summary": q(
            f"""SELECT count(*) AS links, count(DISTINCT l.src_url_id) AS pages,
                count(DISTINCT l.src_host_id) AS hosts,
                count(DISTINCT l.src_domain_id) AS ref_domains,
                count(DISTINCT l.dst_url_id) AS target_urls,
                avg(CASE WHEN {_FOLLOWED} THEN 1.0 ELSE 0.0 END) AS followed_share,
                count(DISTINCT l.src_domain_id) FILTER (WHERE {_FOLLOWED}) AS followed_domains,
                min(l.seen_at) AS first_seen, max(l.seen_at) AS last_seen
                FROM links l WHERE {cond}""",
            p,
        ),
        "top_domains": q(
            f"""SELECT d.domain, m.rating, r.links, r.followed FROM (
                SELECT l.src_domain_id, count(*) AS links,
                       count(*) FILTER (WHERE {_FOLLOWED}) AS followed
                FROM links l WHERE {cond} GROUP BY 1) r
                {dom} = r.src_domain_id LEFT JOIN domains d ON d.domain_id = r.src_domain_id
                ORDER BY m.rating DESC NULLS LAST, r.links DESC, d.domain LIMIT 20""",
            p,
        ),
        "ratings": q(
            f"""SELECT least(floor(coalesce(m.rating, 0) / 10), 9) * 10 AS rating_from,
                count(*) AS domains FROM (SELECT DISTINCT l.src_domain_id FROM links l
                WHERE {cond}) r {dom} = r.src_domain_id GROUP BY 1 ORDER BY 1""",
            p,
        ),
        "anchors": q(
            f"""SELECT l.anchor, count(*) AS links, count(DISTINCT l.src_domain_id) AS domains
                FROM links l WHERE {cond} GROUP BY 1
                ORDER BY domains DESC, links DESC, l.anchor LIMIT 20""",
            p,
        ),
        "sections": q(
            f"""SELECT l.section, count(*) AS links, count(*) FILTER (WHERE {_FOLLOWED})
                AS followed, count(*) FILTER (WHERE l.is_image) AS images
                FROM links l WHERE {cond} GROUP BY 1 ORDER BY links DESC""",
            p,
        ),
        "snapshots": q(
            f"""SELECT l.snapshot_id, count(*) AS links,
                count(DISTINCT l.src_domain_id) AS ref_domains
                FROM links l WHERE {cond} GROUP BY 1 ORDER BY 1""",
            p,
        ),
    }


def _rows(result: Any) -> int:
    """Rows an answer holds (a DataFrame, or a dict, list or dataclass of them; else 1)."""
    fields = getattr(result, "__dataclass_fields__", None)
    if fields:
        frames = [getattr(result, f) for f in fields]
        return sum(_rows(f) for f in frames if hasattr(f, "shape"))
    if isinstance(result, dict):
        return sum(_rows(v) for v in result.values())
    if isinstance(result, list | tuple):
        return sum(_rows(v) for v in result)
    n = getattr(result, "shape", None)
    return int(n[0]) if n else 1


def _query_fn(name: str) -> Any:
    from backlinks.analysis.backlinks import backlinks

    if name == "links":
        return lambda st, t: backlinks(st, t, limit=100)
    if name == "links-topn":
        return lambda st, t: links_topn(st, t, limit=100)
    if name == "profile-sql":
        return profile_sql
    if name == "profile-summary":
        return profile_summary
    if name == "profile":
        from backlinks.analysis import profile as mod

        return mod.profile
    raise ValueError(name)


def has_profile() -> bool:
    try:
        from backlinks.analysis import profile as mod
    except ImportError:
        return False
    return callable(getattr(mod, "profile", None))


#: Variant -> (store file suffix, whether Target.where is patched, DuckDB threads or None).
VARIANTS: dict[str, tuple[str, bool, int | None]] = {
    "base": ("", False, None),
    "sorted": (".sorted", False, None),
    "sorted+": (".sorted", True, None),
    "art": (".art", False, None),
    "summary": (".sorted", True, None),
    "threads1": (".sorted", True, 1),
    "tail": (".tail", True, None),
    "runs": (".runs", True, None),
}
#: Share of the table appended unsorted after the clustering in the ``tail`` variant.
TAIL_SHARE = 0.10


def _open(spec: dict[str, Any]) -> Any:
    from backlinks.analysis.backlinks import Target
    from backlinks.store.db import Store

    if spec["patch"]:
        Target.where = property(where_plus)  # type: ignore[method-assign,assignment]
    st = Store(spec["path"], read_only=True)
    if spec.get("threads"):
        st.con.execute(f"SET threads = {int(spec['threads'])}")
    return st


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run in a fresh process. ``cold``: open the store, time one query. ``warm``: one
    untimed pass over every (query, target), then ``repeats`` timed passes, the targets
    rotating inside each pass."""
    t0 = time.perf_counter()
    st = _open(spec)
    out: dict[str, Any] = {"open_ms": (time.perf_counter() - t0) * 1e3}
    fns = {q: _query_fn(q) for q in spec["queries"]}
    if spec["kind"] == "cold":
        (q,) = spec["queries"]
        t = time.perf_counter()
        res = fns[q](st, spec["targets"][0])
        out.update(ms=(time.perf_counter() - t) * 1e3, rows=_rows(res))
        return out
    times: dict[str, list[float]] = {}
    rows: dict[str, int] = {}
    for q, fn in fns.items():
        for tg in spec["targets"]:
            rows[f"{q}|{tg}"] = _rows(fn(st, tg))
    deadline = time.perf_counter() + (spec["budget_s"] or float("inf"))
    for _ in range(spec["repeats"]):
        for q, fn in fns.items():
            for tg in spec["targets"]:
                t = time.perf_counter()
                fn(st, tg)
                times.setdefault(f"{q}|{tg}", []).append((time.perf_counter() - t) * 1e3)
        if time.perf_counter() > deadline:
            break
    out.update(times=times, rows=rows)
    return out


def _run_child(spec: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__)), "--child", json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or [f"rc {proc.returncode}"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(-(-q * len(s) // 1)) - 1))]


# --- variants of the store (prototypes of store changes, on the bench's own files) ---------


def variant_path(base: Path, variant: str) -> Path:
    return base.with_name(base.stem + VARIANTS[variant][0] + base.suffix)


def prepare_sorted(base: Path, dest: Path) -> dict[str, Any]:
    """A copy of the store with ``links`` rewritten in target order (what a "cluster links"
    step after ingest would do); times that rewrite."""
    from backlinks.store.db import Store
    from backlinks.store.schema import TABLES

    tmp = dest.with_name(dest.name + ".tmp")
    for p in (tmp, Path(f"{tmp}.wal")):
        p.unlink(missing_ok=True)
    out: dict[str, Any] = {}
    with Store(tmp) as st:
        con = st.con
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{base}' AS b (READ_ONLY)")
        for table in TABLES:
            if table in ("links", "meta"):
                continue
            con.execute(f"INSERT INTO {table} SELECT * FROM b.{table}")
        _say(f"[sorted] rewriting links ORDER BY {SORT_KEY} ...")
        t0 = time.perf_counter()
        con.execute(f"INSERT INTO links SELECT * FROM b.links ORDER BY {SORT_KEY}")
        con.execute("CHECKPOINT")
        out["sort_s"] = round(time.perf_counter() - t0, 1)
        con.execute("DETACH b")
    tmp.rename(dest)
    out["bytes"] = dest.stat().st_size
    return out


SORT_KEY = "dst_domain_id, dst_host_id, dst_url_id"
ART_COLUMNS = ("dst_domain_id", "dst_host_id", "dst_url_id")


def prepare_art(base: Path, dest: Path) -> dict[str, Any]:
    """A copy of the (ingest-ordered) store with an ART index on each target id column."""
    import duckdb

    tmp = dest.with_name(dest.name + ".tmp")
    shutil.copyfile(base, tmp)
    out: dict[str, Any] = {"index_s": {}}
    con = duckdb.connect(str(tmp))
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET enable_progress_bar = false")
    for col in ART_COLUMNS:
        _say(f"[art] CREATE INDEX on links({col}) ...")
        t0 = time.perf_counter()
        con.execute(f"CREATE INDEX links_{col} ON links ({col})")
        con.execute("CHECKPOINT")
        out["index_s"][col] = round(time.perf_counter() - t0, 1)
    con.close()
    tmp.rename(dest)
    out["bytes"] = dest.stat().st_size
    return out


def prepare_tail(base: Path, clustered: Path, dest: Path) -> dict[str, Any]:
    """A copy of the sorted store with ``TAIL_SHARE`` of the links appended in ingest order
    after it (rows of the base store, so targets gain about that share of duplicates): the
    state after an ingest that did not re-cluster."""
    import duckdb

    tmp = dest.with_name(dest.name + ".tmp")
    shutil.copyfile(clustered, tmp)
    con = duckdb.connect(str(tmp))
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"ATTACH '{base}' AS b (READ_ONLY)")
    n = int(con.execute("SELECT count(*) FROM links").fetchone()[0] * TAIL_SHARE)  # type: ignore[index]
    con.execute(f"INSERT INTO links SELECT * FROM b.links LIMIT {n}")
    con.execute("DETACH b")
    con.execute("CHECKPOINT")
    con.close()
    tmp.rename(dest)
    return {"tail_rows": n, "bytes": dest.stat().st_size}


def sort_snapshot(con: Any, snapshot_id: int) -> None:
    """The proposed end of ``Store.finish_snapshot``: rewrite one snapshot's links in target
    order, in one transaction (same rows; each snapshot becomes one sorted run)."""
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _snap_links AS SELECT * FROM links WHERE snapshot_id = ?",
        [snapshot_id],
    )
    con.execute("DELETE FROM links WHERE snapshot_id = ?", [snapshot_id])
    con.execute(f"INSERT INTO links SELECT * FROM _snap_links ORDER BY {SORT_KEY}")
    con.execute("DROP TABLE _snap_links")
    con.execute("COMMIT")


def prepare_runs(base: Path, dest: Path) -> dict[str, Any]:
    """A copy of the store after :func:`sort_snapshot` of each snapshot, oldest first, as
    ingest would leave it; times each snapshot's rewrite."""
    import duckdb

    tmp = dest.with_name(dest.name + ".tmp")
    shutil.copyfile(base, tmp)
    con = duckdb.connect(str(tmp))
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET enable_progress_bar = false")
    out: dict[str, Any] = {"sort_s": {}}
    snaps = con.execute("SELECT snapshot_id FROM snapshots ORDER BY started_at").fetchall()
    for (sid,) in snaps:
        _say(f"[runs] sorting snapshot {sid} ...")
        t0 = time.perf_counter()
        sort_snapshot(con, int(sid))
        con.execute("CHECKPOINT")
        out["sort_s"][str(sid)] = round(time.perf_counter() - t0, 1)
    row = con.execute("SELECT used_blocks * block_size FROM pragma_database_size()").fetchone()
    out["used_bytes"] = int(row[0]) if row else None  # deleted rows' blocks are reusable
    con.close()
    tmp.rename(dest)
    out["bytes"] = dest.stat().st_size
    return out


SUMMARY_SQL = {
    "target_ref_domains": f"""
        SELECT dst_domain_id, src_domain_id, snapshot_id, count(*) AS links,
               count(*) FILTER (WHERE {_FOLLOWED.replace("l.", "")}) AS followed,
               count(*) FILTER (WHERE is_image) AS images,
               min(seen_at) AS first_seen, max(seen_at) AS last_seen
        FROM links GROUP BY ALL ORDER BY dst_domain_id""",
    "target_anchors": """
        SELECT dst_domain_id, anchor, src_domain_id, count(*) AS links
        FROM links GROUP BY ALL ORDER BY dst_domain_id""",
    "target_sections": f"""
        SELECT dst_domain_id, src_domain_id, section, count(*) AS links,
               count(*) FILTER (WHERE {_FOLLOWED.replace("l.", "")}) AS followed,
               count(*) FILTER (WHERE is_image) AS images
        FROM links GROUP BY ALL ORDER BY dst_domain_id""",
}


def prepare_summary(path: Path) -> dict[str, Any]:
    """Per target-domain aggregates (by referring domain, anchor, section), added to the
    sorted store: what a profile can read instead of every link. Internal links are kept
    in the tables and left out at query time."""
    import duckdb

    before = path.stat().st_size
    con = duckdb.connect(str(path))
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET enable_progress_bar = false")
    out: dict[str, Any] = {"build_s": {}, "rows": {}}
    for name, sql in SUMMARY_SQL.items():
        t0 = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")
        con.execute("CHECKPOINT")
        out["build_s"][name] = round(time.perf_counter() - t0, 1)
        out["rows"][name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
    con.close()
    out["extra_bytes"] = path.stat().st_size - before
    return out


def profile_summary(store: Any, target: str) -> dict[str, Any]:
    """``profile_sql`` reading the summary tables for a domain target (other targets, and
    the distinct page/host/URL counts, still read ``links``)."""
    from backlinks import urls
    from backlinks.analysis.backlinks import resolve_target

    t = resolve_target(target)
    if t.mode != "domain":
        return profile_sql(store, target)
    d = urls.stable_id(t.value)
    cond, p = _cond(target)
    q = store.query
    dom = "LEFT JOIN metrics m ON m.level = 'domain' AND m.snapshot_id IS NULL AND m.node_id"
    own = "dst_domain_id = ? AND src_domain_id <> ?"
    return {
        "summary": q(
            f"""SELECT count(*) AS links, count(DISTINCT l.src_url_id) AS pages,
                count(DISTINCT l.src_host_id) AS hosts, count(DISTINCT l.dst_url_id) AS target_urls
                FROM links l WHERE {cond}""",
            p,
        ),
        "domains": q(
            f"""SELECT count(DISTINCT src_domain_id) AS ref_domains,
                sum(followed) / sum(links) AS followed_share,
                count(DISTINCT src_domain_id) FILTER (WHERE followed > 0) AS followed_domains,
                min(first_seen) AS first_seen, max(last_seen) AS last_seen
                FROM target_ref_domains WHERE {own}""",
            [d, d],
        ),
        "top_domains": q(
            f"""SELECT d.domain, m.rating, r.links, r.followed FROM (
                SELECT src_domain_id, sum(links) AS links, sum(followed) AS followed
                FROM target_ref_domains WHERE {own} GROUP BY 1) r
                {dom} = r.src_domain_id LEFT JOIN domains d ON d.domain_id = r.src_domain_id
                ORDER BY m.rating DESC NULLS LAST, r.links DESC, d.domain LIMIT 20""",
            [d, d],
        ),
        "ratings": q(
            f"""SELECT least(floor(coalesce(m.rating, 0) / 10), 9) * 10 AS rating_from,
                count(*) AS domains FROM (SELECT DISTINCT src_domain_id FROM target_ref_domains
                WHERE {own}) r {dom} = r.src_domain_id GROUP BY 1 ORDER BY 1""",
            [d, d],
        ),
        "anchors": q(
            f"""SELECT anchor, sum(links) AS links, count(DISTINCT src_domain_id) AS domains
                FROM target_anchors WHERE {own} GROUP BY 1
                ORDER BY domains DESC, links DESC, anchor LIMIT 20""",
            [d, d],
        ),
        "sections": q(
            f"""SELECT section, sum(links) AS links, sum(followed) AS followed,
                sum(images) AS images FROM target_sections WHERE {own}
                GROUP BY 1 ORDER BY links DESC""",
            [d, d],
        ),
        "snapshots": q(
            f"""SELECT snapshot_id, sum(links) AS links, count(DISTINCT src_domain_id)
                AS ref_domains FROM target_ref_domains WHERE {own} GROUP BY 1 ORDER BY 1""",
            [d, d],
        ),
    }


# --- driver --------------------------------------------------------------------------------


def _short(n: int) -> str:
    for div, unit in ((1_000_000, "M"), (1_000, "k")):
        if n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def _info(path: Path) -> dict[str, Any]:
    side = path.with_suffix(".json")
    return json.loads(side.read_text()) if side.exists() else {}


def _save_info(path: Path, info: dict[str, Any]) -> None:
    path.with_suffix(".json").write_text(json.dumps(info, indent=1))


def ensure_variant(base: Path, variant: str) -> Path:
    path = variant_path(base, variant)
    info = _info(path)
    if variant in ("sorted", "sorted+", "threads1", "summary") and not path.exists():
        info = {"sorted": prepare_sorted(base, path)}
        _save_info(path, info)
    if variant == "tail" and not path.exists():
        info = {"tail": prepare_tail(base, ensure_variant(base, "sorted"), path)}
        _save_info(path, info)
    if variant == "runs" and not path.exists():
        info = {"runs": prepare_runs(base, path)}
        _save_info(path, info)
    if variant == "art" and not path.exists():
        info = {"art": prepare_art(base, path)}
        _save_info(path, info)
    if variant == "summary" and "summary" not in info:
        info["summary"] = prepare_summary(path)
        _save_info(path, info)
    return path


def target_rows(path: Path, tgts: list[tuple[str, str]]) -> dict[str, int]:
    """Link rows per target (internal links left out): the work each query filters to."""
    from backlinks.store.db import Store

    with Store(path, read_only=True) as st:
        out = {}
        for _label, t in tgts:
            cond, p = _cond(t)
            row = st.con.execute(f"SELECT count(*) FROM links l WHERE {cond}", p).fetchone()
            out[t] = int(row[0]) if row else 0
    return out


def check_topn(path: Path, tgts: list[tuple[str, str]]) -> bool:
    """The proposed changes answer exactly as today: ``links_topn`` and ``backlinks()`` with
    the implied-domain ``Target.where`` return the same rows as ``backlinks()``."""
    from backlinks.analysis.backlinks import Target, backlinks
    from backlinks.store.db import Store

    with Store(path, read_only=True) as st:
        before = [backlinks(st, t, limit=100).reset_index(drop=True) for _l, t in tgts]
        where = Target.where
        try:
            Target.where = property(where_plus)  # type: ignore[method-assign,assignment]
            for (_l, t), ref in zip(tgts, before, strict=True):
                for name, fn in (("links", backlinks), ("links-topn", links_topn)):
                    got = fn(st, t, limit=100).reset_index(drop=True)
                    if not ref.equals(got):
                        _say(f"{name} with the implied-domain filter differs for {t}")
                        return False
        finally:
            Target.where = where  # type: ignore[method-assign]
    return True


def cli_wall(path: Path, target: str) -> float:
    exe = Path(sys.executable).with_name("backlinks")
    t0 = time.perf_counter()
    subprocess.run(
        [str(exe), "links", target, "--db", str(path), "--limit", "100"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return (time.perf_counter() - t0) * 1e3


def measure(
    path: Path, variant: str, queries: list[str], tgts: list[tuple[str, str]], args: Any
) -> list[dict[str, Any]]:
    _file, patch, threads = VARIANTS[variant]
    base_spec = {"path": str(path), "patch": patch, "threads": threads}
    names = [t for _l, t in tgts]
    cold: dict[str, Any] = {}
    if not args.no_cold:
        for q in queries:
            for t in names[: args.cold_targets]:
                r = _run_child({**base_spec, "kind": "cold", "queries": [q], "targets": [t]})
                cold[f"{q}|{t}"] = r.get("ms")
    _say(
        f"[{variant}] warm: {args.repeats} rounds of {len(queries)} queries x {len(names)} targets"
    )
    warm = _run_child(
        {
            **base_spec,
            "kind": "warm",
            "queries": queries,
            "targets": names,
            "repeats": args.repeats,
            "budget_s": args.budget_s if variant == "base" else None,
        }
    )
    if "error" in warm:
        _say(f"[{variant}] failed: {warm['error']}")
        return []
    rows = []
    for q in queries:
        for label, t in tgts:
            key = f"{q}|{t}"
            ts = warm["times"].get(key, [])
            rows.append(
                {
                    "variant": variant,
                    "query": q,
                    "kind": label,
                    "target": t,
                    "cold_ms": cold.get(key),
                    "p50_ms": statistics.median(ts) if ts else None,
                    "p95_ms": _pct(ts, 0.95) if ts else None,
                    "n": len(ts),
                    "rows": warm["rows"].get(key),
                }
            )
    return rows


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}" if v >= 10 else f"{v:.1f}"


def report(res: dict[str, Any]) -> None:
    st = res["store"]
    print(
        f"\n## query latency: {st['links']:,} links, store {st['bytes'] / 1e9:.2f} GB, "
        f"{st['bytes'] / st['links']:.1f} bytes/link ({res['path']})"
    )
    print(
        f"load average {res['load']}; {os.cpu_count()} CPUs; DuckDB {res['duckdb']}; "
        f"cold = first query in a fresh process; warm p50/p95 over n rounds\n"
    )
    print("| variant | query | target | link rows | cold ms | p50 ms | p95 ms | n | rows |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in res["rows"]:
        print(
            f"| {r['variant']} | {r['query']} | {r['kind']} {r['target']} | "
            f"{res['target_rows'].get(r['target'], 0):,} | {_fmt(r['cold_ms'])} | "
            f"{_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} | {r['n']} | {r['rows']} |"
        )
    print()
    for v, info in res["variants"].items():
        print(f"{v}: {json.dumps(info)}")
    for k, ms in res["cli_ms"].items():
        print(f"`backlinks links {res['cli_target']} --db {k} --limit 100`: {ms:,.0f} ms wall")
    if "topn_equal" in res:
        print(f"same rows as `links` from links-topn and the implied filter: {res['topn_equal']}")
    print(f"\ntarget: p95 < {TARGET_P95_MS:g} ms on every query and target")
    by_v: dict[str, list[float]] = {}
    for r in res["rows"]:
        if r["p95_ms"] is not None:
            by_v.setdefault(f"{r['variant']} {r['query']}", []).append(r["p95_ms"])
    for k, v in by_v.items():
        ok = "met" if max(v) < TARGET_P95_MS else "MISSED"
        print(f"  {k:28s} worst p95 {max(v):8,.0f} ms  {ok}")


def main(argv: list[str] | None = None) -> int:
    global MEMORY_LIMIT  # noqa: PLW0603 - one setting for every build step
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--links", type=int, default=100_000_000)
    ap.add_argument("--big-domain-links", type=int, default=1_000_000)
    ap.add_argument(
        "--repeats", type=int, default=30, help="warm rounds (each: every query x target)"
    )
    ap.add_argument(
        "--store", type=Path, default=None, help="store file (default bench/out/query/)"
    )
    ap.add_argument(
        "--variants", default="base,sorted+", help=f"comma list of {','.join(VARIANTS)} or 'all'"
    )
    ap.add_argument(
        "--queries",
        default=None,
        help="default: links,links-topn,profile-sql, and profile when it exists",
    )
    ap.add_argument(
        "--budget-s",
        type=float,
        default=240,
        help="stop the base variant's warm rounds after this (others run all rounds)",
    )
    ap.add_argument("--no-cold", action="store_true", help="skip the fresh-process first queries")
    ap.add_argument(
        "--cold-targets",
        type=int,
        default=None,
        help="targets timed cold, one fresh process each (default all; 1 below 1M links)",
    )
    ap.add_argument(
        "--keep", action="store_true", help="keep the art, tail and runs copies (deleted after use)"
    )
    ap.add_argument("--clean", action="store_true", help="delete the store and its variants")
    ap.add_argument("--memory-limit", default=MEMORY_LIMIT, help="DuckDB limit while building")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    MEMORY_LIMIT = args.memory_limit
    OUT.mkdir(parents=True, exist_ok=True)
    base = args.store or OUT / f"store-{_short(args.links)}-{_short(args.big_domain_links)}.duckdb"
    if args.clean:
        for v in {VARIANTS[v][0] for v in VARIANTS}:
            p = base.with_name(base.stem + v + base.suffix)
            for f in (
                p,
                p.with_suffix(".json"),
                Path(f"{p}.wal"),
                Path(f"{p}.tmp"),
                Path(f"{p}.tmp.wal"),
            ):
                if f.exists():
                    _say(f"removing {f}")
                    f.unlink()
        return 0
    import duckdb

    if not base.exists():
        build_store(base, args.links, args.big_domain_links)
    info = _info(base)
    if args.cold_targets is None:
        args.cold_targets = 1 if info["links"] < 1_000_000 else len(SPECIAL) + 1
    big = int(info.get("big", args.big_domain_links))
    tgts = targets(big)
    if "rows_by_target" not in info:
        info["rows_by_target"] = target_rows(base, tgts)
        _save_info(base, info)
    variants = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
    queries = (args.queries or "links,links-topn,profile-sql").split(",")
    if args.queries is None and has_profile():
        queries.append("profile")
    res: dict[str, Any] = {
        "path": str(base),
        "store": {"links": info["links"], "bytes": base.stat().st_size},
        "target_rows": info["rows_by_target"],
        "duckdb": duckdb.__version__,
        "variants": {},
        "rows": [],
        "cli_ms": {},
        "cli_target": tgts[0][1],
    }
    for v in variants:
        qs = [*queries, "profile-summary"] if v == "summary" else queries
        path = ensure_variant(base, v)
        res["variants"][v] = {"bytes": path.stat().st_size, **_info(path)} if v != "base" else {}
        res["rows"] += measure(path, v, qs, tgts, args)
        if v in ("base", "sorted", "sorted+") and str(path) not in res["cli_ms"]:
            res["cli_ms"][str(path)] = cli_wall(path, tgts[0][1])
        if v in ("art", "tail", "runs") and not args.keep:
            path.unlink()
            path.with_suffix(".json").unlink(missing_ok=True)
    sorted_path = variant_path(base, "sorted")
    res["topn_equal"] = check_topn(sorted_path if sorted_path.exists() else base, tgts)
    res["load"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    report(res)
    out = args.json or OUT / f"results-{_short(info['links'])}.json"
    out.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
