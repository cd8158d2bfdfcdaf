"""`flask trust audit` names exactly what was edited directly in the database."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.voting import service as voting
from tests.factories import install_charter, make_open_vote, make_owner


@pytest.fixture
def sealed(app: Any, db_session: Any) -> str:
    install_charter()
    council = make_owner(400, role="council")
    owners = [make_owner(1000 + 100 * i) for i in range(4)]
    db.session.commit()
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(owners[0], council, opens=opens, closes=opens + timedelta(days=3))
    clock = itertools.count(1)
    for owner, choice in zip(owners, ["yes", "no", "yes", "abstain"], strict=True):
        voting.cast(proposal_id, owner.id, [choice], now=opens + timedelta(minutes=next(clock)))
    close_and_seal(proposal_id)
    db.session.commit()
    return proposal_id


def _audit(app: Any) -> Any:
    return app.test_cli_runner().invoke(args=["trust", "audit"])


def _tamper(sql: str, **params: Any) -> None:
    db.session.execute(text(sql), params)
    db.session.commit()


def test_an_untouched_trust_passes_the_audit(app: Any, sealed: str) -> None:
    result = _audit(app)
    assert result.exit_code == 0, result.output
    assert "audit passed" in result.output


def test_an_edited_ballot_selection_is_named(app: Any, sealed: str) -> None:
    # seq numbers a vote's ballots in acceptance order (id) when the result is sealed.
    _tamper(
        "UPDATE ballots SET selection_json = '[\"yes\"]'"
        " WHERE id = (SELECT id FROM ballots ORDER BY id LIMIT 1 OFFSET 1)"
    )
    result = _audit(app)
    assert result.exit_code == 1
    assert f"result {sealed}" in result.output
    assert "ballot seq 2" in result.output and "was changed" in result.output
    assert "ballot seq 1 " not in result.output


def test_an_edited_roll_weight_is_named(app: Any, sealed: str) -> None:
    token = db.session.execute(
        text("SELECT token FROM roll_entries ORDER BY token LIMIT 1 OFFSET 2")
    ).scalar_one()
    _tamper("UPDATE roll_entries SET weight = weight + 1 WHERE token = :t", t=token)
    result = _audit(app)
    assert result.exit_code == 1
    assert f"roll row 3 (token {token[:12]}" in result.output


def test_an_edited_log_leaf_is_named(app: Any, sealed: str) -> None:
    _tamper("UPDATE log_leaves SET subject = 'something-else' WHERE \"index\" = 1")
    result = _audit(app)
    assert result.exit_code == 1
    assert "log leaf 1: leaf fields were changed" in result.output


def test_a_deleted_ballot_is_detected(app: Any, sealed: str) -> None:
    _tamper("UPDATE roll_entries SET live_ballot_id = NULL")
    _tamper("DELETE FROM ballots WHERE id = (SELECT id FROM ballots ORDER BY id LIMIT 1 OFFSET 3)")
    result = _audit(app)
    assert result.exit_code == 1
    assert "3 ballots stored, 4 signed" in result.output


def test_edited_ballot_positions_for_proofs_are_named(app: Any, sealed: str) -> None:
    packed = db.session.execute(text("SELECT ballot_ids FROM sealed_ballot_blocks")).scalar_one()
    swapped = packed[8:16] + packed[:8] + packed[16:]  # ballots 1 and 2 trade positions
    _tamper("UPDATE sealed_ballot_blocks SET ballot_ids = :b", b=swapped)
    result = _audit(app)
    assert result.exit_code == 1
    assert f"result {sealed}" in result.output
    assert "ballot positions for proofs (sealed_ballot_blocks) were changed" in result.output


def test_an_edited_stored_tree_level_is_named(app: Any, sealed: str) -> None:
    tree = db.session.execute(text("SELECT ballots_tree FROM sealed_results")).scalar_one()
    top = bytes(tree[:-1]) + bytes([tree[-1] ^ 1])  # the stored root's last byte
    _tamper("UPDATE sealed_results SET ballots_tree = :t", t=top)
    result = _audit(app)
    assert result.exit_code == 1
    assert "stored ballots tree does not match the signed ballots root" in result.output


def test_blobs_are_compared_piece_by_piece_to_the_last_byte(
    app: Any, sealed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.integrity import records as integrity

    monkeypatch.setattr(integrity, "_PIECE", 40)  # several pieces, the last one short
    assert _audit(app).exit_code == 0
    tree = db.session.execute(text("SELECT ballots_tree FROM sealed_results")).scalar_one()
    _tamper(
        "UPDATE sealed_results SET ballots_tree = :t", t=bytes(tree[:-1]) + bytes([tree[-1] ^ 1])
    )
    result = _audit(app)
    assert result.exit_code == 1
    assert "stored ballots tree does not match the signed ballots root" in result.output
