"""A worker process: huey's consumer for this app, plus recovery and the cron tick."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from app.core.db_types import utcnow
from app.core.extensions import db
from app.jobs import queue
from app.jobs.registry import load_handlers
from app.jobs.runner import recover
from app.jobs.transport import huey_of, push

log = logging.getLogger("trust.jobs")


def recover_and_push(app: Flask) -> list[int]:
    ids = recover(app)
    if ids:
        push(app, ids)
    return ids


def run_worker(app: Flask, threads: int = 2, recover_every: float | None = None) -> None:
    """Run huey's consumer for this app, with a recovery pass at start and then periodically."""
    load_handlers()
    huey = huey_of(app)
    every = recover_every or float(app.config.get("TRUST_JOB_RECOVER_SECONDS", 15))
    stop = threading.Event()

    cron = bool(app.config.get("TRUST_JOB_CRON", True))

    def recovering() -> None:
        while True:
            try:
                recover_and_push(app)
                if cron:
                    queue_cron_tick(app)
            except Exception:  # noqa: BLE001 - the next pass tries again
                log.warning("recovery pass failed", exc_info=True)
            if stop.wait(every):
                return

    threading.Thread(target=recovering, daemon=True, name="recover").start()
    consumer = huey.create_consumer(workers=threads, worker_type="thread", periodic=False,
                                    max_delay=1.0)
    try:
        consumer.run()
    finally:
        stop.set()


def queue_cron_tick(app: Flask) -> None:
    from app.jobs.builtin import tick_key

    with app.app_context():
        queue.enqueue("cron.tick", {}, key=tick_key(utcnow()))
        db.session.commit()
        db.session.remove()
