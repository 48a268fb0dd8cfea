"""Crawler commands: crawl, verify."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from backlinks.cli.base import (
    DEFAULT_DB,
    DbOpt,
    FormatOpt,
    LimitOpt,
    app,
    err,
    parse_format,
    progress_off,
)
from backlinks.crawl.config import DEFAULT_USER_AGENT
from backlinks.index import Index
from backlinks.output import emit_object, emit_rows, safe_text

# Options crawl and verify share (the politeness and network settings of a fetch).
DelayOpt = Annotated[float, typer.Option("--delay", help="Seconds between requests to a host.")]
UserAgentOpt = Annotated[
    str, typer.Option("--user-agent", help="User-Agent; its first word is the robots.txt token.")
]
ResolveOpt = Annotated[
    list[str] | None,
    typer.Option("--resolve", help="HOST=ADDRESS[:PORT], like curl; * for every host."),
]
AllowPrivateOpt = Annotated[
    bool, typer.Option("--allow-private", help="Allow private/loopback addresses.")
]


@app.command()
def crawl(
    seeds: Annotated[list[str] | None, typer.Argument(help="Start URLs (or hosts).")] = None,
    db: DbOpt = Path(DEFAULT_DB),
    max_pages: Annotated[
        int | None,
        typer.Option("--max-pages", help="Pages to fetch [default: 1000; --resume: as saved]."),
    ] = None,
    max_depth: Annotated[int, typer.Option("--max-depth", help="Link hops from a seed.")] = 5,
    scope: Annotated[
        str,
        typer.Option("--scope", help="host, domain, domains (with --allow-domain) or external."),
    ] = "domain",
    allow_domain: Annotated[
        list[str] | None, typer.Option("--allow-domain", help="Extra domain in scope (repeatable).")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Requests in flight.")] = 16,
    per_host: Annotated[int, typer.Option("--per-host", help="Requests in flight per host.")] = 2,
    host_budget: Annotated[
        int, typer.Option("--host-budget", help="Most pages fetched from one host.")
    ] = 5000,
    delay: DelayOpt = 0.5,
    user_agent: UserAgentOpt = DEFAULT_USER_AGENT,
    warc_dir: Annotated[
        Path | None, typer.Option("--warc-dir", help="Write every response to WARC files here.")
    ] = None,
    resolve: ResolveOpt = None,
    allow_private: AllowPrivateOpt = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the last unfinished crawl.")
    ] = False,
    no_text: Annotated[bool, typer.Option("--no-text", help="Do not keep page text.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    fmt: FormatOpt = "table",
) -> None:
    """Crawl politely from seeds (robots.txt, sitemaps, per-host delays, trap guards)."""
    import asyncio  # noqa: PLC0415

    from backlinks.crawl.config import CrawlConfig  # noqa: PLC0415
    from backlinks.crawl.crawler import Crawler  # noqa: PLC0415
    from backlinks.crawl.net import parse_resolve  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    if scope not in ("host", "domain", "domains", "external"):
        raise typer.BadParameter("--scope must be host, domain, domains or external")
    try:
        mapping = parse_resolve(resolve or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    cfg = CrawlConfig(
        max_pages=1000 if max_pages is None else max_pages,
        max_depth=max_depth,
        scope=scope,  # type: ignore[arg-type]
        allowed_domains=tuple(allow_domain or ()),
        concurrency=concurrency,
        per_host=per_host,
        host_budget=host_budget,
        delay=delay,
        user_agent=user_agent,
        warc_dir=str(warc_dir) if warc_dir else None,
        resolve=mapping,
        allow_private=allow_private,
        keep_text=not no_text,
    )
    with Index(db) as index:
        try:
            if resume:
                crawler = Crawler.resume(index.store)
                # options given now win over the saved ones where they matter for going on
                if max_pages is not None:  # else the budget the crawl was started with
                    crawler.cfg.max_pages = max_pages
                crawler.cfg.resolve = mapping or crawler.cfg.resolve
                crawler.cfg.allow_private = allow_private or crawler.cfg.allow_private
            else:
                if not seeds:
                    raise typer.BadParameter("give seed URLs, or --resume")
                crawler = Crawler.start(index.store, seeds, cfg)
        except (LookupError, ValueError) as exc:
            err.print(Text(str(exc), style="red"))
            raise typer.Exit(2) from exc
        progress = Progress(
            TextColumn("[bold]crawl"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} pages, {task.fields[queued]:,} queued"),
            TimeElapsedColumn(),
            console=err,
            disable=progress_off(quiet),
        )
        with progress:
            task = progress.add_task("crawl", total=crawler.cfg.max_pages, queued=0)

            def on_progress(done: int, total: int, queued: int) -> None:
                progress.update(task, completed=done, total=total, queued=queued)

            report = asyncio.run(crawler.run(on_progress))
        counts = dict(
            index.store.con.execute(
                "SELECT kind, n FROM crawl_counts WHERE snapshot_id = ? ORDER BY kind",
                [report.snapshot_id],
            ).fetchall()
        )
    summary = {
        "snapshot_id": report.snapshot_id,
        "pages": report.pages,
        "links": report.links,
        "finished": report.finished,
        "counts": counts,
    }
    emit_object(summary, out_fmt)


@app.command()
def verify(
    target: Annotated[str, typer.Argument(help="URL, host or domain whose backlinks to check.")],
    db: DbOpt = Path(DEFAULT_DB),
    limit: LimitOpt = 0,
    fmt: FormatOpt = "table",
    delay: DelayOpt = 0.5,
    resolve: ResolveOpt = None,
    allow_private: AllowPrivateOpt = False,
    user_agent: UserAgentOpt = DEFAULT_USER_AGENT,
) -> None:
    """Re-fetch the pages linking to TARGET and say which backlinks are live, and why not."""
    import asyncio  # noqa: PLC0415

    from backlinks.crawl.config import CrawlConfig  # noqa: PLC0415
    from backlinks.crawl.net import parse_resolve  # noqa: PLC0415
    from backlinks.crawl.verify import verify as run_verify  # noqa: PLC0415

    out_fmt = parse_format(fmt)
    cfg = CrawlConfig(
        delay=delay,
        resolve=parse_resolve(resolve or []),
        allow_private=allow_private,
        user_agent=user_agent,
    )
    if not db.exists():
        err.print(f"[red]No index at {safe_text(db)}[/red]")
        raise typer.Exit(2)
    with Index(db) as index:
        df = asyncio.run(run_verify(index.store, target, cfg, limit=limit or None))
    emit_rows(df, out_fmt, title=f"backlinks to {safe_text(target)}, checked live")


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option("--workdir", help="Where the demo writes its files.")
    ] = Path("demo-out"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic web.")] = 7,
    limit: LimitOpt = 25,
) -> None:
    """Generate a synthetic multi-site web, write it as a WARC, ingest it, show backlinks."""
    from backlinks.demo.run import run_demo  # noqa: PLC0415 - keeps CLI start-up light

    run_demo(workdir, seed=seed, limit=limit)
