"""Disbursements: a seated member's request against a budget, its evidence, the council's
approvals, and the ledger entry once enough of them are in (checked again at that moment)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.translog import kinds
from app.translog import service as translog
from app.treasury.ledger import (
    MAX_EVIDENCE_BYTES,
    TreasuryError,
    Upload,
    budget_state,
    ledger,
    lock,
    overdue_ids,
    write,
)
from app.treasury.models import (
    Budget,
    Disbursement,
    DisbursementApproval,
    Evidence,
)
from app.treasury.supervision import active_suspension
from ballots.records import format_time
from governance.charter import CharterRules, Violation
from governance.refusals import N_
from governance.treasury import (
    DisbursementRequest,
    balances,
    check_approval,
    check_disbursement,
    check_ratification,
    disbursement,
    is_fully_approved,
)


def request_of(d: Disbursement) -> DisbursementRequest:
    return DisbursementRequest(str(d.id), d.budget_id, d.category, d.amount_fen, d.beneficiary,
                               d.purpose, d.submitter_id)


def _check(
    request: DisbursementRequest, rules: CharterRules, now: datetime | None = None
) -> list[Violation]:
    entries = ledger()
    state = budget_state(db.session.get(Budget, request.budget_id), entries)
    # An overdue ratification freezes what is left of its budget (Art. 23.4 in the demo).
    frozen = check_ratification(overdue_ids(now), rules, budget_id=request.budget_id)
    return frozen + check_disbursement(request, state, rules,
                                       cash_fen=balances(entries).get("assets:cash", 0))


def draft(
    member: User, budget_id: str, amount_fen: int, category: str, beneficiary: str,
    purpose: str, *, beneficiary_private: str = "", uploads: Sequence[Upload] = (),
    now: datetime | None = None,
) -> Disbursement:
    """A seated member asks for money from a budget; checked now and again when approved."""
    rules = charter.current_rules()
    lock()
    request = DisbursementRequest("new", budget_id, category, amount_fen, beneficiary.strip(),
                                  purpose.strip(), member.id)
    problems = _check(request, rules, now)
    if not council.is_seated(member, now):
        problems.append(rules.violation("spending.approvals",
                                        N_("only a seated council member submits a disbursement")))
    if problems:
        raise TreasuryError(
            gettext("The disbursement was refused; nothing was recorded."), problems)
    row = Disbursement(budget_id=budget_id, amount_fen=amount_fen, category=category,
                       beneficiary=beneficiary.strip(), beneficiary_private=beneficiary_private,
                       purpose=purpose.strip(), submitter_id=member.id,
                       created_at=now or utcnow())
    db.session.add(row)
    db.session.flush()
    for upload in uploads:
        add_evidence(member, row, upload)
    audit.record("treasury.disbursement_drafted", actor_id=member.id,
                 subject=f"disbursement:{row.id}", budget=budget_id, amount_fen=amount_fen)
    return row


def evidence_dir() -> Path:
    return Path(current_app.instance_path) / "evidence"


def add_evidence(member: User, d: Disbursement, upload: Upload) -> Evidence:
    if d.state != "pending":
        raise TreasuryError(gettext("Evidence is attached before the disbursement is recorded."))
    if not upload.data or len(upload.data) > MAX_EVIDENCE_BYTES:
        raise TreasuryError(gettext("An evidence file is between 1 byte and 10 MB."))
    digest = hashlib.sha256(upload.data).hexdigest()
    folder = evidence_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / digest
    if not target.exists():  # content-addressed: the same bytes are stored once
        target.write_bytes(upload.data)
        target.chmod(0o600)
    row = Evidence(disbursement_id=d.id, sha256=digest, filename=upload.filename[:255],
                   content_type=upload.content_type[:100] or "application/octet-stream",
                   size=len(upload.data), uploaded_by=member.id)
    db.session.add(row)
    db.session.flush()
    audit.record("treasury.evidence", actor_id=member.id, subject=f"disbursement:{d.id}",
                 sha256=digest)
    return row


def evidence_of(d: Disbursement) -> list[Evidence]:
    return list(db.session.scalars(
        select(Evidence).where(Evidence.disbursement_id == d.id).order_by(Evidence.id)))


def approvals_of(d: Disbursement) -> list[DisbursementApproval]:
    return list(db.session.scalars(
        select(DisbursementApproval).where(DisbursementApproval.disbursement_id == d.id)
        .order_by(DisbursementApproval.at, DisbursementApproval.id)))


def seat_roles(now: datetime | None = None) -> dict[int, set[str]]:
    """Each seated member and the council roles they hold now."""
    roles: dict[int, set[str]] = {}
    for seat in council.active_seats(now):
        roles.setdefault(seat.member_id, set()).add(seat.role)
    return roles


def interested_in(d: Disbursement, roles: dict[int, set[str]]) -> set[int]:
    """Seated members with an interest in the disbursement: its beneficiary (by name), or an
    interest declared or detected in it, its budget or its beneficiary (Art. 22.3 in the demo)."""
    tags = {f"disbursement:{d.id}", f"budget:{d.budget_id}", council.beneficiary_tag(d.beneficiary)}
    wanted = " ".join(d.beneficiary.lower().split())
    out = set()
    for member_id in roles:
        user = db.session.get(User, member_id)
        named = user is not None and " ".join(user.display_name.lower().split()) == wanted
        if named or tags & council.interests_of(member_id):
            out.add(member_id)
    return out


def why_not_approve(member_id: int, d: Disbursement) -> str | None:
    """Why `member_id` may not approve `d` now, in words, or None if they may: the page shows
    an Approve button only to whom it would not refuse."""
    if d.state != "pending":
        return gettext("It is already recorded.")
    if member_id == d.submitter_id:
        return gettext("You submitted this request: other seated members approve it.")
    if member_id in {a.member_id for a in approvals_of(d)}:
        return gettext("You have approved it.")
    if member_id not in council.seated_member_ids():
        return gettext("Only seated council members approve disbursements.")
    return None


def approval_problems(member_id: int, d: Disbursement, now: datetime | None = None,
                      rules: CharterRules | None = None) -> list[Violation]:
    """Every charter rule that refuses `member_id`'s approval of `d` now (none: they may)."""
    rules = rules or charter.current_rules()
    roles = seat_roles(now)
    approved = {a.member_id for a in approvals_of(d)}
    problems = check_approval(member_id, d.submitter_id, roles, interested_in(d, roles),
                              approved, rules)
    if active_suspension(d.id) is not None:
        problems.append(rules.violation(
            "spending.supervision",
            N_("a supervisor has suspended this disbursement until a council motion lifts it")))
    return problems


