"""The embedded DuckDB backlink index."""

from backlinks.store.db import Store

__all__ = ["Store"]
