"""Full-text search over the indexed pages, ranked by text relevance and link authority.

**Documents.** Every page as last fetched (its latest snapshot) with a 2xx status and no
``noindex``: its title and visible text (``page_text``). Pages with no words are left out.

**Tokens.** Case-folded, accent-folded (NFKD, combining diacritics U+0300–U+036F dropped,
then NFC), split into runs of Unicode word characters (``\\w+``), except that Han
ideographs and kana (scripts written without spaces) are one token per character, as
Lucene's standard tokenizer does; no stemming, no stop words.

**Relevance.** Okapi BM25 in Lucene's form (the ``bm25s`` package, ``method="lucene"``)
with ``k1`` = :data:`K1`, ``b`` = :data:`B`; each distinct query term counts once:

    bm25(d) = Σ_t ln(1 + (N − df_t + 0.5) / (df_t + 0.5)) · tf / (tf + k1·(1 − b + b·|d|/avgdl))

**Score.** ``bm25_norm = bm25 / max bm25`` over the query's matches, ``authority`` the mean
of the page's rating and its domain's rating (both 0–100, from ``backlinks rank``) over 100,
so in [0, 1], and

    score = bm25_norm · (1 + w · authority)        (w = AUTHORITY_WEIGHT = 1)

so links can at most double a page's score, and a page that matches no query term is never
a result. ``authority_share`` = ``1 − bm25_norm / score`` = ``w·a / (1 + w·a)``: the share of
the score that would be lost if the page had no link authority.

The token index is cached in ``<db>.search/`` keyed by the store's fingerprint (see
:func:`backlinks.graph.build.fingerprint`), so it is rebuilt only after an ingest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import bm25s  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from backlinks.graph.build import fingerprint
from backlinks.store.db import Store

#: BM25 term-frequency saturation (Lucene's default).
K1: Final = 1.2
#: BM25 document-length normalisation (Lucene's default).
B: Final = 0.75
#: How much link authority can lift a score: ``score = bm25_norm · (1 + w · authority)``.
AUTHORITY_WEIGHT: Final = 1.0
#: Bumped whenever tokenisation changes, so cached indexes are rebuilt.
TOKENIZER_VERSION: Final = 1

#: Called with (documents done, documents in all).
Progress = Callable[[int, int], None]

#: Han ideographs, kana: written without spaces, so indexed one character a token.
_CJK: Final = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD: Final = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")
_MARKS: Final = re.compile(r"[\u0300-\u036f]+")
_BATCH: Final = 2000
_RESULT_COLUMNS: Final = [
    "rank", "url", "title", "bm25", "page_rating", "domain_rating", "authority", "score",
    "authority_share",
]  # fmt: skip

_DOCUMENTS_SQL: Final = """
    SELECT url_id, domain_id, url, title, text FROM (
        SELECT p.url_id, p.domain_id, p.url, coalesce(p.title, '') AS title,
               coalesce(t.text, '') AS text, p.status, p.robots_noindex
        FROM pages p LEFT JOIN snapshots s USING (snapshot_id)
        LEFT JOIN page_text t ON t.url_id = p.url_id AND t.snapshot_id = p.snapshot_id
        QUALIFY row_number() OVER (PARTITION BY p.url_id
            ORDER BY s.started_at DESC NULLS LAST, p.snapshot_id DESC) = 1
    ) WHERE status BETWEEN 200 AND 299 AND NOT coalesce(robots_noindex, false)
    ORDER BY url_id
"""


def tokenize(text: str) -> list[str]:
    """Search tokens of a text: case- and accent-folded Unicode words."""
    folded = _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))
    return _WORD.findall(unicodedata.normalize("NFC", folded))


@dataclass(slots=True)
class SearchIndex:
    """A BM25 index of the store's pages; ``built`` is false when it came from the cache."""

    retriever: Any  # bm25s.BM25 (untyped); None when there are no documents
    url_ids: npt.NDArray[np.int64]
    domain_ids: npt.NDArray[np.int64]
    urls: list[str]
    titles: list[str]
    folder: Path | None
    built: bool

    @property
    def size(self) -> int:
        return len(self.urls)

    def bm25(self, query: str) -> npt.NDArray[np.float64]:
        """BM25 of every document for the query (each distinct term once)."""
        if self.retriever is None:
            return np.zeros(0, dtype=np.float64)
        vocab: dict[str, int] = self.retriever.vocab_dict
        ids = sorted({vocab[t] for t in tokenize(query) if t in vocab and t})
        if not ids:
            return np.zeros(self.size, dtype=np.float64)
        return np.asarray(self.retriever.get_scores(ids), dtype=np.float64)


def search_dir(store: Store) -> Path:
    """Where search indexes of this store are cached."""
    return store.path.with_name(store.path.name + ".search")


def index_key(store: Store) -> str:
    """Cache key: the store's content fingerprint plus the tokeniser and BM25 parameters."""
    parts = [fingerprint(store, "search", False, None), TOKENIZER_VERSION, K1, B]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def load_index(
    store: Store, *, progress: Progress | None = None, use_cache: bool = True
) -> SearchIndex:
    """The store's search index: from ``<db>.search/<key>/`` when cached, else built (and
    cached, when the folder is writable). ``progress(done, total)`` while building."""
    folder = search_dir(store) / index_key(store)
    if use_cache and (folder / "docs.parquet").exists():
        return _load(folder)
    index = build_index(store, progress=progress)
    if use_cache:
        with contextlib.suppress(OSError):  # a read-only place: search without a cache
            _save(folder, index)
            index.folder = folder
    return index


