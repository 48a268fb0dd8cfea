"""``backlinks demo``: the whole pipeline on a synthetic web, end to end and offline.

Generates two snapshots of a synthetic multi-site web (four weeks apart), writes each as a
gzip WARC, ingests both into a DuckDB index, prints the backlinks of the featured site,
ranks the web, scores toxic links, writes a disavow file and the HTML report.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from backlinks.analysis.backlinks import backlinks, stats
from backlinks.demo.synthweb import evolve, generate_web
from backlinks.demo.warcwrite import write_warc
from backlinks.ingest import ingest
from backlinks.output import compact_links, emit_object, emit_rows
from backlinks.store.db import Store


def _quality(store: Store, workdir: Path, featured: str, spam: str | None) -> None:
    """Toxic backlinks of the featured site and of the spam network's money site, and the
    featured site's disavow file."""
    from backlinks.quality.context import quality_context  # noqa: PLC0415
    from backlinks.quality.toxic import disavow_plan, toxic_domains, toxic_links  # noqa: PLC0415

    ctx = quality_context(store)
    for target in (featured, spam):
        if target is None:
            continue
        links = toxic_links(store, target, ctx=ctx)
        domains = toxic_domains(links, min_score=50)
        Console().print(
            f"{target}: {int((links.score >= 50).sum())} of {len(links)} backlinks score 50+ "
            f"(toxic), from {len(domains)} referring domains"
        )
        shown = domains.loc[:, ["score", "source_domain", "toxic_links", "links"]].assign(
            first_reason=[str(r).split("; ")[0].split(" (")[0][:60] for r in domains.reasons]
        )
        emit_rows(shown.head(8), "table", title=f"toxic referring domains of {target}")
    text, preview = disavow_plan(
        toxic_links(store, featured, ctx=ctx), min_score=60, target=featured
    )
    path = workdir / "disavow.txt"
    path.write_text(text, encoding="utf-8")
    Console().print(
        f"wrote {path}: {len(preview)} entries ({int((preview.kind == 'domain').sum())} domains)"
    )


def run_demo(workdir: Path, *, seed: int = 7, limit: int = 25) -> Path:
    """Run the demo in ``workdir``; return the path of the index it built."""
    console = Console()
    workdir.mkdir(parents=True, exist_ok=True)
    first = generate_web(seed)
    second = evolve(first, seed)
    warcs = []
    for name, web in (("snapshot-1", first), ("snapshot-2", second)):
        path = workdir / f"synthweb-{name}.warc.gz"
        n = write_warc(web.pages, path)
        warcs.append(path)
        console.print(f"wrote {path} ({n} records, {path.stat().st_size / 1e3:,.0f} KB)")
    db = workdir / "demo.duckdb"
    with Store(db) as store:
        for path in warcs:
            report = ingest(store, [str(path)])
            console.print(
                f"ingested {path.name}: {report.pages:,} pages, {report.links:,} links, "
                f"{sum(report.skipped.values())} skipped"
                + (" (already in the index)" if report.pages == 0 else "")
            )
        console.rule("index")
        emit_object(stats(store), "table")
        console.rule(f"backlinks to {first.featured_host}")
        df = backlinks(store, first.featured_host, limit=limit)
        emit_rows(
            compact_links(df), "table", title=f"backlinks to {first.featured_host} (first {limit})"
        )
        console.rule("authority")
        from backlinks.analysis import authority  # noqa: PLC0415 - numba import is slow

        authority.rank_store(store)
        top = authority.top(store, "domain", "rating", 10)
        emit_rows(top.drop(columns=["node_id"]), "table", title="top domains by rating")
        spam = next((s.host for s in first.sites if s.is_spam), None)
        if spam:
            result = authority.whatif(store, [first.featured_host], spam, "domain")
            console.print(
                f"what if {first.featured_host} linked to {spam}? domain rating "
                f"{result['rating_before']} -> {result['rating_after']} "
                f"({result['rating_delta']:+})"
            )
        console.rule("link quality")
        money = next((s.host for s in first.sites if s.role == "money"), None)
        _quality(store, workdir, first.featured_host, money)
        console.rule("report")
        from backlinks.report.build import build_report  # noqa: PLC0415

        report_path = build_report(
            store, first.featured_host, out=workdir / "report.html", tables=workdir / "tables"
        )
        console.print(
            f"report: {report_path.resolve()} (open it in a browser; it needs no network)"
        )
    console.print(
        f"\nTry: backlinks links {first.featured_host} --db {db} --format json --limit 5\n"
        f"     backlinks toxic {money} --db {db} --by domain\n"
        f"     backlinks disavow {first.featured_host} --db {db} > disavow.txt\n"
        f"     backlinks profile {first.featured_host} --db {db}\n"
        f"     backlinks new-lost {first.featured_host} --db {db}\n"
        f"     backlinks intersect {first.featured_host} --competitor {money} --db {db}\n"
        f'     backlinks search "gravel bike" --db {db}\n'
        f"     backlinks stats --db {db}\n"
        f"     backlinks top --db {db} --level host --by harmonic\n"
        f"     backlinks serve --db {db}   # dashboard at http://127.0.0.1:8000/, API docs at /docs"
    )
    return db
