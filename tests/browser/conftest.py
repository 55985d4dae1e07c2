"""Real-browser tests: Playwright's sync API driving Debian's chromium.

Never a browser build downloaded by ``playwright install``: the executable is
``SHOUKONG_CHROMIUM`` (default ``/usr/bin/chromium``). Without it the tests are
skipped, except on CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM, called
# from the test body while that loop exists, would otherwise refuse to run.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path() -> str | None:
    path = os.environ.get("SHOUKONG_CHROMIUM", "/usr/bin/chromium")
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    return shutil.which(path)


@pytest.fixture
def chromium_path() -> str:
    path = _chromium_path()
    if path is None:
        reason = (
            "chromium not found at "
            f"{os.environ.get('SHOUKONG_CHROMIUM', '/usr/bin/chromium')} "
            "(apt-get install chromium, or set SHOUKONG_CHROMIUM)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is in the dev extra
        if os.environ.get("CI") == "true":
            pytest.fail(f"playwright is not installed: {exc}")
        pytest.skip(f"playwright is not installed: {exc}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
