"""A backup taken while the trust runs restores to a database whose audit passes."""

from __future__ import annotations

import itertools
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.translog.models import LogLeaf
from app.voting import service as voting
from app.voting.models import Ballot
from tests.factories import install_charter, make_open_vote, make_owner

# Its commits must reach the database for real (see tests/conftest.py).
pytestmark = pytest.mark.real_commits


@pytest.fixture
def trust_with_a_sealed_vote(app: Any, db_session: Any) -> str:
    install_charter()
    council = make_owner(400, role="council")
    owners = [make_owner(700 + i) for i in range(3)]
    db.session.commit()
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(owners[0], council, opens=opens, closes=opens + timedelta(days=3))
    clock = itertools.count(1)
    for owner in owners:
        voting.cast(proposal_id, owner.id, ["yes"], now=opens + timedelta(minutes=next(clock)))
    close_and_seal(proposal_id)
    db.session.commit()
    return proposal_id


def test_backup_then_damage_then_restore_brings_back_a_trust_that_audits_clean(
    app: Any, trust_with_a_sealed_vote: str, tmp_path: Path, is_postgres: bool
) -> None:
    if is_postgres and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed on this machine")
    runner = app.test_cli_runner()
    target = tmp_path / "trust.backup"
    made = runner.invoke(args=["trust", "backup", str(target)])
    assert made.exit_code == 0, made.output
    assert target.stat().st_size > 0
    leaves = db.session.scalar(select(func.count()).select_from(LogLeaf))
    # Damage: a ballot edited behind the trust's back, then a log leaf deleted.
    db.session.execute(text("UPDATE ballots SET selection_json = '[\"no\"]'"))
    db.session.commit()
    assert runner.invoke(args=["trust", "audit"]).exit_code == 1
    db.session.remove()
    refused = runner.invoke(args=["trust", "restore", str(target)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    restored = runner.invoke(args=["trust", "restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "audit passed" in restored.output
    assert db.session.scalar(select(func.count()).select_from(LogLeaf)) == leaves
    selections = set(db.session.scalars(select(Ballot.selection_json)))
    assert selections == {'["yes"]'}


def test_a_truncated_backup_is_refused_in_one_line_and_changes_nothing(
    app: Any, trust_with_a_sealed_vote: str, tmp_path: Path, is_postgres: bool
) -> None:
    if is_postgres and shutil.which("pg_restore") is None:
        pytest.skip("pg_restore is not installed on this machine")
    runner = app.test_cli_runner()
    whole = tmp_path / "trust.backup"
    assert runner.invoke(args=["trust", "backup", str(whole)]).exit_code == 0
    cut = tmp_path / "cut.backup"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    leaves = db.session.scalar(select(func.count()).select_from(LogLeaf))
    db.session.remove()
    refused = runner.invoke(args=["trust", "restore", str(cut), "--yes"])
    assert refused.exit_code == 1
    assert refused.exception is None or isinstance(refused.exception, SystemExit)
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1, refused.output
    assert lines[0].startswith("Error: ") and "Traceback" not in refused.output
    assert db.session.scalar(select(func.count()).select_from(LogLeaf)) == leaves
    assert runner.invoke(args=["trust", "audit"]).exit_code == 0


def test_restoring_an_older_backup_fails_the_audit_against_the_expected_checkpoint(
    app: Any, trust_with_a_sealed_vote: str, tmp_path: Path, is_postgres: bool
) -> None:
    import json

    from app.translog import notes as translog_notes
    from app.translog import service as translog

    if is_postgres and shutil.which("pg_restore") is None:
        pytest.skip("pg_restore is not installed on this machine")
    runner = app.test_cli_runner()
    older = tmp_path / "older.backup"
    assert runner.invoke(args=["trust", "backup", str(older)]).exit_code == 0
    make_owner(900)  # one more growth batch: one more leaf after the backup
    db.session.commit()
    expected = tmp_path / "checkpoint.json"
    expected.write_text(json.dumps(translog_notes.checkpoint()))
    (Path(app.instance_path) / translog.CHECKPOINT_COPY).unlink()  # only the file given counts
    db.session.remove()
    restored = runner.invoke(
        args=["trust", "restore", str(older), "--yes", "--expect-checkpoint", str(expected)]
    )
    assert restored.exit_code == 1
    assert "data was lost" in restored.output
    empty = runner.invoke(args=["trust", "audit", "--expect-checkpoint", str(tmp_path / "none")])
    assert empty.exit_code == 1 and "cannot read the checkpoint" in empty.output
