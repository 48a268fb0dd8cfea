"""Unit tests of the URL model (:mod:`backlinks.urls`): the canonical form, host, registrable
domain, SURT and stable ids. Peer suites are in ``test_urls_conformance.py``, properties in
``test_urls_robust.py``."""

from __future__ import annotations

import struct

import pytest
import xxhash

from backlinks import urls
from backlinks.urls import (
    canonicalize,
    domain_of,
    host_of,
    is_non_web,
    registrable_domain,
    stable_id,
    surt,
    url_id,
)

BASE = "https://www.example.com/dir/page.html?x=1#top"


class TestTrackingParams:
    @pytest.mark.parametrize(
        "name",
        ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id"],
    )
    def test_utm_parameters_are_dropped(self, name: str) -> None:
        assert canonicalize(f"https://a.com/p?id=7&{name}=x&b=2") == "https://a.com/p?id=7&b=2"

    @pytest.mark.parametrize("name", sorted(urls.TRACKING_PARAMS))
    def test_listed_click_ids_are_dropped(self, name: str) -> None:
        assert canonicalize(f"https://a.com/p?{name}=abc") == "https://a.com/p"

    def test_other_prefixes(self) -> None:
        got = canonicalize("https://a.com/?pk_campaign=x&mtm_source=y&hsa_acc=1&q=1")
        assert got == "https://a.com/?q=1"

    def test_order_and_other_params_are_kept(self) -> None:
        got = canonicalize("https://a.com/s?q=shoes&gclid=1&page=2&fbclid=3&sort=asc")
        assert got == "https://a.com/s?q=shoes&page=2&sort=asc"

    def test_names_are_case_sensitive(self) -> None:
        assert canonicalize("https://a.com/?UTM_SOURCE=x") == "https://a.com/?UTM_SOURCE=x"
        assert canonicalize("https://a.com/?Gclid=x") == "https://a.com/?Gclid=x"

    def test_similar_names_are_kept(self) -> None:
        assert canonicalize("https://a.com/?utmost=1&ref=2") == "https://a.com/?utmost=1&ref=2"

    def test_escaped_tracking_name_is_dropped_on_first_pass(self) -> None:
        # %5F is "_": the name is decoded before it is matched, so the result is idempotent.
        assert canonicalize("https://a.com/?utm%5Fsource=x&q=1") == "https://a.com/?q=1"

    def test_empty_query_and_empty_pairs_go(self) -> None:
        assert canonicalize("https://a.com/?") == "https://a.com/"
        assert canonicalize("https://a.com/?utm_source=x") == "https://a.com/"
        assert canonicalize("https://a.com/?&a=1&&b=2&") == "https://a.com/?a=1&b=2"

    def test_value_without_name_is_kept(self) -> None:
        assert canonicalize("https://a.com/?=1&a") == "https://a.com/?=1&a"


class TestFragment:
    def test_fragment_is_dropped(self) -> None:
        assert canonicalize("https://a.com/p?q=1#section-2") == "https://a.com/p?q=1"

    def test_fragment_only_href_is_the_base_page(self) -> None:
        assert canonicalize("#top", BASE) == "https://www.example.com/dir/page.html?x=1"

    def test_escaped_hash_stays_in_path(self) -> None:
        assert canonicalize("https://a.com/a%23b#c") == "https://a.com/a%23b"


