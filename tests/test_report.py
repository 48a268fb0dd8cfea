"""The HTML report: SVG charts and the page template on their own (well-formed, proportional,
escaped, empty data), then the whole report on the two-snapshot demo store with hostile
anchors and ``javascript:`` URLs planted through a real WARC, the ``--tables`` files, and a
headless Chromium render with the network cut off when a Chromium binary is installed."""

from __future__ import annotations

import base64
import html as html_mod
import itertools
import json
import math
import random
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import backlinks
from backlinks.analysis.authority import rank_store
from backlinks.analysis.history import new_lost
from backlinks.analysis.profile import profile
from backlinks.cli import app
from backlinks.demo.model import SynthPage
from backlinks.demo.synthweb import evolve, generate_web
from backlinks.demo.warcwrite import write_warc
from backlinks.output import records
from backlinks.quality.disavow import exclusion_of, read_disavow
from backlinks.quality.toxic import toxic_links
from backlinks.report import build_report, charts
from backlinks.report import html as page_html

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def _svg(text: str) -> ET.Element:
    root = ET.fromstring(text)  # noqa: S314 - our own output, no DTD
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    ids = (root.get("aria-labelledby") or "").split()
    found = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert len(ids) == 2
    assert found[ids[0]].tag == f"{SVG}title"
    assert found[ids[1]].tag == f"{SVG}desc"
    assert (found[ids[0]].text or "").strip()
    return root


def _bars(root: ET.Element) -> list[ET.Element]:
    return [el for el in root.iter(f"{SVG}rect") if el.get("class") == "bar"]


def _texts(root: ET.Element, cls: str) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text") if el.get("class") == cls]


# --- charts -------------------------------------------------------------------------------


def test_bar_heights_are_proportional_to_values() -> None:
    rng = random.Random(3)
    values = [float(rng.randint(0, 500)) for _ in range(9)] + [0.0, 1.0]
    labels = [f"b{i}" for i in range(len(values))]
    root = _svg(
        charts.bar_chart(
            labels, values, title="T", x_label="class", y_label="domains", chart_id="c"
        )
    )
    bars = _bars(root)
    assert len(bars) == len(values)
    heights = [float(b.get("height") or "nan") for b in bars]
    ratios = {round(h / v, 1) for h, v in zip(heights, values, strict=True) if v > 0}
    assert len(ratios) == 1  # one scale for every bar
    assert all(h == 0 for h, v in zip(heights, values, strict=True) if v == 0)
    # every bar's value is written on the chart, and its baseline is the same
    assert _texts(root, "val") == [charts.number(v) for v in values]
    bottoms = {round(float(b.get("y") or 0) + h, 2) for b, h in zip(bars, heights, strict=True)}
    assert len(bottoms) == 1
    assert _texts(root, "axis") == ["class", "domains"]


def test_hbar_and_grouped_bars_scale_linearly() -> None:
    values = [30.0, 12.5, 1.0, 0.0]
    root = _svg(
        charts.hbar_chart(
            ["a", "b", "c", "d"], values, title="T", x_label="x", y_label="y", chart_id="h"
        )
    )
    widths = [float(b.get("width") or "nan") for b in _bars(root)]
    assert widths[0] / 30 == pytest.approx(widths[1] / 12.5, rel=1e-3)
    assert widths[0] / 30 == pytest.approx(widths[2], rel=1e-2)
    assert widths[3] == 0
    new, lost = [40.0, 5.0, 9.0], [0.0, 7.0, 3.0]
    root = _svg(
        charts.grouped_bar_chart(
            ["s1", "s2", "s3"],
            {"new": new, "lost": lost},
            title="T",
            x_label="snapshot",
            y_label="domains",
            chart_id="g",
        )
    )
    bars = _bars(root)
    assert len(bars) == 6
    heights = [float(b.get("height") or "nan") for b in bars]
    interleaved = [v for pair in zip(new, lost, strict=True) for v in pair]
    scale = {round(h / v, 2) for h, v in zip(heights, interleaved, strict=True) if v}
    assert len(scale) == 1
    assert len({b.get("fill") for b in bars}) == 2  # one colour per series
    assert {b.get("fill") for b in bars} <= set(charts.PALETTE)
    legend = [el.text for el in root.iter(f"{SVG}text") if el.text in ("new", "lost")]
    assert sorted(legend) == ["lost", "new"]


