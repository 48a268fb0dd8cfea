"""From scored backlinks to decisions: each referring domain's verdict, and the Google
disavow file for a target (whole domains where most of their links are toxic, single URLs
otherwise, each entry after a comment with its reasons).

Pure functions of a :func:`backlinks.quality.toxic.toxic_links` frame, so every interface
(CLI, HTTP API, report, demo) decides the same way from the same scores.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backlinks.quality.disavow import DisavowFile, write_disavow

__all__ = ["disavow_plan", "toxic_domains", "write_file"]


def toxic_domains(links: pd.DataFrame, *, min_score: float = 0.0) -> pd.DataFrame:
    """Referring domains of a :func:`toxic_links` frame (computed with ``min_score=0``):
    score (their worst link), links, toxic links (at or above ``min_score``), reasons."""
    cols = ["score", "source_domain", "links", "toxic_links", "toxic_share", "spam_score",
            "spam_mass", "reasons"]  # fmt: skip
    if links.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for domain, grp in links.groupby("source_domain", sort=False):
        toxic = grp[grp.score >= min_score] if min_score > 0 else grp[grp.score > 0]
        reasons = dict.fromkeys(r for t in toxic.reasons for r in str(t).split("; ") if r)
        rows.append(
            (
                float(grp.score.max()),
                domain,
                len(grp),
                len(toxic),
                round(len(toxic) / len(grp), 3),
                float(grp.source_spam_score.max()),
                float(grp.source_spam_mass.max()),
                "; ".join(reasons),
            )
        )
    out = pd.DataFrame(rows, columns=cols)
    out = out[out.score >= min_score] if min_score > 0 else out
    return out.sort_values(["score", "source_domain"], ascending=[False, True]).reset_index(
        drop=True
    )


def disavow_plan(
    links: pd.DataFrame,
    *,
    min_score: float,
    target: str,
    whole_domain_share: float = 0.5,
    existing: DisavowFile | None = None,
) -> tuple[str, pd.DataFrame]:
    """Google disavow file for the toxic links of one target: a ``domain:`` line for each
    referring domain whose toxic links are at least ``whole_domain_share`` of its links,
    URL lines for the other toxic links, each after a ``#`` line with its reasons. Entries
    of an ``existing`` file are kept (and what they cover is not listed again).
    Returns the text and a preview frame (kind, entry, score, reasons, existing)."""
    domains = toxic_domains(links, min_score=min_score)
    whole = domains[domains.toxic_share >= whole_domain_share]
    rows: list[tuple[str, str, float | None, str, bool]] = []
    if existing is not None:
        rows += [("domain", d, None, "", True) for d in sorted(existing.domains)]
        rows += [("url", u, None, "", True) for u in sorted(existing.urls)]
    for r in whole.itertuples(index=False):
        name = str(r.source_domain)
        if existing is None or not existing.covers("", name):
            why = f"score {r.score:.0f}, {r.toxic_links}/{r.links} links toxic: {r.reasons}"
            rows.append(("domain", name, float(str(r.score)), why, False))
    rest = links[(links.score >= min_score) & ~links.source_domain.isin(whole.source_domain)]
    for url, grp in rest.groupby("source_url", sort=True):
        top = grp.sort_values("score", ascending=False).iloc[0]
        if existing is None or not existing.covers(str(url), str(top["source_host"] or "")):
            rows.append(
                (
                    "url",
                    str(url),
                    float(top["score"]),
                    f"score {top['score']:.0f}: {top['reasons']}",
                    False,
                )
            )
    preview = pd.DataFrame(rows, columns=["kind", "entry", "score", "reasons", "existing"])
    header = [
        f"Disavow file for {target}, written by backlinks",
        f"toxic score >= {min_score:g}; whole domains when >= {whole_domain_share:.0%} of "
        "their links are toxic",
    ]
    pick = preview.kind == "domain"
    text = write_disavow(
        [(e, w) for e, w in zip(preview.entry[pick], preview.reasons[pick], strict=True)],
        [(e, w) for e, w in zip(preview.entry[~pick], preview.reasons[~pick], strict=True)],
        header=header,
    )
    return text, preview


def write_file(path: Path, text: str) -> None:
    """Write a disavow file as UTF-8 (what Google accepts)."""
    path.write_text(text, encoding="utf-8")
