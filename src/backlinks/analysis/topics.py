"""Topic labels per domain: each domain's TF-IDF centroid (:mod:`.relevance`) projected by
LSA, clustered by k-means with k chosen by silhouette (:func:`choose_k`), each cluster
labelled by the heaviest terms of its members' mean. Fixed seeds: deterministic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse
from sklearn.cluster import KMeans, MiniBatchKMeans  # type: ignore[import-untyped]
from sklearn.decomposition import TruncatedSVD  # type: ignore[import-untyped]
from sklearn.metrics import silhouette_score  # type: ignore[import-untyped]
from sklearn.preprocessing import normalize  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from backlinks.analysis.relevance import (
    LSA_DIMS,
    MINIBATCH_FROM,
    SILHOUETTE_SAMPLE,
    TOP_TERMS,
    TextModel,
    domain_vectors,
    fit_model,
    setting,
)
from backlinks.store.db import Store

__all__ = ["choose_k", "topic_labels"]


def _kmeans(z: npt.NDArray[np.float64], k: int, seed: int) -> npt.NDArray[np.int64]:
    if k <= 1:
        return np.zeros(z.shape[0], dtype=np.int64)
    if z.shape[0] >= MINIBATCH_FROM:
        est = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096)
    else:
        est = KMeans(n_clusters=k, random_state=seed, n_init=10)
    return np.asarray(est.fit_predict(z), dtype=np.int64)


def choose_k(z: npt.NDArray[np.float64], seed: int) -> int:
    """The k in 2..min(relevance.max_topics, rows // 2) (two domains a topic at least, on
    average) whose k-means clustering has the best mean silhouette (cosine); else 1."""
    n = z.shape[0]
    best, best_k = -2.0, 1
    for k in range(2, min(setting("relevance.max_topics"), n // 2) + 1):
        labels = _kmeans(z, k, seed)
        if len(np.unique(labels)) < 2:
            continue
        sample = min(n, SILHOUETTE_SAMPLE)
        score = silhouette_score(z, labels, metric="cosine", sample_size=sample, random_state=seed)
        if float(score) > best:
            best, best_k = float(score), k
    return best_k


def _project(x: Any, seed: int) -> npt.NDArray[np.float64]:
    """Latent semantic analysis: unit rows of a truncated SVD of ``x`` (at most LSA_DIMS
    dimensions), so k-means runs on small dense rows; ``x`` itself when too small for it."""
    dims = min(LSA_DIMS, x.shape[0] - 1, x.shape[1] - 1)
    if dims < 2:
        return np.asarray(x.toarray(), dtype=np.float64)
    z = TruncatedSVD(n_components=dims, random_state=seed).fit_transform(x)
    return np.asarray(normalize(z), dtype=np.float64)


def topic_labels(
    store: Store,
    domain_ids: Sequence[int] | None = None,
    *,
    k: int | None = None,
    model: TextModel | None = None,
) -> pd.DataFrame:
    """A topic per domain with text (all, or those given): its k-means cluster of domain
    centroids (LSA-projected; ``k`` given, else :func:`choose_k`), labelled by the heaviest
    terms of the cluster's mean. Columns: domain_id, domain, cluster (0 = largest), topic
    (three terms), top_terms."""
    model = model or fit_model(store)
    columns = ["domain_id", "domain", "cluster", "topic", "top_terms"]
    if domain_ids is None:
        domain_ids = [
            int(r[0])
            for r in store.con.execute(
                "SELECT DISTINCT domain_id FROM pages"
                " WHERE url_id IN (SELECT url_id FROM page_text)"
            ).fetchall()
        ]
    vecs = domain_vectors(store, domain_ids, model)
    keep = vecs.pages > 0
    x, ids = sparse.csr_matrix(vecs.matrix[keep]), vecs.ids[keep]
    if model.vectorizer is None or not len(ids):
        return pd.DataFrame(columns=columns)
    seed = setting("relevance.seed")
    with threadpool_limits(None if len(ids) >= MINIBATCH_FROM else 1):  # small: threads cost
        z = _project(x, seed)
        labels = _kmeans(z, min(k, len(ids)) if k else choose_k(z, seed), seed)
    terms = np.asarray(model.vectorizer.get_feature_names_out(), dtype=str)
    named: dict[int, list[str]] = {}
    for c in np.unique(labels).tolist():
        mean = np.asarray(x[labels == c].mean(axis=0)).ravel()
        named[c] = [str(terms[i]) for i in np.lexsort((terms, -mean))[:TOP_TERMS] if mean[i] > 0]
    sizes = np.bincount(labels)
    # numbered by size, then label: the numbering does not depend on k-means' own
    renum = {c: i for i, c in enumerate(sorted(named, key=lambda c: (-sizes[c], named[c])))}
    names = store.query(
        "SELECT domain_id, domain FROM domains WHERE domain_id IN (SELECT unnest(?::BIGINT[]))",
        [ids.tolist()],
    )
    domain = dict(zip(names.domain_id.tolist(), names.domain.tolist(), strict=True))
    out = pd.DataFrame(
        {
            "domain_id": ids,
            "domain": [domain.get(int(d), str(d)) for d in ids],
            "cluster": [renum[c] for c in labels.tolist()],
            "topic": [", ".join(named[c][:3]) for c in labels.tolist()],
            "top_terms": [", ".join(named[c]) for c in labels.tolist()],
        }
    )
    return out.sort_values(["cluster", "domain"], kind="stable").reset_index(drop=True)
