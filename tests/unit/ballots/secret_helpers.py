"""Builds small real format 2 bundles (real keys, DKG, encrypted ballots) for the tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ballots import SigningKey, VoteSpec, keys_document, voter_token
from ballots.secret.ballot import encrypt_ballot
from ballots.secret.bundle import BallotBox, SecretBundle, build_receipt2, bundle_files
from ballots.secret.complaints import Complaint
from ballots.secret.group import Rng
from ballots.secret.trustees import (
    Election,
    TrusteeDealer,
    TrusteeShare,
    decryption_share,
    election_document,
    verify_election,
)

SECRET = b"unit-test token secret, 32+ bytes long"
TRUST = "Test Owners' Trust"
OPENS, CLOSES, SEALED = "2026-11-20T00:00:00Z", "2026-11-23T11:00:00Z", "2026-11-23T11:05:00Z"


def spec_for(method: str = "binary", seats: int = 1, pid: str = "secret-2026") -> VoteSpec:
    options: tuple[tuple[str, str], ...]
    if method == "binary":
        options = (("yes", "Yes"), ("no", "No"), ("abstain", "Abstain"))
    else:
        options = (("ann", "Ann"), ("bo", "Bo"), ("cy", "Cy"), ("di", "Di"))
    return VoteSpec(id=pid, title="A secret vote", method=method, options=options,
                    opens_at=OPENS, closes_at=CLOSES, weight_rule="linear", quorum=(1, 10),
                    threshold=(1, 2), seats=seats)


@dataclass
class Trustees:
    doc: dict[str, Any]
    election: Election
    shares: list[TrusteeShare]


def run_dkg(pid: str, k: int, n: int, rng: Rng,
            complaints: Sequence[tuple[int, int, str]] = ()) -> Trustees:
    """The DKG; each complaint (accuser, dealer, answer) is answered with the true share
    ("valid"), a wrong one ("wrong") or not at all ("none"). Key shares are over QUAL."""
    dealers = [TrusteeDealer.generate(i, k, rng) for i in range(1, n + 1)]
    publics = [d.public(pid, f"Trustee {d.index}", rng) for d in dealers]
    answers = {"valid": lambda d, j: d.share_for(j), "wrong": lambda d, j: d.share_for(j) + 1,
               "none": lambda d, j: None}
    filed = [Complaint(j, i, answers[how](dealers[i - 1], j)) for j, i, how in complaints]
    doc = election_document(pid, k, publics, filed)
    election = verify_election(doc, pid)
    shares = [TrusteeShare.combine(pid, j, [dealers[i - 1].share_for(j)
                                            for i in election.qualified])
              for j in range(1, n + 1)]
    return Trustees(doc, election, shares)


@dataclass
class Built:
    spec: VoteSpec
    trustees: Trustees
    bundle: SecretBundle
    key: SigningKey
    keys_doc: dict[str, Any]
    receipts: list[dict[str, Any]]
    roll: dict[str, int]

    def write(self, path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        for name, data in bundle_files(self.bundle, self.keys_doc).items():
            (path / name).write_bytes(data)
        return path


def build(
    method: str = "binary",
    seats: int = 1,
    votes: Sequence[Sequence[str]] = (("yes",), ("no",), ("yes",), ("abstain",)),
    replace: Sequence[tuple[int, Sequence[str]]] = ((0, ("no",)),),
    k: int = 2,
    n: int = 3,
    share_from: Sequence[int] = (1, 3),
    seed: bytes = b"test vectors",
    pid: str = "secret-2026",
    complaints: Sequence[tuple[int, int, str]] = (),
) -> Built:
    rng = Rng(seed)
    spec = spec_for(method, seats, pid)
    trustees = run_dkg(pid, k, n, rng, complaints)
    roll = {voter_token(SECRET, pid, i): 1000 + 37 * i for i in range(len(votes) + 2)}
    tokens = list(roll)
    box = BallotBox(spec, trustees.election, roll)
    key = SigningKey.from_private_bytes(bytes(range(32)))
    receipts = []
    cast = [(tokens[i], sel) for i, sel in enumerate(votes)]
    cast += [(tokens[i], sel) for i, sel in replace]
    for minute, (token, sel) in enumerate(cast):
        # One ballot a minute from 10:00 (the first 60 keep the times the vectors were made with).
        at = f"2026-11-21T{10 + minute // 60:02d}:{minute % 60:02d}:00Z"
        enc = encrypt_ballot(spec, trustees.election.key, token, sel, rng)
        rec = box.accept(enc.cast, at)
        receipts.append(build_receipt2(key, pid, token, rec["tracker"], at))
    cts, _, _ = box.encrypted_tally()
    shares = [decryption_share(trustees.shares[j - 1], cts, rng) for j in share_from]
    bundle = box.seal(key, trust=TRUST, charter_version=1, charter_sha256="ab" * 32,
                      election_doc=trustees.doc, shares=shares, sealed_at=SEALED)
    keys_doc = keys_document(TRUST, [key.public_entry("2026-01-01T00:00:00Z")])
    return Built(spec, trustees, bundle, key, keys_doc, receipts, roll)
