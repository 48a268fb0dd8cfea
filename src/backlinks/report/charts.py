"""Charts as inline SVG strings: vertical and horizontal bars, grouped bars, histograms.

Pure functions from labels and numbers to one ``<svg>`` element, so a report needs no
script, no chart library and no network, and prints as drawn. Every chart has a visible
title, axis labels, each bar's value written beside it, an accessible name (``<title>``,
``<desc>`` and ``aria-labelledby``) and the Okabe–Ito colour-blind-safe palette. Labels
come from the open web (anchors, URLs, TLDs): every text is escaped with
``html.escape(quote=True)``, which is valid in both HTML and XML, after control and
bidi-override characters are made visible.
"""

from __future__ import annotations

import html
import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Final

import numpy as np

from backlinks.output import safe_text

__all__ = [
    "PALETTE",
    "bar_chart",
    "esc",
    "grouped_bar_chart",
    "hbar_chart",
    "histogram",
    "number",
    "percent",
]

#: Okabe & Ito (2008) colours, distinguishable with every common colour-vision deficiency.
PALETTE: Final = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
WIDTH: Final = 720  # viewBox width of every chart (scaled to the page width)
_TOP: Final = 44  # room for the title (and legend)
_LEFT: Final = 64  # room for the value-axis ticks and label
_RIGHT: Final = 20
_BOTTOM: Final = 56  # room for category labels and the axis label
_ROW: Final = 22  # height of one horizontal bar's row
_LABEL_CHARS: Final = 16  # longest category label under a vertical bar
_HLABEL_CHARS: Final = 44  # longest category label beside a horizontal bar
_XML_BAD: Final = re.compile("[\ud800-\udfff\ufffe\uffff]")  # not allowed in XML 1.0

Fmt = Callable[[float], str]


def esc(value: object) -> str:
    """Text safe inside HTML or SVG markup and attribute values (quotes escaped too)."""
    return html.escape(_XML_BAD.sub("\ufffd", safe_text(value)), quote=True)


def number(value: float) -> str:
    """A count with thousands separators; other numbers to three significant digits."""
    if not math.isfinite(value):
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) >= 1 else f"{value:.3g}"


def percent(value: float) -> str:
    """A share in [0, 1] as a percentage."""
    return f"{100 * value:.1f}%" if math.isfinite(value) else ""


def _clip(text: str, chars: int, middle: bool = False) -> str:
    """At most ``chars`` characters: cut at the end, or in the middle (URLs keep their
    host and last path segment)."""
    if len(text) <= chars:
        return text
    if not middle:
        return text[: chars - 1] + "…"
    head = (chars - 1) // 2
    return text[:head] + "…" + text[len(text) - (chars - 1 - head) :]


