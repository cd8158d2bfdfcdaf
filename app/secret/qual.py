"""The key ceremony's complaint round, settled: QUAL, the election key over it, or failure.

The round is over when every trustee has dealt and confirmed (a complainer confirms after its
complaints) and every complaint is answered, or at the deadlines: complaints close at the
charter's key ceremony time (``key_due``); a dealer who has dealt nothing by then has a
complaint filed for it by every other trustee; answers close half the key ceremony's time
later, so that a complaint filed at the last minute can still be answered. Unanswered
complaints then stand. With k or more dealers in QUAL the key is ready; with fewer the
ceremony fails, and the vote cannot take ballots: it stays open without them and is never
sealed; the council is told. A ceremony still in keygen at key_due (a trustee never posted
a key share, so no dealing began) fails the same way, at that deadline, in the open.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.audit import service as audit
from app.core.extensions import db
from app.proposals.models import Proposal
from app.secret.models import SecretComplaint, SecretElection, SecretTrustee
from app.translog import service as translog
from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.records import format_time
from ballots.secret.complaints import Complaint, complaints_json, qualified
from ballots.secret.group import point_from_hex, scalar_from_hex
from ballots.secret.trustees import TrusteeError, election_document, verify_election


def answer_due(election: SecretElection) -> datetime:
    """Complaints close at key_due; answers half the key ceremony's time after."""
    due: datetime = election.key_due + (election.key_due - election.created_at) / 2
    return due


def share_due(election: SecretElection, closes_at: datetime | None) -> datetime | None:
    """Decryption shares are due the charter's share_hours after the vote closes."""
    return closes_at + timedelta(hours=election.share_hours) if closes_at else None


def complaints_of(proposal_id: str) -> list[SecretComplaint]:
    return list(db.session.scalars(
        select(SecretComplaint).where(SecretComplaint.proposal_id == proposal_id)
        .order_by(SecretComplaint.dealer, SecretComplaint.accuser)))


def as_complaints(rows: list[SecretComplaint]) -> list[Complaint]:
    return [Complaint(c.accuser, c.dealer,
                      scalar_from_hex(c.answer) if c.answer is not None else None) for c in rows]


def _trustees(proposal_id: str) -> list[SecretTrustee]:
    return list(db.session.scalars(
        select(SecretTrustee).where(SecretTrustee.proposal_id == proposal_id)
        .order_by(SecretTrustee.index)))


def settle_if_complete(election: SecretElection, now: datetime) -> bool:
    """Settle as soon as nothing more can come: all dealt, all confirmed, all answered."""
    if election.state != "dealing":
        return False
    rows = _trustees(election.proposal_id)
    complaints = complaints_of(election.proposal_id)
    if not all(t.dealt_at and t.confirmed_at for t in rows):
        return False
    if any(c.answer is None for c in complaints):
        return False
    settle(election, now)
    return True


def settle(election: SecretElection, now: datetime) -> str:
    """QUAL from the complaints and answers; the key over it (ready) or the failure."""
    pid = election.proposal_id
    publics = [json.loads(t.public_json or "{}") for t in _trustees(pid)]
    filed = as_complaints(complaints_of(pid))
    try:
        doc = election_document(pid, election.threshold, publics, filed)
        verify_election(doc, pid)
    except TrusteeError:
        # Fewer than k qualified, or (vanishingly unlikely) QUAL's commitments cancel out:
        # either way there is no usable key.
        return _fail(election, publics, filed, now)
    election.election_json = canonical_bytes(doc).decode()
    election.state = "ready"
    summary: dict[str, Any] = {"sha256": canonical_sha256(doc), "key": doc["key"],
                               "threshold": doc["threshold"], "trustees": len(doc["trustees"])}
    if filed:
        # Only with complaints, so a ceremony without any logs exactly what it did before.
        summary["qualified"] = doc["qualified"]
        summary["complaints"] = len(filed)
        audit.record("secret.qualified", actor_id=None, subject=pid,
                     qualified=doc["qualified"], complaints=len(filed))
    translog.append("secret.election", pid, {
        "type": "secret.election", "proposal": pid, "election": summary,
        "ready_at": format_time(now)}, at=now)
    return f"{pid}: key ready, qualified {doc.get('qualified', 'all')}"


def _fail(election: SecretElection, publics: list[dict[str, Any]], filed: list[Complaint],
          now: datetime) -> str:
    pid = election.proposal_id
    commitments = {int(p["index"]): [point_from_hex(c) for c in p["commitments"]]
                   for p in publics}
    qual = qualified(len(publics), filed, commitments)
    _record_failure(election, qual, len(publics), filed, now)
    _tell_council(pid, {"qualified": len(qual), "threshold": election.threshold})
    return (f"{pid}: key ceremony FAILED, {len(qual)} of {len(publics)} dealers qualified, "
            f"{election.threshold} needed; the vote cannot take ballots")


