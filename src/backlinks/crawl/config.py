"""Crawl settings: one dataclass with every limit, its default and why it exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Scope = Literal["host", "domain", "domains", "external"]
DEFAULT_USER_AGENT = "backlinksbot/0.1 (+https://github.com/backlinks)"


@dataclass(slots=True)
class CrawlConfig:
    """Everything a crawl can be told. Defaults are those of a polite, small crawler."""

    max_pages: int = 1000  # pages fetched in this crawl (robots.txt and sitemaps excluded)
    max_depth: int = 5  # link hops from a seed
    scope: Scope = "domain"  # host | domain | domains (the seeds' + allowed_domains) | external
    allowed_domains: tuple[str, ...] = ()
    concurrency: int = 16  # requests in flight, all hosts together
    per_host: int = 2  # requests in flight per host
    delay: float = 0.5  # seconds between requests to one host (robots Crawl-delay wins if longer)
    user_agent: str = DEFAULT_USER_AGENT
    warc_dir: str | None = None
    resolve: dict[str, str] = field(default_factory=dict)  # host (or "*") -> ip[:port]
    allow_private: bool = False  # fetch private, loopback and link-local addresses
    sitemaps: bool = True  # read the sitemaps that robots.txt lists (Sitemap: lines)
    max_response_bytes: int = 20 * 1024 * 1024  # on the wire
    max_decoded_bytes: int = 50 * 1024 * 1024  # after gzip/deflate/brotli: bombs stop here
    ttfb_timeout: float = 15.0  # connect + first byte
    total_timeout: float = 60.0  # one response, start to end
    retries: int = 3  # on 429/503/connection errors, with backoff
    max_retry_after: float = 120.0  # longest Retry-After honoured; longer means give up
    max_url_length: int = 2048
    max_path_depth: int = 16
    max_repeated_segment: int = 3
    max_query_params: int = 12
    host_budget: int = 5000  # pages per host in one crawl
    max_redirects: int = 5  # per chain, counted from the first URL
    keep_text: bool = True
    commit_every: int = 50  # pages per store transaction
