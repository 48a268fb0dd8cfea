"""The link-building pipeline, kept in the store's ``outreach`` table.

A *prospect* is a page (``source_url``) that could link to a target, found by a *kind* of
search: ``broken`` (links to my broken URLs), ``lost`` (links lost lately), ``mention``
(unlinked mentions), ``intersect`` / ``gap`` (pages of domains that link to competitors),
or ``manual``. Its id is the stable id of ``target|source_url``, so adding the same prospect
twice keeps the first row (and its status, owner and notes).

Status moves along ``new → contacted → replied → won``; any status may move to ``declined``;
re-setting the current status only updates owner and notes; anything else is refused
(:class:`TransitionError`). :func:`check` re-fetches the page of every ``won`` prospect with
the crawler's verify machinery (:mod:`backlinks.crawl.verify`) and stores whether the link
is still there: ``live`` true, false (``removed``, ``now_nofollow``, ``page_gone``,
``redirected``) or unknown (``blocked_robots``, ``unreachable``), with the verdict and time.

Columns this module adds to ``outreach`` (``ADD COLUMN IF NOT EXISTS`` on first write, so
older index files keep working): ``source_domain``, ``created_at``, ``checked_at``, ``live``,
``verdict`` and ``followed`` (whether the link was followed when last seen live, so a later
``nofollow`` is caught).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

import pandas as pd

from backlinks import urls
from backlinks.analysis.backlinks import resolve_target
from backlinks.analysis.lost import lost_worth_asking
from backlinks.analysis.mentions import unlinked_mentions
from backlinks.analysis.reclaim import DEFAULT_MIN_RATING, broken, broken_links
from backlinks.store.db import Store

__all__ = [
    "EXTRA_COLUMNS", "KINDS", "LOST_VERDICTS", "STATUSES", "TransitionError", "add_prospects",
    "allowed", "ensure_columns", "from_competitors", "gather",
    "list_prospects", "prospect_id", "set_status",
]  # fmt: skip

KINDS: Final = ("intersect", "gap", "broken", "lost", "mention", "manual")
STATUSES: Final = ("new", "contacted", "replied", "won", "declined")
#: The forward moves; any status may also move to ``declined``.
_NEXT: Final = {"new": "contacted", "contacted": "replied", "replied": "won"}
#: Verify verdicts that mean a won link is gone (the others, robots and network, are unknown).
LOST_VERDICTS: Final = frozenset({"removed", "now_nofollow", "page_gone", "redirected"})
EXTRA_COLUMNS: Final = {
    "source_domain": "VARCHAR",
    "created_at": "TIMESTAMP",
    "checked_at": "TIMESTAMP",
    "live": "BOOLEAN",
    "verdict": "VARCHAR",
    "followed": "BOOLEAN",
}
_LIST_COLUMNS: Final = [
    "prospect_id", "target", "source_url", "source_domain", "kind", "status", "owner", "notes",
    "created_at", "updated_at", "live", "verdict", "checked_at", "followed",
]  # fmt: skip
_CHECK_COLUMNS: Final = [
    "prospect_id", "target", "source_url", "flag", "verdict", "http_status", "redirect_to",
    "detail", "checked_at",
]  # fmt: skip


class TransitionError(ValueError):
    """A status change the pipeline does not allow."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def ensure_columns(store: Store) -> None:
    """Add this module's columns to ``outreach`` where missing (idempotent)."""
    with store.transaction() as con:
        for name, kind in EXTRA_COLUMNS.items():
            con.execute(f"ALTER TABLE outreach ADD COLUMN IF NOT EXISTS {name} {kind}")


def _columns(store: Store) -> set[str]:
    rows = store.con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'outreach'"
    ).fetchall()
    return {str(r[0]) for r in rows}


def normal_target(target: str) -> str:
    """The target as stored: its resolved value (canonical URL, host or domain)."""
    return resolve_target(target).value


def prospect_id(target: str, source_url: str) -> int:
    """The stable id of a prospect (``target|source_url``, both normalised)."""
    return urls.stable_id(f"{normal_target(target)}|{source_url}")


def allowed(current: str, new: str) -> bool:
    """Whether the pipeline may move a prospect from ``current`` to ``new``."""
    return new in STATUSES and (new in (current, "declined") or _NEXT.get(current) == new)


# ---- adding ----------------------------------------------------------------------------------


