"""Turn what the trust records into notification jobs, without the domains knowing of them.

A flush that adds a proposal transition, a co-signature, a motion, a disbursement or a
community application, or moves a secret vote's key ceremony, is noted; just before that
transaction commits, one `notify.event` job per noted event joins it. The job therefore exists
exactly when the event does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

_NOTED = "trust_notify_events"


def _describe(obj: Any) -> dict[str, Any] | None:
    from app.communities.models import Community
    from app.council.models import Motion
    from app.proposals.models import Cosignature, ProposalEvent
    from app.treasury.models import Disbursement

    if isinstance(obj, ProposalEvent) and obj.action in ("open", "seal", "accept", "reject"):
        return {"type": "proposal", "proposal": obj.proposal_id, "action": obj.action,
                "reason": obj.reason or ""}
    if isinstance(obj, Cosignature):
        return {"type": "cosign", "proposal": obj.proposal_id, "owner": obj.owner_id}
    if isinstance(obj, Motion):
        return {"type": "motion", "motion": obj.id}
    if isinstance(obj, Disbursement):
        return {"type": "disbursement", "disbursement": obj.id}
    if isinstance(obj, Community):
        return {"type": "community", "community": obj.id}
    return None


# A secret vote's ceremony steps that tell someone: its start and each step that becomes the
# trustees' turn (every key in: deal; every share dealt: receive), its close (the trustees, for
# their decryption shares), sealed-pending (the council, the trustees and the voters).
_CEREMONY_STATES = ("dealing", "closed", "pending")


def _ceremony(obj: Any, new: bool) -> dict[str, Any] | None:
    from app.secret.models import SecretElection, SecretTrustee

    if isinstance(obj, SecretTrustee) and not new:
        dealt = inspect(obj).attrs.dealt_at.history.added
        if dealt and dealt[0] is not None:
            # One event per trustee that deals: the last one finds every share dealt.
            return {"type": "ceremony", "proposal": obj.proposal_id, "state": "dealt",
                    "trustee": obj.index}
        return None
    if not isinstance(obj, SecretElection):
        return None
    if new:
        return {"type": "ceremony", "proposal": obj.proposal_id, "state": "keygen"}
    added = inspect(obj).attrs.state.history.added
    if added and added[0] in _CEREMONY_STATES:
        return {"type": "ceremony", "proposal": obj.proposal_id, "state": added[0]}
    return None


@event.listens_for(Session, "after_flush")
def _note(session: Session, _context: Any) -> None:
    # After a flush the session still lists what it held before (new, dirty, and each
    # attribute's history), so a state change is seen here exactly once.
    for obj in session.new:
        found = _describe(obj) or _ceremony(obj, True)
        if found is not None:
            session.info.setdefault(_NOTED, []).append(found)
    for obj in session.dirty:
        found = _ceremony(obj, False)
        if found is not None:
            session.info.setdefault(_NOTED, []).append(found)


@event.listens_for(Session, "before_commit")
def _queue(session: Session) -> None:
    from flask import has_app_context

    from app.jobs import queue

    if not has_app_context():
        return
    session.flush()
    noted = session.info.pop(_NOTED, None)
    if not noted:
        return
    for found in noted:
        key = "notify:" + ":".join(f"{k}={found[k]}" for k in sorted(found) if k != "reason")
        queue.enqueue("notify.event", found, key=key, session=session)
    # The jobs' own rows went in after the flush above; flush them into this transaction too.
    session.flush()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_NOTED, None)


def install() -> None:
    """Importing this module installs the listeners; the factory calls this to say so."""
