"""The well-behaved hosts of the loopback test web (:mod:`backlinks.demo.server`): every
site of a :class:`SynthWeb` and ``big.test``, a generated site of any size for the crawl
benchmark.

Synthetic hosts (``web.synth.hosts``): the pages as generated, 301/404 with their
``location``; unknown paths 404. Each host has ``/sitemap.xml`` (an index naming
``/sitemap-pages.xml.gz``, a gzip urlset of its 200 pages plus ``/private/account.html``)
and a ``/robots.txt`` disallowing ``/private/`` with a ``Sitemap:`` line, except
(:data:`~backlinks.demo.hosts.ROBOTS_SPECIAL`; override any host with ``robots=``):

=============================== ===================================================
``best-bike-deals-2024.xyz``    robots.txt 404: crawl everything
``cheap-bike-reviews.top``      robots.txt 500: fetch nothing but robots.txt
``top-cycling-offers.biz``      ``backlinksbot`` disallowed ``/``: fetch nothing
``www.bikeshop-discounts.shop`` ``Crawl-delay: 1``: one request a second at most
any host                        never fetch ``/private/...`` (listed in the sitemap)
=============================== ===================================================

``big.test`` (:class:`BigSite`) has ``pages`` pages ``/p/0`` ... with 10-20 links each, on
one host or spread over ``h0.big.test`` ...; its robots.txt allows everything.
"""

from __future__ import annotations

import contextlib
import gzip
import random
import re
from collections.abc import Iterable, Mapping
from typing import Final
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from backlinks.demo.catalogue import SITES
from backlinks.demo.model import SynthPage, SynthWeb
from backlinks.demo.wire import TEXT, Request, Response, html_page, not_found

__all__ = [
    "BIG_HOST",
    "PRIVATE_PAGE",
    "ROBOTS_SPECIAL",
    "BigSite",
    "RobotsRule",
    "SynthHosts",
    "default_robots",
]

#: A robots.txt rule: the body to serve (status 200), or a bare status code (404, 500...).
RobotsRule = str | int
#: Served on every synthetic host, listed in its sitemap, disallowed by its robots.txt.
PRIVATE_PAGE: Final = "/private/account.html"
#: Hosts (of the first catalogue sites, present in every web) whose robots.txt is special.
ROBOTS_SPECIAL: Final[dict[str, RobotsRule]] = {
    "best-bike-deals-2024.xyz": 404,  # no robots.txt: everything allowed
    "cheap-bike-reviews.top": 500,  # server error: treat as disallow-all
    "top-cycling-offers.biz": (
        "User-agent: backlinksbot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"
    ),
    "www.bikeshop-discounts.shop": "User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n",
}
BIG_HOST: Final = "big.test"
_SITEMAP_INDEX: Final = "/sitemap.xml"
_SITEMAP_PAGES: Final = "/sitemap-pages.xml.gz"


def default_robots(host: str, scheme: str = "http") -> RobotsRule:
    """The robots.txt rule of a synthetic host (:data:`ROBOTS_SPECIAL` or the default:
    everything but ``/private/``), with a ``Sitemap:`` line when it is a body."""
    rule = ROBOTS_SPECIAL.get(host, "User-agent: *\nDisallow: /private/\n")
    if isinstance(rule, int):
        return rule
    return f"{rule}\nSitemap: {scheme}://{host}{_SITEMAP_INDEX}\n"


def robots_response(rule: RobotsRule) -> Response:
    if isinstance(rule, int):
        return Response(rule, html_page(f"robots.txt: {rule}"))
    return Response(200, rule.encode(), TEXT)


def _host_forms(hosts: Iterable[str]) -> list[bytes]:
    """Each host as it may be written in a page: punycode, and Unicode in UTF-8 or Latin-1."""
    unicode = {s.host: s.host for s in SITES}
    forms: set[bytes] = set()
    for host in hosts:
        forms.add(host.encode())
        try:
            text = host.encode().decode("idna")
        except UnicodeError:
            continue
        for name in (text, unicode.get(text, text)):
            for codec in ("utf-8", "latin-1"):
                with contextlib.suppress(UnicodeEncodeError):
                    forms.add(name.encode(codec))
    return sorted(forms, key=len, reverse=True)


