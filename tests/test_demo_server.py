"""The loopback test web: a real HTTP server on 127.0.0.1 serving the synthetic web by Host
header, robots.txt and sitemaps per host, the hostile ``trap.test`` endpoints and the
generated ``big.test`` site, with request counters a crawler test can assert on.

Every request goes to the server under test on 127.0.0.1; nothing here leaves the machine.
"""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
import time
import urllib.robotparser
import xml.etree.ElementTree as ET
import zlib
from collections import deque
from collections.abc import Iterator

import httpx
import pytest

from backlinks.demo import SynthWeb, generate_web
from backlinks.demo.bombs import BOMB_BLOCK, crc32_combine, gzip_bomb
from backlinks.demo.hosts import PRIVATE_PAGE, BigSite
from backlinks.demo.server import TestWeb, serve_web
from backlinks.demo.trap import PRIVATE_TARGETS, UNSAFE_LINKS

UA = "backlinksbot/0.1 (+https://github.com/backlinks)"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def web() -> SynthWeb:
    return generate_web(sites=8)


@pytest.fixture(scope="module")
def server(web: SynthWeb) -> Iterator[TestWeb]:
    with serve_web(web, big_pages=500) as srv:
        yield srv


@pytest.fixture
def fresh() -> Iterator[TestWeb]:
    """A server of its own (extras only), for counters and life-cycle tests."""
    with serve_web(None, big_pages=50) as srv:
        yield srv


def client(srv: TestWeb, host: str, **kw: object) -> httpx.Client:
    """A client that sends every request to ``srv`` with ``Host: host``."""
    headers = {"Host": host, "User-Agent": UA}
    return httpx.Client(base_url=srv.base_url, headers=headers, timeout=5, **kw)  # type: ignore[arg-type]


def get(srv: TestWeb, host: str, target: str, **kw: object) -> httpx.Response:
    with client(srv, host) as c:
        return c.get(target, **kw)  # type: ignore[arg-type]


def links(html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split('href="')[1:]]


# ---- the synthetic web -------------------------------------------------------------------


def test_every_page_is_served_by_host_header(server: TestWeb, web: SynthWeb) -> None:
    assert server.synth is not None
    with httpx.Client(base_url=server.base_url, timeout=5) as c:
        for page in web.pages:
            url = httpx.URL(page.url)
            target = url.raw_path.decode()
            r = c.get(target, headers={"Host": url.host})
            assert r.status_code == page.status, page.url
            assert r.headers["content-type"] == page.content_type
            assert r.content == server.synth.rewrite(page.html)
            if page.location:
                assert r.headers["location"] == server.url(page.location)
    assert server.stats.count("www.velo-trails.com") >= 40


def test_https_links_to_own_hosts_are_downgraded(server: TestWeb, web: SynthWeb) -> None:
    home = get(server, "www.velo-trails.com", "/").text
    assert "https://www.velo-trails.com" not in home
    assert 'href="http://www.velo-trails.com/"' in home  # the canonical link
    assert server.url("https://www.devpocket.io/x?y=1") == "http://www.devpocket.io/x?y=1"
    assert server.url("https://github.com/x") == "https://github.com/x"  # not ours: kept
    with serve_web(web, extras=False, scheme="keep") as keep:
        page = web.pages[0]
        assert get(keep, "www.velo-trails.com", "/").content == page.html
        assert keep.hosts == sorted({httpx.URL(p.url).host for p in web.pages})


def test_unknown_paths_hosts_head_and_proxy_form(server: TestWeb) -> None:
    assert get(server, "www.velo-trails.com", "/no/such/page").status_code == 404
    r = get(server, "www.instagram.com", "/velo/")
    assert (r.status_code, r.headers["x-test-web"]) == (404, "unknown-host")
    assert server.stats.count("www.instagram.com", "/velo/") == 1
    with client(server, "www.velo-trails.com") as c:
        head = c.head("/")
        assert head.status_code == 200
        assert int(head.headers["content-length"]) > 1000
        assert head.content == b""
    with httpx.Client(proxy=server.base_url, timeout=5) as proxied:  # absolute-form targets
        r = proxied.get("http://trap.test/redirect/final")
        assert (r.status_code, "Redirect target" in r.text) == (200, True)


