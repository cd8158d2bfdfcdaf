"""Telling workers: huey's task that carries a job id, bound to one app, and the push."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Flask
from huey import Huey
from huey.api import TaskWrapper

from app.jobs import policy
from app.jobs.runner import execute

TASK_NAME = "trust.run_job"

log = logging.getLogger("trust.jobs")


def bind(app: Flask) -> Huey:
    from app.jobs.store import build_huey

    huey = build_huey(app)

    def run(job_id: int) -> None:
        wait = execute(app, job_id)
        if wait is not None:
            push(app, [job_id], delay=wait)

    wrapper = huey.task(
        retries=policy.RETRIES,
        retry_delay=policy.first_retry_delay(app),
        retry_backoff=policy.RETRY_BACKOFF,
        name=TASK_NAME,
    )(run)
    app.extensions["trust_huey"] = huey
    app.extensions["trust_huey_task"] = wrapper
    return huey


def huey_of(app: Flask) -> Huey:
    found = app.extensions.get("trust_huey")
    return found if found is not None else bind(app)  # type: ignore[no-any-return]


def _push_one(task: TaskWrapper, job_id: int, delay: float | None) -> None:
    if delay:
        task.schedule(args=(job_id,), delay=delay)
    else:
        task(job_id)


def push(app: Flask, job_ids: Iterable[int], delay: float | None = None) -> None:
    huey_of(app)
    task: TaskWrapper = app.extensions["trust_huey_task"]
    for job_id in job_ids:
        try:
            _push_one(task, job_id, delay)
        except Exception:  # noqa: BLE001 - huey's store names no single error class
            # The store's connection outlives requests; a database restart (or an
            # administrator's pg_terminate_backend) shows only on its next use. huey then
            # marks it broken and opens a fresh one, so one more try is enough.
            log.info("job store connection lost; pushing job %s again", job_id)
            _push_one(task, job_id, delay)


def push_committed(app: Flask, job_ids: list[int]) -> None:
    """Wake workers for jobs whose rows are already committed. A push that still fails only
    delays them: `runner.recover` finds queued rows no worker was told about and pushes them."""
    try:
        push(app, job_ids)
    except Exception:  # noqa: BLE001 - the commit stands; recovery pushes later
        log.warning("could not push jobs %s; recovery will", job_ids, exc_info=True)
