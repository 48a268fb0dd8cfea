"""robots.txt as a policy: may this agent fetch this URL, how slowly, and where are the sitemaps.

Pure: bytes and a status code in, a :class:`RobotsPolicy` out; the fetcher does the network.

Backends, all behind :class:`RobotsPolicy`:

* :class:`ProtegoRobots` parses the file with Protego (RFC 9309 longest-match rules, ``*`` and
  ``$`` wildcards, group merging, ``Crawl-delay``, ``Request-rate``, ``Sitemap``);
* :class:`AllowAll` and :class:`DisallowAll` stand for a file that is unavailable or unreachable.

:func:`policy_from_response` picks the backend by RFC 9309 section 2.3.1:

* **2xx**: parse the body (at most :data:`MAX_ROBOTS_BYTES`, the 500 KiB the RFC lets a
  crawler stop at; a cut line is dropped rather than half-read);
* **3xx**: the fetcher follows up to five redirects itself (RFC 9309 2.3.1.2); a 3xx that
  still reaches this function means the limit was exceeded, read as "unavailable";
* **4xx** (401 and 403 included): "unavailable", everything is allowed;
* **429, 5xx, no response at all** (``status=None``): "unreachable", everything is
  disallowed. The crawler must retry the robots.txt later rather than cache this verdict
  for long (RFC 9309 2.3.1.4 allows treating a file unreachable for 30 days as unavailable,
  or keeping a cached copy). 429 is a 4xx but asks us to slow down, so like Google we read
  it as a server error.

Agents are matched by **product token**: ``"backlinksbot/0.1 (+https://…)"`` is matched as
``backlinksbot`` (see :func:`agent_token`), case-insensitively and exactly, as RFC 9309
section 2.2.1 asks; when no group names the token, the ``*`` group applies, and with no ``*``
group everything is allowed. ``User-agent`` values in the file are read as Google's parser
reads them: up to the first character outside ``[A-Za-z0-9_-]`` (``Foo Bar`` and
``OutfoxBot/0.5`` name ``Foo`` and ``OutfoxBot``), with ``* anything`` still the global group.
(Digits are a widening of the RFC's ``[A-Za-z_-]``: ``MJ12bot`` stays ``MJ12bot``.) Only
``Allow``/``Disallow`` lines end a run of ``User-agent`` lines, as in Google's parser: other
records between them (``Crawl-delay``, unknown lines) do not split the group.
The ``/robots.txt`` URL itself is always allowed (RFC 9309 2.2.2).

URLs passed to :meth:`RobotsPolicy.allowed` should be canonical (``backlinks.urls``): paths are
compared percent-encoded, as the RFC requires.
"""

from __future__ import annotations

import codecs
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from protego import Protego

from backlinks.urls import canonicalize

__all__ = [
    "MAX_ROBOTS_BYTES",
    "AllowAll",
    "DisallowAll",
    "ProtegoRobots",
    "RequestRate",
    "RobotsPolicy",
    "agent_token",
    "decode_robots",
    "policy_from_response",
    "robots_url",
]

#: Bytes of a robots.txt that are read; RFC 9309 2.5 requires at least 500 KiB.
MAX_ROBOTS_BYTES: Final = 500 * 1024

# RFC 9309 product tokens are [A-Za-z_-]; digits are allowed too, as real crawlers carry them
# (MJ12bot, 360Spider) and Google's stricter reading would merge bot1 and bot2 into "bot".
_TOKEN_RE: Final = re.compile(r"\s*([A-Za-z0-9_-]*)")
# A user-agent line as Protego recognises one ("User-agent:", "useragent", "user agent"),
# separated from its value by a colon or whitespace; the value stops at a comment.
_UA_LINE_RE: Final = re.compile(r"^\s*user(?:-|\s)?agent\s*(?::|(?=\s))\s*([^#]*)", re.IGNORECASE)
# An allow or disallow line (with the misspellings Protego and Google accept): it ends a
# run of user-agent lines, even with an empty value.
_RULE_LINE_RE: Final = re.compile(
    r"^\s*(?:allow|disallow|dissallow|dissalow|disalow|diasllow|disallaw)\s*(?::|\s|$)",
    re.IGNORECASE,
)
_CHARSET_RE: Final = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_GROUP_PREFIX: Final = "agent-"  # see _prepare


@dataclass(frozen=True, slots=True)
class RequestRate:
    """``Request-rate: 1/5s``: at most ``requests`` fetches per ``seconds``."""

    requests: int
    seconds: int

    @property
    def interval(self) -> float:
        """Seconds to wait between two fetches."""
        return self.seconds / self.requests


