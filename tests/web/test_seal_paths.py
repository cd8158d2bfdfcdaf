"""The seal's quick paths (COPY rows, leaves written from columns, id blocks for seq) give
exactly the records, roots and proofs the plain definitions give."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals import service as proposals
from app.results import seal as results_seal
from app.results import service as results
from app.results.models import SealedBallotBlock
from app.voting import service as voting
from app.voting.models import Ballot
from ballots.canonical import canonical_bytes
from ballots.merkle import MerkleTree, leaf_hash, verify_inclusion
from ballots.records import format_time
from ballots.roll import RollError
from ballots.tally import TallyError
from tests.factories import correction_motion, install_charter, make_open_vote, make_owner


@pytest.fixture(autouse=True)
def _count_damaged_rows(monkeypatch: Any) -> None:
    # These tests feed the counting paths rows no cast could write, to see each path count
    # or name them; the seal's refusal of rows the log does not vouch for (which would stop
    # them all first) is tested in test_seal_refuses_forgeries.py.
    monkeypatch.setattr("app.results.seal_checks.refusals", lambda *args: [])


@pytest.fixture
def vote(db_session: Any) -> dict[str, Any]:
    install_charter()
    council = make_owner(500, role="council")
    owners = [make_owner(1000 + 37 * i) for i in range(7)]
    db.session.commit()
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(owners[0], council, opens=opens, closes=opens + timedelta(days=3))
    choices = ["yes", "no", "abstain", "yes", "no", "yes", "yes"]
    for minute, (owner, choice) in enumerate(zip(owners, choices, strict=True), start=1):
        voting.cast(proposal_id, owner.id, [choice], now=opens + timedelta(minutes=minute))
    # Two owners change their minds: their later ballots are the ones that count.
    voting.cast(proposal_id, owners[1].id, ["yes"], now=opens + timedelta(minutes=20))
    voting.cast(proposal_id, owners[3].id, ["abstain"], now=opens + timedelta(minutes=21))
    db.session.commit()
    return {"id": proposal_id, "owners": owners, "opens": opens}


def _ballot_ids(proposal_id: str) -> list[int]:
    return list(
        db.session.scalars(
            text("SELECT id FROM ballots WHERE proposal_id = :p ORDER BY id"), {"p": proposal_id}
        )
    )


def _seal(proposal_id: str) -> dict[str, Any]:
    proposal = proposals.get(proposal_id)
    assert proposal is not None
    proposals.close_vote(proposal)
    row = results.seal(proposal_id)
    db.session.commit()
    return json.loads(row.result_json)


def _plain_roots(proposal_id: str) -> tuple[str, str]:
    """Both roots from the published records through the generic canonical encoder."""
    roll = MerkleTree.from_leaves(canonical_bytes(r) for r in results.roll_records(proposal_id))
    ballots = MerkleTree.from_leaves(
        canonical_bytes(r) for r in results.ballot_records(proposal_id)
    )
    return roll.root().hex(), ballots.root().hex()


def test_sealed_roots_equal_the_roots_of_the_published_records(vote: dict[str, Any]) -> None:
    result = _seal(vote["id"])
    roll_root, ballots_root = _plain_roots(vote["id"])
    assert result["roll"]["root"] == roll_root
    assert result["ballots"]["root"] == ballots_root
    assert result["ballots"]["size"] == 9
    assert result["tally"]["counted"] == 7


def test_odd_stored_selections_and_fractional_times_seal_as_their_canonical_records(
    vote: dict[str, Any],
) -> None:
    # Stored forms the quick path must not copy verbatim: JSON spacing, a tab and a newline
    # (escaped by COPY), a \u escape, and a cast time with a fraction of a second just below
    # the next second (truncated, never rounded).
    ids = _ballot_ids(vote["id"])
    odd = ['[ "yes" ]', '["no"]\t', '["\\u0061bstain"]\n', '["yes"]']
    for ballot_id, stored in zip(ids, odd, strict=False):
        db.session.execute(
            text("UPDATE ballots SET selection_json = :s WHERE id = :i"),
            {"s": stored, "i": ballot_id},
        )
    late = vote["opens"] + timedelta(minutes=30, seconds=59, microseconds=999_999)
    db.session.execute(update(Ballot).where(Ballot.id == ids[4]).values(cast_at=late))
    db.session.commit()
    records = list(results.ballot_records(vote["id"]))
    assert records[0]["selection"] == ["yes"] and records[2]["selection"] == ["abstain"]
    assert records[4]["cast_at"] == format_time(late.replace(microsecond=0))
    result = _seal(vote["id"])
    assert result["ballots"]["root"] == _plain_roots(vote["id"])[1]


def test_a_weight_too_long_for_the_quick_roll_path_seals_as_its_canonical_record(
    vote: dict[str, Any],
) -> None:
    token = db.session.scalar(
        text("SELECT token FROM ballots WHERE id = :i"), {"i": _ballot_ids(vote["id"])[0]}
    )
    for table in ("roll_entries", "ballots"):
        db.session.execute(
            text(f"UPDATE {table} SET weight = :w WHERE token = :t"),  # noqa: S608 (fixed names)
            {"w": 10**15 + 7, "t": token},
        )
    db.session.commit()
    result = _seal(vote["id"])
    assert result["roll"]["total_weight"] > 10**15
    assert (result["roll"]["root"], result["ballots"]["root"]) == _plain_roots(vote["id"])


def test_a_roll_token_out_of_form_refuses_the_seal(vote: dict[str, Any]) -> None:
    db.session.execute(
        text(
            "UPDATE roll_entries SET token = upper(token) WHERE token NOT IN"
            " (SELECT token FROM ballots) AND proposal_id = :p"
        ),
        {"p": vote["id"]},
    )
    db.session.commit()
    with pytest.raises(RollError, match="not 64 lowercase hex"):
        _seal(vote["id"])


def test_a_ballot_with_a_weight_off_the_roll_refuses_the_seal_and_changes_nothing(
    vote: dict[str, Any],
) -> None:
    third = _ballot_ids(vote["id"])[2]
    db.session.execute(text("UPDATE ballots SET weight = weight + 1 WHERE id = :i"), {"i": third})
    db.session.commit()
    proposal = proposals.get(vote["id"])
    assert proposal is not None
    proposals.close_vote(proposal)
    db.session.commit()
    with pytest.raises(TallyError, match="seq 3: weight"):
        results.seal(vote["id"])
    db.session.rollback()
    assert results.current_result(vote["id"]) is None
    assert db.session.scalar(select(SealedBallotBlock.result_id)) is None


def test_two_options_stored_with_json_spacing_are_refused_on_a_yes_no_vote(
    vote: dict[str, Any],
) -> None:
    db.session.execute(
        text("UPDATE ballots SET selection_json = '[\"yes\", \"no\"]' WHERE id = :i"),
        {"i": _ballot_ids(vote["id"])[1]},
    )
    db.session.commit()
    with pytest.raises(TallyError, match="seq 2: a binary ballot selects exactly one option"):
        _seal(vote["id"])


def test_a_ballot_naming_an_unknown_option_refuses_the_seal(vote: dict[str, Any]) -> None:
    db.session.execute(
        text("UPDATE ballots SET selection_json = '[\"maybe\"]' WHERE id = :i"),
        {"i": _ballot_ids(vote["id"])[5]},
    )
    db.session.commit()
    with pytest.raises(TallyError, match="seq 6: unknown option"):
        _seal(vote["id"])


@pytest.mark.parametrize("block", [1, 2, 3, 512])
def test_every_receipt_proves_inclusion_at_its_acceptance_position(
    vote: dict[str, Any], monkeypatch: Any, block: int
) -> None:
    monkeypatch.setattr(results_seal, "ID_BLOCK", block)
    result = _seal(vote["id"])
    root = bytes.fromhex(result["ballots"]["root"])
    row = results.current_result(vote["id"])
    assert row is not None
    receipts = list(
        db.session.scalars(
            text("SELECT receipt FROM ballots WHERE proposal_id = :p ORDER BY id"),
            {"p": vote["id"]},
        )
    )
    for seq, receipt in enumerate(receipts, start=1):
        proof = results.inclusion_for_receipt(row, receipt)
        assert proof is not None
        assert proof["seq"] == seq and proof["index"] == seq - 1 and proof["size"] == 9
        leaf = leaf_hash(canonical_bytes(proof["leaf"]))
        path = [bytes.fromhex(h) for h in proof["path"]]
        assert verify_inclusion(leaf, seq - 1, 9, path, root)
    assert results.inclusion_for_receipt(row, "0" * 64) is None


def test_a_correction_numbers_the_same_ballots_and_proves_them_under_its_own_root(
    vote: dict[str, Any],
) -> None:
    first = _seal(vote["id"])
    second_row = results.seal(vote["id"], correction=True, reason="recount",
                motion_id=correction_motion(vote["id"]))
    db.session.commit()
    second = json.loads(second_row.result_json)
    assert second["ballots"] == first["ballots"] and second["supersedes"] is not None
    row = results.current_result(vote["id"])
    assert row is not None and row.id == second_row.id
    receipt = db.session.scalar(
        text("SELECT receipt FROM ballots WHERE proposal_id = :p ORDER BY id DESC LIMIT 1"),
        {"p": vote["id"]},
    )
    proof = results.inclusion_for_receipt(row, receipt)
    assert proof is not None and proof["seq"] == 9
