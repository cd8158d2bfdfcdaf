"""Concurrent casts: one live ballot per owner, every acknowledged receipt in the sealed result."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals import service as proposals
from app.results import service as results
from app.voting import service as voting
from app.voting.models import Ballot, RollEntry
from tests.factories import install_charter, make_open_vote, make_owner

# Its commits must reach the database for real (see tests/conftest.py).
pytestmark = pytest.mark.real_commits


def _run_in_threads(
    app: Any, jobs: list[tuple[int, list[str]]], proposal_id: str, when: Any
) -> list[Any]:
    # End this thread's own transaction first: on SQLite even a read holds the write lock.
    db.session.commit()
    acknowledged: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(min(len(jobs), 16))

    def worker(chunk: list[tuple[int, list[str]]]) -> None:
        with app.app_context():
            try:
                start.wait()
                for owner_id, selection in chunk:
                    receipt = voting.cast(proposal_id, owner_id, selection, now=when)
                    with lock:
                        acknowledged.append(receipt)
            except BaseException as exc:  # reported below, never swallowed
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=worker, args=(jobs[i::16],)) for i in range(min(len(jobs), 16))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    return acknowledged


@pytest.fixture
def open_vote(app: Any, db_session: Any) -> dict[str, Any]:
    install_charter()
    council = make_owner(100, role="council")
    owners = [make_owner(10 + i) for i in range(40)]
    db.session.commit()
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(owners[0], council, opens=opens, closes=opens + timedelta(days=3))
    return {"id": proposal_id, "owners": owners, "when": opens + timedelta(hours=1)}


def test_fifty_concurrent_casts_by_one_owner_leave_one_live_ballot(
    app: Any, open_vote: dict[str, Any]
) -> None:
    owner_id = open_vote["owners"][5].id
    jobs = [(owner_id, ["yes" if i % 2 else "no"]) for i in range(50)]
    receipts = _run_in_threads(app, jobs, open_vote["id"], open_vote["when"])
    assert len(receipts) == 50
    entry = db.session.scalar(select(RollEntry).where(RollEntry.owner_id == owner_id))
    live = db.session.get(Ballot, entry.live_ballot_id)
    last = db.session.scalar(
        select(Ballot).where(Ballot.token == entry.token).order_by(Ballot.id.desc()).limit(1)
    )
    assert live.id == last.id  # the live ballot is the last one accepted
    count = db.session.scalar(select(func.count()).select_from(Ballot))
    assert count == 50


def test_concurrent_casts_by_many_owners_all_reach_the_sealed_result(
    app: Any, open_vote: dict[str, Any]
) -> None:
    owners = open_vote["owners"]
    jobs = [(o.id, ["yes"] if i % 3 else ["no"]) for i, o in enumerate(owners)]
    jobs += [(o.id, ["abstain"]) for o in owners[:10]]  # ten owners change their minds
    receipts = _run_in_threads(app, jobs, open_vote["id"], open_vote["when"])
    proposal = proposals.get(open_vote["id"])
    proposals.close_vote(proposal)
    row = results.seal(open_vote["id"])
    db.session.commit()
    published = {r["receipt"] for r in results.ballot_records(open_vote["id"])}
    assert {r["receipt"] for r in receipts} <= published
    # Client-side ledger of acknowledgements: the last receipt per token is what counts.
    last_by_token: dict[str, Any] = {}
    by_receipt = {r["receipt"]: r for r in results.ballot_records(open_vote["id"])}
    for receipt in sorted(receipts, key=lambda r: by_receipt[r["receipt"]]["seq"]):
        last_by_token[receipt["token"]] = receipt
    expected: dict[str, int] = {"yes": 0, "no": 0, "abstain": 0}
    for receipt in last_by_token.values():
        expected[receipt["selection"][0]] += receipt["weight"]
    assert json.loads(row.result_json)["tally"]["totals"] == expected


def test_a_cast_waiting_on_a_close_is_refused_once_the_close_commits(
    app: Any, open_vote: dict[str, Any]
) -> None:
    owner_id = open_vote["owners"][3].id
    db.session.commit()
    outcome: list[Any] = []

    def cast_now() -> None:
        with app.app_context():
            try:
                outcome.append(
                    voting.cast(open_vote["id"], owner_id, ["yes"], now=open_vote["when"])
                )
            except voting.VoteRefused as exc:
                outcome.append(exc)
            finally:
                db.session.remove()

    proposals.close_vote(proposals.get(open_vote["id"]))  # holds the vote lock until commit
    caster = threading.Thread(target=cast_now)
    caster.start()
    _wait_until_blocked(caster)
    db.session.commit()
    caster.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], voting.VoteRefused), outcome
    assert "not open" in str(outcome[0])
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def _wait_until_blocked(thread: threading.Thread) -> None:
    """Until the cast waits on a lock (PostgreSQL shows it; SQLite waits inside BEGIN)."""
    import time

    if db.session.get_bind().dialect.name != "postgresql":
        time.sleep(0.5)
        return
    import psycopg

    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as watcher:
        for _ in range(600):
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            ).fetchone()
            if waiting and waiting[0] > 0:
                return
            assert thread.is_alive(), "the cast finished without waiting for the close"
            time.sleep(0.05)
    raise AssertionError("the cast never waited for the close")
