"""Host link features against slow obvious references (networkx, BFS, a dense power series),
spam mass, the default unsupervised score on planted and demo link farms, the learned model's
round trip, WEBSPAM label files, and (when the data is present) WEBSPAM-UK2007 itself."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path
from types import ModuleType

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

import backlinks
from backlinks.demo.synthweb import generate_web
from backlinks.demo.warcwrite import write_warc
from backlinks.graph.build import build_graph
from backlinks.graph.csr import Graph, from_edges
from backlinks.quality.hostfeatures import (
    FEATURES,
    host_features,
    supporters_exact,
    supporters_hyperball,
)
from backlinks.quality.hostspam import (
    HostSpamModel,
    read_hostnames,
    read_labels,
    score_components,
    spam_mass,
    spam_score,
    top_reasons,
)
from backlinks.rank.trust import trustrank
from datapaths import SHARED_DATA

F64 = npt.NDArray[np.float64]
ALPHA = 0.85


def random_graph(seed: int, n: int, m: int) -> tuple[Graph, nx.DiGraph]:
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = np.where(rng.random(m) < 0.5, rng.integers(0, n // 8, m), rng.integers(0, n, m))
    back = rng.random(m) < 0.3  # some reciprocal links
    src, dst = np.concatenate([src, dst[back]]), np.concatenate([dst, src[back]])
    src = np.where(src >= n - n // 10, rng.integers(0, n // 2, src.size), src)  # dangling
    g = from_edges(src, dst, n, labels=[f"h{i}" for i in range(n)])
    ref = nx.DiGraph()
    ref.add_nodes_from(range(n))
    ref.add_edges_from((int(s), int(d)) for s, d in zip(src, dst, strict=True) if s != d)
    return g, ref


def walk_terms(ref: nx.DiGraph, steps: int) -> list[F64]:
    """u·Mᵗ for t = 0..steps with a dense walk matrix (dangling rows uniform)."""
    n = ref.number_of_nodes()
    a = nx.to_numpy_array(ref, nodelist=range(n))
    out = a.sum(axis=1)
    walk = np.where(out[:, None] > 0, a / np.maximum(out, 1)[:, None], 1.0 / n)
    x = np.full(n, 1.0 / n)
    terms = [x]
    for _ in range(steps):
        x = x @ walk
        terms.append(x)
    return terms


@pytest.fixture(scope="module")
def small() -> tuple[Graph, nx.DiGraph, pd.DataFrame]:
    g, ref = random_graph(3, 160, 700)
    return g, ref, host_features(g)


def test_degree_features_match_networkx(small: tuple[Graph, nx.DiGraph, pd.DataFrame]) -> None:
    _, ref, f = small
    assert list(f.columns) == list(FEATURES)
    assert list(f.index[:2]) == ["h0", "h1"]
    pr = nx.pagerank(ref, tol=1e-14, max_iter=2000)
    n = ref.number_of_nodes()
    for v in range(n):
        row = f.iloc[v]
        outs, ins = list(ref.successors(v)), list(ref.predecessors(v))
        deg = {u: ref.in_degree(u) + ref.out_degree(u) for u in ref}
        assert row.indegree == len(ins)
        assert row.outdegree == len(outs)
        mutual = sum(ref.has_edge(w, v) for w in outs)
        assert row.reciprocity == pytest.approx(mutual / len(outs) if outs else 0.0)
        nbrs = [deg[u] for u in ins + outs]
        assert row.assortativity == pytest.approx(deg[v] / np.mean(nbrs) if nbrs else 0.0)
        in_of_out = np.mean([ref.in_degree(w) for w in outs]) if outs else 0.0
        assert row.avgin_of_out == pytest.approx(in_of_out)
        out_of_in = np.mean([ref.out_degree(u) for u in ins]) if ins else 0.0
        assert row.avgout_of_in == pytest.approx(out_of_in)
        assert row.pagerank == pytest.approx(pr[v], abs=1e-9)
        sigma = np.std([n * pr[u] for u in ins]) if len(ins) > 1 else 0.0
        assert row.prsigma == pytest.approx(sigma, abs=1e-6)
    assert f["trustrank"].isna().all()


def test_truncated_pagerank_is_the_power_series_without_short_paths(
    small: tuple[Graph, nx.DiGraph, pd.DataFrame],
) -> None:
    _, ref, f = small
    terms = walk_terms(ref, 300)
    pr = sum((1 - ALPHA) * ALPHA**t * x for t, x in enumerate(terms))
    assert np.abs(f["pagerank"].to_numpy() - pr).sum() < 1e-8
    for big_t in range(1, 5):
        expected = sum(
            (1 - ALPHA) * ALPHA ** (t - big_t - 1) * terms[t] for t in range(big_t + 1, 301)
        )
        got = f[f"truncatedpagerank_{big_t}"].to_numpy()
        assert np.abs(got - expected).sum() < 1e-8
        assert got.sum() == pytest.approx(1.0)


def test_supporters_match_bfs(small: tuple[Graph, nx.DiGraph, pd.DataFrame]) -> None:
    g, ref, f = small
    rev = ref.reverse()
    for v in range(g.n):
        dist = nx.single_source_shortest_path_length(rev, v, cutoff=4)
        for k in (2, 3, 4):
            assert f.iloc[v][f"neighbors_{k}"] == sum(1 for d in dist.values() if 1 <= d <= k)
    exact = supporters_exact(g)
    assert np.array_equal(exact[:, 0], g.in_degree())


def test_hyperball_supporters_estimate_exact_ones() -> None:
    g, _ = random_graph(5, 3000, 9000)
    exact = supporters_exact(g)
    approx = supporters_hyperball(g, log2m=8)
    big = exact[:, 3] >= 20
    rel = np.abs(approx[big, 3] - exact[big, 3]) / exact[big, 3]
    assert np.median(rel) < 0.08
    via_features = host_features(g, exact_limit=0, log2m=8)["neighbors_4"].to_numpy()
    assert np.array_equal(via_features, approx[:, 3])


def test_unsorted_in_lists_and_empty_graph(small: tuple[Graph, nx.DiGraph, pd.DataFrame]) -> None:
    g, _, f = small
    rng = np.random.default_rng(0)
    in_src = g.in_src.copy()
    for v in range(g.n):
        rng.shuffle(in_src[g.in_ptr[v] : g.in_ptr[v + 1]])
    shuffled = Graph(g.in_ptr, in_src, g.out_deg, g.ids, g.labels, "host")
    pd.testing.assert_frame_equal(host_features(shuffled), f)
    assert host_features(from_edges([], [], 0)).shape == (0, len(FEATURES))


def test_spam_mass_formula() -> None:
    rel, absolute = spam_mass([0.4, 0.1, 0.0, 0.2], [0.0, 0.1, 0.3, 0.4], good_fraction=0.5)
    np.testing.assert_allclose(absolute, [0.4, 0.05, -0.15, 0.0])
    np.testing.assert_allclose(rel, [1.0, 0.5, 0.0, 0.0])
    rel_default, _ = spam_mass([0.2], [0.1])
    assert rel_default[0] == pytest.approx(1 - 0.85 * 0.1 / 0.2)


def planted_farm(seed: int = 11) -> tuple[Graph, F64, npt.NDArray[np.bool_]]:
    """600 ordinary hosts linking by popularity, plus a 20-host farm: every member links
    every other and a target; two ordinary hosts link into the farm. Seeds: top hosts."""
    rng = np.random.default_rng(seed)
    n_norm, n_farm = 600, 20
    pop = rng.pareto(1.2, n_norm) + 1
    src = rng.integers(0, n_norm, 4000)
    dst = rng.choice(n_norm, 4000, p=pop / pop.sum())
    farm = np.arange(n_norm, n_norm + n_farm)
    target = farm[0]
    fs, fd = np.meshgrid(farm, farm)
    src = np.concatenate([src, fs.ravel(), [1, 2]])
    dst = np.concatenate([dst, fd.ravel(), [target, farm[3]]])
    g = from_edges(src, dst, n_norm + n_farm)
    seeds = np.argsort(-pop)[:20]
    is_farm = np.zeros(g.n, dtype=bool)
    is_farm[farm] = True
    return g, trustrank(g, seeds).scores, is_farm


@pytest.mark.parametrize("with_trust", [True, False])
def test_default_score_ranks_a_planted_farm_first(with_trust: bool) -> None:
    g, trust, is_farm = planted_farm()
    f = host_features(g, trust=trust if with_trust else None)
    score = spam_score(f)
    assert ((score >= 0) & (score <= 1)).all()
    assert score[is_farm].min() > np.quantile(score[~is_farm], 0.95)
    comps = score_components(f)
    assert ("spam_mass" in comps.columns) == with_trust
    reasons = top_reasons(f.iloc[int(np.flatnonzero(is_farm)[1])])
    assert any("link back" in r for r in reasons)
    farm_row = int(np.flatnonzero(is_farm)[2])
    assert top_reasons(f.iloc[farm_row], comps.iloc[farm_row], limit=2)
    assert len(top_reasons(f.iloc[farm_row], comps.iloc[farm_row], limit=2)) <= 2


def test_demo_link_farm_scores_above_legitimate_sites(tmp_path: Path) -> None:
    web = generate_web(7)
    warc = tmp_path / "web.warc.gz"
    write_warc(web.pages, warc)
    with backlinks.open(tmp_path / "demo.duckdb") as index:
        index.ingest(warc)
        g = build_graph(index.store, "host", use_cache=False)
        names = dict(index.store.con.execute("SELECT host_id, host FROM hosts").fetchall())
    g.labels = [names[int(i)] for i in g.ids]
    spam = {s.host for s in web.sites if s.role in ("farm", "money")}
    farms = {s.host for s in web.sites if s.role == "farm"}
    legit = {s.host for s in web.sites if s.role in ("featured", "hub", "normal")}
    seeds = [g.labels.index(s.host) for s in web.sites if s.role in ("featured", "hub")]
    f = host_features(g, trust=trustrank(g, seeds).scores)
    score = pd.Series(spam_score(f), index=f.index)
    assert score[list(spam)].min() > score[list(legit)].max()
    plain = pd.Series(spam_score(host_features(g)), index=f.index)  # no trust vector
    assert plain[list(farms)].min() > plain[list(legit)].max()


def test_model_fit_predict_save_load(tmp_path: Path) -> None:
    g, trust, is_farm = planted_farm()
    f = host_features(g, trust=trust)
    labels = pd.Series(is_farm.astype(float), index=f.index)
    model = HostSpamModel(n_estimators=50, random_state=1).fit(f, labels)
    pred = model.predict(f)
    assert ((pred >= 0) & (pred <= 1)).all()
    assert pred[is_farm].mean() > 0.5 > pred[~is_farm].mean()
    imp = model.feature_importances()
    assert imp.sum() == pytest.approx(1.0)
    assert imp.index[0] in model.columns
    model.save(tmp_path / "model.pkl.gz")
    again = HostSpamModel.load(tmp_path / "model.pkl.gz")
    np.testing.assert_array_equal(again.predict(f), pred)
    with pytest.raises(ValueError, match="both"):
        HostSpamModel().fit(f, np.zeros(len(f)))
    with pytest.raises(RuntimeError, match="not fitted"):
        HostSpamModel().predict(f)
    (tmp_path / "other.pkl.gz").write_bytes(gzip.compress(b"\x80\x04N."))  # pickled None
    with pytest.raises(ValueError, match="not a saved"):
        HostSpamModel.load(tmp_path / "other.pkl.gz")


def test_label_files_of_both_formats(tmp_path: Path) -> None:
    names = tmp_path / "hostnames.txt.gz"
    names.write_bytes(gzip.compress(b"0 a.example.co.uk\n1 B.example.co.uk:8080\n2 c.org.uk\n"))
    uk7 = tmp_path / "set1.txt"
    uk7.write_text(
        "0 nonspam 0.00000 j1:N,j2:N\n1 spam 1.00000 j3:S\n2 undecided - j4:U\n",
        encoding="utf-8",
    )
    hostnames = read_hostnames(names)
    assert hostnames[1] == "b.example.co.uk:8080"
    labels = read_labels(uk7, hostnames)
    assert labels.to_dict() == {"a.example.co.uk": 0.0, "b.example.co.uk:8080": 1.0}
    assert read_labels(uk7).index.tolist() == [0, 1]
    assert read_labels(uk7, hostnames, keep_undecided=True).isna().sum() == 1
    uk6 = tmp_path / "uk2006.txt"
    uk6.write_text(
        "x.co.uk j1:N,j2:N 0.00000 normal\nY.co.uk j1:S,odp:N 0.50000 undecided\n"
        "z.co.uk j1:S 1.00000 spam\n",
        encoding="utf-8",
    )
    assert read_labels(uk6).to_dict() == {"x.co.uk": 0.0, "z.co.uk": 1.0}
    bad = tmp_path / "bad.txt"
    bad.write_text("what is this\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a WEBSPAM label line"):
        read_labels(bad)
    with pytest.raises(ValueError, match="not in the hostnames"):
        read_labels(uk7, {0: "a"})


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "bench" / "spam_eval.py"
    spec = importlib.util.spec_from_file_location("spam_eval", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_webspam_uk2007_learned_beats_spam_mass() -> None:
    data = SHARED_DATA / "webspam-uk2007"
    if not (data / "uk-2007-05.link_based_features.csv.train.arff.gz").exists():
        pytest.skip(f"WEBSPAM-UK2007 features not in {data}")
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold

    bench = _bench()
    hostnames = read_hostnames(data / "WEBSPAM-UK2007-hostnames.txt.gz")
    feats = bench.read_arff(data / "uk-2007-05.link_based_features.csv.train.arff.gz", hostnames)
    labels = read_labels(data / "WEBSPAM-UK2007-SET1-labels.txt", hostnames)
    assert labels.index.isin(feats.index).all()
    f, y = feats.loc[labels.index], labels.to_numpy().astype(int)
    groups = [backlinks.urls.registrable_domain(h.split(":")[0]) for h in f.index]
    oof = np.zeros(len(y))
    for tr, te in StratifiedGroupKFold(5, shuffle=True, random_state=0).split(f, y, groups):
        model = HostSpamModel(n_estimators=150, random_state=0).fit(f.iloc[tr], y[tr])
        oof[te] = model.predict(f.iloc[te])
    base = f[list(FEATURES)]
    mass_auc = roc_auc_score(y, spam_mass(base["pagerank"], base["trustrank"])[0])
    assert roc_auc_score(y, oof) > mass_auc + 0.05
    pages = 105_896_555  # the UK2007 page graph, whose PageRank the features hold
    assert roc_auc_score(y, spam_score(base, nodes=pages)) > 0.5