def _robots(srv: TestWeb, host: str) -> urllib.robotparser.RobotFileParser:
    parser = urllib.robotparser.RobotFileParser()
    r = get(srv, host, "/robots.txt")
    if r.status_code >= 500:  # unavailable: assume everything is disallowed
        parser.parse(["User-agent: *", "Disallow: /"])
    else:  # a 4xx means no rules: everything is allowed
        parser.parse(r.text.splitlines() if r.status_code == 200 else [])
    return parser


def test_robots_policies_per_host(server: TestWeb) -> None:
    normal = _robots(server, "www.velo-trails.com")
    assert normal.can_fetch(UA, "http://www.velo-trails.com/road/")
    assert not normal.can_fetch(UA, "http://www.velo-trails.com" + PRIVATE_PAGE)
    assert normal.site_maps() == ["http://www.velo-trails.com/sitemap.xml"]
    assert normal.crawl_delay(UA) is None
    assert get(server, "best-bike-deals-2024.xyz", "/robots.txt").status_code == 404
    assert get(server, "cheap-bike-reviews.top", "/robots.txt").status_code == 500
    assert not _robots(server, "cheap-bike-reviews.top").can_fetch(UA, "/")
    blocked = _robots(server, "top-cycling-offers.biz")
    assert not blocked.can_fetch(UA, "http://top-cycling-offers.biz/")
    assert blocked.can_fetch("SomeOtherBot/1.0", "http://top-cycling-offers.biz/")
    assert str(_robots(server, "www.bikeshop-discounts.shop").crawl_delay(UA)) == "1"
    trap = _robots(server, "trap.test")
    assert trap.can_fetch(UA, "/slow")
    assert not trap.can_fetch(UA, "/private/secret")
    assert _robots(server, "big.test").can_fetch(UA, "/p/1")


def test_robots_can_be_overridden(web: SynthWeb) -> None:
    rules: dict[str, str | int] = {
        "www.velo-trails.com": "User-agent: *\nDisallow: /\n",
        "trap.test": 503,
    }
    with serve_web(web, robots=rules, big_pages=10) as srv:
        assert get(srv, "www.velo-trails.com", "/robots.txt").text == rules["www.velo-trails.com"]
        assert get(srv, "trap.test", "/robots.txt").status_code == 503


def test_sitemap_index_and_gzip_urlset(server: TestWeb, web: SynthWeb) -> None:
    index = ET.fromstring(get(server, "www.velo-trails.com", "/sitemap.xml").content)  # noqa: S314
    locs = [e.text for e in index.iter(f"{SM}loc")]
    assert locs == ["http://www.velo-trails.com/sitemap-pages.xml.gz"]
    r = get(server, "www.velo-trails.com", "/sitemap-pages.xml.gz")
    assert r.headers["content-type"] == "application/gzip"
    urlset = ET.fromstring(gzip.decompress(r.content))  # noqa: S314 - our own server's XML
    listed = {e.text for e in urlset.iter(f"{SM}loc")}
    expected = {
        server.url(p.url)
        for p in web.pages
        if p.status == 200 and httpx.URL(p.url).host == "www.velo-trails.com"
    }
    assert listed == expected | {"http://www.velo-trails.com" + PRIVATE_PAGE}
    assert len(list(urlset.iter(f"{SM}lastmod"))) == len(expected)
    assert get(server, "www.velo-trails.com", PRIVATE_PAGE).status_code == 200


# ---- trap.test ---------------------------------------------------------------------------


