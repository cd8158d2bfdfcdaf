"""`flask trust relog`: a database older than the per-row leaves gets them once, marked as a
backfill, and then passes the audit; a second run is refused (issue 16).

The old database is simulated: a trust built today, then its per-row leaves taken out of the
log and the log renumbered, as it was before those kinds existed (no checkpoint covers it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from app.core.extensions import db
from app.growth.claims import contact_digest
from app.integrity.relog import RelogError, relog
from app.integrity.run import run_audit
from app.translog import kinds
from app.translog import service as translog
from app.translog.models import Checkpoint, Cosignature, LogLeaf
from app.treasury import service
from ballots.canonical import canonical_bytes
from ballots.merkle import leaf_hash
from tests.web.test_treasury import trust  # noqa: F401  (the fixture)

NEW_KINDS = (kinds.TREASURY_TXN, kinds.GROWTH_BATCH, kinds.GROWTH_HELD, kinds.ACCOUNT_ROLE,
             kinds.APPROVAL, kinds.MOTION_VOTE)
IMPORT = {"Authorization": "Bearer test-import-token-0123456789"}


def _as_before_the_new_kinds() -> None:
    kept = db.session.execute(
        select(LogLeaf.type, LogLeaf.at, LogLeaf.logged_at, LogLeaf.subject, LogLeaf.sha256,
               LogLeaf.record_json)
        .where(LogLeaf.type.not_in(NEW_KINDS)).order_by(LogLeaf.index)).all()
    db.session.execute(delete(Cosignature))
    db.session.execute(delete(Checkpoint))
    db.session.execute(delete(LogLeaf))
    db.session.flush()
    for index, (type_, at, logged_at, subject, sha256, record_json) in enumerate(kept):
        row = LogLeaf(index=index, type=type_, at=at, logged_at=logged_at, subject=subject,
                      sha256=sha256, record_json=record_json)
        row.leaf_hash = leaf_hash(canonical_bytes(translog.leaf_object(row)))
        db.session.add(row)
    db.session.commit()


def _log_size() -> int:
    return db.session.scalar(select(func.count()).select_from(LogLeaf)) or 0


def test_an_old_database_is_relogged_once_and_then_passes_the_audit(
    trust: dict[str, Any], client: Any  # noqa: F811
) -> None:
    members = trust["members"]
    pending = service.draft(members[0], trust["budget"], 100_000, "owner_care",
                            "Families of 12 owners", "Hospital bills after a road accident.")
    db.session.commit()
    service.approve(members[1], pending.id)  # one of two: still pending
    db.session.commit()
    when = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fed = client.post("/api/growth/import", headers=IMPORT, json={"entries": [
        {"owner": "N500", "dimension": "purchase", "points": 900, "reason": "Car",
         "source_id": "crm-50", "occurred_at": when,
         "contact_email_sha256": contact_digest("email", "n500@example.test")}]})
    assert fed.status_code == 200 and fed.get_json()["held"] == 1
    assert [str(f) for f in run_audit()] == []

    _as_before_the_new_kinds()
    before = [str(f) for f in run_audit()]
    assert any("is not in the log: the transaction was inserted" in f for f in before), before
    assert any("no account.role leaf granted it" in f for f in before), before
    assert any("in no logged import batch" in f for f in before), before
    assert any("in no logged hold" in f for f in before), before
    assert any(f"approval by user {members[1].id} is not in the log" in f for f in before)

    size = _log_size()
    runner = client.application.test_cli_runner()
    dry = runner.invoke(args=["trust", "relog", "--dry-run"])
    assert dry.exit_code == 0 and "nothing was written" in dry.output, dry.output
    assert "treasury.txn" in dry.output and "growth.held" in dry.output
    db.session.expire_all()
    assert _log_size() == size

    done = runner.invoke(args=["trust", "relog"])
    assert done.exit_code == 0 and "log.backfill" in done.output, done.output
    db.session.expire_all()
    assert [str(f) for f in run_audit()] == []
    appended = list(db.session.scalars(
        select(LogLeaf).where(LogLeaf.index >= size).order_by(LogLeaf.index)))
    assert appended[-1].type == kinds.BACKFILL
    assert all('"backfill":true' in leaf.record_json for leaf in appended[:-1])
    [(_i, _s, summary)] = list(kinds.records(kinds.BACKFILL))
    assert summary["counts"][kinds.TREASURY_TXN] >= 2 and summary["counts"][kinds.ACCOUNT_ROLE]

    again = runner.invoke(args=["trust", "relog"])
    assert again.exit_code != 0 and "already backfilled" in again.output
    try:
        relog(dry_run=True)
    except RelogError:
        pass
    else:
        raise AssertionError("a second backfill, even a dry run, must be refused")
    assert _log_size() == len(appended) + size


def test_a_current_database_has_nothing_to_relog(trust: dict[str, Any]) -> None:  # noqa: F811
    assert relog(dry_run=True).leaves == []
    assert relog(dry_run=False).leaves == []
    assert list(kinds.records(kinds.BACKFILL)) == []