def approve(member: User, disbursement_id: int, *, now: datetime | None = None) -> bool:
    """Add a seated member's approval; with enough of them, record the disbursement.

    Returns whether it was recorded. The budget and cash are checked again at that moment."""
    rules = charter.current_rules()
    lock()
    d = db.session.get(Disbursement, disbursement_id)
    if d is None:
        raise TreasuryError(gettext("There is no disbursement %(id)s.", id=disbursement_id))
    if d.state != "pending":
        raise TreasuryError(gettext("Disbursement %(id)s is already recorded.", id=d.id))
    request = request_of(d)
    approved = {a.member_id for a in approvals_of(d)}
    roles = seat_roles(now)
    interested = interested_in(d, roles)
    problems = approval_problems(member.id, d, now, rules)
    if problems:
        raise TreasuryError(gettext("The approval was refused."), problems)
    approved_at = now or utcnow()
    db.session.add(DisbursementApproval(disbursement_id=d.id, member_id=member.id,
                                        at=approved_at))
    db.session.flush()
    translog.append(kinds.APPROVAL, f"disbursement:{d.id}", {
        "type": kinds.APPROVAL, "disbursement": d.id, "member_id": member.id,
        "at": format_time(approved_at),
    }, at=approved_at)
    audit.record("treasury.approved", actor_id=member.id, subject=f"disbursement:{d.id}")
    if not is_fully_approved(approved | {member.id}, rules, submitter_id=d.submitter_id,
                             roles=roles, interested=interested):
        return False
    problems = _check(request, rules, now)
    if problems:
        raise TreasuryError(
            gettext("The disbursement can no longer be made; nothing was recorded."), problems)
    _record(d, now or utcnow())
    return True


def approver_name(user_id: int) -> str:
    return _name(user_id)


def _name(user_id: int) -> str:
    user = db.session.get(User, user_id)
    return user.display_name if user else f"#{user_id}"


def public_record(d: Disbursement, txn_id: str, at: datetime) -> dict[str, Any]:
    """What the log publishes: no private beneficiary details, no file names, only hashes."""
    budget = db.session.get(Budget, d.budget_id)
    assert budget is not None
    return {
        "type": "disbursement",
        "id": d.id,
        "txn": txn_id,
        "amount_fen": d.amount_fen,
        "budget": d.budget_id,
        "category": d.category,
        "purpose": d.purpose,
        "beneficiary": d.beneficiary,
        "evidence_sha256": sorted({e.sha256 for e in evidence_of(d)}),
        "submitted_by": _name(d.submitter_id),
        "approvals": [_name(a.member_id) for a in approvals_of(d)],
        "proposal": budget.proposal_id,
        "motion": budget.motion_id,
        "recorded_at": format_time(at),
    }


def _record(d: Disbursement, at: datetime) -> None:
    row = write("disbursement", "dis",
                 lambda txn: disbursement(txn, d.budget_id, d.category, d.amount_fen,
                                          f"disbursement:{d.id}"),
                 at=at, description=d.purpose[:500])
    leaf = translog.append("disbursement.recorded", f"disbursement:{d.id}",
                           public_record(d, row.id, at), at=at)
    d.state = "recorded"
    d.recorded_at = at
    d.txn = row.id
    d.log_index = leaf.index
    audit.record("treasury.disbursement_recorded", subject=f"disbursement:{d.id}",
                 txn=row.id, log_index=leaf.index, amount_fen=d.amount_fen)
