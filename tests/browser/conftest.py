"""Real-browser fixtures: Playwright drives Debian's Chromium against pytest-django's live server.

Browser tests are transactional (the live server thread must see their data), and each one ends by emptying
every table, the role groups from the migrations included. Mark modules
``pytest.mark.django_db(transaction=True, serialized_rollback=True)`` so those rows are put back before the next
test; pytest-django only serializes the database when a marker asks for it.
"""
import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Flags the machine needs: no sandbox as root, and no background calls to Google on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def chromium_browser(django_db_setup):
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    from django.db import connections

    # Once Playwright's loop exists, asgiref hands this thread new (context-local) connection objects, which lack
    # the snapshot serialized_rollback restores from; carry it over so the role groups survive each flush.
    snapshots = {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}
    with sync_api.sync_playwright() as playwright:
        for alias, snapshot in snapshots.items():
            if snapshot is not None:
                connections[alias]._test_serialized_contents = snapshot
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser, live_server):
    """A fresh page; a script error it raised (an uncaught exception) fails the test, whatever else it checked."""
    context = chromium_browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
    yield page
    context.close()
    assert not script_errors, f"the page raised script errors: {script_errors}"


@pytest.fixture
def login(page):
    def _login(username: str, password: str = "pw"):
        page.goto("/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_selector("#header-inner")
        return page

    return _login
