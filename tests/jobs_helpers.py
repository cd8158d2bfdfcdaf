"""A real `flask trust worker` process for tests, on the test session's database and job store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def start_worker(app: Any, threads: int = 2, **extra: Any) -> subprocess.Popen[bytes]:
    settings = {
        "TRUST_JOB_QUEUE": app.config["TRUST_JOB_QUEUE"],
        "TRUST_JOB_LEASE_SECONDS": 3,
        "TRUST_JOB_RECOVER_SECONDS": 0.5,
        "TRUST_JOB_RETRY_DELAY": 1,
        "TRUST_JOB_CRON": False,
        "MAIL_URL": app.config.get("MAIL_URL"),
        "TRUST_BASE_URL": app.config.get("TRUST_BASE_URL", ""),
    }
    settings.update(extra)
    env = dict(os.environ)
    env.update(
        {
            "WORKER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "WORKER_INSTANCE": app.instance_path,
            "WORKER_EXTRA": json.dumps(settings),
            "PYTHONPATH": str(ROOT),
        }
    )
    log = open(Path(app.instance_path) / f"worker-{time.time_ns()}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "tests.worker_app", "trust", "worker",
         "--threads", str(threads)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


@contextmanager
def running_worker(app: Any, threads: int = 2, **extra: Any) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_worker(app, threads, **extra)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def wait_for(check: Callable[[], Any], timeout: float = 60.0, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {check}")
        time.sleep(every)
