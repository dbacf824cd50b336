"""Local servers the moderation tests talk to: a fake Gemini generateContent endpoint and a plain
file server for media URLs. Both are real HTTP servers on 127.0.0.1; the code under test uses its
real clients (the google-genai SDK, the media fetcher) against them."""

import contextlib
import json
import shutil
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from creators.roles import FINANCE, TRUST_AND_SAFETY
from tests.factories import UserFactory

MEDIA_DIR = Path(__file__).parent / "media"


@dataclass
class FakeGemini:
    """What the fake answers (``mode``), and what it was asked (``requests``)."""

    base_url: str
    mode: str = "ok"
    answer: dict = field(default_factory=dict)
    stall_seconds: float = 3.0
    requests: list[dict] = field(default_factory=list)


def _envelope(text: str) -> dict:
    # The generateContent response body, as the Gemini API (v1beta) returns it.
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 40, "totalTokenCount": 160},
        "modelVersion": "gemini-2.5-flash",
    }


def _handler_for(fake: FakeGemini):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if not self.path.endswith(":generateContent"):
                self._send(404, b'{"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}}')
                return
            if fake.mode == "error":
                self._send(500, b'{"error": {"code": 500, "message": "internal", "status": "INTERNAL"}}')
                return
            if fake.mode == "stall":
                time.sleep(fake.stall_seconds)
            if fake.mode == "malformed":
                text = '{"hate": {"label": "hateful", "confidence": 3}'  # cut short, wrong label
            else:
                text = json.dumps(fake.answer)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (stall test)
                self._send(200, json.dumps(_envelope(text)).encode())

    return Handler


@pytest.fixture
def fake_gemini(settings):
    """A generateContent server on 127.0.0.1; settings point the SDK at it with a key configured."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    fake = FakeGemini(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler_for(fake)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.GEMINI_API_KEY = "test-key"
    settings.GEMINI_BASE_URL = fake.base_url
    settings.GEMINI_MODEL = "gemini-2.5-flash"
    settings.GEMINI_TIMEOUT_SECONDS = 5
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def media_server(tmp_path, settings):
    """Serves a copy of tests/moderation/media over HTTP on 127.0.0.1 and allows the fetcher to use it."""
    root = tmp_path / "served"
    shutil.copytree(MEDIA_DIR, root)

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host = f"127.0.0.1:{server.server_address[1]}"
    settings.MODERATION_FETCH_ALLOWED_HOSTS = [host]
    yield f"http://{host}"
    server.shutdown()
    server.server_close()


def staff_in(group_name: str, email: str):
    from creators.models import User

    user = UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return User.objects.get(pk=user.pk)  # fresh object: no cached permissions


@pytest.fixture
def moderator(db):
    return staff_in(TRUST_AND_SAFETY, "moderator@valuetok.test")


@pytest.fixture
def finance_staff(db):
    return staff_in(FINANCE, "finance@valuetok.test")


@pytest.fixture
def private_media(tmp_path, monkeypatch):
    """Uploaded videos go to a temporary folder instead of the private media root."""
    from creators.models import Video

    storage = Video._meta.get_field("media_file").storage
    root = tmp_path / "private"
    root.mkdir()
    monkeypatch.setattr(storage, "location", str(root))
    return root
