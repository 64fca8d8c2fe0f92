"""Fetching documents over HTTP(S), guarded against server-side request forgery and abuse.

One :class:`Fetcher` per run (or per worker); ``fetch(url)`` returns a :class:`FetchResult` or
raises :class:`FetchError`, whose message names the URL and the reason.

What a fetch does, on every redirect hop (redirects are followed here, never by httpx):

1. **SSRF guard** (:func:`check_url`): only ``http``/``https``, no credentials in the URL; the
   host is resolved and *every* address must be public (not loopback, private, CGNAT, link-local,
   unique-local, multicast, unspecified or reserved, IPv4-mapped/6to4/NAT64 forms included).
   ``allow_private=True`` lifts that, except for cloud metadata endpoints, which are refused always.
2. **Pinning**: the request goes to an address that was checked. The URL's host is replaced by
   that IP, the ``Host`` header keeps the name, and for https the ``sni_hostname`` extension makes
   httpcore use the name as ``server_hostname``, so SNI is sent and the certificate is verified
   against the *name* (httpx's default SSL context has ``check_hostname`` on). A DNS answer that
   changes between the check and the connection (DNS rebinding) therefore cannot redirect us.
   Because httpx pools connections by (scheme, IP, port), keep-alive is turned off: otherwise a
   TLS connection verified for one name could be reused for another name on the same IP.
   Environment proxies, ``.netrc`` and ``SSL_CERT_FILE`` are ignored (``trust_env=False``): a proxy
   would resolve names itself, out of the guard's sight. Name resolution uses the system resolver
   (``getaddrinfo``), which has no timeout of its own.
3. **robots.txt** (RFC 9309) of the hop's origin, fetched once per origin through the same guarded
   path and matched with :mod:`urllib.robotparser` on our product token ``rightsindex``. 2xx: its
   rules apply; 4xx other than 429: no rules, everything allowed; 429, 5xx, a network failure, a
   refused or looping redirect: *unreachable*, and RFC 9309 §2.3.1.4 says to assume complete
   disallow. The answer is cached for the Fetcher's life, failures included.
4. **Request with retries**: connect errors, timeouts, 429 and 5xx are retried ``retries`` times,
   waiting ``backoff * 2**n`` seconds, or ``Retry-After`` when the server sends it (a server that
   asks for more than :data:`MAX_RETRY_AFTER` seconds gets an error instead of a long sleep). Each
   retry uses the next resolved address. TLS failures are not retried.
5. **Conditional request**: ``etag``/``last_modified`` become ``If-None-Match``/``If-Modified-Since``;
   a 304 is a normal result (``content=None``) meaning "unchanged".
6. **Size cap**, while streaming: a ``Content-Length`` above ``max_bytes`` is refused before the
   body is read; bytes on the wire and bytes after decompression are each capped at ``max_bytes``.
   Only ``gzip`` and ``deflate`` are asked for and decoded here (another Content-Encoding is an
   error), with zlib's ``max_length``, so a compression bomb is stopped holding no more than
   ``max_bytes`` of output and one network chunk. Reading one body may take at
   most :data:`MAX_DOWNLOAD_SECONDS` (against servers that trickle bytes just under the timeout).

Cookies are never stored or sent: each request stands alone.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import NamedTuple
from urllib.robotparser import RobotFileParser

import httpx

from .. import __version__
from .limits import MAX_DOCUMENT_BYTES, MAX_DOWNLOAD_SECONDS

__all__ = [
    "MAX_DOWNLOAD_SECONDS",
    "MAX_RETRY_AFTER",
    "USER_AGENT",
    "FetchError",
    "FetchResult",
    "Fetcher",
    "check_url",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

USER_AGENT = f"rightsindex/{__version__} (+https://github.com/rightsindex/rightsindex; policy research)"

#: The longest ``Retry-After`` (seconds) honoured; a server asking for more gets a FetchError.
MAX_RETRY_AFTER = 60.0

#: The longest time (seconds) reading one response body may take: ``limits.MAX_DOWNLOAD_SECONDS``.

# Cloud instance metadata services: refused even with allow_private. AWS/Azure/GCP/Oracle use
# 169.254.169.254 (AWS also fd00:ec2::254), Alibaba Cloud 100.100.100.200, Azure's wire server
# 168.63.129.16.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)
_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class FetchError(Exception):
    """A URL could not be fetched; ``str()`` is ``"<url>: <reason>"``."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


@dataclass(frozen=True)
class FetchResult:
    """The outcome of a successful fetch: new content (200) or "not modified" (304)."""

    url: str  # final URL after redirects
    status: int  # 200 (new content) or 304 (not modified)
    content: bytes | None  # None when 304
    content_type: str | None  # media type without parameters, e.g. "text/html"
    charset: str | None  # charset parameter from Content-Type, if any
    etag: str | None
    last_modified: str | None
    fetched_at: datetime  # timezone-aware UTC


