"""Disavow files: Google's format read back with every malformed line reported, written
safely (attacker-controlled reasons cannot start a new entry), and applied to links."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlinks.quality.disavow import (
    MAX_LINES,
    comment_text,
    parse_disavow,
    read_disavow,
    write_disavow,
)

GOOD = """\
# Links we asked to remove on 2024-05-01
domain:spam-farm.xyz
domain:Cheap-Bike-Reviews.TOP
domain:münchen-links.de
https://blog.example.com/page-with-paid-links.html
http://forum.example.org/thread?id=12&utm_source=x

"""


def test_reads_domains_and_urls() -> None:
    parsed = parse_disavow(GOOD)
    assert parsed.problems == []
    assert len(parsed.domains) == 3
    assert "spam-farm.xyz" in parsed.domains
    assert "cheap-bike-reviews.top" in parsed.domains  # lower-cased
    assert any(d.startswith("xn--") for d in parsed.domains)  # IDN to punycode
    assert "https://blog.example.com/page-with-paid-links.html" in parsed.urls
    assert "http://forum.example.org/thread?id=12" in parsed.urls  # canonical: utm_ dropped
    assert len(parsed) == 5
    assert parsed.lines == 7


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("domain:", "empty domain"),
        ("domain:http://spam.xyz", "no scheme or path"),
        ("domain:spam.xyz/path", "no scheme or path"),
        ("domain:spam xyz.com", "whitespace"),
        ("domain:192.168.1.1", "IP address"),
        ("domain:localhost", "single label"),
        ("spam-farm.xyz", "write 'domain:'"),
        ("ftp://files.example.com/x", "neither"),
        ("https://example.com/a # spam", "own line"),
        ("https://exa mple.com/", "not a valid URL"),
        ("https://" + "a" * 3000 + ".com/", "longer than"),
        ("just some words", "neither"),
    ],
)
def test_reports_malformed_lines(line: str, reason: str) -> None:
    parsed = parse_disavow(f"domain:ok.example\n{line}\nhttps://fine.example/page\n")
    assert len(parsed.problems) == 1, parsed.problems
    problem = parsed.problems[0]
    assert problem.line == 2
    assert reason in problem.reason
    assert parsed.domains == {"ok.example"}  # the good lines around it are kept
    assert parsed.urls == {"https://fine.example/page"}


def test_duplicates_and_limits() -> None:
    parsed = parse_disavow("domain:a.com\ndomain:A.com\nhttps://b.com/x\nhttps://b.com/x#frag\n")
    assert [p.reason for p in parsed.problems] == ["duplicate entry", "duplicate entry"]
    big = "\n".join(f"domain:d{i}.com" for i in range(MAX_LINES + 3))
    parsed = parse_disavow(big)
    assert len(parsed.domains) == MAX_LINES
    assert sum("beyond" in p.reason for p in parsed.problems) == 3


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "d.txt"
    path.write_bytes(b"domain:caf\xe9.com\ndomain:ok.com\n")
    parsed = read_disavow(path)
    assert "not UTF-8" in parsed.problems[0].reason
    assert "ok.com" in parsed.domains


def test_covers_subdomains_and_urls() -> None:
    parsed = parse_disavow(GOOD)
    assert parsed.covers("https://x.spam-farm.xyz/a", "x.spam-farm.xyz")
    assert parsed.covers("https://spam-farm.xyz/", "spam-farm.xyz")
    assert not parsed.covers("https://notspam-farm.xyz/", "notspam-farm.xyz")
    assert parsed.covers("https://blog.example.com/page-with-paid-links.html", "blog.example.com")
    assert not parsed.covers("https://blog.example.com/other", "blog.example.com")


def test_written_file_reads_back_and_resists_injection() -> None:
    evil = "anchor “buy now”\ndomain:victim.com\r\nhttps://victim.com/\u2028x"
    text = write_disavow(
        [("spam-farm.xyz", evil)],
        [("https://blog.example.com/p.html", "score 80: paid\nlink")],
        header=["for example.com"],
    )
    parsed = parse_disavow(text)
    assert parsed.problems == []
    assert parsed.domains == {"spam-farm.xyz"}
    assert parsed.urls == {"https://blog.example.com/p.html"}
    assert all(line.startswith(("#", "domain:", "https://")) for line in text.splitlines())


@given(st.text(max_size=400))
def test_comment_text_is_one_line(text: str) -> None:
    out = comment_text(text)
    assert "\n" not in out
    assert "\r" not in out
    assert "\u2028" not in out
    assert len(out) <= 300
    assert parse_disavow(f"# {out}\n").problems == []
