"""Graphs from edge files, without a store, for users who bring a ready graph.

Accepted formats (gzip or plain, detected by content):

* a plain edge list: two whitespace-separated columns per line (URLs, host names or integer
  ids), ``#`` starts a comment;
* the UK Web Archive host-linkage format: ``YEAR|source_host|target_host<TAB>count``
  (host names are the text between the bars, kept whole even where they hold a space);
* a Common Crawl web-graph release: pass the ``*-edges.txt.gz`` file; its sibling
  ``*-vertices.txt.gz`` gives the names (reversed host names are turned round).

Parsing and dense-id assignment run in DuckDB, so multi-gigabyte files never pass through
Python line by line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import duckdb
import numpy as np

from backlinks import urls
from backlinks.graph.csr import Graph, fill_from_sorted
from backlinks.sources.webgraph import unreverse

_CC_EDGES: Final = re.compile(r"^(?P<stem>.+)-edges\.txt(\.gz)?$")
_CHUNK: Final = 1 << 20


def _vertices_of(path: Path) -> Path | None:
    m = _CC_EDGES.match(path.name)
    if not m:
        return None
    for suffix in ("-vertices.txt.gz", "-vertices.txt"):
        cand = path.with_name(m.group("stem") + suffix)
        if cand.exists():
            return cand
    return None


def _compression(path: Path) -> str:
    """DuckDB's ``compression`` option from the file's first bytes (DuckDB alone would go by
    the ``.gz`` extension)."""
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return f"compression='{'gzip' if gz else 'none'}'"


def _token_sql(level: str) -> str:
    """SQL expression normalising a node token: host names lower-cased."""
    return "lower(tok)" if level in ("host", "domain") else "tok"


def load_edge_file(path: str | Path, level: str = "page") -> Graph:
    """Read an edge file into a graph with labels; parallel edges merged, self-loops
    dropped. ``graph.meta`` reports lines skipped and 64-bit id collisions among labels."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    con = duckdb.connect()
    vertices = _vertices_of(path)
    raw = (
        "read_csv(?, columns={'line': 'VARCHAR'}, delim='\x01', header=false, quote='', "
        f"escape='', comment='', auto_detect=false, strict_mode=false, {_compression(path)})"
    )
    con.execute(
        f"CREATE TEMP TABLE lines AS SELECT line FROM {raw} "
        "WHERE line IS NOT NULL AND NOT starts_with(ltrim(line), '#') AND trim(line) <> ''",
        [str(path)],
    )
    con.execute(
        "CREATE TEMP TABLE parts AS SELECT CASE WHEN regexp_matches(line, '^[0-9]+\\|[^|\t]+\\|') "
        "THEN string_split(string_split(rtrim(line), chr(9))[1], '|')[2:3] "
        "ELSE regexp_split_to_array(trim(line), '\\s+')[1:2] END AS p FROM lines"
    )
    bad_row = con.execute(
        "SELECT count(*) FROM parts WHERE len(p) < 2 OR p[1] = '' OR p[2] = ''"
    ).fetchone()
    norm = _token_sql(level)
    con.execute(
        f"CREATE TEMP TABLE e AS SELECT DISTINCT {norm.replace('tok', 'p[1]')} AS s, "
        f"{norm.replace('tok', 'p[2]')} AS d FROM parts "
        "WHERE len(p) >= 2 AND p[1] <> '' AND p[2] <> ''"
    )
    self_row = con.execute("SELECT count(*) FROM e WHERE s = d").fetchone()
    con.execute(
        "CREATE TEMP TABLE nodes AS SELECT tok, (row_number() OVER (ORDER BY tok) - 1)::INTEGER "
        "AS k FROM (SELECT s AS tok FROM e UNION SELECT d FROM e)"
    )
    con.execute("DELETE FROM e WHERE s = d")  # a node with only a self-loop stays a node
    n = int((con.execute("SELECT count(*) FROM nodes").fetchone() or [0])[0])
    m = int((con.execute("SELECT count(*) FROM e").fetchone() or [0])[0])
    tokens = [str(t) for t in con.execute("SELECT tok FROM nodes ORDER BY k").fetchnumpy()["tok"]]
    reader = con.sql(
        "SELECT a.k, b.k FROM e JOIN nodes a ON e.s = a.tok JOIN nodes b ON e.d = b.tok "
        "ORDER BY b.k, a.k"
    ).to_arrow_reader(_CHUNK)
    in_ptr, in_src, out_deg = fill_from_sorted(reader, n, m)
    con.close()
    labels = _labels(tokens, vertices, level)
    ids = np.asarray([urls.stable_id(t) for t in labels], dtype=np.int64)
    g = Graph(in_ptr, in_src, out_deg, ids, labels, level)
    g.meta.update(
        source=str(path),
        bad_lines=int(bad_row[0]) if bad_row else 0,
        self_loops=int(self_row[0]) if self_row else 0,
        collisions=int(n - np.unique(ids).size),
    )
    return g


def _labels(tokens: list[str], vertices: Path | None, level: str) -> list[str]:
    if vertices is None:
        return tokens
    con = duckdb.connect()
    rows = con.execute(
        "SELECT p[1], p[2] FROM (SELECT string_split(line, chr(9)) AS p FROM "
        "read_csv(?, columns={'line': 'VARCHAR'}, delim='\x01', header=false, quote='', "
        f"escape='', auto_detect=false, {_compression(vertices)})) WHERE len(p) >= 2",
        [str(vertices)],
    ).fetchall()
    con.close()
    names = {vid: unreverse(name) for vid, name in rows}
    del level
    return [names.get(t, t) for t in tokens]


_UKWA_LINE: Final = re.compile(r"^[0-9]+\|[^|\t]+\|")
_SPACE: Final = re.compile(r"\s+")


def parse_edge_line(line: str, level: str = "page") -> tuple[str, str] | bool | None:
    """One line of an edge file as :func:`load_edge_file` reads it, for engines that read
    lines themselves (Spark): ``(source, target)`` tokens (host names lower-cased at host
    and domain level); ``None`` for a blank or ``#`` comment line; ``False`` for a line that
    has no two tokens (counted as a bad line)."""
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    if _UKWA_LINE.match(line):
        parts = line.rstrip().split("\t", 1)[0].split("|")[1:3]
    else:
        parts = _SPACE.split(line.strip())[:2]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return False
    if level in ("host", "domain"):
        return parts[0].lower(), parts[1].lower()
    return parts[0], parts[1]
