"""Sealing in one call: roll + accepted ballots in order -> JSONL lines and a signed result.

Pure: the caller decides where the lines go (files, HTTP responses, database blobs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ballots.keys import SigningKey
from ballots.merkle import MerkleStream
from ballots.records import ballot_record, jsonl_line, roll_record
from ballots.result import build_result
from ballots.roll import Roll
from ballots.tally import Tally, TallyError, VoteSpec


@dataclass(frozen=True)
class AcceptedBallot:
    """A ballot as accepted at casting time, before seq numbers exist."""

    token: str
    selection: Sequence[str]
    cast_at: str
    receipt: str


@dataclass(frozen=True)
class SealedBundle:
    result: dict[str, Any]
    roll_lines: list[bytes]
    ballot_lines: list[bytes]


def seal(
    key: SigningKey,
    *,
    trust: str,
    charter_version: int,
    charter_sha256: str,
    spec: VoteSpec,
    roll: Mapping[str, int],
    ballots: Iterable[AcceptedBallot],
    sealed_at: str,
    supersedes: str | None = None,
) -> SealedBundle:
    """Number ballots 1..n in acceptance order, build both trees, count, sign."""
    index = Roll.from_mapping(roll)
    roll_lines: list[bytes] = []
    roll_tree = MerkleStream()
    for i in range(len(index)):
        line = jsonl_line(roll_record(index.token_at(i), index.weight_at(i)))
        roll_lines.append(line)
        roll_tree.append(line[:-1])
    tally = Tally(spec, index)
    ballot_lines: list[bytes] = []
    ballot_tree = MerkleStream()
    for seq, b in enumerate(ballots, start=1):
        weight = index.weight_of(b.token)
        if weight is None:
            raise TallyError("token", f"ballot {seq}: token {b.token} is not on the roll")
        record = ballot_record(seq, b.token, b.selection, weight, b.cast_at, b.receipt)
        tally.add(record)
        line = jsonl_line(record)
        ballot_lines.append(line)
        ballot_tree.append(line[:-1])
    result = build_result(
        trust,
        charter_version,
        charter_sha256,
        spec,
        len(index),
        index.total_weight,
        roll_tree.root().hex(),
        ballot_tree.size,
        ballot_tree.root().hex(),
        tally.result(),
        supersedes,
        sealed_at,
    )
    return SealedBundle(key.sign_object(result), roll_lines, ballot_lines)
