"""The audit trail in words: who acted (by name, not by row id) and each detail under a label,
amounts in yuan, members by name, motions and budgets as links. Unknown keys stay as stored,
so nothing recorded is ever hidden from the administrator."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import url_for
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.extensions import db

LABELS = {
    "amount_fen": _l("Amount"),
    "budget": _l("Budget"),
    "by": _l("Decided by"),
    "choice": _l("Choice"),
    "elected": _l("Elected"),
    "elected_by": _l("Elected by"),
    "explanation": _l("Outcome"),
    "kind": _l("Kind"),
    "log_index": _l("Log record"),
    "member": _l("Member"),
    "motion": _l("Council motion"),
    "reason": _l("Reason"),
    "reference": _l("Reference"),
    "role": _l("Role"),
    "sha256": _l("SHA-256"),
    "source": _l("Source"),
    "tied": _l("Tied"),
    "txn": _l("Transaction"),
    "unfilled": _l("Seats unfilled"),
}
MEMBER_KEYS = ("member", "elected", "tied")


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{format_decimal(whole)}.{cents:02d}"


def names_for(events: Iterable[tuple[AuditEvent, dict[str, Any]]]) -> dict[int, str]:
    ids: set[int] = set()
    for event, details in events:
        if event.actor_id:
            ids.add(event.actor_id)
        for key in MEMBER_KEYS:
            value = details.get(key)
            ids.update(v for v in (value if isinstance(value, list) else [value])
                       if isinstance(v, int))
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {int(uid): str(name) for uid, name in rows}


def _value(key: str, value: Any, names: dict[int, str]) -> Markup | str:
    if key == "amount_fen" and isinstance(value, int):
        return _yuan(value)
    if key in MEMBER_KEYS:
        people = value if isinstance(value, list) else [value]
        return ", ".join(names.get(p, f"#{p}") if isinstance(p, int) else str(p) for p in people)
    if key == "motion" and isinstance(value, int):
        return Markup('<a href="{}">#{}</a>').format(
            url_for("council.motion", motion_id=value), value)
    if key == "budget" and isinstance(value, str):
        return Markup('<a href="{}">{}</a>').format(
            url_for("treasury.budget", budget_id=value), value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def detail_lines(details: dict[str, Any], names: dict[int, str]) -> list[tuple[str, Any]]:
    """(label, value) for every detail that says something; empty ones are left out."""
    out: list[tuple[str, Any]] = []
    for key, value in details.items():
        if value in (None, "", [], {}):
            continue
        out.append((str(LABELS.get(key, key)), escape(_value(key, value, names))))
    return out
