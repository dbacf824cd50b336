"""The media fetcher against a real threaded HTTP(S) server on 127.0.0.1 serving the media fixtures.

The server is on a loopback address, which the fetcher must refuse; tests that need to reach it
list it in MODERATION_FETCH_ALLOWED_HOSTS (the setting for tests and internal mirrors), and the
refusal tests prove that without that entry the same server is never contacted.
"""

import datetime as dt
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from moderation.errors import FetchRefused, MediaError
from moderation.media.fetch import FetchedMedia, address_refusal_reason, media_fetch

MEDIA_DIR = Path(__file__).parent / "media"
HELLO_MP4 = (MEDIA_DIR / "speech_hello.mp4").read_bytes()


@dataclass
class MediaServer:
    base_url: str
    host: str  # "127.0.0.1:<port>"
    port: int
    seen: list[dict] = field(default_factory=list)


def _handler_for(server_state: MediaServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # a body without Content-Length ends when the server closes

        def log_message(self, *args) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str, *, length: bool = True) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _redirect(self, location: str, status: int = 302) -> None:
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            parsed = urlsplit(self.path)
            query = parse_qs(parsed.query)
            parts = parsed.path.strip("/").split("/")
            server_state.seen.append({"path": self.path, "host": self.headers.get("Host")})
            route = parts[0]
            try:
                if route == "media":  # /media/<fixture>: with Content-Length
                    body = (MEDIA_DIR / parts[1]).read_bytes()
                    content_type = "video/webm" if parts[1].endswith(".webm") else "video/mp4"
                    self._send(200, body, content_type)
                elif route == "nolength":  # /nolength/<fixture>: no Content-Length, streamed
                    self._send(200, (MEDIA_DIR / parts[1]).read_bytes(), "video/mp4", length=False)
                elif route == "hop":  # /hop/<n>/<fixture>: n redirects, then the fixture
                    hops, name = int(parts[1]), parts[2]
                    self._redirect(f"/hop/{hops - 1}/{name}" if hops > 1 else f"/media/{name}")
                elif route == "redirect":  # /redirect?to=<url>
                    self._redirect(query["to"][0])
                elif route == "redirect-nowhere":
                    self.send_response(302)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif route == "page":
                    self._send(200, b"<!DOCTYPE html><html><body>Not a video</body></html>", "text/html")
                elif route == "lying-type":  # an HTML page that claims to be a video
                    self._send(200, b"<html>" + b"x" * 4000 + b"</html>", "video/mp4")
                elif route == "status":
                    self._send(int(parts[1]), b"no", "text/plain")
                elif route == "stall":  # says nothing for a while
                    time.sleep(float(query.get("seconds", ["2"])[0]))
                    self._send(200, HELLO_MP4, "video/mp4")
                elif route == "drip":  # headers at once, then a few bytes every 50 ms, for ever-ish
                    self.send_response(200)
                    self.send_header("Content-Type", "video/mp4")
                    self.end_headers()
                    for start in range(0, len(HELLO_MP4), 64):
                        self.wfile.write(HELLO_MP4[start : start + 64])
                        self.wfile.flush()
                        time.sleep(0.05)
                else:
                    self._send(404, b"not found", "text/plain")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the fetcher gave up, as it should in the refusal tests

    return Handler