def test_histogram_counts_match_a_slow_count() -> None:
    rng = random.Random(7)
    values = [round(rng.uniform(0, 100), 1) for _ in range(300)] + [0.0, 100.0, 50.0]
    edges = list(range(0, 101, 10))
    root = _svg(
        charts.histogram(values, edges, title="T", x_label="score", y_label="n", chart_id="t")
    )
    drawn = [float(b.get("data-value") or "nan") for b in _bars(root)]
    slow = []
    for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
        last = i == len(edges) - 2
        slow.append(sum(1 for v in values if lo <= v < hi or (last and v == hi)))
    assert drawn == slow
    assert sum(drawn) == len(values)
    assert _texts(root, "cat")[0] == "0–10"


def test_chart_text_is_escaped_and_well_formed() -> None:
    labels = [HOSTILE, "a & b", "tab\x00\x1b[31m\u202eevil", "x" * 200]
    for make in (charts.bar_chart, charts.hbar_chart):
        text = make(
            labels, [1, 2, 3, 4], title=HOSTILE, x_label="<x>", y_label="'y'", chart_id='q"'
        )
        assert "<script" not in text.lower()
        assert "<img" not in text.lower()
        root = _svg(text)  # parses: no raw control characters, quotes escaped in attributes
        assert not [el for el in root.iter() if el.tag.endswith(("script", "img"))]
        tips = [t.text for b in _bars(root) for t in b]
        assert tips[0] == f"{HOSTILE}: 1"  # the full label survives as text
        assert "\x00" not in "".join(tips)
        assert "\u202e" not in "".join(tips)
        assert all(len(t) <= 44 for t in _texts(root, "cat"))  # long labels clipped
        assert root.get("id") == 'q"'


def test_empty_data_draws_a_note() -> None:
    makers = [
        lambda: charts.bar_chart([], [], title="E", x_label="x", y_label="y", chart_id="e1"),
        lambda: charts.hbar_chart([], [], title="E", x_label="x", y_label="y", chart_id="e2"),
        lambda: charts.grouped_bar_chart(
            [], {"a": []}, title="E", x_label="x", y_label="y", chart_id="e3"
        ),
        lambda: charts.histogram(
            [float("nan")], [0, 1], title="E", x_label="x", y_label="y", chart_id="e4"
        ),
    ]
    for make in makers:
        root = _svg(make())
        assert not _bars(root)
        assert _texts(root, "empty") == ["No data"]
    zeros = _svg(charts.bar_chart(["a"], [0], title="Z", x_label="x", y_label="y", chart_id="z"))
    assert [b.get("height") for b in _bars(zeros)] == ["0"]
    with pytest.raises(ValueError, match="one value per label"):
        charts.grouped_bar_chart(
            ["a", "b"], {"s": [1]}, title="T", x_label="x", y_label="y", chart_id="v"
        )


# --- page ---------------------------------------------------------------------------------


