"""A transferred owner number takes its growth value with it (compensating entries, nothing
deleted), and `flask trust audit` re-derives every binding from the log."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.accounts.models import User
from app.accounts.services import create_user
from app.core.extensions import db
from app.growth import claims
from app.growth.ledger import balance
from app.growth.models import GrowthEntry, OwnerClaim, OwnerContact
from app.integrity.run import run_audit
from app.voting import service as voting
from tests.factories import install_charter, login, make_open_vote, make_owner
from tests.web.test_claims import _feed, _latest_code


def _transfer(client: Any) -> tuple[User, User, datetime]:
    install_charter()
    db.session.commit()
    _feed(client, "N500", 300, "crm-1", email="first@example.test", phone="+8613822223333")
    _feed(client, "N500", 40, "crm-2")
    first = create_user(display_name="First", email="first@example.test", password="x",
                        check_policy=False)
    second = create_user(display_name="Second", phone="+8613822223333", password="x",
                         check_policy=False)
    db.session.flush()
    claims.request_claim(first, "N500")
    assert claims.confirm_claim(first, _latest_code("first@example.test")) == "N500"
    db.session.commit()
    assert balance(first.id, datetime.now(UTC)) == 340
    # The same proof, from the other account the brand's contact names.
    claims.request_claim(second, "N500")
    assert claims.confirm_claim(second, _latest_code("+8613822223333")) == "N500"
    db.session.commit()
    at = db.session.scalar(select(OwnerClaim.decided_at).where(
        OwnerClaim.user_id == second.id, OwnerClaim.status == "confirmed"))
    return first, second, at


def test_a_transfer_moves_the_numbers_value_and_the_rolls_after_it_follow(
    app: Any, client: Any, db_session: Any
) -> None:
    first, second, at = _transfer(client)
    now = datetime.now(UTC)
    assert balance(first.id, now) == 0 and balance(second.id, now) == 340
    # Nothing deleted: the first account's entries are all there, answered by the debit.
    history = db.session.execute(select(GrowthEntry.owner_id, GrowthEntry.points,
                                        GrowthEntry.source, GrowthEntry.reason)
                                 .order_by(GrowthEntry.id)).all()
    assert [(o, p, s) for o, p, s, _r in history] == [
        (first.id, 300, "brand-crm"), (first.id, 40, "brand-crm"),
        (first.id, -340, "transfer"), (second.id, 340, "transfer")]
    assert all("N500" in r for _o, _p, s, r in history if s == "transfer")
    # Before the transfer, the value was the first account's; rolls frozen then keep it.
    assert balance(first.id, at - timedelta(seconds=1)) == 340
    assert balance(second.id, at - timedelta(seconds=1)) == 0
    council = make_owner(500, role="council")
    db.session.commit()
    opens = at + timedelta(seconds=1)
    time.sleep(max(0.0, (opens - datetime.now(UTC)).total_seconds()) + 0.1)
    vote = make_open_vote(council, council, opens=opens, closes=opens + timedelta(days=7))
    assert voting.roll_entry_for(vote, first.id) is None
    assert voting.roll_entry_for(vote, second.id).weight == 340
    earlier = make_open_vote(council, council, opens=at - timedelta(seconds=1),
                             closes=at + timedelta(days=7),
                             title="An earlier roll, frozen before the transfer")
    assert voting.roll_entry_for(earlier, first.id).weight == 340
    assert voting.roll_entry_for(earlier, second.id) is None
    # The brand re-sends its file: nothing doubles, nothing is refused.
    again = _feed(client, "N500", 300, "crm-1")
    assert again.status_code == 200 and again.get_json()["skipped"] == 1
    assert balance(second.id, datetime.now(UTC)) == 340
    assert run_audit() == []
    admin = make_owner(0, role="admin", email="admin-t@example.test")
    db.session.commit()
    admin_client = app.test_client()
    login(admin_client, admin)
    listing = admin_client.get("/admin/claims?status=transfers")
    assert listing.status_code == 200
    assert b"N500" in listing.data and f"#{first.id}".encode() in listing.data
    assert b"340" in listing.data


def _named(findings: list[Any], text: str) -> bool:
    return any(text in f"{f.where}: {f.problem}" for f in findings)


def test_the_audit_names_bindings_written_around_the_claims(
    client: Any, db_session: Any
) -> None:
    first, second, _at = _transfer(client)
    assert run_audit() == []
    squatter = make_owner(0, email="squat@example.test")
    db.session.commit()
    assert run_audit() == []
    # A number written straight into the account table, with no claim behind it.
    db.session.execute(update(User).where(User.id == squatter.id).values(external_id="N999"))
    findings = run_audit()
    assert _named(findings, f"account {squatter.id}: holds owner number N999, which no logged")
    db.session.execute(update(User).where(User.id == squatter.id).values(
        external_id=f"EXT-{squatter.id}"))
    # The number handed back to the first account by an edit.
    db.session.execute(update(User).where(User.id == second.id).values(external_id=None))
    db.session.execute(update(User).where(User.id == first.id).values(external_id="N500"))
    findings = run_audit()
    assert _named(findings, f"account {first.id}: holds owner number N500, which the log gives "
                            f"to account {second.id}")
    db.session.rollback()


def test_the_audit_names_an_edited_claim_transfer_or_contact(
    client: Any, db_session: Any
) -> None:
    first, second, _at = _transfer(client)
    claim = db.session.scalar(select(OwnerClaim).where(OwnerClaim.user_id == second.id,
                                                       OwnerClaim.status == "confirmed"))
    db.session.execute(update(OwnerClaim).where(OwnerClaim.id == claim.id).values(
        previous_user_id=None))
    assert _named(run_audit(), f"owner claim {claim.id}: edited")
    db.session.rollback()
    db.session.execute(update(GrowthEntry).where(GrowthEntry.source == "transfer",
                                                 GrowthEntry.points > 0).values(points=3400))
    assert _named(run_audit(), f"transfer of claim {claim.id}")
    db.session.rollback()
    db.session.add(OwnerClaim(owner_number="N777", user_id=first.id, status="confirmed",
                              reason="email"))
    db.session.flush()
    assert _named(run_audit(), "confirmed for owner number N777, but never logged")
    db.session.rollback()
    db.session.execute(update(OwnerContact).where(OwnerContact.owner_number == "N500").values(
        email_digest=claims.contact_digest("email", "mallory@example.test")))
    assert _named(run_audit(), "owner contacts: the table no longer matches")
    db.session.rollback()
    assert run_audit() == []
