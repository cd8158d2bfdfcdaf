"""Owners create their own accounts; bad sign-ups are refused with reasons and write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.accounts.services import create_user
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


def _held_code(address: str) -> str:
    import re

    from app.mail.models import OutboxMessage

    row = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == address)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert row is not None, f"no message held for {address}"
    match = re.search(r"\b([0-9]{6})\b", row.body_text)
    assert match, row.body_text
    return match.group(1)


def test_a_new_owner_confirms_the_address_by_code_and_is_signed_in(
    client: Any, db_session: Any
) -> None:
    install_charter()
    db.session.commit()
    response = _register(client)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/register/confirm"
    )
    user = db.session.scalar(select(User).where(User.email == "li.na@example.test"))
    assert user is not None and user.role == "owner" and not user.is_verified
    # The typed owner number is not bound: only a claim proved by code binds it.
    assert user.external_id is None
    assert "a long pass phrase" not in user.password_hash
    page = client.get("/register/confirm")
    assert b"l***@example.test" in page.data
    wrong = client.post("/register/confirm", data={"code": "000000", "csrf_token": csrf_from(page)})
    assert b"Wrong or expired code" in wrong.data
    code = _held_code("li.na@example.test")
    done = client.post("/register/confirm", data={"code": code, "csrf_token": csrf_from(page)})
    assert done.status_code == 302 and "/me/" in done.headers["Location"]
    db.session.expire_all()
    assert db.session.get(User, user.id).is_verified
    assert client.get("/me/").status_code == 200
    # Spent: the same code works no second time.
    again = client.post("/register/confirm", data={"code": code, "csrf_token": csrf_from(page)})
    assert again.status_code in (200, 302) and b"Welcome" not in again.data


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


def test_a_taken_address_looks_like_a_new_one_and_warns_its_holder(
    client: Any, db_session: Any
) -> None:
    from app.mail.models import OutboxMessage

    install_charter()
    holder = make_owner(100, email="taken@example.test")
    db.session.commit()
    before = _users()
    taken = _register(client, email="taken@example.test")
    taken_page = client.get("/register/confirm").data
    fresh_client = client.application.test_client()
    fresh = _register(fresh_client, email="tiken@example.test")
    fresh_page = fresh_client.get("/register/confirm").data
    assert taken.status_code == fresh.status_code == 302
    assert taken.headers["Location"] == fresh.headers["Location"]
    assert _users() == before + 1  # only the free address made an account

    def strip(page: bytes) -> bytes:
        import re

        return re.sub(rb'value="[^"]+"', b"", page).replace(b"t***@example.test", b"")

    assert strip(taken_page) == strip(fresh_page)
    note = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == holder.id)
    ).one()
    assert note.template == "signup_attempt" and note.recipient == "taken@example.test"


def _populate() -> None:
    """Accounts of every shape: email only (as every demo account), phone only, both."""
    install_charter()
    make_owner(100, email="only.email@example.test")
    phone_only = create_user(
        display_name="Phone Only", phone="+8613800000001", password="x", check_policy=False,
        external_id="N000001",
    )
    both = create_user(
        display_name="Both", email="both@example.test", phone="+8613800000002", password="x",
        check_policy=False,
    )
    db.session.add_all([phone_only, both])
    db.session.commit()


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "new.email@example.test", "phone": "", "external_id": ""},
        {"email": "", "phone": "+8613900000009", "external_id": ""},
        {"email": "new.both@example.test", "phone": "+8613900000010", "external_id": ""},
        {"email": "new.num@example.test", "phone": "", "external_id": "N777777"},
        {"email": "", "phone": "+8613900000011", "external_id": "N777778"},
    ],
    ids=["email-only", "phone-only", "both", "email+number", "phone+number"],
)
def test_sign_up_is_accepted_on_a_populated_database(
    client: Any, db_session: Any, fields: dict[str, str]
) -> None:
    _populate()
    before = _users()
    response = _register(client, **fields)
    assert response.status_code == 302, response.data[:2000]
    assert response.headers["Location"].endswith("/register/confirm")
    assert _users() == before + 1


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "only.email@example.test", "phone": ""},
        {"email": "ONLY.Email@example.test ", "phone": ""},
        {"email": "", "phone": "+8613800000001"},
        {"email": "", "phone": "+86 138-0000-0001"},
        {"email": "both@example.test", "phone": "+8613900000012"},
        {"email": "fresh@example.test", "phone": "+8613800000002"},
    ],
    ids=["email", "email-case", "phone", "phone-spaced", "both-email-taken", "both-phone-taken"],
)
def test_a_duplicate_creates_nothing(
    client: Any, db_session: Any, fields: dict[str, str]
) -> None:
    _populate()
    before = _users()
    response = _register(client, external_id="", **fields)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/register/confirm"
    )
    assert _users() == before
