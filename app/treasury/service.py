"""The treasury: income, budgets from passed votes or emergency motions, council-approved
disbursements, reversals. Every rule is asked of `governance.treasury`; this module loads the
facts, writes the ledger, the log and the audit trail, and refuses with the article quoted.

Writes are serialised (a PostgreSQL advisory lock, SQLite's single writer) so two approvals at
once cannot both draw the last yuan of a budget: the remaining amount is read and spent in one
critical section.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select, text

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.council.models import Motion
from app.proposals.models import Proposal
from app.results import service as results
from app.translog import service as translog
from app.treasury.models import (
    Budget,
    Disbursement,
    DisbursementApproval,
    Evidence,
    LedgerRow,
    TreasuryTxn,
)
from ballots.records import format_time
from governance.charter import CharterRules, Violation
from governance.treasury import (
    BudgetState,
    DisbursementRequest,
    LedgerEntry,
    balances,
    budget_authorisation,
    check_approval,
    check_disbursement,
    check_emergency,
    check_ledger,
    disbursement,
    emergency_used_in_year,
    income,
    is_fully_approved,
    ratification_due,
    reversal_of,
)

TREASURY_LOCK_ID = 0x747265  # "tre": shared by every worker
EMERGENCY_KIND = "emergency_spending"
RATIFY_KIND = "ratify_emergency"
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


class TreasuryError(ValueError):
    """A refused request: every charter article it breaks, quoted."""

    def __init__(self, message: str, violations: Sequence[Violation] = ()) -> None:
        self.violations = list(violations)
        detail = " ".join(str(v) for v in self.violations)
        super().__init__(f"{message} {detail}".strip())


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def refuse(action: str, actor_id: int | None, subject: str, exc: TreasuryError) -> None:
    """Roll back everything the request did and keep only the audit of the refusal."""
    audit.record_refusal(
        action,
        actor_id=actor_id,
        subject=subject,
        reason=str(exc),
        articles=[v.article for v in exc.violations],
    )


def _lock() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": TREASURY_LOCK_ID})


# ---- the ledger ------------------------------------------------------------------------------


def ledger() -> list[LedgerEntry]:
    """Every posting, in the order the transactions were written."""
    rows = db.session.execute(
        select(LedgerRow.txn, LedgerRow.account, LedgerRow.amount_fen, LedgerRow.kind,
               LedgerRow.reference)
        .join(TreasuryTxn, TreasuryTxn.id == LedgerRow.txn)
        .order_by(TreasuryTxn.seq, LedgerRow.id)
    )
    return [LedgerEntry(t, a, int(amount), k, r) for t, a, amount, k, r in rows]


def txn_entries(txn_id: str) -> list[LedgerEntry]:
    return [e for e in ledger() if e.txn == txn_id]


def current_balances() -> dict[str, int]:
    return balances(ledger())


def _write(
    kind: str,
    prefix: str,
    build: Any,
    *,
    at: datetime | None = None,
    **meta: Any,
) -> TreasuryTxn:
    """Append one transaction; ``build(txn_id)`` returns its postings."""
    seq = (db.session.scalar(select(func.max(TreasuryTxn.seq))) or 0) + 1
    txn_id = f"{prefix}-{seq}"
    entries: Iterable[LedgerEntry] = build(txn_id)
    row = TreasuryTxn(id=txn_id, seq=seq, kind=kind, at=at or utcnow(), **meta)
    db.session.add(row)
    db.session.flush()
    for e in entries:
        db.session.add(
            LedgerRow(txn=e.txn, account=e.account, amount_fen=e.amount_fen, kind=e.kind,
                      reference=e.reference)
        )
    db.session.flush()
    return row


def record_income(
    actor: User,
    source: str,
    amount_fen: int,
    *,
    received_at: datetime | None = None,
    reference: str = "",
    description: str = "",
) -> TreasuryTxn:
    _lock()
    try:
        row = _write(
            "income", "inc",
            lambda txn: income(txn, amount_fen, source, reference[:80] or f"income:{source}"),
            at=received_at, source=source, reference=reference, description=description,
            actor_id=actor.id,
        )
    except ValueError as exc:
        raise TreasuryError(str(exc)) from None
    translog.append("income.recorded", f"txn:{row.id}", {
        "type": "income.recorded", "txn": row.id, "source": source, "amount_fen": amount_fen,
        "reference": reference, "description": description, "at": format_time(row.at),
    }, at=row.at)
    audit.record("treasury.income", actor_id=actor.id, subject=row.id, source=source,
                 amount_fen=amount_fen, reference=reference)
    return row


def reverse(actor: User, txn_id: str, reason: str) -> TreasuryTxn:
    """Correct a transaction by appending its exact negation; the original stays as it was."""
    _lock()
    if not reason.strip():
        raise TreasuryError(
            gettext("Say why the transaction is reversed: the reason is published."))
    original = db.session.get(TreasuryTxn, txn_id)
    if original is None:
        raise TreasuryError(gettext("There is no transaction %(id)s.", id=txn_id))
    if db.session.scalar(select(TreasuryTxn.id).where(TreasuryTxn.reverses == txn_id)):
        raise TreasuryError(gettext("Transaction %(id)s is already reversed.", id=txn_id))
    entries = ledger()
    try:
        undo = reversal_of([e for e in entries if e.txn == txn_id], "pending")
    except ValueError as exc:
        raise TreasuryError(str(exc)) from None
    problems = check_ledger([*entries, *undo])
    if problems:
        raise TreasuryError(gettext("The reversal would leave the ledger unsound: %(problems)s",
                                     problems="; ".join(problems)))
    row = _write(
        "reversal", "rev",
        lambda txn: reversal_of([e for e in entries if e.txn == txn_id], txn),
        description=reason.strip(), reverses=txn_id, actor_id=actor.id,
    )
    spent = db.session.scalar(select(Disbursement).where(Disbursement.txn == txn_id))
    if spent is not None:
        translog.append("disbursement.reversed", f"disbursement:{spent.id}", {
            "type": "disbursement.reversed", "disbursement": spent.id, "txn": row.id,
            "reverses": txn_id, "amount_fen": spent.amount_fen, "reason": reason.strip(),
            "at": format_time(row.at),
        }, at=row.at)
    else:
        translog.append("ledger.reversed", f"txn:{row.id}", {
            "type": "ledger.reversed", "txn": row.id, "reverses": txn_id,
            "kind": original.kind, "reason": reason.strip(), "at": format_time(row.at),
        }, at=row.at)
    audit.record("treasury.reversal", actor_id=actor.id, subject=row.id, reverses=txn_id,
                 reason=reason)
    return row


def reversed_txns() -> set[str]:
    return set(db.session.scalars(select(TreasuryTxn.reverses).where(
        TreasuryTxn.reverses.is_not(None))))


# ---- budgets ---------------------------------------------------------------------------------


def budget_state(budget: Budget | None, entries: Sequence[LedgerEntry]) -> BudgetState | None:
    if budget is None or budget.authorised_at is None:
        return None
    remaining = balances(entries).get(f"budget:{budget.id}", 0)
    return BudgetState(budget.id, remaining, frozenset({budget.category}))


def _passed(proposal_id: str) -> bool:
    row = results.current_result(proposal_id)
    return row is not None and json.loads(row.result_json)["tally"]["outcome"] == "passed"


def _authorise(budget: Budget, reference: str, at: datetime) -> None:
    _write("budget_authorised", "bud",
           lambda txn: budget_authorisation(txn, budget.id, budget.amount_fen, reference),
           at=at, description=budget.title)
    budget.authorised_at = at
    translog.append("budget.authorised", f"budget:{budget.id}", {
        "type": "budget.authorised", "budget": budget.id, "source": budget.source,
        "proposal": budget.proposal_id, "motion": budget.motion_id,
        "amount_fen": budget.amount_fen, "category": budget.category,
        "purpose": budget.purpose, "beneficiary": budget.beneficiary,
        "ratification_due": format_time(budget.ratification_due)
        if budget.ratification_due else None,
        "at": format_time(at),
    }, at=at)
    audit.record("treasury.budget_authorised", subject=budget.id, amount_fen=budget.amount_fen,
                 reference=reference)


def authorise_budget_from_result(proposal_id: str) -> Budget | None:
    """A sealed, passed `spending` proposal becomes a budget; idempotent, None if not due."""
    existing = db.session.scalar(select(Budget).where(Budget.proposal_id == proposal_id))
    if existing is not None:
        return existing
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.kind != "spending" or not _passed(proposal_id):
        return None
    _lock()
    payload = json.loads(proposal.payload_json)
    budget = Budget(
        id=proposal_id.lower(), source="proposal", proposal_id=proposal_id,
        title=proposal.title, amount_fen=int(payload["amount_fen"]),
        category=payload["category"], beneficiary=payload.get("beneficiary", ""),
        purpose=payload.get("purpose", "") or proposal.title,
    )
    db.session.add(budget)
    db.session.flush()
    _authorise(budget, f"proposal:{proposal_id}", utcnow())
    return budget


def emergency_used(year: int, *, excluding: str | None = None) -> int:
    rows = db.session.execute(select(Budget.authorised_at, Budget.amount_fen).where(
        Budget.source == "emergency", Budget.authorised_at.is_not(None),
        Budget.id != (excluding or "")))
    return emergency_used_in_year(((at, int(amount)) for at, amount in rows), year)


def propose_emergency(
    member: User, title: str, amount_fen: int, category: str, beneficiary: str, purpose: str,
    *, now: datetime | None = None,
) -> Budget:
    """Open a council emergency motion for spending without a prior owners' vote."""
    rules = charter.current_rules()
    now = now or utcnow()
    _lock()
    problems = check_emergency(amount_fen, emergency_used(now.year), rules)
    problems += _request_problems(category, beneficiary, purpose, rules)
    if not council.is_seated(member, now):
        problems.append(rules.violation("council.members_only",
                                        "only a seated council member proposes emergency spending"))
    if problems:
        raise TreasuryError(gettext("The emergency spending was refused."), problems)
    count = db.session.scalar(select(func.count()).select_from(Budget).where(
        Budget.source == "emergency")) or 0
    budget_id = f"emergency-{count + 1}"
    try:
        motion = council.open_motion(
            member, EMERGENCY_KIND, f"emergency:{budget_id}", title[:200],
            f"Emergency spending of {amount_fen} fen for {category}: {purpose}", now=now,
        )
    except council.MotionError as exc:
        raise TreasuryError(str(exc)) from None
    budget = Budget(id=budget_id, source="emergency", motion_id=motion.id, title=title[:200],
                    amount_fen=amount_fen, category=category, beneficiary=beneficiary,
                    purpose=purpose, created_at=now)
    db.session.add(budget)
    db.session.flush()
    audit.record("treasury.emergency_proposed", actor_id=member.id, subject=budget_id,
                 motion=motion.id, amount_fen=amount_fen)
    return budget


