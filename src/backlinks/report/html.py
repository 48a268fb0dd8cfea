"""The report page: one self-contained HTML document with inline CSS and SVG charts, tables
with their CSV and JSON downloads as ``data:`` URIs, and the tables written beside it.

The page loads nothing: a Content-Security-Policy meta tag allows no script, no fetch and
no external style, font or image (``default-src 'none'``), so even a value that escaped
escaping could not run or phone home. Text from the web (anchors, URLs, titles, reasons)
is escaped with ``html.escape(quote=True)``; a URL is shown as text and is a link only
when it is ``http``/``https``, with ``rel="nofollow noopener noreferrer"``.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import pandas as pd

from backlinks.output import emit_rows
from backlinks.report.charts import esc, number, percent

__all__ = [
    "CSP",
    "Section",
    "Table",
    "cell_html",
    "csv_text",
    "data_uri",
    "json_text",
    "link_html",
    "page",
    "table_html",
    "write_tables",
]

CSP: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)
_SLUG: Final = re.compile(r"[^a-z0-9_-]+")
_LABELS: Final = {
    "rating": "Domain rating",
    "pagerank": "PageRank",
    "followed_share": "Followed share",
    "tld": "TLD",
    "url": "URL",
    "ugc": "UGC",
}


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the report: ``name`` is its file stem (``top_domains``), ``frame``
    exactly what the downloads and ``--tables`` files hold."""

    name: str
    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """A titled part of the page: a note, charts (SVG strings) and tables."""

    title: str
    charts: Sequence[str] = ()
    tables: Sequence[Table] = ()
    note: str = ""
    data: Sequence[Table] = ()  # the charts' numbers, folded away under the charts
    anchor: str = field(default="")

    @property
    def slug(self) -> str:
        return self.anchor or "sec-" + _SLUG.sub("-", self.title.lower()).strip("-")


def label(key: str) -> str:
    """A column or summary key as a heading (``referring_domains`` → ``Referring domains``)."""
    if key in _LABELS:
        return _LABELS[key]
    text = " ".join(_LABELS.get(w, w) for w in key.split("_"))
    return text[:1].upper() + text[1:]


def csv_text(df: pd.DataFrame) -> str:
    """The frame as CSV, as ``backlinks … --format csv`` prints it."""
    buf = io.StringIO()
    emit_rows(df, "csv", out=buf)
    return buf.getvalue()


def json_text(df: pd.DataFrame) -> str:
    """The frame as a JSON array of objects, as ``--format json`` prints it."""
    buf = io.StringIO()
    emit_rows(df, "json", out=buf)
    return buf.getvalue()


def data_uri(text: str, mime: str) -> str:
    """Text as a base64 ``data:`` URI (a download that needs no server and no escaping)."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"data:{mime};charset=utf-8;base64,{payload}"


def write_tables(tables: Sequence[Table], folder: Path) -> list[Path]:
    """One ``NAME.csv`` and one ``NAME.json`` per table in ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for t in tables:
        for ext, text in (("csv", csv_text(t.frame)), ("json", json_text(t.frame))):
            path = folder / f"{t.name}.{ext}"
            path.write_text(text, encoding="utf-8")
            out.append(path)
    return out


def link_html(url: object) -> str:
    """A URL as escaped text, wrapped in a link only when it is http(s)."""
    text = esc(url)
    raw = "" if url is None else str(url)
    try:
        scheme = urlsplit(raw.strip()).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme not in ("http", "https") or any(c in raw for c in "\x00\r\n\t"):
        return f'<span class="url">{text}</span>'
    return f'<a class="url" href="{text}" rel="nofollow noopener noreferrer">{text}</a>'


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def cell_text(value: object, column: str = "") -> str:
    """A value as the text of a table cell or summary figure (not yet escaped)."""
    if _is_missing(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp | datetime):
        return "" if pd.isna(value) else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return cell_text(value.item(), column)
    if isinstance(value, int | float):
        if column.endswith("_id"):
            return str(value)
        if column.endswith("share") and isinstance(value, float):
            return percent(value)
        return number(value)
    return str(value)


def cell_html(value: object, column: str) -> str:
    """One ``<td>``: URLs as (safe) links, numbers right-aligned, everything escaped."""
    if column.endswith("url") and not _is_missing(value):
        return f"<td>{link_html(value)}</td>"
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    numeric = numeric or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iuf")
    when = isinstance(value, datetime | date)
    cls = ' class="n"' if numeric else ' class="d"' if when else ""
    cls = ' class="long"' if column == "reasons" else cls
    return f"<td{cls}>{esc(cell_text(value, column))}</td>"


