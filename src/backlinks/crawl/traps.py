"""Crawler-trap guards and scope: small pure checks, each with a reason name that the crawl
summary counts (Scrapy-style: count what you drop)."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from backlinks import urls
from backlinks.crawl.config import CrawlConfig


def trap_reason(url: str, cfg: CrawlConfig) -> str | None:
    """Why ``url`` looks like a crawler trap, or None: URL length, path depth, a path
    segment repeated (``/a/a/a/``), or a query-parameter explosion."""
    if len(url) > cfg.max_url_length:
        return "trap_url_length"
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > cfg.max_path_depth:
        return "trap_path_depth"
    if segments and max(Counter(segments).values()) > cfg.max_repeated_segment:
        return "trap_repeated_segment"
    if parts.query and parts.query.count("&") + 1 > cfg.max_query_params:
        return "trap_query_params"
    return None


class Scope:
    """Which URLs a crawl follows, from its seeds and settings."""

    def __init__(self, seeds: list[str], cfg: CrawlConfig) -> None:
        self.mode = cfg.scope
        self.hosts = {urls.host_of(s) for s in seeds}
        self.domains = {urls.registrable_domain(h) for h in self.hosts}
        self.domains |= {d.lower().strip(".") for d in cfg.allowed_domains}

    def inside(self, url: str) -> bool:
        """True for URLs the crawl expands (fetches and follows the links of)."""
        host = urls.host_of(url)
        if self.mode == "host":
            return host in self.hosts
        return urls.registrable_domain(host) in self.domains

    def accepts(self, url: str, from_inside: bool) -> tuple[bool, bool]:
        """(fetch it, follow its links): with scope ``external``, an outside page linked from
        inside is fetched (one hop) but its links are not followed."""
        if self.inside(url):
            return True, True
        if self.mode == "external" and from_inside:
            return True, False
        return False, False
