"""The dashboard (``backlinks serve`` at ``/``) in a real browser: Debian's Chromium driven by
Playwright against a real server over a two-snapshot synthetic index that also holds hostile
anchor texts (HTML and script in link text must show as text and never run).

Every request the page makes to anything but the server under test is blocked, and any
console error, page error or dialog fails the test.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from backlinks.demo import SynthPage, evolve, generate_web, write_warc
from backlinks.index import Index

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright (Python) is not installed: no dashboard tests"
)
CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip(
        "Chromium is not installed (/usr/bin/chromium): no dashboard tests",
        allow_module_level=True,
    )

expect = sync_api.expect
Page = sync_api.Page

TARGET = "velo-trails.com"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SCRIPT = '"><script>window.__pwned=1</script>'
HOSTILE_HOST = "www.hostile-anchors.net"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 20_000


# ---- the index, the servers, the browser ------------------------------------------------------


def _hostile_page(fetched_at: Any) -> SynthPage:
    """A page linking the target with anchor texts that are HTML and script (escaped in the
    page source, so the extracted anchor text is exactly the markup)."""
    html = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<title>&lt;script&gt;window.__pwned=2&lt;/script&gt;</title></head><body><main>"
        "<h1>Cycling links</h1><p>Our favourite shop: "
        "<a href='https://www.velo-trails.com/'>&lt;img src=x onerror=alert(1)&gt;</a>"
        " and its gravel section: <a href='https://www.velo-trails.com/gravel/'>"
        "&quot;&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;</a>.</p>"
        "</main></body></html>"
    )
    return SynthPage(
        url=f"https://{HOSTILE_HOST}/links.html",
        status=200,
        html=html.encode(),
        content_type="text/html; charset=utf-8",
        fetched_at=fetched_at,
    )


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The two-snapshot demo index (seed 7, as ``backlinks demo``) plus a hostile page in the
    second snapshot, ranked; and a copy of it for the token server."""
    root = tmp_path_factory.mktemp("dashboard")
    first = generate_web(7)
    second = evolve(first, 7)
    assert first.featured_host.endswith(TARGET)
    hostile = _hostile_page(second.pages[0].fetched_at + timedelta(seconds=1))
    db = root / "dash.duckdb"
    with Index(db) as index:
        for i, pages in enumerate([first.pages, [*second.pages, hostile]]):
            warc = root / f"s{i}.warc.gz"
            write_warc(pages, warc)
            index.ingest(warc)
        index.rank()
    copy = root / "token" / "dash.duckdb"
    copy.parent.mkdir()
    shutil.copy2(db, copy)
    graphs = db.with_name(db.name + ".graphs")
    if graphs.exists():
        shutil.copytree(graphs, copy.with_name(copy.name + ".graphs"))
    return db, copy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[bytes]
    token: str | None = None

    def api(self, path: str, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        r = httpx.get(f"{self.base}api/v1{path}", params=params, headers=headers, timeout=30)
        r.raise_for_status()
        return r.json()


def _serve(db: Path, log: Path, token: str | None = None) -> Iterator[Server]:
    port = _free_port()
    cmd = [sys.executable, "-m", "backlinks", "serve", "--db", str(db), "--port", str(port)]
    cmd += ["--host", "127.0.0.1", "--log-level", "warning"]
    if token:
        cmd += ["--token", token]
    env = {**os.environ, "BACKLINKS_TOKEN": ""}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}/", proc, token)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"backlinks serve exited ({proc.returncode}): {log.read_text()}")
            try:
                if httpx.get(f"{server.base}api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"backlinks serve did not answer in 60 s: {log.read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def server(dbs: tuple[Path, Path]) -> Iterator[Server]:
    yield from _serve(dbs[0], dbs[0].with_name("serve.log"))


@pytest.fixture(scope="module")
def token_server(dbs: tuple[Path, Path]) -> Iterator[Server]:
    yield from _serve(dbs[1], dbs[1].with_name("serve.log"), token=secrets.token_urlsafe(32))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class UI:
    """A page on one server with everything odd it did: console errors, page errors,
    dialogs and requests to anywhere but the server (blocked)."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def go(self, route: str) -> Page:
        self.page.goto(f"{self.base}#/{route}")
        return self.page

    def rows(self, table: str) -> Any:
        return self.page.locator(f'[data-table="{table}"] tbody tr:not(.empty)')

    def wait_rows(self, table: str) -> int:
        expect(self.rows(table).first).to_be_visible()
        return self.rows(table).count()

    def total(self, table: str) -> int:
        summary = self.page.locator(f'[data-table="{table}"] [data-role="summary"]')
        expect(summary).to_have_attribute("data-total", DIGITS)
        return int(summary.get_attribute("data-total") or -1)

    def column(self, table: str, col: str) -> list[str]:
        cells = self.page.locator(f'[data-table="{table}"] tbody td[data-col="{col}"]')
        return [t.strip() for t in cells.all_inner_texts()]

    def problems(self) -> list[str]:
        errors = [e for e in self.errors if not any(a in e for a in self.allowed)]
        return (
            errors
            + [f"dialog: {d}" for d in self.dialogs]
            + [f"blocked: {u}" for u in self.blocked]
        )


DIGITS = re.compile(r"^\d+$")
NUMBER = re.compile(r"^[\d,]+(\.\d+)?$")
SIGNED = re.compile(r"^[+-]?[\d,]+(\.\d+)?$")
#: The form controls without a label (script for page.evaluate).
UNLABELLED = (
    "() => [...document.querySelectorAll('input, select, textarea')]"
    ".filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length)"
    " && !e.getAttribute('aria-label')).map(e => e.outerHTML)"
)


@contextlib.contextmanager
def _open(browser: Any, base: str) -> Iterator[UI]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    ui = UI(page, base)

    def guard(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            ui.blocked.append(route.request.url)
            route.abort()

    def on_dialog(dialog: Any) -> None:
        ui.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    context.route("**/*", guard)
    page.on("console", lambda m: ui.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: ui.errors.append(f"page error: {e}"))
    page.on("dialog", on_dialog)
    try:
        yield ui
        assert ui.problems() == []
    finally:
        context.close()


@pytest.fixture
def ui(browser: Any, server: Server) -> Iterator[UI]:
    with _open(browser, server.base) as page_ui:
        yield page_ui


def _png(page: Page, tmp_path: Path, name: str, *, full_page: bool = False) -> Path:
    path = tmp_path / f"dashboard-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a rendered view, not a blank page
    shutil.copy(path, f"/tmp/dashboard-{name}.png")  # noqa: S108 - for people to look at
    return path


# ---- the views --------------------------------------------------------------------------------


def test_overview_figures_and_charts(ui: UI, server: Server, tmp_path: Path) -> None:
    page = ui.go(f"overview?target={TARGET}")
    summary = server.api("/profile", target=TARGET)["summary"]
    expect(page.locator('[data-figure="backlinks"] dd')).to_have_text(f"{summary['backlinks']:,}")
    expect(page.locator('[data-figure="referring_domains"] dd')).to_have_text(
        str(summary["referring_domains"])
    )
    for key in ("rating", "referring_pages", "followed_share"):
        expect(page.locator(f'[data-figure="{key}"] dd')).not_to_have_text("—")
    charts = page.locator("figure.chart img")
    expect(charts).to_have_count(len(server.api("/charts", target=TARGET)))
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.chart img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    for img in charts.all():
        assert (img.get_attribute("src") or "").startswith("blob:")
        assert img.get_attribute("alt")
    expect(page.locator('img[alt="Anchor classes"]')).to_be_visible()
    expect(page.locator('#nav a[aria-current="page"]')).to_have_text("Overview")
    _png(page, tmp_path, "overview")


@pytest.mark.parametrize(
    ("route", "tables"),
    [
        ("", ["top"]),
        (f"domains?target={TARGET}", ["referring-domains"]),
        (f"anchors?target={TARGET}", ["anchors-class", "anchors-text"]),
        (f"history?target={TARGET}", ["timeline", "new-lost"]),
        (
            f"competitors?target={TARGET}&me=gravel-grinders.net&competitor={TARGET}&min=1",
            ["intersect", "gap"],
        ),
    ],
    ids=["home", "domains", "anchors", "history", "competitors"],
)
def test_list_views_show_rows(ui: UI, route: str, tables: list[str]) -> None:
    ui.go(route)
    for table in tables:
        assert ui.wait_rows(table) > 0
        assert ui.total(table) > 0
    if route.startswith("history"):
        reasons = ui.column("new-lost", "reason")
        assert reasons
        assert all(r for r in reasons)
        img = ui.page.locator('img[data-chart="chart-velocity"]')
        expect(img).to_be_visible()
        assert img.evaluate("i => i.naturalWidth") > 0


def _query(request: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url).query)


def _changes(ui: UI) -> Counter[str]:
    return Counter(ui.column("new-lost", "change"))


def test_new_lost_between_chosen_snapshots(ui: UI, server: Server, tmp_path: Path) -> None:
    snaps = server.api("/snapshots")["rows"]
    ids = [s["snapshot_id"] for s in snaps]
    assert len(ids) == 2
    # the point of the exercise: ids a double would round, sent (and to be sent back) as text
    assert all(isinstance(i, str) and abs(int(i)) > 2**53 for i in ids)
    earlier, later = ids
    page = ui.go(f"history?target={TARGET}")
    panel = page.locator('[data-table="new-lost"]')
    summary = panel.locator('[data-role="summary"]')
    start, end = panel.get_by_label("From snapshot"), panel.get_by_label("To snapshot")

    # the default: the last two, labelled by date and source file, ids kept exactly
    expect(start).to_have_value(earlier)
    expect(end).to_have_value(later)
    expect(end.locator("option:checked")).to_have_text(
        f"{snaps[1]['started_at'][:10]} · s1.warc.gz"
    )
    assert start.locator("option").all_inner_texts() == [
        f"{s['started_at'][:10]} · s{i}.warc.gz" for i, s in enumerate(snaps)
    ]
    forward = server.api("/new-lost", target=TARGET, limit=1000)
    assert ui.wait_rows("new-lost") == forward["total"] > 0
    counts = _changes(ui)
    assert counts == Counter(r["change"] for r in forward["rows"])
    assert counts["new"] > 0
    assert counts["lost"] > 0
    assert counts["new"] != counts["lost"]  # so that a swap shows
    expect(page.locator('[data-role="pair-note"]')).to_be_hidden()
    assert ui.column("timeline", "snapshot_id") == ids  # shown again, as text
    assert page.evaluate(UNLABELLED) == []
    page.wait_for_function(
        "() => document.querySelector('img[data-chart=\"chart-velocity\"]')?.naturalWidth > 0"
    )
    _png(page, tmp_path, "newlost", full_page=True)  # timeline, velocity, the chosen pair

    # reversed: the same links, new and lost swapped; the ids go out exactly as chosen
    with page.expect_request(lambda r: "/api/v1/new-lost?" in r.url) as sent:
        start.select_option(later)
    assert _query(sent.value)["from"] == [later]
    assert _query(sent.value)["to"] == [later]
    with page.expect_request(lambda r: "/api/v1/new-lost?" in r.url) as sent:
        end.select_option(earlier)
    assert _query(sent.value)["from"] == [later]
    assert _query(sent.value)["to"] == [earlier]
    expect(panel.locator('td[data-col="change"]', has_text="new")).to_have_count(counts["lost"])
    expect(panel.locator('td[data-col="change"]', has_text="lost")).to_have_count(counts["new"])
    expect(summary).to_have_attribute("data-total", str(forward["total"]))
    expect(page.locator('[data-role="pair-note"]')).to_contain_text("later than")
    assert page.url.endswith(f"&from={later}&to={earlier}")

    # the choice survives a reload (it is in the address)
    page.reload()
    expect(start).to_have_value(later)
    expect(end).to_have_value(earlier)
    expect(panel.locator('td[data-col="change"]', has_text="new")).to_have_count(counts["lost"])

    # the same snapshot twice: nothing is new or lost
    end.select_option(later)
    expect(summary).to_have_attribute("data-total", "0")
    expect(panel.locator("tbody tr.empty")).to_have_text("No rows match.")
    expect(page.locator('[data-role="pair-note"]')).to_contain_text("same snapshot")

    # back to the last two, and the change filter still applies on top
    start.select_option(earlier)
    end.select_option(later)
    expect(summary).to_have_attribute("data-total", str(forward["total"]))
    panel.get_by_label("Change").select_option("lost")
    expect(summary).to_have_attribute("data-total", str(counts["lost"]))
    assert set(ui.column("new-lost", "change")) == {"lost"}


def test_any_text_column_search(ui: UI) -> None:
    page = ui.go(f"backlinks?target={TARGET}")
    ui.wait_rows("links")
    panel = page.locator('[data-table="links"]')
    column = panel.get_by_label("in column")
    anywhere = "anchor|source_url|target_url|source_domain"
    expect(column).to_have_value(anywhere)
    expect(column.locator("option").first).to_have_text("any text column")
    search = panel.get_by_label("Anchor / URL contains")
    summary = panel.locator('[data-role="summary"]')

    # a word of the source URL (in no anchor): both hostile links
    search.fill("hostile")
    with page.expect_request(lambda r: "/api/v1/links?" in r.url) as sent:
        search.press("Enter")
    assert _query(sent.value)["filter"] == [f"{anywhere}~hostile"]
    expect(summary).to_have_attribute("data-total", "2")
    assert sorted(ui.column("links", "anchor")) == sorted([HOSTILE_IMG, HOSTILE_SCRIPT])
    assert set(ui.column("links", "source_url")) == {f"https://{HOSTILE_HOST}/links.html"}

    # a word of one anchor: that row only
    search.fill("onerror")
    search.press("Enter")
    expect(panel.locator('td[data-col="anchor"]')).to_have_text([HOSTILE_IMG])
    expect(summary).to_have_attribute("data-total", "1")

    # the single columns are still there: the URL word is in no anchor
    search.fill("hostile")
    column.select_option("anchor")
    expect(summary).to_have_attribute("data-total", "0")
    column.select_option("source_url")
    expect(summary).to_have_attribute("data-total", "2")


def test_backlinks_filter_sort_pages_and_csv(ui: UI, server: Server) -> None:
    page = ui.go(f"backlinks?target={TARGET}")
    ui.wait_rows("links")
    everything = ui.total("links")
    assert everything > 50

    # filter by section: fewer rows, every one of that section
    panel = page.locator('[data-table="links"]')
    panel.get_by_label("Section").select_option("content")
    expect(panel.locator('[data-role="summary"]')).not_to_have_attribute(
        "data-total", str(everything)
    )
    content = ui.total("links")
    assert 50 < content < everything
    assert set(ui.column("links", "section")) == {"content"}

    # sort: the first click on a numeric column sorts descending
    header = panel.locator('th[data-col="position"]')
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    positions = [int(p.replace(",", "")) for p in ui.column("links", "position")]
    assert positions == sorted(positions, reverse=True)
    assert positions[0] > positions[-1]
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(panel.locator('th[data-col="first_seen"]')).to_have_attribute("aria-sort", "none")
    positions = [int(p.replace(",", "")) for p in ui.column("links", "position")]
    assert positions == sorted(positions)
    assert set(ui.column("links", "section")) == {"content"}

    # pages: Next shows the next rows, Previous comes back
    summary = panel.locator('[data-role="summary"]')
    expect(summary).to_have_attribute("data-offset", "0")
    first_page = ui.column("links", "source_url"), ui.column("links", "anchor")
    panel.get_by_role("button", name="Next").click()
    expect(summary).to_have_attribute("data-offset", "50")
    expect(summary).to_contain_text(f"Rows 51–{content} of {content}")
    second_page = ui.column("links", "source_url"), ui.column("links", "anchor")
    assert second_page != first_page
    assert len(second_page[0]) == content - 50
    expect(panel.get_by_role("button", name="Next")).to_be_disabled()
    panel.get_by_role("button", name="Previous").click()
    expect(summary).to_have_attribute("data-offset", "0")
    assert (ui.column("links", "source_url"), ui.column("links", "anchor")) == first_page
    expect(panel.get_by_role("button", name="Previous")).to_be_disabled()

    # the CSV: the same filtered, sorted query, every row
    with page.expect_download() as info:
        panel.get_by_role("button", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    api_page = server.api("/links", target=TARGET, limit=1)
    assert reader.fieldnames == api_page["columns"]
    assert len(rows) == content
    assert {r["section"] for r in rows} == {"content"}
    csv_positions = [int(r["position"]) for r in rows]
    assert csv_positions == sorted(csv_positions)


def test_hostile_anchors_are_text(ui: UI, tmp_path: Path) -> None:
    page = ui.go(f"backlinks?target={TARGET}")
    ui.wait_rows("links")
    panel = page.locator('[data-table="links"]')
    search = panel.get_by_label("Anchor / URL contains")
    search.fill("onerror")
    search.press("Enter")
    cell = panel.locator('td[data-col="anchor"]', has_text=HOSTILE_IMG)
    expect(cell).to_have_count(1)
    expect(cell).to_have_text(HOSTILE_IMG)
    expect(panel.get_by_role("cell", name=HOSTILE_IMG, exact=True)).to_be_visible()
    _png(page, tmp_path, "hostile")
    search.fill("__pwned")
    search.press("Enter")
    expect(panel.locator('td[data-col="anchor"]')).to_have_text([HOSTILE_SCRIPT])
    source = panel.locator('td[data-col="source_url"] a')
    expect(source).to_have_attribute("href", f"https://{HOSTILE_HOST}/links.html")
    expect(source).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(source).to_have_attribute("target", "_blank")

    # and in the anchor-text table
    ui.go(f"anchors?target={TARGET}")
    ui.wait_rows("anchors-text")
    texts = page.locator('[data-table="anchors-text"]')
    texts.get_by_label("Anchor contains").fill("<")
    texts.get_by_role("button", name="Apply").click()
    expect(texts.locator('td[data-col="anchor"]')).to_have_count(2)
    assert sorted(ui.column("anchors-text", "anchor")) == sorted([HOSTILE_IMG, HOSTILE_SCRIPT])

    page.wait_for_timeout(200)  # an onerror handler would have fired by now
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("body script").count() == 0
    assert ui.dialogs == []


def test_api_errors_are_messages(ui: UI) -> None:
    ui.allowed.append("404")  # Chromium logs the failed request itself
    page = ui.go("backlinks?target=no-such-site.example")
    alert = page.locator('[data-table="links"] [role="alert"]')
    expect(alert).to_contain_text("Error 404")
    expect(alert).to_contain_text("is not in this index")
    expect(page.locator("#status")).to_contain_text("not in this index")
    expect(page.locator('[data-table="links"] table')).to_be_hidden()
    ui.go("nowhere")
    expect(page.locator("#main [role='alert']")).to_contain_text("no such view")


def test_toxic_view_and_disavow(ui: UI) -> None:
    page = ui.go(f"toxic?target={TARGET}")
    ui.wait_rows("toxic")
    scores = [float(s) for s in ui.column("toxic", "score")]
    assert scores
    assert min(scores) >= 50
    assert all(ui.column("toxic", "reasons"))
    chart = page.locator('img[data-chart="chart-toxic"]')
    expect(chart).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('img[data-chart=\"chart-toxic\"]').naturalWidth > 0"
    )
    panel = page.locator('[data-table="toxic"]')
    before = ui.total("toxic")
    panel.get_by_label("Minimum score").fill("90")
    panel.get_by_role("button", name="Apply").click()
    expect(panel.locator('[data-role="summary"]')).not_to_have_attribute("data-total", str(before))
    assert min(float(s) for s in ui.column("toxic", "score")) >= 90
    panel.get_by_label("By").select_option("domain")
    expect(panel.locator('th[data-col="toxic_links"]')).to_be_visible()
    assert ui.wait_rows("toxic") > 0

    with page.expect_download() as info:
        page.get_by_role("button", name="Download disavow file").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("#")
    assert "domain:" in text
    assert info.value.suggested_filename.startswith("disavow")


def test_whatif_form(ui: UI) -> None:
    page = ui.go(f"whatif?target={TARGET}")
    page.get_by_label("Linking from (one per line)").fill("devpocket.io\n")
    to = page.get_by_label("Linking to")
    expect(to).to_have_value(TARGET)
    to.fill("gravel-grinders.net")
    page.get_by_label("Level").select_option("domain")
    page.get_by_role("button", name="Simulate").click()
    rating = page.locator('tr[data-metric="rating"]')
    expect(rating.locator('td[data-col="before"]')).to_have_text(NUMBER)
    expect(rating.locator('td[data-col="after"]')).to_have_text(NUMBER)
    before = float(rating.locator('td[data-col="before"]').inner_text())
    after = float(rating.locator('td[data-col="after"]').inner_text())
    assert after > before
    expect(rating.locator('td[data-col="delta"]')).to_have_text(SIGNED)
    expect(page.locator('tr[data-metric="pagerank"] td[data-col="after"]')).to_have_text(NUMBER)
    assert "from=devpocket.io" in page.url


def test_keyboard_skip_link_and_target_form(ui: UI) -> None:
    page = ui.go("")
    ui.wait_rows("top")
    page.keyboard.press("Tab")
    focused: Callable[[], str] = lambda: page.evaluate("document.activeElement.id")  # noqa: E731
    assert focused() == "skip-link"
    expect(page.locator("#skip-link")).to_be_in_viewport()
    for _ in range(4):
        page.keyboard.press("Tab")
        if focused() == "target-input":
            break
    assert focused() == "target-input"
    page.keyboard.type(TARGET)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{ui.base}#/overview?target={TARGET}")
    expect(page.locator('[data-figure="backlinks"] dd')).not_to_have_text("—")
    # the skip link moves focus to the view
    page.locator("#skip-link").focus()
    page.keyboard.press("Enter")
    assert focused() in {"view-title", "main"}
    # every form control has a label
    assert page.evaluate(UNLABELLED) == []


def test_screenshots(ui: UI, tmp_path: Path) -> None:
    page = ui.go(f"backlinks?target={TARGET}")
    ui.wait_rows("links")
    _png(page, tmp_path, "backlinks")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"]  # wide tables scroll inside their box, not the page


def test_jobs_rank_reaches_done(ui: UI) -> None:
    page = ui.go("jobs")
    page.get_by_role("button", name="Start rank job").click()
    row = page.locator("tr[data-job^='rank-']").first
    expect(row).to_be_visible()
    expect(row).to_have_attribute("data-state", "done", timeout=60_000)
    expect(row.locator("progress")).to_have_js_property("value", 1)
    expect(row.locator('td[data-col="state"]')).to_have_text("done")
    expect(row.get_by_role("button", name="Cancel")).to_have_count(0)


def test_jobs_show_string_ids(ui: UI) -> None:
    """A job result's 64-bit ids (JSON strings) are shown exactly, as text."""
    snapshot = "-1607686971398805729"
    job = {
        "id": "ingest-7",
        "kind": "ingest",
        "params": {"paths": ["/data/s1.warc.gz"]},
        "state": "done",
        "done": 1.0,
        "total": 1.0,
        "fraction": 1.0,
        "unit": "bytes",
        "message": "",
        "created_at": "2024-05-29T06:00:00+00:00",
        "started_at": "2024-05-29T06:00:00+00:00",
        "finished_at": "2024-05-29T06:01:00+00:00",
        "result": {
            "snapshot_id": snapshot,
            "files": 1,
            "links": 5010,
            "crawls": [{"node_id": "9007199254740993", "pages": 1234}],
            "seconds": 1.5,
        },
        "error": None,
    }
    ui.page.route("**/api/v1/jobs", lambda route: route.fulfill(json=[job]))
    page = ui.go("jobs")
    result = page.locator('tr[data-job="ingest-7"] td[data-col="result"] li')
    expect(result).to_have_text(
        [
            f"snapshot ID: {snapshot}",
            "files: 1",
            "links: 5,010",
            "node ID 9007199254740993, pages 1,234",
            "seconds: 1.5",
        ]
    )


def test_token_server_asks_for_the_token(browser: Any, token_server: Server) -> None:
    assert token_server.token
    with _open(browser, token_server.base) as ui:
        page = ui.go(f"backlinks?target={TARGET}")
        panel = page.locator("#token-panel")
        expect(panel).to_be_visible()
        expect(page.locator("#main table")).to_have_count(0)
        ui.allowed.append("401")  # the wrong token's answer is logged by Chromium
        page.get_by_label("API token").fill("not-the-token")
        page.get_by_label("API token").press("Enter")
        expect(page.locator("#token-message")).to_contain_text("refused")
        expect(panel).to_be_visible()
        page.get_by_label("API token").fill(token_server.token)
        page.get_by_role("button", name="Use token").click()
        expect(panel).to_be_hidden()
        assert ui.wait_rows("links") > 0
        stored = page.evaluate("sessionStorage.getItem('backlinks.token')")
        assert stored == token_server.token
        with page.expect_download() as info:
            page.locator('[data-table="links"]').get_by_role("button", name="Download CSV").click()
        rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
        assert len(rows) == ui.total("links")
        ui.go(f"overview?target={TARGET}")
        expect(page.locator('[data-figure="backlinks"] dd')).not_to_have_text("—")


def test_api_docs_render_offline(ui: UI, server: Server) -> None:
    """Swagger UI at /docs runs from the package's own files (every other request is
    blocked by the fixture) and lists every operation of the spec."""
    spec = httpx.get(f"{server.base}openapi.json", timeout=30).json()
    operations = sum(len(methods) for methods in spec["paths"].values())
    ui.page.goto(f"{server.base}docs")
    expect(ui.page.locator(".opblock")).to_have_count(operations)
    expect(ui.page.locator(".opblock-summary-path", has_text="/api/v1/links")).to_be_visible()
