# ruff: noqa: F811  (the fixture `trust` is imported from test_treasury and requested by name)
"""Committees with powers on a real database: only the committee the charter names approves
spending, with recusal applied and the rest of the council as its fallback; supervisors never
approve (Art. 22.1-22.4 of the demo charter)."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.extensions import db
from app.council import interests
from app.treasury import service
from app.treasury.models import Disbursement
from tests.factories import make_owner
from tests.web.test_treasury import seat, trust  # noqa: F401  (trust is a fixture)


def draft(t: dict[str, Any], beneficiary: str = "Families of 12 owners") -> Disbursement:
    d = service.draft(t["members"][0], t["budget"], 100_00, "owner_care", beneficiary,
                      "Hospital bills.")
    db.session.commit()
    return d


def refused(member: Any, d: Disbursement) -> list[str]:
    with pytest.raises(service.TreasuryError) as refusal:
        service.approve(member, d.id)
    db.session.rollback()
    return [v.article for v in refusal.value.violations]


def test_a_seated_member_off_the_committee_is_refused(trust: dict[str, Any]) -> None:
    protector = make_owner(0, role="council", name="Protector")
    seat(protector, "protector")
    db.session.commit()
    d = draft(trust)
    assert refused(protector, d) == ["Art. 22.1"]
    assert db.session.get(Disbursement, d.id).state == "pending"


def test_a_supervisor_never_approves(trust: dict[str, Any]) -> None:
    d = draft(trust)
    assert refused(trust["members"][3], d) == ["Art. 22.4"]


def test_the_beneficiary_on_the_committee_is_recused(trust: dict[str, Any]) -> None:
    d = draft(trust, beneficiary="member 1")  # Member 1's own name, spaced and cased apart
    assert refused(trust["members"][1], d) == ["Art. 22.3"]


def test_a_declared_interest_in_the_budget_recuses(trust: dict[str, Any]) -> None:
    m = trust["members"]
    interests.declare(m[2], f"budget:{trust['budget']}", "My garage is paid from it")
    db.session.commit()
    d = draft(trust)
    assert refused(m[2], d) == ["Art. 22.3"]


def test_recusals_below_the_committees_number_open_approval_to_other_members(
    trust: dict[str, Any]
) -> None:
    m = trust["members"]
    outsider = make_owner(0, role="council", name="Asset member")
    seat(outsider, "asset_committee")
    db.session.commit()
    interests.declare(m[2], f"budget:{trust['budget']}", "My garage is paid from it")
    db.session.commit()
    d = draft(trust)
    # Only one committee member is free, so the other seated members who have no interest and
    # do not supervise approve in its place; the supervisor still does not.
    assert service.approve(outsider, d.id) is False
    db.session.commit()
    assert refused(m[3], d) == ["Art. 22.4"]
    assert service.approve(m[1], d.id) is True
    db.session.commit()
    assert db.session.get(Disbursement, d.id).state == "recorded"


def test_without_recusals_an_outsider_cannot_stand_in(trust: dict[str, Any]) -> None:
    outsider = make_owner(0, role="council", name="Asset member")
    seat(outsider, "asset_committee")
    db.session.commit()
    d = draft(trust)
    assert refused(outsider, d) == ["Art. 22.1"]


def test_a_supervisor_suspends_until_a_council_motion_lifts_it(trust: dict[str, Any]) -> None:
    from app.council import service as council
    from app.decisions import motions
    from app.translog.models import LogLeaf
    from app.treasury import supervision

    m = trust["members"]
    d = draft(trust)
    service.approve(m[1], d.id)
    db.session.commit()
    row = supervision.suspend(m[3], d.id, "The invoice does not match the hospital's stamp.")
    db.session.commit()
    motion = council.get_motion(row.motion_id)
    assert motion is not None and motion.kind == "lift_suspension"
    # the supervisor is recused from the motion about what they supervise
    assert m[3].id in council.recusals_of(motion)
    with pytest.raises(council.MotionError):
        council.vote(motion, m[3], "for")
    db.session.rollback()
    # while suspended, the second approval is refused and nothing is recorded
    assert refused(m[2], d) == ["Art. 22.4"]
    assert db.session.get(Disbursement, d.id).state == "pending"
    leaf = db.session.query(LogLeaf).filter_by(type="disbursement.suspended").one()
    assert "hospital's stamp" in leaf.record_json
    for member in m[:3]:
        council.vote(motion, member, "for")
    assert motions.close(motion, m[0]).passed
    db.session.commit()
    assert supervision.active_suspension(d.id) is None
    assert service.approve(m[2], d.id) is True


def test_only_a_seated_supervisor_suspends_and_a_failed_motion_keeps_the_hold(
    trust: dict[str, Any]
) -> None:
    from app.council import service as council
    from app.decisions import motions
    from app.treasury import supervision

    m = trust["members"]
    d = draft(trust)
    for who in (m[1], m[0], trust["admin"]):
        with pytest.raises(service.TreasuryError) as refusal:
            supervision.suspend(who, d.id, "I object")
        db.session.rollback()
        assert [v.article for v in refusal.value.violations] == ["Art. 22.4"]
    with pytest.raises(service.TreasuryError):
        supervision.suspend(m[3], d.id, "   ")
    db.session.rollback()
    row = supervision.suspend(m[3], d.id, "Beneficiary unclear.")
    db.session.commit()
    with pytest.raises(service.TreasuryError):
        supervision.suspend(m[3], d.id, "Again")
    db.session.rollback()
    motion = council.get_motion(row.motion_id)
    for member in m[:3]:
        council.vote(motion, member, "against")
    assert not motions.close(motion, m[0]).passed
    db.session.commit()
    assert supervision.active_suspension(d.id) is not None
    assert refused(m[1], d) == ["Art. 22.4"]


def test_the_suspend_button_on_the_page_in_chinese(trust: dict[str, Any], client: Any) -> None:
    from tests.factories import csrf_from
    from tests.web.test_treasury import switch_user

    m = trust["members"]
    d = draft(trust)
    member = switch_user(client, m[1])
    token = csrf_from(member.get(f"/treasury/disbursements/{d.id}"))
    refused_page = member.post(f"/treasury/disbursements/{d.id}/suspend",
                               data={"csrf_token": token, "reason": "I object"},
                               headers={"Accept-Language": "zh-CN"}, follow_redirects=True)
    assert "只有在任监事可以暂停拨款" in refused_page.get_data(as_text=True)
    supervisor = switch_user(client, m[3])
    token = csrf_from(supervisor.get(f"/treasury/disbursements/{d.id}"))
    done = supervisor.post(f"/treasury/disbursements/{d.id}/suspend",
                           data={"csrf_token": token, "reason": "Invoice unclear"})
    assert done.status_code == 302 and "/council/motions/" in done.headers["Location"]
    page = supervisor.get(f"/treasury/disbursements/{d.id}").get_data(as_text=True)
    assert "Invoice unclear" in page and "Suspended by a supervisor" in page


def test_no_administrator_reverses_money_without_a_passed_council_motion(
    trust: dict[str, Any]
) -> None:
    from sqlalchemy import select

    from app.council import service as council
    from app.translog.models import LogLeaf
    from app.treasury.models import TreasuryTxn
    from tests.factories import pass_motion

    m, admin = trust["members"], trust["admin"]
    d = draft(trust)
    for member in m[1:3]:
        service.approve(member, d.id)
    db.session.commit()
    # the owner-voted budget's own authorisation, and a disbursement from it
    budget_txn = db.session.scalar(
        select(TreasuryTxn.id).where(TreasuryTxn.kind == "budget_authorised"))
    for txn in (budget_txn, d.txn):
        with pytest.raises(service.TreasuryError):
            service.reverse(admin, txn, "Admin alone", motion_id=None)
        db.session.rollback()
    # a motion still open, or a passed motion about another transaction: refused
    open_one = council.open_motion(m[0], "reverse_transaction", f"txn:{d.txn}", "Reverse")
    db.session.commit()
    with pytest.raises(service.TreasuryError):
        service.reverse(admin, d.txn, "Open motion", motion_id=open_one.id)
    db.session.rollback()
    other = pass_motion(m[0], "reverse_transaction", f"txn:{budget_txn}")
    db.session.commit()
    with pytest.raises(service.TreasuryError):
        service.reverse(admin, d.txn, "Wrong motion", motion_id=other.id)
    db.session.rollback()
    assert db.session.scalar(select(TreasuryTxn.id).where(TreasuryTxn.reverses == d.txn)) is None
    for member in m[:3]:
        council.vote(open_one, member, "for")
    from app.decisions import motions

    assert motions.close(open_one, m[0]).passed
    row = service.reverse(admin, d.txn, "Paid to the wrong account", motion_id=open_one.id)
    db.session.commit()
    assert row.reverses == d.txn
    leaf = db.session.scalar(select(LogLeaf).where(LogLeaf.type == "disbursement.reversed"))
    assert leaf is not None and f'"motion":{open_one.id}' in leaf.record_json.replace(" ", "")
    assert "Paid to the wrong account" in leaf.record_json
