"""Time-driven council work, run from cron after sealing: ended terms, due renewals, lapses,
and passed treasury motions not yet applied."""

from __future__ import annotations

from datetime import datetime

from app.communities import service as communities
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.treasury import service as treasury


def run(now: datetime | None = None) -> list[str]:
    now = now or utcnow()
    lines = council.expire_due(now)
    lines += communities.housekeeping(now)
    # Passed emergency and ratification motions take effect even if no one pressed a button.
    lines += treasury.sync_budgets()
    db.session.commit()
    return lines
