"""Toxic links end to end on the synthetic web with planted spam: the planted link farm,
private blog network, paid links and comment spam are found with reasons that point at the
evidence; legitimate links score low; the disavow file and `--disavow` views work on real
files through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import backlinks
from backlinks.cli import app
from backlinks.demo.synthweb import SynthPage, SynthWeb, evolve, generate_web
from backlinks.demo.warcwrite import write_warc
from backlinks.quality.disavow import parse_disavow

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthWeb, SynthWeb]:
    folder = tmp_path_factory.mktemp("toxic")
    first = generate_web(7)
    second = evolve(first, 7)
    db = folder / "demo.duckdb"
    with backlinks.open(db) as index:
        for n, web in enumerate((first, second)):
            path = folder / f"web-{n}.warc.gz"
            write_warc(web.pages, path)
            index.ingest(path)
    return db, first, second


def _money(web: SynthWeb) -> str:
    return next(s.host for s in web.sites if s.role == "money")


def _truth(*webs: SynthWeb) -> dict[tuple[str, str], str]:
    return {(s.src_url, s.dst_url): s.kind for w in webs for s in w.planted_spam()}


def test_toxic_finds_planted_spam_with_reasons(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, second = demo
    truth = _truth(first, second)
    money = _money(first)
    with backlinks.open(db) as index:
        links = index.toxic(money, min_score=0)
    assert len(links) > 0
    pairs = list(zip(links.source_url, links.target_url, strict=True))
    planted = links[[p in truth for p in pairs]]
    kinds = {truth[p] for p in pairs if p in truth}
    assert kinds == {"farm", "pbn", "paid", "comment"}  # every kind reaches the money site
    flagged = planted[planted.score >= 50]
    # most planted links to the money site are flagged, each with at least one reason
    assert len(flagged) / len(planted) >= 0.8
    assert (flagged.reasons.str.len() > 0).all()
    reasons = " ".join(links.reasons)
    assert "link network #" in reasons  # the farm's reciprocal cluster
    assert "outlink group #" in reasons or "template group #" in reasons  # the PBN's plan
    assert "sponsored" in reasons.lower() or "partnership" in reasons.lower()  # paid links
    assert "comment" in reasons


def test_legitimate_links_score_low(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, second = demo
    truth = _truth(first, second)
    with backlinks.open(db) as index:
        links = index.toxic(first.featured_host, min_score=0)
    legit = links[
        [(s, t) not in truth for s, t in zip(links.source_url, links.target_url, strict=True)]
    ]
    assert len(legit) > 20
    assert (legit.score >= 50).mean() <= 0.05
    assert links.score.between(0, 100).all()
    assert list(links.score) == sorted(links.score, reverse=True)


def test_domain_scores_and_disavow_file(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    money = _money(first)
    farms = {s.host for s in first.sites if s.role == "farm"}
    with backlinks.open(db) as index:
        domains = index.toxic(money, by="domain", min_score=60)
        text, preview = index.disavow(money, min_score=60)
    assert farms <= set(domains.source_domain)
    parsed = parse_disavow(text)
    assert parsed.problems == []
    assert farms <= parsed.domains
    assert set(preview.kind) <= {"domain", "url"}
    assert len(parsed) == len(preview)
    # every entry is preceded by a comment with its reasons
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("domain:"):
            assert lines[i - 1].startswith("# score ")


def test_cli_toxic_disavow_and_whatif(
    demo: tuple[Path, SynthWeb, SynthWeb], tmp_path: Path
) -> None:
    db, first, _ = demo
    money = _money(first)
    res = runner.invoke(
        app, ["toxic", money, "--db", str(db), "--format", "json", "--min-score", "60"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows
    assert all(r["score"] >= 60 and r["reasons"] for r in rows)
    assert {"source_url", "target_url", "score", "reasons", "anchor_class"} <= set(rows[0])
    res = runner.invoke(app, ["disavow", money, "--db", str(db)])
    assert res.exit_code == 0, res.output
    disavow_file = tmp_path / "disavow.txt"
    disavow_file.write_text(res.stdout)
    assert parse_disavow(res.stdout).domains
    res = runner.invoke(app, ["disavow-check", str(disavow_file)])
    assert res.exit_code == 0, res.output
    bad = tmp_path / "bad.txt"
    bad.write_text("domain:ok.com\nhttp//broken\ndomain:http://x.com\n")
    res = runner.invoke(app, ["disavow-check", str(bad), "--format", "json"])
    assert res.exit_code == 1
    assert [r["line"] for r in json.loads(res.stdout)] == [2, 3]
    # the money site's rating falls when its spam links are disavowed
    res = runner.invoke(
        app,
        [
            "rank",
            "--db",
            str(db),
            "--level",
            "domain",
            "--disavow",
            str(disavow_file),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    changes = {r["name"]: r for r in json.loads(res.stdout)}
    assert changes[money.removeprefix("www.")]["rating_delta"] < 0
    res = runner.invoke(
        app,
        ["whatif", "--from", first.featured_host, "--to", money, "--db", str(db),
         "--disavow", str(disavow_file), "--format", "json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    with_disavow = json.loads(res.stdout)
    res = runner.invoke(
        app,
        [
            "whatif",
            "--from",
            first.featured_host,
            "--to",
            money,
            "--db",
            str(db),
            "--format",
            "json",
        ],
    )
    plain = json.loads(res.stdout)
    assert with_disavow["rating_before"] < plain["rating_before"]


def test_velocity_anchor_profile_and_spam_hosts(demo: tuple[Path, SynthWeb, SynthWeb]) -> None:
    db, first, _ = demo
    money = _money(first)
    farms = {s.host for s in first.sites if s.role == "farm"}
    with backlinks.open(db) as index:
        links = index.toxic(money, min_score=0)
        profile, share = index.anchors(money)
        hosts = index.spam_hosts(limit=None)
        _, legit_share = index.anchors(first.featured_host)
    # the later snapshot's burst of farm links is a velocity spike
    burst = links[links.reasons.str.contains("link velocity spike")]
    assert len(burst) > 0
    assert set(burst.source_domain) <= {h.removeprefix("www.") for h in farms | {money}} | {
        s.host.removeprefix("www.") for s in first.sites if s.role == "pbn"
    }
    # the money site's anchors are keywords; the featured site's are not mostly
    assert share >= 0.5 > legit_share
    assert set(profile.anchor_class) == {
        "branded", "exact", "partial", "url", "generic", "image", "other",
    }  # fmt: skip
    assert profile.referring_domains.max() <= links.source_domain.nunique()
    # host spam score: the farm hosts top the list, with reasons
    top = hosts.head(len(farms))
    assert set(top.host) == farms
    assert (top.reasons.str.len() > 0).all()
    assert hosts.spam_score.between(0, 100).all()
    res = runner.invoke(app, ["toxic", money, "--db", str(db), "--by", "anchor", "-f", "csv"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("anchor_class,referring_domains,links,share")
    res = runner.invoke(app, ["spam-hosts", "--db", str(db), "--limit", "3", "-f", "json"])
    assert res.exit_code == 0, res.output
    assert {r["host"] for r in json.loads(res.stdout)} == farms


def test_hostile_anchor_text_cannot_forge_disavow_entries(tmp_path: Path) -> None:
    """A page whose anchor text carries line breaks and a `domain:` line must not add an
    entry of its own to the disavow file the reasons are written into."""
    evil = "cheap deals\n\ndomain:victim.example\r\nhttps://victim.example/"
    pages = []
    for n in range(4):
        html = (
            f"<html><body><main><p>buy <a href='https://money.example/p{n}'>{evil}</a></p>"
            "</main><section class='comments'><p>Great post! <a href='https://money.example/'>"
            f"{evil}</a></p></section></body></html>"
        ).encode()
        when = datetime(2024, 5, 1, tzinfo=UTC)
        pages.append(SynthPage(f"https://spam{n}.example/post", 200, html, "text/html", when))
    path = tmp_path / "evil.warc.gz"
    write_warc(pages, path)
    db = tmp_path / "evil.duckdb"
    with backlinks.open(db) as index:
        index.ingest(path)
        text, preview = index.disavow("money.example", min_score=0)
    parsed = parse_disavow(text)
    assert parsed.problems == []
    assert "victim.example" not in parsed.domains
    assert not any("victim" in u for u in parsed.urls)
    assert len(parsed) == len(preview) > 0


def test_link_directory_pages_and_spam_mass(tmp_path: Path) -> None:
    """A page with hundreds of external links is evidence against its links; with trusted
    seeds the spam-mass columns are filled."""
    when = datetime(2024, 5, 1, tzinfo=UTC)
    many = "".join(f"<li><a href='https://site{i}.example/'>site {i}</a></li>" for i in range(1200))
    pages = [
        SynthPage(
            "https://directory.example/all",
            200,
            f"<html><body><main><ul>{many}<li><a href='https://target.example/'>target"
            "</a></li></ul></main></body></html>".encode(),
            "text/html",
            when,
        ),
        SynthPage(
            "https://news.example/story",
            200,
            b"<html><body><main><p>Read <a href='https://target.example/'>Target</a> and "
            b"<a href='https://directory.example/all'>a list</a>.</p></main></body></html>",
            "text/html",
            when,
        ),
    ]
    path = tmp_path / "dir.warc.gz"
    write_warc(pages, path)
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("news.example\n")
    with backlinks.open(tmp_path / "dir.duckdb") as index:
        index.ingest(path)
        links = index.toxic("target.example", min_score=0, seeds_file=seeds)
    by_source = {r.source_domain: r for r in links.itertuples()}
    directory = by_source["directory.example"]
    assert "source page has 1,201 external links" in directory.reasons
    assert directory.score >= 50
    assert by_source["news.example"].score < 50
    assert links.source_spam_mass.notna().all()
    assert by_source["news.example"].source_spam_mass < directory.source_spam_mass
