"""Link-quality commands: toxic, spam-hosts, disavow, disavow-check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from backlinks.cli.base import (
    DEFAULT_DB,
    DbOpt,
    FormatOpt,
    LimitOpt,
    app,
    err,
    open_existing,
    parse_format,
)
from backlinks.output import emit_rows, safe_text
from backlinks.quality.disavow import DisavowFile, read_disavow
from backlinks.quality.toxic import THRESHOLDS

OVER_OPTIMISED = THRESHOLDS["over_optimised_share"]

MinScoreOpt = Annotated[
    float, typer.Option("--min-score", min=0, max=100, help="Lowest toxic score shown (0-100).")
]
SeedsOpt = Annotated[
    Path | None,
    typer.Option("--seeds", help="Trusted hosts/domains, one a line (TrustRank and spam mass)."),
]
AutoSeedsOpt = Annotated[
    int, typer.Option("--auto-seeds", min=0, help="Choose this many trusted seeds by inverse PR.")
]


def _report(disavowed: DisavowFile, path: Path) -> None:
    err.print(
        f"{safe_text(path)}: {len(disavowed.domains):,} domains, {len(disavowed.urls):,} URLs, "
        f"{len(disavowed.problems):,} problems"
    )
    for p in disavowed.problems[:50]:
        where = f"line {p.line}" if p.line else "file"
        err.print(f"  {where}: {safe_text(p.reason)}: {safe_text(p.text[:120])}")
    if len(disavowed.problems) > 50:
        err.print(f"  … and {len(disavowed.problems) - 50:,} more")


@app.command()
def toxic(
    target: Annotated[str, typer.Argument(help="URL, URL prefix, host or domain.")],
    db: DbOpt = Path(DEFAULT_DB),
    min_score: MinScoreOpt = 50.0,
    by: Annotated[
        str,
        typer.Option(
            "--by", help="link (each backlink), domain (referring domains) or anchor (classes)."
        ),
    ] = "link",
    seeds: SeedsOpt = None,
    auto_seeds: AutoSeedsOpt = 0,
    disavow: Annotated[
        Path | None, typer.Option("--disavow", help="Mark links an existing disavow file covers.")
    ] = None,
    limit: LimitOpt = 100,
    fmt: FormatOpt = "table",
) -> None:
    """Toxic backlinks of a target, each with a 0-100 score and the reasons behind it."""
    out_fmt = parse_format(fmt)
    if by not in ("link", "domain", "anchor"):
        raise typer.BadParameter("--by must be link, domain or anchor")
    if by == "anchor":
        with open_existing(db, writable=True) as index:
            profile, share = index.anchors(target)
        verdict = "over-optimised" if share >= OVER_OPTIMISED else "natural"
        err.print(
            f"{share:.0%} of followed referring domains link mostly with keyword anchors: {verdict}"
        )
        emit_rows(profile, out_fmt, title=f"anchor classes of {target}")
        return
    disavowed = read_disavow(disavow) if disavow else None
    if disavow and disavowed is not None:
        _report(disavowed, disavow)
    with open_existing(db, writable=True) as index:
        try:
            df = index.toxic(
                target,
                min_score=min_score,
                by=by,
                seeds_file=seeds,
                auto_seeds=auto_seeds,
                disavowed=disavowed,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    if limit:
        df = df.head(limit)
    if df.empty:
        err.print(f"No backlinks of {safe_text(target)} score {min_score:g} or more.")
    shown = df.drop(columns=[c for c in ("src_domain_id",) if c in df.columns])
    if out_fmt == "table" and by == "link":  # a terminal is narrow: CSV/JSON keep every column
        keep = ("score", "source_url", "target_url", "anchor", "anchor_class", "reasons")
        shown = shown.loc[:, [c for c in shown.columns if c in (*keep, "disavowed")]]
    emit_rows(shown, out_fmt, title=f"toxic {by}s of {target}")


@app.command("spam-hosts")
def spam_hosts(
    db: DbOpt = Path(DEFAULT_DB),
    seeds: SeedsOpt = None,
    auto_seeds: AutoSeedsOpt = 0,
    limit: LimitOpt = 50,
    fmt: FormatOpt = "table",
) -> None:
    """Hosts by link-based spam score (0-100), with the reasons for the high ones."""
    out_fmt = parse_format(fmt)
    with open_existing(db, writable=True) as index:
        df = index.spam_hosts(limit=limit or None, seeds_file=seeds, auto_seeds=auto_seeds)
    emit_rows(
        df.drop(columns=["host_id"]) if out_fmt == "table" else df, out_fmt, title="spam hosts"
    )


@app.command()
def disavow(
    target: Annotated[str, typer.Argument(help="URL, URL prefix, host or domain.")],
    db: DbOpt = Path(DEFAULT_DB),
    min_score: MinScoreOpt = 60.0,
    merge: Annotated[
        Path | None,
        typer.Option("--merge", help="Existing disavow file: keep its entries, add new ones."),
    ] = None,
    seeds: SeedsOpt = None,
    auto_seeds: AutoSeedsOpt = 0,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="txt (Google's disavow format), or a preview: table, csv, json."
        ),
    ] = "txt",
) -> None:
    """A Google disavow file for the target's toxic links: `backlinks disavow T > disavow.txt`."""
    if fmt != "txt":
        parse_format(fmt)
    existing = read_disavow(merge) if merge else None
    if merge and existing is not None:
        _report(existing, merge)
    with open_existing(db, writable=True) as index:
        text, preview = index.disavow(
            target,
            min_score=min_score,
            seeds_file=seeds,
            auto_seeds=auto_seeds,
            existing=existing,
        )
    err.print(
        f"{int((preview.kind == 'domain').sum()):,} domain lines, "
        f"{int((preview.kind == 'url').sum()):,} URL lines"
        + (f" ({int(preview.existing.sum()):,} kept from {safe_text(merge)})" if merge else "")
    )
    if fmt == "txt":
        sys.stdout.write(text)
        return
    emit_rows(preview, parse_format(fmt), title=f"disavow preview for {target}")


@app.command("disavow-check")
def disavow_check(
    path: Annotated[Path, typer.Argument(help="A disavow file to validate.")],
    fmt: FormatOpt = "table",
) -> None:
    """Check a disavow file the way Google reads it; list every malformed line."""
    out_fmt = parse_format(fmt)
    parsed = read_disavow(path)
    _report(parsed, path)
    import pandas as pd  # noqa: PLC0415

    rows = pd.DataFrame(
        [(p.line, p.reason, p.text) for p in parsed.problems], columns=["line", "problem", "text"]
    )
    if len(rows):
        emit_rows(rows, out_fmt, title=f"problems in {path.name}")
    raise typer.Exit(1 if parsed.problems else 0)
