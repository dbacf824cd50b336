"""Fetch a media file from a user-supplied URL without letting the URL reach our own network.

The rules, each a refusal with a stable code (``FetchRefused.code``):

- ``bad_url`` / ``scheme_not_allowed``: only ``http`` and ``https``, no user:password, a valid port.
- ``dns_failed`` / ``address_not_allowed``: the host is resolved once with ``getaddrinfo`` and
  refused when ANY address it has is not a public unicast address (private, loopback, link-local,
  multicast, reserved, unspecified, shared/CGNAT, and the same inside IPv4-mapped, 6to4, Teredo or
  NAT64 IPv6 addresses). The connection then goes to the address that was checked, with the host
  name in the ``Host`` header and as TLS SNI (certificates are verified against the host name), so
  a DNS answer that changes between check and connect (rebinding) cannot redirect it.
- ``too_many_redirects``: redirects are followed by hand, at most ``max_redirects``, and every
  hop is checked like the first URL.
- ``too_large``: a ``Content-Length`` over the cap is refused before reading; a body without one
  is counted while streaming; the partial file is deleted.
- ``timeout``: connect and each read have ``timeout_seconds``; the whole fetch has a deadline of
  ``DEADLINE_FACTOR`` times that, so a server dripping one byte at a time cannot hold a worker.
- ``http_error`` / ``connection_failed``: a non-200 final answer, or the server could not be
  reached or spoke broken HTTP/TLS.
- ``not_media``: the first bytes must be a known media container (see ``sniff.py``).

``MODERATION_FETCH_ALLOWED_HOSTS`` lists ``host`` or ``host:port`` entries that skip the address
check; it exists for tests and internal mirrors only.
"""

import contextlib
import http.client
import ipaddress
import logging
import os
import socket
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, quote, urljoin, urlsplit

from django.conf import settings

from moderation.errors import FetchRefused
from moderation.media.sniff import SNIFF_BYTES, ContainerKind, container_sniff

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# The whole fetch (every hop, headers and body) must finish within this many read timeouts.
DEADLINE_FACTOR = 6
MAX_URL_LENGTH = 2048
CHUNK_BYTES = 64 * 1024
USER_AGENT = "valuetok-moderation/1.0 (media fetch)"
_PATH_SAFE = "/%:@!$&'()*+,;=?~-._[]"

# Addresses that look global to the ipaddress module but must not be reached from here.
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
_NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")  # embeds an IPv4 address, RFC 6052

Resolver = Callable[[str, int], list[str]]


@dataclass
class FetchedMedia:
    path: Path
    size_bytes: int
    content_type: str
    final_url: str
    redirects: int


def media_fetch(
    *,
    url: str,
    dest_dir: Path,
    max_bytes: int | None = None,
    timeout_seconds: float | None = None,
    max_redirects: int | None = None,
    resolver: Resolver | None = None,
) -> FetchedMedia:
    """Download ``url`` into a new file in ``dest_dir``; raise ``FetchRefused`` for any refusal.

    ``resolver(host, port) -> [ip, ...]`` replaces ``socket.getaddrinfo`` in tests.
    """
    max_bytes = settings.MODERATION_FETCH_MAX_BYTES if max_bytes is None else max_bytes
    timeout = settings.MODERATION_FETCH_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    max_redirects = settings.MODERATION_FETCH_MAX_REDIRECTS if max_redirects is None else max_redirects
    resolve = resolver or _getaddrinfo_resolver
    deadline = _Deadline(seconds=timeout * DEADLINE_FACTOR)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)

    current = url
    redirects = 0
    try:
        while True:
            target = _url_validate(url=current)
            addresses = _addresses_vet(target=target, resolve=resolve)
            exchange = _request_send(target=target, addresses=addresses, timeout=timeout, deadline=deadline)
            response = exchange.response
            try:
                if response.status in REDIRECT_STATUSES:
                    location = response.getheader("Location")
                    if not location:
                        raise FetchRefused("http_error", f"HTTP {response.status} redirect without a Location header.")
                    if redirects >= max_redirects:
                        raise FetchRefused("too_many_redirects", f"More than {max_redirects} redirects.")
                    redirects += 1
                    current = urljoin(current, location.strip())
                    continue
                if response.status != 200:
                    raise FetchRefused("http_error", f"The server answered HTTP {response.status} {response.reason}.")
                path, size = _body_save(
                    exchange=exchange, dest_dir=dest_dir, max_bytes=max_bytes, timeout=timeout, deadline=deadline
                )
            finally:
                response.close()
                exchange.connection.close()
            content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            logger.info(
                "media_fetched host=%s bytes=%s redirects=%s content_type=%s",
                urlsplit(current).hostname,
                size,
                redirects,
                content_type,
            )
            return FetchedMedia(
                path=path, size_bytes=size, content_type=content_type, final_url=current, redirects=redirects
            )
    except FetchRefused as refusal:
        logger.warning(
            "media_fetch_refused code=%s host=%s redirects=%s", refusal.code, _host_for_log(current), redirects
        )
        raise
    finally:
        deadline.cancel()


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # lower-case, IDNA-encoded, no brackets around IPv6
    port: int
    request_path: str
    host_header: str


