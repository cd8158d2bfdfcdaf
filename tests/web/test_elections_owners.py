"""Elections the owners drive (Art. 11.5, 11.7, 11.8 of the demo charter): candidates stand once
nominated by the charter's number of owners, owners call an election and recall a member by
co-signed proposals put to their vote. Each rule, its refusal and its happy path."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import elections, nominations, recall
from app.council import service as council
from app.council.models import Candidacy, CouncilSeat, Nomination
from app.decisions.cron import housekeeping
from app.decisions.votes import carry_out, close_and_seal
from app.integrity.run import run_audit
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.voting import service as voting
from governance.default_charter import default_rules
from tests.factories import csrf_from, install_charter, login, make_owner, seat_member
from tests.web.council_helpers import log_entries

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
NEEDED = 3  # nominations the test charter asks for (the demo charter: 20)
COSIGNS = 2  # co-signatures the owners' call and recall need here


@pytest.fixture
def trust(db_session: Any) -> dict[str, Any]:
    rules = default_rules()
    rules["council"]["nominations_required"] = NEEDED
    for kind in ("call_election", "recall_member"):
        rules["voting"]["kinds"][kind]["cosign_required"] = COSIGNS
    install_charter(voting=rules["voting"], council=rules["council"])
    members = [make_owner(500, name=f"Member {i}") for i in range(3)]
    for member in members:
        seat_member(member, "asset_committee")
    owners = [make_owner(1000 + i, name=f"Owner {i}") for i in range(6)]
    db.session.commit()
    return {"members": members, "owners": owners}


def _stand(owner: Any, role: str = "protector", days_ago: int = 0) -> Candidacy:
    return elections.register(owner, role, "I will read every disbursement and report on it.",
                              now=utcnow() - timedelta(days=days_ago))


def _nominate(candidacy: Candidacy, owners: list[Any]) -> None:
    for owner in owners:
        nominations.nominate(candidacy, owner)


def _voted(kind: str, fields: dict[str, Any], author: Any, cosigners: list[Any],
           ballots: list[tuple[Any, str]]) -> Proposal:
    """A proposal of ``kind`` drafted, co-signed, scheduled and voted over the last days, then
    closed and sealed with its consequence, as cron would."""
    drafted = utcnow() - timedelta(days=5)
    opens, closes = drafted + timedelta(hours=1), drafted + timedelta(days=4)
    proposal = proposals.create_draft(author, proposals.Draft(
        kind=kind, title="The owners decide this themselves",
        body="A body long enough for the rules and the form.", fields=fields, options=[]),
        now=drafted)
    proposals.submit(proposal, author, now=drafted)
    for owner in cosigners:
        proposals.cosign(proposal, owner, now=drafted)
    proposals.schedule(proposal, author, opens, closes, now=drafted)
    proposals.open_vote(proposal, opens)
    db.session.commit()
    for i, (owner, choice) in enumerate(ballots):
        voting.cast(proposal.id, owner.id, [choice], now=opens + timedelta(minutes=i + 1))
    db.session.commit()
    close_and_seal(proposal)
    db.session.commit()
    return proposal


# ---- nominations -----------------------------------------------------------------------------


def test_a_candidate_stands_once_enough_owners_nominate_in_their_own_accounts(
    trust: dict[str, Any], client: Any
) -> None:
    candidate, *others = trust["owners"]
    candidacy = _stand(candidate)
    db.session.commit()
    assert not nominations.stands(candidacy)
    page = client.get(f"/council/candidates/{candidacy.id}")
    assert b"0 of 3 nominations given" in page.data and b"Pending" in page.data
    for owner in others[:NEEDED]:
        login(client, owner)
        page = client.get(f"/council/candidates/{candidacy.id}")
        assert b"Nominate Owner 0" in page.data
        done = client.post(f"/council/candidates/{candidacy.id}/nominate",
                           data={"csrf_token": csrf_from(page)}, follow_redirects=True)
        assert b"Your nomination is given" in done.data
        # Given once: the button is gone for this owner.
        assert b"Nominate Owner 0" not in done.data
        assert b"You have nominated this candidate." in done.data
        client.get("/logout")
    db.session.expire_all()
    assert nominations.given(candidacy) == NEEDED and nominations.stands(candidacy)
    assert len(log_entries(nominations.NOMINATED)) == NEEDED
    assert b"The candidate stands" in client.get(f"/council/candidates/{candidacy.id}").data
    assert run_audit() == []


def test_nominations_are_refused_to_the_candidate_twice_late_and_off_the_roll(
    trust: dict[str, Any], client: Any
) -> None:
    candidate, first, *_ = trust["owners"]
    candidacy = _stand(candidate)
    nominations.nominate(candidacy, first)
    db.session.commit()
    cases = [(candidate, "nomination.own"), (first, "nomination.twice")]
    for owner, code in cases:
        with pytest.raises(nominations.NominationError) as refused:
            nominations.nominate(candidacy, owner)
        assert refused.value.code == code
    nobody = make_owner(0, name="No growth")
    with pytest.raises(nominations.NominationError, match="only owners on the roll") as off:
        nominations.nominate(candidacy, nobody)
    assert off.value.article == "Art. 11.5"
    late = _stand(trust["owners"][2], days_ago=31)
    with pytest.raises(nominations.NominationError, match="nominations closed") as closed:
        nominations.nominate(late, first)
    assert closed.value.code == "nomination.late"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 1

    # Through the page, in Chinese: the refusal in the reader's language, nothing changed.
    login(client, first)
    page = client.get(f"/council/candidates/{candidacy.id}", headers=CHINESE)
    assert "您已提名该候选人" in page.get_data(as_text=True)
    again = client.post(f"/council/candidates/{candidacy.id}/nominate",
                        data={"csrf_token": csrf_from(page)}, headers=CHINESE,
                        follow_redirects=True)
    assert "您已经提名过这位候选人" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 1


def test_nominating_needs_a_session_and_the_form_token(trust: dict[str, Any], client: Any) -> None:
    candidacy = _stand(trust["owners"][0])
    db.session.commit()
    token = csrf_from(client.get(f"/council/candidates/{candidacy.id}"))
    anonymous = client.post(f"/council/candidates/{candidacy.id}/nominate",
                            data={"csrf_token": token})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(client, trust["owners"][1])
    assert client.post(f"/council/candidates/{candidacy.id}/nominate").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 0


def test_only_nominated_candidates_go_on_the_ballot_and_too_few_is_refused(
    trust: dict[str, Any]
) -> None:
    a, b, *voters = trust["owners"]
    nominated, pending = _stand(a, "supervisors"), _stand(b, "supervisors")
    _nominate(nominated, voters[:NEEDED])
    _nominate(pending, voters[:1])
    db.session.commit()
    chair = trust["members"][0]
    before = db.session.scalar(select(func.count()).select_from(Proposal))
    with pytest.raises(proposals.ProposalError, match="1 candidates stand for 2 seats"):
        elections.call_election(chair, "supervisors", 2)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == before
    election = elections.call_election(chair, "supervisors", 1)
    db.session.commit()
    assert json.loads(election.payload_json)["candidates"] == [a.id]
    assert pending.proposal_id is None  # still gathering nominations for the next one
    (called,) = log_entries(elections.CALLED)
    record = json.loads(called.record_json)
    assert record["candidates"] == [{"candidacy": nominated.id, "candidate_id": a.id,
                                     "nominations": NEEDED}]
    # Once on a ballot, the candidacy takes no more nominations.
    with pytest.raises(nominations.NominationError) as closed:
        nominations.nominate(nominated, voters[NEEDED])
    assert closed.value.code == "nomination.closed"
    db.session.rollback()
    assert run_audit() == []


# ---- the owners call an election -------------------------------------------------------------


def test_a_passed_owners_call_calls_the_election_as_the_council_would(
    trust: dict[str, Any], client: Any
) -> None:
    author, candidate, *owners = trust["owners"]
    candidacy = _stand(candidate)
    _nominate(candidacy, owners[:NEEDED])
    db.session.commit()
    # The owner drafts it through the proposal form, with the kind's own fields.
    login(client, author)
    form = client.get("/proposals/new?kind=call_election")
    assert b"Seats to fill" in form.data
    saved = client.post("/proposals/new?kind=call_election", data={
        "csrf_token": csrf_from(form), "kind": "call_election",
        "title": "Elect a protector now", "body": "The protector seat has been empty too long.",
        "role": "protector", "seats": "1"}, follow_redirects=True)
    assert b"Draft saved" in saved.data
    drafted = db.session.scalar(select(Proposal).where(Proposal.kind == "call_election"))
    assert json.loads(drafted.payload_json) == {"role": "protector", "seats": 1}
    # Scheduling waits for the charter's co-signatures.
    proposals.submit(drafted, author)
    with pytest.raises(Exception, match="co-signatures required"):
        proposals.schedule(drafted, author, utcnow() + timedelta(hours=1),
                           utcnow() + timedelta(days=4))
    db.session.rollback()

    call = _voted("call_election", {"role": "protector", "seats": 1}, author, owners[:COSIGNS],
                  [(o, "yes") for o in owners])
    election = db.session.scalar(select(Proposal).where(Proposal.kind == "council_election"))
    assert election is not None and election.state == "submitted"
    assert json.loads(election.payload_json)["candidates"] == [candidate.id]
    record = json.loads(log_entries(elections.CALLED)[0].record_json)
    assert record["called_by"] == call.id and record["election"] == election.id
    assert carry_out(call.id) == []  # once
    detail = client.get(f"/proposals/{call.id}").get_data(as_text=True)
    assert f'/council/elections/{election.id}"' in detail and "Trust protector" in detail
    assert run_audit() == []


def test_a_failed_owners_call_calls_nothing(trust: dict[str, Any]) -> None:
    author, candidate, *owners = trust["owners"]
    _nominate(_stand(candidate), owners[:NEEDED])
    _voted("call_election", {"role": "protector", "seats": 1}, author, owners[:COSIGNS],
           [(o, "no") for o in owners])
    assert db.session.scalar(select(Proposal).where(Proposal.kind == "council_election")) is None


def test_a_passed_call_with_nobody_standing_waits_and_is_called_once_they_do(
    trust: dict[str, Any]
) -> None:
    author, candidate, *owners = trust["owners"]
    call = _voted("call_election", {"role": "protector", "seats": 1}, author, owners[:COSIGNS],
                  [(o, "yes") for o in owners])
    assert db.session.scalar(select(Proposal).where(Proposal.kind == "council_election")) is None
    assert housekeeping() == []  # still nobody standing: nothing to report
    _nominate(_stand(candidate), owners[:NEEDED])
    db.session.commit()
    lines = housekeeping()
    assert any(f"owners' vote {call.id} called council election" in line for line in lines)
    assert db.session.scalar(select(Proposal).where(Proposal.kind == "council_election"))
    assert housekeeping() == [] and carry_out(call.id) == []  # once


# ---- the owners recall a member --------------------------------------------------------------


def _seat_of(member: Any) -> CouncilSeat:
    return next(s for s in council.active_seats() if s.member_id == member.id)


def test_a_passed_recall_ends_the_members_term_logged_like_a_resignation(
    trust: dict[str, Any], client: Any
) -> None:
    author, *owners = trust["owners"]
    member = trust["members"][1]
    seat = _seat_of(member)
    login(client, author)
    form = client.get("/proposals/new?kind=recall_member")
    assert b"Member 1" in form.data  # the running seats are offered
    saved = client.post("/proposals/new?kind=recall_member", data={
        "csrf_token": csrf_from(form), "kind": "recall_member", "title": "Recall Member 1",
        "body": "Member 1 has missed every motion this year.", "seat": str(seat.id)},
        follow_redirects=True)
    assert b"Draft saved" in saved.data
    fields = {"seat": seat.id, "member": member.id}
    vote = _voted("recall_member", fields, author, owners[:COSIGNS], [(o, "yes") for o in owners])
    db.session.expire_all()
    seat = db.session.get(CouncilSeat, seat.id)
    assert seat.vacated_at is not None and seat.vacated_reason == f"{recall.REASON_PREFIX}{vote.id}"
    assert not council.is_seated(member)
    vacated = [json.loads(e.record_json) for e in log_entries("council.vacated")]
    assert any(r["seat"] == seat.id and vote.id in r["reason"] for r in vacated)
    assert carry_out(vote.id) == []  # once
    detail = client.get(f"/proposals/{vote.id}", headers=CHINESE).get_data(as_text=True)
    assert "Member 1" in detail and "资产管理委员会" in detail
    index = client.get("/council/", headers=CHINESE).get_data(as_text=True)
    assert f'经车主投票罢免 <a href="/proposals/{vote.id}">' in index
    assert run_audit() == []


def test_a_failed_recall_changes_nothing_and_a_wrong_seat_is_refused(
    trust: dict[str, Any], client: Any
) -> None:
    author, *owners = trust["owners"]
    member = trust["members"][1]
    seat = _seat_of(member)
    _voted("recall_member", {"seat": seat.id, "member": member.id}, author, owners[:COSIGNS],
           [(o, "no") for o in owners])
    assert council.is_seated(member)
    draft = proposals.Draft(kind="recall_member", title="Recall someone", body="x" * 30,
                            fields={"seat": seat.id, "member": trust["members"][0].id},
                            options=[])
    with pytest.raises(recall.RecallError) as wrong:
        proposals.create_draft(author, draft)
    assert wrong.value.code == "recall.wrong_member"
    db.session.rollback()
    # Through the form, in Chinese: a seat that has since ended is refused at its field.
    council.resign(member, db.session.get(CouncilSeat, seat.id), "Moving abroad.")
    db.session.commit()
    login(client, author)
    form = client.get("/proposals/new?kind=recall_member", headers=CHINESE)
    page = client.post("/proposals/new?kind=recall_member", headers=CHINESE, data={
        "csrf_token": csrf_from(form), "kind": "recall_member", "title": "Recall Member 1",
        "body": "Member 1 has missed every motion this year.", "seat": str(seat.id)})
    assert "该席位的任期已经结束" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.kind == "recall_member")) == 1


# ---- the audit notices forged rows -----------------------------------------------------------


def test_the_audit_notices_a_forged_nomination_and_a_forged_recall(trust: dict[str, Any]) -> None:
    candidate, *owners = trust["owners"]
    candidacy = _stand(candidate)
    _nominate(candidacy, owners[:NEEDED])
    elections.call_election(trust["members"][0], "protector", 1)
    db.session.commit()
    assert run_audit() == []
    # An insider adds a nomination straight into the table, and deletes a given one.
    db.session.execute(text(
        "INSERT INTO nominations (candidacy_id, owner_id, given_at) VALUES (:c, :o, :t)"),
        {"c": candidacy.id, "o": owners[NEEDED].id, "t": utcnow()})
    db.session.execute(text("DELETE FROM nominations WHERE owner_id = :o"), {"o": owners[0].id})
    # And ends a member's seat as if the owners had recalled them.
    seat = _seat_of(trust["members"][2])
    db.session.execute(text(
        "UPDATE council_seats SET vacated_at = :t, vacated_reason = :r WHERE id = :s"),
        {"t": utcnow(), "r": f"{recall.REASON_PREFIX}2099-999", "s": seat.id})
    db.session.commit()
    found = [str(f) for f in run_audit()]
    assert any("no council.nominated leaf" in f for f in found), found
    assert any("logged nomination was deleted" in f for f in found), found
    assert any("which is no sealed recall" in f for f in found), found


def test_a_recall_of_the_wrong_member_is_refused_through_the_api_too(
    trust: dict[str, Any], client: Any
) -> None:
    from app.accounts.services import issue_api_token

    author = trust["owners"][0]
    seat = _seat_of(trust["members"][1])
    headers = {"Authorization": f"Bearer {issue_api_token(author, 'tests')}"}
    db.session.commit()
    draft = {"kind": "recall_member", "title": "Recall a member",
             "body": "Member 1 has missed every motion this year.",
             "fields": {"seat": seat.id, "member": trust["members"][0].id}}
    refused = client.post("/api/me/drafts", json=draft, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["code"] == "recall.wrong_member"
    made = client.post("/api/me/drafts", json={
        **draft, "fields": {"seat": seat.id, "member": trust["members"][1].id}}, headers=headers)
    assert made.status_code == 201 and made.get_json()["kind"] == "recall_member"
