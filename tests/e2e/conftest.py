"""Browser tests: Debian's Chromium driven by Playwright against a live server.

One browser per session, a fresh context per test. A real Celery worker process (Redis
broker, the pytest database, its own queue) runs the tasks the live server enqueues, and
the loopback simulator plays the gateway, pushing delivery reports to the live server.

Every page a test opens is watched: a console error (a Content Security Policy violation
is one), an uncaught exception or a response >= 500 fails the test.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test import override_settings

from accounts.roles import ADMIN
from tests.campaigns.gateway_accounts import simulated_account
from tests.redis_servers import broker_url

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "e2e-secret-pass-2026"
# Playwright's own waits; the worker and the simulator answer within seconds.
DEFAULT_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


# The browser -----------------------------------------------------------------------


@pytest.fixture(scope="package")
def _playwright() -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            f"browser tests need Debian's Chromium at {CHROMIUM} "
            "(apt-get install chromium); no browser is ever downloaded"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev extra not installed
        pytest.skip("browser tests need the playwright package (pip install -e .[dev])")
    # Playwright's sync API keeps an asyncio loop running in this thread; the ORM
    # would refuse to run next to it. The test's own ORM calls are plain sync code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(_playwright):
    browser = _playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@dataclass
class BrowserProblems:
    """Console errors, uncaught exceptions and server errors seen by a context."""

    items: list[str] = field(default_factory=list)

    def on_console(self, message) -> None:
        where = message.location or {}
        if where.get("url", "").endswith("/favicon.ico"):
            # Known: base.html links no icon, so Chromium asks for /favicon.ico and
            # gets a 404. Reported; not what these tests are about.
            return
        if message.type == "error":
            self.items.append(
                f"console error on {message.page.url if message.page else '?'}: "
                f"{message.text} ({where.get('url', '')}:{where.get('lineNumber', '')})"
            )

    def on_page_error(self, error) -> None:
        page = getattr(error, "page", None)
        url = page.url if page else "?"
        self.items.append(f"uncaught exception on {url}: {error.error}")

    def on_response(self, response) -> None:
        if response.status >= 500:
            self.items.append(
                f"server error {response.status} for {response.request.method} "
                f"{response.url}"
            )

    def take(self) -> list[str]:
        taken, self.items[:] = list(self.items), []
        return taken

    def assert_none(self, where: str = "") -> None:
        problems = self.take()
        assert not problems, f"browser problems{' ' + where if where else ''}:\n" + (
            "\n".join(problems)
        )


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


def watched_context(
    browser, live_server, browser_problems: BrowserProblems, *, locale: str, width: int
):
    """A browser context on the live server, in Moscow time, whose console errors,
    page errors and failed responses go to `browser_problems`."""
    context = browser.new_context(
        base_url=live_server.url,
        locale=locale,
        timezone_id="Europe/Moscow",
        viewport={"width": width, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.on("console", browser_problems.on_console)
    context.on("weberror", browser_problems.on_page_error)
    context.on("response", browser_problems.on_response)
    return context


@pytest.fixture
def context(browser, live_server, browser_problems):
    context = watched_context(
        browser, live_server, browser_problems, locale="en-US", width=1366
    )
    yield context
    context.close()
    # Anything not yet checked by the test itself fails it here.
    problems = browser_problems.take()
    if problems:
        pytest.fail("browser problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(context):
    page = context.new_page()
    # Launch and delete buttons ask window.confirm(); say yes.
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG to test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shoot():
    return screenshot


# Users and logging in ----------------------------------------------------------------


@pytest.fixture
def e2e_admin(transactional_db, django_user_model):
    user = django_user_model.objects.create_user(
        username="erin-admin", password=PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name=ADMIN))
    return user


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main form button[type=submit]")  # not the language switcher's
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.fixture
def admin_page(page, e2e_admin):
    """A page logged in as an Admin through the login form."""
    log_in(page, e2e_admin.username)
    return page


# Media shared by the live server and the worker (import uploads) ----------------------


@pytest.fixture(scope="session")
def e2e_media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e-media")


@pytest.fixture(autouse=True)
def _media_root(e2e_media_root):
    with override_settings(MEDIA_ROOT=str(e2e_media_root)):
        yield


# The real worker ----------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen
    queue: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="session")
def worker_process(
    django_db_setup, django_db_blocker, e2e_media_root, tmp_path_factory
):
    """A Celery worker on the test database, consuming its own queue."""
    with django_db_blocker.unblock():
        db = connection.settings_dict
    queue = f"e2e-{uuid.uuid4().hex[:8]}"
    log = tmp_path_factory.mktemp("e2e-worker") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "SMSPORTAL_FIELD_KEY": settings.SMSPORTAL_FIELD_KEY,
        "MEDIA_ROOT": str(e2e_media_root),
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    cmd = [sys.executable, "-m", "celery", "-A", "smsportal", "worker", "-Q", queue,
           "--pool", "threads", "--concurrency", "4", "--loglevel", "WARNING",
           "--without-heartbeat", "--without-gossip", "--without-mingle"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    worker = Worker(process=process, queue=queue, log=log)
    yield worker
    _stop(process)


@pytest.fixture
def real_worker(worker_process) -> Iterator[Worker]:
    """Tasks enqueued by the live server (and the test) go to the real worker."""
    from smsportal.celery import app

    if worker_process.process.poll() is not None:
        pytest.fail("the Celery worker died:\n" + worker_process.output())
    keys = ("task_always_eager", "task_default_queue", "broker_url",
            "broker_write_url", "broker_read_url")  # fmt: skip
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.task_always_eager = False
    app.conf.task_default_queue = worker_process.queue
    broker = broker_url()
    app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = broker
    try:
        yield worker_process
    finally:
        for key, value in saved.items():
            app.conf[key] = value
        # Nothing left over for the next test's worker turn (countdown pumps).
        # A missing queue has nothing to purge.
        with app.connection_for_write() as conn, contextlib.suppress(Exception):
            conn.default_channel.queue_purge(worker_process.queue)


# The simulated gateway -----------------------------------------------------------------


@pytest.fixture
def gateway_account(simulator, live_server, transactional_db):
    """An SMSC account at the simulator, pushing delivery reports to the live server."""
    return simulated_account(
        simulator, "smsc", callbacks_to=live_server.url, name="SMSC e2e"
    )
