"""Value types of the synthetic web: the fetched responses it yields, and the plan they are
rendered from.

The plan (:class:`SitePlan`, :class:`PagePlan`, :class:`PlannedLink`) is kept inside
:class:`SynthWeb` so that :func:`backlinks.demo.synthweb.evolve` can change a few links and
re-render a later snapshot of the *same* web, rather than generate an unrelated one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from backlinks.demo.catalogue import SiteSpec
from backlinks.urls import canonicalize

__all__ = [
    "Comment",
    "PagePlan",
    "PlannedLink",
    "SiteInfo",
    "SitePlan",
    "SynthPage",
    "SynthWeb",
    "page_url",
]


@dataclass(frozen=True, slots=True)
class SynthPage:
    """One HTTP response as a crawler would have stored it. ``url`` is canonical (see
    :func:`backlinks.urls.canonicalize`); ``location`` is set for redirects only;
    ``content_type`` is the HTTP header, which may omit the charset (the HTML then declares
    it); ``fetched_at`` is timezone-aware UTC, whole seconds."""

    url: str
    status: int
    html: bytes
    content_type: str
    fetched_at: datetime
    location: str | None = None


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """A site of the synthetic web. ``host`` is canonical (lower case, punycode); ``role`` is
    ``featured``, ``hub``, ``normal``, ``farm`` (link farm) or ``money`` (the farm's target);
    ``is_spam`` is true for the last two."""

    host: str
    topic: str
    is_spam: bool
    name: str
    role: str
    lang: str
    encoding: str


@dataclass(slots=True)
class PlannedLink:
    """A link a page carries in its content (or a site in every sidebar/footer). ``href`` is
    written as in the HTML (relative, naked, with tracking parameters...); ``dst_host`` is the
    canonical host of an external target, ``""`` for an internal one; an image link has
    ``img_alt`` and no ``text``; ``para`` is the paragraph it is written into."""

    href: str
    text: str
    rel: str = ""
    dst_host: str = ""
    img_alt: str | None = None
    para: int = 0
    lead: str = ""


@dataclass(slots=True)
class Comment:
    """A reader comment: the author's name (linked to their site with ``rel`` when ``href``),
    the text, and optionally a link inside the text (spam comments)."""

    author: str
    body: str
    href: str | None = None
    rel: str = "ugc nofollow"
    link: PlannedLink | None = None


@dataclass(slots=True)
class PagePlan:
    """One document of a site. ``path`` is the Unicode path plus query; ``kind`` is ``home``,
    ``category``, ``article``, ``about``, ``tag``, ``search``, ``print`` or ``gone`` (a page
    that now answers 404); ``canonical`` is absolute when it names another page."""

    path: str
    kind: str
    title: str
    keyword: str = ""
    category: str = ""
    published: date | None = None
    paragraphs: list[str] = field(default_factory=list)
    links: list[PlannedLink] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    status: int = 200
    location: str | None = None
    robots: str = ""
    canonical: str | None = None


@dataclass(slots=True)
class SitePlan:
    """Everything needed to render a site: its catalogue entry, pages, sitewide links
    (``blogroll`` in the sidebar, ``credits`` in the footer), paths that were never there
    (``missing``; when ``missing_served`` they answer 404 in the crawl) and redirects
    (canonical source URL → canonical target URL)."""

    spec: SiteSpec
    info: SiteInfo
    weight: float
    categories: tuple[tuple[str, str], ...]
    pages: list[PagePlan] = field(default_factory=list)
    blogroll: list[PlannedLink] = field(default_factory=list)
    credits: list[PlannedLink] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    missing_served: bool = False
    redirects: list[tuple[str, str]] = field(default_factory=list)

    @property
    def origin(self) -> str:
        """Scheme and host as the site writes them (an IDN host stays Unicode)."""
        return f"{self.spec.scheme}://{self.spec.host}"

    def url(self, path: str) -> str:
        """Canonical absolute URL of a path of this site."""
        return page_url(self.origin + path)

    def articles(self) -> list[PagePlan]:
        """The live articles, in site order."""
        return [p for p in self.pages if p.kind == "article" and p.status == 200]


def page_url(raw: str) -> str:
    """Canonical form of a URL the generator wrote itself (so it always parses)."""
    url = canonicalize(raw)
    if url is None:  # pragma: no cover - the catalogue only holds valid URLs
        raise ValueError(f"synthetic URL does not parse: {raw!r}")
    return url


@dataclass(slots=True)
class SynthWeb:
    """A snapshot of the synthetic web: the responses in crawl order, the sites, the host the
    demo reports on (``featured_host``, the one with the most linking hosts), and the plan
    it was rendered from (for :func:`~backlinks.demo.synthweb.evolve`)."""

    pages: list[SynthPage]
    sites: list[SiteInfo]
    featured_host: str
    when: datetime
    seed: int
    plans: list[SitePlan] = field(repr=False, default_factory=list)

    def page(self, url: str) -> SynthPage | None:
        """The response for a canonical URL, if the crawl has one."""
        return next((p for p in self.pages if p.url == url), None)

    def stats(self) -> dict[str, int]:
        """Counts for a demo banner: sites, responses by status class, HTML bytes."""
        by_status = Counter(f"status_{p.status}" for p in self.pages)
        return {
            "sites": len(self.sites),
            "pages": len(self.pages),
            "bytes": sum(len(p.html) for p in self.pages),
            **dict(sorted(by_status.items())),
        }
