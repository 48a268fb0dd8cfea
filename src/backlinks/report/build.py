"""Gather a target's answers from the analysis layer and render them as the HTML report.

Everything shown comes from :func:`backlinks.analysis.profile.profile`,
:func:`backlinks.analysis.history.new_lost` and :func:`backlinks.quality.toxic.toxic_links`
as they return it; this module only picks rows and columns, draws and lays out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pandas as pd

from backlinks.analysis.backlinks import Mode, snapshots
from backlinks.analysis.history import NEW_LOST_COLUMNS, new_lost
from backlinks.analysis.profile import Profile, profile
from backlinks.quality.context import QualityContext
from backlinks.quality.disavow import DisavowFile, exclusion_of, read_disavow
from backlinks.quality.toxic import toxic_links
from backlinks.report import charts
from backlinks.report.html import Section, Table, page, write_tables
from backlinks.store.db import Store

__all__ = [
    "STEPS",
    "TOXIC_EDGES",
    "ReportData",
    "build_report",
    "gather",
    "profile_charts",
    "render",
    "toxic_chart",
]

#: The steps of :func:`build_report`, in order (a progress bar's total).
STEPS: Final = ("profile", "new and lost links", "toxic links", "charts and tables", "write")
#: Bins of the toxic-score histogram.
TOXIC_EDGES: Final = tuple(range(0, 101, 10))
#: Columns of the toxic-links table (``disavowed`` too, with a disavow file).
TOXIC_COLUMNS: Final = (
    "score", "source_url", "target_url", "anchor", "anchor_class", "section", "nofollow",
    "reasons", "disavowed",
)  # fmt: skip

Step = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ReportData:
    """What the report shows, as the analysis layer returned it."""

    target: str
    profile: Profile
    changes: pd.DataFrame  # new_lost (empty, with why in changes_note, when it cannot answer)
    changes_note: str
    toxic: pd.DataFrame  # toxic_links, every backlink with its score
    snapshots: pd.DataFrame
    store: str
    disavow: str | None
    disavowed: DisavowFile | None
    limit: int


def gather(
    store: Store,
    target: str,
    *,
    mode: Mode = "auto",
    disavow: Path | None = None,
    limit: int = 20,
    ctx: QualityContext | None = None,
    on_step: Step | None = None,
) -> ReportData:
    """Ask the analysis layer every question the report answers (with a disavow file, the
    profile leaves its links out and the toxic links say which it covers)."""
    step = on_step or (lambda _name: None)
    disavowed = read_disavow(disavow) if disavow is not None else None
    exclude = exclusion_of(store, disavowed) if disavowed is not None else None
    prof = profile(store, target, mode=mode, exclude=exclude, limit=limit)
    step(STEPS[0])
    try:
        changes, changes_note = new_lost(store, target, mode=mode), ""
    except ValueError as exc:  # fewer than two snapshots hold links
        changes = pd.DataFrame({c: pd.Series(dtype="object") for c in NEW_LOST_COLUMNS})
        changes_note = str(exc)
    step(STEPS[1])
    toxic = toxic_links(store, target, mode=mode, ctx=ctx, disavowed=disavowed, min_score=0.0)
    step(STEPS[2])
    return ReportData(
        target=target,
        profile=prof,
        changes=changes,
        changes_note=changes_note,
        toxic=toxic,
        snapshots=snapshots(store),
        store=str(store.path),
        disavow=str(disavow) if disavow is not None else None,
        disavowed=disavowed,
        limit=limit,
    )


def report_tables(data: ReportData) -> dict[str, Table]:
    """Every table of the report by name: the analysis frames, top rows only where the
    analysis returns every row (new/lost and toxic links)."""
    p, n = data.profile, data.limit
    changes = data.changes.groupby("change", sort=False).head(n) if n else data.changes
    total = data.changes.change.value_counts()
    changes_note = data.changes_note or (
        ", ".join(f"{int(v):,} {k}" for k, v in total.items()) + f" links; first {n} of each"
        if len(total)
        else "no new or lost links between the last two snapshots"
    )
    toxic = data.toxic[data.toxic.score > 0]
    toxic = toxic.loc[:, [c for c in TOXIC_COLUMNS if c in toxic.columns]]
    toxic = toxic.head(n) if n else toxic
    tables = [
        Table("top_domains", "Top referring domains", p.top_domains, "by domain rating"),
        Table("best_pages", "Best pages", p.best_pages, "pages of the target by referring domains"),
        Table("top_anchors", "Top anchors", p.top_anchors),
        Table(
            "new_lost",
            "New and lost links",
            changes.reset_index(drop=True),
            changes_note,
        ),
        Table(
            "toxic_links",
            "Toxic links",
            toxic.reset_index(drop=True),
            f"the {n} highest toxic scores (0-100) of {len(data.toxic):,} backlinks, with reasons",
        ),
        Table("anchor_classes", "Anchor classes", p.anchors),
        Table("rating_distribution", "Referring domains by rating", p.rating_distribution),
        Table("velocity", "Referring domains per snapshot", p.velocity),
        Table("tlds", "Referring domains by TLD", p.tlds),
        Table("sections", "Links by page section", p.sections),
    ]
    return {t.name: t for t in tables}


def _labels(velocity: pd.DataFrame) -> list[str]:
    """Snapshots by their order and start date (their ids are 64-bit hashes)."""
    return [
        f"{k}: {pd.Timestamp(t):%Y-%m-%d}" if not pd.isna(t) else f"{k}: ?"
        for k, t in enumerate(velocity.started_at, 1)
    ]


def _short_url(url: object) -> str:
    """A URL less its scheme, for chart labels (tables keep it whole)."""
    text = str(url)
    return text.split("://", 1)[1] if text.startswith(("http://", "https://")) else text


def report_charts(data: ReportData) -> dict[str, str]:
    """Every chart of the report by id, as SVG."""
    return {**profile_charts(data.profile), "chart-toxic": toxic_chart(data.toxic)}


def profile_charts(p: Profile) -> dict[str, str]:
    """The charts of a backlink profile by id, as SVG (the report's and the dashboard's)."""
    return {
        "chart-anchors": charts.bar_chart(
            list(p.anchors.anchor_class),
            list(p.anchors.referring_domains),
            title="Anchor classes",
            x_label="Anchor class",
            y_label="Referring domains",
            chart_id="chart-anchors",
        ),
        "chart-ratings": charts.bar_chart(
            list(p.rating_distribution.bucket),
            list(p.rating_distribution.referring_domains),
            title="Referring domains by domain rating",
            x_label="Domain rating",
            y_label="Referring domains",
            chart_id="chart-ratings",
            gap=0.04,
        ),
        "chart-velocity": charts.grouped_bar_chart(
            _labels(p.velocity),
            {"new": list(p.velocity.new_domains), "lost": list(p.velocity.lost_domains)},
            title="New and lost referring domains per snapshot",
            x_label="Snapshot",
            y_label="Referring domains",
            chart_id="chart-velocity",
        ),
        "chart-pages": charts.hbar_chart(
            [_short_url(u) for u in p.best_pages.target_url],
            list(p.best_pages.referring_domains),
            title="Top pages by referring domains",
            x_label="Referring domains",
            y_label="Page",
            chart_id="chart-pages",
            clip_middle=True,
        ),
        "chart-tlds": charts.hbar_chart(
            list(p.tlds.tld),
            list(p.tlds.referring_domains),
            title="Referring domains by TLD",
            x_label="Referring domains",
            y_label="TLD",
            chart_id="chart-tlds",
        ),
        "chart-sections": charts.bar_chart(
            list(p.sections.section),
            list(p.sections.links),
            title="Links by section of the linking page",
            x_label="Section",
            y_label="Links",
            chart_id="chart-sections",
        ),
    }


def toxic_chart(toxic: pd.DataFrame) -> str:
    """The toxic-score histogram of a target's backlinks, as SVG."""
    return charts.histogram(
        list(toxic.score),
        TOXIC_EDGES,
        title="Toxic-score distribution",
        x_label="Toxic score",
        y_label="Backlinks",
        chart_id="chart-toxic",
    )


