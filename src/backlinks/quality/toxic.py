"""Toxic-link scores, per backlink and per referring domain, each with its reasons.

Each piece of evidence (:data:`WEIGHTS`) that holds for a backlink contributes a weight
``w`` (scaled by its strength ``s`` in [0, 1] where it has one, e.g. the source host's spam
score); the backlink's score is the noisy-OR ``100 · (1 − Π (1 − w·s))``, so one strong
reason makes a link suspect, several weak ones add up, and the score never passes 100. The
reasons are kept as text pointing at the evidence (which network and its members, which
anchor and how many domains use it, which page says "sponsored post"). A referring
domain's score is the highest of its links'; its reasons are the union of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from backlinks import urls
from backlinks.analysis.backlinks import Mode, resolve_target
from backlinks.quality import anchors as anchor_mod
from backlinks.quality.anchor_evidence import (
    anchor_classes,
    anchor_profile,
    classify,
    over_optimisation,
    site_names,
)
from backlinks.quality.context import QualityContext, quality_context
from backlinks.quality.disavow import DisavowFile
from backlinks.quality.plan import disavow_plan, toxic_domains, write_file
from backlinks.quality.signals import backlink_evidence, new_links_by_snapshot
from backlinks.store.db import Store

__all__ = [  # anchor and plan helpers live in quality.anchor_evidence and quality.plan;
    # they stay importable from here, where callers have always found them
    "THRESHOLDS",
    "WEIGHTS",
    "anchor_classes",
    "anchor_profile",
    "disavow_plan",
    "over_optimisation",
    "site_names",
    "toxic_domains",
    "toxic_links",
    "write_file",
]

#: Weight of each kind of evidence in the noisy-OR (documented in the README).
WEIGHTS: Final[dict[str, float]] = {
    "spam_host": 0.85,  # × the source host's spam score (link features, see hostspam)
    "network": 0.75,  # source domain in a dense reciprocal cluster (link farm)
    "outlink_twins": 0.6,  # source links to the same domains as other referrers (PBN)
    "template_twins": 0.6,  # source has the same sitewide links as other referrers
    "boosted_source": 0.6,  # the source's own backlinks come from link networks
    "paid_undisclosed": 0.6,  # page says it is sponsored, the link is followed
    "followed_comment": 0.3,  # followed link in a comment section
    "comment_spam": 0.55,  # keyword anchor in a comment / ugc link
    "many_outlinks": 0.6,  # page with hundreds or thousands of external links
    "repeated_anchor": 0.35,  # the same commercial anchor from many referring domains
    "velocity": 0.3,  # part of a burst of new links from the domain
    "commercial_anchor": 0.2,  # a keyword anchor of commercial intent
    "over_optimised": 0.2,  # exact/partial anchor on an over-optimised profile
    "sitewide": 0.15,  # on most pages of the source site (footer, sidebar)
}
#: Thresholds that turn a measurement into evidence.
THRESHOLDS: Final[dict[str, float]] = {
    "many_outlinks": 100,  # external links on the source page
    "repeated_anchor_domains": 3,  # referring domains using one keyword anchor
    "sitewide_share": 0.5,  # share of the source site's pages carrying the link
    "sitewide_pages": 3,  # fewest source-site pages for "sitewide"
    "velocity_new": 5,  # new links from one domain in one snapshot
    "over_optimised_share": 0.5,  # referring domains with exact/partial anchors
    "velocity_ratio": 0.25,  # new links / links it had before (growth)
    "spam_host_min": 0.7,  # host spam scores below this are not evidence
}


@dataclass(slots=True)
class _Judge:
    """Evidence collected for each row of the evidence frame."""

    n: int
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    texts: list[list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.texts = [[] for _ in range(self.n)]

    def add(self, kind: str, rows: np.ndarray, strength: np.ndarray, why: list[str]) -> None:
        """Evidence ``kind`` holds for the ``rows`` (positions), with strengths and texts."""
        col = self.parts.setdefault(kind, np.zeros(self.n))
        col[rows] = np.maximum(col[rows], strength)
        for r, text in zip(rows, why, strict=True):
            self.texts[int(r)].append(text)

    def scores(self) -> np.ndarray:
        keep = np.ones(self.n)
        for kind, strength in self.parts.items():
            keep *= 1.0 - WEIGHTS[kind] * np.clip(strength, 0.0, 1.0)
        return np.round(100.0 * (1.0 - keep), 1)


def _names(ctx: QualityContext, ids: tuple[int, ...], limit: int = 5) -> str:
    names = sorted(ctx.domain_name(i) for i in ids)
    more = f" +{len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _judge(ev: pd.DataFrame, ctx: QualityContext, target_domain: str) -> _Judge:
    judge = _Judge(len(ev))
    pos = np.arange(len(ev))
    followed = ~(ev.nofollow | ev.ugc | ev.sponsored).to_numpy(bool)
    # link networks: global reciprocal clusters, then twins among this target's referrers
    for name, cluster in ctx.networks.items():
        rows = pos[ev.src_domain_id.isin(cluster.members).to_numpy(bool)]
        why = (
            f"in {name} ({len(cluster.members)} domains: {_names(ctx, cluster.members)}; "
            f"density {cluster.density:.2f}; {cluster.inside:.0%} of their in-links come from "
            "each other)"
        )
        judge.add("network", rows, np.ones(rows.size), [why] * rows.size)
    for name, cluster in ctx.twins_for(ev).items():
        rows = pos[ev.src_domain_id.isin(cluster.members).to_numpy(bool)]
        what = "outlinks" if name.startswith("outlink") else "sitewide links"
        why = (
            f"{name}: {len(cluster.members)} domains ({_names(ctx, cluster.members)}) "
            f"with near-identical {what} (mean Jaccard {cluster.density:.2f})"
        )
        kind = "outlink_twins" if name.startswith("outlink") else "template_twins"
        judge.add(kind, rows, np.ones(rows.size), [why] * rows.size)
    for dom, (n_spam, total) in ctx.boosted.items():
        rows = pos[(ev.src_domain_id == dom).to_numpy(bool)]
        why = (
            f"the source site's own backlinks are bought: {n_spam} of its {total} referring "
            "domains are link-network members linking it with commercial anchors"
        )
        judge.add("boosted_source", rows, np.ones(rows.size), [why] * rows.size)
    # the source host's own spam score
    host_score = ev.src_host_id.map(lambda h: ctx.host_score(int(h))[0]).to_numpy(float)
    hit = host_score >= THRESHOLDS["spam_host_min"]
    judge.add(
        "spam_host",
        pos[hit],
        host_score[hit],
        [
            f"source host spam score {round(100 * s)}: {ctx.host_score(int(h))[1]}"
            for s, h in zip(host_score[hit], ev.src_host_id[hit], strict=True)
        ],
    )
    _anchor_evidence(ev, judge, pos, followed)
    _page_evidence(ev, judge, pos, followed)
    _profile_evidence(ev, judge, pos)
    return judge


def _anchor_evidence(
    ev: pd.DataFrame, judge: _Judge, pos: np.ndarray, followed: np.ndarray
) -> None:
    cls = ev.anchor_class.to_numpy(str)
    commercial = ev.commercial.to_numpy(bool)
    keyword = np.isin(cls, ("exact", "partial", "other")) & (ev.anchor.str.strip() != "")
    norm = ev.anchor.map(anchor_mod.normalize)
    pick = keyword & commercial
    per_anchor = ev[pick].assign(norm=norm[pick]).groupby("norm").src_domain_id.nunique()
    many = per_anchor[per_anchor >= THRESHOLDS["repeated_anchor_domains"]]
    hit = pick & norm.isin(many.index).to_numpy(bool)
    judge.add(
        "repeated_anchor",
        pos[hit],
        np.ones(int(hit.sum())),
        [f"commercial anchor “{a}” is used by {many[a]} referring domains" for a in norm[hit]],
    )
    hit = keyword & commercial
    judge.add(
        "commercial_anchor",
        pos[hit],
        np.ones(int(hit.sum())),
        [
            f"commercial {c}-match anchor “{a}”"
            for c, a in zip(cls[hit], ev.anchor[hit], strict=True)
        ],
    )


def _profile_evidence(ev: pd.DataFrame, judge: _Judge, pos: np.ndarray) -> None:
    share = over_optimisation(ev)
    if share < THRESHOLDS["over_optimised_share"]:
        return
    hit = (ev.anchor_class.isin(("exact", "partial")) | ev.commercial).to_numpy(bool)
    why = (
        f"over-optimised anchor profile: {share:.0%} of followed referring domains link "
        "mostly with keyword anchors"
    )
    judge.add("over_optimised", pos[hit], np.ones(int(hit.sum())), [why] * int(hit.sum()))


def _page_evidence(ev: pd.DataFrame, judge: _Judge, pos: np.ndarray, followed: np.ndarray) -> None:
    section = ev.section.to_numpy(str)
    comment = section == "comment"
    ugc_elsewhere = ev.ugc.to_numpy(bool) & ~comment  # forum posts, guest books
    commercial = ev.commercial.to_numpy(bool)
    hit = comment & followed
    judge.add(
        "followed_comment",
        pos[hit],
        np.ones(int(hit.sum())),
        ["followed link in a comment"] * int(hit.sum()),
    )
    keyword = commercial | ev.anchor_class.isin(("exact", "partial")).to_numpy(bool)
    hit = (comment & keyword) | (ugc_elsewhere & commercial)
    judge.add(
        "comment_spam",
        pos[hit],
        np.ones(int(hit.sum())),
        [
            f"keyword anchor “{a}” in {'user comments' if c else 'user content (rel=ugc)'}"
            for a, c in zip(ev.anchor[hit], comment[hit], strict=True)
        ],
    )
    # the spammer's name link sits in the same comment as the keyword link
    near = comment & ~hit & ev.src_url_id.isin(set(ev.src_url_id[hit])).to_numpy(bool)
    judge.add(
        "comment_spam",
        pos[near],
        np.ones(int(near.sum())),
        ["comment link on a page whose comments carry keyword links to this site"]
        * int(near.sum()),
    )
    marker = ev.paid_marker.fillna("").to_numpy(str)
    hit = (marker != "") & followed & (section == "content")
    judge.add(
        "paid_undisclosed",
        pos[hit],
        np.ones(int(hit.sum())),
        [f"page says “{m}” but the link is not rel=sponsored/nofollow" for m in marker[hit]],
    )
    many = ev.page_external_links.to_numpy(int)
    hit = many >= THRESHOLDS["many_outlinks"]
    judge.add(
        "many_outlinks",
        pos[hit],
        np.minimum(1.0, 0.5 + 0.5 * np.log10(many[hit] / THRESHOLDS["many_outlinks"])),
        [f"source page has {m:,} external links" for m in many[hit]],
    )
    pages, linking = ev.site_pages.to_numpy(int), ev.site_pages_linking.to_numpy(int)
    share = linking / np.maximum(pages, 1)
    hit = (pages >= THRESHOLDS["sitewide_pages"]) & (share >= THRESHOLDS["sitewide_share"])
    hit &= np.isin(ev.section.to_numpy(str), ("nav", "header", "footer", "aside"))
    judge.add(
        "sitewide",
        pos[hit],
        np.ones(int(hit.sum())),
        [
            f"sitewide {s} link: on {k} of {p} pages of the source site"
            for s, k, p in zip(ev.section[hit], linking[hit], pages[hit], strict=True)
        ],
    )
    bursts = new_links_by_snapshot(ev)
    if not bursts.empty:
        spike = bursts[
            (bursts.snap > 1)
            & (bursts.new >= THRESHOLDS["velocity_new"])
            & (bursts.new >= THRESHOLDS["velocity_ratio"] * bursts.before)
        ]
        for rec in spike.itertuples(index=False):
            rows = pos[
                ((ev.src_domain_id == rec.src_domain_id) & (ev.first_snap == rec.snap)).to_numpy(
                    bool
                )
            ]
            why = (
                f"link velocity spike: {rec.new} new links from this domain in snapshot "
                f"{rec.snap} (it had {rec.before} before)"
            )
            judge.add("velocity", rows, np.ones(rows.size), [why] * rows.size)


COLUMNS: Final = (
    "score", "source_url", "target_url", "anchor", "anchor_class", "reasons", "source_domain",
    "source_host", "source_spam_score", "source_spam_mass", "nofollow", "ugc", "sponsored",
    "section", "first_seen", "last_seen",
)  # fmt: skip


def toxic_links(
    store: Store,
    target: str,
    *,
    mode: Mode = "auto",
    min_score: float = 0.0,
    ctx: QualityContext | None = None,
    disavowed: DisavowFile | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Every external backlink of ``target`` with its toxic score (0–100) and reasons,
    most toxic first; only those scoring at least ``min_score``. With ``disavowed``, a
    ``disavowed`` column says which are already in that disavow file."""
    resolved = resolve_target(target, mode)
    ctx = ctx or quality_context(store)
    ev = backlink_evidence(store, resolved)
    host = resolved.value if resolved.mode in ("host", "domain") else urls.host_of(resolved.value)
    domain = urls.registrable_domain(host)
    if ev.empty:
        return pd.DataFrame(columns=[*COLUMNS, "src_domain_id"])
    ev = classify(ev, anchor_mod.Brand.of(domain, ctx.site_names(domain)))
    judge = _judge(ev, ctx, domain)
    host_score, host_mass = ctx.host_values(ev.src_host_id.to_numpy(np.int64))
    ev = ev.assign(
        score=judge.scores(),
        reasons=["; ".join(dict.fromkeys(t)) for t in judge.texts],
        source_spam_score=np.round(100 * host_score, 1),
        source_spam_mass=np.round(host_mass, 3),
    )
    if disavowed is not None:
        ev["disavowed"] = [
            disavowed.covers(str(u), str(h or ""))
            for u, h in zip(ev.source_url, ev.source_host, strict=True)
        ]
    ev = ev[ev.score >= min_score].sort_values(
        ["score", "source_domain", "source_url"], ascending=[False, True, True], kind="stable"
    )
    cols = [*COLUMNS, *(["disavowed"] if disavowed is not None else []), "src_domain_id"]
    out = ev.loc[:, cols].reset_index(drop=True)
    return out.head(limit) if limit else out
