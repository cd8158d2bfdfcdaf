"""`flask trust worker` and the queue's other commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.core.extensions import db

jobs_cli = AppGroup("jobs", help="The background job queue.")


@click.command("worker")
@click.option("--threads", default=2, show_default=True, help="Jobs run at once by this worker.")
def worker_command(threads: int) -> None:
    """Run a worker: start as many as you like, on as many hosts as share the database."""
    from app.jobs.worker import run_worker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"worker: {threads} threads on queue {app.config.get('TRUST_JOB_QUEUE') or 'trust'}")
    run_worker(app, threads=threads)


@jobs_cli.command("list")
@click.option("--state", type=click.Choice(["queued", "running", "done", "failed"]))
@click.option("--limit", default=50, show_default=True)
def list_command(state: str | None, limit: int) -> None:
    """Show the newest jobs."""
    from app.jobs import queue

    for job in queue.page(state, None, None, limit):
        click.echo(f"{job.id}\t{job.state}\t{job.attempts}/{job.max_attempts}\t{job.name}\t{job.key}")


@jobs_cli.command("recover")
def recover_command() -> None:
    """Queue again the jobs of workers that died (every worker also does this by itself)."""
    from app.jobs.worker import recover_and_push

    ids = recover_and_push(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"re-queued {len(ids)} job(s)")


@jobs_cli.command("cron")
def cron_command() -> None:
    """Queue this minute's cron step (workers queue it themselves unless TRUST_JOB_CRON=0)."""
    from app.core.db_types import utcnow
    from app.jobs import queue
    from app.jobs.builtin import tick_key

    queue.enqueue("cron.tick", {}, key=tick_key(utcnow()))
    db.session.commit()
    click.echo("queued")