def _meta(data: ReportData) -> dict[str, object]:
    snaps = data.snapshots
    when = pd.to_datetime(snaps.started_at).dropna() if len(snaps) else pd.Series(dtype=object)
    window = f" ({when.min():%Y-%m-%d} to {when.max():%Y-%m-%d})" if len(when) else ""
    meta: dict[str, object] = {
        "target": data.target,
        "mode": data.profile.mode,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "store": data.store,
        "snapshots": f"{len(snaps):,}{window}",
    }
    if data.disavow is not None and data.disavowed is not None:
        d = data.disavowed
        meta["disavow_file"] = (
            f"{data.disavow}: {len(d.domains):,} domains, {len(d.urls):,} URLs, "
            f"{len(d.problems):,} malformed lines (its links are left out of the profile "
            "and marked in the toxic links)"
        )
    return meta


def render(data: ReportData) -> tuple[str, list[Table]]:
    """The HTML document and every table it holds."""
    t, c = report_tables(data), report_charts(data)
    sections = [
        Section(
            "Referring domains",
            [c["chart-ratings"], c["chart-tlds"]],
            [t["top_domains"]],
            data=[t["rating_distribution"], t["tlds"]],
        ),
        Section(
            "Growth",
            [c["chart-velocity"]],
            [t["new_lost"]],
            note="Referring domains gained and lost between consecutive snapshots (all of "
            "them are new in the first); the links new and lost in the last snapshot.",
            data=[t["velocity"]],
        ),
        Section("Anchors", [c["chart-anchors"]], [t["top_anchors"]], data=[t["anchor_classes"]]),
        Section(
            "Pages",
            [c["chart-pages"], c["chart-sections"]],
            [t["best_pages"]],
            data=[t["sections"]],
        ),
        Section(
            "Toxic links",
            [c["chart-toxic"]],
            [t["toxic_links"]],
            note="Scores combine link-network, spam-host, anchor and page evidence; see the "
            "reasons column.",
        ),
    ]
    doc = page(
        title=f"Backlink report: {data.target}",
        meta=_meta(data),
        summary=data.profile.summary,
        sections=sections,
        footer="Written by backlinks. Self-contained: no scripts, nothing loaded from the "
        "network; tables download as CSV and JSON from the links above each.",
    )
    return doc, list(t.values())


def build_report(
    store: Store,
    target: str,
    *,
    out: Path,
    tables: Path | None = None,
    disavow: Path | None = None,
    mode: Mode = "auto",
    limit: int = 20,
    ctx: QualityContext | None = None,
    on_step: Step | None = None,
) -> Path:
    """Write the report of ``target`` to ``out`` (and, with ``tables``, one CSV and one
    JSON file per table into that folder); ``limit`` rows per table. Returns ``out``."""
    step = on_step or (lambda _name: None)
    data = gather(store, target, mode=mode, disavow=disavow, limit=limit, ctx=ctx, on_step=on_step)
    doc, frames = render(data)
    step(STEPS[3])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(doc, encoding="utf-8")
    if tables is not None:
        write_tables(frames, tables)
    step(STEPS[4])
    return out
