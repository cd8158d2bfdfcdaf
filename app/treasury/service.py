"""The treasury: income, budgets from passed votes or emergency motions, council-approved
disbursements, reversals. Every rule is asked of `governance.treasury`; the modules below load
the facts, write the ledger, the log and the audit trail, and refuse with the article quoted.

This module is the treasury's one door for the rest of the app; the work is done in
ledger.py (the ledger, the lock, shared budget state), budgets.py and disbursements.py.
"""

from __future__ import annotations

from app.treasury.budgets import (
    authorise_budget_from_result,
    authorise_emergency,
    carry_out,
    emergency_used,
    overdue,
    propose_emergency,
    ratify_emergency,
    sync_budgets,
)
from app.treasury.disbursements import (
    add_evidence,
    approval_problems,
    approvals_of,
    approve,
    draft,
    evidence_dir,
    evidence_of,
    public_record,
    request_of,
    why_not_approve,
)
from app.treasury.ledger import (
    EMERGENCY_KIND,
    MAX_EVIDENCE_BYTES,
    RATIFY_KIND,
    TREASURY_LOCK_ID,
    TreasuryError,
    Upload,
    budget_state,
    current_balances,
    entries_of,
    ledger,
    record_income,
    refuse,
    reverse,
    reversed_txns,
    txn_entries,
)

__all__ = [
    "EMERGENCY_KIND",
    "MAX_EVIDENCE_BYTES",
    "RATIFY_KIND",
    "TREASURY_LOCK_ID",
    "TreasuryError",
    "Upload",
    "add_evidence",
    "approvals_of",
    "approve",
    "authorise_budget_from_result",
    "authorise_emergency",
    "budget_state",
    "carry_out",
    "current_balances",
    "draft",
    "entries_of",
    "emergency_used",
    "evidence_dir",
    "evidence_of",
    "ledger",
    "overdue",
    "propose_emergency",
    "public_record",
    "ratify_emergency",
    "record_income",
    "refuse",
    "request_of",
    "approval_problems",
    "why_not_approve",
    "reverse",
    "reversed_txns",
    "sync_budgets",
    "txn_entries",
]
