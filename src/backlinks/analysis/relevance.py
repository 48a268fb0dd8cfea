"""Topical relevance, offline: TF-IDF over the index's own page text (``page_text``).

No network, no downloaded model. A scikit-learn ``TfidfVectorizer`` (sublinear tf, accents
stripped, word 1-2 grams, tokens that start with a letter, English/French/German/Spanish stop
words and URL furniture) is fitted on at most ``relevance.fit_pages`` pages, those with the
lowest url ids: a deterministic sample spread over the index, since ids are hashes. A page is
the unit TF-IDF row of its latest text (first ``relevance.text_chars`` characters); a
*centroid* (domain, host, URL prefix) is the normalised mean of at most
``relevance.domain_pages`` page rows. Relevance is the cosine of two such vectors: in [0, 1]
(weights are never negative), 0 when either side has no text. Terms are words: same-topic
sites in different languages share few, and scripts written without spaces (Chinese,
Japanese) are not segmented.

Topics cluster domain centroids with k-means on their LSA projection (truncated SVD, rows
re-normalised: Euclidean k-means then follows cosine), ``k`` the silhouette-best (see
:func:`choose_k`), each cluster labelled by the heaviest terms of its members' mean. Fixed
seeds make every result deterministic.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from scipy import sparse
from sklearn.feature_extraction.text import (  # type: ignore[import-untyped]
    ENGLISH_STOP_WORDS,
    TfidfVectorizer,
)
from sklearn.preprocessing import normalize  # type: ignore[import-untyped]

from backlinks import urls
from backlinks.analysis.backlinks import Target, resolve_target
from backlinks.settings import SETTINGS
from backlinks.store.db import Store

#: This module's tunables, shaped like :data:`backlinks.settings.SETTINGS` (same env overrides,
#: e.g. ``BACKLINKS_RELEVANCE_FIT_PAGES=50000``).
#: The ``relevance.*`` entries of :data:`backlinks.settings.SETTINGS`.
RELEVANCE_SETTINGS: Final = {k: v for k, v in SETTINGS.items() if k.startswith("relevance.")}
TOKEN_PATTERN: Final = r"(?u)\b[^\W\d_][^\W_]+\b"  # no numbers, years or prices as terms
#: With at least PRUNE_FROM fitted pages, terms on one page only or on more than MAX_DF of
#: them (template boilerplate: "skip to content") are dropped; tiny stores keep every term.
PRUNE_FROM: Final = 20
MAX_DF: Final = 0.7
TOP_TERMS: Final = 8  # terms in top_terms; the topic label is the first three
SILHOUETTE_SAMPLE: Final = 2000
MINIBATCH_FROM: Final = 10_000  # domains; MiniBatchKMeans (and BLAS threads) from here
LSA_DIMS: Final = 100
_STOP: Final = """
www com net org http https html htm php
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même mes
moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses son sur ta te tes toi ton tu
un une vos votre vous est sont été être avoir fait plus très tout tous cette cet comme aussi bien
sans sous entre chez ici déjà
aber alle alles als also am an auch auf aus bei bin bis bist da damit dann das dass dein dem den
der des die dies diese dieser doch dort du durch ein eine einem einen einer eines er es etwas für
hat hatte hier ich ihm ihn ihr ihre ihrem ihren im in ist ja jede kann kein man mehr mein mit muss
nach nicht noch nur ob oder ohne sehr sein sich sie sind so über um und uns unser vom von vor war
was weil wenn wer wie wir wird zu zum zur
al algo como con de del el ella ellos en entre era es esta este esto estos fue ha hay la las le
les lo los más me mi muy nos para pero por que se ser si sin sobre su sus también te tu un una
uno unos ya yo"""


def setting(name: str) -> int:
    return RELEVANCE_SETTINGS[name].value


@dataclass(frozen=True, slots=True)
class TextModel:
    """The TF-IDF vectorizer fitted on a store (``None`` when it has no usable text)."""

    vectorizer: TfidfVectorizer | None
    fitted_pages: int

    @property
    def features(self) -> int:
        return 0 if self.vectorizer is None else len(self.vectorizer.vocabulary_)

    def transform(self, texts: Sequence[str]) -> Any:
        """Unit TF-IDF rows (CSR) of the texts."""
        if self.vectorizer is None or not len(texts):
            return sparse.csr_matrix((len(texts), self.features))
        return sparse.csr_matrix(self.vectorizer.transform(list(texts)))


@dataclass(frozen=True, slots=True)
class Vectors:
    """One unit (all-zero without text) row per id, ids sorted; ``pages`` behind each row."""

    ids: npt.NDArray[np.int64]
    matrix: Any  # scipy.sparse.csr_matrix, len(ids) x features
    pages: npt.NDArray[np.int64]

    def rows(self, ids: npt.ArrayLike) -> Any:
        """The rows of ``ids`` (each present in ``self.ids``), in that order."""
        return sparse.csr_matrix(self.matrix[np.searchsorted(self.ids, np.asarray(ids))])


@functools.cache
def stop_words() -> tuple[str, ...]:
    """scikit-learn's English list plus short French, German and Spanish lists, put through
    the vectorizer's own preprocessing (lower case, accents stripped) so they match."""
    analyse = TfidfVectorizer(strip_accents="unicode", token_pattern=TOKEN_PATTERN).build_analyzer()
    return tuple(sorted(set(ENGLISH_STOP_WORDS) | set(analyse(_STOP))))


