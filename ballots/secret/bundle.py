"""Format 2 records and sealing: roll.jsonl, ballots.jsonl, election.json, tally.json, result.

Pure: callers decide where the bytes go. Byte-for-byte definitions: docs/verification.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ballots.canonical import canonical_sha256
from ballots.keys import SigningKey
from ballots.merkle import MerkleStream
from ballots.records import is_hex64, jsonl_line, parse_time, roll_record
from ballots.roll import Roll
from ballots.secret.ballot import BallotChecker, BallotError, tracker_of
from ballots.secret.tally import WeightedSum, decrypt_totals
from ballots.secret.trustees import (
    Election,
    TrusteeError,
    check_decryption_share,
    combine_shares,
)
from ballots.tally import VoteSpec, compute_outcome

BALLOT2_KEYS = frozenset(
    {"seq", "token", "ciphertexts", "proofs", "sum_proof", "cast_at", "tracker"}
)
RESULT2_KEYS = frozenset(
    {
        "type",
        "format",
        "trust",
        "charter",
        "proposal",
        "roll",
        "ballots",
        "election",
        "encrypted_tally",
        "tally",
        "supersedes",
        "sealed_at",
        "signature",
    }
)
TALLY_DOC_KEYS = frozenset({"type", "format", "proposal", "ciphertexts", "shares"})
RECEIPT2_KEYS = frozenset(
    {"type", "format", "proposal", "token", "tracker", "cast_at", "signature"}
)


def ballot_record2(seq: int, cast: Mapping[str, Any], cast_at: str) -> dict[str, Any]:
    """The ballots.jsonl record of an accepted cast object."""
    parse_time(cast_at)
    return {
        "seq": seq,
        "token": cast["token"],
        "ciphertexts": cast["ciphertexts"],
        "proofs": cast["proofs"],
        "sum_proof": cast["sum_proof"],
        "cast_at": cast_at,
        "tracker": tracker_of(cast),
    }


def cast_of(proposal_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The cast object a ballots.jsonl record was made from (its tracker's preimage)."""
    return {
        "proposal": proposal_id,
        "token": record["token"],
        "ciphertexts": record["ciphertexts"],
        "proofs": record["proofs"],
        "sum_proof": record["sum_proof"],
    }


def build_receipt2(
    key: SigningKey, proposal_id: str, token: str, tracker: str, cast_at: str
) -> dict[str, Any]:
    """Signed at cast time; holds the tracker and no choice."""
    if not is_hex64(tracker) or not is_hex64(token):
        raise ValueError("token and tracker are 64 lowercase hex characters")
    parse_time(cast_at)
    return key.sign_object(
        {
            "type": "receipt",
            "format": 2,
            "proposal": proposal_id,
            "token": token,
            "tracker": tracker,
            "cast_at": cast_at,
        }
    )


