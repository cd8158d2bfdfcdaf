"""The seal signs only ballots the trust accepted and a roll the log vouches for.

An insider who can edit the database edits an open vote directly; the seal must refuse,
naming what it found, and store nothing. The running commitments the cron step appends while
the vote runs must cover the ballots they committed, and be exactly the sealed tree's prefix.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals import service as proposals
from app.results import service as results
from app.results.models import SealedResult
from app.translog.models import LogLeaf
from app.voting import commitments
from app.voting import service as voting
from ballots.merkle import MerkleTree
from tests.factories import install_charter, make_open_vote, make_owner


@pytest.fixture
def vote(db_session: Any) -> dict[str, Any]:
    install_charter()
    council = make_owner(500, role="council")
    owners = [make_owner(1000 + 37 * i) for i in range(7)]
    db.session.commit()
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(owners[0], council, opens=opens, closes=opens + timedelta(days=3))
    for minute, (owner, choice) in enumerate(zip(owners[:5], ["yes", "no", "no", "yes", "no"],
                                                 strict=True), start=1):
        voting.cast(proposal_id, owner.id, [choice], now=opens + timedelta(minutes=minute))
    db.session.commit()
    return {"id": proposal_id, "owners": owners, "opens": opens}


def _ids(proposal_id: str) -> list[int]:
    return list(db.session.scalars(
        text("SELECT id FROM ballots WHERE proposal_id = :p ORDER BY id"), {"p": proposal_id}))


def _close_and_seal(proposal_id: str) -> SealedResult:
    proposal = proposals.get(proposal_id)
    assert proposal is not None
    if proposal.state == "voting":
        proposals.close_vote(proposal)
    return results.seal(proposal_id)


def _refused(proposal_id: str, match: str) -> None:
    with pytest.raises(results.SealError, match=match):
        _close_and_seal(proposal_id)
    db.session.rollback()
    assert results.current_result(proposal_id) is None
    assert db.session.scalar(select(LogLeaf.index).where(LogLeaf.type == "result.sealed")) is None


def _edit(sql: str, **params: Any) -> None:
    db.session.execute(text(sql), params)
    db.session.commit()


def _forge(proposal_id: str, token: str) -> None:
    _edit(
        "INSERT INTO ballots (proposal_id, token, selection_json, weight, cast_at, nonce, receipt,"
        " signature_json) SELECT proposal_id, token, '[\"yes\"]', weight, :at, :nonce, :receipt,"
        " :sig FROM roll_entries WHERE proposal_id = :p AND token = :t",
        p=proposal_id, t=token, at=utcnow() - timedelta(days=3), nonce="ab" * 16,
        receipt="cd" * 32,
        sig=json.dumps({"alg": "Ed25519", "key_id": "00" * 32, "value": "AAAA"}),
    )


def _unvoted_token(vote: dict[str, Any]) -> str:
    return voting.token_for(vote["id"], vote["owners"][6].id)


def test_an_honest_vote_seals_and_its_commitments_are_the_sealed_trees_prefixes(
    vote: dict[str, Any],
) -> None:
    first = commitments.commit_vote(vote["id"])
    db.session.commit()
    assert (first.committed, first.count, first.problem) == (5, 5, None)
    assert commitments.commit_vote(vote["id"]).committed == 0  # nothing new: no leaf
    db.session.commit()
    voting.cast(vote["id"], vote["owners"][5].id, ["yes"], now=vote["opens"] + timedelta(hours=1))
    voting.cast(vote["id"], vote["owners"][1].id, ["yes"], now=vote["opens"] + timedelta(hours=2))
    second = commitments.commit_vote(vote["id"])
    db.session.commit()
    assert (second.committed, second.count) == (2, 7)
    row = _close_and_seal(vote["id"])
    db.session.commit()
    signed = json.loads(row.result_json)
    tree = MerkleTree.from_leaf_hashes(
        commitments.leaf_of(seq, r) for seq, r in
        enumerate(commitments.ballot_rows(vote["id"]), start=1))
    assert tree.root().hex() == signed["ballots"]["root"]
    logged = commitments.commitments(vote["id"])
    assert [(c.count, c.root) for c in logged] == [(5, tree.root(5).hex()), (7, tree.root(7).hex())]


def test_a_forged_ballot_inserted_into_an_open_vote_is_refused(vote: dict[str, Any]) -> None:
    _forge(vote["id"], _unvoted_token(vote))
    _refused(vote["id"], r"ballot id \d+ \(receipt cdcdcdcdcdcd…\): its receipt does not recompute")


def test_a_forged_ballot_with_a_recomputed_receipt_fails_on_its_signature(
    vote: dict[str, Any],
) -> None:
    from ballots.receipts import receipt_hash
    from ballots.records import format_time

    token = _unvoted_token(vote)
    at = (utcnow() - timedelta(days=3)).replace(microsecond=0)
    receipt = receipt_hash(vote["id"], token, ["yes"], format_time(at), "ab" * 16)
    _forge(vote["id"], token)
    _edit("UPDATE ballots SET receipt = :r, cast_at = :at WHERE token = :t",
          r=receipt, at=at, t=token)
    _refused(vote["id"], "its signature does not verify")


def test_a_live_ballots_changed_choice_is_refused(vote: dict[str, Any]) -> None:
    _edit("UPDATE ballots SET selection_json = '[\"yes\"]' WHERE id = :i", i=_ids(vote["id"])[1])
    _refused(vote["id"], "its receipt does not recompute from its stored fields")


def test_a_committed_ballots_change_is_refused_even_with_a_consistent_receipt(
    vote: dict[str, Any],
) -> None:
    commitments.commit_vote(vote["id"])
    db.session.commit()
    second = _ids(vote["id"])[1]
    _edit("UPDATE ballots SET selection_json = '[\"yes\"]', receipt = :r WHERE id = :i",
          r="ef" * 32, i=second)
    _refused(vote["id"], r"the first 5 ballots no longer have the root committed while voting")


def test_deleting_committed_ballots_is_refused(vote: dict[str, Any]) -> None:
    commitments.commit_vote(vote["id"])
    db.session.commit()
    victim = _ids(vote["id"])[2]
    _edit("UPDATE roll_entries SET live_ballot_id = NULL WHERE live_ballot_id = :i", i=victim)
    _edit("DELETE FROM ballots WHERE id = :i", i=victim)
    _refused(vote["id"], "5 ballots were committed while voting .*only 4 are stored")


def test_deleting_ballots_before_any_commitment_is_caught_by_the_next_one(
    vote: dict[str, Any],
) -> None:
    # Deleted after a first commitment, then more ballots arrive: the next commitment refuses
    # to continue from a frontier the table no longer matches, and the seal refuses too.
    commitments.commit_vote(vote["id"])
    db.session.commit()
    victim = _ids(vote["id"])[0]
    _edit("UPDATE roll_entries SET live_ballot_id = NULL WHERE live_ballot_id = :i", i=victim)
    _edit("DELETE FROM ballots WHERE id = :i", i=victim)
    voting.cast(vote["id"], vote["owners"][5].id, ["yes"], now=vote["opens"] + timedelta(hours=1))
    outcome = commitments.commit_vote(vote["id"])
    db.session.commit()
    assert outcome.committed == 0
    assert outcome.problem is not None and "were deleted or inserted" in outcome.problem
    _refused(vote["id"], "only 5 are stored|no longer have the root")


def test_a_forged_ballot_is_never_committed(vote: dict[str, Any]) -> None:
    _forge(vote["id"], _unvoted_token(vote))
    outcome = commitments.commit_vote(vote["id"])
    db.session.commit()
    assert outcome.count == 5
    assert outcome.problem is not None and "receipt does not recompute" in outcome.problem


def test_an_edited_roll_weight_is_refused(vote: dict[str, Any]) -> None:
    _edit("UPDATE roll_entries SET weight = weight * 10 WHERE token = :t", t=_unvoted_token(vote))
    _refused(vote["id"], "the roll no longer has the root logged when the vote opened")


def test_a_ballots_weight_edited_with_its_roll_row_is_refused(vote: dict[str, Any]) -> None:
    token = db.session.scalar(text("SELECT token FROM ballots WHERE id = :i"),
                              {"i": _ids(vote["id"])[0]})
    _edit("UPDATE roll_entries SET weight = weight * 10 WHERE token = :t", t=token)
    _edit("UPDATE ballots SET weight = weight * 10 WHERE token = :t", t=token)
    _refused(vote["id"], "roll rows were edited.*its signature does not verify")


def test_seal_due_commits_open_votes_and_isolates_a_vote_it_cannot_seal(
    app: Any, vote: dict[str, Any]
) -> None:
    council = make_owner(500, role="council")
    db.session.commit()
    opens = utcnow() - timedelta(days=5)
    other = make_open_vote(vote["owners"][1], council, opens=opens,
                           closes=opens + timedelta(days=3), title="A second vote")
    voting.cast(other, vote["owners"][2].id, ["yes"], now=opens + timedelta(minutes=3))
    db.session.commit()
    # The first vote is due too (it closed a day ago), and holds a forged ballot: it alone
    # must fail.
    _forge(vote["id"], _unvoted_token(vote))
    result = app.test_cli_runner().invoke(args=["trust", "seal-due"])
    assert result.exit_code == 1
    assert f"committed {other}: 1 ballots" in result.output
    assert f"FAILED to commit {vote['id']}: ballot id" in result.output
    assert f"FAILED to seal {vote['id']}: refusing to seal" in result.output
    assert f"sealed {other}" in result.output
    db.session.rollback()
    assert results.current_result(other) is not None
    assert results.current_result(vote["id"]) is None


def test_the_outside_verifier_checks_the_published_commitments(
    client: Any, vote: dict[str, Any], tmp_path: Any
) -> None:
    from ballots.verify import verify_bundle

    commitments.commit_vote(vote["id"])
    db.session.commit()
    _close_and_seal(vote["id"])
    db.session.commit()
    for name in ("result.json", "roll.jsonl", "ballots.jsonl", "commitments.json"):
        response = client.get(f"/results/{vote['id']}/{name}")
        assert response.status_code == 200, name
        (tmp_path / name).write_bytes(response.data)
    (tmp_path / "trust-keys.json").write_bytes(client.get("/.well-known/trust-keys.json").data)
    published = json.loads((tmp_path / "commitments.json").read_text())
    assert [(c["count"], c["type"]) for c in published] == [(5, "ballots.committed")]
    report = verify_bundle(str(tmp_path))
    assert report.ok, report.message
    # A bundle whose ballots lost one after the commitment (result re-made by a server that
    # skipped the seal's checks) fails: here the committed root is simply not the sealed one.
    published[0]["root"] = "00" * 32
    (tmp_path / "commitments.json").write_text(json.dumps(published))
    report = verify_bundle(str(tmp_path))
    assert not report.ok and report.code == "ballots.commitment"
    assert "the first 5 ballots do not have the root committed" in report.message
    published[0]["count"] = 9
    (tmp_path / "commitments.json").write_text(json.dumps(published))
    report = verify_bundle(str(tmp_path))
    assert "9 ballots were committed while voting, only 5 were sealed" in report.message