def _server_start(server: ThreadingHTTPServer) -> threading.Thread:
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def media_http():
    """A real HTTP server on 127.0.0.1; NOT allowed for the fetcher unless a test says so."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    port = server.server_address[1]
    state = MediaServer(base_url=f"http://127.0.0.1:{port}", host=f"127.0.0.1:{port}", port=port)
    server.RequestHandlerClass = _handler_for(state)
    _server_start(server)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def allowed(media_http, settings) -> MediaServer:
    """The test server, listed in MODERATION_FETCH_ALLOWED_HOSTS."""
    settings.MODERATION_FETCH_ALLOWED_HOSTS = [media_http.host]
    return media_http


@pytest.fixture
def dest(tmp_path) -> Path:
    return tmp_path / "fetched"


def _refusal(**kwargs) -> FetchRefused:
    with pytest.raises(FetchRefused) as caught:
        media_fetch(**kwargs)
    assert isinstance(caught.value, MediaError)
    assert caught.value.message
    return caught.value


# --- Fetching what is allowed ------------------------------------------------------------------


def test_fetches_an_mp4_from_an_allowed_host(allowed, dest):
    fetched = media_fetch(url=f"{allowed.base_url}/media/speech_hello.mp4", dest_dir=dest)

    assert isinstance(fetched, FetchedMedia)
    assert fetched.path.parent == dest
    assert fetched.path.suffix == ".mp4"
    assert fetched.path.read_bytes() == HELLO_MP4
    assert fetched.size_bytes == len(HELLO_MP4)
    assert fetched.content_type == "video/mp4"
    assert fetched.final_url == f"{allowed.base_url}/media/speech_hello.mp4"
    assert fetched.redirects == 0
    assert allowed.seen[0]["host"] == allowed.host


def test_fetches_a_webm_streamed_without_content_length(allowed, dest):
    fetched = media_fetch(url=f"{allowed.base_url}/nolength/speech_hello.webm", dest_dir=dest)

    assert fetched.path.suffix == ".webm"
    assert fetched.path.read_bytes() == (MEDIA_DIR / "speech_hello.webm").read_bytes()


def test_non_ascii_characters_in_the_url_are_percent_encoded(allowed, dest):
    fetched = media_fetch(url=f"{allowed.base_url}/media/speech_hello.mp4?title=café%20au%20lait%21", dest_dir=dest)

    assert fetched.path.read_bytes() == HELLO_MP4
    assert allowed.seen[0]["path"] == "/media/speech_hello.mp4?title=caf%C3%A9%20au%20lait%21"


@pytest.mark.parametrize("hops", [1, 2, 3])
def test_follows_up_to_three_redirects(allowed, dest, hops):
    fetched = media_fetch(url=f"{allowed.base_url}/hop/{hops}/speech_hello.mp4", dest_dir=dest)

    assert fetched.redirects == hops
    assert fetched.final_url == f"{allowed.base_url}/media/speech_hello.mp4"
    assert fetched.path.read_bytes() == HELLO_MP4


def test_a_fourth_redirect_is_refused(allowed, dest):
    refusal = _refusal(url=f"{allowed.base_url}/hop/4/speech_hello.mp4", dest_dir=dest)

    assert refusal.code == "too_many_redirects"
    assert len(allowed.seen) == 4  # the original request and three followed redirects
    assert not any(dest.iterdir())


def test_max_redirects_argument_overrides_the_setting(allowed, dest, settings):
    settings.MODERATION_FETCH_MAX_REDIRECTS = 3

    refusal = _refusal(url=f"{allowed.base_url}/hop/1/speech_hello.mp4", dest_dir=dest, max_redirects=0)

    assert refusal.code == "too_many_redirects"


def test_connects_to_the_address_it_checked_and_sends_the_host_name(media_http, dest, settings):
    # DNS rebinding: the first answer is checked, later answers would point elsewhere. The fetcher
    # must resolve once and connect to the address it vetted, naming the host in the Host header.
    settings.MODERATION_FETCH_ALLOWED_HOSTS = [f"media.test:{media_http.port}"]
    answers = [["127.0.0.1"]]
    calls = []

    def rebinding_resolver(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return answers.pop(0) if answers else ["10.9.9.9"]

    fetched = media_fetch(
        url=f"http://media.test:{media_http.port}/media/speech_hello.mp4", dest_dir=dest, resolver=rebinding_resolver
    )

    assert fetched.path.read_bytes() == HELLO_MP4
    assert calls == [("media.test", media_http.port)]
    assert media_http.seen[0]["host"] == f"media.test:{media_http.port}"


# --- Addresses that must not be reached ----------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "0.0.0.0",  # noqa: S104 - a URL host under test, not a bind address
        "[::]",
        "[::ffff:127.0.0.1]",
        "2130706433",  # 127.0.0.1 as one number
        "0x7f.0.0.1",
        "127.1",
    ],
)
def test_loopback_in_any_spelling_is_refused_and_never_contacted(media_http, dest, host):
    refusal = _refusal(url=f"http://{host}:{media_http.port}/media/speech_hello.mp4", dest_dir=dest)

    assert refusal.code == "address_not_allowed"
    assert media_http.seen == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/video.mp4",
        "http://172.16.5.4/video.mp4",
        "http://192.168.1.1/video.mp4",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.64.0.1/video.mp4",  # carrier-grade NAT
        "http://224.0.0.1/video.mp4",  # multicast
        "http://240.0.0.1/video.mp4",  # reserved
        "http://[fe80::1]/video.mp4",
        "http://[fc00::1]/video.mp4",
        "http://[ff02::1]/video.mp4",
        "http://[::ffff:10.0.0.1]/video.mp4",
        "http://[2002:a9fe:a9fe::]/video.mp4",  # 6to4 around 169.254.169.254
        "http://[64:ff9b::a9fe:a9fe]/video.mp4",  # NAT64 around 169.254.169.254
    ],
)
def test_private_and_special_addresses_are_refused(dest, url):
    refusal = _refusal(url=url, dest_dir=dest, timeout_seconds=0.5)

    assert refusal.code == "address_not_allowed"


def test_address_refusal_reasons_name_the_kind_of_address():
    assert address_refusal_reason("127.0.0.1") == "loopback"
    assert address_refusal_reason("10.1.2.3") == "private"
    assert address_refusal_reason("169.254.169.254") == "link-local"
    assert address_refusal_reason("0.0.0.0") == "unspecified"  # noqa: S104
    assert address_refusal_reason("::ffff:127.0.0.1") == "loopback"
    assert address_refusal_reason("93.184.215.14") is None
    assert address_refusal_reason("2606:2800:21f:cb07:6820:80da:af6b:8b2c") is None


def test_a_name_resolving_to_a_private_address_is_refused(dest):
    refusal = _refusal(
        url="http://videos.example.com/clip.mp4", dest_dir=dest, resolver=lambda host, port: ["10.20.30.40"]
    )

    assert refusal.code == "address_not_allowed"
    assert "10.20.30.40" in refusal.message


def test_a_name_with_one_private_address_among_public_ones_is_refused(dest):
    refusal = _refusal(
        url="http://videos.example.com/clip.mp4",
        dest_dir=dest,
        resolver=lambda host, port: ["93.184.215.14", "127.0.0.1"],
    )

    assert refusal.code == "address_not_allowed"


def test_the_default_resolver_is_the_real_one(media_http, dest):
    # "localhost" goes through socket.getaddrinfo, which answers from /etc/hosts: a loopback address.
    refusal = _refusal(url=f"http://localhost:{media_http.port}/media/speech_hello.mp4", dest_dir=dest)

    assert refusal.code == "address_not_allowed"
    assert media_http.seen == []


def test_an_unresolvable_name_is_dns_failed(dest):
    def failing_resolver(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    refusal = _refusal(url="http://no-such-host.example/clip.mp4", dest_dir=dest, resolver=failing_resolver)

    assert refusal.code == "dns_failed"


def test_a_name_with_no_addresses_is_dns_failed(dest):
    refusal = _refusal(url="http://empty.example/clip.mp4", dest_dir=dest, resolver=lambda host, port: [])

    assert refusal.code == "dns_failed"


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1/admin",
        "http://127.0.0.1:{port}/media/speech_hello.mp4",  # the same server by its address
        "http://localhost:{port}/media/speech_hello.mp4",  # the same server under another name
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/media/speech_hello.mp4",
        "http://10.0.0.5/video.mp4",
    ],
)
def test_a_redirect_from_an_allowed_host_to_a_private_address_is_refused(media_http, dest, settings, target):
    # Allow the server only under the name "media.test"; any redirect to a raw or other name of a
    # private address must be checked again, and refused.
    settings.MODERATION_FETCH_ALLOWED_HOSTS = [f"media.test:{media_http.port}"]
    redirect_to = target.format(port=media_http.port)

    refusal = _refusal(
        url=f"http://media.test:{media_http.port}/redirect?to={redirect_to}",
        dest_dir=dest,
        resolver=lambda host, port: ["127.0.0.1"] if host == "media.test" else socket_resolve(host, port),
    )

    assert refusal.code == "address_not_allowed"
    assert len(media_http.seen) == 1  # only the allowed first request reached the server
    assert not any(dest.iterdir())


def socket_resolve(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def test_a_redirect_to_loopback_on_port_80_from_the_allowed_test_host_is_refused(allowed, dest):
    refusal = _refusal(url=f"{allowed.base_url}/redirect?to=http://127.0.0.1/secret", dest_dir=dest)

    assert refusal.code == "address_not_allowed"
    assert len(allowed.seen) == 1


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("ftp://files.example.com/video.mp4", "scheme_not_allowed"),
        ("file:///etc/passwd", "scheme_not_allowed"),
        ("gopher://127.0.0.1:6379/_INFO", "scheme_not_allowed"),
        ("http://user:secret@videos.example.com/clip.mp4", "bad_url"),
    ],
)
def test_a_redirect_is_checked_like_the_first_url(allowed, dest, target, code):
    refusal = _refusal(url=f"{allowed.base_url}/redirect?to={target}", dest_dir=dest)

    assert refusal.code == code


def test_a_redirect_without_location_is_an_http_error(allowed, dest):
    assert _refusal(url=f"{allowed.base_url}/redirect-nowhere", dest_dir=dest).code == "http_error"


# --- URLs refused before any network -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/video.mp4",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:video/mp4;base64,AAAA",
        "gopher://example.com/",
        "//example.com/video.mp4",
        "example.com/video.mp4",
    ],
)
def test_schemes_other_than_http_and_https_are_refused(dest, url):
    assert _refusal(url=url, dest_dir=dest).code == "scheme_not_allowed"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "http://",
        "http:///video.mp4",
        "http://user:pass@example.com/video.mp4",
        "http://user@example.com/video.mp4",
        "https://:token@example.com/video.mp4",
        "http://example.com:99999/video.mp4",
        "http://example.com:0/video.mp4",
        "http://example.com:http/video.mp4",
        "http://exa mple.com/video.mp4",
        "http://example.com/video.mp4\r\nX-Injected: 1",
        "http://example.com/" + "a" * 3000,
    ],
)
def test_malformed_urls_and_credentials_are_bad_url(dest, url):
    assert _refusal(url=url, dest_dir=dest).code == "bad_url"


# --- What comes back -----------------------------------------------------------------------------


def test_a_body_over_the_cap_with_content_length_is_refused_before_reading(allowed, dest):
    refusal = _refusal(url=f"{allowed.base_url}/media/speech_hello.mp4", dest_dir=dest, max_bytes=10_000)

    assert refusal.code == "too_large"
    assert str(len(HELLO_MP4)) in refusal.message
    assert list(dest.iterdir()) == []


def test_a_body_over_the_cap_without_content_length_is_cut_and_the_partial_file_deleted(allowed, dest):
    refusal = _refusal(url=f"{allowed.base_url}/nolength/speech_hello.mp4", dest_dir=dest, max_bytes=10_000)

    assert refusal.code == "too_large"
    assert list(dest.iterdir()) == []


def test_the_size_cap_comes_from_settings(allowed, dest, settings):
    settings.MODERATION_FETCH_MAX_BYTES = 1000

    assert _refusal(url=f"{allowed.base_url}/nolength/speech_hello.mp4", dest_dir=dest).code == "too_large"


@pytest.mark.parametrize("path", ["/media/not_media.mp4", "/page", "/lying-type"])
def test_content_that_is_not_a_media_container_is_refused(allowed, dest, path):
    refusal = _refusal(url=f"{allowed.base_url}{path}", dest_dir=dest)

    assert refusal.code == "not_media"
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("status", [403, 404, 500])
def test_an_error_status_is_http_error(allowed, dest, status):
    refusal = _refusal(url=f"{allowed.base_url}/status/{status}", dest_dir=dest)

    assert refusal.code == "http_error"
    assert str(status) in refusal.message


def test_a_server_that_stalls_times_out_quickly(allowed, dest):
    started = time.monotonic()

    refusal = _refusal(url=f"{allowed.base_url}/stall?seconds=3", dest_dir=dest, timeout_seconds=0.3)

    assert refusal.code == "timeout"
    assert time.monotonic() - started < 1.5


def test_a_server_that_drips_bytes_hits_the_total_deadline(allowed, dest):
    # Each read gets data well within the 0.2 s read timeout; only the total deadline stops it.
    started = time.monotonic()

    refusal = _refusal(url=f"{allowed.base_url}/drip", dest_dir=dest, timeout_seconds=0.2)

    elapsed = time.monotonic() - started
    assert refusal.code == "timeout"
    assert 1.0 < elapsed < 2.5
    assert list(dest.iterdir()) == []


def test_nothing_listening_is_connection_failed(dest, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MODERATION_FETCH_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]

    refusal = _refusal(url=f"http://127.0.0.1:{port}/video.mp4", dest_dir=dest, timeout_seconds=1)

    assert refusal.code == "connection_failed"


def test_allowed_hosts_entry_without_port_allows_any_port_of_that_host(media_http, dest, settings):
    settings.MODERATION_FETCH_ALLOWED_HOSTS = ["127.0.0.1"]

    fetched = media_fetch(url=f"{media_http.base_url}/media/silent.mp4", dest_dir=dest)

    assert fetched.path.read_bytes() == (MEDIA_DIR / "silent.mp4").read_bytes()


# --- HTTPS: pinned address, SNI and certificate checked against the host name ----------------------


def _certificate_make(tmp_path: Path, host_name: str) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{host_name}.pem", tmp_path / f"{host_name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def https_server(tmp_path):
    """An HTTPS server on 127.0.0.1 whose certificate names media.test; the handshake's SNI is kept."""
    cert_path, key_path = _certificate_make(tmp_path, "media.test")
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    port = server.server_address[1]
    state = MediaServer(base_url=f"https://media.test:{port}", host=f"media.test:{port}", port=port)
    server.RequestHandlerClass = _handler_for(state)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    sni_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: sni_names.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    _server_start(server)
    yield state, cert_path, sni_names
    server.shutdown()
    server.server_close()


