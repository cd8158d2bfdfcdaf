"""The in-browser recount (static/js/device-recount.js, device-secret.js) in Debian's Chromium
agrees with ``python -m ballots.verify`` on good bundles and on tampered ones: an open vote of
20,000 ballots streamed through the page, and a secret (format 2) vote's encrypted tally."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ballots import (
    AcceptedBallot,
    SigningKey,
    VoteSpec,
    build_receipt,
    keys_document,
    seal,
    voter_token,
)
from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.logproof import check_bundle_in_log
from ballots.merkle import MerkleTree
from ballots.secret.ballot import encrypt_ballot, tracker_of
from ballots.secret.bundle import BallotBox, bundle_files, cast_of
from ballots.secret.group import Rng, base_mul
from ballots.secret.trustees import decryption_share
from ballots.verifier import VerifyFailure
from ballots.verify import verify_any
from tests.unit.ballots.log_helpers import write_log_files
from tests.unit.ballots.secret_helpers import SECRET, build, run_dkg, spec_for

TRUST = "Test Owners' Trust"
SEALED = "2026-11-25T11:05:00Z"
KEY = SigningKey.from_private_bytes(hashlib.sha256(b"device recount test key").digest())
FILES = {
    "result": "result.json", "keys": "trust-keys.json", "log_proof": "log-proof.json",
    "policy": "trust-witnesses.json", "roll": "roll.jsonl", "ballots": "ballots.jsonl",
    "election": "election.json", "tally": "tally.json", "receipt": "receipt.json",
    "receipt_proof": "receipt-proof.json",
}


def python_verdict(folder: Path) -> str | None:
    receipt = folder / "receipt.json"
    report = verify_any(folder, receipt if receipt.exists() else None)
    if not report.ok:
        return report.code
    try:
        check_bundle_in_log(str(folder))
    except VerifyFailure as exc:
        return exc.code
    return None


def browser_verdict(page: Any, folder: Path, all_proofs: bool = False) -> tuple[str | None, str]:
    page.goto("/verify")
    for field, name in FILES.items():
        if (folder / name).exists():
            page.set_input_files(f"input[name={field}]", str(folder / name))
    if all_proofs:
        page.check("input[name=all_proofs]")
    page.get_by_role("button", name="Verify on this device").click()
    status = page.locator("#device-verify-status")
    status.and_(page.locator("[data-ok=true], [data-ok=false]")).wait_for(timeout=300_000)
    lines = page.locator("#device-verify-lines").inner_text()
    if status.get_attribute("data-ok") == "true":
        return None, lines
    return status.get_attribute("data-code"), status.inner_text()


def open_bundle(folder: Path, ballots: int) -> None:
    """A real open-ballot bundle: ballots.jsonl of ``ballots`` lines, some voters changing."""
    spec = VoteSpec(
        id="big-2026", title="A big vote", method="binary",
        options=(("yes", "Yes"), ("no", "No"), ("abstain", "Abstain")),
        opens_at="2026-11-20T00:00:00Z", closes_at="2026-11-25T11:00:00Z",
        weight_rule="linear", quorum=(1, 10), threshold=(3, 5), seats=1,
    )
    owners = ballots * 4 // 5
    roll = {voter_token(b"device recount secret, 32+ bytes", spec.id, i): 100 + (i * 7919) % 5000
            for i in range(owners)}
    tokens = sorted(roll)
    accepted = []
    choices = (["yes"], ["no"], ["abstain"], ["yes"])
    for n in range(ballots):
        token = tokens[(n * 7) % owners]  # past `owners` ballots, voters cast again
        selection = choices[(n * 3 + n // owners) % 4]
        hours, rest = divmod(n, 3600)
        cast_at = f"2026-11-2{1 + hours // 24}T{hours % 24:02d}:{rest // 60:02d}:{rest % 60:02d}Z"
        receipt = build_receipt(spec.id, token, selection, roll[token], cast_at, f"{n:032x}")
        accepted.append(AcceptedBallot(token, selection, cast_at, receipt["receipt"]))
    sealed = seal(KEY, trust=TRUST, charter_version=1, charter_sha256="ab" * 32, spec=spec,
                  roll=roll, ballots=accepted, sealed_at=SEALED)
    folder.mkdir(parents=True)
    (folder / "result.json").write_bytes(canonical_bytes(sealed.result))
    (folder / "roll.jsonl").write_bytes(b"".join(sealed.roll_lines))
    (folder / "ballots.jsonl").write_bytes(b"".join(sealed.ballot_lines))
    keys_doc = keys_document(TRUST, [KEY.public_entry("2026-01-01T00:00:00Z")])
    (folder / "trust-keys.json").write_bytes(canonical_bytes(keys_doc))
    write_log_files(folder, KEY, sealed.result)


def resign(folder: Path, key: SigningKey, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the result and sign it again (a dishonest server holding the key), logged too."""
    result = json.loads((folder / "result.json").read_text())
    change(result)
    result = key.sign_object(result)
    (folder / "result.json").write_bytes(canonical_bytes(result))
    write_log_files(folder, key, result)


