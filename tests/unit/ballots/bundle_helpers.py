"""Builds a small real bundle (generated key, real roll and ballots) for the ballots tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from log_helpers import write_log_files

from ballots import (
    AcceptedBallot,
    SigningKey,
    VoteSpec,
    build_receipt,
    canonical_bytes,
    keys_document,
    seal,
    voter_token,
)

SECRET = b"unit-test token secret, 32+ bytes long"
TRUST = "Test Owners' Trust"
OPENS, CLOSES, SEALED = "2026-11-20T00:00:00Z", "2026-11-23T11:00:00Z", "2026-11-23T11:05:00Z"


def binary_spec(**over: Any) -> VoteSpec:
    fields: dict[str, Any] = {
        "id": "charter-2026",
        "title": "Adopt the charter",
        "method": "binary",
        "options": (("yes", "Yes"), ("no", "No"), ("abstain", "Abstain")),
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "weight_rule": "linear",
        "quorum": (1, 10),
        "threshold": (3, 5),
        "seats": 1,
    }
    fields.update(over)
    return VoteSpec(**fields)


@dataclass
class Bundle:
    dir: Path
    key: SigningKey
    result: dict[str, Any]
    roll_lines: list[bytes]
    ballot_lines: list[bytes]
    receipts: list[dict[str, Any]]
    keys_doc: dict[str, Any]
    tokens: list[str] = field(default_factory=list)

    def write(self) -> None:
        (self.dir / "result.json").write_bytes(canonical_bytes(self.result))
        (self.dir / "roll.jsonl").write_bytes(b"".join(self.roll_lines))
        (self.dir / "ballots.jsonl").write_bytes(b"".join(self.ballot_lines))
        (self.dir / "trust-keys.json").write_bytes(canonical_bytes(self.keys_doc))
        write_log_files(self.dir, self.key, self.result)


# owner -> growth value (linear rule: weight = growth value); votes in acceptance order.
WEIGHTS = {1: 400, 2: 250, 3: 100, 4: 50, 5: 200}
VOTES = [(1, ["yes"]), (2, ["no"]), (3, ["abstain"]), (2, ["yes"]), (4, ["no"])]


def make_bundle(
    directory: Path,
    key: SigningKey,
    spec: VoteSpec | None = None,
    votes: list[tuple[int, list[str]]] | None = None,
    weights: dict[int, int] | None = None,
) -> Bundle:
    spec = spec or binary_spec()
    owners = WEIGHTS if weights is None else weights
    roll = {voter_token(SECRET, spec.id, owner): w for owner, w in owners.items()}
    receipts, accepted = [], []
    for n, (owner, selection) in enumerate(votes if votes is not None else VOTES):
        token = voter_token(SECRET, spec.id, owner)
        minute, second = divmod(n, 60)
        cast_at = f"2026-11-21T10:{minute:02d}:{second:02d}Z"
        nonce = f"{n:032x}"
        receipt = key.sign_object(
            build_receipt(spec.id, token, selection, roll[token], cast_at, nonce)
        )
        receipts.append(receipt)
        accepted.append(AcceptedBallot(token, selection, cast_at, receipt["receipt"]))
    sealed = seal(
        key,
        trust=TRUST,
        charter_version=1,
        charter_sha256="ab" * 32,
        spec=spec,
        roll=roll,
        ballots=accepted,
        sealed_at=SEALED,
    )
    keys_doc = keys_document(TRUST, [key.public_entry("2026-01-01T00:00:00Z")])
    bundle = Bundle(
        directory,
        key,
        sealed.result,
        sealed.roll_lines,
        sealed.ballot_lines,
        receipts,
        keys_doc,
        sorted(roll),
    )
    bundle.write()
    return bundle