def build_index(store: Store, *, progress: Progress | None = None) -> SearchIndex:
    """Tokenise every searchable page and index it with BM25 (nothing cached)."""
    con = store.con
    total = int(con.execute(f"SELECT count(*) FROM ({_DOCUMENTS_SQL})").fetchall()[0][0])
    url_ids: list[int] = []
    domain_ids: list[int] = []
    page_urls: list[str] = []
    titles: list[str] = []
    corpus: list[list[str]] = []
    done = 0
    for batch in con.sql(_DOCUMENTS_SQL).to_arrow_reader(_BATCH):
        cols = batch.to_pydict()
        for uid, did, url, title, text in zip(
            cols["url_id"], cols["domain_id"], cols["url"], cols["title"], cols["text"],
            strict=True,
        ):  # fmt: skip
            tokens = tokenize(f"{title} {text}")
            if tokens:
                url_ids.append(uid)
                domain_ids.append(did)
                page_urls.append(url)
                titles.append(title)
                corpus.append(tokens)
        done += batch.num_rows
        if progress:
            progress(done, total)
    retriever = None
    if corpus:
        retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        retriever.index(corpus, show_progress=False)
    return SearchIndex(
        retriever,
        np.asarray(url_ids, dtype=np.int64),
        np.asarray(domain_ids, dtype=np.int64),
        page_urls,
        titles,
        None,
        True,
    )


def _save(folder: Path, index: SearchIndex) -> None:
    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    if index.retriever is not None:
        index.retriever.save(str(tmp / "bm25"), show_progress=False)
    docs = pa.table(
        {
            "url_id": pa.array(index.url_ids, pa.int64()),
            "domain_id": pa.array(index.domain_ids, pa.int64()),
            "url": pa.array(index.urls, pa.string()),
            "title": pa.array(index.titles, pa.string()),
        }
    )
    pq.write_table(docs, tmp / "docs.parquet")
    for old in folder.parent.iterdir():  # one index per store: drop stale ones
        if old.is_dir() and ".tmp" not in old.name:
            shutil.rmtree(old, ignore_errors=True)
    try:
        tmp.rename(folder)
    except OSError:  # another process saved it first
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _load(folder: Path) -> SearchIndex:
    docs = pq.read_table(folder / "docs.parquet").to_pydict()
    retriever = None
    if (folder / "bm25").exists():
        retriever = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
    return SearchIndex(
        retriever,
        np.asarray(docs["url_id"], dtype=np.int64),
        np.asarray(docs["domain_id"], dtype=np.int64),
        list(docs["url"]),
        list(docs["title"]),
        folder,
        False,
    )


def has_metrics(store: Store) -> bool:
    """Whether ``backlinks rank`` has stored page or domain ratings."""
    row = store.con.execute(
        "SELECT count(*) FROM metrics WHERE level IN ('page', 'domain') AND snapshot_id IS NULL"
    ).fetchone()
    return bool(row and row[0])


def _ratings(store: Store, level: str, ids: npt.NDArray[np.int64]) -> pd.Series:
    df = store.query(
        "SELECT node_id, rating FROM metrics WHERE level = ? AND snapshot_id IS NULL "
        "AND node_id IN (SELECT unnest(?::BIGINT[]))",
        [level, [int(i) for i in np.unique(ids)]],
    )
    ratings: pd.Series = df.set_index("node_id")["rating"]
    return ratings


def matches(store: Store, index: SearchIndex, query: str) -> pd.DataFrame:
    """Every page matching at least one query term, with its BM25 and stored ratings
    (``url_id``, ``domain_id``, ``url``, ``title``, ``bm25``, ``page_rating``,
    ``domain_rating``), unranked."""
    scores = index.bm25(query)
    hit = np.flatnonzero(scores > 0)
    df = pd.DataFrame(
        {
            "url_id": index.url_ids[hit],
            "domain_id": index.domain_ids[hit],
            "url": [index.urls[i] for i in hit],
            "title": [index.titles[i] for i in hit],
            "bm25": scores[hit],
        }
    )
    page = _ratings(store, "page", df.url_id.to_numpy())
    domain = _ratings(store, "domain", df.domain_id.to_numpy())
    df["page_rating"] = df.url_id.map(page).fillna(0.0).astype(np.float64)
    df["domain_rating"] = df.domain_id.map(domain).fillna(0.0).astype(np.float64)
    return df


def rank_matches(df: pd.DataFrame, authority_weight: float = AUTHORITY_WEIGHT) -> pd.DataFrame:
    """Score and order matches (see the module docstring): best first, ties by BM25 then
    URL; adds ``rank``, ``authority``, ``score``, ``authority_share``."""
    out = df.copy()
    top = float(out.bm25.max()) if len(out) else 1.0
    norm = out.bm25 / top
    out["authority"] = (out.page_rating + out.domain_rating) / 200.0
    lift = 1.0 + authority_weight * out.authority
    out["score"] = norm * lift
    out["authority_share"] = 1.0 - 1.0 / lift
    out = out.sort_values(
        ["score", "bm25", "url"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def search(
    store: Store,
    query: str,
    *,
    limit: int | None = 10,
    authority_weight: float = AUTHORITY_WEIGHT,
    progress: Progress | None = None,
    index: SearchIndex | None = None,
) -> pd.DataFrame:
    """The pages best answering ``query`` (rank, url, title, bm25, page_rating,
    domain_rating, authority, score, authority_share). ``df.attrs["authority"]`` is false
    when the store has no ratings yet (run ``backlinks rank``)."""
    index = index or load_index(store, progress=progress)
    ranked = rank_matches(matches(store, index, query), authority_weight)
    out = ranked.loc[:, _RESULT_COLUMNS]
    out = out.head(limit) if limit else out
    out.attrs["authority"] = has_metrics(store)
    out.attrs["documents"] = index.size
    return out