def edit_line(folder: Path, name: str, number: int, edit: Callable[[bytes], bytes | None]) -> None:
    lines = (folder / name).read_bytes().splitlines(keepends=True)
    new = edit(lines[number - 1])
    lines[number - 1 : number] = [] if new is None else [new]
    (folder / name).write_bytes(b"".join(lines))


def variant(base: Path, tmp: Path, name: str, tamper: Callable[[Path], None]) -> Path:
    folder = tmp / name
    shutil.copytree(base, folder)
    tamper(folder)
    return folder


def test_open_vote_of_20000_ballots(page: Any, tmp_path: Path) -> None:
    base = tmp_path / "good"
    open_bundle(base, 20_000)
    assert python_verdict(base) is None
    started = time.monotonic()
    code, lines = browser_verdict(page, base)
    seconds = time.monotonic() - started
    assert code is None, lines
    result = json.loads((base / "result.json").read_text())
    assert f"recount: {result['tally']['counted']} counted" in lines
    assert json.dumps(result["tally"]["totals"], separators=(",", ":"), sort_keys=True) in lines
    print(f"\n20,000-ballot open bundle recounted in Chromium in {seconds:.1f} s")

    def choice(folder: Path) -> None:
        edit_line(folder, "ballots.jsonl", 1234, lambda b: b.replace(b'["yes"]', b'["no"]')
                  if b'["yes"]' in b else b.replace(b'["no"]', b'["yes"]'))

    def dropped(folder: Path) -> None:
        edit_line(folder, "ballots.jsonl", 777, lambda b: None)

    def dropped_last(folder: Path) -> None:
        edit_line(folder, "ballots.jsonl", 20_000, lambda b: None)

    def tally(folder: Path) -> None:  # the totals moved and the result signed again
        def change(r: dict[str, Any]) -> None:
            r["tally"]["totals"]["yes"] += 500
            r["tally"]["totals"]["no"] -= 500
        resign(folder, KEY, change)

    def roll(folder: Path) -> None:
        edit_line(folder, "roll.jsonl", 3, lambda b: b.replace(b'"weight":', b'"weight":1', 1))

    expected = {"choice": "ballots.root", "dropped": "ballots.seq", "dropped_last": "ballots.size",
                "tally": "tally.totals", "roll": "roll.total_weight"}
    for name, tamper in (("choice", choice), ("dropped", dropped),
                         ("dropped_last", dropped_last), ("tally", tally), ("roll", roll)):
        folder = variant(base, tmp_path, name, tamper)
        py = python_verdict(folder)
        js, said = browser_verdict(page, folder)
        assert py == expected[name], (name, py)
        assert js == py, (name, py, js, said)


def tracker_proof(folder: Path, tracker: str) -> dict[str, Any]:
    """What GET /results/<id>/proof/<tracker> serves for a format 2 ballot."""
    lines = (folder / "ballots.jsonl").read_bytes().splitlines()
    index = next(i for i, line in enumerate(lines) if tracker.encode() in line)
    tree = MerkleTree.from_leaves(lines)
    leaf = json.loads(lines[index])
    return {"seq": index + 1, "leaf": leaf, "index": index, "size": len(lines),
            "counted": not any(json.loads(x)["token"] == leaf["token"] for x in lines[index + 1:]),
            "root": tree.root().hex(), "path": [h.hex() for h in tree.inclusion_proof(index)]}


