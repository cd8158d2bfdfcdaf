"""Start-up refuses weak secrets in one clear line; a vote opening that fails mid-roll rolls
back at once and leaves nothing half-done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.config import WeakSecretError, build_config
from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.translog.models import LogLeaf
from app.voting.models import RollEntry
from tests.factories import (
    SPENDING_FIELDS,
    install_charter,
    make_open_vote,
    make_owner,
    pass_motion,
)

STRONG = "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c"


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("TRUST_TOKEN_SECRET", "short-secret", "TRUST_TOKEN_SECRET (keys the voters' pseudonymous "
         "tokens) has 12 bytes; it needs at least 32"),
        ("SECRET_KEY", "a" * 64, "SECRET_KEY (signs session cookies) repeats too few characters"),
        ("TRUST_SIGNING_KEY_PASSPHRASE", "pass", "needs at least 16"),
        ("TRUST_IMPORT_API_TOKEN", "tok", "TRUST_IMPORT_API_TOKEN"),
    ],
)
def test_a_weak_secret_stops_start_up_naming_it(
    tmp_path: Path, name: str, value: str, said: str
) -> None:
    config = {"SECRET_KEY": STRONG, "TRUST_TOKEN_SECRET": STRONG,
              "TRUST_SIGNING_KEY_PASSPHRASE": STRONG, name: value}
    with pytest.raises(WeakSecretError, match="refusing to start with weak secrets") as caught:
        build_config(str(tmp_path), config)
    assert said in str(caught.value)


def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(TRUST_TOKEN_SECRET="too-short", SECRET_KEY=STRONG,
               TRUST_SIGNING_KEY_PASSPHRASE=STRONG, DATABASE_URL=f"sqlite:///{tmp_path}/t.db")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "flask", "--app", "wsgi", "trust", "audit"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "error: refusing to start with weak secrets: TRUST_TOKEN_SECRET" in done.stderr


def _alarm(_signum: int, _frame: Any) -> None:
    raise TimeoutError("the failed opening did not roll back within 30 s")


def test_a_vote_opening_that_fails_mid_roll_rolls_back_at_once(
    app: Any, db_session: Any, monkeypatch: Any
) -> None:
    install_charter()
    council = make_owner(400, role="council")
    owners = [make_owner(800 + i) for i in range(5)]
    db.session.commit()
    opens = utcnow() - timedelta(days=1)
    first = make_open_vote(owners[0], council, opens=opens, closes=opens + timedelta(days=3))
    draft = proposals.Draft(kind="spending", title="A second question for the owners",
                            body="A proposal body long enough to be accepted by the rules.",
                            fields=SPENDING_FIELDS, options=[])
    drafted = opens - timedelta(days=1)
    proposal = proposals.create_draft(owners[1], draft, now=drafted)
    proposals.submit(proposal, owners[1], now=drafted)
    pass_motion(council, "accept_proposal", f"proposal:{proposal.id}", now=drafted)
    proposals.accept(proposal, council, opens, opens + timedelta(days=3), "fine", now=drafted)
    db.session.commit()
    leaves = db.session.scalar(select(func.count()).select_from(LogLeaf))
    rows = db.session.scalar(select(func.count()).select_from(RollEntry))
    # The secret goes bad after start-up (as a weak one used to pass it): the roll's third
    # token fails with COPY open on PostgreSQL.
    monkeypatch.setitem(app.config, "TRUST_TOKEN_SECRET", "short")
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(30)
    try:
        # The cron path: before the fix it hung here, rolling back with the roll COPY open.
        result = app.test_cli_runner().invoke(args=["trust", "seal-due"])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert result.exit_code == 1, result.output
    assert f"FAILED to open {proposal.id}: token secret must be at least 32 bytes" in result.output
    db.session.rollback()
    reopened = db.session.get(Proposal, proposal.id)
    assert reopened is not None and reopened.state == "scheduled"
    assert db.session.scalar(select(func.count()).select_from(RollEntry)) == rows
    assert db.session.scalar(select(func.count()).select_from(LogLeaf)) == leaves
    assert first != proposal.id
