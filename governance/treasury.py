"""The charter's rules for money, and the append-only ledger they are recorded in.

Charter checks return ``list[Violation]``: each names the article, quotes it and says what was
wrong; an empty list means allowed. A refused request writes nothing.

Ledger: double entry, integer fen, positive = debit, negative = credit. A *transaction* is the
entries sharing one ``txn`` id; its amounts sum to zero and it has one kind. Accounts:

=====================  =====================================================================
``assets:cash``        money the trust holds (debit balance)
``income:<source>``    where money came from, e.g. ``income:donations`` (credit balance)
``expense:<purpose>``  what money was spent on, one per charter purpose (debit balance)
``budget:<id>``        spending authority a vote (or emergency motion) granted and not yet
                       used: the remaining amount of budget ``<id>`` (debit balance)
``authority``          the other side of every budget: minus the total remaining authority
=====================  =====================================================================

============================  =================================================================
kind                          postings
============================  =================================================================
``income``                    Dr ``assets:cash``, Cr ``income:<source>``
``budget_authorised``         Dr ``budget:<id>``, Cr ``authority``
``disbursement``              Dr ``expense:<purpose>``, Cr ``assets:cash``;
                              Dr ``authority``, Cr ``budget:<id>``
``reversal``                  the exact negation of an earlier transaction, referencing it
============================  =================================================================

Budgets are thus memorandum accounts inside the same balanced ledger: a disbursement moves
both the money and the authority, so "remaining budget" is a balance, derived from the entries
and never stored. Nothing is edited or deleted; a mistake is corrected by a reversal.

Deviation from the first sketch: ``reversal_of`` takes a whole transaction (all its entries),
since reversing one posting alone would unbalance the ledger.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from governance.approvals import check_approval, is_fully_approved
from governance.charter import CharterRules, Violation
from governance.refusals import N_
from governance.transitions import require_aware

__all__ = [
    "BudgetState",
    "DisbursementRequest",
    "LedgerEntry",
    "Violation",
    "balances",
    "budget_authorisation",
    "budget_remaining",
    "check_approval",
    "check_disbursement",
    "check_emergency",
    "check_ledger",
    "disbursement",
    "emergency_used_in_year",
    "income",
    "is_fully_approved",
    "ratification_due",
    "ratification_overdue",
    "reversal_of",
    "unbalanced_transactions",
]

KINDS = ("income", "budget_authorised", "disbursement", "reversal")
CASH = "assets:cash"
AUTHORITY = "authority"
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
ACCOUNT_RE = re.compile(r"assets:cash|authority|(income|expense|budget):[a-z0-9][a-z0-9_.-]{0,63}")
MAX_FEN = 2**53 - 1


@dataclass(frozen=True)
class LedgerEntry:
    """One posting. ``reference`` says what authorises it (a proposal, motion or
    disbursement id); for a reversal, the ``txn`` it reverses."""

    txn: str
    account: str
    amount_fen: int
    kind: str
    reference: str

    def __post_init__(self) -> None:
        if type(self.amount_fen) is not int or self.amount_fen == 0:
            raise ValueError("a posting is a non-zero whole number of fen")
        if abs(self.amount_fen) > MAX_FEN:
            raise ValueError("amount out of range")
        if ACCOUNT_RE.fullmatch(self.account) is None:
            raise ValueError(f"unknown account {self.account!r}")
        if self.kind not in KINDS:
            raise ValueError(f"entry kind must be one of {', '.join(KINDS)}")
        if not self.txn or not self.reference:
            raise ValueError("every entry has a transaction id and a reference")


def _positive(amount_fen: int) -> None:
    if type(amount_fen) is not int or not 0 < amount_fen <= MAX_FEN:
        raise ValueError("an amount is a whole number of fen greater than zero")


def _name(value: str, what: str) -> str:
    if NAME_RE.fullmatch(value) is None:
        raise ValueError(f"{what} {value!r}: lowercase letters, digits, '_', '.', '-'")
    return value


def income(txn: str, amount_fen: int, source: str, reference: str) -> tuple[LedgerEntry, ...]:
    _positive(amount_fen)
    account = f"income:{_name(source, 'income source')}"
    return (
        LedgerEntry(txn, CASH, amount_fen, "income", reference),
        LedgerEntry(txn, account, -amount_fen, "income", reference),
    )


def budget_authorisation(
    txn: str, budget_id: str, amount_fen: int, reference: str
) -> tuple[LedgerEntry, ...]:
    _positive(amount_fen)
    account = f"budget:{_name(budget_id, 'budget id')}"
    return (
        LedgerEntry(txn, account, amount_fen, "budget_authorised", reference),
        LedgerEntry(txn, AUTHORITY, -amount_fen, "budget_authorised", reference),
    )


def disbursement(
    txn: str, budget_id: str, category: str, amount_fen: int, reference: str
) -> tuple[LedgerEntry, ...]:
    _positive(amount_fen)
    budget = f"budget:{_name(budget_id, 'budget id')}"
    expense = f"expense:{_name(category, 'category')}"
    return (
        LedgerEntry(txn, expense, amount_fen, "disbursement", reference),
        LedgerEntry(txn, CASH, -amount_fen, "disbursement", reference),
        LedgerEntry(txn, AUTHORITY, amount_fen, "disbursement", reference),
        LedgerEntry(txn, budget, -amount_fen, "disbursement", reference),
    )


def reversal_of(transaction: Sequence[LedgerEntry], txn: str) -> tuple[LedgerEntry, ...]:
    """The entries that undo ``transaction`` exactly, as new transaction ``txn``."""
    ids = {e.txn for e in transaction}
    if len(ids) != 1:
        raise ValueError("reverse exactly one whole transaction")
    original = ids.pop()
    if txn == original:
        raise ValueError("a reversal is a new transaction")
    if any(e.kind == "reversal" for e in transaction):
        raise ValueError("a reversal is not reversed; record the original transaction again")
    return tuple(
        LedgerEntry(txn, e.account, -e.amount_fen, "reversal", original) for e in transaction
    )


def balances(entries: Iterable[LedgerEntry]) -> dict[str, int]:
    """Every account's balance (debit positive), derived from the entries."""
    out: dict[str, int] = defaultdict(int)
    for e in entries:
        out[e.account] += e.amount_fen
    return {account: total for account, total in sorted(out.items())}