@pytest.fixture(scope="module")
def secret_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = build(k=2, n=3, share_from=(1, 3))
    folder = built.write(tmp_path_factory.mktemp("secret") / "good")
    result = json.loads((folder / "result.json").read_text())
    write_log_files(folder, built.key, result)
    receipt = built.receipts[1]
    (folder / "receipt.json").write_bytes(canonical_bytes(receipt))
    (folder / "receipt-proof.json").write_bytes(
        canonical_bytes(tracker_proof(folder, receipt["tracker"])))
    return folder


SECRET_KEY = SigningKey.from_private_bytes(bytes(range(32)))  # secret_helpers.build's key


def test_secret_vote(page: Any, tmp_path: Path, secret_base: Path) -> None:
    assert python_verdict(secret_base) is None
    for all_proofs in (False, True):
        code, lines = browser_verdict(page, secret_base, all_proofs)
        assert code is None, lines
        assert "every ballot's proofs (5) verified" in lines  # 5 ballots: below the sample size
        assert "every decryption proof verified" in lines and "trustees 1, 3" in lines
        assert "inclusion proof verified" in lines

    def other_point(folder: Path) -> dict[str, Any]:
        tally = json.loads((folder / "tally.json").read_text())
        tally["shares"][1]["shares"][0] = base_mul(12345).hex()
        (folder / "tally.json").write_bytes(canonical_bytes(tally))
        return tally

    def share(folder: Path) -> None:
        other_point(folder)

    def share_resigned(folder: Path) -> None:
        tally = other_point(folder)
        resign(folder, SECRET_KEY, lambda r: r["encrypted_tally"].update(
            sha256=canonical_sha256(tally)))

    def total_resigned(folder: Path) -> None:
        def change(r: dict[str, Any]) -> None:
            r["tally"]["totals"]["yes"] += 1
        resign(folder, SECRET_KEY, change)

    def ciphertext(folder: Path) -> None:
        def swap(line: bytes) -> bytes:
            rec = json.loads(line)
            rec["ciphertexts"][0][1] = base_mul(7).hex()
            return canonical_bytes(rec) + b"\n"
        edit_line(folder, "ballots.jsonl", 2, swap)

    def too_few_shares(folder: Path) -> None:
        tally = json.loads((folder / "tally.json").read_text())
        tally["shares"] = tally["shares"][:1]
        (folder / "tally.json").write_bytes(canonical_bytes(tally))
        resign(folder, SECRET_KEY, lambda r: r["encrypted_tally"].update(
            sha256=canonical_sha256(tally)))

    def receipt_time(folder: Path) -> None:
        receipt = json.loads((folder / "receipt.json").read_text())
        receipt["cast_at"] = "2026-11-21T10:59:00Z"
        (folder / "receipt.json").write_bytes(canonical_bytes(receipt))

    def receipt_tracker(folder: Path) -> None:  # signed, but for no ballot on the board
        receipt = json.loads((folder / "receipt.json").read_text())
        receipt["tracker"] = "ab" * 32
        (folder / "receipt.json").write_bytes(canonical_bytes(SECRET_KEY.sign_object(receipt)))

    expected = {"receipt_time": "receipt.bad_signature", "receipt_tracker": "receipt.not_found",
                "share": "tally.sha256", "share_resigned": "tally.share_proof",
                "total_resigned": "tally.totals", "ciphertext": "ballots.root",
                "too_few_shares": "tally.threshold"}
    for name, tamper in (("receipt_time", receipt_time), ("receipt_tracker", receipt_tracker),
                         ("share", share), ("share_resigned", share_resigned),
                         ("total_resigned", total_resigned), ("ciphertext", ciphertext),
                         ("too_few_shares", too_few_shares)):
        folder = variant(secret_base, tmp_path, name, tamper)
        py = python_verdict(folder)
        js, said = browser_verdict(page, folder)
        assert py == expected[name], (name, py)
        assert js == py, (name, py, js, said)


