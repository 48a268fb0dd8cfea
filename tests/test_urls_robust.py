"""Properties of :mod:`backlinks.urls` under hypothesis: nothing raises on any text (surrogates,
NUL, huge strings included), the canonical form is idempotent and always http(s), and the
helpers agree with the WHATWG parser on canonical URLs."""

from __future__ import annotations

import ada_url
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from backlinks.urls import (
    canonicalize,
    domain_of,
    host_of,
    is_non_web,
    registrable_domain,
    stable_id,
    surt,
)

#: Every code point, lone surrogates and controls included.
ANY_CHAR = st.characters(codec=None, categories=None, exclude_characters="")
ANY_TEXT = st.text(alphabet=ANY_CHAR, max_size=200)

# --- URL-ish inputs: the pieces parsers trip over -------------------------------------------

_SCHEMES = ["http://", "https://", "HTTP://", "http:", "https:/", "//", "", "ftp://", "mailto:"]
_SCHEMES += ["javascript:", " http://", "\thttps://", "h\ttp://", "https:\\\\"]
_HOST_LABELS = ["example", "www", "com", "co", "uk", "xn--bcher-kva", "bücher", "例え", "ß"]
_HOST_LABELS += ["", "0x7f", "1", "255", "256", "09", "%2e", "%41", "a%zz", "localhost"]
_HOST_LABELS += ["EXAMPLE", "a-b", "-x", "\u00ad", "\u200b", "xn--", "☃"]
_HOSTS = st.one_of(
    st.lists(st.sampled_from(_HOST_LABELS), min_size=1, max_size=4).map(".".join),
    st.sampled_from(
        ["[::1]", "[2001:db8::1]", "[::ffff:1.2.3.4]", "[1:2", "1.2.3.4", "4294967295"]
    ),
)
_SEGMENTS = ["a", "b.html", ".", "..", "%2e", "%2E%2e", ".%2e", "", "%7E", "%7e", "%41", "%2F"]
_SEGMENTS += ["%", "%%36%31", "%2", "%zz", "%25", "é", "a b", "\\", "\x00", "\t", "?", "#"]
_SEGMENTS += ["@", ":", ";p", "[x]", "{}", "|", "^", "`", '"', "<>", "\ud800", "\U0001f600"]
_PARAMS = ["utm_source=x", "utm%5Fmedium=y", "gclid=1", "fbclid", "q=1", "a=%7e", "", "=1"]
_PARAMS += ["b=%zz", "x=%%36%31", "c=é", "d=a+b", "e=%26", "UTM_SOURCE=z", "pk_x=1", "&", "?"]


@st.composite
def url_ish(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(_SCHEMES))
    userinfo = draw(st.sampled_from(["", "u@", "u:p@", ":@", "a%41:b@", "@"]))
    host = draw(_HOSTS)
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":", ":0", ":99999", ":x"]))
    path = "/".join(draw(st.lists(st.sampled_from(_SEGMENTS), max_size=6)))
    query = "&".join(draw(st.lists(st.sampled_from(_PARAMS), max_size=4)))
    mark = draw(st.sampled_from(["", "?", "??"]))
    frag = draw(st.sampled_from(["", "#", "#x", "#a#b"]))
    noise = draw(st.text(alphabet=ANY_CHAR, max_size=3))
    return f"{scheme}{userinfo}{host}{port}/{path}{mark}{query}{frag}{noise}"


_BASES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "https://www.example.com/dir/page.html?x=1#f",
            "http://a.b.example.co.uk:8080/",
            "https://[::1]/a/b/",
            "http://xn--bcher-kva.de/%7Ea/",
            "not a url",
            "mailto:x@y.z",
            "",
        ]
    ),
)
_RELATIVE = st.one_of(
    st.lists(st.sampled_from(_SEGMENTS + _PARAMS), max_size=6).map("/".join),
    st.sampled_from(["", "?", "#x", "//other.org/x", "../..", "?utm_source=1&a=2"]),
)

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- never raise ----------------------------------------------------------------------------


@PROPERTY
@given(href=ANY_TEXT, base=st.one_of(st.none(), ANY_TEXT, _BASES))
@example(href="\x00", base=None)
@example(href="\ud800", base="https://a.com/")
@example(href="x", base="https://a.com/\udfff")
@example(href="http://\x00/", base=None)
def test_nothing_raises_on_any_text(href: str, base: str | None) -> None:
    url = canonicalize(href, base)
    assert url is None or url.startswith(("http://", "https://"))
    is_non_web(href)
    for text in (href, url or ""):
        host = host_of(text)
        surt(text)
        registrable_domain(host)
        registrable_domain(text)
        domain_of(text)
        stable_id(text)


@pytest.mark.parametrize(
    "text",
    [
        "https://a.com/" + "a" * 1_000_000,
        "a" * 1_000_000,
        "%" * 100_000,
        "\ud800" * 100_000,
        "\x00" * 100_000,
        "https://" + "a." * 100_000 + "com/",
        "https://a.com/?" + "utm_source=1&" * 50_000,
    ],
)
def test_huge_inputs(text: str) -> None:
    assert canonicalize(text) is None
    _check_canonical(canonicalize("x", text))  # a huge base may still give a short URL
    _check_canonical(canonicalize(text, "https://a.com/"))
    is_non_web(text)
    surt(text)
    stable_id(text)
    registrable_domain(host_of(text))


# --- idempotence and shape ------------------------------------------------------------------


def _check_canonical(url: str | None) -> None:
    if url is None:
        return
    assert url.startswith(("http://", "https://"))
    assert "#" not in url
    assert len(url) <= 8192
    assert canonicalize(url) == url, "canonicalize is not idempotent"
    assert canonicalize(url, "https://other.example/") == url
    # The helpers agree with the WHATWG parser on canonical URLs.
    parsed = ada_url.parse_url(url, attributes=("hostname", "port"))
    assert host_of(url) == parsed["hostname"]
    port = f":{parsed['port']}" if parsed["port"] else ""
    key = surt(url)
    assert key.split(")", 1)[0].endswith(port)
    domain = registrable_domain(host_of(url))
    assert host_of(url).rstrip(".").endswith(domain.rstrip(".")) or domain == host_of(url)


@PROPERTY
@given(href=url_ish())
@example(href="http://host/%%36%31")
@example(href="http://h/?utm%5Fsource=1")
@example(href="https://a.com/" + "€" * 900)
@example(href="http://[::1]:8080/")
def test_idempotent_on_url_ish_input(href: str) -> None:
    _check_canonical(canonicalize(href))


@PROPERTY
@given(href=_RELATIVE, base=_BASES)
def test_idempotent_after_resolution(href: str, base: str | None) -> None:
    _check_canonical(canonicalize(href, base))


@PROPERTY
@given(href=ANY_TEXT)
def test_idempotent_on_any_text(href: str) -> None:
    _check_canonical(canonicalize(href))
    _check_canonical(canonicalize(href, "https://www.example.com/a/b"))


@PROPERTY
@given(url=url_ish())
def test_is_non_web_agrees_with_the_parser(url: str) -> None:
    """An href flagged non-web never canonicalises to a web URL."""
    if is_non_web(url):
        assert canonicalize(url) is None
        assert canonicalize(url, "https://a.com/") is None
