"""Queue work: a ledger row in the caller's transaction, pushed to the workers once it commits.

Writing the row with the caller's change means a job exists exactly when that change does; the
push after the commit only wakes a worker, and `runner.recover` pushes again whatever a crash
left unpushed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.db_types import utcnow
from app.core.extensions import db
from app.jobs import policy
from app.jobs.models import Job
from app.jobs.transport import push_committed

_PENDING = "trust_jobs_to_push"


def enqueue(
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    session: Session | None = None,
) -> None:
    enqueue_many([(name, payload or {}, key)], session=session)


def enqueue_many(
    items: Iterable[tuple[str, dict[str, Any], str | None]], session: Session | None = None
) -> int:
    """Add jobs to the current transaction; those whose key is already queued are skipped."""
    rows = []
    now = utcnow()
    for name, payload, key in items:
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        rows.append(
            {
                "key": key or f"{name}:{body}",
                "name": name,
                "payload": body,
                "state": "queued",
                "attempts": 0,
                "max_attempts": policy.RETRIES + 1,
                "last_error": "",
                "result": "",
                "worker": "",
                "created_at": now,
                "due_at": now,
            }
        )
    if not rows:
        return 0
    session = session or db.session()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    added: list[int] = []
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        stmt = insert(Job).values(chunk).on_conflict_do_nothing(index_elements=["key"])
        added.extend(session.scalars(stmt.returning(Job.id)).all())
    pending = session.info.setdefault(_PENDING, [])
    pending.extend(added)
    session.info["trust_app"] = current_app._get_current_object()  # type: ignore[attr-defined]
    return len(added)


@event.listens_for(Session, "after_commit")
def _push_committed(session: Session) -> None:
    ids = session.info.pop(_PENDING, None)
    app = session.info.get("trust_app")
    if ids and app is not None:
        push_committed(app, ids)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def page(state: str | None, name: str | None, before: int | None, size: int) -> list[Job]:
    query = select(Job).order_by(Job.id.desc()).limit(size)
    if state:
        query = query.where(Job.state == state)
    if name:
        query = query.where(Job.name == name)
    if before:
        query = query.where(Job.id < before)
    return list(db.session.scalars(query))


def counts() -> dict[str, int]:
    from sqlalchemy import func

    rows = db.session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    return {state: int(n) for state, n in rows}


def retry_failed(job: Job) -> None:
    """An administrator gives a failed job a fresh set of attempts."""
    job.state = "queued"
    job.attempts = 0
    job.due_at = utcnow()
    db.session.info.setdefault(_PENDING, []).append(job.id)
    db.session.info["trust_app"] = current_app._get_current_object()  # type: ignore[attr-defined]
