"""robots.txt policies: one contract for every backend, RFC 9309 semantics for every parser
backend, status codes, decoding, agent tokens and crawler-commons' real-world fixtures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar, Final

import pytest

from backlinks.crawl.robots import (
    MAX_ROBOTS_BYTES,
    AllowAll,
    DisallowAll,
    ProtegoRobots,
    RequestRate,
    RobotsPolicy,
    agent_token,
    decode_robots,
    policy_from_response,
    robots_url,
)
from datapaths import SHARED_DATA

DATA: Final = Path(os.environ.get("BACKLINKS_ROBOTSTXT_TESTS", SHARED_DATA / "robotstxt-tests"))
CC: Final = DATA / "crawler-commons-robots"
CC_FILES: Final = sorted(CC.glob("*.txt")) if CC.is_dir() else []
needs_cc = pytest.mark.skipif(not CC_FILES, reason=f"crawler-commons fixtures not found at {CC}")

UA: Final = "backlinksbot/0.1 (+https://github.com/backlinks)"
SITE: Final = "https://example.com"
HOSTILE_URLS: Final = (
    "",
    "not a url",
    "http://[::1",
    "http://example.com/%zz%",
    "http://example.com/\x00\ud800",
    SITE + "/" + "a" * 100_000,
    "mailto:someone@example.com",
)


# --- the contract every policy keeps ---------------------------------------------------------


class PolicyContract:
    """What any :class:`RobotsPolicy` guarantees, whatever its backend."""

    def policy(self) -> RobotsPolicy:
        raise NotImplementedError

    def test_is_a_policy_with_a_reason(self) -> None:
        policy = self.policy()
        assert isinstance(policy, RobotsPolicy)
        assert policy.reason
        assert type(policy).__name__ in repr(policy)

    @pytest.mark.parametrize("url", HOSTILE_URLS)
    def test_never_raises_on_any_url(self, url: str) -> None:
        assert isinstance(self.policy().allowed(url, UA), bool)

    @pytest.mark.parametrize("agent", ["", " ", "*", "ツ", UA, "x" * 10_000])
    def test_never_raises_on_any_agent(self, agent: str) -> None:
        policy = self.policy()
        assert isinstance(policy.allowed(SITE + "/page", agent), bool)
        delay = policy.crawl_delay(agent)
        assert delay is None or delay >= 0
        rate = policy.request_rate(agent)
        assert rate is None or (rate.requests > 0 and rate.seconds > 0)

    def test_robots_txt_itself_is_always_allowed(self) -> None:
        assert self.policy().allowed(SITE + "/robots.txt", UA)

    def test_full_user_agent_reads_as_its_product_token(self) -> None:
        policy = self.policy()
        for path in ("/", "/private/x", "/public/x"):
            assert policy.allowed(SITE + path, UA) == policy.allowed(SITE + path, "backlinksbot")
        assert policy.crawl_delay(UA) == policy.crawl_delay("BACKLINKSBOT")

    def test_sitemaps_are_absolute_http_urls_and_a_copy(self) -> None:
        policy = self.policy()
        sitemaps = policy.sitemaps
        assert all(s.startswith(("http://", "https://")) for s in sitemaps)
        sitemaps.append("https://evil.example/")
        assert "https://evil.example/" not in policy.sitemaps


class TestAllowAllContract(PolicyContract):
    def policy(self) -> RobotsPolicy:
        return AllowAll()

    def test_allows_everything(self) -> None:
        assert self.policy().allowed(SITE + "/private/x", UA)
        assert self.policy().crawl_delay(UA) is None
        assert self.policy().sitemaps == []


class TestDisallowAllContract(PolicyContract):
    def policy(self) -> RobotsPolicy:
        return DisallowAll()

    def test_disallows_everything_but_robots_txt(self) -> None:
        policy = self.policy()
        assert not policy.allowed(SITE + "/", UA)
        assert policy.allowed(SITE + "/robots.txt?x=1#frag", UA)
        assert not policy.allowed(SITE + "/robots.txt/x", UA)
        assert policy.sitemaps == []


SAMPLE: Final = """\
User-agent: *
Disallow: /private/
Crawl-delay: 2
Sitemap: https://example.com/sitemap.xml

