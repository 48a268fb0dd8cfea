"""Typed records handed between pipeline stages: a page document and the links on it.

Small immutable value objects; every source (WARC, WAT, web graph, crawler, CSV) produces
them and the store consumes them, so no stage needs to know another's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal, NamedTuple

#: Where on a page a link sits. ``unknown`` when the source does not say (WAT, web graphs).
Section = Literal["content", "nav", "header", "footer", "aside", "comment", "unknown"]
SECTIONS: Final[tuple[str, ...]] = (
    "content",
    "nav",
    "header",
    "footer",
    "aside",
    "comment",
    "unknown",
)


class Link(NamedTuple):
    """One hyperlink found on a page. ``dst_url`` is canonical (see :mod:`backlinks.urls`)."""

    dst_url: str
    anchor: str
    nofollow: bool
    ugc: bool
    sponsored: bool
    is_image: bool
    section: str
    position: int


@dataclass(slots=True)
class PageMeta:
    """What the HTML of a page says about itself (filled by :mod:`backlinks.extract`)."""

    title: str = ""
    lang: str = ""
    canonical_url: str | None = None
    robots_noindex: bool = False
    robots_nofollow: bool = False
    base_url: str | None = None
    encoding: str = "utf-8"


@dataclass(slots=True)
class Extraction:
    """The result of extracting one HTML page: its metadata, its web links, and counts of
    hrefs that were not stored (non-web schemes, unparseable URLs, same-page ``#fragment``
    jumps)."""

    meta: PageMeta = field(default_factory=PageMeta)
    links: list[Link] = field(default_factory=list)
    non_web: int = 0
    invalid: int = 0
    fragment: int = 0
    text: str = ""


@dataclass(slots=True)
class Page:
    """A fetched document and its links, as a source hands it to the store."""

    url: str
    fetched_at: datetime
    status: int | None = None
    content_type: str = ""
    redirect_to: str | None = None
    meta: PageMeta = field(default_factory=PageMeta)
    links: list[Link] = field(default_factory=list)
    non_web: int = 0
    invalid: int = 0
    text: str = ""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record a source could not use, with where it was and why (reported, never silent)."""

    source: str
    offset: int
    reason: str
    detail: str = ""
