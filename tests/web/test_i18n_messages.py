"""A refused action is explained in the reader's language: the services' messages are
translated, in each area where an owner or council member can be told no."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.communities import service as communities
from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals import service as proposals
from app.treasury import service as treasury
from app.treasury.models import TreasuryTxn
from tests.factories import (
    csrf_from,
    install_charter,
    login,
    make_owner,
    pass_motion,
    seat_member,
)
from tests.web.council_helpers import adopt_scheme

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def trust(db_session: Any) -> dict[str, Any]:
    install_charter()
    members = [make_owner(500, name=f"Member {i}") for i in range(3)]
    for member in members:
        seat_member(member, "asset_committee")
    owner = make_owner(2000, name="Author")
    db.session.commit()
    return {"members": members, "owner": owner}


def _submitted_poll(author: Any) -> Any:
    proposal = proposals.create_draft(author, proposals.Draft(
        kind="poll", title="Pick a colour", body="Which colour for the trust's logo?",
        fields={}, options=["Blue", "Green"]))
    proposals.submit(proposal, author)
    db.session.commit()
    return proposal


def _accept_without_motion(client: Any, proposal_id: str, headers: dict[str, str]) -> str:
    page = client.get(f"/proposals/{proposal_id}", headers=headers)
    opens = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    closes = (utcnow() + timedelta(days=4)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/proposals/{proposal_id}/accept", data={
        "csrf_token": csrf_from(page), "opens_at": opens, "closes_at": closes, "reason": ""},
        headers=headers, follow_redirects=True)
    return str(response.get_data(as_text=True))


def test_accepting_a_proposal_without_a_motion_is_refused_in_chinese(
    trust: dict[str, Any], client: Any
) -> None:
    proposal = _submitted_poll(trust["owner"])
    login(client, trust["members"][0])
    page = _accept_without_motion(client, proposal.id, CHINESE)
    assert "这需要一项关于该提案的已通过理事会动议，类型：接受提案进入投票。" in page
    assert "This needs a passed" not in page and "类型：accept_proposal" not in page
    db.session.refresh(proposal)
    assert proposal.state == "submitted"


def test_the_same_refusal_stays_english_for_an_english_browser(
    trust: dict[str, Any], client: Any
) -> None:
    proposal = _submitted_poll(trust["owner"])
    login(client, trust["members"][0])
    page = _accept_without_motion(client, proposal.id, ENGLISH)
    assert ("This needs a passed council motion about the proposal, of kind: Accept a proposal "
            "for the ballot.") in page


def test_voting_on_a_closed_council_motion_is_refused_in_chinese(
    trust: dict[str, Any], client: Any
) -> None:
    a = trust["members"][0]
    motion = pass_motion(a, "accept_proposal", "proposal:2026-999")
    db.session.commit()
    login(client, a)
    url = f"/council/motions/{motion.id}"
    token = csrf_from(client.get(url, headers=CHINESE))
    page = client.post(url + "/vote", data={"csrf_token": token, "choice": "against"},
                       headers=CHINESE, follow_redirects=True).get_data(as_text=True)
    assert "该动议已结束" in page and "the motion is closed" not in page


def test_a_rejection_without_reasons_is_refused_in_chinese(
    trust: dict[str, Any], client: Any
) -> None:
    a = trust["members"][0]
    adopt_scheme(trust["owner"], a)
    cosigners = [make_owner(100) for _ in range(10)]
    community = communities.apply(trust["owner"], communities.Application(
        name="Owner Doctors", industry="Medicine", description="Doctors who help owners.",
        member_count=40, cosigner_logins=[c.email for c in cosigners],
        documents=[("members.pdf", b"member list")]))
    for owner in cosigners:
        communities.give_cosignature(community, owner)
    communities.review(community, a)
    db.session.commit()
    login(client, a)
    url = f"/communities/{community.id}"
    token = csrf_from(client.get(url, headers=CHINESE))
    page = client.post(url + "/decide", data={"csrf_token": token, "action": "reject",
                                              "reasons": ""},
                       headers=CHINESE, follow_redirects=True).get_data(as_text=True)
    assert "社群处于“审核中”状态，无法执行此操作：请说明理由；" in page
    assert "give the reasons" not in page
    assert communities.get(community.id).state == "under_review"


def test_reversing_a_transaction_twice_is_refused_in_chinese(
    trust: dict[str, Any], client: Any
) -> None:
    admin = make_owner(0, role="admin", name="Admin")
    income = treasury.record_income(admin, "donations", 1_000_00, reference="BANK-7")
    motion = pass_motion(trust["members"][0], "reverse_transaction", f"txn:{income.id}")
    treasury.reverse(admin, income.id, "Entered twice", motion_id=motion.id)
    db.session.commit()
    login(client, admin)
    token = csrf_from(client.get("/treasury/ledger", headers=CHINESE))
    page = client.post(f"/treasury/transactions/{income.id}/reverse",
                       data={"csrf_token": token, "reason": "Again", "motion_id": motion.id},
                       headers=CHINESE, follow_redirects=True).get_data(as_text=True)
    assert f"交易 {income.id} 已被冲销。" in page and "already reversed" not in page
    assert db.session.query(TreasuryTxn).filter_by(reverses=income.id).count() == 1


def test_a_proposal_with_bad_fields_is_refused_field_by_field_in_chinese(
    trust: dict[str, Any], client: Any
) -> None:
    login(client, trust["owner"])
    token = csrf_from(client.get("/proposals/new", headers=CHINESE))
    page = client.post("/proposals/new", headers=CHINESE, data={
        "csrf_token": token, "kind": "spending", "title": "Help owners in need",
        "body": "Why the owners should fund this, in more than twenty characters.",
        "amount_yuan": "100", "category": "owner_care", "beneficiary": "", "purpose": ""},
    ).get_data(as_text=True)
    assert "为必填项" in page and "is required" not in page


def test_a_seat_refusal_carries_its_code_and_is_said_in_chinese(app: Any) -> None:
    from app.council import seats
    from app.web.refusals import say

    error = seats.SeatError("seat.term_limit",
                            "%(name)s has served the most consecutive terms as %(role)s",
                            name="Ana", role="proceeds_committee")
    assert error.code == "seat.term_limit"
    assert str(error) == "Ana has served the most consecutive terms as proceeds_committee"
    with app.test_request_context(headers=CHINESE):
        said = say(error)
    assert said == "Ana 担任收益委员会的连任届数已达上限", said
