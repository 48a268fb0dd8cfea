"""Anchor evidence of a target's backlinks: each link's anchor class (branded, exact,
partial, url, generic, image, other) and commercial flag, the class profile by referring
domains, and the share of followed referring domains with keyword anchors (over-optimisation).

The classes come from :mod:`backlinks.quality.anchors`; the toxic scores
(:mod:`backlinks.quality.toxic`), the profile and the CLI's ``anchors`` read them from here.
"""

from __future__ import annotations

import pandas as pd

from backlinks import urls
from backlinks.analysis.backlinks import Mode, resolve_target
from backlinks.quality import anchors as anchor_mod
from backlinks.quality.signals import backlink_evidence
from backlinks.store.db import Store

__all__ = ["anchor_classes", "anchor_profile", "classify", "over_optimisation", "site_names"]


def anchor_profile(ev: pd.DataFrame) -> pd.DataFrame:
    """Anchor classes of a classified evidence frame: referring domains, links and the share
    of referring domains per class (a domain counts once per class it uses)."""
    if ev.empty:
        return pd.DataFrame(columns=["anchor_class", "referring_domains", "links", "share"])
    total = ev.src_domain_id.nunique()
    grouped = ev.groupby("anchor_class").agg(
        referring_domains=("src_domain_id", "nunique"), links=("anchor", "size")
    )
    grouped = grouped.reindex(list(anchor_mod.CLASSES), fill_value=0).reset_index()
    grouped["share"] = (grouped.referring_domains / total).round(3)
    return grouped.sort_values("referring_domains", ascending=False, kind="stable").reset_index(
        drop=True
    )


def over_optimisation(ev: pd.DataFrame) -> float:
    """Share of the followed referring domains at least half of whose links to the target
    carry a keyword anchor — exact- or partial-match, or commercial (natural profiles are led
    by branded and URL anchors)."""
    followed = ev[~(ev.nofollow | ev.ugc | ev.sponsored)]
    if followed.empty:
        return 0.0
    keyword = followed.anchor_class.isin(("exact", "partial")) | followed.commercial
    per_domain = keyword.astype(float).groupby(followed.src_domain_id).mean()
    return float((per_domain >= 0.5).mean())


def classify(ev: pd.DataFrame, brand: anchor_mod.Brand) -> pd.DataFrame:
    classes, commercial = [], []
    for anchor, image, url, title in zip(
        ev.anchor, ev.is_image, ev.target_url, ev.target_title, strict=True
    ):
        slug, words = anchor_mod.target_words(str(url), title if isinstance(title, str) else None)
        classes.append(
            anchor_mod.anchor_class(
                str(anchor), is_image=bool(image), brand=brand, slug_words=slug, title_words=words
            )
        )
        commercial.append(anchor_mod.is_commercial(str(anchor)))
    return ev.assign(anchor_class=classes, commercial=commercial)


def anchor_classes(store: Store, target: str, *, mode: Mode = "auto") -> pd.DataFrame:
    """The target's external backlinks with their anchor class and commercial flag."""
    resolved = resolve_target(target, mode)
    ev = backlink_evidence(store, resolved)
    if ev.empty:
        return ev.assign(anchor_class=[], commercial=[])
    host = resolved.value if resolved.mode in ("host", "domain") else urls.host_of(resolved.value)
    domain = urls.registrable_domain(host)
    rows = store.con.execute(
        "SELECT DISTINCT title FROM pages WHERE domain_id = ? AND title IS NOT NULL "
        "AND regexp_matches(url, '^https?://[^/]+/?$') LIMIT 5",
        [urls.stable_id(domain)],
    ).fetchall()
    return classify(ev, anchor_mod.Brand.of(domain, site_names([str(r[0]) for r in rows])))


def site_names(titles: list[str]) -> list[str]:
    """Brand candidates from home-page titles, split at the usual separators."""
    out: list[str] = []
    for title in titles:
        for sep in (" | ", " – ", " — ", " - ", " · ", ": "):
            if sep in title:
                out.extend(p.strip() for p in title.split(sep) if p.strip())
    return [n for n in out if 3 <= len(n) <= 40]