def test_slow_and_dripping_responses(server: TestWeb) -> None:
    t0 = time.monotonic()
    assert get(server, "trap.test", "/slow?ms=200").status_code == 200
    assert time.monotonic() - t0 >= 0.2
    with client(server, "trap.test") as c, pytest.raises(httpx.ReadTimeout):
        c.get("/slow?ms=3000", timeout=0.2)
    t0 = time.monotonic()
    with client(server, "trap.test") as c, c.stream("GET", "/slow-body?ms=80&pieces=4") as r:
        first = time.monotonic() - t0
        body = r.read()
    assert time.monotonic() - t0 - first >= 0.2  # headers at once, body over 3 × 80 ms
    assert body.endswith(b"</html>\n")


def test_dropped_and_broken_transfers(server: TestWeb) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        get(server, "trap.test", "/drop")
    with client(server, "trap.test") as c, c.stream("GET", "/gzip-truncated") as r:
        raw = b"".join(r.iter_raw())
    with pytest.raises(EOFError):
        gzip.decompress(raw)
    with pytest.raises(httpx.DecodingError):
        get(server, "trap.test", "/gzip-bad")


def test_gzip_bomb_is_a_valid_stream_of_zeros(server: TestWeb) -> None:
    with client(server, "trap.test") as c, c.stream("GET", "/gzip-bomb") as r:
        assert r.headers["content-encoding"] == "gzip"
        assert 10_000_000 < int(r.headers["content-length"]) < 11_000_000  # 10 GiB inflated
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        out = b""
        for chunk in r.iter_raw(16_384):
            out += inflater.decompress(chunk, BOMB_BLOCK - len(out))
            if len(out) >= BOMB_BLOCK:
                break
    assert out == bytes(BOMB_BLOCK)
    r = get(server, "trap.test", "/gzip-bomb?mib=3")  # small enough to inflate in full
    assert r.content == bytes(3 * BOMB_BLOCK)  # httpx checks the CRC and size trailer


def test_bomb_trailer_crc() -> None:
    for a, b in ((b"abc", b"defgh" * 99), (b"", b"x"), (bytes(1000), b"")):
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    size, _stream = gzip_bomb(10 * 1024)
    assert size < 11_000_000


def test_brotli_bomb(server: TestWeb) -> None:
    brotli = pytest.importorskip("brotli", reason="brotli is optional; /br-bomb needs it")
    with client(server, "trap.test") as c, c.stream("GET", "/br-bomb") as r:
        assert r.headers["content-encoding"] == "br"
        decoder, out = brotli.Decompressor(), b""
        for chunk in r.iter_raw(4096):
            out += decoder.process(chunk)
            if len(out) >= BOMB_BLOCK:
                break
    assert len(out) >= BOMB_BLOCK
    assert out == bytes(len(out))


def test_huge_page_streams_links(server: TestWeb) -> None:
    with client(server, "trap.test") as c, c.stream("GET", "/huge") as r:
        assert r.headers["transfer-encoding"] == "chunked"
        got = b""
        for chunk in r.iter_bytes(65_536):
            got += chunk
            if len(got) > 1 << 20:
                break
    assert got.count(b'<a href="/huge/item/') > 20_000
    small = get(server, "trap.test", "/huge?mib=1").content
    assert 1 << 20 <= len(small) < (1 << 20) + 70_000
    assert small.endswith(b"</html>\n")


def test_errors_flaky_and_rate_limited(server: TestWeb) -> None:
    assert get(server, "trap.test", "/error/500").status_code == 500
    assert get(server, "trap.test", "/error/999").status_code == 404
    with client(server, "trap.test") as c:
        replies = [c.get("/flaky?id=t1") for _ in range(3)]
        assert [r.status_code for r in replies] == [503, 503, 200]
        assert replies[0].headers["retry-after"] == "1"
        other = c.get("/flaky?id=t1", headers={"User-Agent": "other"})
        assert other.status_code == 503  # per client
        limited = [c.get("/rate-limited?id=t1&after=7") for _ in range(2)]
        assert [r.status_code for r in limited] == [429, 200]
        assert limited[0].headers["retry-after"] == "7"


