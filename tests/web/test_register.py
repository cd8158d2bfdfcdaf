"""Owners create their own accounts; bad sign-ups are refused with reasons and write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.core.extensions import db
from tests.factories import csrf_from, install_charter, make_owner


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def _register(client: Any, **fields: str) -> Any:
    page = client.get("/register")
    data = {
        "display_name": "Li Na",
        "email": "li.na@example.test",
        "phone": "",
        "external_id": "N123456",
        "password": "a long pass phrase 2026",
        "confirm": "a long pass phrase 2026",
        "csrf_token": csrf_from(page),
    }
    data.update(fields)
    return client.post("/register", data=data)


def test_a_new_owner_registers_and_is_signed_in(client: Any, db_session: Any) -> None:
    install_charter()
    db.session.commit()
    response = _register(client)
    assert response.status_code == 302 and "/me/" in response.headers["Location"]
    user = db.session.scalar(select(User).where(User.email == "li.na@example.test"))
    assert user is not None and user.role == "owner" and user.external_id == "N123456"
    assert "a long pass phrase" not in user.password_hash
    assert b"N123456" in client.get("/me/").data


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"password": "short", "confirm": "short"}, b"at least 10 characters"),
        ({"confirm": "something else entirely"}, b"The two passwords differ"),
        ({"email": "", "phone": ""}, b"Give an email address or a phone number"),
        ({"email": "not-an-email"}, b"This is not an email address"),
        ({"external_id": "has spaces in it"}, b"An owner number has letters"),
        (
            {"password": "li.na@example.test!!", "confirm": "li.na@example.test!!"},
            b"not containing",
        ),
    ],
)
def test_a_bad_sign_up_says_why_and_creates_nothing(
    client: Any, db_session: Any, fields: dict[str, str], message: bytes
) -> None:
    install_charter()
    db.session.commit()
    before = _users()
    response = _register(client, **fields)
    assert response.status_code == 200
    assert message in response.data
    assert _users() == before


def test_an_email_or_owner_number_already_in_use_is_refused(client: Any, db_session: Any) -> None:
    install_charter()
    make_owner(100, email="taken@example.test")
    db.session.commit()
    before = _users()
    response = _register(client, email="taken@example.test")
    assert b"already exists" in response.data
    assert _users() == before
