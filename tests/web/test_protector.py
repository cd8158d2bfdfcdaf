"""The protector's power as the demo charter defines it (Art. 40.3): a passed charter amendment
waits 7 days; within them the seated protector may hold it once, publishing why (it then
takes effect 30 days after its seal), or let it through early. Nobody else can, and
`flask trust audit` names an amendment that took effect before the log allowed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.charter import protector
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import seats
from app.decisions import cron
from app.proposals.models import Proposal
from app.translog.models import LogLeaf
from governance.protector import ProtectorError
from tests.factories import csrf_from, login, make_owner
from tests.web.test_proposal_kinds import (
    _amendment_vote,
    _install_charter_the_council_may_put_amendments_to_the_vote,
)
from tests.web.zh_pages import problems

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def waiting(db_session: Any) -> dict[str, Any]:
    _install_charter_the_council_may_put_amendments_to_the_vote()
    proposal_id = _amendment_vote("yes")
    cron.run_due()
    guard = make_owner(0, role="council", name="Protector")
    seats.seat(guard, "protector", utcnow() - timedelta(days=10))
    chair = make_owner(0, role="council", name="Chair")
    seats.seat(chair, "chair", utcnow() - timedelta(days=10))
    db.session.commit()
    row = protector.of_proposal(proposal_id)
    assert row is not None and row.state == "pending"
    return {"proposal": proposal_id, "row": row, "protector": guard, "chair": chair}


def _audit(app: Any) -> Any:
    return app.test_cli_runner().invoke(args=["trust", "audit"])


def _leaves(type_: str) -> list[dict[str, Any]]:
    return [json.loads(r.record_json)
            for r in db.session.scalars(select(LogLeaf).where(LogLeaf.type == type_))]


def test_a_passed_amendment_waits_and_its_schedule_is_logged(waiting: dict[str, Any]) -> None:
    row = waiting["row"]
    assert row.takes_effect_at == row.passed_at + timedelta(days=7)
    (record,) = _leaves("charter.amendment_scheduled")
    assert record["proposal"] == waiting["proposal"] and record["article"] == "Art. 40.3"


def test_the_protector_holds_within_the_window_and_it_takes_effect_after_the_hold(
    app: Any, waiting: dict[str, Any]
) -> None:
    row = waiting["row"]
    protector.hold(waiting["protector"], row, "The new rules need a Chinese review first.")
    db.session.commit()

    assert row.state == "held"
    assert row.takes_effect_at == row.passed_at + timedelta(days=30)
    (record,) = _leaves("charter.amendment_held")
    assert record["reason"] == "The new rules need a Chinese review first."
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "charter.amendment_held")) is not None
    assert cron.run_due(row.passed_at + timedelta(days=29)) == []
    assert [v.version for v in charter.versions()] == [1]
    lines = cron.run_due(row.passed_at + timedelta(days=30, minutes=1))
    assert f"charter version 2 adopted ({waiting['proposal']})" in lines
    assert row.state == "applied" and row.version == 2
    result = _audit(app)
    assert result.exit_code == 0, result.output


def test_the_protector_lets_it_through_early(app: Any, waiting: dict[str, Any]) -> None:
    version = protector.release(waiting["protector"], waiting["row"])
    db.session.commit()

    assert version.version == 2 and charter.require_current().version == 2
    assert _leaves("charter.amendment_released")[0]["proposal"] == waiting["proposal"]
    result = _audit(app)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("who", ["chair", "owner", "admin"])
def test_only_the_seated_protector_holds(waiting: dict[str, Any], who: str) -> None:
    actor = waiting.get(who) or make_owner(0, role="admin" if who == "admin" else "owner")
    with pytest.raises(ProtectorError) as refusal:
        protector.hold(actor, waiting["row"], "I would rather not.")
    assert refusal.value.code == "protector.not_protector"
    assert refusal.value.article == "Art. 40.3"
    with pytest.raises(ProtectorError):
        protector.release(actor, waiting["row"])
    db.session.rollback()
    assert waiting["row"].state == "pending"


def test_a_hold_after_the_window_needs_a_reason_and_comes_once(waiting: dict[str, Any]) -> None:
    row, guard = waiting["row"], waiting["protector"]
    late = row.passed_at + timedelta(days=7, seconds=1)
    with pytest.raises(ProtectorError) as refusal:
        protector.hold(guard, row, "Too late.", now=late)
    assert refusal.value.code == "protector.window_closed"
    with pytest.raises(ProtectorError) as refusal:
        protector.hold(guard, row, "   ")
    assert refusal.value.code == "protector.reason"
    protector.hold(guard, row, "Once.")
    with pytest.raises(ProtectorError) as refusal:
        protector.hold(guard, row, "Twice.")
    assert refusal.value.code == "protector.held_twice"


def test_an_amendment_adopted_before_its_time_is_named_by_the_audit(
    app: Any, waiting: dict[str, Any]
) -> None:
    # Someone with the database in hand adopts it straight away, skipping the window.
    payload = json.loads(db.session.get(Proposal, waiting["proposal"]).payload_json)
    charter.adopt_amendment(waiting["proposal"], payload["new_text"], payload["new_rules"],
                            payload["new_text_zh"])
    db.session.commit()

    result = _audit(app)

    assert result.exit_code == 1
    assert "charter version 2" in result.output
    assert "before the earliest the log allowed" in result.output


def test_a_forged_hold_is_named_by_the_audit(app: Any, waiting: dict[str, Any]) -> None:
    waiting["row"].takes_effect_at = utcnow() + timedelta(days=300)
    db.session.commit()
    result = _audit(app)
    assert result.exit_code == 1
    assert "differs from the log's" in result.output


def test_the_pages_in_chinese_and_the_protectors_forms(
    client: Any, waiting: dict[str, Any]
) -> None:
    row = waiting["row"]
    listing = client.get("/charter/amendments", headers=CHINESE).get_data(as_text=True)
    assert "等待保护人期限届满" in listing and problems(listing) == []
    page = client.get(f"/charter/amendments/{row.id}", headers=CHINESE).get_data(as_text=True)
    assert "保护人期限届满" in page and problems(page) == []
    assert 'action="/charter/amendments/' not in page  # no forms for a reader

    login(client, waiting["protector"])
    page = client.get(f"/charter/amendments/{row.id}")
    assert f'action="/charter/amendments/{row.id}/hold"' in page.get_data(as_text=True)
    # Without its CSRF token the hold is refused and nothing changes.
    assert client.post(f"/charter/amendments/{row.id}/hold",
                       data={"reason": "x"}).status_code in (302, 400)
    db.session.expire_all()
    assert protector.get(row.id).state == "pending"
    token = csrf_from(page)
    done = client.post(f"/charter/amendments/{row.id}/hold",
                       data={"csrf_token": token, "reason": "需要中文审阅。"})
    assert done.status_code == 302
    db.session.expire_all()
    assert protector.get(row.id).hold_reason == "需要中文审阅。"
    shown = client.get(f"/charter/amendments/{row.id}", headers=CHINESE).get_data(as_text=True)
    assert "需要中文审阅。" in shown and "保护人暂缓于" in shown and problems(shown) == []


def test_another_member_posting_a_hold_is_refused_with_the_article(
    client: Any, waiting: dict[str, Any]
) -> None:
    row = waiting["row"]
    login(client, waiting["chair"])
    token = csrf_from(client.get(f"/charter/amendments/{row.id}"))
    response = client.post(f"/charter/amendments/{row.id}/hold",
                           data={"csrf_token": token, "reason": "Chair wants a delay."},
                           follow_redirects=True)
    assert "Art. 40.3" in response.get_data(as_text=True)
    db.session.expire_all()
    assert protector.get(row.id).state == "pending"
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "charter.amendment_hold")) is not None
