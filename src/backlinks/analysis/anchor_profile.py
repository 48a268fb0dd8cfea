"""The anchor-text part of a backlink profile: the class profile and the top anchors, over
a table of the target's distinct links that :mod:`backlinks.analysis.profile` builds on a
DuckDB cursor (columns ``src_domain_id``, ``dst_url_id``, ``anchor``, ``is_image``, ``rid``:
a ``links`` row id).

Anchors are classed by :func:`backlinks.quality.anchors.anchor_class` exactly as
:func:`backlinks.quality.anchor_evidence.anchor_classes` does, with far fewer calls: a class
that does not depend on the target page (url, generic, branded, image, empty) is found once
per distinct anchor, and a keyword anchor is ``other`` unless it shares a word with a page's
slug or title (``exact`` and ``partial`` both need one), so only those (anchor, page) pairs
are classed one by one. Results are memoised: the classifier is pure and anchors repeat.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import duckdb
import pandas as pd

from backlinks import urls
from backlinks.quality import anchors as anchor_mod
from backlinks.quality.anchor_evidence import site_names
from backlinks.store.db import Store

__all__ = ["anchor_tables", "page_urls"]

_NONE: Final[frozenset[str]] = frozenset()


def anchor_tables(
    cur: duckdb.DuckDBPyConnection, store: Store, domain: str, links: str, limit: int | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The anchor-class profile (the frame
    :func:`backlinks.quality.anchor_evidence.anchor_profile` gives) and the top anchors
    of the distinct links in table ``links`` (a name of ours, never user input) of a
    target on registrable ``domain``."""
    per_anchor, per_page = _classes(cur, store, domain, links)
    cur.register("_pa_class", per_anchor)
    cur.register("_pa_class_page", per_page)
    cur.execute(
        "CREATE TEMP TABLE _pa_classed AS SELECT l.src_domain_id, coalesce(l.anchor, '') AS "
        f"text, coalesce(p.anchor_class, c.anchor_class) AS anchor_class FROM {links} l "
        "JOIN _pa_class c ON c.anchor = coalesce(l.anchor, '') AND c.is_image = l.is_image "
        "LEFT JOIN _pa_class_page p ON p.anchor = coalesce(l.anchor, '') "
        "AND p.is_image = l.is_image AND p.dst_url_id = l.dst_url_id"
    )
    by_class = cur.execute(
        "SELECT anchor_class, count(DISTINCT src_domain_id) AS referring_domains, "
        "count(*) AS links FROM _pa_classed GROUP BY 1"
    ).df()
    total = int(
        cur.execute("SELECT count(DISTINCT src_domain_id) FROM _pa_classed").fetchall()[0][0]
    )
    if total == 0:  # as anchor_profile: no rows at all
        return by_class.assign(share=pd.Series(dtype="float64")), _top_anchors(cur, limit)
    classes = by_class.set_index("anchor_class").reindex(list(anchor_mod.CLASSES), fill_value=0)
    classes = classes.rename_axis("anchor_class").reset_index()
    classes["share"] = (classes.referring_domains / total).round(3)
    classes = classes.sort_values("referring_domains", ascending=False, kind="stable")
    return classes.reset_index(drop=True), _top_anchors(cur, limit)


def _top_anchors(cur: duckdb.DuckDBPyConnection, limit: int | None) -> pd.DataFrame:
    """Anchors by referring domains, then links; an anchor's class is its most frequent
    (ties: alphabetical), since one anchor can be ``exact`` for one page and not another."""
    top: pd.DataFrame = cur.execute(
        """
        WITH per AS (
            SELECT text, anchor_class, count(*) AS n FROM _pa_classed GROUP BY ALL
        ), cls AS (
            SELECT text, first(anchor_class ORDER BY n DESC, anchor_class) AS anchor_class
            FROM per GROUP BY text
        ), agg AS (
            SELECT text, count(DISTINCT src_domain_id) AS referring_domains, count(*) AS links
            FROM _pa_classed GROUP BY text
        )
        SELECT agg.text AS anchor, cls.anchor_class, agg.referring_domains, agg.links
        FROM agg JOIN cls USING (text)
        ORDER BY referring_domains DESC, links DESC, anchor LIMIT ?
        """,
        [limit],
    ).df()
    return top


