"""backlinks: a self-hosted backlink intelligence engine.

``backlinks.open(path)`` opens an index; its methods return pandas DataFrames.
"""

from backlinks.index import Index, open

__all__ = ["Index", "__version__", "open"]
__version__ = "0.1.0"