class TestPercentEncoding:
    def test_unreserved_escapes_are_decoded(self) -> None:
        got = canonicalize("https://a.com/%7Euser/%41%62%2D%2E%5F%30?q=%7e")
        assert got == "https://a.com/~user/Ab-._0?q=~"

    def test_reserved_escapes_are_kept_upper_case(self) -> None:
        got = canonicalize("https://a.com/a%2fb%3a?x=a%26b%3d%2b")
        assert got == "https://a.com/a%2Fb%3A?x=a%26b%3D%2B"

    def test_non_ascii_is_utf8_escaped(self) -> None:
        assert canonicalize("https://a.com/café?q=é") == "https://a.com/caf%C3%A9?q=%C3%A9"
        assert canonicalize("https://a.com/caf%c3%a9") == "https://a.com/caf%C3%A9"

    def test_space_and_controls_are_escaped(self) -> None:
        assert canonicalize("https://a.com/a b\x01c") == "https://a.com/a%20b%01c"

    def test_stray_percent_becomes_25(self) -> None:
        assert canonicalize("https://a.com/90%+off?q=100%") == "https://a.com/90%25+off?q=100%25"
        assert canonicalize("https://a.com/p%zz%2") == "https://a.com/p%25zz%252"

    def test_decoding_never_creates_a_new_escape(self) -> None:
        # "%%36%31": decoding "%36%31" alone would leave "%61", which a second pass decodes.
        assert canonicalize("https://a.com/%%36%31") == "https://a.com/%2561"

    def test_tabs_and_newlines_are_removed(self) -> None:
        assert canonicalize("https://a.com/a\tb\nc\r") == "https://a.com/abc"

    def test_backslash_is_a_slash(self) -> None:
        assert canonicalize("https:\\\\a.com\\x\\y") == "https://a.com/x/y"


class TestHostAndPort:
    def test_scheme_and_host_are_lower_cased(self) -> None:
        assert canonicalize("HTTPS://WWW.Example.COM/Path") == "https://www.example.com/Path"

    @pytest.mark.parametrize(
        ("href", "expected"),
        [
            ("https://bücher.de/", "https://xn--bcher-kva.de/"),
            ("https://München.example/x", "https://xn--mnchen-3ya.example/x"),
            ("https://例え.テスト/", "https://xn--r8jz45g.xn--zckzah/"),
            ("http://%e2%98%83.net", "http://xn--n3h.net/"),
            ("https://xn--bcher-kva.de/", "https://xn--bcher-kva.de/"),
            ("https://faß.de/", "https://xn--fa-hia.de/"),
        ],
    )
    def test_idna_hosts_become_punycode(self, href: str, expected: str) -> None:
        assert canonicalize(href) == expected

    def test_invalid_idna_is_rejected(self) -> None:
        assert canonicalize("https://a<b.com/") is None
        assert canonicalize("https://ex ample.com/") is None
        assert canonicalize("https://a%2Xb.com/") is None

    def test_ignored_code_points_are_mapped_away(self) -> None:
        assert canonicalize("https://ex\u00adample.com/") == "https://example.com/"

    @pytest.mark.parametrize(
        ("href", "expected"),
        [
            ("http://a.com:80/", "http://a.com/"),
            ("https://a.com:443/", "https://a.com/"),
            ("http://a.com:443/", "http://a.com:443/"),
            ("https://a.com:80/", "https://a.com:80/"),
            ("https://a.com:/", "https://a.com/"),
            ("https://a.com:008080/", "https://a.com:8080/"),
        ],
    )
    def test_default_port_is_removed(self, href: str, expected: str) -> None:
        assert canonicalize(href) == expected

    def test_bad_port_is_rejected(self) -> None:
        assert canonicalize("https://a.com:99999/") is None
        assert canonicalize("https://a.com:8a/") is None

    def test_ip_hosts(self) -> None:
        assert canonicalize("http://3279880203/blah") == "http://195.127.0.11/blah"
        assert canonicalize("http://0x7f.1/") == "http://127.0.0.1/"
        assert canonicalize("http://[0:0::1]:8080/") == "http://[::1]:8080/"
        assert canonicalize("http://1.2.3.256/") is None

    def test_userinfo_is_kept(self) -> None:
        assert canonicalize("https://u:p@a.com/") == "https://u:p@a.com/"

    def test_trailing_dot_is_kept_in_the_host(self) -> None:
        # WHATWG keeps it; the registrable domain drops it (see TestRegistrableDomain).
        assert canonicalize("https://a.com./") == "https://a.com./"


