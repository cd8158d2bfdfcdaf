"""`flask trust audit`: re-verify everything signed or logged against the rows behind it.

Anyone who can edit the database directly (a compromised server, a careless administrator)
cannot also forge the trust's signatures or the roots they cover. Every check recomputes what was
signed or logged from the stored rows and names exactly which row no longer matches.

CHECKS is the one list of what the audit covers; a new kind of record adds its check here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import defer

from app.core.extensions import db
from app.integrity import claims
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
    ("owner-number bindings, transfers, brand contacts", lambda _k: claims.audit_claims()),
)


def run_audit() -> list[Finding]:
    keyring = KeyRing.from_document(keys.published_keys())
    findings: list[Finding] = []
    for _name, check in CHECKS:
        findings.extend(check(keyring))
    return findings
