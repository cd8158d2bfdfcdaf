"""`flask trust audit`, treasury part: the ledger balances, and every recorded disbursement's
ledger rows still say what the log published when it was recorded."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from app.core.extensions import db
from app.integrity.findings import Finding
from app.translog import service as translog
from app.treasury import service
from app.treasury.models import Disbursement
from governance.treasury import check_ledger


def audit_treasury() -> Iterator[Finding]:
    entries = service.ledger()
    for problem in check_ledger(entries):
        yield Finding("treasury ledger", problem)
    by_txn: dict[str, list] = {}
    for e in entries:
        by_txn.setdefault(e.txn, []).append(e)
    recorded = db.session.scalars(
        select(Disbursement).where(Disbursement.state == "recorded").order_by(Disbursement.id))
    for d in recorded:
        where = f"disbursement {d.id}"
        logged = translog.record_of(d.log_index) if d.log_index is not None else None
        if logged is None or logged.get("type") != "disbursement" or logged.get("id") != d.id:
            yield Finding(where, "its disbursement.recorded log leaf is missing")
            continue
        rows = by_txn.get(d.txn or "", [])
        expense = [e for e in rows if e.account.startswith("expense:")]
        budget = [e for e in rows if e.account.startswith("budget:")]
        expected = (logged["amount_fen"], f"expense:{logged['category']}",
                    f"budget:{logged['budget']}")
        found = (expense[0].amount_fen if len(expense) == 1 else None,
                 expense[0].account if len(expense) == 1 else None,
                 budget[0].account if len(budget) == 1 else None)
        if found != expected or (len(budget) == 1 and -budget[0].amount_fen != expected[0]):
            yield Finding(where, f"ledger rows of {d.txn} no longer match the logged record "
                                 f"({expected[0]} fen to {expected[1]} from {expected[2]})")
        if d.amount_fen != logged["amount_fen"] or d.budget_id != logged["budget"]:
            yield Finding(where, f"its amount or budget was edited: {d.amount_fen} fen stored, "
                                 f"{logged['amount_fen']} fen logged")
