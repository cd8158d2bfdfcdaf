"""The administrator role grants power only if an `account.role` leaf granted it.

The same comparison serves `flask trust audit` (every account at once) and the app (the one
account acting, one indexed lookup per request), so a role set to administrator in the
database opens nothing even before anyone audits.
"""

from __future__ import annotations

from typing import Any

from app.audit import unbacked
from app.translog import kinds


def role_problem(role: str, granted: bool | None, ever_seated: bool) -> str | None:
    """Why an account's role is not what the log says, or None. `granted`: whether the last
    `account.role` leaf about it granted (True) or relieved (False) the role, None if none."""
    if role == "admin" and not granted:
        return "is an administrator but no account.role leaf granted it"
    if role == "council" and not ever_seated:
        return "has the council role but has never held a council seat"
    return None


def last_grant(records: list[tuple[str, dict[str, Any]]]) -> bool | None:
    granted = None
    for _type, record in records:
        granted = bool(record["granted"])
    return granted


def admin_backed(user: Any) -> bool:
    """Whether this administrator's role reproduces its log leaf; refusals are recorded."""
    subject = f"user:{user.id}"
    granted = last_grant(kinds.intact_records([subject], (kinds.ACCOUNT_ROLE,))[subject])
    problem = role_problem("admin", granted, ever_seated=False)
    if problem is not None:
        unbacked.refuse(subject, problem, actor_id=user.id)
    return problem is None


def backed_admin_ids() -> list[int]:
    """Accounts whose last `account.role` leaf granted the administrator role."""
    granted: dict[int, bool] = {}
    for _i, _s, record in kinds.records(kinds.ACCOUNT_ROLE):
        granted[int(record["user"])] = bool(record["granted"])
    return sorted(user for user, now in granted.items() if now)