def add_prospects(store: Store, target: str, rows: pd.DataFrame, owner: str | None = None) -> int:
    """Add prospects (``source_url`` and ``kind`` columns, ``notes`` optional) for ``target``
    with status ``new``; rows already in the pipeline are left as they are. Returns how many
    were new. Raises ValueError on an unknown kind or a URL that does not parse."""
    value = normal_target(target)
    if rows.empty:
        return 0
    bad_kinds = sorted(set(rows["kind"]) - set(KINDS))
    if bad_kinds:
        raise ValueError(f"unknown prospect kind {bad_kinds}; kinds: {', '.join(KINDS)}")
    notes = rows["notes"] if "notes" in rows else pd.Series([None] * len(rows))
    fresh: dict[int, dict[str, Any]] = {}
    bad_urls: list[str] = []
    now = _now()
    for raw, kind, note in zip(rows["source_url"], rows["kind"], notes, strict=True):
        text = str(raw).strip()
        url = urls.canonicalize(text if "://" in text else f"http://{text}")
        if url is None:
            bad_urls.append(text)
            continue
        pid = urls.stable_id(f"{value}|{url}")
        fresh.setdefault(
            pid,
            {
                "prospect_id": pid,
                "target": value,
                "source_url": url,
                "kind": kind,
                "status": "new",
                "owner": owner,
                "notes": None if note is None or pd.isna(note) else str(note),
                "updated_at": now,
                "source_domain": urls.domain_of(url),
                "created_at": now,
            },
        )
    if bad_urls:
        raise ValueError(f"not URLs: {', '.join(repr(u) for u in bad_urls[:5])}")
    ensure_columns(store)
    frame = pd.DataFrame(list(fresh.values()))
    cols = ", ".join(frame.columns)
    with store.transaction() as con:
        before = _count(con)
        con.register("_new_prospects", frame)
        con.execute(
            f"INSERT INTO outreach ({cols}) SELECT {cols} FROM _new_prospects n "
            "WHERE NOT EXISTS (SELECT 1 FROM outreach o WHERE o.prospect_id = n.prospect_id)"
        )
        con.unregister("_new_prospects")
        return _count(con) - before


def _count(con: Any) -> int:
    return int(con.execute("SELECT count(*) FROM outreach").fetchall()[0][0])


def from_competitors(df: pd.DataFrame, kind: str = "intersect") -> pd.DataFrame:
    """Prospect rows from the output of ``backlinks.analysis.competitors.intersect`` (or
    ``gap``): one per referring domain, its ``example_url`` as the page to approach."""
    if kind not in ("intersect", "gap"):
        raise ValueError("kind must be intersect or gap")
    if df.empty:
        return pd.DataFrame(columns=["source_url", "kind", "notes"])
    return pd.DataFrame(
        {
            "source_url": df["example_url"].astype(str),
            "kind": kind,
            "notes": [
                f"{kind}: {d} links to competitors"
                for d in df["domain" if "domain" in df.columns else "best_domain"]
            ],
        }
    )


