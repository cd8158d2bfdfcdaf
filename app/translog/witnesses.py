"""Collecting witnesses' cosignatures: the trust calls each witness the charter names.

The trust calls its witnesses (tlog-witness add-checkpoint), rather than witnesses pulling:
that is the protocol C2SP specifies and existing witnesses speak; it needs no new endpoint on
the witnesses' side beyond the one they run; and the trust learns at once who refused and
why (a 409 or 422 from a witness is itself a sign of a fork, recorded publicly). A witness on
an owner's machine needs only to be reachable by the trust. Run from cron (``flask trust
cosign``) after appends; the seal-due job calls it too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from app.audit import service as audit
from app.core.db_types import utcnow
from app.core.extensions import db
from app.translog import notes
from app.translog import service as translog
from app.translog.models import Cosignature, WitnessContact
from ballots.note import NoteError, VerifierKey, parse_note
from ballots.witness import WitnessUnavailable, request_cosignature


def _last_size(vkey: str) -> int:
    """The size this witness last cosigned for us (its own state; a 409 corrects us)."""
    contact = db.session.get(WitnessContact, vkey)
    cosigned = db.session.scalar(select(func.max(Cosignature.size)).where(Cosignature.vkey == vkey))
    sizes = [s for s in (cosigned, contact.size if contact and contact.ok else None) if s]
    return max(sizes) if sizes else 0


def collect(timeout: float = 10.0) -> list[dict[str, Any]]:
    """Ask every witness to cosign the current checkpoint; store what comes back (flushed: the
    command that asked commits)."""
    row = notes.current()
    note = parse_note(notes.ensure_note(row).encode())
    tree = translog.tree(row.size)
    outcomes = []
    for entry in notes.witness_rules().entries:
        key = VerifierKey.parse(entry.vkey)
        now = utcnow()
        have = db.session.scalar(
            select(Cosignature.id).where(
                Cosignature.size == row.size, Cosignature.vkey == entry.vkey
            )
        )
        if have is not None:
            outcomes.append({"witness": entry.holder, "ok": True, "size": row.size})
            continue
        try:
            sig, size = request_cosignature(
                entry.url,
                note,
                min(_last_size(entry.vkey), row.size),
                lambda old: tree.consistency_proof(old, row.size),
                key,
                timeout,
            )
        except (WitnessUnavailable, NoteError) as exc:
            _contact(entry.vkey, now, row.size, False, str(exc))
            audit.record("log.witness_refused", subject=entry.vkey.split("+")[0], error=str(exc))
            outcomes.append({"witness": entry.holder, "ok": False, "error": str(exc)})
            continue
        stamp = sig.timestamp or 0
        db.session.add(
            Cosignature(
                size=row.size,
                vkey=entry.vkey,
                line=sig.line(),
                signed_at=datetime.fromtimestamp(stamp, UTC),
                received_at=now,
            )
        )
        _contact(entry.vkey, now, size, True, None)
        outcomes.append({"witness": entry.holder, "ok": True, "size": size})
    db.session.flush()
    return outcomes


def _contact(vkey: str, now: datetime, size: int, ok: bool, error: str | None) -> None:
    contact = db.session.get(WitnessContact, vkey)
    if contact is None:
        contact = WitnessContact(vkey=vkey, attempted_at=now, size=size, ok=ok, error=error)
        db.session.add(contact)
    else:
        contact.attempted_at, contact.ok, contact.error = now, ok, error
        if ok:
            contact.size = size
    db.session.flush()


def contacts() -> dict[str, WitnessContact]:
    return {c.vkey: c for c in db.session.scalars(select(WitnessContact))}
