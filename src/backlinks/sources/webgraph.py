"""Common Crawl web-graph releases (``*-vertices.txt.gz`` + ``*-edges.txt.gz``).

Vertices are ``id<TAB>reversed.host.name[<TAB>...]``; edges are ``from_id<TAB>to_id``. Each
vertex becomes the root URL of its host (``http://host/``) so host and domain graphs built
from the store match Common Crawl's; edges stay in DuckDB end to end (they are billions in a
full release), only vertices pass through Python to get their stable ids.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final

import pyarrow as pa

from backlinks import urls

VERTEX_CHUNK: Final = 200_000

VERTEX_SCHEMA: Final = pa.schema(
    [
        ("vid", pa.int64()),
        ("url", pa.string()),
        ("url_id", pa.int64()),
        ("host", pa.string()),
        ("host_id", pa.int64()),
        ("domain", pa.string()),
        ("domain_id", pa.int64()),
    ]
)


def unreverse(name: str) -> str:
    """``com.example.www`` -> ``www.example.com`` (Common Crawl's reversed host names)."""
    return ".".join(reversed(name.strip().split(".")))


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    if gz:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open("r", encoding="utf-8", errors="replace")


def read_vertices(path: Path) -> Iterator[tuple[pa.Table, list[tuple[int, str]]]]:
    """Chunks of vertices as Arrow tables, plus (line number, problem) for bad lines."""
    cols: dict[str, list[object]] = {name: [] for name in VERTEX_SCHEMA.names}
    bad: list[tuple[int, str]] = []
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2 or not parts[0].strip().lstrip("-").isdigit():
                if line.strip() and not line.startswith("#"):
                    bad.append((lineno, f"bad vertex line: {line[:80]!r}"))
                continue
            host = unreverse(parts[1]).lower()
            url = urls.canonicalize(f"http://{host}/")
            if url is None:
                bad.append((lineno, f"bad host name: {parts[1][:80]!r}"))
                continue
            host = urls.host_of(url)
            domain = urls.registrable_domain(host)
            cols["vid"].append(int(parts[0]))
            cols["url"].append(url)
            cols["url_id"].append(urls.stable_id(url))
            cols["host"].append(host)
            cols["host_id"].append(urls.stable_id(host))
            cols["domain"].append(domain)
            cols["domain_id"].append(urls.stable_id(domain))
            if len(cols["vid"]) >= VERTEX_CHUNK:
                yield pa.Table.from_pydict(cols, schema=VERTEX_SCHEMA), bad
                cols = {name: [] for name in VERTEX_SCHEMA.names}
                bad = []
    if cols["vid"] or bad:
        yield pa.Table.from_pydict(cols, schema=VERTEX_SCHEMA), bad
