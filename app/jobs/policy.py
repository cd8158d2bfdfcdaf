"""How often and how soon a failed job is tried again."""

from __future__ import annotations

from flask import Flask

RETRIES = 5  # huey's retries after the first attempt
RETRY_DELAY = 5  # seconds before the first retry; each next waits RETRY_BACKOFF times longer
RETRY_BACKOFF = 3.0


def first_retry_delay(app: Flask) -> float:
    return float(app.config.get("TRUST_JOB_RETRY_DELAY", RETRY_DELAY))


def retry_delay(app: Flask, attempt: int) -> float:
    """Seconds before retry number `attempt` (1-based), as huey schedules it."""
    return first_retry_delay(app) * RETRY_BACKOFF ** max(0, attempt - 1)


def early_slack(app: Flask) -> float:
    """How early a worker may start a due attempt: clocks of several hosts differ a little, and
    a worker whose clock runs behind must not leave a job it was told about. Kept well under
    the first retry delay, so a duplicate message never passes for the next retry."""
    return min(1.0, first_retry_delay(app) / 4)