class TestPathAndResolution:
    @pytest.mark.parametrize(
        ("href", "expected"),
        [
            ("https://a.com/a/./b/../c", "https://a.com/a/c"),
            ("https://a.com/../../x", "https://a.com/x"),
            ("https://a.com/a/%2e%2E/b", "https://a.com/b"),
            ("https://a.com/a/b/..", "https://a.com/a/"),
            ("https://a.com", "https://a.com/"),
            ("https://a.com//double//slash", "https://a.com//double//slash"),
        ],
    )
    def test_dot_segments(self, href: str, expected: str) -> None:
        assert canonicalize(href) == expected

    @pytest.mark.parametrize(
        ("href", "expected"),
        [
            ("other.html", "https://www.example.com/dir/other.html"),
            ("../up.html", "https://www.example.com/up.html"),
            ("/root", "https://www.example.com/root"),
            ("//cdn.example.net/x.js", "https://cdn.example.net/x.js"),
            ("?y=2", "https://www.example.com/dir/page.html?y=2"),
            ("", "https://www.example.com/dir/page.html?x=1"),
            ("  sp.html  ", "https://www.example.com/dir/sp.html"),
            ("http://other.org", "http://other.org/"),
            ("https:other.html", "https://www.example.com/dir/other.html"),
            # Another special scheme without slashes still names an authority.
            ("HTTP:other.html", "http://other.html/"),
        ],
    )
    def test_relative_hrefs_resolve_against_the_base(self, href: str, expected: str) -> None:
        assert canonicalize(href, BASE) == expected

    def test_relative_href_without_base_is_rejected(self) -> None:
        assert canonicalize("page.html") is None
        assert canonicalize("www.example.com") is None
        assert canonicalize("/root") is None

    def test_invalid_base_resolves_nothing(self) -> None:
        assert canonicalize("page.html", "not a url") is None
        assert canonicalize("https://a.com/", "not a url") is None

    def test_empty_base_means_no_base(self) -> None:
        assert canonicalize("https://a.com/", "") == "https://a.com/"


class TestNonWeb:
    @pytest.mark.parametrize(
        "href",
        [
            "javascript:void(0)",
            "mailto:a@b.c",
            "tel:+123",
            "data:text/html,hi",
            "ftp://ftp.example.com/f",
            "file:///etc/passwd",
            "ws://a.com/",
            "about:blank",
            "urn:isbn:123",
        ],
    )
    def test_non_http_schemes_are_rejected(self, href: str) -> None:
        assert canonicalize(href) is None
        assert canonicalize(href, BASE) is None

    @pytest.mark.parametrize(
        ("href", "expected"),
        [
            ("javascript:void(0)", True),
            ("  JavaScript:x", True),
            ("\x00\x01mailto:a@b.c", True),
            ("java\tscript:alert(1)", True),
            ("java\nscript:alert(1)", True),
            ("tel:1", True),
            ("https://a.com/", False),
            ("/relative:path", False),
            ("page.html", False),
            ("gopher://x", False),
            ("\u00a0javascript:x", False),  # NBSP is not stripped by WHATWG: a relative URL
            ("", False),
        ],
    )
    def test_is_non_web(self, href: str, *, expected: bool) -> None:
        assert is_non_web(href) is expected


class TestLength:
    def test_long_href_is_rejected(self) -> None:
        assert canonicalize("https://a.com/" + "a" * 9000) is None

    def test_long_result_is_rejected(self) -> None:
        # 1000 characters that each escape to 9 ("€" -> %E2%82%AC): 9 KB of output.
        assert canonicalize("https://a.com/" + "€" * 1000) is None
        assert canonicalize("https://a.com/" + "€" * 800) is not None


class TestHostOf:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("https://www.example.com/a", "www.example.com"),
            ("https://u:p@example.com:8080/a?b", "example.com"),
            ("https://example.com?q", "example.com"),
            ("http://[::1]:8080/", "[::1]"),
            ("http://1.2.3.4/", "1.2.3.4"),
            ("https://a.com./", "a.com."),
            ("no-slashes", ""),
            ("", ""),
        ],
    )
    def test_host_of(self, url: str, expected: str) -> None:
        assert host_of(url) == expected


