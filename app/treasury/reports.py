"""What the public treasury page shows, all derived from the ledger rows (never stored totals)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select

from app.core.extensions import db
from app.treasury import service
from app.treasury.models import Budget, Disbursement, LedgerRow, TreasuryTxn
from governance.treasury import CASH, balances


@dataclass(frozen=True)
class Summary:
    cash_fen: int
    income_fen: int
    spent_fen: int
    authority_fen: int
    by_purpose: dict[str, int]
    by_source: dict[str, int]


@dataclass(frozen=True)
class BudgetLine:
    budget: Budget
    authorised_fen: int
    spent_fen: int
    remaining_fen: int
    overdue: bool


@dataclass(frozen=True)
class Filters:
    purpose: str = ""
    budget: str = ""
    start: date | None = None
    end: date | None = None

    @classmethod
    def from_args(cls, args: dict[str, str]) -> Filters:
        return cls(args.get("purpose", "").strip(), args.get("budget", "").strip(),
                   _date(args.get("from", "")), _date(args.get("to", "")))

    def as_args(self) -> dict[str, str]:
        out = {"purpose": self.purpose, "budget": self.budget,
               "from": self.start.isoformat() if self.start else "",
               "to": self.end.isoformat() if self.end else ""}
        return {k: v for k, v in out.items() if v}


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def summary() -> Summary:
    totals = balances(service.ledger())
    return Summary(
        cash_fen=totals.get(CASH, 0),
        income_fen=-sum(v for k, v in totals.items() if k.startswith("income:")),
        spent_fen=sum(v for k, v in totals.items() if k.startswith("expense:")),
        authority_fen=sum(v for k, v in totals.items() if k.startswith("budget:")),
        by_purpose={k.removeprefix("expense:"): v for k, v in totals.items()
                    if k.startswith("expense:")},
        by_source={k.removeprefix("income:"): -v for k, v in totals.items()
                   if k.startswith("income:")},
    )


def budget_lines() -> list[BudgetLine]:
    """Each budget: authorised (net of reversals), spent and remaining, from the ledger."""
    authorised: dict[str, int] = defaultdict(int)
    remaining: dict[str, int] = defaultdict(int)
    for e in service.ledger():
        if not e.account.startswith("budget:"):
            continue
        budget_id = e.account.removeprefix("budget:")
        remaining[budget_id] += e.amount_fen
        if e.kind == "budget_authorised" or (e.kind == "reversal" and e.amount_fen < 0
                                             and e.reference.startswith("bud-")):
            authorised[budget_id] += e.amount_fen
    lines = []
    budgets = db.session.scalars(select(Budget).order_by(Budget.created_at, Budget.id))
    for b in budgets:
        spent = authorised[b.id] - remaining[b.id]
        lines.append(BudgetLine(b, authorised[b.id], spent, remaining[b.id], service.overdue(b)))
    return lines


def disbursement_query(filters: Filters, *columns: Any) -> Select[Any]:
    """Recorded disbursements matching the filters, newest first, with their budget (or the
    `columns` asked for)."""
    query = (select(*(columns or (Disbursement, Budget)))
             .select_from(Disbursement).join(Budget, Budget.id == Disbursement.budget_id)
             .where(Disbursement.state == "recorded"))
    if not columns:
        query = query.order_by(Disbursement.recorded_at.desc(), Disbursement.id.desc())
    if filters.purpose:
        query = query.where(Disbursement.category == filters.purpose)
    if filters.budget:
        query = query.where(Disbursement.budget_id == filters.budget)
    if filters.start:
        query = query.where(Disbursement.recorded_at >= datetime.combine(filters.start, time(),
                                                                         UTC))
    if filters.end:
        query = query.where(Disbursement.recorded_at < datetime.combine(
            filters.end + timedelta(days=1), time(), UTC))
    return query


def with_reversals(rows: Iterable[Any]) -> list[tuple[Disbursement, Budget, bool]]:
    """Each (disbursement, budget) with whether its transaction was reversed."""
    pairs = [(d, b) for d, b in rows]
    txns = [d.txn for d, _b in pairs if d.txn]
    reversed_ = set(db.session.scalars(select(TreasuryTxn.reverses).where(
        TreasuryTxn.reverses.in_(txns)))) if txns else set()
    return [(d, b, d.txn in reversed_) for d, b in pairs]


def disbursement_rows(filters: Filters) -> list[tuple[Disbursement, Budget, bool]]:
    """Every matching row (the CSV export); pages show `disbursement_query` a page at a time."""
    return with_reversals(db.session.execute(disbursement_query(filters)))


def total_not_reversed(filters: Filters) -> int:
    """The sum of every matching disbursement whose transaction was not reversed."""
    reversed_ = select(TreasuryTxn.reverses).where(TreasuryTxn.reverses.is_not(None))
    query = disbursement_query(filters, func.coalesce(func.sum(Disbursement.amount_fen), 0))
    return int(db.session.scalar(
        query.where(or_(Disbursement.txn.is_(None), Disbursement.txn.not_in(reversed_)))
    ) or 0)


CSV_HEADER = ["id", "recorded_at", "amount_fen", "amount_yuan", "budget", "proposal", "motion",
              "category", "beneficiary", "purpose", "txn", "reversed", "log_index"]


def csv_lines(rows: list[tuple[Disbursement, Budget, bool]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for d, b, was_reversed in rows:
        whole, cents = divmod(d.amount_fen, 100)
        writer.writerow([
            d.id, d.recorded_at.strftime("%Y-%m-%dT%H:%M:%SZ") if d.recorded_at else "",
            d.amount_fen, f"{whole}.{cents:02d}", b.id, b.proposal_id or "", b.motion_id or "",
            d.category, _safe(d.beneficiary), _safe(d.purpose), d.txn or "",
            "yes" if was_reversed else "no", d.log_index if d.log_index is not None else "",
        ])
    # A byte-order mark, so spreadsheet programs read the UTF-8 and show Chinese as written.
    yield "\ufeff" + buffer.getvalue()


def _safe(value: str) -> str:
    """Keep a spreadsheet from reading a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def monthly() -> list[tuple[str, int, int, int]]:
    """(YYYY-MM, income, spending, cash at month end) for every month with a transaction."""
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = db.session.execute(
        select(TreasuryTxn.at, LedgerRow.account, LedgerRow.amount_fen)
        .join(TreasuryTxn, TreasuryTxn.id == LedgerRow.txn)
    )
    for at, account, amount in rows:
        month = months[at.strftime("%Y-%m")]
        if account.startswith("income:"):
            month[0] -= int(amount)
        elif account.startswith("expense:"):
            month[1] += int(amount)
        elif account == CASH:
            month[2] += int(amount)
    cash = 0
    out = []
    for key in sorted(months):
        cash += months[key][2]
        out.append((key, months[key][0], months[key][1], cash))
    return out