class _Collect(HTMLParser):
    """Every start tag with its attributes, and the text of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(text: str) -> _Collect:
    parser = _Collect()
    parser.feed(text)
    parser.close()
    return parser


def _decode(uri: str) -> str:
    head, payload = uri.split(",", 1)
    assert head.endswith(";base64")
    return base64.b64decode(payload).decode("utf-8")


def _assert_safe(doc: str, parsed: _Collect) -> None:
    """No script, no handler, nothing loaded from outside, links only to http(s)."""
    assert "<script" not in doc.lower()
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert csp
    assert csp[0]["http-equiv"] == "Content-Security-Policy"
    assert "default-src 'none'" in (csp[0].get("content") or "")
    assert "script-src" not in (csp[0].get("content") or "")
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "iframe", "object", "embed", "link", "img", "base", "form")
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
        if "src" in attrs:
            assert (attrs["src"] or "").startswith("data:")
        href = attrs.get("href")
        if href is None:
            continue
        if tag == "a" and "download" in attrs:
            assert href.startswith("data:")
        elif tag == "a" and not href.startswith("#"):
            assert re.match(r"https?://", href), href
            assert attrs.get("rel") == "nofollow noopener noreferrer"
    for style in re.findall(r"<style>(.*?)</style>", doc, flags=re.S):
        assert "url(" not in style
        assert "@import" not in style


def test_links_only_for_http_urls() -> None:
    ok = page_html.link_html('https://a.example/?q="x"&y=<1>')
    assert ok.startswith('<a class="url" href="https://a.example/?q=&quot;x&quot;&amp;y=&lt;1&gt;"')
    assert 'rel="nofollow noopener noreferrer"' in ok
    for bad in (
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "java\tscript:alert(1)",
        "//evil.example/",
        "http://a.example/\nx",
    ):
        out = page_html.link_html(bad)
        assert "<a" not in out
        assert "href" not in out
        assert "<script" not in out


def test_table_downloads_round_trip_and_escape() -> None:
    df = pd.DataFrame(
        {
            "source_url": ["javascript:alert(1)", "https://a.example/x?a=1&b=2"],
            "anchor": [HOSTILE, "plain"],
            "links": [3, 4],
            "followed_share": [0.5, 0.25],
            "first_seen": pd.to_datetime(["2024-01-01 10:00", "2024-02-01 11:30"]),
        }
    )
    table = page_html.Table("toxic_links", "Toxic <links>", df, note=HOSTILE)
    doc = page_html.page(
        title=f"Report {HOSTILE}",
        meta={"target": HOSTILE},
        summary={"rating": 42.5, "backlinks": 1234, "followed_share": 0.731},
        sections=[page_html.Section("Toxic", [], [table], note=HOSTILE)],
    )
    parsed = _parse(doc)
    _assert_safe(doc, parsed)
    text = "".join(parsed.text)
    assert HOSTILE in text  # shown as text, verbatim
    assert "73.1%" in text
    assert "1,234" in text
    downloads = {a["download"]: a["href"] for t, a in parsed.tags if t == "a" and "download" in a}
    assert set(downloads) == {"toxic_links.csv", "toxic_links.json"}
    assert _decode(downloads["toxic_links.csv"] or "") == page_html.csv_text(df)
    rows = json.loads(_decode(downloads["toxic_links.json"] or ""))
    assert [r["anchor"] for r in rows] == list(df.anchor)
    assert rows[0]["first_seen"].startswith("2024-01-01T10:00")
    anchors = [a for t, a in parsed.tags if t == "a" and "download" not in a]
    hrefs = [a["href"] for a in anchors if not (a["href"] or "").startswith("#")]
    assert hrefs == ["https://a.example/x?a=1&b=2"]


# --- the whole report on the demo store ------------------------------------------------------


TOXIC_COLUMNS = ["score", "source_url", "target_url", "anchor", "anchor_class", "section",
                 "nofollow", "reasons"]  # fmt: skip
JS_ANCHOR = "javascript:alert(2)"


@dataclass(frozen=True)
class Demo:
    db: Path
    target: str
    out: Path
    tables: Path
    cli_output: str


def _hostile_pages(target: str, when: datetime) -> list[SynthPage]:
    """Three pages on three domains, each linking the target with a script-tag anchor and
    a ``javascript:`` anchor text, and carrying ``javascript:`` hrefs of their own."""
    anchor = html_mod.escape(HOSTILE)
    body = (
        f"<html><head><title>{anchor}</title></head><body><article><p>"
        f'<a href="https://{target}/">{anchor}</a> '
        f'<a href="https://{target}/?u=javascript:alert(2)">{JS_ANCHOR}</a> '
        '<a href="javascript:alert(1)">js</a> <a href=" JaVaScRiPt:alert(3)">js</a>'
        "</p></article></body></html>"
    ).encode()
    return [
        SynthPage(f"https://hostile{i}.com/p", 200, body, "text/html; charset=utf-8", when)
        for i in range(3)
    ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = tmp_path_factory.mktemp("report")
    first = generate_web(7)
    second = evolve(first, 7)
    target = first.featured_host
    db = folder / "demo.duckdb"
    with backlinks.open(db) as index:
        for n, web in enumerate((first, second)):
            path = folder / f"web-{n}.warc.gz"
            write_warc(web.pages, path)
            extra = []
            if n == 1:  # the hostile pages arrive with the second snapshot
                extra.append(folder / "hostile.warc.gz")
                write_warc(_hostile_pages(target, web.pages[0].fetched_at), extra[0])
            index.ingest(path, *extra)
        rank_store(index.store)
    out, tables = folder / "out" / "report.html", folder / "tables"
    result = CliRunner().invoke(
        app,
        ["report", target, "--db", str(db), "--out", str(out), "--tables", str(tables)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return Demo(db, target, out, tables, result.output)


@pytest.fixture(scope="module")
def expected(demo: Demo) -> dict[str, pd.DataFrame]:
    """The frames the analysis layer returns, asked here independently of the report."""
    with backlinks.open(demo.db) as index:
        prof = profile(index.store, demo.target, limit=20)
        changes = new_lost(index.store, demo.target)
        toxic = toxic_links(index.store, demo.target, min_score=0.0)
        links = index.links(demo.target, limit=None)
    toxic_top = toxic[toxic.score > 0].loc[:, TOXIC_COLUMNS].head(20).reset_index(drop=True)
    return {
        "top_domains": prof.top_domains,
        "best_pages": prof.best_pages,
        "top_anchors": prof.top_anchors,
        "new_lost": changes.groupby("change", sort=False).head(20).reset_index(drop=True),
        "toxic_links": toxic_top,
        "anchor_classes": prof.anchors,
        "rating_distribution": prof.rating_distribution,
        "velocity": prof.velocity,
        "tlds": prof.tlds,
        "sections": prof.sections,
        "summary": pd.DataFrame([prof.summary]),
        "all_toxic": toxic,
        "links": links,
    }


TABLES = ("top_domains", "best_pages", "top_anchors", "new_lost", "toxic_links",
          "anchor_classes", "rating_distribution", "velocity", "tlds", "sections")  # fmt: skip
CHARTS = ("chart-anchors", "chart-ratings", "chart-velocity", "chart-pages", "chart-tlds",
          "chart-sections", "chart-toxic")  # fmt: skip


def _charts_of(doc: str) -> dict[str, ET.Element]:
    return {
        (root := _svg(m)).get("id") or "": root
        for m in re.findall(r"<svg\b.*?</svg>", doc, flags=re.S)
    }


def _downloads(parsed: _Collect) -> dict[str, str]:
    return {
        a["download"] or "": _decode(a["href"] or "")
        for t, a in parsed.tags
        if t == "a" and "download" in a
    }


def test_report_is_self_contained_with_every_chart_and_table(demo: Demo) -> None:
    assert f"report: {demo.out.resolve()}" in demo.cli_output
    doc = demo.out.read_text(encoding="utf-8")
    parsed = _parse(doc)
    _assert_safe(doc, parsed)
    assert set(_charts_of(doc)) == set(CHARTS)
    names = [a.get("data-name") for t, a in parsed.tags if t == "table"]
    assert sorted(names) == sorted(TABLES)
    assert set(_downloads(parsed)) == {f"{n}.{e}" for n in TABLES for e in ("csv", "json")}
    for _, root in _charts_of(doc).items():
        assert _bars(root) or _texts(root, "empty")


def test_report_numbers_equal_the_analysis_layer(
    demo: Demo, expected: dict[str, pd.DataFrame]
) -> None:
    doc = demo.out.read_text(encoding="utf-8")
    parsed = _parse(doc)
    summary = expected["summary"].iloc[0].to_dict()
    figs = dict(re.findall(r'data-key="([a-z_]+)"><dt>[^<]*</dt><dd>([^<]*)</dd>', doc))
    assert set(figs) == set(summary)
    links = expected["links"]
    # an independent count: distinct referring domains and links of the backlinks list
    assert figs["referring_domains"] == f"{links.source_domain.nunique():,}"
    assert figs["backlinks"] == f"{len(links):,}"
    assert figs["followed_backlinks"] == f"{summary['followed_backlinks']:,}"
    assert figs["followed_share"] == f"{100 * summary['followed_share']:.1f}%"
    assert float(figs["rating"]) == summary["rating"]  # one decimal, as the analysis rounds
    assert float(figs["pagerank"]) == pytest.approx(summary["pagerank"], rel=5e-3)
    assert figs["snapshots"] == "2"
    # every download holds exactly the analysis frame
    files = _downloads(parsed)
    for name in TABLES:
        assert json.loads(files[f"{name}.json"]) == records(expected[name]), name
        assert files[f"{name}.csv"] == page_html.csv_text(expected[name]), name
    # the charts draw the same numbers
    charts_ = _charts_of(doc)

    def values(chart: str) -> list[float]:
        return [float(b.get("data-value") or "nan") for b in _bars(charts_[chart])]

    prof_anchors = expected["anchor_classes"]
    assert values("chart-anchors") == [float(v) for v in prof_anchors.referring_domains]
    assert values("chart-ratings") == [
        float(v) for v in expected["rating_distribution"].referring_domains
    ]
    velocity = expected["velocity"]
    assert values("chart-velocity") == [
        float(v)
        for pair in zip(velocity.new_domains, velocity.lost_domains, strict=True)
        for v in pair
    ]
    assert values("chart-pages") == [float(v) for v in expected["best_pages"].referring_domains]
    assert values("chart-sections") == [float(v) for v in expected["sections"].links]
    toxic = expected["all_toxic"]
    assert sum(values("chart-toxic")) == len(toxic)
    assert values("chart-toxic")[-1] == ((toxic.score >= 90) & (toxic.score <= 100)).sum()


def test_hostile_text_is_escaped_and_not_clickable(
    demo: Demo, expected: dict[str, pd.DataFrame]
) -> None:
    doc = demo.out.read_text(encoding="utf-8")
    parsed = _parse(doc)
    assert HOSTILE in set(expected["top_anchors"].anchor)  # planted and in the table
    assert "<script" not in doc.lower()
    assert "<img src=x" not in doc.lower()
    text = "".join(parsed.text)
    assert HOSTILE in text  # shown verbatim, as text
    assert JS_ANCHOR in text
    hrefs = [a.get("href") or "" for t, a in parsed.tags if t == "a"]
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript", "data:text/h"))]
    assert all(
        h.startswith(("#", "data:text/csv;", "data:application/json;", "http://", "https://"))
        for h in hrefs
    )
    for tag, attrs in parsed.tags:
        if tag == "a" and (attrs.get("href") or "").startswith("http"):
            assert attrs.get("rel") == "nofollow noopener noreferrer"
    # inside the SVG charts too: parsed as XML, no element but the chart's own
    allowed = {f"{SVG}{n}" for n in ("svg", "title", "desc", "text", "rect", "line")}
    for root in _charts_of(doc).values():
        assert {el.tag for el in root.iter()} <= allowed


def test_tables_folder_holds_csv_and_json_of_each_table(
    demo: Demo, expected: dict[str, pd.DataFrame]
) -> None:
    files = sorted(p.name for p in demo.tables.iterdir())
    assert files == sorted(f"{n}.{e}" for n in TABLES for e in ("csv", "json"))
    for name in TABLES:
        frame = expected[name]
        rows = json.loads((demo.tables / f"{name}.json").read_text(encoding="utf-8"))
        assert rows == records(frame), name
        back = pd.read_csv(demo.tables / f"{name}.csv", keep_default_na=False, dtype=str)
        assert list(back.columns) == list(frame.columns), name
        assert len(back) == len(frame), name
        for col in frame.columns:
            want = [_csv_cell(v) for v in frame[col]]
            assert list(back[col]) == want, (name, col)


def _csv_cell(value: object) -> str:
    """What a CSV cell holds for a frame value (ISO dates, empty for missing)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return str(value.item())
    return str(value)


