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
from app.proposals import service as proposals
from app.results import service as results
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
    proposals.close_vote(proposals.get(proposal_id))
    results.seal(proposal_id)
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
