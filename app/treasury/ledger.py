"""The treasury's ledger and what every treasury write shares: the lock, the refusal, the state
of a budget. Every rule is asked of `governance.treasury`; budgets.py and disbursements.py build
on this module, and service.py is the one door the rest of the app goes through.

Writes are serialised (a PostgreSQL advisory lock, SQLite's single writer) so two approvals at
once cannot both draw the last yuan of a budget: the remaining amount is read and spent in one
critical section.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select, text

from app.accounts.models import User
from app.audit import service as audit
from app.core.db_types import utcnow
from app.core.extensions import db
from app.translog import kinds
from app.translog import service as translog
from app.treasury.models import (
    Budget,
    Disbursement,
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
    check_disbursement,
    check_ledger,
    income,
    reversal_of,
)

TREASURY_LOCK_ID = 0x747265  # "tre": shared by every worker
EMERGENCY_KIND = "emergency_spending"
RATIFY_KIND = "ratify_emergency"
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024



class TreasuryError(ValueError):
    """A refused request: every charter article it breaks, quoted."""

    def __init__(
        self, message: str, violations: Sequence[Violation] = (), refusal: Exception | None = None
    ) -> None:
        self.lead = message  # said before the violations, already in the reader's language
        self.refusal = refusal  # a refusal from below (a council motion), told after the lead
        self.violations = list(violations)
        detail = " ".join(str(v) for v in self.violations) or (str(refusal) if refusal else "")
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


def lock() -> None:
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


def entries_of(txn_ids: list[str]) -> list[LedgerEntry]:
    """The postings of these transactions only (a page of the ledger)."""
    if not txn_ids:
        return []
    rows = db.session.execute(
        select(LedgerRow.txn, LedgerRow.account, LedgerRow.amount_fen, LedgerRow.kind,
               LedgerRow.reference)
        .where(LedgerRow.txn.in_(txn_ids))
        .order_by(LedgerRow.id)
    )
    return [LedgerEntry(t, a, int(amount), k, r) for t, a, amount, k, r in rows]


def txn_entries(txn_id: str) -> list[LedgerEntry]:
    return [e for e in ledger() if e.txn == txn_id]


def current_balances() -> dict[str, int]:
    return balances(ledger())


def write(
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
    postings = list(entries)
    for e in postings:
        db.session.add(
            LedgerRow(txn=e.txn, account=e.account, amount_fen=e.amount_fen, kind=e.kind,
                      reference=e.reference)
        )
    db.session.flush()
    translog.append(kinds.TREASURY_TXN, f"txn:{txn_id}", txn_record(row, postings), at=row.at)
    return row


def txn_record(row: TreasuryTxn, postings: Iterable[Any]) -> dict[str, Any]:
    """What the log binds a transaction to: `flask trust audit` rebuilds it from the rows."""
    return {
        "type": kinds.TREASURY_TXN,
        "txn": row.id,
        "seq": row.seq,
        "kind": row.kind,
        "at": format_time(row.at),
        "reverses": row.reverses,
        "postings": [[e.account, e.amount_fen, e.kind, e.reference] for e in postings],
    }


def record_income(
    actor: User,
    source: str,
    amount_fen: int,
    *,
    received_at: datetime | None = None,
    reference: str = "",
    description: str = "",
) -> TreasuryTxn:
    lock()
    try:
        row = write(
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


def reverse(actor: User, txn_id: str, reason: str, *, motion_id: int | None) -> TreasuryTxn:
    """Correct a transaction by appending its exact negation; the original stays as it was.

    Only with a passed council motion of kind `reverse_transaction` about `txn:<id>`: no
    administrator reverses money alone, an owner-voted budget included."""
    from app.council.models import Motion

    lock()
    if not reason.strip():
        raise TreasuryError(
            gettext("Say why the transaction is reversed: the reason is published."))
    original = db.session.get(TreasuryTxn, txn_id)
    if original is None:
        raise TreasuryError(gettext("There is no transaction %(id)s.", id=txn_id))
    motion = db.session.get(Motion, motion_id) if motion_id else None
    if motion is None or motion.kind != REVERSE_KIND or motion.subject != f"txn:{txn_id}" \
            or motion.state != "passed":
        raise TreasuryError(gettext(
            "A reversal needs a passed council motion to reverse transaction %(id)s "
            "(kind: reverse a ledger transaction; subject: txn:%(id)s).", id=txn_id))
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
    row = write(
        "reversal", "rev",
        lambda txn: reversal_of([e for e in entries if e.txn == txn_id], txn),
        description=reason.strip(), reverses=txn_id, actor_id=actor.id,
    )
    spent = db.session.scalar(select(Disbursement).where(Disbursement.txn == txn_id))
    if spent is not None:
        translog.append("disbursement.reversed", f"disbursement:{spent.id}", {
            "type": "disbursement.reversed", "disbursement": spent.id, "txn": row.id,
            "reverses": txn_id, "amount_fen": spent.amount_fen, "reason": reason.strip(),
            "motion": motion.id,
            "at": format_time(row.at),
        }, at=row.at)
    else:
        translog.append("ledger.reversed", f"txn:{row.id}", {
            "type": "ledger.reversed", "txn": row.id, "reverses": txn_id,
            "kind": original.kind, "reason": reason.strip(), "at": format_time(row.at),
        }, at=row.at)
    audit.record("treasury.reversal", actor_id=actor.id, subject=row.id, reverses=txn_id,
                 reason=reason, motion=motion.id)
    return row


REVERSE_KIND = "reverse_transaction"


def reversed_txns() -> set[str]:
    return set(db.session.scalars(select(TreasuryTxn.reverses).where(
        TreasuryTxn.reverses.is_not(None))))


def budget_state(budget: Budget | None, entries: Sequence[LedgerEntry]) -> BudgetState | None:
    if budget is None or budget.authorised_at is None:
        return None
    remaining = balances(entries).get(f"budget:{budget.id}", 0)
    return BudgetState(budget.id, remaining, frozenset({budget.category}))



def request_problems(
    category: str, beneficiary: str, purpose: str, rules: CharterRules
) -> list[Violation]:
    """The purpose, beneficiary and statement rules, for a request that has no budget yet."""
    probe = DisbursementRequest("emergency", "emergency", category, 1, beneficiary, purpose, 0)
    return check_disbursement(probe, BudgetState("emergency", 1, frozenset({category})), rules)


def overdue_ids(now: datetime | None = None) -> set[str]:
    """Emergency budgets past their ratification date that the owners have not ratified."""
    return set(db.session.scalars(select(Budget.id).where(
        Budget.source == "emergency", Budget.ratified_at.is_(None),
        Budget.ratification_due.is_not(None), Budget.ratification_due <= (now or utcnow()))))