def test_disavow_file_leaves_links_out_and_marks_toxic_ones(
    demo: Demo, expected: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    worst = str(expected["toxic_links"].source_url[0]).split("/")[2]  # most toxic link's host
    listed = tmp_path / "disavow.txt"
    listed.write_text(f"# test\ndomain:{worst}\ndomain:hostile0.com\n", encoding="utf-8")
    out = tmp_path / "r.html"
    with backlinks.open(demo.db) as index:
        build_report(index.store, demo.target, out=out, disavow=listed, limit=200)
        excluded = profile(
            index.store, demo.target, exclude=exclusion_of(index.store, read_disavow(listed))
        )
    links = expected["links"]
    hosts = links.source_url.str.split("/").str[2]
    assert excluded.summary["disavowed_links"] == hosts.isin([worst, "hostile0.com"]).sum() > 2
    doc = out.read_text(encoding="utf-8")
    figs = dict(re.findall(r'data-key="([a-z_]+)"><dt>[^<]*</dt><dd>([^<]*)</dd>', doc))
    assert figs["disavowed_links"] == f"{excluded.summary['disavowed_links']:,}"
    assert figs["backlinks"] == f"{excluded.summary['backlinks']:,}"
    assert figs["backlinks"] == f"{len(links) - excluded.summary['disavowed_links']:,}"
    toxic = json.loads(_downloads(_parse(doc))["toxic_links.json"])
    assert toxic
    assert all(r["disavowed"] == (r["source_url"].split("/")[2] == worst) for r in toxic)
    assert any(r["disavowed"] for r in toxic)
    assert "disavow.txt: 2 domains, 0 URLs, 0 malformed lines" in doc


# --- a real browser, offline --------------------------------------------------------------


def _browser() -> str | None:
    return next(
        (p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))),
        None,
    )


