"""The outreach pipeline on a real index file: prospects gathered from the two-snapshot demo
(broken, lost, mentions) and from files and URLs, added idempotently, moved through the
status machine (illegal moves refused), and every ``won`` link re-checked live against the
loopback test web: one link still there, one page that dropped it, one page gone, and later
the live one turned nofollow."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import backlinks
from backlinks import urls
from backlinks.analysis import outreach, outreach_check
from backlinks.analysis.authority import rank_store
from backlinks.analysis.lost import lost_worth_asking
from backlinks.analysis.mentions import unlinked_mentions
from backlinks.analysis.reclaim import broken_links
from backlinks.cli import app
from backlinks.crawl.config import CrawlConfig
from backlinks.demo.server import serve_web
from backlinks.demo.synthweb import SynthPage, SynthWeb, evolve, generate_web
from backlinks.demo.warcwrite import write_warc
from backlinks.store.db import Store

runner = CliRunner()
TARGET = "velo-trails.com"
WHEN = datetime(2024, 7, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("outreach")
    first = generate_web(7)
    db = folder / "demo.duckdb"
    with backlinks.open(db) as index:
        for n, web in enumerate((first, evolve(first, 7))):
            path = folder / f"web-{n}.warc.gz"
            write_warc(web.pages, path)
            index.ingest(path)
        rank_store(index.store)
    return db


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo index per test (the pipeline writes to it)."""
    copy = tmp_path / "index.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    return copy


def test_gather_and_idempotent_add(db: Path) -> None:
    with Store(db) as store:
        found = outreach.gather(store, TARGET, kinds=("broken", "lost", "mention"), min_rating=0)
        sources = set(broken_links(store, TARGET).source_url)
        sources |= set(lost_worth_asking(store, TARGET, min_rating=0).source_url)
        sources |= set(unlinked_mentions(store, TARGET, limit=None).source_url)
        assert set(found.source_url) == sources
        assert found.source_url.is_unique
        assert {"broken", "lost"} <= set(found.kind)
        added = outreach.add_prospects(store, TARGET, found, owner="ann")
        assert added == len(found)
        assert outreach.add_prospects(store, TARGET, found) == 0  # idempotent
        assert outreach.add_prospects(store, "www.velo-trails.com", found.head(2)) == 2  # host
        listed = outreach.list_prospects(store, TARGET)
    assert len(listed) == len(found)
    assert set(listed.status) == {"new"}
    assert set(listed.owner) == {"ann"}
    for row in listed.itertuples():
        assert row.prospect_id == urls.stable_id(f"{TARGET}|{row.source_url}")
        assert row.source_domain == urls.domain_of(row.source_url)
    broken_rows = listed[listed.kind == "broken"]
    assert broken_rows.notes.str.contains("ask to link https://www.velo-trails.com/").all()


def test_add_rejects_bad_rows(db: Path) -> None:
    with Store(db) as store:
        with pytest.raises(ValueError, match="unknown prospect kind"):
            outreach.add_prospects(
                store, TARGET, pd.DataFrame({"source_url": ["http://a.org/"], "kind": ["spam"]})
            )
        with pytest.raises(ValueError, match="not URLs"):
            outreach.add_prospects(
                store, TARGET, pd.DataFrame({"source_url": ["http://[::1"], "kind": ["manual"]})
            )
        assert outreach.list_prospects(store).empty


def test_competitor_rows(db: Path) -> None:
    """Rows in the shape ``competitors.intersect`` returns (domain, example_url)."""
    frame = pd.DataFrame(
        {"domain": ["devpocket.io"], "example_url": ["https://www.devpocket.io/2022/02/x/"]}
    )
    with Store(db) as store:
        found = outreach.gather(store, TARGET, kinds=(), intersect=frame)
        assert outreach.add_prospects(store, TARGET, found) == 1
        listed = outreach.list_prospects(store)
    assert list(listed.kind) == ["intersect"]
    assert list(listed.source_domain) == ["devpocket.io"]


