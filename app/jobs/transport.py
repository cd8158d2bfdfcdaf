"""Telling workers: huey's task that carries a job id, bound to one app, and the push."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask
from huey import Huey
from huey.api import TaskWrapper

from app.jobs import policy
from app.jobs.runner import execute

TASK_NAME = "trust.run_job"


def bind(app: Flask) -> Huey:
    from app.jobs.store import build_huey

    huey = build_huey(app)

    def run(job_id: int) -> None:
        execute(app, job_id)

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


def push(app: Flask, job_ids: Iterable[int], delay: float | None = None) -> None:
    huey_of(app)
    task: TaskWrapper = app.extensions["trust_huey_task"]
    for job_id in job_ids:
        if delay:
            task.schedule(args=(job_id,), delay=delay)
        else:
            task(job_id)