def fail_unfinished(election: SecretElection, now: datetime) -> str:
    """No election key at a deadline: key_due passed in keygen (dealing waits for every
    trustee's key share, so none began), or voting closed before the round was settled. The
    same failure as a failed round, with an empty QUAL (no dealer qualified) and the complaint
    rows as they stand; the trustees page names who never posted."""
    pid = election.proposal_id
    rows = _trustees(pid)
    posted = sum(1 for t in rows if t.public_json is not None)
    unkeyed = election.state == "keygen"
    _record_failure(election, [], len(rows), as_complaints(complaints_of(pid)), now,
                    keys_posted=posted)
    if unkeyed:
        _tell_council(pid, {"keys": posted, "trustees": len(rows)})
        return (f"{pid}: key ceremony FAILED at its deadline, {posted} of {len(rows)} "
                f"trustees posted a key share (every one is needed); the vote cannot take "
                f"ballots")
    _tell_council(pid, {"qualified": 0, "threshold": election.threshold})
    return f"{pid}: key ceremony FAILED, voting closed before it was settled"


def _record_failure(election: SecretElection, qual: list[int], trustees: int,
                    filed: list[Complaint], now: datetime, **audited: Any) -> None:
    """The failed state, its public secret.failed leaf and the audit event."""
    pid = election.proposal_id
    election.state = "failed"
    record = {"type": "secret.failed", "proposal": pid, "qualified": qual,
              "threshold": election.threshold, "trustees": trustees,
              "complaints": complaints_json(filed), "at": format_time(now)}
    translog.append("secret.failed", pid, record, at=now)
    audit.record("secret.ceremony_failed", actor_id=None, subject=pid, qualified=qual,
                 threshold=election.threshold, **audited)


def _tell_council(proposal_id: str, facts: dict[str, int]) -> None:
    from app.council.seats import seated_member_ids
    from app.notifications import service as notifications

    proposal = db.session.get(Proposal, proposal_id)
    trustees = {t.user_id for t in _trustees(proposal_id)}
    notifications.notify("ceremony_failed", f"ceremony:{proposal_id}",
                         trustees | seated_member_ids(),
                         {"proposal": proposal_id, "title": proposal.title if proposal else "",
                          **facts})


def tell_dealer(proposal_id: str, dealer: SecretTrustee, accuser: int) -> None:
    from app.notifications import service as notifications

    proposal = db.session.get(Proposal, proposal_id)
    notifications.notify("ceremony_complaint", f"complaint:{proposal_id}:{dealer.index}:{accuser}",
                         [dealer.user_id],
                         {"proposal": proposal_id, "title": proposal.title if proposal else "",
                          "accuser": accuser})


def due(now: datetime) -> list[str]:
    """The votes whose key ceremony has reached a deadline (`flask trust seal-due`)."""
    return list(db.session.scalars(
        select(SecretElection.proposal_id).where(
            SecretElection.state.in_(("keygen", "dealing")), SecretElection.key_due <= now)))


def settle_due(proposal_id: str, now: datetime) -> list[str]:
    """At key_due, a ceremony still in keygen fails; in dealing, a dealer who dealt nothing
    has a complaint from every other trustee, and once nothing is unanswered, or at the
    answers' deadline, the round is settled."""
    election = db.session.get(SecretElection, proposal_id, with_for_update=True)
    if election is None or now < election.key_due:
        return []
    if election.state == "keygen":
        return [fail_unfinished(election, now)]
    if election.state != "dealing":
        return []
    rows = _trustees(proposal_id)
    filed = {(c.dealer, c.accuser) for c in complaints_of(proposal_id)}
    for dealer in (t for t in rows if t.dealt_at is None):
        for accuser in (t.index for t in rows if t.index != dealer.index):
            if (dealer.index, accuser) not in filed:
                db.session.add(SecretComplaint(
                    proposal_id=proposal_id, dealer=dealer.index, accuser=accuser,
                    filed_by="deadline", filed_at=now))
                log_complaint(proposal_id, dealer.index, accuser, "deadline", None, now)
    db.session.flush()
    unanswered = any(c.answer is None for c in complaints_of(proposal_id))
    if now >= answer_due(election) or not unanswered:
        return [settle(election, now)]
    return []


def log_complaint(pid: str, dealer: int, accuser: int, by: str, actor_id: int | None,
                  now: datetime) -> None:
    translog.append("secret.complaint", pid, {
        "type": "secret.complaint", "proposal": pid, "dealer": dealer, "accuser": accuser,
        "filed_by": by, "at": format_time(now)}, at=now)
    audit.record("secret.complaint", actor_id=actor_id, subject=pid, dealer=dealer,
                 accuser=accuser, filed_by=by)


def log_answer(pid: str, row: SecretComplaint, user_id: int, now: datetime) -> None:
    translog.append("secret.answer", pid, {
        "type": "secret.answer", "proposal": pid, "dealer": row.dealer, "accuser": row.accuser,
        "share": row.answer, "valid": row.valid, "at": format_time(now)}, at=now)
    audit.record("secret.answer", actor_id=user_id, subject=pid, dealer=row.dealer,
                 accuser=row.accuser, valid=row.valid)


def status_rows(proposal_id: str) -> list[dict[str, Any]]:
    return [{"accuser": c.accuser, "dealer": c.dealer, "filed_by": c.filed_by,
             "filed_at": format_time(c.filed_at), "share": c.answer, "valid": c.valid,
             "answered_at": format_time(c.answered_at) if c.answered_at else None}
            for c in complaints_of(proposal_id)]