def agent_token(user_agent: str) -> str:
    """The product token of a User-Agent header: its leading ``[A-Za-z0-9_-]`` characters
    (``"backlinksbot/0.1 (+https://…)"`` -> ``"backlinksbot"``); ``""`` if it has none."""
    match = _TOKEN_RE.match(user_agent)
    return match.group(1) if match else ""


def robots_url(url: str) -> str:
    """The robots.txt URL governing ``url``: ``scheme://host[:port]/robots.txt``.

    Raises ``ValueError`` when ``url`` is not an http(s) URL."""
    canonical = canonicalize(url)
    if canonical is None:
        raise ValueError(f"not an http(s) URL: {url[:200]!r}")
    parts = urlsplit(canonical)
    authority = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{authority}/robots.txt"


def _is_robots_txt(url: str) -> bool:
    try:
        return urlsplit(url).path == "/robots.txt"
    except ValueError:
        return False


class RobotsPolicy(ABC):
    """What a host's robots.txt lets an agent do. ``agent`` may be a full User-Agent header:
    only its product token is matched. Implementations never raise on any ``str``."""

    #: Why this policy applies ("parsed", "unavailable (404)", "unreachable (503)"...).
    reason: str = ""

    @abstractmethod
    def allowed(self, url: str, agent: str) -> bool:
        """May ``agent`` fetch ``url``?"""

    @abstractmethod
    def crawl_delay(self, agent: str) -> float | None:
        """The ``Crawl-delay`` in seconds for ``agent``, or ``None`` when none is given."""

    def request_rate(self, agent: str) -> RequestRate | None:
        """The ``Request-rate`` for ``agent``, or ``None`` when none is given."""
        return None

    @property
    def sitemaps(self) -> list[str]:
        """Canonical sitemap URLs the file lists, in order, without duplicates."""
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r})"


class AllowAll(RobotsPolicy):
    """Everything is allowed: the robots.txt is unavailable (4xx) or empty."""

    def __init__(self, reason: str = "allow all") -> None:
        self.reason = reason

    def allowed(self, url: str, agent: str) -> bool:
        return True

    def crawl_delay(self, agent: str) -> float | None:
        return None


class DisallowAll(RobotsPolicy):
    """Nothing but the robots.txt itself is allowed: the file is unreachable (5xx, 429, no
    response). The crawler retries the robots.txt later instead of keeping this for long."""

    def __init__(self, reason: str = "disallow all") -> None:
        self.reason = reason

    def allowed(self, url: str, agent: str) -> bool:
        return _is_robots_txt(url)

    def crawl_delay(self, agent: str) -> float | None:
        return None


def _prepare(text: str) -> tuple[str, frozenset[str]]:
    """Rewrite robots.txt text so that Protego groups it as RFC 9309 (and Google) do.

    * Each user-agent value becomes the product token it names (Google's reading; ``*``
      stays ``*``), written with the prefix :data:`_GROUP_PREFIX`; the tokens are returned,
      lower-cased and without it. (Protego scores a group by the length of its name and
      keeps the first of equal scores, so a one-letter group ``a`` would tie with ``*``.)
    * Lines inside a run of user-agent lines that are neither user-agent nor rule lines
      (``Crawl-delay``, ``Sitemap``, unknown records) move to just after the run: "other
      records MUST NOT interfere" with grouping (RFC 9309 2.2.4), while Protego would let
      them end the run and split one group in two.
    """
    out: list[str] = []
    held: list[str] = []  # other records met inside the current user-agent run
    in_run = False
    tokens: set[str] = set()
    for line in text.splitlines():
        match = _UA_LINE_RE.match(line)
        if match is not None:
            value = match.group(1).strip()
            if value.startswith("*") and (len(value) == 1 or value[1].isspace()):
                token = "*"
            else:
                token = agent_token(value)
            tokens.add(token.lower())
            named = _GROUP_PREFIX + token if token and token != "*" else token
            out.append(f"User-agent: {named}")
            in_run = True
        elif _RULE_LINE_RE.match(line) is not None:
            out.extend(held)
            held.clear()
            out.append(line)
            in_run = False
        elif in_run and line.split("#", 1)[0].strip():
            held.append(line)
        else:
            out.append(line)
    out.extend(held)
    return "\n".join(out), frozenset(tokens)


