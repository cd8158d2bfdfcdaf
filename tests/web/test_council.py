"""Council seats, terms, elections and motions, on a real database."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import elections
from app.council import service as council
from app.proposals import service as proposals
from app.proposals.models import Proposal
from governance.default_charter import default_rules
from tests.factories import (
    csrf_from,
    install_charter,
    login,
    make_owner,
    pass_motion,
    seat_member,
)
from tests.web.council_helpers import decided_vote, log_entries, proven_in_log


@pytest.fixture
def trust(db_session: Any) -> dict[str, Any]:
    voting_rules = default_rules()["voting"]
    # Elections here go to the ballot by council acceptance, to keep the fixtures short.
    voting_rules["kinds"]["council_election"]["cosign_required"] = 0
    install_charter(voting=voting_rules)
    members = [make_owner(500, name=f"Member {i}") for i in range(3)]
    for member in members:
        seat_member(member, "asset_committee")
    owner = make_owner(2000)
    db.session.commit()
    return {"members": members, "owner": owner}


def test_a_seat_ends_by_itself_at_term_end_and_its_powers_with_it(
    trust: dict[str, Any], client: Any
) -> None:
    old = make_owner(500, name="Old member")
    rules_days = 365
    seat_member(old, "supervisors", start=utcnow() - timedelta(days=rules_days + 1))
    db.session.commit()
    assert not council.is_seated(old)
    login(client, old)
    assert client.get("/council/queue").status_code == 403
    # The cron step makes the end public and clears the stale role flag.
    assert council.expire_due() == [f"seat {council.past_seats()[0].id} expired"]
    db.session.commit()
    (entry,) = log_entries("council.vacated")
    assert json.loads(entry.record_json)["reason"] == "term ended"
    assert old.role == "owner"


def test_a_seated_member_reaches_the_review_queue_and_an_owner_does_not(
    trust: dict[str, Any], client: Any
) -> None:
    login(client, trust["owner"])
    assert client.get("/council/queue").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, trust["members"][0])
    assert client.get("/council/queue").status_code == 200


def test_a_third_consecutive_term_in_a_role_is_refused_quoting_the_charter(
    trust: dict[str, Any],
) -> None:
    veteran = make_owner(500)
    seat_member(veteran, "chair", start=utcnow() - timedelta(days=700))
    seat_member(veteran, "chair", start=utcnow() - timedelta(days=335))
    with pytest.raises(council.SeatError, match="Art. 14.3"):
        seat_member(veteran, "chair", start=utcnow())
    with pytest.raises(elections.ElectionError, match="Art. 14.3"):
        elections.register(veteran, "chair", "Once more, please, for continuity.")


def test_only_seated_members_vote_and_a_motion_passes_on_quorum_and_majority(
    trust: dict[str, Any],
) -> None:
    a, b, c = trust["members"]
    motion = council.open_motion(a, "general", "member:0", "Publish minutes weekly")
    with pytest.raises(council.MotionError, match="Art. 15.4"):
        council.vote(motion, trust["owner"], "for")
    council.vote(motion, a, "for")
    with pytest.raises(council.MotionError, match="already voted"):
        council.vote(motion, a, "against")
    # One of three voted: too early to close by hand; at the deadline it fails for no quorum.
    with pytest.raises(council.MotionError) as early:
        council.close_motion(motion, a)
    assert early.value.code == "motion.close_early"
    assert council.close_motion(motion, None, now=motion.closes_at) is False
    assert "no quorum" in json.loads(motion.outcome_json)["explanation"]

    second = council.open_motion(a, "general", "member:0", "Publish minutes daily")
    council.vote(second, a, "for")
    council.vote(second, b, "for")
    council.vote(second, c, "against")
    assert council.close_motion(second, b) is True
    db.session.commit()
    entries = log_entries("council.motion")
    assert [json.loads(e.record_json)["outcome"] for e in entries] == ["failed", "passed"]
    assert all(proven_in_log(e) for e in entries)


def test_an_owner_cannot_open_a_motion(trust: dict[str, Any]) -> None:
    with pytest.raises(council.MotionError):
        council.open_motion(trust["owner"], "general", "member:1", "Pay myself")


def test_a_declared_recusal_bars_the_vote_and_is_published_after_closing(
    trust: dict[str, Any], client: Any
) -> None:
    a, b, c = trust["members"]
    motion = council.open_motion(a, "general", "beneficiary:school", "Fund the school")
    council.recuse(motion, c, "My sister runs the school")
    with pytest.raises(council.MotionError, match="Art. 15.3"):
        council.vote(motion, c, "for")
    council.vote(motion, a, "for")
    council.vote(motion, b, "for")
    db.session.commit()
    # While open, the public sees no names.
    assert b"My sister runs the school" not in client.get(f"/council/motions/{motion.id}").data
    council.close_motion(motion, a)
    db.session.commit()
    page = client.get(f"/council/motions/{motion.id}").data
    assert b"My sister runs the school" in page and b"passed" in page
    (entry,) = log_entries("council.motion")
    assert json.loads(entry.record_json)["recused"] == ["Member 2"]


def test_a_sealed_election_seats_the_winner_and_logs_it(trust: dict[str, Any]) -> None:
    a = trust["members"][0]
    alice, bob = make_owner(800, name="Alice"), make_owner(800, name="Bob")
    voters = [make_owner(100) for _ in range(3)]
    fields = {"role": "protector", "seats": 1, "candidates": [alice.id, bob.id]}
    proposal_id, lines = decided_vote(
        a, a, [(voters[0], [f"candidate-{alice.id}"]), (voters[1], [f"candidate-{alice.id}"]),
               (voters[2], [f"candidate-{bob.id}"])],
        kind="council_election", fields=fields, title="Elect the protector",
    )
    assert lines and "Alice" in lines[0]
    assert council.is_seated(alice) and not council.is_seated(bob)
    assert alice.role == "council"
    (seated,) = [e for e in log_entries("council.seated") if "Alice" in e.record_json]
    record = json.loads(seated.record_json)
    assert record["role"] == "protector" and record["elected_by"] == proposal_id
    assert proven_in_log(seated)
    # Applying twice seats nobody twice.
    assert elections.apply_sealed_result(proposal_id) == []


def test_a_tie_for_the_last_seat_is_reported_and_nobody_is_seated(trust: dict[str, Any]) -> None:
    a = trust["members"][0]
    alice, bob = make_owner(800, name="Alice"), make_owner(800, name="Bob")
    v1, v2 = make_owner(100), make_owner(100)
    fields = {"role": "protector", "seats": 1, "candidates": [alice.id, bob.id]}
    proposal_id, lines = decided_vote(
        a, a, [(v1, [f"candidate-{alice.id}"]), (v2, [f"candidate-{bob.id}"])],
        kind="council_election", fields=fields, title="Elect the protector",
    )
    assert not council.is_seated(alice) and not council.is_seated(bob)
    assert any("tie" in line for line in lines)
    summary = elections.election_summary(proposal_id)
    assert summary is not None
    assert sorted(summary["tied"]) == ["Alice", "Bob"] and summary["unfilled"] == 1


def test_accepting_a_proposal_needs_a_passed_council_motion(trust: dict[str, Any]) -> None:
    a = trust["members"][0]
    proposal = proposals.create_draft(trust["owner"], proposals.Draft(
        kind="poll", title="Pick a colour", body="Which colour for the trust's logo?",
        fields={}, options=["Blue", "Green"]))
    proposals.submit(proposal, trust["owner"])
    opens = utcnow() + timedelta(days=1)
    with pytest.raises(proposals.ProposalError, match="accept_proposal"):
        proposals.accept(proposal, a, opens, opens + timedelta(days=4))
    pass_motion(a, "accept_proposal", f"proposal:{proposal.id}")
    proposals.accept(proposal, a, opens, opens + timedelta(days=4))
    assert proposal.state == "scheduled"


def test_the_council_walk_from_proposal_to_motion_to_ballot_in_the_browser(
    trust: dict[str, Any], client: Any
) -> None:
    a, b, _c = trust["members"]
    proposal = proposals.create_draft(trust["owner"], proposals.Draft(
        kind="poll", title="Pick a colour", body="Which colour for the trust's logo?",
        fields={}, options=["Blue", "Green"]))
    proposals.submit(proposal, trust["owner"])
    db.session.commit()
    login(client, a)
    page = client.get(f"/proposals/{proposal.id}")
    assert b"Open a council motion" in page.data
    opened = client.post("/council/motions/proposal", data={
        "csrf_token": csrf_from(page), "kind": "accept_proposal", "proposal_id": proposal.id,
        "body": "Fits the charter."})
    motion_url = opened.headers["Location"]
    token = csrf_from(client.get(motion_url))
    client.post(motion_url + "/vote", data={"csrf_token": token, "choice": "for"})
    motion_id = int(motion_url.rsplit("/", 1)[1])
    council.vote(council.get_motion(motion_id), b, "for")
    db.session.commit()
    client.post(motion_url + "/close", data={"csrf_token": token})
    page = client.get(f"/proposals/{proposal.id}")
    assert b"Accept for the ballot" in page.data
    opens = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    closes = (utcnow() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/proposals/{proposal.id}/accept", data={
        "csrf_token": csrf_from(page), "opens_at": opens, "closes_at": closes, "reason": ""})
    db.session.refresh(proposal)
    assert proposal.state == "scheduled"


def test_public_council_pages_render_for_a_new_visitor(trust: dict[str, Any], client: Any) -> None:
    motion = pass_motion(trust["members"][0], "general", "member:9", title="Adopt the minutes")
    db.session.commit()
    for path in ("/council/", "/council/motions", f"/council/motions/{motion.id}"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert b"Member 0" in client.get("/council/").data
    assert b"vacant" in client.get("/council/").data


@pytest.mark.parametrize(("seats", "says"), [("0", "between 1 and 50"), ("51", "between 1 and 50")])
def test_calling_an_election_for_too_many_or_no_seats_says_what_is_allowed(
    trust: dict[str, Any], client: Any, seats: str, says: str
) -> None:
    login(client, trust["members"][0])
    token = csrf_from(client.get("/council/"))
    before = db.session.scalar(select(func.count()).select_from(Proposal))
    page = client.post(
        "/council/elections/call",
        data={"csrf_token": token, "role": "chair", "seats": seats},
        follow_redirects=True,
    )
    assert b"Seats to fill: " in page.data and says.encode() in page.data
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == before
