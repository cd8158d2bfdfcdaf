"""The encrypted cast's answers, one by one: what is stored, and every refusal storing nothing."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import ApiToken
from app.accounts.services import revoke_api_token
from app.core.extensions import db
from app.keys import service as keys
from app.voting.models import Ballot, RollEntry
from ballots.canonical import canonical_bytes
from ballots.keys import KeyRing, verify_object
from ballots.secret.client import prepare_ballot
from tests.factories import csrf_from, login, make_owner
from tests.web.secret_helpers import bearer, close_now, open_secret_vote, run_ceremony


def _count(proposal_id: str) -> int:
    query = select(func.count()).select_from(Ballot).where(Ballot.proposal_id == proposal_id)
    return db.session.scalar(query) or 0


def _ballot(client: Any, vote_id: str, headers: dict[str, str], choice: list[str]) -> Any:
    spec = client.get(f"/api/secret/{vote_id}/proposal.json").get_json()
    election = client.get(f"/api/secret/{vote_id}/election.json").get_json()
    token = client.get(f"/api/proposals/{vote_id}/my-weight", headers=headers).get_json()["token"]
    return prepare_ballot(spec, election, token, choice)


def _post(client: Any, vote_id: str, body: Any, headers: dict[str, str]) -> Any:
    return client.post(f"/api/secret/{vote_id}/ballots", json=body, headers=headers)


def test_before_the_key_is_ready_a_ballot_is_refused(client: Any, db_session: Any) -> None:
    vote = open_secret_vote(client)
    headers = bearer(vote.author)
    db.session.commit()
    r = _post(client, vote.id, {"proposal": vote.id}, headers)
    assert r.status_code == 422 and "key ceremony" in r.get_json()["error"]
    assert _count(vote.id) == 0


def test_what_an_accepted_ballot_stores_and_every_refusal(client: Any, db_session: Any) -> None:
    vote = open_secret_vote(client)
    run_ceremony(client, vote)
    author, trustee = bearer(vote.author), vote.trustees[0].headers
    late = make_owner(growth=1000)  # joined after the roll was frozen
    late_headers = bearer(late)
    db.session.commit()
    ballot = _ballot(client, vote.id, author, ["yes"])
    off_group = json.loads(json.dumps(ballot.cast["ciphertexts"]))
    off_group[-1][1] = "ff" * 32

    # Not a ballot object at all, a point off the group, a proof that fails.
    for body, reason in (
        (["not", "a", "ballot"], "record"),
        (dict(ballot.cast, ciphertexts=off_group), "point"),
        (dict(ballot.cast, sum_proof=ballot.cast["proofs"][0]), None),
    ):
        r = _post(client, vote.id, body, author)
        assert r.status_code == 400, r.get_json()
        if reason is not None:
            assert r.get_json()["reason"] == reason
    # A valid ballot made for another owner's roll token is not this caster's to cast.
    r = _post(client, vote.id, ballot.cast, trustee)
    assert r.status_code == 400 and r.get_json()["reason"] == "token"
    # An owner who is not on the roll.
    r = _post(client, vote.id, ballot.cast, late_headers)
    assert r.status_code == 422 and "not on the roll" in r.get_json()["error"]
    assert _count(vote.id) == 0

    first = _post(client, vote.id, ballot.cast, author)
    assert first.status_code == 201, first.get_json()
    receipt = first.get_json()
    assert receipt["tracker"] == ballot.tracker and "selection" not in receipt
    verify_object(receipt, KeyRing.from_document(keys.published_keys()))
    row = db.session.scalars(select(Ballot).where(Ballot.proposal_id == vote.id)).one()
    # The row holds the cast object's canonical bytes and its tracker, and gives the receipt back.
    assert row.selection_json == canonical_bytes(ballot.cast).decode()
    assert row.receipt == ballot.tracker and row.nonce == ""
    assert json.loads(row.signature_json) == receipt["signature"]
    entry = db.session.scalars(select(RollEntry).where(
        RollEntry.proposal_id == vote.id, RollEntry.token == ballot.cast["token"])).one()
    assert entry.live_ballot_id == row.id and row.weight == entry.weight

    # A revote counts; the first ballot sent again is a replay, even after the revote.
    again = _ballot(client, vote.id, author, ["no"])
    assert _post(client, vote.id, again.cast, author).status_code == 201
    for old in (ballot.cast, again.cast):
        r = _post(client, vote.id, old, author)
        assert r.status_code == 400 and r.get_json()["reason"] == "replay"
    db.session.expire_all()
    assert _count(vote.id) == 2
    live = db.session.scalars(select(RollEntry.live_ballot_id).where(
        RollEntry.proposal_id == vote.id, RollEntry.token == ballot.cast["token"])).one()
    assert db.session.get(Ballot, live).receipt == again.tracker

    # After the close nothing more is taken.
    last = _ballot(client, vote.id, trustee, ["yes"])
    close_now(vote.id)
    r = _post(client, vote.id, last.cast, trustee)
    assert r.status_code == 422 and "closed" in r.get_json()["error"]
    assert _count(vote.id) == 2


def test_an_open_vote_takes_no_encrypted_ballot(client: Any, db_session: Any) -> None:
    vote = open_secret_vote(client)
    run_ceremony(client, vote)
    headers = bearer(vote.author)
    db.session.commit()
    ballot = _ballot(client, vote.id, headers, ["yes"])
    r = _post(client, "no-such-vote", ballot.cast, headers)
    assert r.status_code == 422 and "encrypted ballots" in r.get_json()["error"]
    assert _count(vote.id) == 0


def test_the_token_is_checked_first_and_its_last_use_written(client: Any,
                                                             db_session: Any) -> None:
    vote = open_secret_vote(client)
    run_ceremony(client, vote)
    headers = bearer(vote.author)
    db.session.commit()
    ballot = _ballot(client, vote.id, headers, ["yes"])
    url = f"/api/secret/{vote.id}/ballots"
    bad = {"Authorization": "Bearer ot_not-a-real-token"}
    # An unknown token hears 401 before anything about its body or the vote.
    for target, data in ((url, "not json"), (url, json.dumps(ballot.cast)),
                         ("/api/secret/no-such-vote/ballots", "not json")):
        r = client.post(target, data=data, headers={**bad, "Content-Type": "application/json"})
        assert r.status_code == 401, (target, r.get_json())
    # A good token with a body that is not JSON: 400, nothing stored.
    r = client.post(url, data="not json", headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 400 and _count(vote.id) == 0
    # A revoked token is refused as well.
    revoked = bearer(vote.author)
    token_row = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    assert revoke_api_token(vote.author, token_row.id)
    db.session.commit()
    assert _post(client, vote.id, ballot.cast, revoked).status_code == 401
    assert _count(vote.id) == 0
    # A fresh token's first use is written with the cast it made.
    fresh = bearer(vote.author)
    db.session.commit()
    assert _post(client, vote.id, ballot.cast, fresh).status_code == 201
    db.session.expire_all()
    newest = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    assert newest.last_used_at is not None


def test_a_session_casts_with_the_csrf_header(client: Any, db_session: Any) -> None:
    vote = open_secret_vote(client)
    run_ceremony(client, vote)
    headers = bearer(vote.author)
    db.session.commit()
    ballot = _ballot(client, vote.id, headers, ["no"])
    login(client, vote.author)
    url = f"/api/secret/{vote.id}/ballots"
    assert client.post(url, json=ballot.cast).status_code == 400  # no X-CSRFToken
    token = csrf_from(client.get("/verify"))
    r = client.post(url, json=ballot.cast, headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["tracker"] == ballot.tracker and _count(vote.id) == 1
