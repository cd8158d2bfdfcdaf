"""Format 2 bundles end to end: ballots.verify and the independent verifier agree."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.merkle import MerkleTree
from ballots.secret.ballot import tracker_of
from ballots.secret.bundle import build_receipt2, cast_of
from ballots.secret.group import L, Rng, add, base_mul, mul, scalar_from_hex
from ballots.secret.trustees import decryption_share
from ballots.verify import verify_any
from tests.unit.ballots import independent_format2
from tests.unit.ballots.secret_helpers import Built, build

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def built() -> Built:
    return build()


@pytest.fixture(scope="module")
def clean(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built.write(tmp_path_factory.mktemp("secret") / "bundle")


def _both(path: Path, workers: int = 1) -> tuple[bool, str | None, str | None]:
    report = verify_any(path, workers=workers)
    independent = independent_format2.verify(path)
    return report.ok, report.code, independent


def test_valid_bundles_pass_both(clean: Path) -> None:
    ok, code, independent = _both(clean)
    assert ok and code is None and independent is None
    approval = build("approval", 2, votes=(("ann",), ("bo", "cy"), ("di", "ann"), ("cy",)),
                     replace=((1, ("di",)),), k=3, n=4, share_from=(1, 2, 3, 4))
    path = approval.write(clean.parent / "approval")
    assert _both(path) == (True, None, None)
    assert approval.bundle.result["tally"]["totals"] == {"ann": 1000 + 1074, "bo": 0,
                                                         "cy": 1111, "di": 1037 + 1074}


def test_parallel_run_and_cli_with_receipt(built: Built, clean: Path, tmp_path: Path) -> None:
    assert verify_any(clean, workers=2).ok
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(canonical_bytes(built.receipts[-1]))
    run = subprocess.run([sys.executable, "-m", "ballots.verify", str(clean), "--skip-log",
                          "--receipt",
                          str(receipt), "--workers", "2"], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "every tracker and proof verified" in run.stdout
    assert f"receipt {built.receipts[-1]['tracker']}: ballot seq 5, counts" in run.stdout
    first = tmp_path / "first.json"
    first.write_bytes(canonical_bytes(built.receipts[0]))
    report = verify_any(clean, first)
    assert report.ok and report.receipt_seq == 1
    assert "replaced by a later ballot" in report.summary()
    forged = dict(built.receipts[0], tracker="00" * 32)
    first.write_bytes(canonical_bytes(forged))
    assert verify_any(clean, first).code == "receipt.bad_signature"
    r0 = built.receipts[0]
    moved = build_receipt2(built.key, r0["proposal"], r0["token"], r0["tracker"],
                           "2026-11-22T00:00:00Z")
    first.write_bytes(canonical_bytes(moved))
    assert verify_any(clean, first).code == "receipt.leaf"
    absent = build_receipt2(built.key, r0["proposal"], r0["token"], "ee" * 32, r0["cast_at"])
    first.write_bytes(canonical_bytes(absent))
    assert verify_any(clean, first).code == "receipt.not_found"


def _reseal(built: Built, src: Path, dst: Path, *, ballots: Callable[[list[dict[str, Any]]],
            None] | None = None, tally: Callable[[dict[str, Any]], None] | None = None,
            result: Callable[[dict[str, Any]], None] | None = None,
            keep_tracker: bool = False) -> Path:
    """Copy a bundle, change it, and make every digest and the signature fit the change again,
    so that only the check aimed at can catch it."""
    shutil.copytree(src, dst)
    records = [json.loads(line) for line in (dst / "ballots.jsonl").read_bytes().splitlines()]
    if ballots is not None:
        ballots(records)
        if not keep_tracker:
            for rec in records:
                rec["tracker"] = tracker_of(cast_of(built.spec.id, rec))
    lines = [canonical_bytes(r) for r in records]
    (dst / "ballots.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    tally_doc = json.loads((dst / "tally.json").read_bytes())
    if tally is not None:
        tally(tally_doc)
    (dst / "tally.json").write_bytes(canonical_bytes(tally_doc) + b"\n")
    res = {k: v for k, v in json.loads((dst / "result.json").read_bytes()).items()
           if k != "signature"}
    res["ballots"] = {"size": len(lines), "root": MerkleTree.from_leaves(lines).root().hex()}
    res["encrypted_tally"] = {"sha256": canonical_sha256(tally_doc)}
    if result is not None:
        result(res)
    (dst / "result.json").write_bytes(canonical_bytes(built.key.sign_object(res)) + b"\n")
    return dst


def _encrypt_two(built: Built, rec: dict[str, Any]) -> None:
    key = built.trustees.election.key
    r = 12345
    rec["ciphertexts"][0] = [base_mul(r).hex(), add(base_mul(2), mul(r, key)).hex()]


def _swap_proofs(records: list[dict[str, Any]]) -> None:
    for name in ("ciphertexts", "proofs", "sum_proof"):
        records[1][name], records[2][name] = records[2][name], records[1][name]


def _foreign_vote(built: Built) -> Callable[[list[dict[str, Any]]], None]:
    from ballots.secret.ballot import encrypt_ballot
    from tests.unit.ballots.secret_helpers import spec_for

    other = spec_for(pid="another-vote")
    cast = encrypt_ballot(other, built.trustees.election.key, "00" * 32, ["yes"], Rng(b"f")).cast

    def apply(records: list[dict[str, Any]]) -> None:
        for name in ("ciphertexts", "proofs", "sum_proof"):
            records[2][name] = cast[name]
    return apply


def _bad_point(records: list[dict[str, Any]]) -> None:
    records[0]["ciphertexts"][1][1] = "ecff" + "ff" * 29 + "7f"


def _big_scalar(records: list[dict[str, Any]]) -> None:
    c = scalar_from_hex(records[3]["proofs"][2][1][1])
    records[3]["proofs"][2][1][1] = (c + L).to_bytes(32, "little").hex()


def _wrong_share(built: Built) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        doc["shares"][1]["shares"][0] = base_mul(99).hex()
    return apply


def _too_few_shares(doc: dict[str, Any]) -> None:
    del doc["shares"][0]


def _share_from_outsider(built: Built) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        from ballots.secret.trustees import TrusteeShare

        cts = [(bytes.fromhex(a), bytes.fromhex(b)) for a, b in doc["ciphertexts"]]
        fake = TrusteeShare(built.spec.id, 2, 424242)
        doc["shares"] = sorted([doc["shares"][0], decryption_share(fake, cts, Rng(b"o"))],
                               key=lambda s: s["trustee"])
    return apply


def _totals(res: dict[str, Any]) -> None:
    totals = res["tally"]["totals"]
    totals["yes"], totals["no"] = totals["no"], totals["yes"]
    res["tally"]["outcome"], res["tally"]["winners"] = "passed", ["yes"]


def _tally_ciphertext(doc: dict[str, Any]) -> None:
    doc["ciphertexts"][0], doc["ciphertexts"][1] = doc["ciphertexts"][1], doc["ciphertexts"][0]


CASES: dict[str, tuple[str, Callable[[Built], dict[str, Any]]]] = {
    "a 2 in an option": ("ballots.option_proof",
                         lambda b: {"ballots": lambda r: _encrypt_two(b, r[1])}),
    "proof copied from another token": ("ballots.option_proof",
                                        lambda b: {"ballots": _swap_proofs}),
    "ballot copied from another vote": ("ballots.option_proof",
                                        lambda b: {"ballots": _foreign_vote(b)}),
    "point off the group": ("ballots.point", lambda b: {"ballots": _bad_point}),
    "non-canonical scalar": ("ballots.proof_format", lambda b: {"ballots": _big_scalar}),
    "tracker altered": ("ballots.tracker", lambda b: {
        "ballots": lambda r: r[0].update(tracker="ab" * 32), "keep_tracker": True}),
    "share with a wrong proof": ("tally.share_proof", lambda b: {"tally": _wrong_share(b)}),
    "share made with an invented secret": ("tally.share_proof",
                                           lambda b: {"tally": _share_from_outsider(b)}),
    "fewer than k shares": ("tally.threshold", lambda b: {"tally": _too_few_shares}),
    "totals swapped": ("tally.totals", lambda b: {"result": _totals}),
    "tally ciphertexts altered": ("tally.ciphertexts", lambda b: {"tally": _tally_ciphertext}),
    "replaced ballot dropped": ("tally.ciphertexts", lambda b: {"ballots": lambda r: r.pop()}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_tampered_bundle_fails_both(built: Built, clean: Path, tmp_path: Path,
                                         case: str) -> None:
    code, change = CASES[case]
    path = _reseal(built, clean, tmp_path / "bundle", **change(built))
    ok, got, independent = _both(path)
    assert not ok and got == code
    assert independent is not None, "the independent verifier accepted a tampered bundle"


def test_unsigned_change_and_election_tampering(built: Built, clean: Path, tmp_path: Path) -> None:
    bad = tmp_path / "unsigned"
    shutil.copytree(clean, bad)
    result = json.loads((bad / "result.json").read_bytes())
    result["tally"]["totals"]["yes"] += 1
    (bad / "result.json").write_bytes(canonical_bytes(result) + b"\n")
    ok, code, independent = _both(bad)
    assert (ok, code) == (False, "result.signature") and independent is not None

    swapped = tmp_path / "election"
    shutil.copytree(clean, swapped)
    election = json.loads((swapped / "election.json").read_bytes())
    election["trustees"][0]["proofs"][1][1] = election["trustees"][0]["proofs"][0][1]
    (swapped / "election.json").write_bytes(canonical_bytes(election) + b"\n")
    ok, code, independent = _both(swapped)
    assert (ok, code) == (False, "election.sha256") and independent is not None


def test_replaced_ballots_stay_published_and_reveal_nothing(built: Built) -> None:
    lines = built.bundle.ballot_lines
    first, last = json.loads(lines[0]), json.loads(lines[-1])
    assert first["token"] == last["token"]
    for rec in (first, last):
        assert set(rec) == {"seq", "token", "ciphertexts", "proofs", "sum_proof", "cast_at",
                            "tracker"}
        assert "weight" not in rec and "selection" not in rec
        assert rec["tracker"] == hashlib.sha256(canonical_bytes(
            cast_of(built.spec.id, rec))).hexdigest()
    receipt = built.receipts[0]
    assert set(receipt) == {"type", "format", "proposal", "token", "tracker", "cast_at",
                            "signature"}
