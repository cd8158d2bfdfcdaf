"""The charter's rules for council motions, tried the way a member would try to game them:
deadlines, early closing, who closes, recusal from the register and from records (never by
someone naming you), and the owners' vote when recusals leave too few members."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import interests
from app.council import service as council
from app.council.models import Motion
from app.decisions import cron
from app.proposals.models import Proposal
from tests.factories import csrf_from, install_charter, login, make_owner, seat_member
from tests.web.council_helpers import log_entries

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def trust(db_session: Any) -> dict[str, Any]:
    install_charter()
    members = [make_owner(500, name=f"Member {i}") for i in range(3)]
    for member in members:
        seat_member(member, "asset_committee")
    admin = make_owner(0, role="admin", name="Admin")
    db.session.commit()
    return {"members": members, "admin": admin}


def test_a_deadline_outside_the_charters_window_is_refused(trust: dict[str, Any]) -> None:
    a = trust["members"][0]
    now = utcnow()
    for hours in (2, 24 * 8):
        with pytest.raises(council.MotionError) as refused:
            council.open_motion(a, "general", "member:0", "Too short or too long", now=now,
                                closes_at=now + timedelta(hours=hours))
        assert refused.value.code == "motion.window" and refused.value.article == "Art. 15.5"
    motion = council.open_motion(a, "general", "member:0", "Just right", now=now,
                                 closes_at=now + timedelta(hours=48))
    assert motion.closes_at == now + timedelta(hours=48)


def test_opening_is_published_in_the_log_with_its_deadline(trust: dict[str, Any]) -> None:
    motion = council.open_motion(trust["members"][0], "general", "member:0", "Minutes weekly")
    db.session.commit()
    [entry] = log_entries("council.motion_opened")
    record = json.loads(entry.record_json)
    assert record["motion"] == motion.id and record["closes_at"].endswith("Z")


def test_a_motion_closes_early_only_once_its_outcome_is_settled(trust: dict[str, Any]) -> None:
    a, b, c = trust["members"]
    motion = council.open_motion(a, "general", "member:0", "Publish minutes")
    council.vote(motion, a, "for")
    with pytest.raises(council.MotionError) as early:
        council.close_motion(motion, a)
    assert early.value.code == "motion.close_early"
    council.vote(motion, b, "for")
    # Two of three for: whatever the third does, it passes; so it may close now.
    assert council.is_settled(motion)
    assert council.close_motion(motion, b) is True


def test_a_close_split_stays_open_until_everyone_voted(trust: dict[str, Any]) -> None:
    a, b, c = trust["members"]
    motion = council.open_motion(a, "general", "member:0", "Publish minutes")
    council.vote(motion, a, "for")
    council.vote(motion, b, "against")
    assert not council.is_settled(motion)
    council.vote(motion, c, "abstain")
    assert council.is_settled(motion)
    assert council.close_motion(motion, c) is False  # a tie never passes


def test_an_administrator_who_is_not_seated_cannot_close_a_motion(
    trust: dict[str, Any], client: Any
) -> None:
    a, b, c = trust["members"]
    motion = council.open_motion(a, "general", "member:0", "Publish minutes")
    for m in (a, b, c):
        council.vote(motion, m, "for")
    db.session.commit()
    with pytest.raises(council.MotionError) as refused:
        council.close_motion(motion, trust["admin"])
    assert refused.value.code == "motion.close_not_seated"
    login(client, trust["admin"])
    page = client.get(f"/council/motions/{motion.id}")
    response = client.post(f"/council/motions/{motion.id}/close",
                           data={"csrf_token": csrf_from(page)})
    assert response.status_code in (302, 403)
    db.session.refresh(motion)
    assert motion.state == "open"


def test_cron_closes_a_motion_at_its_deadline_and_its_consequence_follows(
    trust: dict[str, Any]
) -> None:
    a = trust["members"][0]
    opened = utcnow() - timedelta(hours=30)
    motion = council.open_motion(a, "general", "member:0", "Publish minutes", now=opened)
    council.vote(motion, a, "for", now=opened + timedelta(hours=1))
    db.session.commit()
    with pytest.raises(council.MotionError) as not_due:
        council.close_motion(motion, None, now=opened + timedelta(hours=2))
    assert not_due.value.code == "motion.not_due"
    lines = cron.run()
    assert any(f"motion {motion.id} closed at its deadline: failed" in line for line in lines)
    assert motion.state == "failed"  # one of three voted: no quorum
    with pytest.raises(council.MotionError):
        council.vote(motion, trust["members"][1], "for")


def test_voting_after_the_deadline_is_refused(trust: dict[str, Any]) -> None:
    a, b, _c = trust["members"]
    opened = utcnow() - timedelta(hours=30)
    motion = council.open_motion(a, "general", "member:0", "Late", now=opened)
    with pytest.raises(council.MotionError) as late:
        council.vote(motion, b, "for")
    assert late.value.code == "motion.deadline_passed"


def test_the_register_of_interests_recuses_its_keeper_and_is_public(
    trust: dict[str, Any], client: Any
) -> None:
    a, b, c = trust["members"]
    interests.declare(c, "beneficiary:Wuhan School", "My sister runs the Wuhan School")
    motion = council.open_motion(a, "general", "beneficiary:wuhan school", "Fund the school")
    assert set(council.recusals_of(motion)) == {c.id}
    with pytest.raises(council.MotionError) as barred:
        council.vote(motion, c, "for")
    assert barred.value.code == "motion.recused"
    db.session.commit()
    page = client.get("/council/").get_data(as_text=True)
    assert "My sister runs the Wuhan School" in page


def test_only_the_member_keeps_their_register(trust: dict[str, Any]) -> None:
    a, b, _c = trust["members"]
    row = interests.declare(a, "community:3", "I co-founded it")
    with pytest.raises(council.MotionError) as refused:
        interests.withdraw(b, row.id)
    assert refused.value.code == "interest.not_yours"
    owner = make_owner(100)
    with pytest.raises(council.MotionError):
        interests.declare(owner, "community:3", "I want to recuse someone")


def test_recusals_below_the_quorum_send_the_question_to_the_owners(
    trust: dict[str, Any]
) -> None:
    a, b, c = trust["members"]
    for m in (b, c):
        interests.declare(m, "community:9", "I belong to it")
    motion = council.open_motion(a, "general", "community:9", "Support community 9")
    # Two of three recused: one member left, below two thirds of the seated council.
    assert motion.state == "referred"
    proposal = db.session.get(Proposal, motion.referred_to)
    assert proposal is not None and proposal.kind == "council_referral"
    assert proposal.state == "scheduled"
    assert json.loads(proposal.payload_json) == {"motion": motion.id}
    db.session.commit()
    [entry] = log_entries("council.motion_referred")
    assert json.loads(entry.record_json)["article"] == "Art. 15.6"
    # The motion is never stuck: it no longer waits for anyone on the council.
    assert db.session.scalar(select(Motion.id).where(Motion.state == "open")) is None


def test_motion_pages_in_chinese_show_words_and_zoned_times(
    trust: dict[str, Any], client: Any
) -> None:
    a = trust["members"][0]
    motion = council.open_motion(a, "accept_proposal", "proposal:2026-001", "Accept it")
    council.vote(motion, a, "for")
    db.session.commit()
    login(client, a)
    page = client.get(f"/council/motions/{motion.id}", headers=CHINESE).get_data(as_text=True)
    assert "接受提案进入投票" in page and "accept_proposal" not in page
    assert "中国标准时间" in page and "赞成" in page
    listing = client.get("/council/motions", headers=CHINESE).get_data(as_text=True)
    assert "accept_proposal" not in listing and "表决中" in listing


def test_the_charter_reads_in_chinese_and_refusals_quote_it_in_chinese(
    trust: dict[str, Any], client: Any
) -> None:
    from app.charter import service as charter
    from app.charter.models import CharterVersion
    from governance.default_charter_zh import default_text_zh

    version = db.session.scalar(select(CharterVersion))
    version.text_zh = default_text_zh()
    db.session.commit()
    page = client.get("/charter", headers=CHINESE).get_data(as_text=True)
    assert "第 15.6 条" in page and "交由车主投票" in page
    english = client.get("/charter", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Art. 15.6" in english and "交由车主投票" not in english.split("<pre")[0]
    rules = charter.current_rules()
    assert rules.article_text_in("Art. 15.4", "zh") == "只有在任理事可以就理事会动议投票。"
    # A refusal from governance, told to a Chinese reader: translated, its article in Chinese.
    a = trust["members"][0]
    motion = council.open_motion(a, "general", "member:0", "Publish minutes")
    council.vote(motion, a, "for")
    db.session.commit()
    login(client, a)
    page = client.get(f"/council/motions/{motion.id}", headers=CHINESE)
    response = client.post(f"/council/motions/{motion.id}/close",
                           data={"csrf_token": csrf_from(page)}, headers=CHINESE,
                           follow_redirects=True).get_data(as_text=True)
    assert "只有在所有可投票的理事均已投票" in response
    assert "第 15.5 条" not in response  # the article is cited by its number, quoted in Chinese
    assert "Art. 15.5：“动议自提出起至少开放 24 小时" in response
    assert "中国标准时间" in response


def test_a_member_resigns_their_own_seat_and_nobody_else_can(
    trust: dict[str, Any], client: Any
) -> None:
    a, b, _c = trust["members"]
    [seat_a] = [s for s in council.active_seats() if s.member_id == a.id]
    with pytest.raises(council.SeatError):
        council.resign(b, seat_a, "I want them gone")
    db.session.commit()
    login(client, a)
    page = client.get("/council/")
    client.post(f"/council/seats/{seat_a.id}/resign",
                data={"csrf_token": csrf_from(page), "reason": "Moving abroad"})
    db.session.refresh(seat_a)
    assert seat_a.vacated_reason == "Moving abroad"
    assert not council.is_seated(a)
    assert "Moving abroad" in client.get("/council/").get_data(as_text=True)
