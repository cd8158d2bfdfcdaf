"""`flask trust audit`, corrections: every sealed result that supersedes another was corrected
under a passed council motion of kind `correct_result` about its vote, each motion used once,
with its reason in the log."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from app.core.extensions import db
from app.council.models import Motion
from app.integrity.findings import Finding
from app.results.models import SealedResult
from app.results.seal import CORRECT_KIND
from app.translog import kinds
from ballots.keys import KeyRing


def audit_corrections(_keyring: KeyRing) -> Iterator[Finding]:
    logged: dict[str, str] = {}
    used: dict[int, str] = {}
    for _index, proposal_id, record in kinds.records("result.corrected"):
        where = f"correction of {proposal_id} ({str(record.get('digest', ''))[:12]})"
        logged[str(record.get("digest"))] = proposal_id
        if not str(record.get("reason", "")).strip():
            yield Finding(where, "gives no reason")
        motion_id = record.get("motion")
        motion = db.session.get(Motion, motion_id) if type(motion_id) is int else None
        if motion is None:
            yield Finding(where, "names no council motion: nobody decided it")
            continue
        if motion.kind != CORRECT_KIND or motion.subject != f"proposal:{proposal_id}" or (
            motion.state != "passed"
        ):
            yield Finding(where, f"motion {motion.id} is not a passed {CORRECT_KIND} motion "
                                 f"about proposal:{proposal_id}")
        if motion.id in used:
            yield Finding(where, f"motion {motion.id} was already used by {used[motion.id]}")
        used[motion.id] = where
    rows = db.session.execute(
        select(SealedResult.proposal_id, SealedResult.digest)
        .where(SealedResult.supersedes.is_not(None)).order_by(SealedResult.id))
    for proposal_id, digest in rows:
        if digest not in logged:
            yield Finding(f"result {proposal_id} ({digest[:12]})",
                          "supersedes an earlier result with no result.corrected leaf")