def budget_remaining(entries: Iterable[LedgerEntry], budget_id: str) -> int:
    return balances(entries).get(f"budget:{budget_id}", 0)


def unbalanced_transactions(entries: Iterable[LedgerEntry]) -> list[str]:
    """Transaction ids whose postings do not sum to zero."""
    sums: dict[str, int] = defaultdict(int)
    for e in entries:
        sums[e.txn] += e.amount_fen
    return sorted(txn for txn, total in sums.items() if total != 0)


def check_ledger(entries: Sequence[LedgerEntry]) -> list[str]:
    """Every inconsistency in an append-only ledger, in order; empty = sound.

    Checks: each transaction balances, is contiguous and of one kind; each reversal negates
    an earlier, not yet reversed transaction exactly; cash and budgets never go below zero.
    """
    problems = [f"transaction {t} does not balance" for t in unbalanced_transactions(entries)]
    groups: dict[str, list[LedgerEntry]] = {}
    order: list[str] = []
    for e in entries:
        if e.txn not in groups:
            groups[e.txn] = []
            order.append(e.txn)
        elif order[-1] != e.txn:
            problems.append(f"transaction {e.txn} is split by other entries")
        groups[e.txn].append(e)
    reversed_: set[str] = set()
    running: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    for txn in order:
        group = groups[txn]
        kinds = {e.kind for e in group}
        if len(kinds) != 1:
            problems.append(f"transaction {txn} mixes kinds {sorted(kinds)}")
        if kinds == {"reversal"}:
            problems += _check_reversal(txn, group, groups, seen, reversed_)
        seen.add(txn)
        for e in group:
            running[e.account] += e.amount_fen
        for account in sorted({e.account for e in group}):
            total = running[account]
            if total < 0 and (account == CASH or account.startswith("budget:")):
                problems.append(f"after transaction {txn}, {account} is below zero ({total} fen)")
    return problems


def _check_reversal(
    txn: str,
    group: list[LedgerEntry],
    groups: dict[str, list[LedgerEntry]],
    seen: set[str],
    reversed_: set[str],
) -> list[str]:
    refs = {e.reference for e in group}
    target = refs.pop() if len(refs) == 1 else ""
    if target not in seen:
        return [f"reversal {txn} references no earlier transaction"]
    if target in reversed_:
        return [f"transaction {target} is reversed twice"]
    reversed_.add(target)
    original = sorted((e.account, -e.amount_fen) for e in groups[target])
    if sorted((e.account, e.amount_fen) for e in group) != original:
        return [f"reversal {txn} does not exactly negate {target}"]
    return []


@dataclass(frozen=True)
class DisbursementRequest:
    id: str
    budget_id: str
    category: str
    amount_fen: int
    beneficiary: str
    purpose: str
    submitter_id: int


@dataclass(frozen=True)
class BudgetState:
    """An authorised budget as the app knows it: remaining amount (from the ledger) and the
    purposes the authorising proposal or motion allowed."""

    budget_id: str
    remaining_fen: int
    categories: frozenset[str]