class SynthHosts:
    """Every host of a synthetic web. With ``scheme="http"`` (the default of the server)
    ``https://`` links, redirects and sitemap entries to the web's own hosts are rewritten to
    ``http://`` so a crawler whose every host resolves to the plain-HTTP loopback server can
    follow them; ``scheme="keep"`` serves the bytes unchanged."""

    def __init__(
        self,
        web: SynthWeb,
        *,
        scheme: str = "http",
        robots: Mapping[str, RobotsRule] | None = None,
    ) -> None:
        if scheme not in ("http", "keep"):
            raise ValueError(f"scheme must be 'http' or 'keep', not {scheme!r}")
        self.scheme = scheme
        self.pages: dict[tuple[str, str], SynthPage] = {}
        for page in web.pages:
            parts = urlsplit(page.url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            self.pages[((parts.hostname or "").lower(), target)] = page
        self.hosts = sorted({host for host, _ in self.pages})
        forms = b"|".join(re.escape(f) for f in _host_forms(self.hosts))
        self._https = re.compile(rb"https://(" + forms + rb")(?=[/:?#\"'\s<>]|$)", re.IGNORECASE)
        self._origin = {host: self._scheme_of(host) for host in self.hosts}
        self.robots = {host: default_robots(host, self._origin[host]) for host in self.hosts}
        self.robots.update(robots or {})

    def _scheme_of(self, host: str) -> str:
        if self.scheme == "http":
            return "http"
        ok = [p for (h, _), p in self.pages.items() if h == host and p.status == 200]
        return urlsplit(ok[0].url).scheme if ok else "http"

    def rewrite(self, data: bytes) -> bytes:
        """``data`` with ``https://`` of this web's hosts turned ``http://`` (``http`` mode)."""
        return data if self.scheme == "keep" else self._https.sub(rb"http://\1", data)

    def url(self, url: str) -> str:
        """The URL under which the server presents a page of the web (``http`` mode
        downgrades the scheme)."""
        return self.rewrite(url.encode()).decode()

    def handle(self, request: Request) -> Response:
        host, target = request.host, request.target
        if target == "/robots.txt" and host in self.robots:
            return robots_response(self.robots[host])
        if target == _SITEMAP_INDEX:
            loc = escape(f"{self._origin[host]}://{host}{_SITEMAP_PAGES}")
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns='
                '"http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"<sitemap><loc>{loc}</loc></sitemap>\n</sitemapindex>\n"
            )
            return Response(200, xml.encode(), "application/xml")
        if target == _SITEMAP_PAGES:
            return Response(200, gzip.compress(self.urlset(host), mtime=0), "application/gzip")
        if target == PRIVATE_PAGE:
            return Response(200, html_page("Members only (disallowed by robots.txt)"))
        page = self.pages.get((host, target))
        if page is None:
            return not_found(request)
        headers = [("Location", self.url(page.location))] if page.location else []
        return Response(page.status, self.rewrite(page.html), page.content_type, headers)

    def urlset(self, host: str) -> bytes:
        """The sitemap of ``host``: its 200 pages with their fetch dates, and the private
        page (which robots.txt disallows: a crawler must skip it)."""
        rows = [
            (self.url(p.url), p.fetched_at.date().isoformat())
            for (h, _), p in self.pages.items()
            if h == host and p.status == 200
        ]
        rows.append((f"{self._origin[host]}://{host}{PRIVATE_PAGE}", ""))
        items = "".join(
            f"<url><loc>{escape(loc)}</loc>"
            + (f"<lastmod>{mod}</lastmod>" if mod else "")
            + "</url>\n"
            for loc, mod in rows
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{items}</urlset>\n'
        ).encode()


class BigSite:
    """``big.test``: ``pages`` generated pages spread over ``hosts`` hosts (``big.test``
    itself when ``hosts`` is 1, else ``h0.big.test`` ... with ``big.test/`` linking to each
    host's first page). Page ``i`` is ``/p/i`` on host ``i % hosts``; it links to page
    ``i + 1`` (so all are reachable from page 0) and to others (10-20 links in all) chosen by a
    ``random.Random(i)`` skewed towards low numbers (a few popular pages). Nothing is stored:
    each page is rendered when asked, the same bytes every time."""

    def __init__(self, pages: int = 20_000, hosts: int = 1) -> None:
        if pages < 1 or hosts < 1:
            raise ValueError("big site needs at least one page and one host")
        self.size, self.shards = pages, hosts
        self.hosts = (
            [BIG_HOST] if hosts == 1 else [BIG_HOST, *(self.host_of(i) for i in range(hosts))]
        )

    def host_of(self, page: int) -> str:
        return BIG_HOST if self.shards == 1 else f"h{page % self.shards}.{BIG_HOST}"

    def url_of(self, page: int) -> str:
        return f"http://{self.host_of(page)}/p/{page}"

    def links_of(self, page: int) -> list[int]:
        """The page numbers ``page`` links to, in document order."""
        if self.size == 1:
            return []
        rng = random.Random(page)  # noqa: S311 - reproducible test data
        out = [(page + 1) % self.size]
        want = min(rng.randint(10, 20), self.size - 1)
        while len(out) < want:
            other = int(self.size * rng.random() ** 2)
            if other != page and other not in out:
                out.append(other)
        return out

    def render(self, page: int) -> bytes:
        host = self.host_of(page)
        hrefs = [
            f"/p/{j}" if self.host_of(j) == host else self.url_of(j) for j in self.links_of(page)
        ]
        text = f"<p>Page {page} of {self.size}. " + "Generated filler text. " * 40 + "</p>"
        return html_page(f"Big site page {page}", text, hrefs)

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/robots.txt":
            return Response(200, b"User-agent: *\nDisallow:\n", TEXT)
        if path == "/" and (request.host == BIG_HOST or self.shards == 1):
            firsts = [f"/p/{i}" for i in range(min(20, self.size))]
            if self.shards > 1:
                firsts = [self.url_of(i) for i in range(min(self.shards, self.size))]
            return Response(200, html_page("Big site", "", firsts))
        rest = path.removeprefix("/p/")
        if path.startswith("/p/") and rest.isdigit() and int(rest) < self.size:
            page = int(rest)
            if self.host_of(page) == request.host and rest == str(page):
                return Response(200, self.render(page))
        return not_found(request)
