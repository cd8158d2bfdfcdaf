"""The job queue with a real worker process on the real store: runs, retries, survives kill -9."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from sqlalchemy import select

from app.core.extensions import db
from app.jobs import queue
from app.jobs.models import Job
from tests.jobs_helpers import running_worker, start_worker, wait_for

# Real commits: a worker process reads what the test commits.
pytestmark = pytest.mark.real_commits


def _job(app: Any, key: str) -> Job | None:
    with app.app_context():
        db.session.remove()
        job = db.session.scalar(select(Job).where(Job.key == key))
        if job is not None:
            db.session.expunge(job)
        db.session.remove()
        return job


def _queue(app: Any, name: str, payload: dict[str, Any], key: str) -> None:
    with app.app_context():
        queue.enqueue(name, payload, key=key)
        db.session.commit()
        db.session.remove()


def test_a_queued_job_runs_on_a_worker_and_its_key_makes_it_once(app: Any) -> None:
    _queue(app, "jobs.ping", {}, "ping-1")
    _queue(app, "jobs.ping", {}, "ping-1")  # same key: the same job
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Job)) == 1
    with running_worker(app):
        done = wait_for(lambda: (j := _job(app, "ping-1")) and j.state == "done" and j)
    assert done.result == "pong"
    assert done.attempts == 1


def test_a_job_rolled_back_with_its_transaction_never_exists(app: Any) -> None:
    with app.app_context():
        queue.enqueue("jobs.ping", {}, key="ping-rolled-back")
        db.session.rollback()
    assert _job(app, "ping-rolled-back") is None


def test_a_failing_job_is_retried_with_growing_delays_then_marked_failed(app: Any) -> None:
    _queue(app, "jobs.ping", {"fail": True}, "ping-fail")
    # Waits of a second and more: a poll every 50 ms sees each one even on a busy machine.
    with running_worker(app, TRUST_JOB_RETRY_DELAY=1.0):
        seen: list[Any] = []

        def second_try() -> bool:
            job = _job(app, "ping-fail")
            assert job is not None
            if job.state == "queued" and job.attempts and job.attempts not in [s[0] for s in seen]:
                seen.append((job.attempts, (job.due_at - job.started_at).total_seconds()))
            return job.attempts >= 3

        wait_for(second_try, timeout=60, every=0.05)
    job = _job(app, "ping-fail")
    assert job is not None
    assert "ping asked to fail" in job.last_error
    delays = [d for _, d in sorted(seen)]
    assert len(delays) >= 2 and delays[1] > delays[0]  # backoff, not a fixed pause


def test_a_job_told_to_workers_twice_still_waits_out_each_retry(app: Any) -> None:
    _queue(app, "jobs.ping", {"fail": True}, "ping-twice")
    # Older than the workers' lease: their first recovery pass finds the row unannounced and
    # pushes it again while huey still holds the first message.
    time.sleep(3.5)
    first_seen: dict[int, float] = {}
    with running_worker(app, TRUST_JOB_RETRY_DELAY=1.0):

        def third_try() -> bool:
            job = _job(app, "ping-twice")
            assert job is not None
            first_seen.setdefault(job.attempts, time.monotonic())
            return job.attempts >= 3

        wait_for(third_try, timeout=60, every=0.05)
    assert 1 in first_seen and 2 in first_seen
    # The first retry is due a second after the first failure (a quarter second of slack for
    # clocks); the duplicate message must not run it at once.
    assert first_seen[2] - first_seen[1] >= 0.6
    assert first_seen[3] - first_seen[2] >= 2.0


def test_a_job_whose_worker_is_killed_mid_run_runs_again(app: Any) -> None:
    _queue(app, "jobs.ping", {"seconds": 4}, "ping-killed")
    first = start_worker(app, threads=1)
    try:
        held = wait_for(lambda: (j := _job(app, "ping-killed")) and j.state == "running" and j)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert held.attempts == 1
    assert _job(app, "ping-killed").state == "running"  # the dead worker's lease still stands
    with running_worker(app):
        done = wait_for(
            lambda: (j := _job(app, "ping-killed")) and j.state == "done" and j, timeout=60
        )
    assert done.attempts == 2
    assert done.worker != held.worker


def test_administrators_see_the_queue_and_retry_a_failed_job(
    app: Any, client: Any, db_session: Any
) -> None:
    from tests.factories import csrf_from, login, make_owner

    admin = make_owner(0, role="admin")
    owner = make_owner(10)
    db.session.add(Job(key="k-failed", name="jobs.ping", payload="{}", state="failed",
                       attempts=6, max_attempts=6, last_error="RuntimeError: boom"))
    db.session.commit()
    login(client, owner)
    assert client.get("/admin/jobs/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, admin)
    page = client.get("/admin/jobs/?state=failed")
    text = page.get_data(as_text=True)
    assert "RuntimeError: boom" in text and "jobs.ping" in text
    job_id = db.session.scalar(select(Job.id).where(Job.key == "k-failed"))
    client.post(f"/admin/jobs/{job_id}/retry", data={"csrf_token": csrf_from(page)})
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job.state == "queued" and job.attempts == 0
    db.session.commit()


def test_the_cron_tick_seals_a_due_vote_on_a_worker(app: Any, db_session: Any) -> None:
    """Sealing runs through the queue: the worker's cron job closes and seals a vote past its
    close, and the seal's notification follows as a job of its own."""
    from datetime import timedelta

    from app.core.db_types import utcnow
    from app.proposals.models import Proposal
    from tests.factories import install_charter, make_open_vote, make_owner

    install_charter()
    council, author = make_owner(500, role="council"), make_owner(3000)
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(author, council, opens=opens, closes=opens + timedelta(days=3))
    db.session.commit()
    db.session.remove()
    with running_worker(app, TRUST_JOB_CRON=True):
        wait_for(lambda: _sealed(app, proposal_id), timeout=90)
        wait_for(lambda: _job_named(app, "notify.event", "seal"), timeout=60)
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).state == "sealed"
        db.session.remove()


def _sealed(app: Any, proposal_id: str) -> bool:
    from app.proposals.models import Proposal

    with app.app_context():
        state = db.session.get(Proposal, proposal_id).state
        db.session.remove()
    return state == "sealed"


def _job_named(app: Any, name: str, fragment: str) -> bool:
    with app.app_context():
        keys = db.session.scalars(select(Job.key).where(Job.name == name,
                                                         Job.state == "done")).all()
        db.session.remove()
    return any(fragment in k for k in keys)


def test_a_commit_still_pushes_its_job_after_the_store_lost_its_connection(app: Any) -> None:
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        pytest.skip("SQLite's job store has no server connection to lose")
    import psycopg

    from app.jobs.transport import huey_of

    huey = huey_of(app)
    _queue(app, "jobs.ping", {}, "ping-before")  # the store now holds an open connection
    before = huey.pending_count()
    url = str(app.config["SQLALCHEMY_DATABASE_URI"]).replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with app.app_context():
        db.engine.dispose()  # the trust's own pool is another test's concern
    _queue(app, "jobs.ping", {}, "ping-after")  # must not raise out of the commit
    assert huey.pending_count() == before + 1
    job = _job(app, "ping-after")
    assert job is not None and job.state == "queued"