def _png_pixels(data: bytes) -> tuple[int, int, int, bytes]:
    """Width, height, bytes per pixel and the raw pixels of an 8-bit, non-interlaced PNG
    (what Chromium writes): chunks, zlib, and the five row filters undone."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = height = bpp = 0
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8
            assert interlace == 0
            bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw, stride = zlib.decompress(idat), width * bpp
    out, prev = bytearray(), bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
        elif kind in (1, 3, 4):
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b, c = prev[x], prev[x - bpp] if x >= bpp else 0
                if kind == 1:
                    line[x] = (line[x] + a) & 255
                elif kind == 3:
                    line[x] = (line[x] + (a + b) // 2) & 255
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                    line[x] = (line[x] + pred) & 255
        out += line
        prev = line
    return width, height, bpp, bytes(out)


def test_chromium_renders_the_report_offline(demo: Demo, tmp_path: Path) -> None:
    browser = _browser()
    if browser is None:
        pytest.skip("no chromium, chromium-browser or google-chrome on PATH")
    shot = tmp_path / "shot.png"
    cmd = [
        browser, "--headless", "--disable-gpu", "--no-sandbox", f"--screenshot={shot}",
        "--window-size=1280,2400", "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--no-first-run", "--disable-extensions",
        f"--user-data-dir={tmp_path / 'profile'}", demo.out.resolve().as_uri(),
    ]  # fmt: skip
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert shot.exists(), "chromium wrote no screenshot"
    width, height, bpp, pixels = _png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 2400)
    grey = [pixels[i] for i in range(0, len(pixels), bpp * 7)]  # red channel, sampled
    mean = sum(grey) / len(grey)
    variance = sum((g - mean) ** 2 for g in grey) / len(grey)
    assert variance > 100  # not a blank page
    # the charts' bars (Okabe-Ito blue #0072B2) were drawn
    blue = bytes.fromhex("0072b2")
    hits = sum(1 for i in range(0, len(pixels), bpp) if pixels[i : i + 3] == blue)
    assert hits > 2000