class TestRegistrableDomain:
    @pytest.mark.parametrize(
        ("host", "expected"),
        [
            ("www.example.com", "example.com"),
            ("example.com", "example.com"),
            ("a.b.example.co.uk", "example.co.uk"),
            ("WWW.Example.COM", "example.com"),
            ("www.example.com.", "example.com"),
            ("com", "com"),
            ("co.uk", "co.uk"),
            ("localhost", "localhost"),
            ("xn--bcher-kva.de", "xn--bcher-kva.de"),
            ("www.xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn"),
        ],
    )
    def test_icann_section(self, host: str, expected: str) -> None:
        assert registrable_domain(host) == expected

    @pytest.mark.parametrize(
        ("host", "expected"),
        [
            ("foo.blogspot.com", "foo.blogspot.com"),
            ("a.foo.blogspot.com", "foo.blogspot.com"),
            ("user.github.io", "user.github.io"),
            ("x.user.github.io", "user.github.io"),
            ("blogspot.com", "blogspot.com"),
            ("app.herokuapp.com", "app.herokuapp.com"),
        ],
    )
    def test_private_section(self, host: str, expected: str) -> None:
        assert registrable_domain(host) == expected

    @pytest.mark.parametrize("host", ["1.2.3.4", "192.168.0.1", "[::1]", "[2001:db8::1]"])
    def test_ip_addresses_are_their_own_domain(self, host: str) -> None:
        assert registrable_domain(host) == host

    def test_hosts_the_list_cannot_place(self) -> None:
        assert registrable_domain("") == ""
        assert registrable_domain("...") == "..."
        assert registrable_domain("a..example.com") == "a..example.com"

    def test_domain_of(self) -> None:
        assert domain_of("https://news.bbc.co.uk/x") == "bbc.co.uk"
        assert domain_of("http://10.0.0.1:8080/") == "10.0.0.1"


class TestSurt:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("https://www.example.com/a?b=1", "com,example)/a?b=1"),
            ("http://example.com/", "com,example)/"),
            ("http://www2.example.com/", "com,example)/"),
            ("http://sub.example.co.uk/x/y", "uk,co,example,sub)/x/y"),
            ("http://example.com:8080/p", "com,example:8080)/p"),
            ("http://u:p@example.com:81/", "com,example:81)/"),
            ("http://1.2.3.4/", "4,3,2,1)/"),
            ("http://[::1]/", "[::1])/"),
            ("http://[::1]:8080/x", "[::1]:8080)/x"),
            ("http://wwwexample.com/", "com,wwwexample)/"),
        ],
    )
    def test_surt(self, url: str, expected: str) -> None:
        assert surt(url) == expected

    def test_sorts_by_domain(self) -> None:
        hosts = ["http://b.example.com/", "http://example.org/", "http://a.example.com/"]
        keys = sorted(surt(u) for u in hosts)
        assert keys == ["com,example,a)/", "com,example,b)/", "org,example)/"]


class TestStableIds:
    def test_known_value_of_the_xxh64_spec(self) -> None:
        # XXH64("", seed 0) = 0xEF46DB3751D8E999, published with the xxHash reference code.
        assert stable_id("") == struct.unpack(">q", bytes.fromhex("ef46db3751d8e999"))[0]

    def test_known_value_of_a_url(self) -> None:
        text = "https://example.com/"
        unsigned = xxhash.xxh64_intdigest(text.encode("utf-8"))
        expected = int.from_bytes(unsigned.to_bytes(8, "big"), "big", signed=True)
        assert stable_id(text) == expected == -6625428494627397169

    def test_signed_int64_range(self) -> None:
        values = [stable_id(f"https://example.com/{i}") for i in range(2000)]
        assert all(-(2**63) <= v < 2**63 for v in values)
        assert any(v < 0 for v in values)
        assert any(v > 0 for v in values)
        assert len(set(values)) == len(values)

    def test_deterministic_and_aliased(self) -> None:
        assert stable_id("example.com") == stable_id("example.com") == 2919382032883266185
        assert url_id("https://example.com/") == stable_id("https://example.com/")

    def test_non_ascii_and_surrogates(self) -> None:
        assert stable_id("bücher.de") == stable_id("bücher.de")
        assert isinstance(stable_id("\ud800"), int)
