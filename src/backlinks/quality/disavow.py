"""Google's disavow file: read one (reporting every malformed line), write one, and tell
whether a link is disavowed by it.

The format (Search Console help, "Disavow links to your site"): a UTF-8 or 7-bit ASCII text
file, one entry per line — ``domain:example.com`` disavows every link from that domain and
its subdomains, a full URL disavows links from that one page — and ``#`` starts a comment
line. Google accepts at most 100,000 lines and 2 MB. Anything else on a line is an error
Google would reject, so :func:`parse_disavow` reports it with its line number and skips it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from backlinks import urls
from backlinks.graph.build import Exclusion
from backlinks.store.db import Store

__all__ = [
    "MAX_BYTES",
    "MAX_LINES",
    "DisavowFile",
    "Problem",
    "comment_text",
    "exclusion_of",
    "parse_disavow",
    "read_disavow",
    "write_disavow",
]

#: Google's limits on one disavow file.
MAX_LINES: Final = 100_000
MAX_BYTES: Final = 2 * 1024 * 1024
#: Longest URL line accepted (longer ones are almost surely pasted junk).
MAX_URL: Final = 2048
_LABEL: Final = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$")
_COMMENT_JUNK: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True, slots=True)
class Problem:
    """One line Google would reject: its number (from 1), text and why."""

    line: int
    text: str
    reason: str


@dataclass(slots=True)
class DisavowFile:
    """The entries of a disavow file: ``domains`` (lower-case, punycode) and ``urls``
    (canonical), plus the ``problems`` found while reading it."""

    domains: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    lines: int = 0

    def __len__(self) -> int:
        return len(self.domains) + len(self.urls)

    def covers(self, src_url: str, src_host: str) -> bool:
        """Whether a link from page ``src_url`` on ``src_host`` is disavowed: the URL is
        listed, or the host is a listed domain or one of its subdomains."""
        if src_url in self.urls:
            return True
        host = src_host
        while host:
            if host in self.domains:
                return True
            host = host.partition(".")[2]
        return False

    def covered_hosts(self, hosts: Iterable[str]) -> set[str]:
        """The hosts among ``hosts`` that a ``domain:`` line covers."""
        return {h for h in hosts if self.covers("", h)}


def _domain_entry(value: str) -> tuple[str | None, str]:
    """The canonical host of a ``domain:`` value, or None and why it is malformed."""
    if not value:
        return None, "empty domain after 'domain:'"
    if "://" in value or "/" in value:
        return None, "domain: takes a bare domain (no scheme or path)"
    if any(c.isspace() for c in value):
        return None, "whitespace inside the domain"
    url = urls.canonicalize(f"http://{value}/")
    if url is None:
        return None, "not a valid domain name"
    host = urls.host_of(url).rstrip(".")
    if ":" in host or "." not in host or host.replace(".", "").isdigit():
        return None, "not a domain name (an IP address or a single label)"
    if not all(_LABEL.match(part) for part in host.split(".")):
        return None, "not a valid domain name"
    return host, ""


def parse_disavow(text: str) -> DisavowFile:
    """Entries and problems of a disavow file's text (see the module docstring)."""
    out = DisavowFile()
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        out.problems.append(Problem(0, "", f"file is larger than Google's {MAX_BYTES:,} bytes"))
    text = text.removeprefix("\ufeff")
    for number, raw in enumerate(text.splitlines(), start=1):
        out.lines = number
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if number > MAX_LINES:
            out.problems.append(Problem(number, line, f"beyond Google's {MAX_LINES:,} lines"))
            continue
        if line.lower().startswith("domain:"):
            host, why = _domain_entry(line[7:].strip())
            if host is None:
                out.problems.append(Problem(number, line, why))
            elif host in out.domains:
                out.problems.append(Problem(number, line, "duplicate entry"))
            else:
                out.domains.add(host)
            continue
        if re.search(r"\s#", line):
            out.problems.append(Problem(number, line, "comments must be on their own line"))
            continue
        if len(line) > MAX_URL:
            out.problems.append(Problem(number, line[:80], f"URL longer than {MAX_URL} chars"))
            continue
        if not re.match(r"(?i)^https?://", line):
            reason = (
                "a bare domain: write 'domain:' before it"
                if "/" not in line and "." in line
                else "neither 'domain:…' nor an http(s) URL"
            )
            out.problems.append(Problem(number, line, reason))
            continue
        url = urls.canonicalize(line)
        if url is None or any(c.isspace() for c in line):
            out.problems.append(Problem(number, line, "not a valid URL"))
        elif url in out.urls:
            out.problems.append(Problem(number, line, "duplicate entry"))
        else:
            out.urls.add(url)
    return out


def read_disavow(path: str | Path) -> DisavowFile:
    """Read and parse a disavow file; bytes that are not UTF-8 are a reported problem."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
        bad = False
    except UnicodeDecodeError:
        text, bad = data.decode("utf-8", "replace"), True
    parsed = parse_disavow(text)
    if bad:
        parsed.problems.insert(0, Problem(0, "", "file is not UTF-8 (Google needs UTF-8/ASCII)"))
    return parsed


def comment_text(text: str, limit: int = 300) -> str:
    """Text made safe for one ``#`` comment line: no line breaks or control characters
    (anchor text is attacker-controlled and must not start a new entry), capped."""
    flat = _COMMENT_JUNK.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def write_disavow(
    domains: Iterable[tuple[str, str]],
    pages: Iterable[tuple[str, str]],
    *,
    header: Iterable[str] = (),
) -> str:
    """A disavow file: ``header`` comment lines, then each ``(domain, reason)`` as a
    ``# reason`` comment and a ``domain:`` line, then each ``(url, reason)`` likewise."""
    out = [f"# {comment_text(h)}" for h in header]
    for domain, why in domains:
        if why:
            out.append(f"# {comment_text(why)}")
        out.append(f"domain:{domain}")
    for url, why in pages:
        if why:
            out.append(f"# {comment_text(why)}")
        out.append(comment_text(url, MAX_URL).replace(" ", "%20"))
    return "\n".join(out) + "\n"


def exclusion_of(store: Store, disavowed: DisavowFile) -> Exclusion:
    """The store's source pages and hosts a disavow file covers, as a graph exclusion
    (a ``domain:`` line covers the domain and every subdomain)."""
    url_ids = frozenset(urls.stable_id(u) for u in disavowed.urls)
    host_ids: set[int] = set()
    if disavowed.domains:
        rows = store.con.execute(
            "SELECT host_id FROM hosts, unnest(?::VARCHAR[]) AS t(d) "
            "WHERE host = d OR ends_with(host, '.' || d)",
            [sorted(disavowed.domains)],
        ).fetchall()
        host_ids = {int(r[0]) for r in rows}
        host_ids |= {urls.stable_id(d) for d in disavowed.domains}
    return Exclusion(url_ids, frozenset(host_ids))
