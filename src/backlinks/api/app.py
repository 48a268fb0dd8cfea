"""The FastAPI application: routers, token auth, JSON errors, security headers, the
dashboard's static files and offline API docs.

Errors are always JSON, ``{"error": {"status": 422, "message": "...", "detail": ...}}``:
bad parameters 422, unknown targets and jobs 404, a read-only server's write endpoints
403, a missing or wrong token 401. An unexpected failure is logged and answered 500 in the
same shape (the fuzz tests hold that none happens).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI, Header, HTTPException, Request, Security
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from backlinks.api import routes_answers, routes_jobs, routes_quality
from backlinks.api.state import ServerState

__all__ = ["LOOPBACK_HOSTS", "create_app"]

log = logging.getLogger("backlinks.api")
VERSION: Final = "1"
#: Host headers a loopback server without a token answers (a DNS-rebinding guard).
LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
#: The dashboard runs only its own script and styles; charts are images.
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
#: Swagger UI runs one inline script that FastAPI writes.
DOCS_CSP: Final = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_bearer = HTTPBearer(auto_error=False, description="The token given to `backlinks serve`.")


def _static_dir() -> Path:
    return Path(str(resources.files("backlinks.web") / "static"))


def _swagger_dir() -> Path | None:
    try:
        import swagger_ui  # noqa: PLC0415

        folder = Path(swagger_ui.__file__).parent / "static"
    except ImportError:  # pragma: no cover - a dependency; docs fall back to a notice
        return None
    return folder if (folder / "swagger-ui-bundle.js").exists() else None


def require_token(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
    x_api_token: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """401 unless the request carries the server's token (Bearer or X-API-Token)."""
    state: ServerState = request.app.state.backlinks
    if state.token is None:
        return
    given = creds.credentials if creds is not None else x_api_token
    if not given or not hmac.compare_digest(given.encode(), state.token.encode()):
        raise HTTPException(
            401,
            "a valid token is required (Authorization: Bearer TOKEN)",
            headers={"WWW-Authenticate": "Bearer"},
        )


def _error(status: int, message: str, detail: Any = None, headers: Any = None) -> JSONResponse:
    body: dict[str, Any] = {"status": status, "message": message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _validation_message(errors: list[Any]) -> str:
    parts = []
    for e in errors[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "body", "path"))
        parts.append(f"{where or 'request'}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = jsonable_encoder(exc.errors(), custom_encoder={bytes: repr})
        for e in errors:
            e.pop("input", None)  # echoes attacker text; the message says what is wrong
            e.pop("ctx", None)
        return _error(422, _validation_message(errors), errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(ValueError)
    async def bad_value(_: Request, exc: ValueError) -> JSONResponse:
        return _error(422, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return _error(500, f"internal error: {type(exc).__name__}")


def _install_headers(app: FastAPI, allowed_hosts: frozenset[str] | None) -> None:
    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if allowed_hosts is not None:
            host = request.headers.get("host", "")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name.lower() not in allowed_hosts:
                return _error(400, "unexpected Host header (this server answers loopback only)")
        response = await call_next(request)
        docs = request.url.path == "/docs"
        response.headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def create_app(state: ServerState, *, allowed_hosts: frozenset[str] | None = None) -> FastAPI:
    """The server over ``state``; ``allowed_hosts`` limits the Host headers answered."""
    app = FastAPI(
        title="backlinks",
        version=VERSION,
        summary="Self-hosted backlink intelligence: links, authority, quality, competitors.",
        description=(
            "Every list endpoint takes `limit`, `cursor` (a page's `next_cursor`), `sort` "
            "(`-column` descending) and `filter` (`COLUMN OP VALUE`, OP one of "
            "`= != ~ !~ >= <= > <`), and `format=csv|jsonl` for every matching row as a "
            "download. Off loopback, send the server's token as `Authorization: Bearer TOKEN`."
        ),
        docs_url=None,
        redoc_url=None,
    )
    app.state.backlinks = state
    auth = [Depends(require_token)]
    app.include_router(routes_answers.router, dependencies=auth)
    app.include_router(routes_quality.router, dependencies=auth)
    app.include_router(routes_jobs.router, dependencies=auth)
    _install_errors(app)
    _install_headers(app, allowed_hosts)

    static = _static_dir()
    app.mount("/static", StaticFiles(directory=static), name="static")
    swagger = _swagger_dir()
    if swagger is not None:
        app.mount("/docs-assets", StaticFiles(directory=swagger), name="docs-assets")

    @app.get("/api/v1/health", tags=["index"])
    def health() -> dict[str, Any]:
        """Liveness (no token needed): the server is up, read-only or not, token or not."""
        return {"status": "ok", "read_only": state.read_only, "auth": state.token is not None}

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(static / "index.html", media_type="text/html")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if swagger is None:  # pragma: no cover
            return HTMLResponse("<p>Swagger UI is not installed; the spec is at /openapi.json</p>")
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="backlinks API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )

    return app
