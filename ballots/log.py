"""Leaves, checkpoints and proof objects of the governance transparency log."""

from __future__ import annotations

from typing import Any

from ballots.records import is_count, is_hex64, parse_time

# Record types the spec names; others are allowed, these are the ones the app should use.
LOG_TYPES = (
    "proposal.opened",
    "result.sealed",
    "council.seat_changed",
    "community.certified",
    "community.revoked",
    "charter.adopted",
    "disbursement.recorded",
    # Added with the witnessed log (docs/verification.md, "What the log records").
    "result.corrected",
    "proposal.submitted",
    "proposal.accepted",
    "proposal.rejected",
    "proposal.withdrawn",
    "income.recorded",
    "ledger.reversed",
    "growth.imported",
    "key.created",
    "key.rotated",
)


def log_leaf(
    index: int,
    type: str,  # noqa: A002 - the spec's field name
    at: str,
    subject: str,
    sha256: str,
    logged_at: str | None = None,
) -> dict[str, Any]:
    """A leaf. ``at`` is the event's own time; ``logged_at``, on leaves appended since the log
    times its appends, is the append time (never before the previous leaf's). Leaves without
    it keep their published form and hash."""
    if not is_count(index):
        raise ValueError("log index is an integer >= 0")
    if not isinstance(type, str) or not type or not isinstance(subject, str) or not subject:
        raise ValueError("log type and subject are non-empty strings")
    if not is_hex64(sha256):
        raise ValueError("sha256 must be 64 lowercase hex characters")
    parse_time(at)
    leaf = {"index": index, "type": type, "at": at, "subject": subject, "sha256": sha256}
    if logged_at is not None:
        parse_time(logged_at)
        leaf["logged_at"] = logged_at
    return leaf


def build_checkpoint(trust: str, size: int, root_hex: str, at: str) -> dict[str, Any]:
    """The unsigned checkpoint; sign it with ``SigningKey.sign_object``."""
    if not is_count(size) or not is_hex64(root_hex):
        raise ValueError("checkpoint needs size >= 0 and a 64-hex root")
    parse_time(at)
    return {"type": "checkpoint", "trust": trust, "size": size, "root": root_hex, "at": at}


def inclusion_proof_object(index: int, size: int, path: list[bytes]) -> dict[str, Any]:
    return {"index": index, "size": size, "path": [p.hex() for p in path]}


def consistency_proof_object(first: int, second: int, path: list[bytes]) -> dict[str, Any]:
    return {"first": first, "second": second, "path": [p.hex() for p in path]}
