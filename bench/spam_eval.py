"""Host spam scores on real labels: WEBSPAM-UK2007 (and UK2006 when link data is supplied).

Scores, from link features alone:

* ``learned``: :class:`backlinks.quality.hostspam.HostSpamModel` (``--model`` swaps in a
  logistic regression or gradient boosting baseline), on all 41 official link features of
  UK2007 (home-page ``_hp`` and max-PageRank-page ``_mp`` variants, host supporters) and on
  the ``_hp`` features alone under :func:`~backlinks.quality.hostfeatures.host_features`'s
  names (what the package computes for a host graph);
* ``default unsupervised``: :func:`~backlinks.quality.hostspam.spam_score` (no labels used);
* ``spam mass alone``: relative spam mass from the ``_hp`` PageRank and TrustRank.

Default: ``--folds``-fold cross-validation of the UK2007 SET1 labels, grouped by registrable
domain (no domain on both sides), stratified, reshuffled for each of ``--repeats`` repeats.
``--train A --test B``: train on A's hosts, score B's (hosts without features are counted
and left out). Label files in the UK2007 (``hostid label ...``, ids mapped through the
hostnames file) or UK2006 (``hostname ... label``) format, detected. ``--graph EDGEFILE``
(``src dst`` host pairs, names or ids) computes the features with ``host_features`` instead,
e.g. for UK2006, whose host graph is not in ``../shared/data``.

    .venv/bin/python bench/spam_eval.py
    .venv/bin/python bench/spam_eval.py --train SET1-labels.txt --test SET2-labels.txt
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from backlinks.graph.edgefile import load_edge_file
from backlinks.quality.hostfeatures import FEATURES, host_features, spam_mass
from backlinks.quality.hostspam import (
    HostSpamModel,
    model_matrix,
    read_hostnames,
    read_labels,
    spam_score,
)
from backlinks.urls import registrable_domain

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("BACKLINKS_SHARED_DATA", ROOT.parent / "shared" / "data"))
UK7 = "webspam-uk2007"
UK6 = "webspam-uk2006"
ARFF = "uk-2007-05.link_based_features.csv.train.arff.gz"
#: Pages of the UK2007 crawl: the graph whose PageRank the official features hold (README).
UK2007_PAGES = 105_896_555


class Scorer(Protocol):
    def fit(self, f: pd.DataFrame, y: np.ndarray) -> Scorer: ...
    def predict(self, f: pd.DataFrame) -> np.ndarray: ...


def read_arff(path: Path, hostnames: dict[int, str]) -> pd.DataFrame:
    """The official link features, indexed by host name: ``X_hp`` columns renamed to
    ``host_features`` names, other columns (``X_mp``, ``siteneighbors_k``) kept; class and
    assessment score dropped (never features)."""
    opener = gzip.open if path.suffix == ".gz" else open
    names: list[str] = []
    rows: list[list[str]] = []
    with opener(path, "rt") as fh:
        in_data = False
        for raw in fh:
            line = raw.strip()
            if not line or line.startswith("%"):
                continue
            if line.upper().startswith("@ATTRIBUTE"):
                names.append(line.split()[1])
            elif line.upper().startswith("@DATA"):
                in_data = True
            elif in_data:
                rows.append(line.split(","))
    df = pd.DataFrame(rows, columns=names).drop(columns=["class", "assessmentscore"])
    df = df.apply(pd.to_numeric)
    df.index = pd.Index([hostnames.get(int(h), str(h)) for h in df.pop("hostid")], name="host")
    rename = {c: c.removesuffix("_hp") for c in df.columns if c.endswith("_hp")}
    df = df.rename(columns=rename)
    df["trustrank"] = df["trustrank"].astype(float)
    return df


def graph_features(path: Path, hostnames: dict[int, str]) -> pd.DataFrame:
    """``host_features`` of a ``src dst`` host edge file (integer tokens mapped to names)."""
    g = load_edge_file(path, level="host")
    feats = host_features(g)
    feats.index = pd.Index(
        [hostnames.get(int(t), t) if t.isdigit() else t for t in feats.index], name="host"
    )
    return feats


def p_at_recall(y: np.ndarray, s: np.ndarray, recall: float = 0.9) -> float:
    """Best precision over the thresholds that reach ``recall``."""
    prec, rec, _ = precision_recall_curve(y, s)
    return float(prec[rec >= recall].max())


def learner(kind: str, seed: int, trees: int) -> Scorer:
    if kind == "extratrees":
        return HostSpamModel(n_estimators=trees, random_state=seed, n_jobs=os.cpu_count())
    est = (
        make_pipeline(
            SimpleImputer(strategy="median"),
            StandardScaler(),
            LogisticRegression(C=0.1, max_iter=5000, class_weight="balanced"),
        )
        if kind == "logistic"
        else HistGradientBoostingClassifier(
            learning_rate=0.03,
            max_iter=300,
            max_leaf_nodes=8,
            l2_regularization=1.0,
            class_weight="balanced",
            random_state=seed,
        )
    )
    return Wrapped(est)


class Wrapped:
    """A scikit-learn baseline behind HostSpamModel's fit/predict, on the same matrix."""

    def __init__(self, est: Any) -> None:
        self.est = est
        self.columns: list[str] = []

    def fit(self, f: pd.DataFrame, y: np.ndarray) -> Wrapped:
        x = model_matrix(f)
        x = x.loc[:, x.notna().any()]
        self.columns = list(x.columns)
        self.est.fit(x.to_numpy(), y)
        return self

    def predict(self, f: pd.DataFrame) -> np.ndarray:
        x = model_matrix(f).reindex(columns=self.columns).to_numpy()
        return np.asarray(self.est.predict_proba(x)[:, 1])