def test_status_machine(db: Path) -> None:
    statuses = outreach.STATUSES
    forward = {("new", "contacted"), ("contacted", "replied"), ("replied", "won")}
    for a, b in itertools.product(statuses, statuses):
        assert outreach.allowed(a, b) == ((a, b) in forward or b in ("declined", a)), (a, b)
    url = "https://www.example-blog.org/post/"
    rows = pd.DataFrame({"source_url": [url], "kind": ["manual"]})
    with Store(db) as store:
        outreach.add_prospects(store, TARGET, rows)
        pid = outreach.prospect_id(TARGET, url)
        with pytest.raises(outreach.TransitionError, match="from new to won"):
            outreach.set_status(store, pid, "won")
        with pytest.raises(outreach.TransitionError, match="unknown status"):
            outreach.set_status(store, pid, "maybe")
        row = outreach.set_status(store, url, "contacted", owner="bo", notes="sent")
        assert (row["status"], row["owner"], row["notes"]) == ("contacted", "bo", "sent")
        row = outreach.set_status(store, str(pid), "contacted", notes="follow-up")  # same: notes
        assert (row["owner"], row["notes"]) == ("bo", "follow-up")
        with pytest.raises(outreach.TransitionError):
            outreach.set_status(store, pid, "new")  # no way back
        outreach.set_status(store, pid, "replied")
        assert outreach.set_status(store, pid, "won")["status"] == "won"
        assert outreach.set_status(store, pid, "declined")["status"] == "declined"
        with pytest.raises(outreach.TransitionError):
            outreach.set_status(store, pid, "won")
        # the same page prospected for two targets: a URL alone is ambiguous
        outreach.add_prospects(store, "devpocket.io", rows)
        with pytest.raises(LookupError, match="2 targets"):
            outreach.set_status(store, url, "declined")
        row = outreach.set_status(store, url, "contacted", target="devpocket.io")
        assert row["target"] == "devpocket.io"
        with pytest.raises(LookupError, match="no prospect"):
            outreach.set_status(store, "https://nowhere.org/", "declined")
        assert list(outreach.list_prospects(store, status="declined").target) == [TARGET]


# ---- live check of won links ---------------------------------------------------------------

KEEPS = "http://www.cycling-friends.org/kit-list/"
DROPS = "http://www.roadie-digest.net/reviews/"
GONE = "http://gone-blog.net/post/"
NEVER_WON = "http://www.not-yet.org/page/"


def _page(url: str, links: list[tuple[str, str]], n: int, status: int = 200) -> SynthPage:
    anchors = "".join(
        f'<p><a href="{escape(h)}"{f" rel={r!r}" if r else ""}>Velo Trails</a></p>'
        for h, r in links
    )
    html = f"<html><head><title>Page</title></head><body><p>Kit.</p>{anchors}</body></html>"
    return SynthPage(url, status, html.encode(), "text/html", WHEN + timedelta(seconds=n))


def _web(pages: list[SynthPage]) -> SynthWeb:
    return SynthWeb(pages, [], "www.velo-trails.com", WHEN, 0)


def _invoke(args: list[str]) -> list[dict[str, object]]:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_check_flags_won_links_live_or_lost(db: Path) -> None:
    me = "https://www.velo-trails.com/"
    first = _web(
        [
            _page(KEEPS, [(me, ""), ("https://example.org/", "")], 0),
            _page(DROPS, [("https://example.org/", "")], 1),  # the link is gone
            _page(GONE, [], 2, status=404),
            _page(NEVER_WON, [(me, "")], 3),
        ]
    )
    args = ["outreach", "add", TARGET, "--db", str(db), "--owner", "cy"]
    for url in (KEEPS, DROPS, GONE, NEVER_WON):
        args += ["--url", url]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 4
    with Store(db) as store:
        for url in (KEEPS, DROPS, GONE):
            for status in ("contacted", "replied", "won"):
                outreach.set_status(store, url, status)
    with serve_web(first, extras=False) as web:
        rows = _invoke(
            ["outreach", "check", TARGET, "--db", str(db), "--delay", "0",
             "--resolve", f"*={web.base_address}"]
        )  # fmt: skip
        hits = {f"http://{h.host}{h.target}" for h in web.stats.hits()}
    verdicts = {r["source_url"]: (r["flag"], r["verdict"]) for r in rows}
    assert verdicts == {
        KEEPS: ("live", "live"),
        DROPS: ("lost", "removed"),
        GONE: ("lost", "page_gone"),
    }
    assert NEVER_WON not in hits  # only won prospects are fetched
    assert {KEEPS, DROPS, GONE} <= hits
    listed = {r["source_url"]: r for r in _invoke(["outreach", "list", "--db", str(db)])}
    assert (listed[KEEPS]["live"], listed[KEEPS]["verdict"]) == (True, "live")
    assert (listed[DROPS]["live"], listed[DROPS]["verdict"]) == (False, "removed")
    assert listed[NEVER_WON]["live"] is None
    assert all(listed[u]["checked_at"] for u in (KEEPS, DROPS, GONE))

    # weeks later the live link turns nofollow and the dropped one comes back
    later = _web([_page(KEEPS, [(me, "nofollow")], 0), _page(DROPS, [(me + "gear/", "")], 1)])
    with serve_web(later, extras=False) as web:
        rows = _invoke(
            ["outreach", "check", "--db", str(db), "--delay", "0",
             "--resolve", f"*={web.base_address}"]
        )  # fmt: skip
    verdicts = {r["source_url"]: (r["flag"], r["verdict"]) for r in rows}
    assert verdicts == {
        KEEPS: ("lost", "now_nofollow"),
        DROPS: ("live", "live"),
        GONE: ("lost", "page_gone"),
    }
    won = _invoke(["outreach", "list", TARGET, "--status", "won", "--db", str(db)])
    assert {r["source_url"]: r["live"] for r in won} == {KEEPS: False, DROPS: True, GONE: False}