def check_url(url: str, *, allow_private: bool = False) -> list[IPAddress]:
    """Validate ``url`` for fetching and return the addresses its host resolves to.

    Raises :class:`FetchError` when the scheme is not http(s), the URL carries credentials, the
    host is a cloud metadata name, the name does not resolve, or any resolved address is not
    public (unless ``allow_private``; metadata addresses are refused regardless). The URL is parsed
    by httpx, the same parser that sends the request, so the guard and the client cannot disagree
    about which host is meant.
    """
    try:
        return _resolve(httpx.URL(url), allow_private)
    except httpx.InvalidURL as exc:
        raise FetchError(url, f"invalid URL: {exc}") from None
    except FetchError as exc:
        raise FetchError(url, exc.reason) from None  # name the URL as given, not as httpx prints it


def _resolve(url: httpx.URL, allow_private: bool) -> list[IPAddress]:
    """:func:`check_url` on a parsed URL."""
    if url.scheme not in ("http", "https"):
        raise FetchError(str(url), f"refused: unsupported scheme {url.scheme!r} (only http and https)")
    if url.userinfo:
        raise FetchError(str(url), "refused: URL contains credentials")
    host = url.raw_host.decode("ascii").rstrip(".").lower()
    if not host:
        raise FetchError(str(url), "refused: URL has no host")
    if host in _METADATA_HOSTS:
        raise FetchError(str(url), f"refused: {host} is a cloud metadata host (never allowed)")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(str(url), f"cannot resolve host {host}: {exc}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    for address in addresses:
        kind = _non_public_kind(address)
        if kind == "cloud metadata":
            hint = "never allowed"
        elif kind and not allow_private:
            hint = "use --allow-private to allow"
        else:
            continue
        raise FetchError(str(url), f"refused: resolves to {kind} address {_display(address)} ({hint})")
    return addresses


def _non_public_kind(address: IPAddress) -> str | None:
    """Why ``address`` is not a public unicast address (e.g. ``"private"``), or None if it is."""
    if address in _METADATA_ADDRESSES:
        return "cloud metadata"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and (address.ipv4_mapped or address in _NAT64):
            return _non_public_kind(embedded)  # packets to these go to the IPv4 address itself
        if embedded is not None and (kind := _non_public_kind(embedded)):
            return kind
        if address.is_site_local:
            return "site-local"
        if address in _UNIQUE_LOCAL:
            return "unique-local"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address in _CGNAT:
        return "private (CGNAT)"
    if address.is_reserved:
        return "reserved"
    if address.is_private or not address.is_global:
        return "private"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 address, if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def _display(address: IPAddress) -> str:
    """``::ffff:a00:1`` → ``"::ffff:a00:1 (IPv4 10.0.0.1)"``; other addresses as they are."""
    embedded = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    return f"{address} (IPv4 {embedded})" if embedded is not None else str(address)


def _pinned_request(
    client: httpx.Client, url: httpx.URL, address: IPAddress, headers: Mapping[str, str]
) -> httpx.Request:
    """A GET for ``url`` that connects to ``address`` while speaking to ``url``'s host.

    The ``Host`` header carries the name; for https, ``sni_hostname`` makes httpcore send the name
    as SNI and verify the certificate against it.
    """
    host = url.raw_host.decode("ascii")
    host_header = f"[{host}]" if ":" in host else host
    if url.port is not None:
        host_header += f":{url.port}"
    extensions = {"sni_hostname": host} if url.scheme == "https" else {}
    return client.build_request(
        "GET",
        url.copy_with(host=str(address)),
        headers={**headers, "Host": host_header},
        extensions=extensions,
    )


class _Hop(NamedTuple):
    """One HTTP exchange: status, headers, and the body when the status was 200."""

    status: int
    headers: httpx.Headers
    body: bytes | None


@dataclass(frozen=True)
class _RobotsRules:
    """What an origin's robots.txt says: rules, nothing (allow all), or unreachable (disallow all)."""

    parser: RobotFileParser | None = None
    unreachable: str | None = None


class _BoundedDecoder:
    """Decode a gzip/deflate/identity body incrementally; its output may not exceed ``limit`` bytes."""

    def __init__(self, url: httpx.URL, content_encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if codings in ([], ["gzip"], ["x-gzip"], ["deflate"]):
            self._coding = codings[0] if codings else None
        else:
            raise FetchError(str(url), f"unsupported Content-Encoding {content_encoding!r}")
        self._url = url
        self._limit = limit
        self._produced = 0
        self._started = False
        wbits = zlib.MAX_WBITS | 16 if self._coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(wbits) if self._coding else None

    def feed(self, data: bytes) -> bytes:
        """Decode the next chunk of the body."""
        if self._inflater is None:
            return data
        out = []
        while data and not self._inflater.eof:
            try:
                chunk = self._inflater.decompress(data, self._limit - self._produced + 1)
            except zlib.error as exc:
                # "deflate" should be zlib-wrapped, but some servers send raw deflate.
                if self._coding == "deflate" and not self._started:
                    self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._started = True
                    continue
                raise FetchError(str(self._url), f"corrupt {self._coding} body: {exc}") from None
            self._started = True
            self._produced += len(chunk)
            if self._produced > self._limit:
                raise FetchError(
                    str(self._url),
                    f"response larger than {_size(self._limit)} cap after {self._coding} decompression "
                    "(compression bomb?)",
                )
            out.append(chunk)
            data = self._inflater.unconsumed_tail
        return b"".join(out)


class Fetcher:
    """Fetch URLs with an SSRF guard, robots.txt, retries, conditional requests and size caps.

    ``timeout`` applies to each network step (connect, each read, each write); ``max_bytes`` caps
    both the bytes received and the bytes after decompression. ``allow_private`` lets loopback and
    private networks through (cloud metadata endpoints stay refused). See the module docstring.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout: float = 20.0,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        retries: int = 3,
        backoff: float = 0.5,
        respect_robots: bool = True,
        user_agent: str | None = None,
        max_redirects: int = 5,
    ) -> None:
        if max_bytes <= 0 or retries < 0 or max_redirects < 0 or timeout <= 0 or backoff < 0:
            raise ValueError("max_bytes and timeout must be positive; retries, max_redirects, backoff >= 0")
        self.allow_private = allow_private
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff = backoff
        self.respect_robots = respect_robots
        self.user_agent = user_agent or USER_AGENT
        self.max_redirects = max_redirects
        self._robots: dict[tuple[str, str, int | None], _RobotsRules] = {}
        self._client = httpx.Client(
            transport=httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0)),
            timeout=timeout,
            trust_env=False,
            follow_redirects=False,
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate", "Accept": "*/*"},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """Fetch ``url``; with ``etag``/``last_modified`` from an earlier result, ask only for changes.

        Returns a 200 result with the content, or a 304 result (``content=None``) when the server
        says the document is unchanged. Raises :class:`FetchError` for anything else.
        """
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"invalid URL: {exc}") from None
        final_url, hop = self._follow(parsed, headers, obey_robots=self.respect_robots)
        if hop.status not in (200, 304):
            raise FetchError(str(final_url), f"HTTP {hop.status}")
        content_type, charset = _parse_content_type(hop.headers.get("content-type"))
        return FetchResult(
            url=str(final_url),
            status=hop.status,
            content=hop.body,
            content_type=content_type,
            charset=charset,
            etag=hop.headers.get("etag") or (etag if hop.status == 304 else None),
            last_modified=hop.headers.get("last-modified") or (last_modified if hop.status == 304 else None),
            fetched_at=datetime.now(timezone.utc),
        )

    def _follow(
        self, url: httpx.URL, headers: Mapping[str, str], *, obey_robots: bool
    ) -> tuple[httpx.URL, _Hop]:
        """Follow redirects from ``url``, guarding each hop; return the last URL and its exchange."""
        hop_url = url
        try:
            for _ in range(self.max_redirects + 1):
                addresses = _resolve(hop_url, self.allow_private)
                if obey_robots:
                    self._check_robots(hop_url)
                hop = self._exchange(hop_url, addresses, headers)
                location = hop.headers.get("location")
                if hop.status not in _REDIRECT_STATUSES or not location:
                    return hop_url, hop
                try:
                    hop_url = hop_url.join(location)
                except httpx.InvalidURL as exc:
                    raise FetchError(str(hop_url), f"invalid redirect Location {location!r}: {exc}") from None
        except FetchError as exc:
            if hop_url is url:
                raise
            raise FetchError(exc.url, f"{exc.reason} (redirected from {url})") from None
        raise FetchError(str(url), f"too many redirects (more than {self.max_redirects})")

    def _exchange(self, url: httpx.URL, addresses: list[IPAddress], headers: Mapping[str, str]) -> _Hop:
        """One request to ``url`` at one of its checked ``addresses``, retried on transient failures."""
        for attempt in range(self.retries + 1):
            request = _pinned_request(self._client, url, addresses[attempt % len(addresses)], headers)
            last_attempt = attempt == self.retries
            try:
                response = self._client.send(request, stream=True)
                try:
                    status = response.status_code
                    if not last_attempt and (status == 429 or status >= 500):
                        asked = self._retry_after(url, response)
                        delay = self.backoff * 2**attempt if asked is None else asked
                    else:
                        body = self._read_body(url, response) if status == 200 else None
                        return _Hop(status, response.headers, body)
                finally:
                    response.close()
            except httpx.TransportError as exc:
                tls_error = _tls_error(exc)
                if tls_error is not None:
                    raise FetchError(str(url), f"TLS failure: {tls_error}") from None
                if last_attempt or not isinstance(exc, _TRANSIENT_ERRORS):
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    raise FetchError(str(url), f"{_describe(exc, self.timeout)}{tries}") from None
                delay = self.backoff * 2**attempt
            time.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _retry_after(self, url: httpx.URL, response: httpx.Response) -> float | None:
        """Seconds the server asks us to wait (``Retry-After``), None if it does not say."""
        value = response.headers.get("retry-after", "").strip()
        if value.isdigit():
            delay = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            delay = max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
        if delay > MAX_RETRY_AFTER:
            raise FetchError(
                str(url),
                f"HTTP {response.status_code}; server asks to retry after {delay:.0f} s "
                f"(more than the {MAX_RETRY_AFTER:.0f} s this fetcher waits)",
            )
        return delay

    def _read_body(self, url: httpx.URL, response: httpx.Response) -> bytes:
        """Stream the body, decoding gzip/deflate, within ``max_bytes`` and MAX_DOWNLOAD_SECONDS."""
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(
                str(url), f"response larger than {_size(self.max_bytes)} cap (Content-Length {declared})"
            )
        decoder = _BoundedDecoder(url, response.headers.get("content-encoding"), self.max_bytes)
        deadline = time.monotonic() + MAX_DOWNLOAD_SECONDS
        received = 0
        body = bytearray()
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > self.max_bytes:
                raise FetchError(str(url), f"response larger than {_size(self.max_bytes)} cap")
            body += decoder.feed(chunk)
            if time.monotonic() > deadline:
                raise FetchError(str(url), f"download took longer than {MAX_DOWNLOAD_SECONDS:g} s")
        return bytes(body)

    def _check_robots(self, url: httpx.URL) -> None:
        """Raise FetchError unless the robots.txt of ``url``'s origin lets us fetch it."""
        origin = (url.scheme, url.raw_host.decode("ascii").lower(), url.port)
        rules = self._robots.get(origin)
        if rules is None:
            robots_url = url.copy_with(path="/robots.txt", query=None, fragment=None)
            rules = self._robots[origin] = self._load_robots(robots_url)
        if rules.unreachable is not None:
            raise FetchError(
                str(url),
                f"refused: robots.txt unreachable ({rules.unreachable}); "
                "RFC 9309 says to assume everything is disallowed",
            )
        if rules.parser is not None and not rules.parser.can_fetch(self.user_agent, str(url)):
            raise FetchError(str(url), "disallowed by robots.txt")

    def _load_robots(self, robots_url: httpx.URL) -> _RobotsRules:
        """Fetch and parse one robots.txt, mapping statuses as RFC 9309 §2.3.1 says."""
        try:
            _, hop = self._follow(robots_url, {}, obey_robots=False)
        except FetchError as exc:
            return _RobotsRules(unreachable=str(exc))
        if 200 <= hop.status < 300:
            parser = RobotFileParser(str(robots_url))
            parser.parse((hop.body or b"").decode("utf-8", errors="replace").lstrip("\ufeff").splitlines())
            return _RobotsRules(parser=parser)
        if 400 <= hop.status < 500 and hop.status != 429:
            return _RobotsRules()
        return _RobotsRules(unreachable=f"{robots_url}: HTTP {hop.status}")


def _parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """``"text/html; charset=UTF-8"`` → ``("text/html", "utf-8")``."""
    if not value:
        return None, None
    media_type, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, param_value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = param_value.strip().strip("\"'").lower() or None
    return media_type.strip().lower() or None, charset


def _tls_error(exc: BaseException) -> ssl.SSLError | None:
    """The ssl error behind an httpx exception, if any (httpx wraps httpcore wraps ssl)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _describe(exc: httpx.TransportError, timeout: float) -> str:
    """A short human reason for a transport failure."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connection timed out after {timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g} s without data"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc}"
    return f"network error ({type(exc).__name__}): {exc}"


def _size(n: int) -> str:
    """``20971520`` → ``"20 MiB"``."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"


# -- what a task uses on its worker (see run.runner) ---------------------------------------------


def task_fetcher(allow_private: bool = False) -> Fetcher:
    """This process's fetcher (its robots.txt cache is shared by the documents it fetches)."""
    from ..store.tasks import per_process

    return per_process("fetcher", allow_private, lambda: Fetcher(allow_private=allow_private))