def tally_document(
    proposal_id: str, cts: Sequence[tuple[bytes, bytes]], shares: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    return {
        "type": "tally",
        "format": 2,
        "proposal": proposal_id,
        "ciphertexts": [[a.hex(), b.hex()] for a, b in cts],
        "shares": sorted((dict(s) for s in shares), key=lambda s: int(s["trustee"])),
    }


@dataclass(frozen=True)
class SecretBundle:
    result: dict[str, Any]
    election: dict[str, Any]
    tally: dict[str, Any]
    roll_lines: list[bytes]
    ballot_lines: list[bytes]


class BallotBox:
    """Accepts cast objects in order (checking every proof) and keeps the encrypted count."""

    def __init__(self, spec: VoteSpec, election: Election, roll: Mapping[str, int]) -> None:
        self.spec = spec
        self.election = election
        self.roll = Roll.from_mapping(roll)
        self.checker = BallotChecker(spec, election.key)
        self._opens, self._closes = parse_time(spec.opens_at), parse_time(spec.closes_at)
        self.records: list[dict[str, Any]] = []
        self._last: dict[str, int] = {}  # token -> index in records of its counting ballot
        self._cts: list[list[tuple[bytes, bytes]]] = []

    def accept(self, cast: Mapping[str, Any], cast_at: str) -> dict[str, Any]:
        """Check and record one ballot; returns its record (whose tracker goes in the receipt)."""
        cts = self.checker.check_cast(dict(cast))
        if self.roll.weight_of(cast["token"]) is None:
            raise BallotError("token", "token is not on the roll")
        if not self._opens <= parse_time(cast_at) < self._closes:
            raise BallotError("cast_at", "cast outside the voting period")
        record = ballot_record2(len(self.records) + 1, cast, cast_at)
        self._last[record["token"]] = len(self.records)
        self.records.append(record)
        self._cts.append(cts)
        return record

    def encrypted_tally(self) -> tuple[list[tuple[bytes, bytes]], int, int]:
        """(tally ciphertexts, counted ballots, counted weight)."""
        acc = WeightedSum(len(self.spec.option_ids))
        counted_weight = 0
        for token, i in self._last.items():
            weight = self.roll.weight_of(token)
            assert weight is not None
            acc.add(self._cts[i], weight)
            counted_weight += weight
        return acc.ciphertexts(), len(self._last), counted_weight

    def seal(
        self,
        key: SigningKey,
        *,
        trust: str,
        charter_version: int,
        charter_sha256: str,
        election_doc: Mapping[str, Any],
        shares: Sequence[Mapping[str, Any]],
        sealed_at: str,
        supersedes: str | None = None,
    ) -> SecretBundle:
        """Check the trustees' shares, decrypt the totals, build and sign the result."""
        cts, counted, counted_weight = self.encrypted_tally()
        checked: dict[int, list[bytes]] = {}
        for entry in shares:
            j, ds = check_decryption_share(self.election, entry, cts)
            if j in checked:
                raise TrusteeError("share_record", f"two share entries from trustee {j}")
            checked[j] = ds
        plain = combine_shares(self.election.threshold, checked, cts)
        totals = dict(zip(self.spec.option_ids, decrypt_totals(plain, counted_weight),
                          strict=True))
        outcome = compute_outcome(self.spec, totals, counted_weight, self.roll.total_weight)
        roll_lines: list[bytes] = []
        roll_tree = MerkleStream()
        for i in range(len(self.roll)):
            line = jsonl_line(roll_record(self.roll.token_at(i), self.roll.weight_at(i)))
            roll_lines.append(line)
            roll_tree.append(line[:-1])
        ballot_lines = [jsonl_line(r) for r in self.records]
        ballot_tree = MerkleStream()
        for line in ballot_lines:
            ballot_tree.append(line[:-1])
        tally_doc = tally_document(self.spec.id, cts, shares)
        result = {
            "type": "result",
            "format": 2,
            "trust": trust,
            "charter": {"version": charter_version, "sha256": charter_sha256},
            "proposal": self.spec.to_json(),
            "roll": {"size": len(self.roll), "total_weight": self.roll.total_weight,
                     "root": roll_tree.root().hex()},
            "ballots": {"size": ballot_tree.size, "root": ballot_tree.root().hex()},
            "election": election_summary(election_doc),
            "encrypted_tally": {"sha256": canonical_sha256(tally_doc)},
            "tally": {
                "counted": counted,
                "counted_weight": counted_weight,
                "totals": totals,
                "quorum_met": outcome.quorum_met,
                "outcome": outcome.outcome,
                "winners": outcome.winners,
            },
            "supersedes": supersedes,
            "sealed_at": sealed_at,
        }
        return SecretBundle(key.sign_object(result), dict(election_doc), tally_doc, roll_lines,
                            ballot_lines)


def election_summary(election_doc: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "sha256": canonical_sha256(dict(election_doc)),
        "key": election_doc["key"],
        "threshold": election_doc["threshold"],
        "trustees": len(election_doc["trustees"]),
    }


def bundle_files(bundle: SecretBundle, keys_document: Mapping[str, Any]) -> dict[str, bytes]:
    """File name -> bytes of a format 2 bundle directory (result.json etc. end in a newline)."""
    from ballots.canonical import canonical_bytes

    return {
        "result.json": canonical_bytes(bundle.result) + b"\n",
        "election.json": canonical_bytes(bundle.election) + b"\n",
        "tally.json": canonical_bytes(bundle.tally) + b"\n",
        "trust-keys.json": canonical_bytes(dict(keys_document)) + b"\n",
        "roll.jsonl": b"".join(bundle.roll_lines),
        "ballots.jsonl": b"".join(bundle.ballot_lines),
    }
