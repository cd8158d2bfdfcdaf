"""Power the log does not back (a seat or a role made in the database), refused where it is
read, and each refusal kept in the audit trail.

Checks run in the middle of other work (a page, an approval), so during a request the entries
are kept aside and written after the response is built, in their own transaction: a refused
act's own work is never committed with them. Each (row, problem, actor) is recorded once per
process, so a public page read by many visitors does not flood the trail.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, Response, g, has_request_context

from app.audit import service as audit
from app.core.extensions import db

ACTION = "power.unbacked"

log = logging.getLogger(__name__)
_reported: set[tuple[str, str, int | None]] = set()
_lock = threading.Lock()


def refuse(subject: str, problem: str, *, actor_id: int | None = None) -> None:
    """Note that `subject` (``seat:12``, ``user:50``) was not honoured, and why."""
    key = (subject, problem, actor_id)
    with _lock:
        if key in _reported:
            return
        _reported.add(key)
    log.warning("not honouring %s: %s", subject, problem)
    if has_request_context():
        g.setdefault("unbacked_powers", []).append(key)
    else:
        audit.record(ACTION, actor_id=actor_id, subject=subject, outcome="refused",
                     problem=problem)


def _write_pending(response: Response) -> Response:
    pending = g.pop("unbacked_powers", None)
    if pending:
        # Whatever the view left uncommitted would be discarded at teardown anyway.
        db.session.rollback()
        try:
            for subject, problem, actor_id in pending:
                audit.record(ACTION, actor_id=actor_id, subject=subject, outcome="refused",
                             problem=problem)
            db.session.commit()
        except Exception:  # noqa: BLE001 - the response stands; the warning above was logged
            db.session.rollback()
            log.exception("could not record %d refusals in the audit trail", len(pending))
            with _lock:
                _reported.difference_update(pending)  # tried again on the next request
    return response


def register(app: Flask) -> None:
    app.after_request(_write_pending)


def forget() -> None:
    """Tests start each case with nothing reported."""
    with _lock:
        _reported.clear()
