"""Search end to end on real DuckDB files built by the real pipeline: a tiny hand-made web
where four pages match a query equally and differ only in backlinks, the synthetic demo web
for BM25 against a plain-Python Okapi BM25, the cache, `whatif --query`, the CLI and the
real WARC samples."""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import backlinks
from backlinks.analysis.authority import rank_store
from backlinks.analysis.search import K1, B, load_index, search, search_dir, tokenize
from backlinks.analysis.search_whatif import whatif_position
from backlinks.cli import app
from backlinks.demo.model import SynthPage
from backlinks.demo.synthweb import evolve, generate_web
from backlinks.demo.warcwrite import write_warc
from backlinks.store.db import Store
from datapaths import SHARED_DATA

runner = CliRunner()
WHEN = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
QUERY = "blue widget"
#: Four pages with the same words; hubs link to them 3, 2, 1 and 0 times.
CANDIDATES = {"b": 3, "c": 2, "d": 1, "a": 0}
HUBS = [f"https://hub{k}.example/" for k in range(6)]


def page(url: str, title: str, body: str, links: list[str], when: datetime = WHEN) -> SynthPage:
    anchors = "".join(f'<a href="{u}"><img src="/i.png" alt=""></a>' for u in links)
    html = (
        f"<!doctype html><html><head><title>{title}</title></head>"
        f"<body><main><p>{body}</p>{anchors}</main></body></html>"
    )
    return SynthPage(url, 200, html.encode(), "text/html; charset=utf-8", when)


def tiny_web(extra_from_hubs: dict[str, list[str]] | None = None) -> list[SynthPage]:
    """Fans link to every hub; hub k links to candidate x when k < CANDIDATES[x], and every
    hub links to the (non-matching) pasta page. Image links: no anchor words."""
    extra = extra_from_hubs or {}
    pages = [
        page(f"https://fan{n}.example/", f"Fan {n}", "Letters from a reader", HUBS)
        for n in range(8)
    ]
    for k, hub in enumerate(HUBS):
        targets = [f"https://{x}.example/widgets" for x, n in CANDIDATES.items() if k < n]
        targets += ["https://pasta.example/", *extra.get(hub, [])]
        pages.append(page(hub, f"Hub {k}", "A directory of sites", targets))
    for x in CANDIDATES:
        pages.append(
            page(
                f"https://{x}.example/widgets",
                "Blue widget guide",
                "How to pick a blue widget for the workshop: a widget that lasts.",
                [],
            )
        )
    pages.append(page("https://pasta.example/", "Pasta", "Cooking fresh pasta at home", []))
    return pages


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("search-tiny")
    db = folder / "tiny.duckdb"
    write_warc(tiny_web(), folder / "tiny.warc.gz")
    with backlinks.open(db) as index:
        index.ingest(folder / "tiny.warc.gz")
        rank_store(index.store)
    return db


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("search-demo")
    first = generate_web(7)
    db = folder / "demo.duckdb"
    with backlinks.open(db) as index:
        for n, web in enumerate((first, evolve(first, 7))):
            path = folder / f"web-{n}.warc.gz"
            write_warc(web.pages, path)
            index.ingest(path)
        rank_store(index.store)
    return db


def test_tokenize_folds_case_and_accents_and_splits_ideographs() -> None:
    assert tokenize("Crème BRÛLÉE, naïve Straße!") == ["creme", "brulee", "naive", "strasse"]
    assert tokenize("日本語 テキスト and 한국어") == [
        "日",
        "本",
        "語",
        "テ",
        "キ",
        "ス",
        "ト",
        "and",
        "한국어",
    ]
    assert tokenize("") == []


def test_matching_pages_rank_above_non_matching(tiny: Path) -> None:
    with Store(tiny, read_only=True) as store:
        df = search(store, QUERY, limit=None)
        pasta = search(store, "pasta", limit=None)
    assert set(df.url) == {f"https://{x}.example/widgets" for x in CANDIDATES}
    # the pasta page has the most authority of all but no query word: not a result
    assert "https://pasta.example/" not in set(df.url)
    assert list(pasta.url) == ["https://pasta.example/"]
    assert (df.bm25 > 0).all()


