"""`flask trust audit`: re-verify everything signed or logged against the rows behind it.

Anyone who can edit the database directly (a compromised server, a careless administrator)
cannot also forge the trust's signatures or the roots they cover. Every check recomputes what was
signed or logged from the stored rows and names exactly which row no longer matches.

CHECKS is the one list of what the audit covers; a new kind of record adds its check here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import defer

from app.core.extensions import db
from app.integrity import (
    amendments,
    claims,
    completeness,
    corrections,
    elections,
    growth,
    ledger,
    powers,
    votes,
)
from app.integrity.findings import Finding
from app.integrity.records import audit_log, audit_result, audit_sealed_log_records
from app.integrity.treasury import audit_treasury
from app.keys import service as keys
from app.results.models import SealedResult
from ballots.keys import KeyRing


def audit_sealed_results(keyring: KeyRing) -> Iterable[Finding]:
    # One result (and its ~100 MB of blobs at a million ballots) in memory at a time.
    for result_id in db.session.scalars(select(SealedResult.id).order_by(SealedResult.id)).all():
        row = db.session.get(
            SealedResult,
            result_id,
            options=[defer(SealedResult.roll_leaves), defer(SealedResult.ballots_tree)],
        )
        assert row is not None
        yield from audit_result(row, keyring)
        db.session.expunge(row)


CHECKS: tuple[tuple[str, Callable[[KeyRing], Iterable[Finding]]], ...] = (
    ("sealed results", audit_sealed_results),
    ("transparency log and checkpoints", audit_log),
    ("every sealed result is logged", lambda _keyring: audit_sealed_log_records()),
    ("treasury ledger and disbursements", lambda _keyring: audit_treasury()),
    # audit-all (issue 16): every row of power or money against the log.
    ("an empty or wiped database", completeness.audit_not_empty),
    ("votes against their opening, running commitments and seals", votes.audit_votes),
    ("council seats", powers.audit_seats),
    ("administrator and council roles", powers.audit_roles),
    ("motions and their votes", powers.audit_motion_votes),
    ("candidates' nominations", elections.audit_nominations),
    ("called elections and their candidates", elections.audit_called_elections),
    ("recalls of council members", elections.audit_recalls),
    ("community certifications", powers.audit_communities),
    ("charter versions", powers.audit_charter),
    ("charter amendments and the protector's window", amendments.audit_amendments),
    ("result corrections and the motions that decided them", corrections.audit_corrections),
    ("growth-value import batches", growth.audit_growth),
    ("growth entries held for unclaimed owner numbers", growth.audit_held),
    ("treasury transactions", ledger.audit_ledger_txns),
    ("budgets", ledger.audit_budgets),
    ("disbursement approvals", ledger.audit_approvals),
    ("owner-number bindings, transfers, brand contacts", lambda _k: claims.audit_claims()),
    ("secret votes' key ceremony complaints and answers", lambda _k: _ceremonies()),
)


def _ceremonies() -> Iterable[Finding]:
    from app.secret.audit import audit_ceremonies

    return audit_ceremonies()


def run_audit(expected: Sequence[tuple[str, dict[str, Any]]] = ()) -> list[Finding]:
    """Every check's findings; `expected` are (where from, checkpoint) pairs from outside the
    database (`--expect-checkpoint`) that the log must still hold."""
    keyring = KeyRing.from_document(keys.published_keys())
    findings: list[Finding] = []
    for name, check in CHECKS:
        findings.extend(_guarded(name, lambda check=check: check(keyring)))
    findings.extend(_guarded("checkpoints kept outside the database",
                             lambda: completeness.audit_expected(keyring, list(expected))))
    return findings


def _guarded(name: str, check: Callable[[], Iterable[Finding]]) -> list[Finding]:
    """A check's findings; rows so damaged that the check itself fails are a finding too,
    never a traceback that stops the other checks. Each check runs under a savepoint, so a
    statement the database refused leaves the audit's transaction usable."""
    found: list[Finding] = []
    try:
        with db.session.begin_nested():
            found.extend(check())
    except Exception as exc:  # noqa: BLE001 - any failure is reported as what it is
        found.append(Finding(name, f"could not be checked, the rows are damaged: {exc}"))
    return found
