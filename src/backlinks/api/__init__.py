"""The HTTP API and the dashboard's server (``backlinks serve``).

:func:`create_app` builds the FastAPI application over a :class:`ServerState` (the open
index, caches and the job queue); :mod:`backlinks.cli.serve_cmds` runs it with uvicorn.
"""

from backlinks.api.app import create_app
from backlinks.api.state import ServerState

__all__ = ["ServerState", "create_app"]