def test_equal_match_more_authority_ranks_higher(tiny: Path) -> None:
    with Store(tiny, read_only=True) as store:
        df = search(store, QUERY, limit=None)
    assert df.bm25.nunique() == 1  # the same words: the same relevance
    assert list(df.url) == [f"https://{x}.example/widgets" for x in ("b", "c", "d", "a")]
    assert list(df["rank"]) == [1, 2, 3, 4]
    assert df.authority.is_monotonic_decreasing
    assert df.authority.iloc[-1] == 0.0  # no backlinks: no authority
    assert df.authority_share.iloc[-1] == 0.0
    # the score is the documented product, and authority_share what links add to it
    norm = df.bm25 / df.bm25.max()
    assert df.score.tolist() == pytest.approx((norm * (1 + df.authority)).tolist())
    assert df.authority_share.tolist() == pytest.approx((1 - norm / df.score).tolist())
    assert df.authority.tolist() == pytest.approx(
        ((df.page_rating + df.domain_rating) / 200).tolist()
    )


def reference_documents(store: Store) -> dict[str, list[str]]:
    """Each page's latest fetch, 2xx and indexable: URL -> tokens of title + text."""
    rows = store.con.execute(
        "SELECT p.url, p.url_id, p.status, p.robots_noindex, p.title, t.text, s.started_at, "
        "p.snapshot_id FROM pages p JOIN snapshots s USING (snapshot_id) "
        "LEFT JOIN page_text t ON t.url_id = p.url_id AND t.snapshot_id = p.snapshot_id"
    ).fetchall()
    latest: dict[int, tuple[object, ...]] = {}
    for row in rows:
        key = (row[6], row[7])
        if row[1] not in latest or key > (latest[row[1]][6], latest[row[1]][7]):
            latest[row[1]] = row
    docs = {}
    for url, _, status, noindex, title, text, *_ in latest.values():
        if 200 <= status <= 299 and not noindex:
            tokens = tokenize(f"{title or ''} {text or ''}")
            if tokens:
                docs[str(url)] = tokens
    return docs


def okapi_bm25(docs: dict[str, list[str]], query: str) -> dict[str, float]:
    """Okapi BM25, Lucene's variant: idf = ln(1 + (N - df + .5)/(df + .5)), tf part
    tf / (tf + k1 (1 - b + b |d|/avgdl)), each distinct query term once."""
    n = len(docs)
    avgdl = sum(len(t) for t in docs.values()) / n
    counts = {url: Counter(tokens) for url, tokens in docs.items()}
    terms = set(tokenize(query))
    out = {}
    for url, tokens in docs.items():
        total = 0.0
        for term in terms:
            tf = counts[url][term]
            if tf:
                df = sum(1 for c in counts.values() if term in c)
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                total += idf * tf / (tf + K1 * (1 - B + B * len(tokens) / avgdl))
        if total > 0:
            out[url] = total
    return out


@pytest.mark.parametrize(
    "query", ["gravel bike tyres", "Küche Rezept", "the", "rust ownership borrow", "zzzz"]
)
def test_bm25_column_equals_plain_okapi_bm25(demo: Path, query: str) -> None:
    with Store(demo, read_only=True) as store:
        df = search(store, query, limit=None)
        expected = okapi_bm25(reference_documents(store), query)
    got = dict(zip(df.url, df.bm25, strict=True))
    assert set(got) == set(expected)
    for url, value in expected.items():
        assert got[url] == pytest.approx(value, rel=1e-5)
    assert query != "zzzz" or df.empty


def test_whatif_query_moves_the_target_up(tiny: Path) -> None:
    target = "https://a.example/widgets"
    with Store(tiny, read_only=True) as store:
        before = search(store, QUERY, limit=None)
        page = whatif_position(store, QUERY, HUBS, target, level="page")
        domain = whatif_position(store, QUERY, HUBS, "https://a.example/widgets", level="domain")
        same = whatif_position(store, QUERY, HUBS[:1], "https://b.example/widgets", level="page")
    assert int(before[before.url == target]["rank"].iloc[0]) == 4
    for result in (page, domain):
        assert result["position_before"] == 4
        assert result["position_after"] < result["position_before"]
        assert result["position_change"] == result["position_before"] - result["position_after"]
        assert result["authority_after"] > result["authority_before"] == 0.0
        assert result["score_after"] > result["score_before"]
    # a link that already exists changes nothing, and "before" is what search shows
    assert same["position_before"] == same["position_after"] == 1
    assert same["score_before"] == pytest.approx(float(before.score.iloc[0]), abs=1e-6)


