"""Host spam scores from link features: spam mass, a default unsupervised score, a learned one.

:func:`spam_score` is the default and needs no labels: a hand-set formula from the link-spam
literature, *not* fitted to any labelled data. It averages the percentile ranks (within the
scored graph) of these components, each oriented so that high looks like link spam, equally
weighted (:data:`WEIGHTS`), skipping those a host lacks:

- ``spam_mass``: relative spam mass, with a TrustRank vector only (Gyöngyi et al. 2006);
- ``truncated``: ``−log(truncatedpagerank_4 / pagerank)``, rank gathered from supporters
  within 4 links (Becchetti et al. 2006);
- ``prsigma``: ``−prsigma``, linking hosts of near-identical PageRank, as farm members have
  (Becchetti et al. 2008; needs 2 in-links);
- ``supporters``: ``−(log(1 + neighbors_4) − log(n·pagerank))``, few distinct supporters for
  the rank earned (Becchetti et al. 2006);
- ``reciprocity``: share of linked hosts linking back, as in link exchanges and farms
  (Becchetti et al. 2008; Castillo et al. 2007).

The mean is then scaled by ``min(1, n·pagerank / RANK_GATE)``: as Gyöngyi et al. flag only
hosts above a PageRank threshold, a host with little rank has little to inflate and its
relative features are noise. Hosts without in-links score 0.

:class:`HostSpamModel` learns a score from the user's own labels, e.g. WEBSPAM-UK2007 read by
:func:`read_labels` (CC BY-NC-SA: research only, never shipped); ``bench/spam_eval.py``
reports both scores on it.
"""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from backlinks.quality.hostfeatures import FEATURES, log_ratio, spam_mass

F64 = npt.NDArray[np.float64]

#: Weight of each component of :func:`spam_score` (set by hand, see the module docstring).
WEIGHTS: Final = {
    "spam_mass": 1.0,
    "truncated": 1.0,
    "prsigma": 1.0,
    "supporters": 1.0,
    "reciprocity": 1.0,
}
#: Scaled PageRank (n·p, 1 = the mean) from which a host's score counts in full.
RANK_GATE: Final = 0.5
_FORMAT: Final = "backlinks-hostspam-model"
_COUNTS: Final = (
    "indegree",
    "outdegree",
    "assortativity",
    "avgin_of_out",
    "avgout_of_in",
    "neighbors_2",
    "neighbors_3",
    "neighbors_4",
)
_RANKS: Final = ("pagerank", "trustrank", *(f"truncatedpagerank_{t}" for t in range(1, 5)))

__all__ = [
    "WEIGHTS",
    "HostSpamModel",
    "model_matrix",
    "read_hostnames",
    "read_labels",
    "score_components",
    "spam_mass",
    "spam_score",
    "top_reasons",
]


def _percentile(values: npt.ArrayLike) -> F64:
    """Average rank / count in (0, 1]; NaN stays NaN."""
    s = pd.Series(np.asarray(values, dtype=np.float64))
    return np.asarray(s.rank(pct=True, method="average"), dtype=np.float64)


def score_components(features: pd.DataFrame) -> pd.DataFrame:
    """Percentile (0..1, high = spam-like) of each :data:`WEIGHTS` component per host; NaN
    where a host lacks it (``spam_mass`` without TrustRank, ``prsigma`` below 2 in-links)."""
    f = features
    n = len(f)
    pr = f["pagerank"]
    comps: dict[str, F64] = {}
    trust = f["trustrank"].to_numpy(np.float64)
    if np.isfinite(trust).any():
        comps["spam_mass"] = _percentile(spam_mass(pr, trust)[0])
    comps["truncated"] = _percentile(-log_ratio(f["truncatedpagerank_4"], pr))
    prsigma = f["prsigma"].to_numpy(np.float64)
    comps["prsigma"] = _percentile(np.where(f["indegree"] >= 2, -prsigma, np.nan))
    support = np.log1p(f["neighbors_4"].to_numpy(np.float64)) - np.log(n * pr.to_numpy())
    comps["supporters"] = _percentile(-np.where(np.isfinite(support), support, np.nan))
    comps["reciprocity"] = _percentile(f["reciprocity"])
    return pd.DataFrame(comps, index=f.index)


def spam_score(features: pd.DataFrame, *, nodes: int | None = None) -> F64:
    """The default unsupervised host spam score in [0, 1] (module docstring). ``nodes``:
    the graph's node count when ``features`` holds only some of its hosts."""
    comps = score_components(features)
    values = comps.to_numpy(np.float64)
    weights = np.array([WEIGHTS[c] for c in comps.columns])
    present = np.isfinite(values)
    total = (np.where(present, values, 0.0) * weights).sum(axis=1)
    norm = (present * weights).sum(axis=1)
    score = np.where(norm > 0, total / np.where(norm > 0, norm, 1.0), 0.0)
    scaled = (len(features) if nodes is None else nodes) * features["pagerank"].to_numpy()
    gate = np.minimum(1.0, scaled / RANK_GATE)
    return np.where(features["indegree"].to_numpy() > 0, score * gate, 0.0)


