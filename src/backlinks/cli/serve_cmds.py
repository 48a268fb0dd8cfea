"""``backlinks serve``: the HTTP API and the dashboard."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Annotated, Final

import typer

from backlinks.cli.base import DEFAULT_DB, DbOpt, app, err
from backlinks.output import safe_text

TOKEN_ENV: Final = "BACKLINKS_TOKEN"


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the server on this machine."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse (exit 2) to serve off loopback without a token, or with a weak one."""
    if is_loopback(host):
        return
    if not token:
        err.print(
            f"[red]Refusing to serve on {safe_text(host)} without a token[/red]: pass --token or "
            f"set ${TOKEN_ENV} (e.g. {secrets.token_urlsafe(24)}), or bind to 127.0.0.1."
        )
        raise typer.Exit(2)
    if len(token) < 16:
        err.print("[red]The token is too short[/red]: use at least 16 characters.")
        raise typer.Exit(2)


@app.command()
def serve(
    db: DbOpt = Path(DEFAULT_DB),
    host: Annotated[str, typer.Option("--host", help="Address to bind (default loopback).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to bind.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help=f"API token (or ${TOKEN_ENV}); required off loopback.",
            show_default=False,
        ),
    ] = None,
    read_only: Annotated[
        bool,
        typer.Option("--read-only", help="Answer questions only: no ingest, rank or crawl jobs."),
    ] = False,
    allow_private: Annotated[
        bool,
        typer.Option("--allow-private", help="Let crawl jobs reach private/loopback addresses."),
    ] = False,
    cache_rows: Annotated[
        int, typer.Option("--cache-rows", min=0, help="Rows of computed answers kept in memory.")
    ] = 3_000_000,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) and the dashboard at /."""
    import uvicorn  # noqa: PLC0415 - keeps CLI start-up light

    from backlinks.api import ServerState, create_app  # noqa: PLC0415
    from backlinks.api.app import LOOPBACK_HOSTS  # noqa: PLC0415

    secret = token or os.environ.get(TOKEN_ENV) or None
    check_binding(host, secret)
    if not db.exists() and read_only:
        err.print(f"[red]No index at {safe_text(db)}[/red] — run `backlinks ingest` first.")
        raise typer.Exit(2)
    state = ServerState(
        db, read_only=read_only, token=secret, allow_private=allow_private, cache_rows=cache_rows
    )
    guard = LOOPBACK_HOSTS | {host.lower()} if secret is None else None
    application = create_app(state, allowed_hosts=guard)
    shown = f"[{host}]" if ":" in host else host
    err.print(
        f"backlinks serving {safe_text(db)} on http://{safe_text(shown)}:{port}/ "
        f"({'read-only' if read_only else 'read-write'}, "
        f"{'token required' if secret else 'no token: loopback only'}); API docs at /docs"
    )
    try:
        uvicorn.run(application, host=host, port=port, log_level=log_level, access_log=False)
    finally:
        state.close()
