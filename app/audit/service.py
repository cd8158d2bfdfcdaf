"""The audit trail: every privileged act, and every refused attempt at one."""

from __future__ import annotations

import json
from typing import Any

from flask import g, has_request_context, request

from app.audit.models import AuditEvent
from app.core.extensions import db


def record(
    action: str,
    *,
    actor_id: int | None = None,
    subject: str = "",
    outcome: str = "ok",
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits with its own work)."""
    if has_request_context() and g.get("second_factor_at") is not None:
        details.setdefault("second_factor_at", g.second_factor_at.isoformat())
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        # The subject may be what a refused request named; PostgreSQL text cannot hold NUL.
        subject=subject.replace("\x00", "\\x00")[:128],
        outcome=outcome,
        details=json.dumps(details, sort_keys=True, default=str, ensure_ascii=False),
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def record_refusal(action: str, *, actor_id: int | None, subject: str = "", **details: Any) -> None:
    """Record a refused attempt in its own transaction; the refused work itself is rolled back."""
    db.session.rollback()
    record(action, actor_id=actor_id, subject=subject, outcome="refused", **details)
    db.session.commit()