def top_reasons(
    features: pd.Series, components: pd.Series | None = None, *, limit: int = 3
) -> list[str]:
    """Readable reasons for one host's score, strongest first: components at the 80th
    percentile or above in ``components`` (a :func:`score_components` row), else those
    past fixed thresholds."""
    f = features
    pr, trust = float(f["pagerank"]), float(f.get("trustrank", np.nan))
    ratio = float(f["truncatedpagerank_4"]) / pr if pr > 0 else 1.0
    texts = {
        "spam_mass": f"relative spam mass {spam_mass(pr, trust)[0]:.2f} "
        "(PageRank mostly not from trusted hosts)",
        "truncated": f"PageRank beyond 4 links is {ratio:.0%} of the total "
        "(rank comes from close supporters)",
        "prsigma": f"linking hosts have near-identical PageRank (σ {f['prsigma']:.2g})",
        "supporters": f"only {f['neighbors_4']:.0f} hosts within 4 links for "
        f"{f['indegree']:.0f} linking hosts",
        "reciprocity": f"{f['reciprocity']:.0%} of linked hosts link back",
    }
    if components is not None:
        ranked = components.dropna().sort_values(ascending=False)
        keys = [str(k) for k, v in ranked.items() if v >= 0.8]
    else:
        tests = {
            "spam_mass": np.isfinite(trust) and spam_mass(pr, trust)[0] >= 0.9,
            "truncated": ratio < 0.9,
            "prsigma": f["indegree"] >= 2 and f["prsigma"] < 0.05,
            "supporters": f["indegree"] >= 3 and f["neighbors_4"] < 2 * f["indegree"],
            "reciprocity": f["outdegree"] >= 3 and f["reciprocity"] >= 0.5,
        }
        keys = [k for k, hit in tests.items() if hit]
    return [texts[k] for k in keys[:limit]]


# ---- learned score


def _derived(f: pd.DataFrame, sfx: str) -> dict[str, F64]:
    """Ratios from the literature over the columns ending in ``sfx``."""
    out: dict[str, F64] = {}

    def col(name: str) -> pd.Series | None:
        return f.get(name + sfx)

    pr = col("pagerank")
    if pr is None:
        return out
    for t in range(1, 5):
        tp = col(f"truncatedpagerank_{t}")
        if tp is not None:
            out[f"tpr_ratio_{t}{sfx}"] = log_ratio(tp, pr)
    trust = col("trustrank")
    if trust is not None and np.isfinite(trust.to_numpy(np.float64)).any():
        out[f"trust_ratio{sfx}"] = log_ratio(trust, pr)
        out[f"spam_mass{sfx}"] = spam_mass(pr, trust)[0]
    prev = col("indegree")
    for k in range(2, 5):
        cur = col(f"neighbors_{k}")
        if cur is not None and prev is not None:
            out[f"growth_{k}{sfx}"] = np.log1p(cur.to_numpy(float)) - np.log1p(prev.to_numpy(float))
        prev = cur
    n4 = col("neighbors_4")
    if n4 is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            spr = np.log1p(n4.to_numpy(np.float64)) - np.log(pr.to_numpy(np.float64))
        out[f"supporters_per_rank{sfx}"] = np.where(np.isfinite(spr), spr, np.nan)
    return out


def _transform(name: str, values: pd.Series) -> F64:
    """Logs for counts and ranks (the trees draw split points uniformly, so scale matters)."""
    x = values.to_numpy(np.float64)
    base = next((b for b in FEATURES if name == b or name.startswith(b + "_")), None)
    with np.errstate(divide="ignore", invalid="ignore"):
        if base in _RANKS:
            out = np.log(x)
        elif base in _COUNTS or base is None:
            out = np.sign(x) * np.log1p(np.abs(x))
        else:
            out = x
    return np.where(np.isfinite(out), out, np.nan)


def model_matrix(features: pd.DataFrame) -> pd.DataFrame:
    """What :class:`HostSpamModel` sees: every numeric column (logged as :func:`_transform`)
    plus :func:`_derived` ratios for the plain feature names and for each suffixed variant
    (``pagerank_mp``: the WEBSPAM max-PageRank page features)."""
    f = features.select_dtypes(include="number")
    cols = {str(c): _transform(str(c), f[c]) for c in f.columns}
    suffixes = {""} | {
        str(c)[len("pagerank") :] for c in f.columns if str(c).startswith("pagerank_")
    }
    for sfx in sorted(suffixes):
        cols.update(_derived(f, sfx))
    return pd.DataFrame(cols, index=features.index)


