"""Value types of the synthetic web: the fetched responses it yields, and the plan they are
rendered from.

The plan (:class:`SitePlan`, :class:`PagePlan`, :class:`PlannedLink`) is kept inside
:class:`SynthWeb` so that :func:`backlinks.demo.synthweb.evolve` can change a few links and
re-render a later snapshot of the *same* web, rather than generate an unrelated one. The plan
also knows which links are planted spam, so :meth:`SynthWeb.planted_spam` can give the ground
truth a spam detector is scored against.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, NamedTuple

from backlinks.demo.catalogue import SOCIAL, SiteSpec
from backlinks.urls import canonicalize, host_of

__all__ = [
    "SPAM_KINDS",
    "SPAM_SOURCES",
    "Comment",
    "PagePlan",
    "PlannedLink",
    "SiteInfo",
    "SitePlan",
    "SpamLink",
    "SynthPage",
    "SynthWeb",
    "page_url",
]

#: Kinds of planted spam link: link farm, private blog network, undisclosed paid link,
#: comment spam.
SPAM_KINDS: Final = ("farm", "pbn", "paid", "comment")
#: Site roles whose every cross-site link is planted spam, with its kind (the money site's
#: own links belong to the farm that promotes it).
SPAM_SOURCES: Final = {"farm": "farm", "money": "farm", "pbn": "pbn"}


class SpamLink(NamedTuple):
    """A planted spam link as rendered: the canonical URL of the page carrying it, the
    canonical target as ingest stores it, and its kind (one of :data:`SPAM_KINDS`)."""

    src_url: str
    dst_url: str
    kind: str


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
    ``featured``, ``hub``, ``normal``, ``farm`` (link farm), ``money`` (the farm's target) or
    ``pbn`` (a private blog network's blog); ``is_spam`` is true for the last three."""

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
    ``img_alt`` and no ``text``; ``para`` is the paragraph it is written into; ``spam`` is
    the kind of planted spam it is (``paid``, ``comment``), ``""`` when none or when its
    site's role already says (:data:`SPAM_SOURCES`). Never rendered."""

    href: str
    text: str
    rel: str = ""
    dst_host: str = ""
    img_alt: str | None = None
    para: int = 0
    lead: str = ""
    spam: str = ""


@dataclass(slots=True)
class Comment:
    """A reader comment: the author's name (linked to their site with ``rel`` when ``href``),
    the text, and optionally a link inside the text; ``spam`` marks a spammer's comment (both
    its links are planted comment spam)."""

    author: str
    body: str
    href: str | None = None
    rel: str = "ugc nofollow"
    link: PlannedLink | None = None
    spam: bool = False


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

    @property
    def rendered(self) -> bool:
        """Whether the page is served as an HTML document (not a 404 or a redirect)."""
        return self.status == 200 and self.location is None


@dataclass(slots=True)
class SitePlan:
    """Everything needed to render a site: its catalogue entry, pages, sitewide links
    (``blogroll`` in the sidebar, ``credits`` in the footer), paths that were never there
    (``missing``; when ``missing_served`` they answer 404 in the crawl), redirects
    (canonical source URL → canonical target URL), and ``follow_comments`` when its comment
    links carry no ``rel`` (a blog that never set nofollow on them)."""

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
    follow_comments: bool = False

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

    def social(self) -> list[str]:
        """The site's profile links (footer of every page), from its name."""
        slug = self.spec.name.lower().replace(" ", "").replace("&", "and")
        return [pattern.format(slug=slug) for pattern in SOCIAL[: 1 + len(slug) % len(SOCIAL)]]

    def base_url(self, path: str) -> str:
        """What relative hrefs of the page at ``path`` resolve against (its ``<base>``)."""
        return self.url("/") if self.spec.href_style == "base" else self.url(path)

    def hrefs(self, page: PagePlan) -> list[tuple[str, str]]:
        """Each href of ``page`` that may leave the site, with its planted spam kind (``""``
        for none): content, comments, sidebar, footer (header and menu are internal)."""
        found = [(k.href, k.spam) for k in page.links]
        for c in page.comments:
            if c.href:
                found.append((c.href, "comment" if c.spam else ""))
            if c.link:
                found.append((c.link.href, c.link.spam))
        found += [(k.href, k.spam) for k in (*self.blogroll, *self.credits)]
        return found + [(href, "") for href in self.social()]


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

    def planted_spam(self) -> list[SpamLink]:
        """Every planted spam link of this snapshot, once per (page, target, kind): each
        cross-site link of a farm, money or PBN page (:data:`SPAM_SOURCES`), and the paid and
        comment-spam links of legitimate pages. Only rendered pages count; a sitewide link is
        listed for every page of its site."""
        out: dict[SpamLink, None] = {}
        for site in self.plans:
            whole = SPAM_SOURCES.get(site.info.role, "")
            for page in site.pages:
                if not page.rendered:
                    continue
                src, base = site.url(page.path), site.base_url(page.path)
                for href, kind in site.hrefs(page):
                    dst = canonicalize(href, base) if whole or kind else None
                    if dst is not None and host_of(dst) != host_of(src):
                        out[SpamLink(src, dst, whole or kind)] = None
        return list(out)

    def stats(self) -> dict[str, int]:
        """Counts for a demo banner: sites, responses by status class, HTML bytes."""
        by_status = Counter(f"status_{p.status}" for p in self.pages)
        return {
            "sites": len(self.sites),
            "pages": len(self.pages),
            "bytes": sum(len(p.html) for p in self.pages),
            **dict(sorted(by_status.items())),
        }
