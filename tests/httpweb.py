"""A demo index for the HTTP tests: the project's two-snapshot synthetic web, ranked, plus a
hostile page whose anchors are markup and spreadsheet formulas linking to the featured site
(attacker-controlled text every interface must show as text)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import backlinks
from backlinks.analysis.authority import rank_store
from backlinks.demo import evolve, generate_web, write_warc
from backlinks.demo.model import SynthPage

TARGET: Final = "velo-trails.com"
HOSTILE_HOST: Final = "hostile-anchors.example"
HOSTILE_ANCHORS: Final = (
    "<img src=x onerror=alert(1)>",
    '"><script>window.__pwned=1</script>',
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
)


def hostile_page(when: datetime) -> SynthPage:
    """One page on :data:`HOSTILE_HOST` linking the target with each hostile anchor (the
    text is HTML-escaped in the page, so the parser yields it literally)."""
    import html

    links = "".join(
        f'<p><a href="https://www.{TARGET}/hostile-{i}/">{html.escape(a)}</a></p>'
        for i, a in enumerate(HOSTILE_ANCHORS)
    )
    body = (
        "<!doctype html><html><head><title>&lt;script&gt;alert(2)&lt;/script&gt;</title>"
        f"</head><body><main>{links}</main></body></html>"
    )
    return SynthPage(
        url=f"https://{HOSTILE_HOST}/",
        status=200,
        html=body.encode(),
        content_type="text/html; charset=utf-8",
        fetched_at=when,
    )


def build(folder: Path, *, seed: int = 7, sites: int = 16) -> Path:
    """Ingest two snapshots of the synthetic web (the hostile page in the second), rank
    every level, and return the index path."""
    first = generate_web(seed, sites=sites)
    second = evolve(first, seed)
    when = max(p.fetched_at for p in second.pages) or datetime.now(UTC)
    db = folder / "http.duckdb"
    with backlinks.open(db) as index:
        for n, pages in enumerate((first.pages, [*second.pages, hostile_page(when)])):
            path = folder / f"web-{n}.warc.gz"
            write_warc(pages, path)
            index.ingest(path)
        rank_store(index.store)
    return db