def _f(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _ticks(vmax: float, integer: bool) -> list[float]:
    """Round tick values from 0 to at least ``vmax`` (about five steps)."""
    if vmax <= 0 or not math.isfinite(vmax):
        return [0.0, 1.0]
    raw = vmax / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if integer:
        step = max(1.0, math.ceil(step))
    n = math.ceil(vmax / step - 1e-9)
    return [i * step for i in range(n + 1)]


def _values(values: Sequence[float]) -> list[float]:
    out = []
    for v in values:
        x = float(v) if v is not None else 0.0
        out.append(x if math.isfinite(x) and x > 0 else 0.0)
    return out


def _open(chart_id: str, title: str, desc: str, height: float) -> list[str]:
    cid = esc(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{cid}" role="img" '
        f'viewBox="0 0 {WIDTH} {_f(height)}" width="{WIDTH}" height="{_f(height)}" '
        f'aria-labelledby="{cid}-t {cid}-d" font-family="system-ui, sans-serif" '
        'font-size="12">',
        f'<title id="{cid}-t">{esc(title)}</title>',
        f'<desc id="{cid}-d">{esc(desc)}</desc>',
        f'<text class="ct" x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="15" '
        f'font-weight="600">{esc(title)}</text>',
    ]


def _describe(labels: Sequence[str], values: Sequence[float], fmt: Fmt, limit: int = 30) -> str:
    parts = [f"{lab}: {fmt(v)}" for lab, v in zip(labels, values, strict=True)]
    more = f"; and {len(parts) - limit} more" if len(parts) > limit else ""
    return "; ".join(parts[:limit]) + more


def _empty(chart_id: str, title: str, message: str) -> str:
    out = _open(chart_id, title, message, 120)
    out.append(
        f'<text class="empty" x="{WIDTH / 2}" y="72" text-anchor="middle" fill="#555">'
        f"{esc(message)}</text></svg>"
    )
    return "\n".join(out)


def _legend(names: Sequence[str], colours: Sequence[str]) -> list[str]:
    out, x = [], float(WIDTH - _RIGHT)
    for name, colour in reversed(list(zip(names, colours, strict=True))):
        text = _clip(safe_text(name), 24)
        x -= 7 * len(text) + 28
        out.append(
            f'<rect x="{_f(x)}" y="28" width="12" height="12" fill="{colour}"/>'
            f'<text x="{_f(x + 16)}" y="38">{esc(text)}</text>'
        )
    return out


def grouped_bar_chart(
    labels: Sequence[object],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    chart_id: str,
    fmt: Fmt = number,
    gap: float = 0.25,
    empty: str = "No data",
) -> str:
    """Vertical bars, one group per label and one bar (colour) per series, with a legend
    when there are several series. Bar heights are proportional to the values (negative
    and missing values draw as 0); each bar's value is written above it."""
    names = [safe_text(lab) for lab in labels]
    data = {k: _values(v) for k, v in series.items()}
    if not names or not data or any(len(v) != len(names) for v in data.values()):
        if names and data:
            raise ValueError("every series needs one value per label")
        return _empty(chart_id, title, empty)
    height = 360.0
    plot_w = WIDTH - _LEFT - _RIGHT
    # slant the category labels when the widest (about 7 px a character) would overlap
    rotate = 7 * max(len(_clip(n, _LABEL_CHARS)) for n in names) > plot_w / len(names) - 6
    bottom = _BOTTOM + (48 if rotate else 0)
    plot_h = height - _TOP - 12 - bottom
    y0 = height - bottom
    allv = [v for vs in data.values() for v in vs]
    integer = all(float(v).is_integer() for vs in series.values() for v in vs if v is not None)
    ticks = _ticks(max(allv), integer)
    top = ticks[-1]
    desc = " | ".join(
        f"{k}: {_describe(names, v, fmt)}" if len(data) > 1 else _describe(names, v, fmt)
        for k, v in data.items()
    )
    out = _open(chart_id, title, f"{x_label} vs {y_label}. {desc}", height)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(data))]
    if len(data) > 1:
        out += _legend(list(data), colours)
    for t in ticks:
        y = y0 - t / top * plot_h
        out.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{_f(y)}" y2="{_f(y)}" stroke="#ddd"/>'
            f'<text x="{_LEFT - 6}" y="{_f(y + 4)}" text-anchor="end" fill="#333">'
            f"{esc(fmt(t))}</text>"
        )
    slot = plot_w / len(names)
    bar_w = slot * (1 - gap) / len(data)
    for i, name in enumerate(names):
        x_slot = _LEFT + i * slot + slot * gap / 2
        for s, (key, vals) in enumerate(data.items()):
            v = vals[i]
            h = v / top * plot_h
            x = x_slot + s * bar_w
            tip = f"{name}: {fmt(v)}" if len(data) == 1 else f"{name}, {key}: {fmt(v)}"
            out.append(
                f'<rect class="bar" x="{_f(x)}" y="{_f(y0 - h)}" width="{_f(bar_w)}" '
                f'height="{_f(h)}" fill="{colours[s]}" data-value="{v!r}">'
                f"<title>{esc(tip)}</title></rect>"
                f'<text class="val" x="{_f(x + bar_w / 2)}" y="{_f(y0 - h - 4)}" '
                f'text-anchor="middle" font-size="{11 if bar_w >= 24 else 9}">'
                f"{esc(fmt(v))}</text>"
            )
        cx = _LEFT + (i + 0.5) * slot
        text = esc(_clip(name, _LABEL_CHARS))
        if rotate:
            out.append(
                f'<text class="cat" x="{_f(cx)}" y="{_f(y0 + 14)}" text-anchor="end" '
                f'transform="rotate(-40 {_f(cx)} {_f(y0 + 14)})">{text}</text>'
            )
        else:
            out.append(
                f'<text class="cat" x="{_f(cx)}" y="{_f(y0 + 16)}" text-anchor="middle">'
                f"{text}</text>"
            )
    out.append(
        f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{_f(y0)}" y2="{_f(y0)}" stroke="#333"/>'
        f'<text class="axis" x="{_LEFT + plot_w / 2}" y="{_f(height - 8)}" '
        f'text-anchor="middle" font-weight="600">{esc(x_label)}</text>'
        f'<text class="axis" x="14" y="{_f(_TOP + plot_h / 2 + 12)}" text-anchor="middle" '
        f'font-weight="600" transform="rotate(-90 14 {_f(_TOP + plot_h / 2 + 12)})">'
        f"{esc(y_label)}</text></svg>"
    )
    return "\n".join(out)


