"""Journeys in a real browser: Playwright (sync API) driving Debian's Chromium against a live server.

Every browser test is marked ``browser`` and ``postgres`` (the SQLite run skips them) and uses
``live_server`` (pytest-django: a real HTTP server in a thread of this process, on the transactional
test database). Screenshots of each step go to ``$BROWSER_ARTIFACTS_DIR/<test name>/NN-step.png``
(default ``var/test-artifacts/browser``); a failing test also leaves ``99-failure.png``.

Chromium is Debian's (``apt-get install chromium``), never a downloaded one; where it is missing the
tests skip, loudly, or fail with VALUETOK_REQUIRE_SERVICES=1 (CI installs it in ``.ci/run``).
"""

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from tests.conftest import REQUIRE_SERVICES, uses_postgres

# Playwright's sync API runs an asyncio loop in the test thread; Django refuses ORM calls from a thread
# with a running loop unless told that this is deliberate. The ORM calls in these tests are synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("BROWSER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS_DIR = Path(
    os.environ.get("BROWSER_ARTIFACTS_DIR") or Path(django_settings.BASE_DIR) / "var" / "test-artifacts" / "browser"
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
# How long one step may wait for what the user should see (the pages answer in well under a second;
# this is for a loaded two-core CI machine).
STEP_TIMEOUT_MS = 20_000
expect.set_options(timeout=STEP_TIMEOUT_MS)


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (VALUETOK_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items) -> None:
    """Run the browser journeys last (pytest-django has put database tests first, transactional ones last).

    They are slow, and like every transactional test they empty the tables when they end, the staff
    groups of the data migrations included: last, they change nothing for the tests that ran before
    them without browser tests (see ``staff_groups`` for how they get the groups back themselves).
    """
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser:
        items[:] = [item for item in items if not item.get_closest_marker("browser")] + browser


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so fixtures can tell at teardown whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session (each test gets its own context: cookies, storage)."""
    if not uses_postgres():
        pytest.skip("SKIPPED LOUDLY: browser journeys run on PostgreSQL only; set DATABASE_URL=postgres://...")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"SKIPPED LOUDLY: no Chromium at {CHROMIUM}; run `apt-get install chromium` (Debian)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


def _context(chromium, live_server, viewport: dict, **options):
    context = chromium.new_context(viewport=viewport, base_url=live_server.url, locale="en-GB", **options)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.set_default_navigation_timeout(STEP_TIMEOUT_MS)
    return context


def _failure_shot(request, pages, name: str = "99-failure") -> None:
    """When the test body failed: what each of its pages showed at that moment."""
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    folder = _artifacts_for(request.node.name)
    for n, page in enumerate(pages):
        if not page.is_closed():
            suffix = "" if n == 0 else f"-{n + 1}"
            page.screenshot(path=str(folder / f"{name}{suffix}.png"), full_page=True)


@pytest.fixture
def browser_context(chromium, live_server, request):
    """A fresh desktop-sized context (1280x900) for one test."""
    context = _context(chromium, live_server, DESKTOP)
    yield context
    _failure_shot(request, context.pages)
    context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


@pytest.fixture
def other_context(chromium, live_server, request):
    """A second desktop context: another person (say, staff) in the same test, with their own cookies."""
    context = _context(chromium, live_server, DESKTOP)
    yield context
    _failure_shot(request, context.pages, name="99-failure-other")
    context.close()


@pytest.fixture
def no_script_page(chromium, live_server, request):
    """A desktop page with JavaScript switched off: what the pages do without their scripts."""
    context = _context(chromium, live_server, DESKTOP, java_script_enabled=False)
    page = context.new_page()
    yield page
    _failure_shot(request, [page], name="99-failure-no-script")
    context.close()


@pytest.fixture
def phone_page(chromium, live_server, request):
    """A page in a phone-sized context (375x812, touch, mobile viewport meta honoured)."""
    context = _context(chromium, live_server, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    yield page
    _failure_shot(request, [page])
    context.close()


def _artifacts_for(test_name: str) -> Path:
    folder = ARTIFACTS_DIR / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shot(request) -> Callable:
    """``shot(page, "03-upload-done")`` saves a full-page screenshot of the step as a test artifact."""
    shutil.rmtree(_artifacts_for(request.node.name), ignore_errors=True)  # this run's screenshots only
    folder = _artifacts_for(request.node.name)

    def take(page, step: str) -> Path:
        if not re.fullmatch(r"[0-9]{2}-[a-z0-9-]+", step):
            raise ValueError(f"step names look like '03-upload-done', not {step!r}")
        path = folder / f"{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def private_storage(tmp_path, monkeypatch) -> Path:
    """Uploaded videos and identity documents go to a temporary folder, not the private media root."""
    from compliance.models import IdentityDocument
    from creators.models import Video

    root = tmp_path / "private"
    root.mkdir()
    for storage in {
        Video._meta.get_field("media_file").storage,
        IdentityDocument._meta.get_field("file").storage,
    }:
        monkeypatch.setattr(storage, "location", str(root))
    return root


@pytest.fixture
def staff_groups(transactional_db) -> None:
    """The staff groups and their permissions, as the data migrations create them.

    A transactional test may start on tables emptied by the one before it (Django re-creates the
    content types and permissions after that flush, not the groups), so the grants are applied again:
    every data migration whose RunPython function is named ``grant*`` (creators.roles says they are
    idempotent), in migration order, on the migrations' own model state.
    """
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(connection)
    state_apps = loader.project_state().apps
    plan = list(dict.fromkeys(key for leaf in loader.graph.leaf_nodes() for key in loader.graph.forwards_plan(leaf)))
    with connection.schema_editor() as editor:
        for key in plan:
            for operation in loader.graph.nodes[key].operations:
                if isinstance(operation, RunPython) and operation.code.__name__.startswith("grant"):
                    operation.code(state_apps, editor)


def _broker_for_worker(current: str) -> str:
    """The broker the test worker uses: BROWSER_CELERY_BROKER_URL, else the configured Redis on db 9.

    A database of its own keeps a developer's running workers (on db 0) from taking the test's tasks,
    which they would run against their own database.
    """
    explicit = os.environ.get("BROWSER_CELERY_BROKER_URL")
    if explicit:
        return explicit
    parts = urlsplit(current)
    if parts.scheme not in ("redis", "rediss"):
        return "redis://127.0.0.1:6379/9"
    return urlunsplit(parts._replace(path="/9"))


@pytest.fixture
def celery_worker(settings, private_storage) -> Iterator:
    """A real Celery worker (solo pool, in a thread of this process) consuming every queue on Redis.

    Tasks are not eager for the test: the live server enqueues on Redis and the worker takes them,
    on the same test database. The app's configuration is put back afterwards.
    """
    from celery.contrib.testing.worker import start_worker

    from tests.conftest import redis_reachable
    from valuetok.celery import DOMAIN_QUEUES, app

    broker = _broker_for_worker(app.conf.broker_url or "")
    if not redis_reachable(broker):
        _unavailable(f"SKIPPED LOUDLY: the browser upload journey needs Redis at {broker}")
    saved = {
        key: app.conf[key]
        for key in ("broker_url", "task_always_eager", "worker_hijack_root_logger", "broker_connection_retry")
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def reset_pools() -> None:
        # kombu keeps connection pools in a process-wide registry keyed by broker: closing only the
        # app's pool leaves a closed one there for the next user of the same broker ("Acquire on
        # closed pool" when an earlier test in the suite had used it). Close and forget them all.
        from kombu import pools

        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.update(
        broker_url=broker, task_always_eager=False, worker_hijack_root_logger=False, broker_connection_retry=False
    )
    reset_pools()
    queues = sorted({"default", *DOMAIN_QUEUES})
    try:
        with app.connection_for_write() as connection:  # nothing left over from an interrupted run
            channel = connection.default_channel
            for queue in queues:
                channel.queue_declare(queue=queue, durable=True, auto_delete=False)
                channel.queue_purge(queue)
        with start_worker(
            app, pool="solo", concurrency=1, queues=queues, perform_ping_check=False, shutdown_timeout=60
        ) as worker:
            yield worker
    finally:
        app.conf.update(saved)
        reset_pools()