def gather(
    store: Store,
    target: str,
    *,
    kinds: Iterable[str] = ("broken", "lost", "mention"),
    brand: list[str] | None = None,
    min_rating: float = DEFAULT_MIN_RATING,
    intersect: pd.DataFrame | None = None,
    gap: pd.DataFrame | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Prospects found in the index: ``source_url``, ``kind``, ``source_domain``, ``rating``
    and ``notes`` (what to ask for), for each requested kind (``broken``, ``lost``,
    ``mention``), plus rows from competitor DataFrames when given. A page found by several
    kinds is listed once, under the first kind asked for."""
    parts: list[pd.DataFrame] = []
    for kind in kinds:
        if kind == "broken":
            parts.append(_from_broken(store, target))
        elif kind == "lost":
            lost = lost_worth_asking(store, target, min_rating=min_rating)
            notes = [
                f"lost ({r}) link to {t}, anchor {a!r}"
                for r, t, a in zip(
                    lost["lost_reason"], lost["target_url"], lost["anchor"], strict=True
                )
            ]
            parts.append(_rows(lost, "lost", notes))
        elif kind in ("mention", "mentions"):
            found = unlinked_mentions(store, target, brand=brand, limit=limit)
            parts.append(_rows(found, "mention", [f"mentions {m!r}" for m in found["mention"]]))
        elif kind in ("intersect", "gap"):
            continue  # from the DataFrames below
        else:
            raise ValueError(f"cannot gather prospects of kind {kind!r}")
    for kind, frame in (("intersect", intersect), ("gap", gap)):
        if frame is not None:
            rows = from_competitors(frame, kind)
            rows["source_domain"] = [urls.domain_of(u) for u in rows["source_url"]]
            rows["rating"] = None
            parts.append(rows)
    cols = ["source_url", "kind", "source_domain", "rating", "notes"]
    frames = [p[cols] for p in parts if not p.empty]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True).drop_duplicates("source_url", keep="first")
    out = out.reset_index(drop=True)
    return out.head(limit) if limit else out


def _rows(df: pd.DataFrame, kind: str, notes: list[str], rating: str = "rating") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_url": df["source_url"],
            "kind": kind,
            "source_domain": df["source_domain"],
            "rating": df[rating],
            "notes": notes,
        }
    ).reset_index(drop=True)


def _from_broken(store: Store, target: str) -> pd.DataFrame:
    links = broken_links(store, target).sort_values(
        ["domain_rating", "source_url"], ascending=[False, True]
    )
    fix = broken(store, target).set_index("target_url")["redirect_to"].to_dict()
    notes = [
        f"links to broken {u} ({s} {p}); ask to link {fix.get(u) or 'a live page'}"
        for u, s, p in zip(links["target_url"], links["status"], links["problem"], strict=True)
    ]
    return _rows(links, "broken", notes, rating="domain_rating")


# ---- listing and status ----------------------------------------------------------------------


def list_prospects(
    store: Store,
    target: str | None = None,
    status: str | None = None,
    *,
    limit: int | None = None,
) -> pd.DataFrame:
    """The pipeline, by target, then status (new first), then source URL."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    have = _columns(store)
    select = ", ".join(c if c in have else f"NULL AS {c}" for c in _LIST_COLUMNS)
    where: list[str] = []
    params: list[Any] = []
    if target is not None:
        where.append("target = ?")
        params.append(normal_target(target))
    if status is not None:
        where.append("status = ?")
        params.append(status)
    order = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STATUSES))
    sql = (
        f"SELECT {select} FROM outreach"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY target, CASE status {order} ELSE 9 END, source_url"
        + (" LIMIT ?" if limit else "")
    )
    df: pd.DataFrame = store.query(sql, params + ([limit] if limit else []))
    for col in ("live", "followed"):  # nullable booleans: None, not pd.NA, where unknown
        if col in df:
            df[col] = pd.Series([None if pd.isna(v) else bool(v) for v in df[col]], dtype=object)
    return df


def _find(store: Store, key: int | str, target: str | None) -> tuple[int, str]:
    """The id and status of the prospect named by id or source URL."""
    text = str(key).strip()
    sql = "SELECT prospect_id, status FROM outreach WHERE "
    params: list[Any] = []
    if isinstance(key, int) or re.fullmatch(r"-?\d+", text):
        sql, params = sql + "prospect_id = ?", [int(text)]
    else:
        url = urls.canonicalize(text if "://" in text else f"http://{text}")
        if url is None:
            raise LookupError(f"not a prospect id or URL: {text!r}")
        sql, params = sql + "source_url = ?", [url]
    if target is not None:
        sql += " AND target = ?"
        params.append(normal_target(target))
    rows = store.con.execute(sql, params).fetchall()
    if not rows:
        raise LookupError(f"no prospect {text!r} in the pipeline")
    if len(rows) > 1:
        raise LookupError(
            f"{text!r} is a prospect of {len(rows)} targets: give its id or the target"
        )
    return int(rows[0][0]), str(rows[0][1])


def set_status(
    store: Store,
    prospect_id_or_url: int | str,
    status: str,
    *,
    owner: str | None = None,
    notes: str | None = None,
    target: str | None = None,
) -> dict[str, Any]:
    """Move a prospect (by id, or by source URL with ``target`` when several targets share
    it) to ``status``; owner and notes are replaced when given. Returns the updated row.
    Raises :class:`TransitionError` for a move the pipeline does not allow."""
    if status not in STATUSES:
        raise TransitionError(f"unknown status {status!r}; statuses: {', '.join(STATUSES)}")
    pid, current = _find(store, prospect_id_or_url, target)
    if not allowed(current, status):
        nxt = [s for s in (_NEXT.get(current), "declined") if s and s != current]
        raise TransitionError(
            f"cannot move prospect {pid} from {current} to {status}: "
            f"from {current} it may go to {' or '.join(nxt) or 'nothing else'}"
        )
    ensure_columns(store)
    reset = ", live = NULL, verdict = NULL, checked_at = NULL, followed = NULL"
    with store.transaction() as con:
        con.execute(
            "UPDATE outreach SET status = ?, owner = coalesce(?, owner), "
            "notes = coalesce(?, notes), updated_at = ?"
            + (reset if status == "won" and current != "won" else "")
            + " WHERE prospect_id = ?",
            [status, owner, notes, _now(), pid],
        )
    row = list_prospects(store).query("prospect_id == @pid")
    return {str(k): v for k, v in row.iloc[0].items()}
