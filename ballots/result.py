"""The sealed result object (type "result", format 1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ballots.canonical import canonical_sha256
from ballots.records import is_hex64, parse_time
from ballots.tally import VoteSpec

RESULT_KEYS = frozenset(
    {
        "type",
        "format",
        "trust",
        "charter",
        "proposal",
        "roll",
        "ballots",
        "tally",
        "supersedes",
        "sealed_at",
        "signature",
    }
)
TALLY_KEYS = frozenset({"counted", "counted_weight", "totals", "quorum_met", "outcome", "winners"})


def build_result(
    trust: str,
    charter_version: int,
    charter_sha256: str,
    spec: VoteSpec,
    roll_size: int,
    roll_total_weight: int,
    roll_root_hex: str,
    ballots_size: int,
    ballots_root_hex: str,
    tally: Mapping[str, Any],
    supersedes: str | None,
    sealed_at: str,
) -> dict[str, Any]:
    """The unsigned result; seal it with ``SigningKey.sign_object``."""
    for name, value in (
        ("charter_sha256", charter_sha256),
        ("roll_root_hex", roll_root_hex),
        ("ballots_root_hex", ballots_root_hex),
    ):
        if not is_hex64(value):
            raise ValueError(f"{name} must be 64 lowercase hex characters")
    if supersedes is not None and not is_hex64(supersedes):
        raise ValueError("supersedes must be 64 lowercase hex characters or None")
    if type(charter_version) is not int or charter_version < 1:
        raise ValueError("charter_version must be an integer >= 1")
    if set(tally) != TALLY_KEYS:
        raise ValueError(f"tally must have exactly the members {sorted(TALLY_KEYS)}")
    parse_time(sealed_at)
    return {
        "type": "result",
        "format": 1,
        "trust": trust,
        "charter": {"version": charter_version, "sha256": charter_sha256},
        "proposal": spec.to_json(),
        "roll": {"size": roll_size, "total_weight": roll_total_weight, "root": roll_root_hex},
        "ballots": {"size": ballots_size, "root": ballots_root_hex},
        "tally": dict(tally),
        "supersedes": supersedes,
        "sealed_at": sealed_at,
    }


def result_digest(signed_result: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical bytes of the signed object: the value ``supersedes`` names."""
    if "signature" not in signed_result:
        raise ValueError("result_digest takes the signed result")
    return canonical_sha256(signed_result)