def sampled_bundle(folder: Path, ballots: int, bad_proof_at: int | None = None) -> None:
    """A secret vote with more ballots than the browser samples by default; optionally one
    ballot whose option proof is broken (its tracker, the roots and the signature all fit)."""
    rng = Rng(b"device sample")
    spec = spec_for("approval", 2, "sampled-2026")
    trustees = run_dkg(spec.id, 2, 3, rng)
    roll = {voter_token(SECRET, spec.id, i): 500 + 13 * i for i in range(ballots)}
    box = BallotBox(spec, trustees.election, roll)
    choices = (("ann",), ("bo",), ("ann", "cy"), ("cy",))
    for n, token in enumerate(sorted(roll)):
        at = f"2026-11-21T{10 + n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"
        box.accept(encrypt_ballot(spec, trustees.election.key, token, choices[n % 4], rng).cast, at)
    if bad_proof_at is not None:
        rec = box.records[bad_proof_at - 1]
        c, z = rec["proofs"][0][0]
        rec["proofs"][0][0] = [c, (z[:-2] + ("00" if z[-2:] != "00" else "01"))]
        rec["tracker"] = tracker_of(cast_of(spec.id, rec))
    cts, _, _ = box.encrypted_tally()
    shares = [decryption_share(trustees.shares[j - 1], cts, rng) for j in (2, 3)]
    bundle = box.seal(SECRET_KEY, trust=TRUST, charter_version=1, charter_sha256="ab" * 32,
                      election_doc=trustees.doc, shares=shares, sealed_at=SEALED)
    keys_doc = keys_document(TRUST, [SECRET_KEY.public_entry("2026-01-01T00:00:00Z")])
    folder.mkdir(parents=True)
    for name, data in bundle_files(bundle, keys_doc).items():
        (folder / name).write_bytes(data)
    write_log_files(folder, SECRET_KEY, bundle.result)


def test_secret_vote_sampled_or_in_full(page: Any, tmp_path: Path) -> None:
    good = tmp_path / "good"
    sampled_bundle(good, 230)
    assert python_verdict(good) is None
    code, lines = browser_verdict(page, good)
    assert code is None, lines
    assert "a random sample of 200 of 230 ballots' proofs verified" in lines
    code, lines = browser_verdict(page, good, all_proofs=True)
    assert code is None, lines
    assert "every ballot's proofs (230) verified" in lines
    # One ballot's proof broken: Python and the full check in the browser name it; a sample
    # finds it only when it draws that ballot (200 of 230), and then names it the same way.
    bad = tmp_path / "bad"
    sampled_bundle(bad, 230, bad_proof_at=111)
    assert python_verdict(bad) == "ballots.option_proof"
    assert browser_verdict(page, bad, all_proofs=True)[0] == "ballots.option_proof"
    assert browser_verdict(page, bad)[0] in (None, "ballots.option_proof")


def test_secret_vote_with_key_ceremony_complaints(page: Any, tmp_path: Path) -> None:
    """dkg-complaints: election.json with complaints, answers and QUAL, checked on the device
    as by ballots.verify; a QUAL or an order the complaints do not give is named by both."""
    built = build(k=2, n=3, share_from=(2, 3), complaints=((1, 2, "wrong"), (3, 1, "valid")))
    base = built.write(tmp_path / "good")
    write_log_files(base, built.key, json.loads((base / "result.json").read_text()))
    assert python_verdict(base) is None
    code, lines = browser_verdict(page, base)
    assert code is None, lines
    assert ("2 complaint(s) in the key ceremony, every answer checked: key over qualified "
            "dealers [1, 3], disqualified [2]") in lines

    def election_edit(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
        def tamper(folder: Path) -> None:
            doc = json.loads((folder / "election.json").read_text())
            change(doc)
            (folder / "election.json").write_bytes(canonical_bytes(doc))
            resign(folder, built.key, lambda r: r["election"].update(sha256=canonical_sha256(doc)))
        return tamper

    def requalify(doc: dict[str, Any]) -> None:
        doc["qualified"] = [1, 2, 3]

    def reorder(doc: dict[str, Any]) -> None:
        doc["complaints"].reverse()

    def unanswer(doc: dict[str, Any]) -> None:
        doc["complaints"][0]["share"] = None  # dealer 1 now disqualified too: 1 of 3 < k

    expected = {"requalify": "election.qualified", "reorder": "election.complaints",
                "unanswer": "election.qualified"}
    for name, change in (("requalify", requalify), ("reorder", reorder),
                         ("unanswer", unanswer)):
        folder = variant(base, tmp_path, name, election_edit(change))
        py = python_verdict(folder)
        js, said = browser_verdict(page, folder)
        assert py == expected[name], (name, py)
        assert js == py, (name, py, js, said)
