"""Rendering rows for people and programs: rich tables, CSV and JSON.

Anchor text and URLs come from the open web and are attacker-controlled: in a terminal they
could carry rich markup or ANSI escape sequences, so table cells are plain ``Text`` objects
with control characters replaced.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from datetime import date, datetime
from typing import Any, Final, Literal, TextIO

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

Format = Literal["table", "csv", "json"]
FORMATS: Final = ("table", "csv", "json")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_text(value: object) -> str:
    """A value as display text with control and bidi-override characters made visible."""
    return _CONTROL.sub("\ufffd", "" if value is None else str(value))


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    if value is pd.NaT:
        return None
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts with snake_case keys."""
    return [{str(k): _jsonable(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def emit_rows(
    df: pd.DataFrame, fmt: Format, *, title: str | None = None, out: TextIO | None = None
) -> None:
    """Print a DataFrame as a table, CSV or a JSON array of objects."""
    stream = out or sys.stdout
    if fmt == "json":
        json.dump(records(df), stream, ensure_ascii=False, indent=1)
        stream.write("\n")
        return
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(list(df.columns))
        for row in records(df):
            writer.writerow(["" if v is None else v for v in row.values()])
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    if len(df):
        df = df.loc[:, [c for c in df.columns if not df[c].isna().all()]]  # e.g. no TrustRank yet
    for col in df.columns:
        table.add_column(str(col), overflow="fold")
    for row in records(df):
        table.add_row(*(Text(safe_text(_cell(v))) for v in row.values()))
    Console(file=stream).print(table)


def _cell(value: object) -> object:
    """Table cells: floats to 6 significant digits, nothing else changed."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def emit_object(obj: dict[str, Any], fmt: Format, *, out: TextIO | None = None) -> None:
    """Print one object: JSON as is, CSV as key,value lines, a table as two columns."""
    stream = out or sys.stdout
    if fmt == "json":
        json.dump(
            {k: _jsonable(v) if not isinstance(v, dict) else v for k, v in obj.items()},
            stream,
            ensure_ascii=False,
            indent=1,
        )
        stream.write("\n")
        return
    flat: list[tuple[str, Any]] = []
    for key, value in obj.items():
        if isinstance(value, dict):
            flat += [(f"{key}.{k}", v) for k, v in value.items()]
        else:
            flat.append((key, value))
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["key", "value"])
        writer.writerows(flat)
        return
    table = Table(show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value", justify="right")
    for key, value in flat:
        table.add_row(
            Text(safe_text(key)), Text(safe_text(f"{value:,}" if isinstance(value, int) else value))
        )
    Console(file=stream).print(table)


def compact_links(df: pd.DataFrame) -> pd.DataFrame:
    """A narrower view of a backlinks frame for terminal tables: rel flags in one column,
    dates without times. CSV and JSON keep every field."""
    if df.empty or "nofollow" not in df.columns:
        return df
    return pd.DataFrame(
        {
            "source_url": df["source_url"],
            "anchor": df["anchor"].where(~df["is_image"], "[img] " + df["anchor"]),
            "target_url": df["target_url"],
            "rel": [
                ",".join(
                    n for n, f in zip(("nofollow", "ugc", "sponsored"), flags, strict=True) if f
                )
                or "follow"
                for flags in zip(df["nofollow"], df["ugc"], df["sponsored"], strict=True)
            ],
            "section": df["section"],
            "first_seen": pd.to_datetime(df["first_seen"]).dt.strftime("%Y-%m-%d"),
            "last_seen": pd.to_datetime(df["last_seen"]).dt.strftime("%Y-%m-%d"),
        }
    )
