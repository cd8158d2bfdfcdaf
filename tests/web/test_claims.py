"""An owner number counts for an account only after the account proves it by a code sent to the
contact the brand verified; typing someone else's number gains nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import create_user
from app.core.extensions import db
from app.growth.claims import contact_digest
from app.growth.ledger import balance
from app.growth.models import HeldGrowthEntry, OwnerClaim
from app.mail.models import OutboxMessage
from app.voting import service as voting
from tests.factories import (
    PASSWORD,
    csrf_from,
    install_charter,
    login,
    make_open_vote,
    make_owner,
)

IMPORT = {"Authorization": "Bearer test-import-token-0123456789"}
WHEN = (datetime.now(UTC) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _feed(client: Any, number: str, points: int, sid: str, **contact: str) -> Any:
    entry = {"owner": number, "dimension": "purchase", "points": points, "reason": "Car",
             "source_id": sid, "occurred_at": WHEN}
    if "email" in contact:
        entry["contact_email_sha256"] = contact_digest("email", contact["email"])
    if "phone" in contact:
        entry["contact_phone_sha256"] = contact_digest("phone", contact["phone"])
    return client.post("/api/growth/import", json={"entries": [entry]}, headers=IMPORT)


def _sign_up(client: Any, email: str, number: str) -> None:
    page = client.get("/register")
    client.post("/register", data={
        "display_name": "Claimant", "email": email, "phone": "", "external_id": number,
        "password": "a long pass phrase 2026", "confirm": "a long pass phrase 2026",
        "csrf_token": csrf_from(page)})


def test_a_claim_counts_only_after_the_code_sent_to_the_brands_contact(
    client: Any, db_session: Any, mail_over_smtp: Any
) -> None:
    install_charter()
    db.session.commit()
    fed = _feed(client, "N100", 8000, "crm-1", email="li@example.test")
    assert fed.status_code == 200 and fed.get_json()["held"] == 1
    _sign_up(client, "li@example.test", "N100")
    [verify] = mail_over_smtp.wait_for("li@example.test")
    page = client.get("/register/confirm")
    client.post("/register/confirm", data={"code": mail_over_smtp.code(verify),
                                           "csrf_token": csrf_from(page)})
    user = db.session.scalar(select(User).where(User.email == "li@example.test"))
    assert user.is_verified and user.external_id is None
    # Signed up and confirmed, but the number is not proved yet: no growth value, no roll.
    assert balance(user.id, datetime.now(UTC)) == 0
    council = make_owner(500, role="council")
    db.session.commit()
    early_vote = make_open_vote(council, council)
    assert voting.roll_entry_for(early_vote, user.id) is None
    mails = mail_over_smtp.wait_for("li@example.test", count=2)
    claim_mail = mails[1]
    assert "N100" in str(claim_mail["Subject"])
    profile = client.get("/account/")
    wrong = client.post("/account/claim/confirm", data={"claimcode-code": "000000",
                                                         "csrf_token": csrf_from(profile)})
    assert b"Wrong or expired code" in wrong.data
    done = client.post("/account/claim/confirm", data={
        "claimcode-code": mail_over_smtp.code(claim_mail), "csrf_token": csrf_from(profile)})
    assert done.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.external_id == "N100"
    assert balance(user.id, datetime.now(UTC)) == 8000
    assert db.session.scalar(select(HeldGrowthEntry.id)) is None
    # Later entries for the number go straight to the account.
    assert _feed(client, "N100", 100, "crm-2").get_json()["inserted"] == 1
    assert balance(user.id, datetime.now(UTC)) == 8100


def test_typing_someone_elses_number_gains_nothing_and_is_shown_to_administrators(
    app: Any, client: Any, db_session: Any
) -> None:
    install_charter()
    admin = make_owner(0, role="admin", email="admin@example.test")
    attacker = make_owner(0, email="mallory@example.test")
    db.session.commit()
    _feed(client, "N200", 8000, "crm-1", email="owner200@example.test")
    _feed(client, "N300", 50, "crm-2", email="owner300@example.test")
    attacker_client = app.test_client()
    page = attacker_client.get("/login")
    attacker_client.post("/login", data={"login": attacker.email, "password": PASSWORD,
                                         "csrf_token": csrf_from(page)})
    profile = attacker_client.get("/account/")
    refused = attacker_client.post("/account/claim", data={
        "claim-owner_number": "N200", "csrf_token": csrf_from(profile)})
    assert b"The brand lists a different email or phone" in refused.data
    unknown = attacker_client.post("/account/claim", data={
        "claim-owner_number": "N999", "csrf_token": csrf_from(profile)})
    assert b"has not given a verified email or phone" in unknown.data
    db.session.expire_all()
    assert db.session.get(User, attacker.id).external_id not in ("N200", "N999")
    assert balance(attacker.id, datetime.now(UTC)) == 0
    assert db.session.scalar(select(HeldGrowthEntry.points).where(
        HeldGrowthEntry.owner_number == "N200")) == 8000  # still waiting for its owner
    # No code went anywhere: nothing to the attacker, nothing to the owner.
    assert db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.template == "claim_code")) is None
    refusals = db.session.scalars(select(OwnerClaim.reason).where(
        OwnerClaim.status == "refused").order_by(OwnerClaim.id)).all()
    assert refusals == ["contact_mismatch", "no_contact"]
    admin_client = app.test_client()
    login(admin_client, admin)
    listing = admin_client.get("/admin/claims?status=refused")
    assert listing.status_code == 200 and b"N200" in listing.data and b"N999" in listing.data


def test_a_number_moves_to_another_account_only_by_the_same_proof(
    client: Any, db_session: Any
) -> None:
    from app.accounts import codes
    from app.growth import claims

    install_charter()
    db.session.commit()
    _feed(client, "N400", 300, "crm-1", email="first@example.test", phone="+8613811112222")
    first = make_owner(0, email="first@example.test")
    second = create_user(display_name="Second", phone="+8613811112222", password="x",
                         check_policy=False)
    db.session.flush()
    started = claims.request_claim(first, "N400")
    assert started.channel == "email"
    code = _latest_code("first@example.test")
    assert claims.confirm_claim(first, code) == "N400"
    db.session.commit()
    assert balance(first.id, datetime.now(UTC)) == 300
    # The second account shares the brand's phone for the number: the code goes by text.
    assert claims.request_claim(second, "N400").channel == "sms"
    assert claims.confirm_claim(second, "999999" if code != "999999" else "000000") is None
    code = _latest_code("+8613811112222")
    codes_left = codes.live(second.id, "claim")
    assert codes_left is not None
    assert claims.confirm_claim(second, code) == "N400"
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, first.id).external_id is None
    assert db.session.get(User, second.id).external_id == "N400"
    moved = db.session.scalars(select(OwnerClaim).where(
        OwnerClaim.user_id == second.id, OwnerClaim.status == "confirmed")).one()
    assert moved.previous_user_id == first.id


def _latest_code(recipient: str) -> str:
    import re

    row = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == recipient).order_by(OutboxMessage.id.desc())).first()
    assert row is not None
    match = re.search(r"\b([0-9]{6})\b", row.body_text)
    assert match
    return match.group(1)