def _vectorizer(n_docs: int) -> TfidfVectorizer:
    prune = n_docs >= PRUNE_FROM
    return TfidfVectorizer(
        sublinear_tf=True,
        strip_accents="unicode",
        ngram_range=(1, 2),
        token_pattern=TOKEN_PATTERN,
        stop_words=list(stop_words()),
        min_df=2 if prune else 1,
        max_df=MAX_DF if prune else 1.0,
        max_features=setting("relevance.max_features"),
    )


@contextmanager
def _ids(store: Store, name: str, ids: npt.ArrayLike) -> Iterator[None]:
    """Register the distinct ids as a one-column (``id``) table for a set-based join."""
    arr = np.unique(np.asarray(ids, dtype=np.int64))
    store.con.register(name, pa.table({"id": pa.array(arr, pa.int64())}))
    try:
        yield
    finally:
        store.con.unregister(name)


#: url_id, text of each wanted page with text: the latest snapshot's, capped.
_LATEST: Final = """
    SELECT t.url_id, left(t.text, ?) AS text
    FROM page_text t LEFT JOIN snapshots s USING (snapshot_id)
    WHERE t.url_id IN (SELECT url_id FROM {wanted}) AND length(trim(t.text)) > 0
    QUALIFY row_number() OVER (
        PARTITION BY t.url_id ORDER BY s.started_at DESC NULLS LAST, t.snapshot_id DESC) = 1
"""


def fit_model(store: Store) -> TextModel:
    """Fit the TF-IDF vocabulary on (a deterministic sample of) the store's page text."""
    wanted = "(SELECT DISTINCT url_id FROM page_text ORDER BY url_id LIMIT ?)"
    texts = [
        str(r[1])
        for r in store.con.execute(
            _LATEST.format(wanted=wanted) + " ORDER BY t.url_id",
            [setting("relevance.text_chars"), setting("relevance.fit_pages")],
        ).fetchall()
    ]
    vec = _vectorizer(len(texts))
    try:
        vec.fit(texts)
    except ValueError:  # no text, or every token a stop word: no vocabulary
        return TextModel(None, len(texts))
    return TextModel(vec, len(texts))


def page_vectors(store: Store, url_ids: npt.ArrayLike, model: TextModel | None = None) -> Vectors:
    """One row per distinct url id: its page's text vector (zero where it has none)."""
    model = model or fit_model(store)
    ids = np.unique(np.asarray(url_ids, dtype=np.int64))
    with _ids(store, "_rel_urls", ids):
        texts = store.query(
            _LATEST.format(wanted="(SELECT id AS url_id FROM _rel_urls)"),
            [setting("relevance.text_chars")],
        )
    return _centroids(ids, texts.rename(columns={"url_id": "group"}), model)


def _centroids(groups: npt.NDArray[np.int64], members: pd.DataFrame, model: TextModel) -> Vectors:
    """Normalised mean row of each group's pages (``members``: columns group, text)."""
    pos = np.searchsorted(groups, members.group.to_numpy(dtype=np.int64))
    counts = np.bincount(pos, minlength=len(groups)).astype(np.int64)
    weight = 1.0 / np.maximum(counts[pos], 1)
    mean = sparse.csr_matrix((weight, (pos, np.arange(len(pos)))), (len(groups), len(pos)))
    if not model.features or not len(groups):
        return Vectors(groups, sparse.csr_matrix((len(groups), 0)), counts)
    return Vectors(
        groups, sparse.csr_matrix(normalize(mean @ model.transform(list(members.text)))), counts
    )


def domain_vectors(
    store: Store, domain_ids: npt.ArrayLike, model: TextModel | None = None
) -> Vectors:
    """Centroid of each distinct domain's pages (the ``relevance.domain_pages`` with the
    lowest url ids); an all-zero row for a domain without text."""
    model = model or fit_model(store)
    ids = np.unique(np.asarray(domain_ids, dtype=np.int64))
    wanted = """(SELECT url_id FROM (
            SELECT DISTINCT domain_id, url_id FROM pages
            WHERE domain_id IN (SELECT id FROM _rel_domains)
              AND url_id IN (SELECT url_id FROM page_text))
        QUALIFY row_number() OVER (PARTITION BY domain_id ORDER BY url_id) <= ?)"""
    sql = f"""
        WITH txt AS ({_LATEST.format(wanted=wanted)})
        SELECT DISTINCT p.domain_id AS "group", txt.url_id, txt.text
        FROM txt JOIN pages p USING (url_id) ORDER BY 1, 2
    """
    with _ids(store, "_rel_domains", ids):
        members = store.query(
            sql, [setting("relevance.text_chars"), setting("relevance.domain_pages")]
        )
    return _centroids(ids, members, model)