def _resolve_to_loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def test_https_with_a_trusted_certificate_for_the_host_name(https_server, dest, settings, monkeypatch):
    state, cert_path, sni_names = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # trust the test certificate
    settings.MODERATION_FETCH_ALLOWED_HOSTS = [state.host]

    fetched = media_fetch(url=f"{state.base_url}/media/speech_hello.mp4", dest_dir=dest, resolver=_resolve_to_loopback)

    assert fetched.path.read_bytes() == HELLO_MP4
    assert sni_names == ["media.test"]
    assert state.seen[0]["host"] == state.host


def test_https_with_an_untrusted_certificate_is_connection_failed(https_server, dest, settings, tmp_path, monkeypatch):
    state, _, _ = https_server
    other_cert, _ = _certificate_make(tmp_path, "unrelated.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(other_cert))
    settings.MODERATION_FETCH_ALLOWED_HOSTS = [state.host]

    refusal = _refusal(url=f"{state.base_url}/media/speech_hello.mp4", dest_dir=dest, resolver=_resolve_to_loopback)

    assert refusal.code == "connection_failed"
    assert "TLS" in refusal.message
    assert state.seen == []


def test_https_certificate_must_match_the_host_name_not_the_address(https_server, dest, settings, monkeypatch):
    state, cert_path, _ = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    settings.MODERATION_FETCH_ALLOWED_HOSTS = [f"cdn.test:{state.port}"]

    refusal = _refusal(
        url=f"https://cdn.test:{state.port}/media/speech_hello.mp4", dest_dir=dest, resolver=_resolve_to_loopback
    )

    assert refusal.code == "connection_failed"
    assert state.seen == []
