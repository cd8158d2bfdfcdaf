"""Secret votes end to end in the app: ceremony, encrypted casting, sealing, verification."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.proposals.models import Proposal
from app.secret.models import SecretElection
from app.voting.models import Ballot
from ballots.secret.client import check_audit, prepare_ballot
from ballots.verify import verify_any
from tests.factories import make_owner
from tests.unit.ballots import independent_format2
from tests.web.secret_helpers import (
    bearer,
    close_now,
    download_bundle,
    open_secret_vote,
    post_decryption,
    run_ceremony,
)


def _ballots(proposal_id: str) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.proposal_id == proposal_id)
        )
        or 0
    )


def _encrypt(client: Any, vote_id: str, headers: dict[str, str], choice: list[str]) -> Any:
    spec = client.get(f"/api/secret/{vote_id}/proposal.json").get_json()
    election = client.get(f"/api/secret/{vote_id}/election.json").get_json()
    token = client.get(f"/api/proposals/{vote_id}/my-weight", headers=headers).get_json()["token"]
    return spec, election, prepare_ballot(spec, election, token, choice)


def test_a_secret_vote_from_ceremony_to_verified_seal(
    client: Any, db_session: Any, tmp_path: Path
) -> None:
    vote = open_secret_vote(client)
    proposal = db.session.get(Proposal, vote.id)
    assert proposal.secrecy == "secret"
    election = db.session.get(SecretElection, vote.id)
    assert (election.trustees, election.threshold, election.state) == (3, 2, "keygen")
    voter = make_owner(growth=1000, at=utcnow() - timedelta(days=60))
    other = make_owner(growth=1000, at=utcnow() - timedelta(days=60))
    db.session.commit()
    # Voters who joined after opening are not on the roll: use the roll's owners instead.
    page = client.get(f"/proposals/{vote.id}/trustees")
    assert page.status_code == 200 and b"Trustee 1" in page.data
    run_ceremony(client, vote)
    assert db.session.get(SecretElection, vote.id).state == "ready"
    headers = bearer(vote.author)
    db.session.commit()
    spec, election_doc, ballot = _encrypt(client, vote.id, headers, ["yes"])
    # An open cast of a secret vote is refused: a plain choice never reaches the server.
    plain = client.post(
        f"/api/proposals/{vote.id}/ballots", json={"selection": ["yes"]}, headers=headers
    )
    assert plain.status_code == 422 and _ballots(vote.id) == 0
    # A malformed or forged ballot: a clear 400, nothing stored.
    forged = dict(ballot.cast, sum_proof=ballot.cast["proofs"][0])
    r = client.post(f"/api/secret/{vote.id}/ballots", json=forged, headers=headers)
    assert r.status_code == 400 and r.get_json()["reason"] in ("sum_proof", "proof_format")
    assert _ballots(vote.id) == 0
    # A spoiled ballot checks out offline and is never cast.
    spoiled = prepare_ballot(spec, election_doc, ballot.cast["token"], ["no"])
    assert check_audit(spec, election_doc, spoiled.audit_record()) == ("no",)
    first = client.post(f"/api/secret/{vote.id}/ballots", json=ballot.cast, headers=headers)
    assert first.status_code == 201, first.get_json()
    receipt = first.get_json()
    replay = client.post(f"/api/secret/{vote.id}/ballots", json=ballot.cast, headers=headers)
    assert replay.status_code == 400 and replay.get_json()["reason"] == "replay"
    assert _ballots(vote.id) == 1
    assert receipt["tracker"] == ballot.tracker and "selection" not in receipt
    # A revote: the later ballot counts.
    _, _, again = _encrypt(client, vote.id, headers, ["no"])
    assert (
        client.post(f"/api/secret/{vote.id}/ballots", json=again.cast, headers=headers).status_code
        == 201
    )
    assert _ballots(vote.id) == 2
    del voter, other

    closes = close_now(vote.id)
    decision = close_and_seal(vote.id, now=closes + timedelta(seconds=1))
    db.session.commit()
    assert decision.row is None
    assert db.session.get(Proposal, vote.id).state == "closed"
    assert db.session.get(SecretElection, vote.id).state == "closed"
    r = post_decryption(client, vote, vote.trustees[0])
    assert r.status_code == 201 and r.get_json()["sealed"] is None
    # A share with a broken proof is refused.
    bad = post_decryption(client, vote, vote.trustees[0])
    assert bad.status_code == 409
    r = post_decryption(client, vote, vote.trustees[2])
    assert r.status_code == 201 and r.get_json()["sealed"]
    assert db.session.get(Proposal, vote.id).state == "sealed"
    result = client.get(f"/results/{vote.id}/result.json").get_json()
    assert result["format"] == 2
    assert result["tally"]["totals"]["no"] > 0 and result["tally"]["totals"]["yes"] == 0
    bundle = download_bundle(client, vote.id, tmp_path / "bundle")
    report = verify_any(bundle)
    assert report.ok, report.message
    # And the verifier written from docs/verification.md alone.
    assert independent_format2.verify(bundle) is None
    proof = client.get(f"/results/{vote.id}/proof/{ballot.tracker}").get_json()
    assert proof["counted"] is False and proof["leaf"]["tracker"] == ballot.tracker
    assert b'"selection"' not in client.get(f"/results/{vote.id}/ballots.jsonl").data


def test_fewer_than_k_shares_in_time_leaves_the_vote_sealed_pending(
    client: Any, db_session: Any
) -> None:
    from app.decisions.cron import seal_due_votes

    vote = open_secret_vote(client)
    run_ceremony(client, vote)
    closes = close_now(vote.id)
    lines = seal_due_votes(closes + timedelta(seconds=1))
    assert db.session.get(Proposal, vote.id).state == "closed"
    assert not any(line.startswith("sealed") for line in lines)
    post_decryption(client, vote, vote.trustees[1])
    lines = seal_due_votes(closes + timedelta(hours=49))
    assert any("sealed-pending, 1 of 2" in line for line in lines)
    assert db.session.get(SecretElection, vote.id).state == "pending"
    assert db.session.get(Proposal, vote.id).state == "closed"
    # A late trustee still completes it: the seal needs k shares, not punctuality.
    r = post_decryption(client, vote, vote.trustees[0])
    assert r.get_json()["sealed"]


def test_a_forged_keygen_is_refused_and_stores_nothing(client: Any, db_session: Any) -> None:
    vote = open_secret_vote(client)
    from ballots.trustee import KeygenState

    t = vote.trustees[0]
    info = client.get(f"/api/secret/{vote.id}/ceremony", headers=t.headers).get_json()
    state = KeygenState.generate(vote.id, info["you"]["index"], info["threshold"])
    post = state.post(info["you"]["name"])
    post["public"]["proofs"][0] = post["public"]["proofs"][1]
    r = client.post(f"/api/secret/{vote.id}/keygen", json=post, headers=t.headers)
    assert r.status_code == 422 and "proof" in r.get_json()["error"]
    info = client.get(f"/api/secret/{vote.id}/ceremony").get_json()
    assert info["trustees"][0]["keygen_at"] is None
    outsider = bearer(vote.author)
    db.session.commit()
    r = client.post(f"/api/secret/{vote.id}/keygen", json=post, headers=outsider)
    assert r.status_code == 403


def test_the_audit_names_an_edited_secret_ballot_row(
    app: Any, client: Any, db_session: Any
) -> None:
    from sqlalchemy import update

    from app.integrity.run import run_audit

    vote = open_secret_vote(client)
    run_ceremony(client, vote)
    headers = bearer(vote.author)
    db.session.commit()
    _, _, ballot = _encrypt(client, vote.id, headers, ["yes"])
    assert (
        client.post(f"/api/secret/{vote.id}/ballots", json=ballot.cast, headers=headers).status_code
        == 201
    )
    closes = close_now(vote.id)
    close_and_seal(vote.id, now=closes + timedelta(seconds=1))
    db.session.commit()
    for trustee in vote.trustees[:2]:
        post_decryption(client, vote, trustee)
    # close_now moved the close by editing closes_at, which the audit rightly names; nothing
    # else may be found before the one edit below.
    before = [f.problem for f in run_audit()]
    from_early_close = ("closes_at changed since the vote opened",
                        "its sealed vote differs from the vote logged at opening")
    assert all(m.startswith(from_early_close) for m in before), before
    _, _, other = _encrypt(client, vote.id, headers, ["no"])
    db.session.execute(
        update(Ballot)
        .where(Ballot.proposal_id == vote.id)
        .values(selection_json=json.dumps(other.cast, sort_keys=True, separators=(",", ":")))
    )
    findings = [f.problem for f in run_audit()]
    assert any("differs from the sealed ballots.jsonl" in m for m in findings), findings
