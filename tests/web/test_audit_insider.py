"""Issue 16's insider edits: each made directly in a copy of the demo database, then
`flask trust audit` must fail naming what changed.

The demo trust is built once per module (about half a minute); every edit runs in a
transaction that is rolled back after the audit has read it, so each test sees a fresh copy.
The open vote's ballots are committed to the log as the cron step would (the demo does it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from app.core.db_types import utcnow
from app.core.extensions import db
from app.integrity.run import run_audit
from app.translog import notes as translog_notes
from app.translog import service as translog
from tests.conftest import _truncate, app_test_config

OPEN = "2026-003"


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from app import create_app
    from app.demo.build import build_demo

    application = create_app(app_test_config(database_url, tmp_path_factory.mktemp("insider")))
    _truncate(application)
    with application.app_context():
        lines = list(build_demo())
        assert any(f"ballots of {OPEN} to the log" in line for line in lines), lines
        translog_notes.checkpoint()  # signed and kept outside the database, as a visit would
        db.session.commit()
        assert [str(f) for f in run_audit()] == []
        yield application
        db.session.remove()
    _truncate(application)
    with application.app_context():
        db.engine.dispose()


def _sql(statement: str, **params: Any) -> None:
    db.session.execute(text(statement), params)


def _one(statement: str, **params: Any) -> Any:
    return db.session.execute(text(statement), params).scalar()


def _forged_ballot() -> None:
    _sql(
        "INSERT INTO ballots (proposal_id, token, selection_json, weight, cast_at, nonce,"
        " receipt, signature_json) SELECT proposal_id, token, '[\"yes\"]', weight, :at,"
        " :nonce, :receipt, :sig FROM roll_entries WHERE proposal_id = :p"
        " AND live_ballot_id IS NULL ORDER BY token LIMIT 1",
        p=OPEN, at=utcnow() - timedelta(hours=1), nonce="ab" * 16, receipt="cd" * 32,
        sig=json.dumps({"alg": "Ed25519", "key_id": "00" * 32, "value": "AAAA"}),
    )


def _changed_choice() -> None:
    ballot = _one("SELECT live_ballot_id FROM roll_entries r JOIN ballots b ON"
                  " b.id = r.live_ballot_id WHERE r.proposal_id = :p AND"
                  " b.selection_json LIKE '%yes%' ORDER BY b.id LIMIT 1", p=OPEN)
    _sql("UPDATE ballots SET selection_json = '[\"no\"]' WHERE id = :i", i=ballot)


def _deleted_ballot() -> None:
    ballot = _one("SELECT max(id) FROM ballots WHERE proposal_id = :p", p=OPEN)
    _sql("UPDATE roll_entries SET live_ballot_id = NULL WHERE live_ballot_id = :i", i=ballot)
    _sql("DELETE FROM ballots WHERE id = :i", i=ballot)


def _replayed_ballot() -> None:
    # A genuine receipt and signature from a sealed vote, replayed under an open vote's token.
    _sql(
        "INSERT INTO ballots (proposal_id, token, selection_json, weight, cast_at, nonce,"
        " receipt, signature_json) SELECT r.proposal_id, r.token, b.selection_json, r.weight,"
        " b.cast_at, b.nonce, b.receipt, b.signature_json FROM ballots b, roll_entries r"
        " WHERE b.proposal_id = '2026-001' AND r.proposal_id = :p AND r.live_ballot_id IS NULL"
        " ORDER BY b.id, r.token LIMIT 1",
        p=OPEN,
    )


def _roll_weight() -> None:
    token = _one("SELECT min(token) FROM roll_entries WHERE proposal_id = :p", p=OPEN)
    _sql("UPDATE roll_entries SET weight = weight * 10 WHERE proposal_id = :p AND token = :t",
         p=OPEN, t=token)


def _seat_inserted() -> None:
    now = utcnow()
    _sql("INSERT INTO council_seats (member_id, role, term_start, term_end) VALUES"
         " (50, 'chair', :s, :e)", s=now - timedelta(days=1), e=now + timedelta(days=300))


def _community_certified() -> None:
    _sql("UPDATE communities SET state = 'certified' WHERE state = 'rejected'")


def _growth_points() -> None:
    _sql("UPDATE growth_entries SET points = points + 100000"
         " WHERE id = (SELECT min(id) FROM growth_entries)")


def _motion_vote() -> None:
    _sql("UPDATE motion_votes SET choice = 'against'"
         " WHERE id = (SELECT min(id) FROM motion_votes WHERE choice = 'for')")


def _budget_x10() -> None:
    _sql("UPDATE budgets SET amount_fen = amount_fen * 10 WHERE id = '2026-001'")


def _balanced_ledger_edit() -> None:
    _sql("UPDATE ledger_entries SET amount_fen = amount_fen * 2 WHERE txn = (SELECT id FROM"
         " treasury_txns WHERE kind = 'income' ORDER BY seq LIMIT 1)")


def _approval_deleted() -> None:
    _sql("DELETE FROM disbursement_approvals WHERE id = (SELECT max(id) FROM"
         " disbursement_approvals)")


def _result_deleted() -> None:
    result = _one("SELECT id FROM sealed_results WHERE proposal_id = '2026-002'")
    _sql("DELETE FROM sealed_ballot_blocks WHERE result_id = :r", r=result)
    _sql("UPDATE ballots SET seq = NULL WHERE proposal_id = '2026-002'")
    _sql("DELETE FROM sealed_results WHERE id = :r", r=result)


def _checkpoints_deleted() -> None:
    _sql("DELETE FROM log_checkpoints")


def _charter_text() -> None:
    _sql("UPDATE charter_versions SET text = text || ' The chair may spend freely.'")


def _role_admin() -> None:
    _sql("UPDATE users SET role = 'admin' WHERE id = 50")


def _sealed_title() -> None:
    _sql("UPDATE proposals SET title = 'A different question' WHERE id = '2026-001'")


def _sealed_deadline() -> None:
    closes = _one("SELECT closes_at FROM proposals WHERE id = '2026-001'")
    from app.proposals.models import Proposal

    proposal = db.session.get(Proposal, "2026-001")
    assert proposal is not None and closes is not None
    proposal.closes_at = proposal.closes_at + timedelta(days=1)
    db.session.flush()


def _emptied() -> None:
    for table in reversed(db.metadata.sorted_tables):
        _sql(f'DELETE FROM "{table.name}"')  # noqa: S608 - our own table names


def _rolled_back() -> None:
    # As a restore of a backup taken a few leaves ago would leave it: the newest leaves gone,
    # and every checkpoint the database held with them.
    size = translog.size()
    _sql("DELETE FROM log_checkpoints")
    _sql('DELETE FROM log_leaves WHERE "index" >= :n', n=size - 3)


def _growth_inserted() -> None:
    now = utcnow()
    _sql("INSERT INTO growth_entries (owner_id, dimension, points, reason, source, source_id,"
         " occurred_at, recorded_at) VALUES (50, 'special', 100000, 'bonus', 'brand-crm', 'x1',"
         " :t, :t)", t=now - timedelta(days=500))


def _seat_role() -> None:
    _sql("UPDATE council_seats SET role = 'chair' WHERE id = 11")


def _seat_unvacated() -> None:
    _sql("UPDATE council_seats SET vacated_at = NULL, vacated_reason = NULL WHERE id = 1")


def _ledger_txn_inserted() -> None:
    now = utcnow()
    _sql("INSERT INTO treasury_txns (id, seq, kind, at, description, reference) VALUES"
         " ('bud-99', 99, 'budget_authorised', :t, 'more', '')", t=now)
    _sql("INSERT INTO ledger_entries (txn, account, amount_fen, kind, reference) VALUES"
         " ('bud-99', 'budget:2026-001', -5000000, 'budget', 'x'),"
         " ('bud-99', 'reserve', 5000000, 'budget', 'x')")


def _motion_outcome() -> None:
    _sql("UPDATE motions SET state = 'failed' WHERE id = 11")


def _open_vote_threshold() -> None:
    _sql("UPDATE proposals SET threshold_num = 1, threshold_den = 100 WHERE id = :p", p=OPEN)


EDITS: list[tuple[str, Callable[[], None], str]] = [
    ("forged ballot in an open vote", _forged_ballot,
     rf"proposal {OPEN}: ballot id \d+ \(receipt cdcdcdcdcdcd…\): its receipt does not"),
    ("open vote's live ballot choice changed", _changed_choice,
     rf"proposal {OPEN}: the first \d+ ballots no longer have the root committed"),
    ("ballot deleted from an open vote", _deleted_ballot,
     rf"proposal {OPEN}: \d+ ballots were committed while voting .* only \d+ are stored"),
    ("genuine ballot replayed into an open vote", _replayed_ballot,
     rf"proposal {OPEN}: ballot id \d+ .*: its receipt does not recompute"),
    ("open vote's roll weight edited", _roll_weight,
     rf"proposal {OPEN}: the roll no longer has the root logged when the vote opened"),
    ("council seat inserted (an owner made chair)", _seat_inserted,
     r"council seat \d+ \(chair\): no council.seated leaf seated it"),
    ("community moved from rejected to certified", _community_certified,
     r"community \d+ .*: is certified but its last logged step left it rejected"),
    ("growth entry +100,000 points", _growth_points,
     r"growth import batch demo@.*: its entries no longer match the logged batch"),
    ("motion vote's choice changed", _motion_vote,
     r"motion \d+: user \d+'s vote is against, the log says for"),
    ("budget x10", _budget_x10,
     r"budget 2026-001: amount_fen differ from the logged authorisation"),
    ("balanced ledger edit", _balanced_ledger_edit,
     r"treasury transaction inc-\d+ \(income\): its postings or fields differ"),
    ("approval deleted", _approval_deleted,
     r"disbursement \d+: user \d+'s logged approval was deleted"),
    ("sealed result deleted", _result_deleted,
     r"result 2026-002 \(\w+\): sealed in log leaf \d+ but no longer stored"),
    ("all checkpoints deleted", _checkpoints_deleted,
     r"checkpoint at size \d+ \(the copy kept in the instance folder\): is missing from the"),
    ("charter text edited", _charter_text,
     r"charter version 1: its text or rules no longer match its digest"),
    ("user's role made administrator", _role_admin,
     r"user 50 .*: is an administrator but no account.role leaf granted it"),
    ("sealed proposal's title", _sealed_title,
     r"proposal 2026-001: title changed since the vote opened"),
    ("sealed proposal's deadline", _sealed_deadline,
     r"proposal 2026-001: closes_at changed since the vote opened"),
    ("empty database", _emptied,
     r"transparency log: is empty"),
    ("rolled-back database", _rolled_back,
     r"vouches for \d+ log leaves but the database holds \d+: data was lost"),
    ("growth entry inserted outside an import", _growth_inserted,
     r"growth import batch brand-crm@.*: 1 entries \(100,000 points\) are in no logged"),
    ("a seat's role changed to chair", _seat_role,
     r"council seat 11 \(chair\): role differ from the logged seating"),
    ("a vacated seat restored", _seat_unvacated,
     r"council seat 1 \(chair\): was vacated in the log but the row says otherwise"),
    ("balanced ledger transaction inserted", _ledger_txn_inserted,
     r"treasury transaction bud-99 \(budget_authorised\): is not in the log"),
    ("motion outcome flipped", _motion_outcome,
     r"motion 11: is failed, the log closed it as passed"),
    ("open vote's threshold changed", _open_vote_threshold,
     rf"proposal {OPEN}: threshold changed since the vote opened"),
]


@pytest.mark.parametrize(("name", "edit", "named"), EDITS, ids=[e[0] for e in EDITS])
def test_the_audit_names_the_insider_edit(
    demo: Any, name: str, edit: Callable[[], None], named: str
) -> None:
    import re

    try:
        edit()
        db.session.flush()
        findings = [str(f) for f in run_audit()]
    finally:
        db.session.rollback()
    assert any(re.search(named, f) for f in findings), (name, findings)
    assert [str(f) for f in run_audit()] == []  # the rollback left the copy untouched


def test_twenty_six_edits() -> None:
    assert len(EDITS) == 26
