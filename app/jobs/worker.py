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


def _housekeeping(app: Flask, stop: threading.Event) -> None:
    every = float(app.config.get("TRUST_JOB_RECOVER_SECONDS", 15))
    cron = bool(app.config.get("TRUST_JOB_CRON", True))
    while True:
        try:
            recover_and_push(app)
            if cron:
                queue_cron_tick(app)
        except Exception:  # noqa: BLE001 - the next pass tries again
            log.warning("recovery pass failed", exc_info=True)
        if stop.wait(every):
            return


def run_worker(app: Flask, threads: int = 2) -> None:
    """Run huey's consumer for this app in the foreground (`flask trust worker`), with a
    recovery pass and the cron tick every TRUST_JOB_RECOVER_SECONDS."""
    load_handlers()
    huey = huey_of(app)
    stop = threading.Event()
    threading.Thread(target=_housekeeping, args=(app, stop), daemon=True, name="recover").start()
    consumer = huey.create_consumer(workers=threads, worker_type="thread", periodic=False,
                                    max_delay=1.0)
    try:
        consumer.run()
    finally:
        stop.set()


def start_in_process(app: Flask, threads: int = 2) -> threading.Event:
    """Workers as threads of this process: the embedded default with no separate worker
    (`flask demo`). Returns the event that stops them.

    huey's `Consumer.run` installs signal handlers, which only the main thread may do and which
    would take Ctrl+C from the web server; its scheduler and worker threads are started here
    without them.
    """
    load_handlers()
    huey = huey_of(app)
    stop = threading.Event()
    consumer = huey.create_consumer(workers=threads, worker_type="thread", periodic=False,
                                    max_delay=1.0)
    consumer.scheduler.start()
    for _, worker in consumer.worker_threads:
        worker.start()
    threading.Thread(target=_housekeeping, args=(app, stop), daemon=True, name="recover").start()
    return stop


def queue_cron_tick(app: Flask) -> None:
    from app.jobs.builtin import tick_key

    with app.app_context():
        queue.enqueue("cron.tick", {}, key=tick_key(utcnow()))
        db.session.commit()
        db.session.remove()