def table_html(table: Table) -> str:
    """A table with its heading, note, and CSV/JSON download links."""
    df = table.frame
    name = esc(table.name)
    head = "".join(f'<th scope="col">{esc(label(str(c)))}</th>' for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False, name=None):
        cells = "".join(cell_html(v, str(c)) for v, c in zip(rec, df.columns, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    body = "\n".join(rows) or (
        f'<tr><td class="none" colspan="{max(1, len(df.columns))}">none</td></tr>'
    )
    csv_uri = data_uri(csv_text(df), "text/csv")
    json_uri = data_uri(json_text(df), "application/json")
    note = f'<p class="note">{esc(table.note)}</p>' if table.note else ""
    return (
        f'<div class="table" id="table-{name}">\n<h3>{esc(table.title)}</h3>{note}\n'
        f'<p class="dl">Download: <a download="{name}.csv" href="{csv_uri}">CSV</a> · '
        f'<a download="{name}.json" href="{json_uri}">JSON</a> '
        f'<span class="rows">({len(df):,} rows)</span></p>\n'
        f'<div class="scroll"><table data-name="{name}">\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody></table></div>\n</div>"
    )


def summary_html(summary: Mapping[str, object]) -> str:
    """The headline figures as a grid of labelled numbers."""
    items = "\n".join(
        f'<div class="fig" data-key="{esc(k)}"><dt>{esc(label(k))}</dt>'
        f"<dd>{esc(cell_text(v, k))}</dd></div>"
        for k, v in summary.items()
    )
    return f'<dl class="summary">\n{items}\n</dl>'


_CSS: Final = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a;
  background: #fff; margin: 0 auto; padding: 24px 32px; max-width: 1180px; }
h1 { font-size: 24px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 19px; border-bottom: 2px solid #0072B2; padding-bottom: 4px; margin: 32px 0 12px; }
h3 { font-size: 15px; margin: 18px 0 4px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0;
  color: #333; }
.meta dt { font-weight: 600; } .meta dd { margin: 0; overflow-wrap: anywhere; }
.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
  gap: 10px; margin: 12px 0; }
.fig { border: 1px solid #ccc; border-radius: 6px; padding: 8px 12px; }
.fig dt { font-size: 12px; color: #444; } .fig dd { margin: 2px 0 0; font-size: 20px;
  font-weight: 600; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 16px; }
svg.chart { width: 100%; height: auto; border: 1px solid #e3e3e3; border-radius: 6px;
  background: #fff; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 8px; text-align: left;
  vertical-align: top; }
th { background: #f2f5f8; position: sticky; top: 0; }
td { overflow-wrap: anywhere; max-width: 420px; } td.n { text-align: right;
  font-variant-numeric: tabular-nums; white-space: nowrap; } td.d { white-space: nowrap; }
td.long { min-width: 320px; }
details.data { margin: 8px 0; } details.data summary { cursor: pointer; color: #333; }
details.data h3 { display: none; }
.note, .rows, .foot { color: #555; } .dl { margin: 0 0 6px; font-size: 12.5px; }
a { color: #0057a0; } nav a { margin-right: 12px; }
@media print {
  body { padding: 0; max-width: none; font-size: 11px; }
  nav, .dl { display: none; }
  .charts { display: block; } svg.chart { break-inside: avoid; margin-bottom: 10px;
    border: none; }
  h2 { break-after: avoid; } tr, .fig { break-inside: avoid; }
  .scroll { overflow: visible; } th { position: static; } td { max-width: none; }
  a { color: inherit; text-decoration: none; }
}
"""


def page(
    *,
    title: str,
    meta: Mapping[str, object],
    summary: Mapping[str, object],
    sections: Sequence[Section],
    footer: str = "",
) -> str:
    """The whole HTML document."""
    meta_html = "\n".join(
        f"<dt>{esc(label(k))}</dt><dd>{esc(cell_text(v, k))}</dd>" for k, v in meta.items()
    )
    nav = " ".join(f'<a href="#{esc(s.slug)}">{esc(s.title)}</a>' for s in sections)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f'<header>\n<h1>{esc(title)}</h1>\n<dl class="meta">\n{meta_html}\n</dl>\n'
        f"<nav>{nav}</nav>\n</header>",
        "<main>",
        f'<section id="sec-summary">\n<h2>Summary</h2>\n{summary_html(summary)}\n</section>',
    ]
    for s in sections:
        note = f'<p class="note">{esc(s.note)}</p>' if s.note else ""
        charts = '<div class="charts">\n' + "\n".join(s.charts) + "\n</div>" if s.charts else ""
        tables = "\n".join(
            [
                *(
                    f'<details class="data"><summary>Chart data: {esc(t.title)}</summary>\n'
                    f"{table_html(t)}\n</details>"
                    for t in s.data
                ),
                *(table_html(t) for t in s.tables),
            ]
        )
        parts.append(
            f'<section id="{esc(s.slug)}">\n<h2>{esc(s.title)}</h2>\n{note}\n{charts}\n'
            f"{tables}\n</section>"
        )
    parts += ["</main>", f'<footer class="foot"><p>{esc(footer)}</p></footer>' if footer else ""]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