def cv_scores(
    f: pd.DataFrame, y: np.ndarray, groups: np.ndarray, args: argparse.Namespace
) -> tuple[list[float], list[float]]:
    aucs, pats = [], []
    for rep in range(args.repeats):
        folds = StratifiedGroupKFold(args.folds, shuffle=True, random_state=args.seed + rep)
        oof = np.zeros(len(y))
        for tr, te in folds.split(f, y, groups):
            model = learner(args.model, args.seed + rep, args.trees)
            oof[te] = model.fit(f.iloc[tr], y[tr]).predict(f.iloc[te])
        aucs.append(roc_auc_score(y, oof))
        pats.append(p_at_recall(y, oof))
    return aucs, pats


def split_scores(
    ftr: pd.DataFrame, ytr: np.ndarray, fte: pd.DataFrame, yte: np.ndarray, args: argparse.Namespace
) -> tuple[list[float], list[float]]:
    aucs, pats = [], []
    for rep in range(args.repeats):
        model = learner(args.model, args.seed + rep, args.trees)
        s = model.fit(ftr, ytr).predict(fte)
        aucs.append(roc_auc_score(yte, s))
        pats.append(p_at_recall(yte, s))
    return aucs, pats


def fmt(vals: list[float]) -> str:
    return f"{np.mean(vals):.3f} ± {np.std(vals):.3f}" if len(vals) > 1 else f"{vals[0]:.3f}"


