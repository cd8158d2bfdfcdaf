"""Power the log does not back grants nothing, before anyone audits (issue 16): a council
seat inserted or edited in the database, a role set to administrator by SQL. Each is refused
where the app reads it to authorise an act, with a clear message and an audit-trail entry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from app.audit import unbacked
from app.audit.models import AuditEvent
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.council.models import CouncilSeat
from app.treasury import service
from app.treasury.disbursements import seat_roles
from tests.factories import csrf_from, make_owner
from tests.web.test_treasury import switch_user, trust  # noqa: F401  (the fixture)

REFUSAL = b"not recorded in the trust&#39;s public log"


@pytest.fixture(autouse=True)
def _fresh_reports() -> None:
    unbacked.forget()


def _insert_seat(member_id: int, role: str) -> int:
    now = utcnow()
    db.session.execute(text(
        "INSERT INTO council_seats (member_id, role, term_start, term_end) VALUES"
        " (:m, :r, :s, :e)"), {"m": member_id, "r": role, "s": now - timedelta(days=1),
                               "e": now + timedelta(days=300)})
    db.session.commit()
    return int(db.session.scalar(text("SELECT max(id) FROM council_seats")))


def _refusals(subject: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == unbacked.ACTION, AuditEvent.subject == subject)))


def test_an_inserted_seat_opens_no_council_page_and_approves_nothing(
    trust: dict[str, Any], client: Any  # noqa: F811
) -> None:
    insider = make_owner(0, name="Insider")
    db.session.commit()
    seat_id = _insert_seat(insider.id, "proceeds_committee")
    chair_id = _insert_seat(insider.id, "chair")

    assert not council.is_seated(insider)
    assert insider.id not in council.seated_member_ids()
    assert {s.id for s in council.active_seats()}.isdisjoint({seat_id, chair_id})
    d = service.draft(trust["members"][0], trust["budget"], 100_000, "owner_care",
                      "Families of 12 owners", "Hospital bills after a road accident.")
    db.session.commit()
    with pytest.raises(service.TreasuryError):
        service.approve(insider, d.id)
    db.session.rollback()
    motion = council.open_motion(trust["members"][0], "general", "minutes:weekly",
                                 "Publish minutes weekly")
    db.session.commit()
    with pytest.raises(council.MotionError):
        council.vote(motion, insider, "for")
    db.session.rollback()
    with pytest.raises(council.MotionError):
        council.open_motion(insider, "general", "minutes:daily", "Publish minutes daily")
    db.session.rollback()

    browser = switch_user(client, insider)
    page = browser.get("/council/queue")
    assert page.status_code == 403 and REFUSAL in page.data
    approve = browser.post(f"/treasury/disbursements/{d.id}/approve",
                           data={"csrf_token": csrf_from(browser.get("/me/"))})
    assert approve.status_code == 403
    assert service.approvals_of(d) == []
    for subject in (f"seat:{seat_id}", f"seat:{chair_id}"):
        events = _refusals(subject)
        assert events and events[0].outcome == "refused"
        assert "no council.seated leaf" in events[0].details

    # The control: a seat seated through the app opens the same page.
    member = switch_user(client, trust["members"][0])
    assert member.get("/council/queue").status_code == 200


def test_a_logged_seat_edited_in_the_database_stops_counting(
    trust: dict[str, Any],  # noqa: F811
) -> None:
    member = trust["members"][1]  # proceeds committee: one of the two who approve
    assert council.is_seated(member)
    db.session.execute(text("UPDATE council_seats SET role = 'chair' WHERE member_id = :m"),
                       {"m": member.id})
    db.session.commit()
    db.session.expire_all()
    assert not council.is_seated(member)
    assert member.id not in seat_roles()
    seat_id = db.session.scalar(select(CouncilSeat.id).where(CouncilSeat.member_id == member.id))
    assert "role differ from the logged seating" in _refusals(f"seat:{seat_id}")[0].details


def test_a_role_made_administrator_by_sql_opens_no_admin_page(
    trust: dict[str, Any], client: Any  # noqa: F811
) -> None:
    insider = make_owner(0, name="Would-be admin")
    db.session.commit()
    db.session.execute(text("UPDATE users SET role = 'admin' WHERE id = :u"), {"u": insider.id})
    db.session.commit()
    db.session.expire_all()
    assert not insider.is_admin and insider.acting_role == "owner"

    browser = switch_user(client, insider)
    page = browser.get("/admin/")
    assert page.status_code == 403 and REFUSAL in page.data
    assert browser.get("/council/queue").status_code == 403
    events = _refusals(f"user:{insider.id}")
    assert events and "no account.role leaf granted it" in events[0].details

    # The control: an administrator created through the app (and logged) opens it.
    admin = switch_user(client, trust["admin"])
    assert admin.get("/admin/").status_code == 200


def test_a_role_made_administrator_by_sql_takes_no_owner_off_the_roll(
    trust: dict[str, Any],  # noqa: F811
) -> None:
    from app.voting import service as voting
    from tests.factories import add_growth, make_open_vote

    owner = make_owner(4000, name="Owner kept on the roll")
    add_growth(trust["admin"], 4000)
    db.session.commit()
    db.session.execute(text("UPDATE users SET role = 'admin' WHERE id = :u"), {"u": owner.id})
    db.session.commit()
    proposal_id = make_open_vote(trust["voter"], trust["members"][0])
    assert voting.roll_entry_for(proposal_id, owner.id) is not None
    # An administrator the log backs is staff, and stays off it.
    assert voting.roll_entry_for(proposal_id, trust["admin"].id) is None