class ProtegoRobots(RobotsPolicy):
    """A parsed robots.txt, matched by Protego.

    ``url`` (the robots.txt URL) resolves relative ``Sitemap:`` lines; sitemap values that are
    not http(s) URLs are dropped and counted in :attr:`dropped_sitemaps`. :attr:`truncated`
    says the body was cut at :data:`MAX_ROBOTS_BYTES`.
    """

    def __init__(self, text: str, *, url: str | None = None, truncated: bool = False) -> None:
        prepared, self._groups = _prepare(text)
        self._parser = Protego.parse(prepared)
        self._agents: dict[str, str] = {}
        self.reason = "parsed"
        self.truncated = truncated
        self.dropped_sitemaps = 0
        seen: dict[str, None] = {}
        for value in self._parser.sitemaps:
            canonical = canonicalize(value, url)
            if canonical is None:
                self.dropped_sitemaps += 1
            else:
                seen.setdefault(canonical)
        self._sitemaps = list(seen)

    @classmethod
    def from_text(cls, text: str, *, url: str | None = None) -> ProtegoRobots:
        """Parse robots.txt text (already decoded)."""
        return cls(text, url=url)

    def _query_agent(self, agent: str) -> str:
        """The name to ask Protego about: the prefixed product token when a group names it
        exactly, else ``""`` (which only the ``*`` group matches). Protego alone would also
        match a group ``foo`` for the token ``foobot``."""
        name = self._agents.get(agent)
        if name is None:
            token = agent_token(agent).lower()
            name = _GROUP_PREFIX + token if token in self._groups and token != "*" else ""
            if len(self._agents) < 64:
                self._agents[agent] = name
        return name

    def allowed(self, url: str, agent: str) -> bool:
        if _is_robots_txt(url):
            return True
        try:
            return self._parser.can_fetch(url, self._query_agent(agent))
        except ValueError:  # a URL urllib cannot split (e.g. a bad IPv6 literal)
            return False

    def crawl_delay(self, agent: str) -> float | None:
        return self._parser.crawl_delay(self._query_agent(agent))

    def request_rate(self, agent: str) -> RequestRate | None:
        rate = self._parser.request_rate(self._query_agent(agent))
        if rate is None:
            return None
        return RequestRate(rate.requests, rate.seconds)

    @property
    def sitemaps(self) -> list[str]:
        return list(self._sitemaps)


def _strip_bom(body: bytes) -> tuple[bytes, str | None]:
    """Remove a byte-order mark; return the rest and the encoding it names. A UTF-8 BOM cut
    to one or two bytes is removed too (Google's parser does the same)."""
    if body.startswith(_UTF8_BOM):
        return body[3:], "utf-8"
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body[2:], "utf-16-le" if body[0] == 0xFF else "utf-16-be"
    for cut in (2, 1):
        # A partial BOM, unless the bytes go on as a valid UTF-8 character.
        nxt = body[cut : cut + 1]
        if body[:cut] == _UTF8_BOM[:cut] and not (nxt and 0x80 <= nxt[0] <= 0xBF):
            return body[cut:], None
    return body, None


def _declared_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _CHARSET_RE.search(content_type)
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1)).name
    except LookupError:
        return None


def decode_robots(body: bytes, content_type: str | None = None) -> str:
    """Decode a robots.txt body: a BOM decides (UTF-8, UTF-16 LE/BE); else UTF-8 (RFC 9309
    2.3); else the ``charset`` of ``content_type`` when it names a known codec; else UTF-8
    with undecodable bytes replaced. Never raises."""
    rest, encoding = _strip_bom(body)
    if encoding is not None:
        return rest.decode(encoding, "replace")
    try:
        return rest.decode("utf-8")
    except UnicodeDecodeError:
        charset = _declared_charset(content_type)
        return rest.decode(charset or "utf-8", "replace")


def policy_from_response(
    status: int | None,
    body: bytes,
    content_type: str | None = None,
    *,
    url: str | None = None,
) -> RobotsPolicy:
    """The policy for a fetched robots.txt (RFC 9309 2.3.1; see the module docstring).

    ``status`` is the final HTTP status after the fetcher followed redirects, or ``None`` when
    no response came back (DNS failure, refused connection, timeout). ``url`` is the
    robots.txt URL, used to resolve relative sitemap URLs.
    """
    if status is None:
        return DisallowAll("unreachable (no response)")
    if 200 <= status < 300:
        truncated = len(body) > MAX_ROBOTS_BYTES
        text = decode_robots(body[:MAX_ROBOTS_BYTES], content_type)
        if truncated:
            # Drop the line the cap cut through: half a path would widen a rule.
            text = text[: max(text.rfind("\n"), text.rfind("\r"), 0)]
        return ProtegoRobots(text, url=url, truncated=truncated)
    if status == 429 or status >= 500:
        return DisallowAll(f"unreachable ({status})")
    if 300 <= status < 500:
        return AllowAll(f"unavailable ({status})")
    return DisallowAll(f"unreachable ({status})")  # 1xx or nonsense: not a usable answer
