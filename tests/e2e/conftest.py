"""Fixtures of the browser tests: the app served on a free port and Debian's Chromium.

The app is the `app` fixture of tests/conftest.py (the session's migrated test database,
tables emptied after each test) with CSRF turned back on, so the real login form is used.
Without Chromium or the playwright package the tests are skipped, or fail under CI.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: same reading of $CI as tests/conftest.py ("true" among others)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing_browser() -> str | None:
    """Tell what the browser tests lack, or None when they can run."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


def require_browser() -> None:
    """Skip the test when the browser is missing; under CI fail instead."""
    missing = _missing_browser()
    if missing is None:
        return
    if IN_CI:
        pytest.fail(f"end-to-end test cannot run under CI: {missing}", pytrace=False)
    pytest.skip(missing)


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    """Launch Debian's Chromium once per session through Playwright's sync API."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class LiveServer:
    url: str
    app: object


@pytest.fixture
def live_server(chromium, app, world) -> Iterator[LiveServer]:
    """Serve the test app, with the world's data and CSRF on, from a background thread.

    Depends on `chromium` first so that a missing browser skips before anything starts;
    it is torn down before `app`, which then empties the tables.
    """
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class BrowserPage:
    """A fresh browser page and the console errors and uncaught exceptions it reported."""

    page: object
    base_url: str
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str):
        return self.page.goto(self.base_url + path)


@pytest.fixture
def browser_page(chromium, live_server) -> Iterator[BrowserPage]:
    """Give a page in a new browser context (no cookies) that records console errors."""
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    bp = BrowserPage(page=page, base_url=live_server.url)

    def on_console(msg) -> None:
        # The browser asks for /favicon.ico by itself and the app has none: not a page error.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            bp.errors.append(f"console: {msg.text} @ {msg.location.get('url')}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: bp.errors.append(f"pageerror: {exc}"))
    try:
        yield bp
    finally:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    """Give the (git-ignored) folder where screenshots are written."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