def target_vector(store: Store, target: str | Target, model: TextModel | None = None) -> Any:
    """A target's 1 x features row: its page (URL) or its pages' centroid (prefix, host,
    domain); the centroid of its registrable domain when those have no text."""
    model = model or fit_model(store)
    t = resolve_target(target) if isinstance(target, str) else target
    host = t.value if t.mode in ("host", "domain") else urls.host_of(t.value)
    domain_id = urls.stable_id(urls.registrable_domain(host))
    if t.mode != "domain":
        cond = {"url": "url_id = ?", "prefix": "starts_with(url, ?)", "host": "host_id = ?"}
        value = t.value if t.mode == "prefix" else urls.stable_id(t.value)
        wanted = f"""(SELECT DISTINCT url_id FROM pages
            WHERE {cond[t.mode]} AND domain_id = ? AND url_id IN (SELECT url_id FROM page_text)
            ORDER BY url_id LIMIT ?)"""
        members = store.query(
            f'SELECT 0::BIGINT AS "group", text FROM ({_LATEST.format(wanted=wanted)})',
            [setting("relevance.text_chars"), value, domain_id, setting("relevance.domain_pages")],
        )
        if len(members):
            return _centroids(np.zeros(1, dtype=np.int64), members, model).matrix
    return domain_vectors(store, [domain_id], model).matrix


def cosine(a: Any, b: Any) -> npt.NDArray[np.float64]:
    """Cosine of unit (or zero) sparse rows, clipped to [0, 1]: row by row when ``a`` and
    ``b`` have the same shape, else every row of ``a`` against the single row ``b``."""
    if a.shape == b.shape:
        dots = np.asarray(a.multiply(b).sum(axis=1), dtype=np.float64).ravel()
    else:
        dots = np.asarray((a @ b.T).todense(), dtype=np.float64).ravel()
    return np.clip(dots, 0.0, 1.0)


def domain_relevance(
    store: Store,
    domain_ids: Sequence[int] | npt.ArrayLike,
    target: str | Target,
    model: TextModel | None = None,
    *,
    target_row: Any = None,
) -> pd.Series:
    """Cosine in [0, 1] of each domain's centroid with the target's vector (index: domain_id
    in the order given; 0 where either has no text). ``target_row`` reuses a computed
    :func:`target_vector`."""
    model = model or fit_model(store)
    wanted = np.asarray(domain_ids, dtype=np.int64)
    tvec = target_vector(store, target, model) if target_row is None else target_row
    vecs = domain_vectors(store, wanted, model)
    sims = cosine(vecs.rows(wanted), tvec) if len(wanted) else np.zeros(0)
    return pd.Series(sims, index=pd.Index(wanted, name="domain_id"), name="relevance")


def url_vectors(store: Store, url_ids: npt.ArrayLike, model: TextModel | None = None) -> Vectors:
    """:func:`page_vectors`, with the domain's centroid for a page without text."""
    model = model or fit_model(store)
    pv = page_vectors(store, url_ids, model)
    missing = np.flatnonzero(pv.pages == 0)
    if not len(missing):
        return pv
    with _ids(store, "_rel_dst", pv.ids[missing]):
        found = dict(
            store.con.execute(
                """SELECT id, coalesce(
                    (SELECT any_value(domain_id) FROM pages WHERE url_id = id),
                    (SELECT any_value(dst_domain_id) FROM links WHERE dst_url_id = id))
                FROM _rel_dst"""
            ).fetchall()
        )
    dom = np.array([found.get(int(u)) or 0 for u in pv.ids[missing]], dtype=np.int64)
    known = dom != 0
    dv = domain_vectors(store, dom[known], model)
    src, dst = np.searchsorted(dv.ids, dom[known]), missing[known]
    pick = sparse.csr_matrix((np.ones(len(dst)), (dst, src)), (len(pv.ids), len(dv.ids)))
    pages = pv.pages.copy()
    pages[dst] = dv.pages[src]
    return Vectors(pv.ids, sparse.csr_matrix(pv.matrix + pick @ dv.matrix), pages)


def page_relevance(
    store: Store, pairs: pd.DataFrame, model: TextModel | None = None
) -> npt.NDArray[np.float64]:
    """Cosine in [0, 1] of each linking page's text (``src_url_id``) with its target page's
    (``dst_url_id``; its domain's centroid when the page has no text); 0 without text."""
    if pairs.empty:
        return np.zeros(0, dtype=np.float64)
    model = model or fit_model(store)
    src, dst = pairs.src_url_id.to_numpy(np.int64), pairs.dst_url_id.to_numpy(np.int64)
    a = page_vectors(store, src, model).rows(src)
    return cosine(a, url_vectors(store, dst, model).rows(dst))


def url_relevance(
    store: Store, url_ids: npt.ArrayLike, target: str | Target, model: TextModel | None = None
) -> npt.NDArray[np.float64]:
    """Cosine in [0, 1] of each page (its domain's centroid when it has no text) with the
    target's vector, in the order given."""
    model = model or fit_model(store)
    ids = np.asarray(url_ids, dtype=np.int64)
    if not len(ids):
        return np.zeros(0, dtype=np.float64)
    return cosine(url_vectors(store, ids, model).rows(ids), target_vector(store, target, model))