class HostSpamModel:
    """A learned host spam score from user-supplied labels over :func:`model_matrix`:
    scikit-learn's ExtraTreesClassifier (``n_estimators`` trees, ``min_samples_leaf``,
    class weights balanced per bootstrap). Absolute rank values depend on the graph's size:
    score hosts of the graph (or a graph of similar size) the model was trained on."""

    def __init__(
        self,
        *,
        n_estimators: int = 500,
        min_samples_leaf: int = 3,
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.params: dict[str, Any] = {
            "n_estimators": n_estimators,
            "min_samples_leaf": min_samples_leaf,
            "random_state": random_state,
            "n_jobs": n_jobs,
        }
        self.columns: list[str] = []
        self.estimator: Any = None

    def fit(self, features: pd.DataFrame, labels: npt.ArrayLike | pd.Series) -> HostSpamModel:
        """Train on ``features`` rows with 0/1 ``labels`` (1 = spam); a Series is aligned
        to ``features.index``."""
        from sklearn.ensemble import (  # type: ignore[import-untyped]  # noqa: PLC0415
            ExtraTreesClassifier,  # a heavy import, only when training
        )

        if isinstance(labels, pd.Series):
            labels = labels.reindex(features.index)
        y = np.asarray(labels, dtype=np.float64)
        if y.shape != (len(features),) or not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("labels must be 0 or 1, one per row of features")
        if len(np.unique(y)) < 2:
            raise ValueError("labels must contain both spam (1) and non-spam (0) hosts")
        x = model_matrix(features)
        x = x.loc[:, x.notna().any()]
        self.columns = [str(c) for c in x.columns]
        self.estimator = ExtraTreesClassifier(class_weight="balanced_subsample", **self.params).fit(
            x.to_numpy(), y.astype(int)
        )
        return self

    def predict(self, features: pd.DataFrame) -> F64:
        """Spam probability in [0, 1] per row of ``features``."""
        if self.estimator is None:
            raise RuntimeError("HostSpamModel is not fitted")
        x = model_matrix(features).reindex(columns=self.columns)
        return np.asarray(self.estimator.predict_proba(x.to_numpy())[:, 1], dtype=np.float64)

    def feature_importances(self) -> pd.Series:
        """Mean impurity decrease per model column, largest first (what the score leans on)."""
        if self.estimator is None:
            raise RuntimeError("HostSpamModel is not fitted")
        imp = pd.Series(self.estimator.feature_importances_, index=self.columns)
        return imp.sort_values(ascending=False)

    def save(self, path: str | Path) -> None:
        """Write the model as a gzipped pickle of ``{"format", "version", "params",
        "columns", "estimator"}``."""
        payload = {
            "format": _FORMAT,
            "version": 1,
            "params": self.params,
            "columns": self.columns,
            "estimator": self.estimator,
        }
        with gzip.open(path, "wb") as fh:
            pickle.dump(payload, fh)

    @classmethod
    def load(cls, path: str | Path) -> HostSpamModel:
        """Read a file written by :meth:`save`. WARNING: it is a pickle, and unpickling runs
        code: load only a model file you made yourself, never one from elsewhere."""
        with gzip.open(path, "rb") as fh:
            payload = pickle.load(fh)  # noqa: S301 - the user's own file (see the docstring)
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a saved HostSpamModel")
        model = cls(**payload["params"])
        model.columns = list(payload["columns"])
        model.estimator = payload["estimator"]
        return model


# ---- WEBSPAM label files


def read_hostnames(path: str | Path) -> dict[int, str]:
    """A WEBSPAM ``hostid hostname`` file (gzip or plain) as {id: lower-case host}."""
    with _open_text(path) as fh:
        pairs = (line.split() for line in fh)
        return {int(p[0]): p[1].lower() for p in pairs if len(p) >= 2 and p[0].isdigit()}


def read_labels(
    path: str | Path, hostnames: Mapping[int, str] | None = None, *, keep_undecided: bool = False
) -> pd.Series:
    """A WEBSPAM label file as a Series host -> 1.0 (spam) / 0.0 (normal), format detected:
    UK2007 ``hostid label spamicity assessments`` (ids mapped through ``hostnames`` when
    given, else kept as ints) or UK2006 ``hostname judgements spamicity label``.
    ``undecided`` hosts are dropped, or NaN with ``keep_undecided``."""
    value = {"spam": 1.0, "nonspam": 0.0, "normal": 0.0, "undecided": np.nan}
    hosts: list[object] = []
    labels: list[float] = []
    with _open_text(path) as fh:
        for line in fh:
            p = line.split()
            if len(p) < 2 or p[0].startswith("#"):
                continue
            if p[0].isdigit() and p[1] in value:  # UK2007
                key: object = int(p[0]) if hostnames is None else hostnames.get(int(p[0]))
                label = p[1]
            elif p[-1] in value:  # UK2006
                key, label = p[0].lower(), p[-1]
            else:
                raise ValueError(f"{path}: not a WEBSPAM label line: {line.strip()!r}")
            if key is None:
                raise ValueError(f"{path}: host id {p[0]} is not in the hostnames file")
            if label == "undecided" and not keep_undecided:
                continue
            hosts.append(key)
            labels.append(value[label])
    return pd.Series(labels, index=pd.Index(hosts, name="host"), name="spam", dtype=np.float64)


def _open_text(path: str | Path) -> Any:
    with Path(path).open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="utf-8") if gz else Path(path).open(encoding="utf-8")
