"""Link intersect and gap against an independent set computation over the links table (domains
and hosts derived from the URL strings, not the id columns), on the synthetic web and on the
real WARC samples; scoring, ordering, limits and the CLI in every format."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import backlinks
from backlinks import urls
from backlinks.analysis import competitors
from backlinks.analysis.authority import rank_store
from backlinks.analysis.backlinks import resolve_target
from backlinks.analysis.relevance import domain_relevance, fit_model
from backlinks.cli import app
from backlinks.demo.synthweb import SynthWeb, evolve, generate_web
from backlinks.demo.warcwrite import write_warc
from backlinks.store.db import Store
from datapaths import SHARED_DATA

runner = CliRunner()
SAMPLES = SHARED_DATA / "warc-samples"


def _build(db: Path, paths: list[Path]) -> None:
    with backlinks.open(db) as index:
        for path in paths:
            index.ingest(path)
        rank_store(index.store)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthWeb]:
    folder = tmp_path_factory.mktemp("compete")
    first = generate_web(7)
    paths = []
    for n, web in enumerate((first, evolve(first, 7))):
        paths.append(folder / f"web-{n}.warc.gz")
        write_warc(web.pages, paths[-1])
    _build(folder / "demo.duckdb", paths)
    return folder / "demo.duckdb", first


# --- the independent reference ------------------------------------------------------------


class Reference:
    """Links as URL strings; targets matched by their own host/domain/URL rules."""

    def __init__(self, store: Store) -> None:
        rows = store.con.execute(
            "SELECT DISTINCT src_url, dst_url, nofollow OR ugc OR sponsored FROM links"
        ).fetchall()
        self.links = [
            (s, d, bool(nf), self.domain(s), urls.host_of(d), self.domain(d)) for s, d, nf in rows
        ]
        self._memo: dict[tuple[str, bool], dict[str, set[tuple[str, str]]]] = {}

    @staticmethod
    def domain(url: str) -> str:
        return urls.registrable_domain(urls.host_of(url))

    def referring(self, target: str, *, followed_only: bool) -> dict[str, set[tuple[str, str]]]:
        """Referring domain -> the (source URL, target URL) links it has to the target."""
        if (target, followed_only) in self._memo:
            return self._memo[(target, followed_only)]
        t = resolve_target(target)
        field = {"domain": 5, "host": 4, "url": 1}[t.mode]
        out: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for link in self.links:
            src, dst, nofollow, src_dom, _host, dst_dom = link
            if link[field] == t.value and src_dom != dst_dom and not (nofollow and followed_only):
                out[src_dom].add((src, dst))
        self._memo[(target, followed_only)] = out
        return out

    def prospects(
        self, me: str, comps: list[str], *, include_nofollow: bool = False
    ) -> dict[str, set[str]]:
        """Candidate domain -> the competitors it links to (not me, not my domain)."""
        mine = set(self.referring(me, followed_only=False)) | {self.domain_of_target(me)}
        out: dict[str, set[str]] = defaultdict(set)
        for c in comps:
            for d in self.referring(c, followed_only=not include_nofollow):
                if d not in mine:
                    out[d].add(resolve_target(c).value)
        return out

    @staticmethod
    def domain_of_target(target: str) -> str:
        t = resolve_target(target)
        host = t.value if t.mode in ("host", "domain") else urls.host_of(t.value)
        return urls.registrable_domain(host)

    def most_linked_page(self, host: str) -> str:
        """The page of ``host`` (not its home page) with the most referring domains."""
        refs: dict[str, set[str]] = defaultdict(set)
        for _src, dst, _nf, src_dom, dst_host, dst_dom in self.links:
            if dst_host == host and src_dom != dst_dom:
                refs[dst].add(src_dom)
        pages = [
            u
            for u in refs
            if u.rstrip("/") != f"https://{host}" and u.rstrip("/") != f"http://{host}"
        ]
        return max(pages, key=lambda u: (len(refs[u]), u))


def _rating(store: Store) -> dict[int, float]:
    rows = store.con.execute(
        "SELECT node_id, rating FROM metrics WHERE level = 'domain' AND snapshot_id IS NULL"
    ).fetchall()
    return {int(a): float(b) for a, b in rows}


def _check_intersect(store: Store, me: str, comps: list[str], df: pd.DataFrame, k: int = 1) -> None:
    ref = Reference(store)
    expected = {d: cs for d, cs in ref.prospects(me, comps).items() if len(cs) >= k}
    assert set(df.domain) == set(expected)
    order = [resolve_target(c).value for c in comps]
    ratings = _rating(store)
    for row in df.itertuples(index=False):
        names = row.which.split(", ")
        assert set(names) == expected[row.domain]
        assert names == sorted(names, key=order.index)  # in the order given
        assert row.competitors_linked == len(names) >= k
        links = set().union(
            *(ref.referring(c, followed_only=True).get(row.domain, set()) for c in comps)
        )
        assert row.links == len(links)
        assert row.example_url in {s for s, _ in links}
        assert row.rating == pytest.approx(ratings.get(urls.stable_id(row.domain), 0.0))
        assert row.score == pytest.approx(max(row.rating, competitors.RATING_FLOOR) * row.relevance)
        assert 0 <= row.relevance <= 1
    keys = list(zip(-df.competitors_linked, -df.score, strict=True))
    assert keys == sorted(keys)


def _sites(web: SynthWeb, topic: str) -> list[str]:
    """The topic's sites, the featured one last: everybody links to it, so it is a
    competitor here, never "me"."""
    hosts = [s.host for s in web.sites if s.topic == topic]
    return sorted(hosts, key=lambda h: h == web.featured_host)


def test_intersect_matches_set_reference(demo: tuple[Path, SynthWeb]) -> None:
    db, web = demo
    me, *comps = _sites(web, "cycling")  # a cycling site, then its two rivals
    with Store(db, read_only=True) as store:
        comps = [*comps, Reference(store).most_linked_page(_sites(web, "tech")[0])]
        assert {resolve_target(c).mode for c in [me, *comps]} == {"host", "domain", "url"}
        df = competitors.intersect(store, me, comps, limit=None)
        assert len(df) > 5
        _check_intersect(store, me, comps, df)
        # min_competitors keeps exactly those linking to that many
        for k in (2, 3):
            dk = competitors.intersect(store, me, comps, min_competitors=k, limit=None)
            _check_intersect(store, me, comps, dk, k)
            assert set(dk.domain) == set(df.domain[df.competitors_linked >= k])
        with pytest.raises(ValueError, match="min_competitors"):
            competitors.intersect(store, me, comps, min_competitors=4)
        with pytest.raises(ValueError, match="same target"):
            competitors.intersect(store, me, [me])
        # --include-nofollow adds the domains that link competitors only with nofollow
        nofollow = competitors.intersect(store, me, comps, limit=None, include_nofollow=True)
        ref = Reference(store)
        assert set(nofollow.domain) == set(ref.prospects(me, comps, include_nofollow=True))
        assert set(df.domain) <= set(nofollow.domain)
        # a domain linking to me only with nofollow is a contact, not a prospect
        to_me = ref.referring(me, followed_only=False)
        only_nofollow = set(to_me) - set(ref.referring(me, followed_only=True))
        linking_comps = set().union(*(ref.referring(c, followed_only=True) for c in comps))
        assert only_nofollow & linking_comps  # the demo has such domains
        assert not only_nofollow & set(nofollow.domain)


def test_intersect_me_as_url_and_relevance(demo: tuple[Path, SynthWeb]) -> None:
    db, web = demo
    cycling = _sites(web, "cycling")
    me_page = f"https://{cycling[0]}/"  # a host given as a URL with no path
    with Store(db, read_only=True) as store:
        me_url = Reference(store).most_linked_page(cycling[0])
        as_host = competitors.intersect(store, cycling[0], cycling[1:], limit=None)
        pd.testing.assert_frame_equal(
            as_host, competitors.intersect(store, me_page, cycling[1:], limit=None)
        )
        by_url = competitors.intersect(store, me_url, cycling[1:], limit=None)
        _check_intersect(store, me_url, cycling[1:], by_url)
        assert set(as_host.domain) <= set(by_url.domain)  # one page has fewer linking domains
        rel = domain_relevance(store, list(as_host.domain_id), cycling[0], fit_model(store))
        assert as_host.relevance.tolist() == pytest.approx(rel.tolist())


def test_every_demo_domain_as_competitor(demo: tuple[Path, SynthWeb]) -> None:
    db, web = demo
    me = _sites(web, "cycling")[0]
    comps = [s.host for s in web.sites if s.host != me]
    assert len(comps) > 10
    with Store(db, read_only=True) as store:
        df = competitors.intersect(store, me, comps, limit=None)
        _check_intersect(store, me, comps, df)
        assert df.competitors_linked.max() > 3
        wider = competitors.intersect(store, me, comps, limit=None, include_nofollow=True)
        ref = Reference(store).prospects(me, comps, include_nofollow=True)
        assert set(wider.domain) == set(ref)
        assert dict(zip(wider.domain, wider.competitors_linked, strict=True)) == {
            d: len(c) for d, c in ref.items()
        }
        assert (
            wider.set_index("domain").competitors_linked[df.domain] >= df.competitors_linked.values
        ).all()


def test_limit_gives_the_top_of_the_full_ranking(
    demo: tuple[Path, SynthWeb], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, web = demo
    me = _sites(web, "cycling")[0]
    comps = [s.host for s in web.sites if s.host != me]
    monkeypatch.setattr(competitors, "SCORE_BATCH", 2)  # several relevance batches per tier
    with Store(db, read_only=True) as store:
        full = competitors.intersect(store, me, comps, limit=None)
        for limit in (1, 2, 3, 5, 8, len(full)):
            top = competitors.intersect(store, me, comps, limit=limit)
            pd.testing.assert_frame_equal(top, full.head(limit).reset_index(drop=True))


def test_gap_matches_set_reference(demo: tuple[Path, SynthWeb]) -> None:
    db, web = demo
    me, *comps = _sites(web, "cycling")
    comps = [*comps, _sites(web, "tech")[0]]
    with Store(db, read_only=True) as store:
        df = competitors.gap(store, me, comps, limit=None)
        ref = Reference(store)
        mine = set(ref.referring(me, followed_only=False)) | {ref.domain_of_target(me)}
        expected: dict[tuple[str, str], set[str]] = defaultdict(set)
        for c in comps:
            for d, pairs in ref.referring(c, followed_only=True).items():
                if d not in mine:
                    for _src, dst in pairs:
                        expected[(resolve_target(c).value, dst)].add(d)
        got = {(r.competitor, r.target_url): r.referring_domains_not_me for r in df.itertuples()}
        assert got == {k: len(v) for k, v in expected.items()}
        ratings = _rating(store)
        linking = {
            (resolve_target(c).value, dst, d): {s for s, t in pairs if t == dst}
            for c in comps
            for d, pairs in ref.referring(c, followed_only=True).items()
            for dst in {x for _, x in pairs}
        }
        for r in df.itertuples():
            assert r.example_url in linking[(r.competitor, r.target_url, r.best_domain)]
            doms = expected[(r.competitor, r.target_url)]
            best = max(ratings.get(urls.stable_id(d), 0.0) for d in doms)
            assert r.best_rating == pytest.approx(best)
            assert r.best_domain in doms
            assert ratings.get(urls.stable_id(r.best_domain), 0.0) == pytest.approx(best)
            assert 0 <= r.relevance <= 1
        counts = list(df.referring_domains_not_me)
        assert counts == sorted(counts, reverse=True)
        # same-topic competitor pages are more relevant to me than the tech site's pages
        cyc = df[df.competitor != resolve_target(comps[-1]).value].relevance.mean()
        assert cyc > df[df.competitor == resolve_target(comps[-1]).value].relevance.mean()
        pd.testing.assert_frame_equal(competitors.gap(store, me, comps, limit=3), df.head(3))


def test_cli_formats(demo: tuple[Path, SynthWeb]) -> None:
    db, web = demo
    me, *comps = _sites(web, "cycling")
    args = ["intersect", me, *[x for c in comps for x in ("--competitor", c)], "--db", str(db)]
    with Store(db, read_only=True) as store:
        api = competitors.intersect(store, me, comps, limit=None)
        gap_api = competitors.gap(store, me, comps, limit=5)
    res = runner.invoke(app, [*args, "--format", "json", "--limit", "0"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["domain"] for r in rows] == list(api.domain)
    assert rows[0]["which"] == api.which.iloc[0]
    res = runner.invoke(app, [*args, "--format", "csv", "--limit", "3", "--min-competitors", "2"])
    assert res.exit_code == 0, res.output
    table = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [r["domain"] for r in table] == list(api.domain[api.competitors_linked >= 2].head(3))
    res = runner.invoke(app, [*args, "--include-nofollow"])
    assert res.exit_code == 0, res.output
    assert "link intersect" in res.stdout
    assert runner.invoke(app, [*args, "--competitor", me]).exit_code == 2
    assert runner.invoke(app, [*args, "--min-competitors", "9"]).exit_code == 2

    gap_args = ["gap", me, *[x for c in comps for x in ("-c", c)], "--db", str(db)]
    res = runner.invoke(app, [*gap_args, "--format", "json", "--limit", "5"])
    assert res.exit_code == 0, res.output
    assert [r["target_url"] for r in json.loads(res.stdout)] == list(gap_api.target_url)
    res = runner.invoke(app, [*gap_args, "--format", "csv", "--limit", "5"])
    assert [r["target_url"] for r in csv.DictReader(io.StringIO(res.stdout))] == list(
        gap_api.target_url
    )
    res = runner.invoke(app, [*gap_args, "--limit", "5"])
    assert res.exit_code == 0, res.output
    assert "link gap" in res.stdout

    for fmt in ("json", "csv", "table"):
        res = runner.invoke(app, ["topics", "--db", str(db), "--format", fmt, "--limit", "0"])
        assert res.exit_code == 0, res.output
    assert (
        runner.invoke(
            app, ["topics", "--db", str(db), "--clusters", "4", "--format", "json"]
        ).exit_code
        == 0
    )
    topics = json.loads(runner.invoke(app, ["topics", "--db", str(db), "--format", "json"]).stdout)
    assert {t["domain"] for t in topics} >= {urls.registrable_domain(h) for h in comps}
    assert (
        runner.invoke(
            app, ["intersect", me, "-c", comps[0], "--db", str(db.parent / "none.duckdb")]
        ).exit_code
        == 2
    )


def test_real_warc_samples(tmp_path: Path) -> None:
    if not SAMPLES.exists():
        pytest.skip(f"shared test data not present: {SAMPLES}")
    db = tmp_path / "real.duckdb"
    _build(db, [SAMPLES])
    with Store(db, read_only=True) as store:
        top = store.query(
            """SELECT d.domain FROM links l JOIN domains d ON d.domain_id = l.dst_domain_id
               WHERE l.src_domain_id <> l.dst_domain_id AND NOT (nofollow OR ugc OR sponsored)
               GROUP BY 1 ORDER BY count(DISTINCT l.src_domain_id) DESC, 1 LIMIT 3"""
        ).domain.tolist()
        assert len(top) == 3
        me, comps = top[2], top[:2]
        df = competitors.intersect(store, me, comps, limit=None)
        assert len(df) > 0
        _check_intersect(store, me, comps, df)
        assert me not in set(df.domain)
        gap = competitors.gap(store, me, comps, limit=None)
        assert gap.referring_domains_not_me.sum() >= df.competitors_linked.sum() > 0
        assert set(gap.competitor) <= set(comps)
        assert gap.relevance.between(0, 1).all()
