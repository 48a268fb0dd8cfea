"""The HTML report: one self-contained file (inline CSS and SVG, no script, no network)
with a target's summary figures, charts and tables, built from the analysis layer.

``charts`` draws SVG from numbers, ``html`` lays out the page and its downloads, ``build``
gathers the data (:func:`build_report`). The analysis imports are heavy (Numba), so
:func:`build_report` is imported on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_report"]


def __getattr__(name: str) -> Any:
    if name == "build_report":
        from backlinks.report.build import build_report  # noqa: PLC0415

        return build_report
    raise AttributeError(name)