def _classes(
    cur: duckdb.DuckDBPyConnection, store: Store, domain: str, links: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Classes per distinct (anchor, image), and per (anchor, image, page) where the page
    makes it ``exact`` or ``partial`` (see the module docstring). The brand comes from the
    domain and its home pages' titles, as in ``anchor_classes``."""
    titles = [
        str(r[0])
        for r in store.con.execute(
            "SELECT DISTINCT title FROM pages WHERE domain_id = ? AND title IS NOT NULL "
            "AND regexp_matches(url, '^https?://[^/]+/?$') LIMIT 5",
            [urls.stable_id(domain)],
        ).fetchall()
    ]
    brand = anchor_mod.Brand.of(domain, site_names(titles))
    distinct = cur.execute(
        f"SELECT DISTINCT coalesce(anchor, '') AS anchor, is_image FROM {links}"
    ).fetchall()
    rows: list[tuple[str, bool, str]] = []
    keyword: dict[tuple[str, bool], frozenset[str]] = {}
    for anchor, image in distinct:
        cls = _class_of(anchor, bool(image), brand, _NONE, _NONE)
        if cls == "other" and anchor.strip():
            content = _words_of(anchor)
            if content:
                keyword[(anchor, bool(image))] = content
        rows.append((anchor, bool(image), cls))
    per_page = _per_page(cur, store, brand, keyword, links) if keyword else []
    return (
        pd.DataFrame(rows, columns=["anchor", "is_image", "anchor_class"]).astype(
            {"anchor": "object", "is_image": "bool", "anchor_class": "object"}
        ),
        pd.DataFrame(per_page, columns=["anchor", "is_image", "dst_url_id", "anchor_class"]).astype(
            {
                "anchor": "object",
                "is_image": "bool",
                "dst_url_id": "int64",
                "anchor_class": "object",
            }
        ),
    )


def _per_page(
    cur: duckdb.DuckDBPyConnection,
    store: Store,
    brand: anchor_mod.Brand,
    keyword: dict[tuple[str, bool], frozenset[str]],
    links: str,
) -> list[tuple[str, bool, int, str]]:
    """Keyword anchors classed per target page, where not ``other``."""
    cur.register(
        "_pa_kw",
        pd.DataFrame(
            {"anchor": [k[0] for k in keyword], "is_image": [k[1] for k in keyword]}
        ).astype({"anchor": "object", "is_image": "bool"}),
    )
    combos = cur.execute(
        f"SELECT DISTINCT k.anchor, k.is_image, l.dst_url_id FROM {links} l "
        "JOIN _pa_kw k ON k.anchor = coalesce(l.anchor, '') AND k.is_image = l.is_image"
    ).fetchall()
    pages = sorted({int(c[2]) for c in combos})
    fetched = _fetched(cur, pages)
    title_of = {k: v[1] for k, v in fetched.items()}
    url_of = {k: v[0] for k, v in fetched.items()}
    url_of |= _by_row_id(cur, links, [p for p in pages if p not in url_of])  # never fetched
    words: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
    out: list[tuple[str, bool, int, str]] = []
    for anchor, image, page in combos:
        pid = int(page)
        if pid not in words:
            words[pid] = _target_words(url_of[pid], title_of.get(pid))
        slug, title = words[pid]
        if keyword[(anchor, bool(image))] & (slug | title):
            cls = _class_of(anchor, bool(image), brand, slug, title)
            if cls != "other":
                out.append((anchor, bool(image), pid, cls))
    return out


def page_urls(cur: duckdb.DuckDBPyConnection, links: str, pages: list[int]) -> dict[int, str]:
    """The URLs of a few of the target's pages (e.g. the best pages), by row id."""
    return _by_row_id(cur, links, pages)


def _fetched(cur: duckdb.DuckDBPyConnection, pages: list[int]) -> dict[int, tuple[str, str | None]]:
    """URL and title (any non-null one) of those of ``pages`` that the index fetched."""
    cur.register("_pa_pages", pd.DataFrame({"url_id": pd.Series(pages, dtype="int64")}))
    rows = cur.execute(
        "SELECT p.url_id, any_value(p.url), any_value(p.title) FROM pages p "
        "SEMI JOIN _pa_pages USING (url_id) GROUP BY p.url_id"
    ).fetchall()
    cur.unregister("_pa_pages")
    return {int(i): (str(u), None if t is None else str(t)) for i, u, t in rows}


def _by_row_id(cur: duckdb.DuckDBPyConnection, links: str, pages: list[int]) -> dict[int, str]:
    """URLs of pages from one ``links`` row each by row id, so only the storage blocks holding
    those rows are decompressed, not the whole column."""
    if not pages:
        return {}
    cur.register("_pa_ids", pd.DataFrame({"dst_url_id": pd.Series(pages, dtype="int64")}))
    rows = cur.execute(
        "SELECT l.dst_url_id, l.dst_url FROM links l WHERE l.rowid IN (SELECT min(rid) FROM "
        f"{links} WHERE dst_url_id IN (SELECT dst_url_id FROM _pa_ids) GROUP BY dst_url_id)"
    ).fetchall()
    cur.unregister("_pa_ids")
    return {int(i): str(u) for i, u in rows}


@lru_cache(maxsize=1 << 17)
def _class_of(
    anchor: str, image: bool, brand: anchor_mod.Brand, slug: frozenset[str], title: frozenset[str]
) -> str:
    return anchor_mod.anchor_class(
        anchor, is_image=image, brand=brand, slug_words=slug, title_words=title
    )


@lru_cache(maxsize=1 << 17)
def _words_of(anchor: str) -> frozenset[str]:
    return frozenset(anchor_mod.words(anchor))


@lru_cache(maxsize=1 << 16)
def _target_words(url: str, title: str | None) -> tuple[frozenset[str], frozenset[str]]:
    return anchor_mod.target_words(url, title)
