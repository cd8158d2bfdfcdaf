"""Jobs of the queue itself: a ping that administrators use to see workers alive, and cron."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from app.jobs.registry import handler


@handler("jobs.ping")
def ping(payload: dict[str, Any]) -> str:
    # A bounded pause lets an administrator (and the crash test) see a job held while running.
    time.sleep(min(float(payload.get("seconds", 0)), 120.0))
    if payload.get("fail"):
        # Lets an administrator watch a failing job go through its retries.
        raise RuntimeError("ping asked to fail")
    return "pong"


@handler("cron.tick")
def cron_tick(payload: dict[str, Any]) -> str:
    """The cron entry point (app.decisions.cron.run: open due votes, close and seal due ones
    with their consequences, council and community housekeeping), then notification reminders
    and digests. `flask trust seal-due` runs the same steps in the foreground."""
    from app.decisions import cron
    from app.notifications.jobs import scan

    lines = cron.run()
    lines += scan()
    return "\n".join(lines)


def tick_key(now: datetime) -> str:
    # One tick per minute however many workers and hosts ask for it.
    return "cron.tick:" + now.strftime("%Y-%m-%dT%H:%M")
