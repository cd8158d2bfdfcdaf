"""Running jobs: claim with a lease, renew it while working, record the outcome; recover the dead.

A claim is one conditional UPDATE, so two workers handed the same id (a re-push after a crash,
a duplicate message) cannot both run it, and a message that arrives before the job's next
attempt is due is scheduled again for then instead of cutting the backoff short. A worker
killed with SIGKILL stops renewing its lease; the next `recover` pass of any worker puts the
job back on the queue.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import and_, or_, select, update

from app.core.db_types import utcnow
from app.core.extensions import db
from app.jobs import policy
from app.jobs.models import Job
from app.jobs.registry import load_handlers

log = logging.getLogger("trust.jobs")


class JobFailed(RuntimeError):
    """Raised to huey so that it schedules the next attempt with its backoff."""


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def _lease(app: Flask) -> timedelta:
    return timedelta(seconds=int(app.config.get("TRUST_JOB_LEASE_SECONDS", 60)))


def _precise_now() -> datetime:
    # Retry times are compared to the sub-second: `utcnow` drops microseconds, which would let
    # a message arriving a fraction of a second after a failure pass for the next retry.
    return datetime.now(UTC)


def claim(app: Flask, job_id: int, worker: str) -> Job | None:
    """Start an attempt, or return None when this message is not the one to run it: the job is
    done, running under a live lease, out of attempts, or not yet due (see `not_due_for`)."""
    now = _precise_now()
    early = timedelta(seconds=policy.early_slack(app))
    with app.app_context():
        result = db.session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                Job.attempts < Job.max_attempts,
                or_(
                    and_(Job.state == "queued", Job.due_at <= now + early),
                    and_(Job.state == "running", Job.lease_until < now),
                ),
            )
            .values(
                state="running",
                attempts=Job.attempts + 1,
                worker=worker,
                started_at=now,
                lease_until=now + _lease(app),
            )
        )
        db.session.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            _fail_exhausted(job_id, now)
            return None
        job = db.session.get(Job, job_id)
        if job is not None:
            db.session.expunge(job)
        db.session.remove()
        return job


def _fail_exhausted(job_id: int, now: Any) -> None:
    # A job re-queued by recovery after its last attempt died with its worker ends here.
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "queued", Job.attempts >= Job.max_attempts)
        .values(state="failed", finished_at=now, last_error="no attempts left")
    )
    db.session.commit()


class _Renewer(threading.Thread):
    """Keeps the lease of one running job alive while its worker is."""

    def __init__(self, app: Flask, job_id: int, worker: str) -> None:
        super().__init__(daemon=True, name=f"lease-{job_id}")
        self.app, self.job_id, self.worker = app, job_id, worker
        self.stopped = threading.Event()

    def run(self) -> None:
        every = _lease(self.app).total_seconds() / 3
        while not self.stopped.wait(every):
            try:
                with self.app.app_context(), db.engine.begin() as conn:
                    conn.execute(
                        update(Job)
                        .where(Job.id == self.job_id, Job.worker == self.worker)
                        .values(lease_until=utcnow() + _lease(self.app))
                    )
            except Exception:  # noqa: BLE001 - a busy database: try again next beat
                log.warning("lease renewal of job %s failed", self.job_id, exc_info=True)


def not_due_for(app: Flask, job_id: int) -> float | None:
    """Seconds until a queued job's next attempt is due, or None when it is not waiting.

    A job can be told to workers twice: recovery pushes a row it found unannounced while huey
    still holds the first message. The second must neither run the next attempt before its
    backoff is over nor be dropped while the first could be lost with its worker.
    """
    with app.app_context():
        row = db.session.execute(
            select(Job.state, Job.due_at).where(Job.id == job_id)
        ).first()
        db.session.remove()
    if row is None or row.state != "queued":
        return None
    wait = (row.due_at - _precise_now()).total_seconds()
    return wait if wait > 0 else None


def execute(app: Flask, job_id: int) -> float | None:
    """Run one attempt of a job. Returns the seconds to wait when the job is not yet due, so
    that the caller tells a worker again then; None when there is nothing more to do."""
    handlers = load_handlers()
    worker = _worker_name()
    job = claim(app, job_id, worker)
    if job is None:
        return not_due_for(app, job_id)
    renewer = _Renewer(app, job_id, worker)
    renewer.start()
    try:
        with app.app_context():
            try:
                fn = handlers[job.name]
                outcome = fn(json.loads(job.payload))
                db.session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.worker == worker)
                    .values(state="done", finished_at=utcnow(), result=(outcome or "")[:2000],
                            lease_until=None, last_error="")
                )
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                last = job.attempts >= job.max_attempts
                now = _precise_now()
                db.session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.worker == worker)
                    .values(
                        state="failed" if last else "queued",
                        finished_at=now if last else None,
                        due_at=now + timedelta(seconds=policy.retry_delay(app, job.attempts)),
                        lease_until=None,
                        last_error="".join(traceback.format_exception_only(exc))[:4000],
                    )
                )
                db.session.commit()
                if not last:
                    raise JobFailed(f"job {job_id} attempt {job.attempts} failed") from exc
            finally:
                db.session.remove()
    finally:
        renewer.stopped.set()
    return None


def recover(app: Flask) -> list[int]:
    """Queue again what a dead worker held, and find what no worker was ever told about; the
    caller pushes the ids returned."""
    now = utcnow()
    grace = _lease(app)
    with app.app_context():
        expired = list(
            db.session.scalars(
                select(Job.id).where(Job.state == "running", Job.lease_until < now).limit(1000)
            )
        )
        if expired:
            db.session.execute(
                update(Job)
                .where(Job.id.in_(expired), Job.state == "running", Job.lease_until < now)
                .values(state="queued", due_at=now, worker="", last_error="worker lost")
            )
        stale = list(
            db.session.scalars(
                select(Job.id).where(Job.state == "queued", Job.due_at < now - grace).limit(1000)
            )
        )
        if stale:
            db.session.execute(update(Job).where(Job.id.in_(stale)).values(due_at=now))
        db.session.commit()
        db.session.remove()
    ids = expired + stale
    if ids:
        log.info("recovered jobs %s", ids)
    return ids