def bar_chart(
    labels: Sequence[object],
    values: Sequence[float],
    *,
    title: str,
    x_label: str,
    y_label: str,
    chart_id: str,
    fmt: Fmt = number,
    gap: float = 0.25,
    empty: str = "No data",
) -> str:
    """Vertical bars, one per label, heights proportional to the values."""
    return grouped_bar_chart(
        labels,
        {y_label: values},
        title=title,
        x_label=x_label,
        y_label=y_label,
        chart_id=chart_id,
        fmt=fmt,
        gap=gap,
        empty=empty,
    )


def hbar_chart(
    labels: Sequence[object],
    values: Sequence[float],
    *,
    title: str,
    x_label: str,
    y_label: str,
    chart_id: str,
    fmt: Fmt = number,
    empty: str = "No data",
    clip_middle: bool = False,
) -> str:
    """Horizontal bars, one row per label (long labels such as URLs read best this way),
    lengths proportional to the values; ``y_label`` names the categories. Long labels are
    cut at the end, or in the middle with ``clip_middle`` (for URLs)."""
    names = [safe_text(lab) for lab in labels]
    vals = _values(values)
    if not names:
        return _empty(chart_id, title, empty)
    if len(vals) != len(names):
        raise ValueError("one value per label")
    shown = [_clip(n, _HLABEL_CHARS, clip_middle) for n in names]
    left = min(330, 16 + 6.8 * max(len(n) for n in shown))
    left = max(left, 80)
    plot_w = WIDTH - left - _RIGHT - 56  # room for the value after the longest bar
    height = _TOP + 8 + _ROW * len(names) + 44
    y_end = _TOP + 8 + _ROW * len(names)
    ticks = _ticks(max(vals), all(float(v).is_integer() for v in vals))
    top = ticks[-1]
    desc = f"{y_label} by {x_label}. {_describe(names, vals, fmt)}"
    out = _open(chart_id, title, desc, height)
    for t in ticks:
        x = left + t / top * plot_w
        out.append(
            f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_TOP}" y2="{_f(y_end)}" stroke="#ddd"/>'
            f'<text x="{_f(x)}" y="{_f(y_end + 14)}" text-anchor="middle" fill="#333">'
            f"{esc(fmt(t))}</text>"
        )
    for i, (name, short, v) in enumerate(zip(names, shown, vals, strict=True)):
        y = _TOP + 8 + i * _ROW
        w = v / top * plot_w
        out.append(
            f'<text class="cat" x="{_f(left - 6)}" y="{_f(y + 15)}" text-anchor="end">'
            f"{esc(short)}</text>"
            f'<rect class="bar" x="{_f(left)}" y="{_f(y + 3)}" width="{_f(w)}" '
            f'height="{_ROW - 6}" fill="{PALETTE[0]}" data-value="{v!r}">'
            f"<title>{esc(f'{name}: {fmt(v)}')}</title></rect>"
            f'<text class="val" x="{_f(left + w + 4)}" y="{_f(y + 15)}" font-size="11">'
            f"{esc(fmt(v))}</text>"
        )
    out.append(
        f'<line x1="{_f(left)}" x2="{_f(left)}" y1="{_TOP}" y2="{_f(y_end)}" stroke="#333"/>'
        f'<text class="axis" x="{_f(left + plot_w / 2)}" y="{_f(height - 8)}" '
        f'text-anchor="middle" font-weight="600">{esc(x_label)}</text>'
        f'<text class="axis" x="8" y="{_TOP - 4}" font-weight="600">{esc(y_label)}</text>'
        "</svg>"
    )
    return "\n".join(out)


def histogram(
    values: Sequence[float],
    edges: Sequence[float],
    *,
    title: str,
    x_label: str,
    y_label: str,
    chart_id: str,
    empty: str = "No data",
) -> str:
    """Counts of ``values`` in the bins between consecutive ``edges`` (the last bin
    includes its upper edge; values outside the edges are not counted), drawn as
    touching bars labelled by their ranges."""
    if len(edges) < 2:
        raise ValueError("a histogram needs at least two edges")
    arr = np.asarray([float(v) for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return _empty(chart_id, title, empty)
    counts, _ = np.histogram(arr, bins=np.asarray(edges, dtype=float))
    labels = [f"{number(a)}–{number(b)}" for a, b in itertools.pairwise(edges)]
    return bar_chart(
        labels,
        [float(c) for c in counts],
        title=title,
        x_label=x_label,
        y_label=y_label,
        chart_id=chart_id,
        gap=0.04,
        empty=empty,
    )