User-agent: backlinksbot
Disallow: /private/
Allow: /private/open/
Crawl-delay: 1.5
Request-rate: 3/10s
"""


class TestProtegoContract(PolicyContract):
    def policy(self) -> RobotsPolicy:
        return ProtegoRobots(SAMPLE, url=SITE + "/robots.txt")

    def test_sample_facts(self) -> None:
        policy = self.policy()
        assert not policy.allowed(SITE + "/private/x", UA)
        assert policy.allowed(SITE + "/private/open/x", UA)
        assert policy.crawl_delay(UA) == 1.5
        assert policy.crawl_delay("otherbot") == 2
        assert policy.request_rate(UA) == RequestRate(3, 10)
        assert policy.request_rate("otherbot") is None
        assert policy.sitemaps == ["https://example.com/sitemap.xml"]


# --- RFC 9309 semantics, for every parsing backend -----------------------------------------


class ParserContract:
    """RFC 9309 behaviour a parsing backend must show. Subclass per backend."""

    backend: ClassVar[type[ProtegoRobots]]

    def parse(self, text: str, url: str | None = SITE + "/robots.txt") -> RobotsPolicy:
        return self.backend.from_text(text, url=url)

    def allowed(self, text: str, path: str, agent: str = UA) -> bool:
        return self.parse(text).allowed(SITE + path, agent)

    @pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "garbage without rules"])
    def test_empty_or_ruleless_file_allows_all(self, text: str) -> None:
        assert self.allowed(text, "/anything")

    def test_matching_group_applies_and_others_are_free(self) -> None:
        text = "User-agent: backlinksbot\nDisallow: /\n"
        assert not self.allowed(text, "/x")
        assert self.allowed(text, "/x", "otherbot")

    def test_star_group_is_the_fallback_and_a_specific_group_replaces_it(self) -> None:
        text = "User-agent: *\nDisallow: /a/\n\nUser-agent: backlinksbot\nDisallow: /b/\n"
        assert self.allowed(text, "/a/x")
        assert not self.allowed(text, "/b/x")
        assert not self.allowed(text, "/a/x", "otherbot")
        assert self.allowed(text, "/b/x", "otherbot")

    def test_longest_match_wins_and_allow_wins_a_tie(self) -> None:
        text = "User-agent: *\nDisallow: /x/\nAllow: /x/page\nDisallow: /y\nAllow: /y\n"
        assert self.allowed(text, "/x/page.html")
        assert not self.allowed(text, "/x/other")
        assert self.allowed(text, "/y/z")

    def test_wildcards(self) -> None:
        text = "User-agent: *\nDisallow: /*.gif$\nDisallow: /*?\nDisallow: /a/*/c\n"
        assert not self.allowed(text, "/img/x.gif")
        assert self.allowed(text, "/img/x.gif2")
        assert not self.allowed(text, "/page?q=1")
        assert self.allowed(text, "/page")
        assert not self.allowed(text, "/a/b/c")
        assert self.allowed(text, "/a/c")

    def test_names_are_case_insensitive_and_paths_case_sensitive(self) -> None:
        text = "USER-AGENT: BacklinksBot\nDISALLOW: /Private/\n"
        assert not self.allowed(text, "/Private/x")
        assert self.allowed(text, "/private/x")

    def test_groups_for_the_same_agent_are_merged(self) -> None:
        text = (
            "User-agent: backlinksbot\nDisallow: /a/\n\n"
            "User-agent: other\nDisallow: /c/\n\n"
            "User-agent: BACKLINKSBOT\nDisallow: /b/\n"
        )
        assert not self.allowed(text, "/a/x")
        assert not self.allowed(text, "/b/x")
        assert self.allowed(text, "/c/x")

    def test_consecutive_user_agents_share_a_group(self) -> None:
        text = "User-agent: abot\nUser-agent: backlinksbot\nDisallow: /x/\n"
        assert not self.allowed(text, "/x/1")
        assert not self.allowed(text, "/x/1", "abot")

    @pytest.mark.parametrize(
        "other", ["Crawl-delay: 5", "Sitemap: https://example.com/s.xml", "Unknown-Thing: 1"]
    )
    def test_other_records_do_not_split_a_group(self, other: str) -> None:
        # RFC 9309 2.2.4; Google's ID_LineSyntax_Groups_OtherRules.
        text = f"User-agent: abot\n{other}\nUser-agent: backlinksbot\nDisallow: /\n"
        assert not self.allowed(text, "/x", "abot")
        assert not self.allowed(text, "/x")

    def test_crawl_delay_inside_a_user_agent_run_applies_to_the_whole_group(self) -> None:
        policy = self.parse("User-agent: abot\nCrawl-delay: 7\nUser-agent: bbot\nDisallow: /p/\n")
        assert policy.crawl_delay("abot") == policy.crawl_delay("bbot") == 7

    def test_rules_outside_any_group_are_ignored(self) -> None:
        text = "Disallow: /x/\n\nUser-agent: other\nDisallow: /\n"
        assert self.allowed(text, "/x/1")

    def test_agent_matching_is_by_exact_product_token(self) -> None:
        text = "User-agent: backlinks\nDisallow: /\n\nUser-agent: *\nDisallow: /star/\n"
        # "backlinks" is not "backlinksbot": the * group applies, not the prefix.
        assert self.allowed(text, "/x")
        assert not self.allowed(text, "/star/x")
        assert not self.allowed(text, "/x", "backlinks/2.0")

    def test_one_letter_product_token_beats_the_star_group(self) -> None:
        text = "User-agent: *\nDisallow: /\n\nUser-agent: a\nDisallow: /a-only/\n"
        assert self.allowed(text, "/x", "a")
        assert not self.allowed(text, "/a-only/x", "a/1.0")
        assert not self.allowed(text, "/x", "b")

    def test_user_agent_values_read_up_to_the_product_token(self) -> None:
        text = "User-agent: BacklinksBot/0.1 extra words\nDisallow: /\n"
        assert not self.allowed(text, "/x")
        text = "User-agent: * and more\nDisallow: /\n"
        assert not self.allowed(text, "/x", "anybot")

    def test_crawl_delay(self) -> None:
        policy = self.parse(
            "User-agent: *\nCrawl-delay: 0.25\nDisallow:\n\n"
            "User-agent: abot\nCrawl-delay: soon\nDisallow:\n\n"
            "User-agent: bbot\nCrawl-delay: -3\nDisallow:\n"
        )
        assert policy.crawl_delay(UA) == 0.25
        assert policy.crawl_delay("abot") is None
        assert policy.crawl_delay("bbot") is None

    def test_request_rate(self) -> None:
        policy = self.parse("User-agent: *\nRequest-rate: 1/5\n")
        rate = policy.request_rate(UA)
        assert rate == RequestRate(1, 5)
        assert rate is not None
        assert rate.interval == 5.0

    def test_sitemaps_resolved_deduplicated_and_counted(self) -> None:
        text = (
            "Sitemap: /sitemap.xml\n"
            "User-agent: *\nDisallow:\n"
            "sitemap: https://example.com/sitemap.xml\n"
            "Sitemap: https://Example.com/news.xml#frag\n"
            "Sitemap: ftp://example.com/s.xml\n"
            "Sitemap: javascript:alert(1)\n"
        )
        policy = self.parse(text)
        assert policy.sitemaps == [
            "https://example.com/sitemap.xml",
            "https://example.com/news.xml",
        ]
        assert isinstance(policy, ProtegoRobots)
        assert policy.dropped_sitemaps == 2

    def test_relative_sitemap_without_a_base_is_dropped(self) -> None:
        policy = self.parse("Sitemap: /s.xml\nSitemap: https://a.example/s.xml\n", url=None)
        assert policy.sitemaps == ["https://a.example/s.xml"]

    @pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
    def test_line_endings(self, eol: str) -> None:
        text = eol.join(["User-agent: *", "Disallow: /x/", "", "Crawl-delay: 3"]) + eol
        policy = self.parse(text)
        assert not policy.allowed(SITE + "/x/1", UA)
        assert policy.crawl_delay(UA) == 3

    def test_comments(self) -> None:
        text = "User-agent: * # everyone\n# Disallow: /\nDisallow: /x/ # not y\n"
        assert self.allowed(text, "/y")
        assert not self.allowed(text, "/x/1")

    def test_non_ascii_rule_matches_the_percent_encoded_url(self) -> None:
        text = "User-agent: *\nDisallow: /ツ/\n"
        assert not self.allowed(text, "/%E3%83%84/page")

    def test_missing_colon_is_accepted(self) -> None:
        # Google-specific, and Protego agrees (ID_LineSyntax_Line).
        assert not self.allowed("user-agent backlinksbot\ndisallow /\n", "/x")


class TestProtegoParser(ParserContract):
    backend = ProtegoRobots


# --- status codes (RFC 9309 2.3.1) ------------------------------------------------------------

RULES: Final = b"User-agent: *\nDisallow: /private/\n"


@pytest.mark.parametrize("status", [200, 203, 206])
def test_success_is_parsed(status: int) -> None:
    policy = policy_from_response(status, RULES, "text/plain")
    assert isinstance(policy, ProtegoRobots)
    assert policy.reason == "parsed"
    assert not policy.allowed(SITE + "/private/x", UA)
    assert policy.allowed(SITE + "/public", UA)


@pytest.mark.parametrize("status", [301, 308, 400, 401, 403, 404, 410, 451])
def test_unavailable_allows_all(status: int) -> None:
    policy = policy_from_response(status, RULES, "text/html")
    assert isinstance(policy, AllowAll)
    assert str(status) in policy.reason
    assert policy.allowed(SITE + "/private/x", UA)


@pytest.mark.parametrize("status", [None, 100, 429, 500, 502, 503, 504, 599])
def test_unreachable_disallows_all(status: int | None) -> None:
    policy = policy_from_response(status, RULES, None)
    assert isinstance(policy, DisallowAll)
    assert "unreachable" in policy.reason
    assert not policy.allowed(SITE + "/public", UA)
    assert policy.allowed(SITE + "/robots.txt", UA)


def test_html_soft_404_with_status_200_allows_all() -> None:
    body = b"<!doctype html><html><body><h1>Not found</h1></body></html>"
    assert policy_from_response(200, body, "text/html").allowed(SITE + "/x", UA)


def test_body_is_capped_at_500_kib_and_the_cut_line_dropped() -> None:
    head = b"User-agent: *\nDisallow: /a/\n"
    pad = b"#" * (MAX_ROBOTS_BYTES - len(head) - len(b"Disallow: /")) + b"\n"
    # The cap falls inside "/private/": reading "Disallow: /" would block everything.
    body = head + pad[:-1] + b"\nDisallow: /private/\nDisallow: /late/\n"
    assert len(head + pad[:-1] + b"\nDisallow: /") == MAX_ROBOTS_BYTES + 1
    policy = policy_from_response(200, body, "text/plain")
    assert isinstance(policy, ProtegoRobots)
    assert policy.truncated
    assert not policy.allowed(SITE + "/a/x", UA)
    assert policy.allowed(SITE + "/b", UA)
    assert policy.allowed(SITE + "/late/x", UA)
    small = policy_from_response(200, RULES, "text/plain")
    assert isinstance(small, ProtegoRobots)
    assert not small.truncated


def test_policy_from_response_resolves_sitemaps_against_url() -> None:
    policy = policy_from_response(
        200, b"Sitemap: /s.xml\n", "text/plain", url="https://example.com:8443/robots.txt"
    )
    assert policy.sitemaps == ["https://example.com:8443/s.xml"]


# --- decoding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbfUser-Agent: foo\nAllow: /AnyValue\n",
        b"\xef\xbbUser-Agent: foo\nAllow: /AnyValue\n",  # partial BOMs (Google skips them)
        b"\xefUser-Agent: foo\nAllow: /AnyValue\n",
        "User-Agent: foo\nAllow: /AnyValue\n".encode("utf-16"),
        b"\xfe\xff" + "User-Agent: foo\nAllow: /AnyValue\n".encode("utf-16-be"),
    ],
)
def test_byte_order_marks_are_skipped(body: bytes) -> None:
    assert decode_robots(body) == "User-Agent: foo\nAllow: /AnyValue\n"


def test_bom_rules_apply() -> None:
    body = b"\xef\xbb\xbfUser-agent: backlinksbot\nDisallow: /x/\n"
    assert not policy_from_response(200, body, "text/plain").allowed(SITE + "/x/1", UA)


def test_broken_bom_spoils_only_the_first_line() -> None:
    # Google's ID_UTF8ByteOrderMarkIsSkipped: "\xEF\x11\xBF" is garbage, not a BOM.
    text = decode_robots(b"\xef\x11\xbfUser-Agent: foo\nAllow: /AnyValue\n")
    assert not text.startswith("User-Agent")
    assert text.endswith("\nAllow: /AnyValue\n")


def test_a_valid_character_is_not_taken_for_a_partial_bom() -> None:
    assert decode_robots("ｕ\n".encode()) == "ｕ\n"  # U+FF55 starts with 0xEF 0xBD


def test_declared_charset_is_used_when_utf8_fails() -> None:
    body = "Disallow: /café/\n".encode("latin-1")
    assert decode_robots(body, "text/plain; charset=ISO-8859-1") == "Disallow: /café/\n"
    assert decode_robots(body, "text/plain; charset=nonsense") == "Disallow: /caf\ufffd/\n"
    assert decode_robots(body, None) == "Disallow: /caf\ufffd/\n"
    # Valid UTF-8 wins over a wrong declaration.
    assert decode_robots("/café".encode(), "text/plain; charset=latin-1") == "/café"


def test_sitemap_may_appear_anywhere() -> None:
    # Google's ID_NonStandardLineExample_Sitemap.
    tail = "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\n"
    for text in (
        tail + "Sitemap: http://foo.bar/sitemap.xml\n",
        "Sitemap: http://foo.bar/sitemap.xml\n" + tail,
    ):
        assert ProtegoRobots(text).sitemaps == ["http://foo.bar/sitemap.xml"]


# --- agent tokens and robots.txt URLs ------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "token"),
    [
        (UA, "backlinksbot"),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", "Googlebot"),
        ("Foo_Bar-baz", "Foo_Bar-baz"),
        ("  padded/1", "padded"),
        ("Foo Bar", "Foo"),
        ("MJ12bot/v1.4.8", "MJ12bot"),
        ("ツbot", ""),
        ("", ""),
        ("*", ""),
    ],
)
def test_agent_token(user_agent: str, token: str) -> None:
    assert agent_token(user_agent) == token


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a/b?c#d", "https://example.com/robots.txt"),
        ("HTTP://User:pw@Example.COM:8080/x", "http://example.com:8080/robots.txt"),
        ("https://example.com:443/", "https://example.com/robots.txt"),
        ("http://[::1]:8000/p", "http://[::1]:8000/robots.txt"),
        ("http://bücher.example/", "http://xn--bcher-kva.example/robots.txt"),
    ],
)
def test_robots_url(url: str, expected: str) -> None:
    assert robots_url(url) == expected


@pytest.mark.parametrize("url", ["mailto:a@b.c", "/relative", "ftp://example.com/", ""])
def test_robots_url_rejects_non_http(url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        robots_url(url)


# --- crawler-commons fixtures (real robots.txt files) --------------------------------------


def _cc(name: str) -> RobotsPolicy:
    return policy_from_response(
        200, (CC / name).read_bytes(), "text/plain", url="http://example.com/robots.txt"
    )


@needs_cc
@pytest.mark.parametrize("path", CC_FILES, ids=[p.name for p in CC_FILES])
def test_crawler_commons_fixture_parses(path: Path) -> None:
    policy = _cc(path.name)
    assert isinstance(policy, ProtegoRobots)
    for url in ("http://example.com/", "http://example.com/a/b?c=d", *HOSTILE_URLS):
        assert isinstance(policy.allowed(url, UA), bool)
    assert all(s.startswith("http") for s in policy.sitemaps)


def _verdicts(policy: RobotsPolicy, checks: list[tuple[str, str]]) -> list[bool]:
    return [policy.allowed("http://example.com" + path, agent) for agent, path in checks]


@needs_cc
def test_cc_rfc9309_simple_example() -> None:
    policy = _cc("rfc9309-example-simple-robots.txt")
    checks = [
        ("foobot", "/example/page.html"),
        ("foobot", "/example/allowed.gif"),
        ("foobot", "/other"),
        ("barbot", "/example/page.html"),
        ("bazbot", "/example/page.html"),
        ("quxbot", "/anything.gif"),
        ("otherbot", "/x.gif"),
        ("otherbot", "/example/x"),
        ("otherbot", "/publications/x"),
    ]
    assert _verdicts(policy, checks) == [True, True, False, False, False, True, False, False, True]


@needs_cc
def test_cc_rfc9309_group_merging_and_longest_match() -> None:
    merging = _cc("rfc9309-example-rule-group-merging.txt")
    checks = [("ExampleBot", "/foo"), ("ExampleBot", "/baz"), ("BazBot", "/foo"), ("x", "/baz")]
    assert _verdicts(merging, checks) == [False, False, True, True]
    longest = _cc("rfc9309-example-longest-match-robots.txt")
    checks = [("foobot", "/example/page/disallowed.gif"), ("foobot", "/example/page/ok")]
    assert _verdicts(longest, checks) == [False, True]


@needs_cc
def test_cc_crawl_delay_group_merging() -> None:
    policy = _cc("crawl-delay-group-merging.txt")
    # mybot and yourbot share the first group: its Crawl-delay does not split it.
    assert policy.crawl_delay("mybot") == policy.crawl_delay("yourbot") == 10
    assert policy.crawl_delay("otherbot") == 30  # the two * groups merge
    checks = [("mybot", "/private/x"), ("yourbot", "/login/x"), ("otherbot", "/private/x")]
    assert _verdicts(policy, checks) == [False, False, True]


@needs_cc
def test_cc_extensions_group_merging() -> None:
    policy = _cc("extensions-group-merging.txt")
    assert policy.request_rate("mybot") == RequestRate(10, 60)
    assert policy.request_rate("otherbot") == RequestRate(30, 60)
    checks = [
        ("mybot", "/private/x"),
        ("mybot", "/login/x"),  # Clean-Param inside the run keeps mybot with yourbot
        ("yourbot", "/login/x"),
        ("otherbot", "/llms.txt"),
        ("otherbot", "/x"),
    ]
    assert _verdicts(policy, checks) == [False, False, False, True, False]


@needs_cc
@pytest.mark.parametrize(
    "name",
    ["robots-with-utf8-bom.txt", "robots-with-utf16le-bom.txt", "robots-with-utf16be-bom.txt"],
)
def test_cc_byte_order_marks(name: str) -> None:
    policy = _cc(name)
    checks = [("anybot", "/login.aspx"), ("Googlebot", "/a/output/print"), ("anybot", "/x")]
    assert _verdicts(policy, checks) == [False, False, True]
    assert policy.sitemaps == ["http://www.newsweek.com/sitemap_index.xml"]


@needs_cc
def test_cc_sitemaps() -> None:
    assert _cc("sitemap-robots.txt").sitemaps == [
        "http://domain.com/sitemap.xml",
        "http://domain.com/dir/MixedCased-sitemap.xml",  # case kept; a bare URL line is no record
    ]
    assert _cc("sitemap-robots-dedup.txt").sitemaps == ["http://example.org/sitemap.xml"]
    assert _cc("relative-sitemap-robots.txt").sitemaps == ["http://example.com/sitemap.xml"]
    assert _cc("format-errors-robots.txt").sitemaps == ["http://example.com/sitemap.xml"]


@needs_cc
def test_cc_real_sites() -> None:
    twitter = _cc("twitter.com-robots.txt")
    assert twitter.crawl_delay("Slurp") == 1
    assert twitter.crawl_delay("msnbot") == 10
    assert twitter.crawl_delay("Googlebot") is None  # commented out
    assert _verdicts(twitter, [(UA, "/a?b"), (UA, "/u/with_friends"), (UA, "/u")]) == [
        False,
        False,
        True,
    ]
    amazon = _cc("astore.amazon.com-robots.txt")
    assert amazon.crawl_delay(UA) == 5
    assert amazon.request_rate(UA) == RequestRate(1, 5)
    assert _verdicts(_cc("wildcards.txt"), [(UA, "/gp/cart"), (UA, "/x/gcrnsts")]) == [False, False]
    assert _cc("dos-line-endings.txt").crawl_delay(UA) == 1


@needs_cc
def test_cc_many_user_agents_with_versions() -> None:
    policy = _cc("many-user-agents.txt")
    # "User-agent: OutfoxBot/0.5" names the product token OutfoxBot.
    checks = [("OutfoxBot", "/"), ("BlackWidow/1.0", "/"), (UA, "/")]
    assert _verdicts(policy, checks) == [False, False, True]


@needs_cc
def test_cc_format_errors_and_typos() -> None:
    errors = _cc("format-errors-robots.txt")
    checks = [
        ("bot1", "/whitespace-before-colon/"),
        ("bot1", "/no-colon/"),
        ("bot2", "/no-colon-useragent/"),
        ("bot3", "/whitespace-before-colon"),
        ("bot3", "/else"),
    ]
    assert _verdicts(errors, checks) == [False, False, False, True, False]
    typos = _cc("directive-typos-robots.txt")
    checks = [
        ("bot1", "/dissalow/"),  # a known misspelling is read as Disallow
        ("bot2", "/useragent/"),
        ("bot4", "/useragent-no-colon/"),
        ("bot3", "/useg-agent/"),  # "useg-agent" is no user-agent line: rule is outside groups
    ]
    assert _verdicts(typos, checks) == [False, False, False, True]


@needs_cc
def test_cc_precedence_and_merge_rules() -> None:
    precedence = _cc("precedence-of-rules.txt")
    checks = [("testy", "/foo/bar"), ("testy", "/foo/baz"), ("wget", "/foo"), ("wget", "/x")]
    assert _verdicts(precedence, checks) == [True, False, True, False]
    merge = _cc("merge-rules.txt")
    tmp_bar = "/tmp/bar"  # noqa: S108  # a URL path from the fixture, not a file
    checks = [("wget", "/foo/bar"), ("wget", tmp_bar), ("other", "/foo/bar"), ("curl", "/")]
    # wget: "Allow: /foo/bar" ties "Disallow: /foo/bar" of the merged group; allow wins.
    assert _verdicts(merge, checks) == [True, False, False, False]
