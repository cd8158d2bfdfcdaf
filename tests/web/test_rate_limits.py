"""Per-address limits on sign-in and sign-up hold, on the app as it is built for production."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.core.extensions import limiter
from tests.factories import csrf_from

# Its commits must reach the database for real (see tests/conftest.py).
pytestmark = pytest.mark.real_commits


@pytest.fixture
def client(app: Any, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A client of an app built with limits on, as in production.

    The suite's own app runs with limits off (every test signs in from one address). The limiter
    is one shared extension object, so it is switched off again after the test.
    """
    from app import create_app
    from app.core.extensions import db
    from tests.conftest import app_test_config

    limited = create_app(
        app_test_config(database_url, tmp_path_factory.mktemp("limited"), RATELIMIT_ENABLED=True)
    )
    try:
        yield limited.test_client()
    finally:
        limiter.reset()
        limiter.enabled = False
        with limited.app_context():
            db.engine.dispose()


def _failed_sign_in(client: Any, token: str) -> int:
    response = client.post(
        "/login", data={"login": "nobody@example.test", "password": "wrong", "csrf_token": token}
    )
    return int(response.status_code)


def test_the_twenty_first_sign_in_attempt_in_a_minute_is_refused(client: Any) -> None:
    token = csrf_from(client.get("/login"))
    codes = [_failed_sign_in(client, token) for _ in range(21)]
    assert codes[:20] == [200] * 20  # the form again, with "wrong login or password"
    assert codes[20] == 429


def test_reading_pages_is_not_limited(client: Any) -> None:
    codes = {client.get("/login").status_code for _ in range(40)}
    assert codes == {200}