def test_cache_is_reused_and_invalidated_by_an_ingest(tmp_path: Path, tiny: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(tiny, db)
    with Store(db, read_only=True) as store:
        first = load_index(store)
        assert first.built
        assert first.folder is not None
        stamp = (first.folder / "docs.parquet").stat().st_mtime_ns
        again = load_index(store)
        assert not again.built
        assert again.folder == first.folder
        assert (first.folder / "docs.parquet").stat().st_mtime_ns == stamp
        assert again.size == first.size
        assert search(store, QUERY, limit=None, index=again).equals(
            search(store, QUERY, limit=None, index=first)
        )
    later = [page("https://new.example/", "A blue widget shop", "Widgets for sale", [], WHEN)]
    write_warc(later, tmp_path / "later.warc.gz")
    with backlinks.open(db) as index:
        index.ingest(tmp_path / "later.warc.gz")
    with Store(db, read_only=True) as store:
        rebuilt = load_index(store)
        assert rebuilt.built
        assert rebuilt.folder != first.folder
        assert "https://new.example/" in set(search(store, QUERY, limit=None).url)
    assert not first.folder.exists()  # the stale index is dropped
    assert [p.name for p in search_dir(store).iterdir()] == [rebuilt.folder.name]


def test_cli_search_and_whatif_query(tmp_path: Path, tiny: Path) -> None:
    db = tmp_path / "cli.duckdb"
    shutil.copy(tiny, db)
    first = ["search", QUERY, "--db", str(db), "--format", "json", "--limit", "2"]
    got = runner.invoke(app, first, env={"BACKLINKS_PROGRESS": "1"})  # builds, with a bar
    assert got.exit_code == 0, got.output
    rows = json.loads(got.stdout)
    assert [r["url"] for r in rows] == ["https://b.example/widgets", "https://c.example/widgets"]
    assert {"bm25", "authority", "score", "authority_share"} <= set(rows[0])
    table = runner.invoke(app, ["search", QUERY, "--db", str(db), "--explain"])
    assert table.exit_code == 0, table.output
    assert "score = bm25/max(bm25)" in table.output  # the formula, on stderr
    header = next(line for line in table.stdout.splitlines() if line.startswith("┏"))
    assert header.count("┳") == 8  # rank url title bm25 2 ratings authority score share
    plain = runner.invoke(app, ["search", QUERY, "--db", str(db)])
    header = next(line for line in plain.stdout.splitlines() if line.startswith("┏"))
    assert header.count("┳") == 3  # rank url title score
    args = ["whatif", "--db", str(db), "--level", "page", "--to", "https://a.example/widgets"]
    args += [a for hub in HUBS for a in ("--from", hub)]
    moved = runner.invoke(app, [*args, "--query", QUERY, "--format", "json"])
    assert moved.exit_code == 0, moved.output
    result = json.loads(moved.stdout)
    assert result["position_before"] == 4
    assert result["position_after"] < 4
    assert result["new_edges"] == len(HUBS)  # the existing whatif output is still there
    host = runner.invoke(app, [*args, "--level", "host", "--query", QUERY])
    assert host.exit_code == 2


SAMPLES = SHARED_DATA / "warc-samples"


@pytest.mark.skipif(not SAMPLES.exists(), reason=f"shared WARC samples absent ({SAMPLES})")
def test_search_real_warc_samples(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    with backlinks.open(db) as index:
        index.ingest(*(SAMPLES / f"commoncrawl-{y}" for y in ("2019", "2020", "2024-whirlwind")))
        rank_store(index.store)
    with Store(db, read_only=True) as store:
        df = search(store, "Common Crawl", limit=None)
        docs = reference_documents(store)
        expected = okapi_bm25(docs, "Common Crawl")
        chinese = search(store, "视频", limit=5)
    assert len(df) == len(expected) > 0
    assert "Common Crawl" in df.title.iloc[0]
    got = dict(zip(df.url, df.bm25, strict=True))
    assert all(got[u] == pytest.approx(v, rel=1e-5) for u, v in expected.items())
    assert df.score.is_monotonic_decreasing
    assert df.authority.between(0, 1).all()
    assert len(chinese) > 0  # ideographs are matched one by one
    assert all({"视", "频"} & set(docs[url]) for url in chinese.url)