def test_redirects(server: TestWeb) -> None:
    with client(server, "trap.test") as c:
        target, hops = "/redirect/chain/4", 0
        while (r := c.get(target)).status_code in (301, 302):
            target, hops = r.headers["location"], hops + 1
        assert (hops, target, r.status_code) == (4, "/redirect/final", 200)
        assert c.get("/redirect/loop").headers["location"] == "/redirect/loop/b"
        assert c.get("/redirect/loop/b").headers["location"] == "/redirect/loop"
        for name, to in PRIVATE_TARGETS.items():
            assert c.get(f"/redirect/to-private/{name}".rstrip("/")).headers["location"] == to
        assert c.get("/redirect/to-ftp").headers["location"].startswith("ftp://")
        assert c.get("/redirect/relative").headers["location"] == "chain/0"
        assert "location" not in c.get("/redirect/no-location").headers


def test_crawler_traps(server: TestWeb) -> None:
    with client(server, "trap.test") as c:
        assert links(c.get("/calendar/2024/01").text) == ["/calendar/2023/12", "/calendar/2024/02"]
        assert links(c.get("/calendar/9999/12").text)[1] == "/calendar/10000/01"
        assert c.get("/calendar/2024/13").status_code == 404
        assert links(c.get("/deep/a/a/a/").text) == ["a/", "/deep/"]
        assert c.get("/deep/a/b/").status_code == 404
        grown = links(c.get("/params?p1=1").text)
        assert grown[0] == "/params?p1=1&amp;p2=2"
        assert grown[2].startswith("/params?sid=")


def test_odd_content(server: TestWeb) -> None:
    with client(server, "trap.test") as c:
        pdf = c.get("/binary.pdf")
        assert (pdf.headers["content-type"], pdf.content[:5]) == ("application/pdf", b"%PDF-")
        png = c.get("/image.png")
        assert (png.headers["content-type"], png.content[:4]) == ("image/png", b"\x89PNG")
        assert c.get("/image-as-html").headers["content-type"].startswith("text/html")
        assert "content-type" not in c.get("/no-type").headers
        broken = c.get("/broken.html").content
        assert b"\x00" in broken
        assert b"/broken/target" in broken
        with pytest.raises(UnicodeDecodeError):
            broken.decode("utf-8")
        assert c.get("/broken/target").status_code == 200
        unsafe = c.get("/links-to-self-host-private").text
        assert [h.replace("&lt;", "<").replace("&gt;", ">") for h in links(unsafe)] == list(
            UNSAFE_LINKS
        )


# ---- big.test ----------------------------------------------------------------------------


def test_big_site_is_deterministic_and_connected() -> None:
    site = BigSite(pages=500)
    seen, queue = {0}, deque([0])
    while queue:
        for j in site.links_of(queue.popleft()):
            if j not in seen:
                seen.add(j)
                queue.append(j)
    assert seen == set(range(500))
    assert all(10 <= len(site.links_of(i)) <= 20 for i in range(500))
    assert site.render(7) == BigSite(pages=500).render(7)


def test_big_site_served(server: TestWeb) -> None:
    assert server.big is not None
    r = get(server, "big.test", "/p/42")
    assert r.content == server.big.render(42)
    assert links(r.text)[0] == "/p/43"
    assert get(server, "big.test", "/p/500").status_code == 404
    assert get(server, "big.test", "/p/042").status_code == 404
    with serve_web(None, big_pages=30, big_hosts=3) as srv:
        assert {"big.test", "h0.big.test", "h2.big.test"} <= set(srv.hosts)
        home = links(get(srv, "big.test", "/").text)
        assert home == [
            "http://h0.big.test/p/0",
            "http://h1.big.test/p/1",
            "http://h2.big.test/p/2",
        ]
        assert get(srv, "h1.big.test", "/p/4").status_code == 200
        assert get(srv, "h0.big.test", "/p/4").status_code == 404  # page 4 lives on h1


# ---- counters and life cycle -------------------------------------------------------------