def _url_validate(*, url: str) -> _Target:
    if not isinstance(url, str) or not url.strip():
        raise FetchRefused("bad_url", "The URL is empty.")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise FetchRefused("bad_url", f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise FetchRefused("bad_url", "The URL contains spaces or control characters.")
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise FetchRefused("bad_url", f"The URL cannot be parsed: {error}.") from error
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = scheme or "none"
        raise FetchRefused("scheme_not_allowed", f"Only http and https URLs can be fetched, not {shown}.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise FetchRefused("bad_url", "URLs with a user name or password are not accepted.")
    if not parts.hostname:
        raise FetchRefused("bad_url", "The URL has no host.")
    if port is None:
        port = DEFAULT_PORTS[scheme]
    if not 1 <= port <= 65535:
        raise FetchRefused("bad_url", f"Port {port} is not valid.")
    host = _host_normalise(parts.hostname)
    # Non-ASCII characters are percent-encoded (HTTP request lines are ASCII); existing escapes stay.
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        path = f"{path}?{quote(parts.query, safe=_PATH_SAFE)}"
    shown_host = f"[{host}]" if ":" in host else host
    host_header = shown_host if port == DEFAULT_PORTS[scheme] else f"{shown_host}:{port}"
    return _Target(scheme=scheme, host=host, port=port, request_path=path, host_header=host_header)


def _host_normalise(hostname: str) -> str:
    host = hostname.rstrip(".").lower()
    if not host:
        raise FetchRefused("bad_url", "The URL has no host.")
    try:
        ipaddress.ip_address(host.split("%")[0])
        return host
    except ValueError:
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise FetchRefused("bad_url", f"The host name {hostname!r} is not valid.") from error


def _host_allowed(*, target: _Target) -> bool:
    allowed = {entry.strip().lower() for entry in settings.MODERATION_FETCH_ALLOWED_HOSTS if entry.strip()}
    if not allowed:
        return False
    shown_host = f"[{target.host}]" if ":" in target.host else target.host
    return shown_host in allowed or f"{shown_host}:{target.port}" in allowed


def _addresses_vet(*, target: _Target, resolve: Resolver) -> list[str]:
    """The host's addresses, all checked; the connection uses these and never resolves again."""
    try:
        addresses = list(dict.fromkeys(resolve(target.host, target.port)))
    except (OSError, UnicodeError) as error:
        raise FetchRefused("dns_failed", f"The host {target.host} could not be resolved.") from error
    if not addresses:
        raise FetchRefused("dns_failed", f"The host {target.host} has no addresses.")
    if _host_allowed(target=target):
        return addresses
    for address in addresses:
        reason = address_refusal_reason(address)
        if reason:
            raise FetchRefused(
                "address_not_allowed",
                f"The host {target.host} resolves to {address}, a {reason} address, which cannot be fetched.",
            )
    return addresses


def address_refusal_reason(address: str) -> str | None:
    """Why ``address`` must not be fetched from ("private", "loopback", ...), or None if public."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return "malformed"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = address_refusal_reason(str(embedded))
            if inner:
                return inner
        if ip.is_site_local:
            return "site-local"
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("shared (carrier-grade NAT)", isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED_ADDRESS_SPACE),
        ("non-global", not ip.is_global),
    )
    for reason, applies in checks:
        if applies:
            return reason
    return None


def _getaddrinfo_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a fixed, already vetted address."""

    def __init__(self, *, address: str, port: int, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to a fixed, already vetted address, with SNI and certificate checks for the host name."""

    def __init__(self, *, address: str, port: int, server_hostname: str, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self._server_hostname = server_hostname

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_hostname)


class _Deadline:
    """The whole fetch's time limit. Socket timeouts bound each read; this bounds their sum: when
    it passes, a timer shuts the current socket down, which ends any read in progress."""

    def __init__(self, *, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._fired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def expired(self) -> bool:
        return self._fired or time.monotonic() >= self.at

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0 or self._fired:
            raise FetchRefused("timeout", "The fetch took longer than its deadline.")
        return left

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self._fired:
                self._shutdown()

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self._fired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)


@dataclass
class _Exchange:
    connection: http.client.HTTPConnection
    response: http.client.HTTPResponse
    sock: socket.socket


def _request_send(*, target: _Target, addresses: list[str], timeout: float, deadline: _Deadline) -> _Exchange:
    last_error: Exception | None = None
    for address in addresses:
        step_timeout = min(timeout, deadline.remaining())
        if target.scheme == "https":
            connection: http.client.HTTPConnection = _PinnedHTTPSConnection(
                address=address, port=target.port, server_hostname=target.host, timeout=step_timeout
            )
        else:
            connection = _PinnedHTTPConnection(address=address, port=target.port, timeout=step_timeout)
        try:
            connection.connect()
        except ssl.SSLError as error:
            connection.close()
            raise FetchRefused("connection_failed", f"TLS with {target.host} failed: {error.reason}.") from error
        except OSError as error:  # refused, unreachable, or TimeoutError: try the host's next address
            connection.close()
            last_error = error
            continue
        sock = connection.sock
        deadline.watch(sock)
        try:
            connection.putrequest("GET", target.request_path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", target.host_header)
            connection.putheader("User-Agent", USER_AGENT)
            connection.putheader("Accept", "video/*, audio/*, application/octet-stream;q=0.5, */*;q=0.1")
            connection.putheader("Accept-Encoding", "identity")
            connection.putheader("Connection", "close")
            connection.endheaders()
            sock.settimeout(min(timeout, deadline.remaining()))
            return _Exchange(connection=connection, response=connection.getresponse(), sock=sock)
        except FetchRefused:
            connection.close()
            raise
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            if isinstance(error, TimeoutError) or deadline.expired:
                raise FetchRefused("timeout", f"{target.host} did not answer in time.") from error
            raise FetchRefused("connection_failed", f"{target.host} sent a broken answer: {error!r}.") from error
    if isinstance(last_error, TimeoutError) or deadline.expired:
        raise FetchRefused("timeout", f"Connecting to {target.host} took longer than {timeout:g} s.") from last_error
    raise FetchRefused("connection_failed", f"Could not connect to {target.host}: {last_error}.") from last_error


def _body_save(
    *, exchange: _Exchange, dest_dir: Path, max_bytes: int, timeout: float, deadline: _Deadline
) -> tuple[Path, int]:
    response = exchange.response
    declared = response.getheader("Content-Length")
    if declared is not None:
        try:
            declared_bytes = int(declared)
        except ValueError as error:
            raise FetchRefused("http_error", f"Content-Length {declared!r} is not a number.") from error
        if declared_bytes > max_bytes:
            raise FetchRefused("too_large", f"The file is {declared_bytes} bytes; the limit is {max_bytes}.")

    descriptor, partial_name = tempfile.mkstemp(prefix="fetch-", suffix=".part", dir=dest_dir)
    partial = Path(partial_name)
    size = 0
    head = b""
    kind: ContainerKind | None = None
    try:
        with os.fdopen(descriptor, "wb") as out:
            while True:
                exchange.sock.settimeout(min(timeout, deadline.remaining()))
                chunk = response.read1(CHUNK_BYTES)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefused("too_large", f"The file is larger than the limit of {max_bytes} bytes.")
                if kind is None and len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                    if len(head) >= SNIFF_BYTES:
                        kind = _sniff_or_refuse(head)
                out.write(chunk)
        if deadline.expired:
            raise FetchRefused("timeout", "The fetch took longer than its deadline.")
        if kind is None:
            kind = _sniff_or_refuse(head)
        final = dest_dir / f"media-{uuid.uuid4().hex}{kind.extension}"
        partial.rename(final)
        return final, size
    except (OSError, http.client.HTTPException) as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, TimeoutError) or deadline.expired:
            raise FetchRefused("timeout", "The server stopped sending, or took longer than the deadline.") from error
        raise FetchRefused("connection_failed", f"The download broke off: {error!r}.") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _sniff_or_refuse(head: bytes) -> ContainerKind:
    kind = container_sniff(head=head)
    if kind is None:
        raise FetchRefused("not_media", "The URL does not point to a video or audio file.")
    return kind


def _host_for_log(url: str) -> str:
    try:
        return urlsplit(url).hostname or "-"
    except ValueError:
        return "-"
