"""Sign-in attempts from one address are capped, whatever the accounts tried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import app_test_config


def test_more_than_twenty_sign_in_attempts_a_minute_from_one_address_get_429(
    database_url: str, tmp_path: Path, app: Any
) -> None:
    from app import create_app

    limited = create_app(
        app_test_config(
            database_url,
            tmp_path,
            RATELIMIT_ENABLED=True,
            AUTO_MIGRATE=False,
            WTF_CSRF_ENABLED=False,
        )
    )
    client = limited.test_client()
    statuses = [
        client.post(
            "/login", data={"login": f"nobody{i}@example.test", "password": "x" * 12}
        ).status_code
        for i in range(22)
    ]
    assert statuses[:20] == [200] * 20  # the form comes back with "wrong login or password"
    assert statuses[20:] == [429, 429]
    assert client.get("/login").status_code == 200  # reading the page is not limited