def authorise_emergency(budget_id: str) -> Budget:
    """Once its motion has passed, the emergency budget is written to the ledger (idempotent)."""
    budget = db.session.get(Budget, budget_id)
    if budget is None or budget.source != "emergency" or budget.motion_id is None:
        raise TreasuryError(gettext("There is no emergency budget %(id)s.", id=budget_id))
    if budget.authorised_at is not None:
        return budget
    motion = db.session.get(Motion, budget.motion_id)
    if motion is None or motion.state != "passed" or motion.closed_at is None:
        raise TreasuryError(gettext("Motion %(id)s has not passed.", id=budget.motion_id))
    rules = charter.current_rules()
    _lock()
    decided = motion.closed_at
    problems = check_emergency(budget.amount_fen,
                               emergency_used(decided.year, excluding=budget.id), rules)
    if problems:
        raise TreasuryError(gettext("The emergency spending exceeds the charter's cap."), problems)
    budget.ratification_due = ratification_due(decided, rules)
    _authorise(budget, f"motion:{motion.id}", decided)
    return budget


def ratify_emergency(
    actor: User | None, budget_id: str, *, proposal_id: str | None = None,
    motion_id: int | None = None,
) -> Budget:
    """Record that the owners (a passed vote) or a later passed motion ratified the spending."""
    budget = db.session.get(Budget, budget_id)
    if budget is None or budget.source != "emergency" or budget.authorised_at is None:
        raise TreasuryError(
            gettext("There is no authorised emergency budget %(id)s.", id=budget_id))
    if budget.ratified_at is not None:
        raise TreasuryError(gettext("Budget %(id)s is already ratified by %(by)s.", id=budget_id,
                                     by=budget.ratified_by))
    if proposal_id:
        proposal = db.session.get(Proposal, proposal_id)
        if proposal is None or not _passed(proposal_id):
            raise TreasuryError(gettext("Proposal %(id)s has no sealed, passed result.",
                                         id=proposal_id))
        by = f"proposal:{proposal_id}"
    else:
        motion = db.session.get(Motion, motion_id) if motion_id else None
        if motion is None or motion.state != "passed" or motion.id == budget.motion_id:
            raise TreasuryError(
                gettext("Ratification needs a later passed motion or owners' vote."))
        by = f"motion:{motion.id}"
    budget.ratified_at = utcnow()
    budget.ratified_by = by
    translog.append("budget.ratified", f"budget:{budget.id}", {
        "type": "budget.ratified", "budget": budget.id, "by": by,
        "at": format_time(budget.ratified_at),
    })
    audit.record("treasury.ratified", actor_id=actor.id if actor else None, subject=budget.id,
                 by=by)
    return budget


