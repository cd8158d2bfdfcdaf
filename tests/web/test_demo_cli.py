"""What a newcomer meets first: `flask demo --help` that builds nothing, and a demo that runs
its own cron, so its open vote closes and is sealed on time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.cli import start_demo_cron
from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals.models import Proposal
from app.voting import service as voting
from tests.factories import install_charter, make_open_vote, make_owner

ROOT = Path(__file__).resolve().parents[2]


def test_demo_help_prints_its_options_without_building_anything(tmp_path: Path) -> None:
    database = tmp_path / "never.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env.pop("TEST_DATABASE_URL", None)
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "wsgi", "demo", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--port" in done.stdout and "--cron-every" in done.stdout
    assert not database.exists(), "--help created the database"


@pytest.mark.real_commits  # the cron's thread reads and writes on its own connection
def test_the_demo_cron_closes_and_seals_a_vote_past_its_close(app: Any, db_session: Any) -> None:
    install_charter()
    chair = make_owner(300, role="council")
    voter = make_owner(900)
    db.session.commit()
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(voter, chair, opens=opens, closes=utcnow() - timedelta(minutes=1))
    voting.cast(proposal_id, voter.id, ["yes"], now=opens + timedelta(hours=1))
    db.session.commit()
    db.session.remove()  # on SQLite an open transaction would hold the cron's writes

    stop = start_demo_cron(app, 0.2)
    try:
        deadline = time.monotonic() + 30
        state = None
        while time.monotonic() < deadline:
            state = db.session.get(Proposal, proposal_id).state
            db.session.remove()
            if state == "sealed":
                break
            time.sleep(0.2)
    finally:
        stop.set()
    assert state == "sealed"