def test_counters(fresh: TestWeb) -> None:
    def fetch(target: str) -> None:
        get(fresh, "trap.test", target)

    threads = [threading.Thread(target=fetch, args=(f"/slow?ms=300&i={i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fresh.stats.max_inflight("trap.test") == 4
    assert fresh.stats.max_connections("trap.test") == 4
    assert fresh.stats.max_inflight("big.test") == 0
    with client(fresh, "big.test") as c:
        for target in ("/p/1", "/p/2", "/p/1"):
            c.get(target)
            time.sleep(0.05)
    stats = fresh.stats
    assert stats.max_connections("big.test") == 1
    assert stats.count("big.test") == 3
    assert stats.count("trap.test", "/slow") == 4
    assert stats.count("trap.test", "/slow?ms=300&i=0") == 1
    assert stats.by_host() == {"trap.test": 4, "big.test": 3}
    assert stats.refetched() == {"http://big.test/p/1": 1}
    gap = stats.min_gap("big.test")
    assert gap is not None
    assert gap >= 0.05
    assert {h.user_agent for h in stats.hits()} == {UA}
    assert all(h.done for h in stats.hits())
    assert len({h.connection for h in stats.hits("big.test")}) == 1  # keep-alive
    stats.reset()
    assert stats.hits() == []
    assert stats.max_inflight() == 0


def _raw(srv: TestWeb, request: bytes) -> bytes:
    """Send ``request`` on a fresh socket and read (late) until the server closes it."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        sock.sendall(request)
        time.sleep(0.2)  # let the server's send buffer fill up
        chunks = []
        while chunk := sock.recv(1 << 16):
            chunks.append(chunk)
    return b"".join(chunks)


def test_closing_connections_get_whole_bodies(fresh: TestWeb) -> None:
    old = _raw(fresh, b"GET /huge?mib=2 HTTP/1.0\r\nHost: trap.test\r\n\r\n")
    head, _, body = old.partition(b"\r\n\r\n")
    assert b"Connection: close" in head
    assert b"Transfer-Encoding" not in head  # HTTP/1.0: the body ends at the close
    assert len(body) >= 2 << 20
    assert body.endswith(b"</html>\n")
    closing = b"GET /gzip-bomb?mib=2 HTTP/1.1\r\nHost: trap.test\r\nConnection: close\r\n\r\n"
    head, _, body = _raw(fresh, closing).partition(b"\r\n\r\n")
    assert gzip.decompress(body) == bytes(2 * BOMB_BLOCK)


def test_malformed_requests_and_tls(fresh: TestWeb) -> None:
    with socket.create_connection(("127.0.0.1", fresh.port), timeout=5) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400 ")
    context = ssl.create_default_context()
    with (
        socket.create_connection(("127.0.0.1", fresh.port), timeout=5) as sock,
        pytest.raises((ssl.SSLError, ConnectionError)),
    ):
        context.wrap_socket(sock, server_hostname="trap.test")
    deadline = time.monotonic() + 2
    while fresh.stats.tls_attempts == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fresh.stats.tls_attempts == 1


def test_hang_times_out_and_the_server_still_stops() -> None:
    before = set(threading.enumerate())
    srv = serve_web(None, big_pages=10)
    with client(srv, "trap.test") as c, pytest.raises(httpx.ReadTimeout):
        c.get("/hang", timeout=0.3)
    deadline = time.monotonic() + 2  # the server notices the client gave up
    while srv.stats.inflight("trap.test") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert srv.stats.inflight("trap.test") == 0
    assert srv.stats.refetched() == {}  # never answered: not a finished page
    assert [h.done for h in srv.stats.hits()] == [False]
    # a second client that never gives up: stop() must not wait for it
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    sock.sendall(b"GET /hang HTTP/1.1\r\nHost: trap.test\r\n\r\n")
    deadline = time.monotonic() + 2
    while srv.stats.count("trap.test", "/hang") < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.monotonic()
    srv.stop()
    assert time.monotonic() - t0 < 2
    assert sock.recv(100) == b""  # closed, no answer
    sock.close()
    assert set(threading.enumerate()) == before
    srv.stop()  # idempotent
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()


def test_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        TestWeb(None, host="0.0.0.0")  # noqa: S104 - the point: refused