def test_check_python_api_without_won_links(db: Path) -> None:
    with Store(db) as store:
        assert outreach_check.check(store, TARGET, CrawlConfig(delay=0)).empty


def test_cli_add_from_index_and_file(db: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["outreach", "add", TARGET, "--from", "broken", "--from", "lost", "--min-rating", "0",
         "--db", str(db), "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["added"] == summary["found"] > 0
    assert set(summary["by_kind"]) == {"broken", "lost"}
    again = runner.invoke(
        app, ["outreach", "add", TARGET, "--from", "broken", "--db", str(db), "--format", "json"]
    )
    assert json.loads(again.stdout)["added"] == 0
    csv_file = tmp_path / "intersect.csv"
    csv_file.write_text(
        "domain,example_url\nfoo.org,https://foo.org/links/\nbar.net,https://bar.net/a\n"
    )
    lines = tmp_path / "urls.txt"
    lines.write_text("https://baz.org/resources/\n# a comment\nqux.org/page\n")
    for path, kind in ((csv_file, "intersect"), (lines, "manual")):
        result = runner.invoke(
            app,
            ["outreach", "add", TARGET, "--from", "file", "--file", str(path), "--db", str(db),
             "--format", "json"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["by_kind"] == {kind: 2}
    listed = _invoke(["outreach", "list", TARGET, "--db", str(db), "--limit", "0"])
    assert {"https://foo.org/links/", "http://qux.org/page"} <= {r["source_url"] for r in listed}
    bad = runner.invoke(app, ["outreach", "add", TARGET, "--from", "gossip", "--db", str(db)])
    assert bad.exit_code != 0
    short = _invoke(["outreach", "list", "--db", str(db), "--limit", "3"])
    assert len(short) == 3


def test_cli_refuses_illegal_transition(db: Path) -> None:
    url = "https://www.example-blog.org/post/"
    _invoke(["outreach", "add", TARGET, "--url", url, "--db", str(db)])
    result = runner.invoke(app, ["outreach", "set", url, "--status", "won", "--db", str(db)])
    assert result.exit_code == 2
    assert "cannot move" in result.output
    ok = runner.invoke(
        app,
        ["outreach", "set", url, "--status", "contacted", "--notes", "hi", "--db", str(db),
         "--format", "json"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["status"] == "contacted"
    listed = _invoke(["outreach", "list", "--status", "contacted", "--db", str(db)])
    assert [(r["source_url"], r["notes"]) for r in listed] == [(url, "hi")]
    pid = str(listed[0]["prospect_id"])
    by_id = runner.invoke(
        app, ["outreach", "set", "--status", "declined", "--db", str(db), "--", pid]
    )  # a negative id after `--`
    assert by_id.exit_code == 0, by_id.output
    assert (
        _invoke(["outreach", "list", "--status", "declined", "--db", str(db)])[0]["notes"] == "hi"
    )
