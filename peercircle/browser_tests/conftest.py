"""Browser tests: a real headless Chromium (Playwright, sync API) against a live server.

One browser per test session (per xdist worker), a fresh context (cookies, storage) per test.
Each module marks its tests ``browser`` (select them with ``pytest -m browser``) and runs them
with ``transactional_db``: the live server answers from another thread, so data must be committed.
They need a Chromium: PEERCIRCLE_CHROMIUM, or /usr/bin/chromium by default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

from peercircle.people.models import Person

# scripts/test.py finds a Chromium (Debian's, or Playwright's own) and says which here.
CHROMIUM = os.environ.get("PEERCIRCLE_CHROMIUM", "/usr/bin/chromium")
# This machine's network is closed: without these, Chromium's own background connections
# (updates, sync, safe browsing) wait for time-outs and slow every page down.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Playwright's sync API drives its own event loop from this thread, and while Playwright
    # runs, asyncio reports that loop as running here. Django then refuses every database call
    # of this worker (tests' set-up included) as "async-unsafe", although nothing here is async.
    # The switch is on only while the browser is, so tests before it keep Django's check.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def context(browser: Browser, live_server: Any) -> Iterator[BrowserContext]:
    cache.clear()  # throttles and used TOTP codes of an earlier test must not leak in
    ctx = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def sign_in(context: BrowserContext, live_server: Any) -> Callable[[Person], None]:
    """Give the browser a signed-in session for ``person`` (for tests not about signing in)."""

    def attach(person: Person) -> None:
        client = Client()
        assert person.user is not None
        client.force_login(person.user)
        cookie = client.cookies["sessionid"]
        context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])

    return attach