def sync_budgets() -> list[str]:
    """Authorise every passed spending vote and passed emergency motion not yet in the ledger."""
    done = []
    sealed = db.session.scalars(select(Proposal.id).where(
        Proposal.kind == "spending", Proposal.state == "sealed")).all()
    for proposal_id in sealed:
        if db.session.scalar(select(Budget.id).where(Budget.proposal_id == proposal_id)):
            continue
        if authorise_budget_from_result(proposal_id) is not None:
            done.append(f"budget {proposal_id.lower()} authorised by proposal {proposal_id}")
    waiting = db.session.scalars(select(Budget).join(Motion, Motion.id == Budget.motion_id).where(
        Budget.authorised_at.is_(None), Motion.state == "passed")).all()
    for budget in waiting:
        try:
            authorise_emergency(budget.id)
        except TreasuryError as exc:
            done.append(f"budget {budget.id} refused: {exc}")
        else:
            done.append(f"emergency budget {budget.id} authorised by motion {budget.motion_id}")
    done.extend(_ratify_by_passed_motions())
    return done


def carry_out(motion: Motion) -> list[str]:
    """Apply a closed treasury motion at once (cron's sync_budgets would, later)."""
    is_budget_motion = db.session.scalar(select(Budget.id).where(Budget.motion_id == motion.id))
    if motion.state == "passed" and (motion.kind == RATIFY_KIND or is_budget_motion):
        return sync_budgets()
    return []


