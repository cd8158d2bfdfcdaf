"""A live app on 127.0.0.1 and Debian's Chromium driven by Playwright.

The live server is a second app object on the same database as the session `app` fixture, so
tests build their data with the ordinary factories and the autouse `_empty_tables` fixture
(keyed on `app`, which every fixture here depends on) empties the tables around each test. It
differs from the test app only where a real browser needs it: no SERVER_NAME (the browser asks
for 127.0.0.1) and cookies allowed over plain HTTP.

Never a downloaded browser: only /usr/bin/chromium, as installed by `apt-get install chromium`.
Without it, or without the playwright package, every test here is skipped, saying which.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import app_test_config

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The live server is another app on its own connections: commits must be real here."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.real_commits)


@pytest.fixture(scope="session")
def live_app(app: Any, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from app import create_app

    # `app` has already built the schema; this one only serves it.
    return create_app(
        app_test_config(
            database_url,
            tmp_path_factory.mktemp("live-instance"),
            SERVER_NAME=None,
            SESSION_COOKIE_SECURE=False,
            REMEMBER_COOKIE_SECURE=False,
            AUTO_MIGRATE=False,
        )
    )


@pytest.fixture(scope="session")
def live_server(live_app: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    from app.core.extensions import db

    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the playwright package (pip install playwright)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Any]:
    """A factory of pages, each in a fresh browser context (own cookies) at a given size."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None, locale: str = "en-GB") -> Any:
        context = browser.new_context(
            base_url=live_server,
            viewport=viewport or DESKTOP,
            locale=locale,
            accept_downloads=True,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/e2e/, emptied once per run so no screenshot is left from an older one."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture
def shot(request: pytest.FixtureRequest, artifacts: Path) -> Any:
    """Save a full-page PNG of a step into test-artifacts/e2e/, named by test and step."""
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    counter = iter(range(1, 1000))

    def take(page: Any, step: str) -> Path:
        path = artifacts / f"{test_name}-{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
