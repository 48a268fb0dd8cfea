"""Toxic-link detection on synthetic webs with planted spam: precision and recall.

For each seed, generates the demo's synthetic web and its later snapshot (link farm, private
blog network, undisclosed paid links, comment spam — :meth:`SynthWeb.planted_spam` is the
ground truth), writes both as WARC files, ingests them into a fresh DuckDB index through the
normal pipeline, scores every external backlink of every domain with ``backlinks toxic``'s
model, and compares the links scoring at or above each threshold with the planted ones.

    .venv/bin/python bench/toxic_eval.py                      # seeds 1-5, sites 16
    .venv/bin/python bench/toxic_eval.py --seeds 1 2 3 --sites 20 --thresholds 40 50 60

Prints, per threshold: precision and recall over all seeds (backlinks counted once per
(source page, target URL)), recall per spam kind, and the false positives' most common reason.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from backlinks.demo.synthweb import evolve, generate_web
from backlinks.demo.warcwrite import write_warc
from backlinks.index import Index
from backlinks.quality.context import quality_context
from backlinks.quality.toxic import toxic_links


def score_web(
    seed: int, sites: int, workdir: Path
) -> tuple[pd.DataFrame, dict[tuple[str, str], str]]:
    """All scored backlinks of one generated web, and its planted spam (pair → kind)."""
    first = generate_web(seed, sites=sites)
    second = evolve(first, seed)
    truth: dict[tuple[str, str], str] = {}
    paths = []
    for n, web in enumerate((first, second)):
        for link in web.planted_spam():
            truth[(link.src_url, link.dst_url)] = link.kind
        path = workdir / f"web-{seed}-{n}.warc.gz"
        write_warc(web.pages, path)
        paths.append(path)
    with Index(workdir / f"web-{seed}.duckdb") as index:
        for path in paths:
            index.ingest(path)
        ctx = quality_context(index.store)
        domains = index.sql(
            "SELECT DISTINCT d.domain FROM links l JOIN domains d ON d.domain_id = l.dst_domain_id "
            "WHERE l.src_domain_id <> l.dst_domain_id ORDER BY 1"
        ).domain
        frames = [toxic_links(index.store, str(d), mode="domain", ctx=ctx) for d in domains]
    scored = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    best = scored.sort_values("score", ascending=False).drop_duplicates(
        ["source_url", "target_url"]
    )
    return best.assign(seed=seed), truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--sites", type=int, default=16)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[40, 50, 60, 70])
    args = parser.parse_args()
    start = time.perf_counter()
    frames, truths = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            scored, truth = score_web(seed, args.sites, Path(tmp))
            scored["planted"] = [
                truth.get((s, t), "")
                for s, t in zip(scored.source_url, scored.target_url, strict=True)
            ]
            missing = set(truth) - set(zip(scored.source_url, scored.target_url, strict=True))
            if missing:
                print(
                    f"seed {seed}: {len(missing)} planted links not in the index", file=sys.stderr
                )
            frames.append(scored)
            truths.append(truth)
    allrows = pd.concat(frames, ignore_index=True)
    planted = allrows[allrows.planted != ""]
    kinds = sorted(set(planted.planted))
    print(
        f"{len(args.seeds)} webs ({args.sites} sites, 2 snapshots each): "
        f"{len(allrows):,} external backlinks, {len(planted):,} planted spam "
        f"({', '.join(f'{k} {int((planted.planted == k).sum())}' for k in kinds)}); "
        f"{time.perf_counter() - start:.0f} s"
    )
    head = f"{'min score':>9} {'flagged':>8} {'precision':>9} {'recall':>7}  " + " ".join(
        f"{'R ' + k:>10}" for k in kinds
    )
    print(head)
    for t in args.thresholds:
        flagged = allrows[allrows.score >= t]
        tp = int((flagged.planted != "").sum())
        precision = tp / len(flagged) if len(flagged) else float("nan")
        recall = tp / len(planted) if len(planted) else float("nan")
        per_kind = " ".join(
            f"{(flagged.planted == k).sum() / max(1, (planted.planted == k).sum()):>10.3f}"
            for k in kinds
        )
        print(f"{t:>9g} {len(flagged):>8,} {precision:>9.3f} {recall:>7.3f}  {per_kind}")
    cut = args.thresholds[len(args.thresholds) // 2]
    false_pos = allrows[(allrows.score >= cut) & (allrows.planted == "")]
    reasons = Counter(r.split(":")[0] for rs in false_pos.reasons for r in str(rs).split("; "))
    print(f"false positives at {cut:g}: {len(false_pos)}; top reasons: {reasons.most_common(4)}")
    missed = planted[planted.score < cut]
    print(f"missed at {cut:g}: {len(missed)} ({dict(Counter(missed.planted))})")


if __name__ == "__main__":
    main()
