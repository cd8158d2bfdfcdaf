"""Sessions that end everywhere at sign-out, API tokens that expire and stop with the account,
password reset by a single-use link stored hashed, and hashes upgraded at sign-in."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select

from app.accounts.models import AccountCode, ApiToken, User, UserSession
from app.accounts.services import issue_api_token
from app.core.db_types import utcnow
from app.core.extensions import db
from app.mail.models import OutboxMessage
from tests.factories import PASSWORD, csrf_from, install_charter, login, make_owner

DOMAIN = "trust.test"


def _copy_cookies(source: Any, target: Any, names: tuple[str, ...]) -> None:
    for name in names:
        cookie = source.get_cookie(name, domain=DOMAIN)
        if cookie is not None:
            target.set_cookie(name, cookie.value, domain=DOMAIN)


def _sign_in(client: Any, user: User, remember: bool = False) -> None:
    page = client.get("/login")
    data = {"login": user.email, "password": PASSWORD, "csrf_token": csrf_from(page)}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302


def _sign_out(client: Any) -> None:
    page = client.get("/me/")
    client.post("/logout", data={"csrf_token": csrf_from(page)})


def test_signing_out_ends_every_copy_of_the_session_and_remember_cookies(
    app: Any, db_session: Any
) -> None:
    install_charter()
    owner = make_owner(100)
    db.session.commit()
    browser = app.test_client()
    _sign_in(browser, owner, remember=True)
    session_copy, remember_copy = app.test_client(), app.test_client()
    _copy_cookies(browser, session_copy, ("session",))
    _copy_cookies(browser, remember_copy, ("remember_token",))
    assert remember_copy.get_cookie("remember_token", domain=DOMAIN) is not None
    assert session_copy.get("/me/").status_code == 200
    assert remember_copy.get("/me/").status_code == 200  # "keep me signed in" works
    _sign_out(browser)
    for copy in (session_copy, remember_copy):
        response = copy.get("/me/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    # Nor can a copied cookie mint an API token.
    minted = session_copy.post("/me/tokens", data={"new-name": "stolen"})
    assert minted.status_code in (302, 400)
    assert db.session.scalar(select(ApiToken.id)) is None


def test_the_profile_lists_sessions_and_ends_one_of_them(app: Any, db_session: Any) -> None:
    install_charter()
    owner = make_owner(100)
    db.session.commit()
    laptop, phone = app.test_client(), app.test_client()
    _sign_in(laptop, owner)
    _sign_in(phone, owner)
    page = laptop.get("/account/")
    assert page.status_code == 200 and page.data.count(b'name="end-session_id"') == 2
    phone_session = db.session.scalars(
        select(UserSession).order_by(UserSession.id.desc())
    ).first()
    ended = laptop.post("/account/sessions/end", data={
        "end-session_id": str(phone_session.id), "csrf_token": csrf_from(page)})
    assert ended.status_code == 302
    assert phone.get("/me/").status_code == 302
    assert laptop.get("/me/").status_code == 200
    # A session of another account cannot be ended from here.
    other = make_owner(100)
    db.session.commit()
    stranger = app.test_client()
    _sign_in(stranger, other)
    theirs = db.session.scalars(select(UserSession).order_by(UserSession.id.desc())).first()
    laptop.post("/account/sessions/end", data={
        "end-session_id": str(theirs.id), "csrf_token": csrf_from(page)})
    assert stranger.get("/me/").status_code == 200


def test_api_tokens_expire_record_their_use_and_stop_with_the_account(
    client: Any, db_session: Any
) -> None:
    install_charter()
    owner = make_owner(100)
    db.session.commit()
    value = issue_api_token(owner, "phone app")
    db.session.commit()
    headers = {"Authorization": f"Bearer {value}"}
    token = db.session.scalars(select(ApiToken)).one()
    assert timedelta(days=89) < token.expires_at - utcnow() <= timedelta(days=90)
    assert client.get("/api/me/receipts", headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.scalars(select(ApiToken)).one().last_used_at is not None
    owner = db.session.get(User, owner.id)
    owner.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    assert client.get("/api/me/receipts", headers=headers).status_code == 401
    owner.locked_until = None
    owner.disabled_at = utcnow()
    db.session.commit()
    assert client.get("/api/me/receipts", headers=headers).status_code == 401
    owner.disabled_at = None
    db.session.scalars(select(ApiToken)).one().expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/me/receipts", headers=headers).status_code == 401


def _reset_link(address: str) -> str:
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == address,
                                    OutboxMessage.template == "password_reset")
    ).one()
    match = re.search(r"https?://\S+/reset/\S+", row.body_text)
    assert match, row.body_text
    return match.group(0).split(DOMAIN, 1)[1]


def test_a_password_reset_link_works_once_is_stored_hashed_and_signs_out_everywhere(
    app: Any, db_session: Any
) -> None:
    install_charter()
    owner = make_owner(100, email="forgetful@example.test")
    db.session.commit()
    elsewhere = app.test_client()
    _sign_in(elsewhere, owner)
    client = app.test_client()
    page = client.get("/reset")
    known = client.post("/reset", data={"login": "forgetful@example.test",
                                        "csrf_token": csrf_from(page)}, follow_redirects=True)
    unknown = client.post("/reset", data={"login": "nobody@example.test",
                                          "csrf_token": csrf_from(page)}, follow_redirects=True)
    assert b"If an account has this email or phone" in known.data
    assert b"If an account has this email or phone" in unknown.data
    path = _reset_link("forgetful@example.test")
    token = path.rsplit("/", 1)[1]
    stored = db.session.scalars(select(AccountCode).where(AccountCode.purpose == "reset")).one()
    assert token not in stored.code_sha256 and stored.code_sha256 != hashlib.sha256(
        token.encode()).hexdigest()  # keyed: a database reader cannot test guesses
    form = client.get(path)
    assert form.status_code == 200
    short = client.post(path, data={"password": "short", "confirm": "short",
                                    "csrf_token": csrf_from(form)})
    assert b"at least 10 characters" in short.data
    done = client.post(path, data={"password": "a brand new pass phrase",
                                   "confirm": "a brand new pass phrase",
                                   "csrf_token": csrf_from(form)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert elsewhere.get("/me/").status_code == 302  # signed out everywhere
    again = client.get(path)
    assert again.status_code == 302 and "/reset" in again.headers["Location"]
    page = client.get("/login")
    signed = client.post("/login", data={"login": "forgetful@example.test",
                                         "password": "a brand new pass phrase",
                                         "csrf_token": csrf_from(page)})
    assert signed.status_code == 302 and "/me/" in signed.headers["Location"]


def test_an_expired_reset_link_is_refused(client: Any, db_session: Any) -> None:
    install_charter()
    make_owner(100, email="late@example.test")
    db.session.commit()
    page = client.get("/reset")
    client.post("/reset", data={"login": "late@example.test", "csrf_token": csrf_from(page)})
    path = _reset_link("late@example.test")
    row = db.session.scalars(select(AccountCode)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(path).status_code == 302


def test_a_weaker_stored_hash_is_upgraded_at_sign_in(client: Any, db_session: Any) -> None:
    install_charter()
    owner = make_owner(100)
    old = PasswordHasher(time_cost=2, memory_cost=512, parallelism=1).hash(PASSWORD)
    owner.password_hash = old
    db.session.commit()
    login(client, owner)
    db.session.expire_all()
    upgraded = db.session.get(User, owner.id).password_hash
    assert upgraded != old and upgraded.startswith("$argon2id$")
    assert client.get("/me/").status_code == 200


def test_an_administrator_disables_an_account_everywhere_at_once(
    app: Any, db_session: Any
) -> None:
    install_charter()
    admin = make_owner(0, role="admin", email="root@example.test")
    owner = make_owner(100, email="suspect@example.test")
    db.session.commit()
    value = issue_api_token(owner, "phone app")
    db.session.commit()
    browser = app.test_client()
    _sign_in(browser, owner)
    admin_client = app.test_client()
    login(admin_client, admin)
    found = admin_client.get("/admin/accounts?q=suspect")
    assert found.status_code == 200 and b"suspect@example.test" in found.data
    done = admin_client.post(f"/admin/accounts/{owner.id}", data={
        "action": "disable", "csrf_token": csrf_from(found)})
    assert done.status_code == 302
    assert browser.get("/me/").status_code == 302
    assert browser.get("/api/me/receipts",
                       headers={"Authorization": f"Bearer {value}"}).status_code == 401
    page = browser.get("/login")
    again = browser.post("/login", data={"login": owner.email, "password": PASSWORD,
                                         "csrf_token": csrf_from(page)})
    assert again.status_code == 200 and b"Wrong login or password" in again.data
    admin_client.post(f"/admin/accounts/{owner.id}", data={
        "action": "enable", "csrf_token": csrf_from(found)})
    _sign_in(browser, owner)
    assert browser.get("/me/").status_code == 200


def test_a_remember_cookie_alone_still_meets_the_second_factor_check(
    app: Any, db_session: Any
) -> None:
    # The check skips requests that carry no sign-in cookie at all; a browser that kept only
    # its "keep me signed in" cookie must not slip past it.
    from app.accounts import twofactor

    owner = make_owner(10)
    twofactor.begin(owner)
    owner.totp_enabled_at = utcnow()
    db.session.commit()
    browser = app.test_client()
    _sign_in(browser, owner, remember=True)
    remembered = app.test_client()
    _copy_cookies(browser, remembered, ("remember_token",))
    assert remembered.get_cookie("session", domain=DOMAIN) is None
    blocked = remembered.get("/me/")
    assert blocked.status_code == 302 and "/account/two-factor" in blocked.headers["Location"]
