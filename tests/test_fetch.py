"""Fetching: the SSRF guard, redirects, robots.txt, retries, conditional requests and size caps.

Everything runs against real HTTP servers on 127.0.0.1 started here; nothing leaves the machine.
Fetchers that must reach those servers use ``allow_private=True``.
"""

from __future__ import annotations

import gzip
import json
import pickle
import shutil
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import httpx
import pytest

from rightsindex import __version__
from rightsindex.corpus import fetch as fetch_module
from rightsindex.corpus.fetch import FetchError, Fetcher, FetchResult, _pinned_request, check_url

PAGE = "<html><head><title>Privacy Policy</title></head><body><p>We collect your data.</p></body></html>"
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
ROBOTS = "User-agent: *\nDisallow: /\n\nUser-agent: rightsindex\nDisallow: /private\n"
HUGE = 100 * 2**20
CAP = 2**20  # the cap most tests use: 1 MiB


def _gzip_bomb(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes (about 1,000 times smaller than ``size``)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(2**20)
    return b"".join(compressor.compress(block) for _ in range(size // len(block))) + compressor.flush()


BOMB = _gzip_bomb(64 * 2**20)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, robots: str | int, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.robots = robots
        self.hits: Counter[str] = Counter()
        self.streamed: dict[str, int] = {}
        self.stream_ended: defaultdict[str, threading.Event] = defaultdict(threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        self.server.hits[path] += 1
        route = path.split("/")[1]
        getattr(self, "route_" + route.replace("-", "_").replace(".", "_"), self.route_missing)(path, query)

    def reply(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route_robots_txt(self, path: str, query: str) -> None:
        robots = self.server.robots
        if isinstance(robots, int):
            self.reply(robots)
        else:
            self.reply(200, robots.encode(), Content_Type="text/plain")

    def route_page(self, path: str, query: str) -> None:
        if self.headers.get("If-None-Match") == ETAG or self.headers.get("If-Modified-Since") == LAST_MODIFIED:
            self.reply(304, ETag=ETAG)
        else:
            self.reply(200, PAGE.encode(), Content_Type="text/html; charset=UTF-8", ETag=ETAG,
                       Last_Modified=LAST_MODIFIED)

    def route_private(self, path: str, query: str) -> None:
        self.reply(200, b"secret", Content_Type="text/plain")

    def route_headers(self, path: str, query: str) -> None:
        self.reply(200, json.dumps(dict(self.headers)).encode(), Content_Type="application/json")

    def route_set_cookie(self, path: str, query: str) -> None:
        self.reply(200, b"ok", Set_Cookie="session=abc; Path=/")

    def route_redirect(self, path: str, query: str) -> None:
        remaining = int(path.split("/")[2])
        target = f"/redirect/{remaining - 1}" if remaining else f"{self.server.url}/page"
        self.reply(302, Location=target)

    def route_loop(self, path: str, query: str) -> None:
        self.reply(302, Location="/loop")

    def route_to(self, path: str, query: str) -> None:
        self.reply(302, Location=query)  # /to?<absolute URL>

    def route_gzip(self, path: str, query: str) -> None:
        self.reply(200, gzip.compress(PAGE.encode()), Content_Type="text/html", Content_Encoding="gzip")

    def route_deflate(self, path: str, query: str) -> None:
        self.reply(200, zlib.compress(PAGE.encode()), Content_Type="text/html", Content_Encoding="deflate")

    def route_bomb(self, path: str, query: str) -> None:
        self.reply(200, BOMB, Content_Type="text/html", Content_Encoding="gzip")

    def route_huge(self, path: str, query: str) -> None:
        """100 MiB generated on the fly; ``?declared`` announces the size in Content-Length."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if query == "declared":
            self.send_header("Content-Length", str(HUGE))
        self.end_headers()
        block, sent = b"x" * 2**16, 0
        try:
            while sent < HUGE:
                self.wfile.write(block)
                sent += len(block)
        except OSError:  # the client hung up, as it should
            pass
        finally:
            self.server.streamed[path + query] = sent
            self.server.stream_ended[path + query].set()

    def route_trickle(self, path: str, query: str) -> None:
        self.send_response(200)
        self.end_headers()
        try:
            for _ in range(50):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    def route_stall(self, path: str, query: str) -> None:
        time.sleep(1)
        try:
            self.reply(200, b"late")
        except OSError:
            pass

    def route_flaky(self, path: str, query: str) -> None:
        """``/flaky/<name>?<n>`` fails n times with 503 (Retry-After: 0), then answers."""
        if self.server.hits[path] <= int(query):
            self.reply(503, Retry_After="0")
        else:
            self.reply(200, b"recovered", Content_Type="text/plain")

    def route_unavailable(self, path: str, query: str) -> None:
        self.reply(503)

    def route_rate_limited(self, path: str, query: str) -> None:
        self.reply(429, Retry_After="3600")

    def route_missing(self, path: str, query: str) -> None:
        self.reply(404, b"not found")


@contextmanager
def _serve(robots: str | int = ROBOTS, tls: ssl.SSLContext | None = None) -> Iterator[_Server]:
    server = _Server(robots, tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    with _serve() as s:
        yield s


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(allow_private=True, max_bytes=CAP, retries=2, backoff=0.01, timeout=5) as f:
        yield f


# --- the SSRF guard ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/", "loopback address 127.0.0.1"),
        ("http://localhost/", "loopback address"),
        ("http://2130706433/", "loopback address 127.0.0.1"),  # decimal IPv4, resolved by the OS
        ("http://10.0.0.5/", "private address 10.0.0.5"),
        ("http://172.16.0.1/", "private address"),
        ("http://192.168.1.1/", "private address"),
        ("http://100.64.0.1/", "private (CGNAT) address"),
        ("http://169.254.1.1/", "link-local address"),
        ("http://0.0.0.0/", "unspecified address"),
        ("http://224.0.0.1/", "multicast address"),
        ("http://240.0.0.1/", "reserved address"),
        ("http://[::1]/", "loopback address ::1"),
        ("http://[::]/", "unspecified address"),
        ("http://[fe80::1]/", "link-local address"),
        ("http://[fc00::1]/", "unique-local address"),
        ("http://[ff02::1]/", "multicast address"),
        ("http://[::ffff:127.0.0.1]/", "loopback address ::ffff:7f00:1 (IPv4 127.0.0.1)"),
        ("http://[::ffff:10.0.0.1]/", "private address"),
        ("http://[64:ff9b::a00:1]/", "private address"),  # NAT64 of 10.0.0.1
        ("http://[2002:a00:1::]/", "private address"),  # 6to4 of 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused_with_a_hint(url: str, kind: str) -> None:
    with pytest.raises(FetchError) as caught:
        check_url(url)
    assert str(caught.value).startswith(f"{url}: refused: resolves to {kind}")
    assert str(caught.value).endswith("(use --allow-private to allow)")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
        "http://100.100.100.200/",
        "http://metadata.google.internal/computeMetadata/v1/",
    ],
)
def test_cloud_metadata_is_refused_even_with_allow_private(url: str) -> None:
    with pytest.raises(FetchError, match=r"cloud metadata .*\(never allowed\)"):
        check_url(url, allow_private=True)


def test_public_and_allowed_private_addresses_are_returned() -> None:
    assert check_url("https://93.184.215.14/policy") == [IPv4Address("93.184.215.14")]
    assert check_url("http://[2606:4700::1111]:8080/") == [IPv6Address("2606:4700::1111")]
    assert check_url("http://[::ffff:8.8.8.8]/") == [IPv6Address("::ffff:8.8.8.8")]
    assert IPv4Address("127.0.0.1") in check_url("http://localhost/", allow_private=True)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/policy.pdf", "gopher://example.com/"])
def test_only_http_and_https_are_fetched(url: str, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"unsupported scheme .*\(only http and https\)") as caught:
        check_url(url, allow_private=True)
    assert str(caught.value).startswith(url)
    with pytest.raises(FetchError, match="unsupported scheme"):
        fetcher.fetch(url)


def test_urls_with_credentials_are_refused(fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="refused: URL contains credentials"):
        check_url("https://user:secret@example.com/")
    with pytest.raises(FetchError, match="refused: URL contains credentials"):
        fetcher.fetch("https://user@example.com/")


def test_the_default_fetcher_refuses_the_loopback_server(server: _Server) -> None:
    before = server.hits.total()
    with Fetcher() as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(server.url + "/page")
    assert str(caught.value) == (
        f"{server.url}/page: refused: resolves to loopback address 127.0.0.1 (use --allow-private to allow)"
    )
    assert server.hits.total() == before  # not even robots.txt was asked for


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data", "cloud metadata address 169.254.169.254"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata host"),
        ("file:///etc/passwd", "unsupported scheme 'file'"),
    ],
)
def test_every_redirect_hop_is_checked(server: _Server, fetcher: Fetcher, target: str, reason: str) -> None:
    with pytest.raises(FetchError, match=reason) as caught:
        fetcher.fetch(f"{server.url}/to?{target}")
    assert f"(redirected from {server.url}/to?{target})" in str(caught.value)


def test_requests_are_pinned_to_the_checked_address() -> None:
    with httpx.Client() as client:
        request = _pinned_request(
            client, httpx.URL("https://policies.example.com:8443/privacy"), IPv6Address("2606:4700::1111"), {}
        )
    assert str(request.url) == "https://[2606:4700::1111]:8443/privacy"
    assert request.headers["Host"] == "policies.example.com:8443"
    assert request.extensions["sni_hostname"] == "policies.example.com"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, Path]]:
    """Make a self-signed certificate for a DNS name with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")

    def make(name: str) -> tuple[Path, Path]:
        cert, key = folder / f"{name}.pem", folder / f"{name}.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )
        return cert, key

    return make


@pytest.mark.parametrize(("certified_name", "verifies"), [("localhost", True), ("attacker.example", False)])
def test_pinned_https_verifies_the_certificate_against_the_host_name(
    certificate: Callable[[str], tuple[Path, Path]], certified_name: str, verifies: bool
) -> None:
    cert, key = certificate(certified_name)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    with _serve(tls=server_tls) as server, httpx.Client(verify=ssl.create_default_context(cafile=cert)) as client:
        port = server.server_address[1]
        # connect to 127.0.0.1 (not in the certificate) while naming localhost
        request = _pinned_request(client, httpx.URL(f"https://localhost:{port}/headers"), IPv4Address("127.0.0.1"), {})
        if verifies:
            response = client.send(request)
            assert response.json()["Host"] == f"localhost:{port}"
        else:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                client.send(request)


# --- fetching, redirects, conditional requests ------------------------------------------------


def test_fetch_returns_content_with_validators(server: _Server, fetcher: Fetcher) -> None:
    result = fetcher.fetch(server.url + "/page")
    assert result.status == 200
    assert result.content == PAGE.encode()
    assert (result.content_type, result.charset) == ("text/html", "utf-8")
    assert (result.etag, result.last_modified) == (ETAG, LAST_MODIFIED)
    assert result.url == server.url + "/page"
    assert result.fetched_at.tzinfo is timezone.utc


@pytest.mark.parametrize("validators", [{"etag": ETAG}, {"last_modified": LAST_MODIFIED}])
def test_unchanged_documents_come_back_as_304(server: _Server, fetcher: Fetcher, validators: dict) -> None:
    result = fetcher.fetch(server.url + "/page", **validators)
    assert (result.status, result.content) == (304, None)
    assert result.etag == ETAG
    assert result.last_modified == validators.get("last_modified")


def test_a_changed_etag_gets_the_new_content(server: _Server, fetcher: Fetcher) -> None:
    assert fetcher.fetch(server.url + "/page", etag='"v0"').status == 200


def test_redirects_are_followed_to_the_final_url(server: _Server, fetcher: Fetcher) -> None:
    result = fetcher.fetch(server.url + "/redirect/3")
    assert result.url == server.url + "/page"
    assert result.content == PAGE.encode()


def test_redirect_loops_stop(server: _Server, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"/loop: too many redirects \(more than 5\)"):
        fetcher.fetch(server.url + "/loop")
    with pytest.raises(FetchError, match="too many redirects"):
        fetcher.fetch(server.url + "/redirect/6")


def test_http_errors_name_the_status(server: _Server, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"/nothing-here: HTTP 404$"):
        fetcher.fetch(server.url + "/nothing-here")


def test_requests_carry_an_honest_user_agent_and_no_cookies(server: _Server, fetcher: Fetcher) -> None:
    fetcher.fetch(server.url + "/set-cookie")
    headers = json.loads(fetcher.fetch(server.url + "/headers").content)
    assert headers["User-Agent"] == (
        f"rightsindex/{__version__} (+https://github.com/rightsindex/rightsindex; policy research)"
    )
    assert headers["Accept-Encoding"] == "gzip, deflate"
    assert "Cookie" not in headers


# --- retries ------------------------------------------------------------------------------------


def test_server_errors_are_retried(server: _Server, fetcher: Fetcher) -> None:
    result = fetcher.fetch(server.url + "/flaky/twice?2")
    assert result.content == b"recovered"
    assert server.hits["/flaky/twice"] == 3


def test_retries_give_up_with_the_last_status(server: _Server, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"/unavailable: HTTP 503$"):
        fetcher.fetch(server.url + "/unavailable")
    assert server.hits["/unavailable"] == 3  # retries=2


def test_a_long_retry_after_is_not_waited_for(server: _Server, fetcher: Fetcher) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="HTTP 429; server asks to retry after 3600 s"):
        fetcher.fetch(server.url + "/rate-limited")
    assert time.monotonic() - started < 2


def test_timeouts_are_reported(server: _Server) -> None:
    with Fetcher(allow_private=True, timeout=0.2, retries=1, backoff=0.01) as fetcher:
        with pytest.raises(FetchError, match=r"/stall: timed out after 0.2 s without data \(after 2 attempts\)"):
            fetcher.fetch(server.url + "/stall")


def test_connection_failures_are_reported() -> None:
    with _serve() as closed:
        url = closed.url
    with Fetcher(allow_private=True, retries=0, respect_robots=False) as fetcher:
        with pytest.raises(FetchError, match=f"{url}/page: cannot connect"):
            fetcher.fetch(url + "/page")


# --- size caps ----------------------------------------------------------------------------------


def test_a_huge_stream_is_cut_off_at_the_cap(server: _Server, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"/huge: response larger than 1 MiB cap$"):
        fetcher.fetch(server.url + "/huge")
    assert server.stream_ended["/huge"].wait(5)
    assert server.streamed["/huge"] < 16 * 2**20  # the server was stopped, far from its 100 MiB


def test_a_declared_huge_length_is_refused_before_reading(server: _Server, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"larger than 1 MiB cap \(Content-Length 104857600\)"):
        fetcher.fetch(server.url + "/huge?declared")


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_responses_are_decoded(server: _Server, fetcher: Fetcher, encoding: str) -> None:
    assert fetcher.fetch(f"{server.url}/{encoding}").content == PAGE.encode()


def test_a_gzip_bomb_is_stopped_with_bounded_memory(server: _Server, fetcher: Fetcher) -> None:
    assert len(BOMB) < CAP  # small on the wire, 64 MiB inflated
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match=r"/bomb: response larger than 1 MiB cap after gzip decompression"):
            fetcher.fetch(server.url + "/bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * CAP


def test_slow_downloads_hit_the_deadline(
    server: _Server, fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_module, "MAX_DOWNLOAD_SECONDS", 0.3)
    with pytest.raises(FetchError, match="/trickle: download took longer than 0.3 s"):
        fetcher.fetch(server.url + "/trickle")


# --- robots.txt ---------------------------------------------------------------------------------


def test_robots_txt_is_obeyed_for_our_user_agent(server: _Server, fetcher: Fetcher) -> None:
    before = server.hits["/private/report"]
    with pytest.raises(FetchError, match=r"/private/report: disallowed by robots.txt$"):
        fetcher.fetch(server.url + "/private/report")
    assert server.hits["/private/report"] == before
    assert fetcher.fetch(server.url + "/page").status == 200  # our group allows it; "*" does not


def test_robots_txt_is_fetched_once_per_origin(server: _Server) -> None:
    before = server.hits["/robots.txt"]
    with Fetcher(allow_private=True) as fetcher:
        fetcher.fetch(server.url + "/page")
        fetcher.fetch(server.url + "/redirect/1")
    assert server.hits["/robots.txt"] == before + 1


def test_respect_robots_false_ignores_robots_txt(server: _Server) -> None:
    with Fetcher(allow_private=True, respect_robots=False) as fetcher:
        assert fetcher.fetch(server.url + "/private/report").content == b"secret"


def test_a_missing_robots_txt_allows_everything() -> None:
    with _serve(robots=404) as server, Fetcher(allow_private=True) as fetcher:
        assert fetcher.fetch(server.url + "/private/report").status == 200


def test_an_unreachable_robots_txt_disallows_everything() -> None:
    with _serve(robots=503) as server, Fetcher(allow_private=True, retries=1, backoff=0.01) as fetcher:
        with pytest.raises(FetchError) as caught:
            fetcher.fetch(server.url + "/page")
    assert str(caught.value) == (
        f"{server.url}/page: refused: robots.txt unreachable ({server.url}/robots.txt: HTTP 503); "
        "RFC 9309 says to assume everything is disallowed"
    )
    assert server.hits["/robots.txt"] == 2
    assert server.hits["/page"] == 0


# --- the API ------------------------------------------------------------------------------------


def test_fetch_errors_survive_pickling_for_worker_processes() -> None:
    error = pickle.loads(pickle.dumps(FetchError("https://x.example/y", "HTTP 404")))
    assert (str(error), error.url, error.reason) == ("https://x.example/y: HTTP 404", "https://x.example/y", "HTTP 404")


def test_fetch_result_is_frozen(server: _Server, fetcher: Fetcher) -> None:
    result: FetchResult = fetcher.fetch(server.url + "/page")
    with pytest.raises(AttributeError):
        result.status = 304  # type: ignore[misc]