def unsupervised_rows(
    feats: pd.DataFrame, hosts: pd.Index, y: np.ndarray, nodes: int | None
) -> list[tuple[str, str, str]]:
    """Rows for the label-free scores, computed over every host of ``feats`` (percentiles
    are within the graph) and evaluated on ``hosts``."""
    base = feats[list(FEATURES)]
    scores = {"default unsupervised (spam_score)": spam_score(base, nodes=nodes)}
    if np.isfinite(base["trustrank"]).any():
        scores["spam mass alone"] = spam_mass(base["pagerank"], base["trustrank"])[0]
    rows = []
    for name, s in scores.items():
        picked = pd.Series(s, index=base.index).loc[hosts].to_numpy()
        rows.append((name, f"{roc_auc_score(y, picked):.3f}", f"{p_at_recall(y, picked):.3f}"))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA, help="folder with webspam-uk2007/ etc.")
    ap.add_argument("--labels", type=Path, help="labels for cross-validation (UK2007 SET1)")
    ap.add_argument("--train", type=Path, help="training labels (with --test)")
    ap.add_argument("--test", type=Path, help="test labels (with --train)")
    ap.add_argument("--features", type=Path, help="official link features ARFF (UK2007)")
    ap.add_argument("--graph", type=Path, help="host edge file: features by host_features")
    ap.add_argument("--hostnames", type=Path, help="hostid hostname file (UK2007's)")
    ap.add_argument(
        "--pages", type=int, default=UK2007_PAGES, help="nodes of the graph behind --features"
    )
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trees", type=int, default=500)
    ap.add_argument("--model", choices=("extratrees", "logistic", "hgb"), default="extratrees")
    args = ap.parse_args(argv)
    if (args.train is None) != (args.test is None):
        ap.error("--train and --test go together")
    started = time.perf_counter()
    uk7, uk6 = args.data / UK7, args.data / UK6
    names_path = args.hostnames or uk7 / "WEBSPAM-UK2007-hostnames.txt.gz"
    if not names_path.exists() and args.graph is None and args.features is None:
        print(f"no WEBSPAM data in {args.data} (--data DIR): nothing to evaluate")
        return 1
    hostnames = read_hostnames(names_path) if names_path.exists() else {}
    if args.graph is not None:
        feats, source = graph_features(args.graph, hostnames), f"host_features({args.graph.name})"
    else:
        feats, source = read_arff(args.features or uk7 / ARFF, hostnames), "official UK2007"
    if args.graph is None:
        views = {"41 official": feats, "_hp as host_features": feats[list(FEATURES)]}
    else:
        views = {"host_features": feats}
    table: list[tuple[str, ...]] = []

    def join(path: Path) -> tuple[pd.DataFrame, np.ndarray, str]:
        labels = read_labels(path, hostnames)
        have = labels.index.isin(feats.index)
        note = f"{path.name}: {len(labels)} labelled, {int((~have).sum())} without features"
        lab = labels[have]
        return feats.loc[lab.index], lab.to_numpy().astype(int), note

    if args.train is None:
        path = args.labels or uk7 / "WEBSPAM-UK2007-SET1-labels.txt"
        f, y, note = join(path)
        print(note)
        groups = np.array([registrable_domain(h.split(":")[0]) for h in f.index])
        print(
            f"{len(f)} hosts, {y.sum()} spam, {len(set(groups))} registrable domains; "
            f"{args.folds}-fold StratifiedGroupKFold x {args.repeats} repeats; {source}"
        )
        dataset = f"{path.name} (CV)"
        for view, vf in views.items():
            aucs, pats = cv_scores(vf.loc[f.index], y, groups, args)
            label = f"learned {args.model} ({view})"
            table.append((dataset, str(len(f)), str(y.sum()), label, fmt(aucs), fmt(pats)))
        base = f
    else:
        ftr, ytr, note_tr = join(args.train)
        fte, yte, note_te = join(args.test)
        print(note_tr)
        print(note_te)
        if both := len(ftr.index.intersection(fte.index)):
            print(f"warning: {both} hosts are in both the training and the test labels")
        dataset = f"{args.train.name} -> {args.test.name}"
        if len(fte) == 0 or len(set(yte)) < 2:
            print(
                f"{args.test.name}: fewer than one spam and one normal host with features: "
                "no figures (the UK2007 ARFF holds SET1 hosts only)"
            )
            return 1
        for view, vf in views.items():
            aucs, pats = split_scores(vf.loc[ftr.index], ytr, vf.loc[fte.index], yte, args)
            label = f"learned {args.model} ({view})"
            table.append((dataset, str(len(fte)), str(yte.sum()), label, fmt(aucs), fmt(pats)))
        base, y = fte, yte
    nodes = None if args.graph is not None else args.pages
    for name, auc, pat in unsupervised_rows(feats, base.index, y, nodes):
        table.append((dataset, str(len(base)), str(y.sum()), name, auc, pat))
    head = ("dataset", "hosts", "spam", "model", "ROC AUC", "P@90%R")
    widths = [max(len(r[i]) for r in [head, *table]) for i in range(len(head))]
    for row in [head, tuple("-" * w for w in widths), *table]:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    lab6 = uk6 / "webspam-uk2006-labels.txt"
    used = {p.resolve() for p in (args.labels, args.train, args.test) if p is not None}
    if lab6.exists() and lab6.resolve() not in used:
        l6 = read_labels(lab6)
        print(
            f"WEBSPAM-UK2006: {len(l6)} labelled hosts ({int(l6.sum())} spam), but {uk6} has "
            "no host graph and no link features: NOT SCORED. Pass --labels "
            f"{lab6} with --graph EDGES (src dst host pairs) or --features ARFF --hostnames "
            f"{uk6 / 'uk-2006-05.hostnames.txt'}"
        )
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