def check_disbursement(
    request: DisbursementRequest,
    budget_state: BudgetState | None,
    rules: CharterRules,
    *,
    cash_fen: int | None = None,
) -> list[Violation]:
    """Every charter rule ``request`` breaks. ``budget_state`` is None when the budget it
    cites does not exist or was never authorised; ``cash_fen`` (if given) is the cash held."""
    out: list[Violation] = []
    amount = request.amount_fen
    amount_ok = type(amount) is int and amount > 0
    if not amount_ok:
        out.append(
            rules.violation("spending.amount", N_("the amount is not a positive number of fen"))
        )
    if budget_state is None or budget_state.budget_id != request.budget_id:
        out.append(
            rules.violation(
                "spending.budget",
                N_("budget %(budget)s is not an authorised budget"),
                budget=request.budget_id,
            )
        )
    else:
        if amount_ok and amount > budget_state.remaining_fen:
            out.append(
                rules.violation(
                    "spending.budget",
                    N_(
                        "%(amount_fen)s exceeds the %(remaining_fen)s remaining "
                        "in budget %(budget)s"
                    ),
                    amount_fen=amount,
                    remaining_fen=budget_state.remaining_fen,
                    budget=request.budget_id,
                )
            )
        if request.category not in budget_state.categories:
            out.append(
                rules.violation(
                    "spending.category",
                    N_("budget %(budget)s does not allow the purpose %(purpose)s"),
                    budget=request.budget_id,
                    purpose=request.category,
                )
            )
    if request.category not in rules.purpose_ids:
        out.append(
            rules.violation(
                "spending.category",
                N_("%(purpose)s is not a purpose of the charter"),
                purpose=request.category,
            )
        )
    if rules.spending.beneficiary_required and not request.beneficiary.strip():
        out.append(rules.violation("spending.beneficiary", N_("no beneficiary is named")))
    if not request.purpose.strip():
        out.append(rules.violation("spending.purpose", N_("the purpose is not stated")))
    if cash_fen is not None and amount_ok and amount > cash_fen:
        out.append(
            rules.violation(
                "spending.cash",
                N_("%(amount_fen)s exceeds the %(cash_fen)s the trust holds"),
                amount_fen=amount,
                cash_fen=cash_fen,
            )
        )
    return out


def check_emergency(
    amount_fen: int, already_used_this_year_fen: int, rules: CharterRules
) -> list[Violation]:
    """May a council emergency motion spend ``amount_fen`` without a prior owners' vote?"""
    s = rules.spending
    if type(amount_fen) is not int or amount_fen <= 0:
        return [
            rules.violation("spending.amount", N_("the amount is not a positive number of fen"))
        ]
    out = []
    if amount_fen > s.emergency_cap_fen:
        out.append(
            rules.violation(
                "spending.emergency_cap",
                N_("%(amount_fen)s exceeds the %(cap_fen)s an emergency motion may spend"),
                amount_fen=amount_fen,
                cap_fen=s.emergency_cap_fen,
            )
        )
    if already_used_this_year_fen + amount_fen > s.emergency_year_cap_fen:
        left = max(0, s.emergency_year_cap_fen - already_used_this_year_fen)
        out.append(
            rules.violation(
                "spending.emergency_year_cap",
                N_("only %(left_fen)s of this year's emergency allowance is left"),
                left_fen=left,
            )
        )
    return out


def emergency_used_in_year(decisions: Iterable[tuple[datetime, int]], year: int) -> int:
    """Total of emergency decisions (decided_at, amount_fen) in calendar ``year``.

    The year is read in each time's own timezone: pass times in the trust's timezone.
    """
    total = 0
    for decided_at, amount in decisions:
        require_aware(decided_at, "decided_at")
        if decided_at.year == year:
            total += amount
    return total


def ratification_due(decided_at: datetime, rules: CharterRules) -> datetime:
    require_aware(decided_at, "decided_at")
    return decided_at + timedelta(days=rules.spending.ratification_days)


def ratification_overdue(
    decided_at: datetime, now: datetime, rules: CharterRules, *, ratified: bool
) -> bool:
    require_aware(now, "now")
    return not ratified and now >= ratification_due(decided_at, rules)


def check_ratification(
    overdue_budget_ids: Collection[str], rules: CharterRules, *, budget_id: str | None = None
) -> list[Violation]:
    """The freeze of an overdue ratification: spending from ``budget_id`` (if overdue), or any
    new emergency spending (``budget_id`` None) while some emergency budget is overdue."""
    overdue = sorted(overdue_budget_ids)
    if budget_id is not None:
        if budget_id not in overdue:
            return []
        return [
            rules.violation(
                "spending.ratification_overdue",
                N_("budget %(budget)s is frozen until the owners ratify it"),
                budget=budget_id,
            )
        ]
    if not overdue:
        return []
    return [
        rules.violation(
            "spending.ratification_overdue",
            N_("no new emergency spending until the owners ratify %(budget)s"),
            budget=", ".join(overdue),
        )
    ]