def _ratify_by_passed_motions() -> list[str]:
    """A passed ratification motion (subject `emergency:<budget id>`) ratifies its budget."""
    done = []
    unratified = db.session.scalars(select(Budget).where(
        Budget.source == "emergency", Budget.authorised_at.is_not(None),
        Budget.ratified_at.is_(None))).all()
    for budget in unratified:
        motion_id = db.session.scalar(
            select(Motion.id)
            .where(Motion.kind == RATIFY_KIND, Motion.subject == f"emergency:{budget.id}",
                   Motion.state == "passed", Motion.id != budget.motion_id)
            .order_by(Motion.closed_at, Motion.id)
            .limit(1))
        if motion_id is not None:
            ratify_emergency(None, budget.id, motion_id=motion_id)
            done.append(f"emergency budget {budget.id} ratified by motion {motion_id}")
    return done


def overdue(budget: Budget, now: datetime | None = None) -> bool:
    return (budget.ratification_due is not None and budget.ratified_at is None
            and (now or utcnow()) >= budget.ratification_due)


# ---- disbursements ---------------------------------------------------------------------------


def _request_problems(
    category: str, beneficiary: str, purpose: str, rules: CharterRules
) -> list[Violation]:
    """The purpose, beneficiary and statement rules, for a request that has no budget yet."""
    probe = DisbursementRequest("emergency", "emergency", category, 1, beneficiary, purpose, 0)
    return check_disbursement(probe, BudgetState("emergency", 1, frozenset({category})), rules)


def request_of(d: Disbursement) -> DisbursementRequest:
    return DisbursementRequest(str(d.id), d.budget_id, d.category, d.amount_fen, d.beneficiary,
                               d.purpose, d.submitter_id)


def _check(request: DisbursementRequest, rules: CharterRules) -> list[Violation]:
    entries = ledger()
    state = budget_state(db.session.get(Budget, request.budget_id), entries)
    return check_disbursement(request, state, rules,
                              cash_fen=balances(entries).get("assets:cash", 0))


def draft(
    member: User, budget_id: str, amount_fen: int, category: str, beneficiary: str,
    purpose: str, *, beneficiary_private: str = "", uploads: Sequence[Upload] = (),
) -> Disbursement:
    """A seated member asks for money from a budget; checked now and again when approved."""
    rules = charter.current_rules()
    _lock()
    request = DisbursementRequest("new", budget_id, category, amount_fen, beneficiary.strip(),
                                  purpose.strip(), member.id)
    problems = _check(request, rules)
    if not council.is_seated(member):
        problems.append(rules.violation("spending.approvals",
                                        "only a seated council member submits a disbursement"))
    if problems:
        raise TreasuryError(
            gettext("The disbursement was refused; nothing was recorded."), problems)
    row = Disbursement(budget_id=budget_id, amount_fen=amount_fen, category=category,
                       beneficiary=beneficiary.strip(), beneficiary_private=beneficiary_private,
                       purpose=purpose.strip(), submitter_id=member.id)
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


def approve(member: User, disbursement_id: int, *, now: datetime | None = None) -> bool:
    """Add a seated member's approval; with enough of them, record the disbursement.

    Returns whether it was recorded. The budget and cash are checked again at that moment."""
    rules = charter.current_rules()
    _lock()
    d = db.session.get(Disbursement, disbursement_id)
    if d is None:
        raise TreasuryError(gettext("There is no disbursement %(id)s.", id=disbursement_id))
    if d.state != "pending":
        raise TreasuryError(gettext("Disbursement %(id)s is already recorded.", id=d.id))
    seated = council.seated_member_ids(now)
    request = request_of(d)
    approved = {a.member_id for a in approvals_of(d)}
    problems = check_approval(member.id, request, seated, approved, rules)
    if problems:
        raise TreasuryError(gettext("The approval was refused."), problems)
    db.session.add(DisbursementApproval(disbursement_id=d.id, member_id=member.id,
                                        at=now or utcnow()))
    db.session.flush()
    audit.record("treasury.approved", actor_id=member.id, subject=f"disbursement:{d.id}")
    if not is_fully_approved(approved | {member.id}, rules, submitter_id=d.submitter_id,
                             seated_ids=seated):
        return False
    problems = _check(request, rules)
    if problems:
        raise TreasuryError(
            gettext("The disbursement can no longer be made; nothing was recorded."), problems)
    _record(d, now or utcnow())
    return True


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
    row = _write("disbursement", "dis",
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
