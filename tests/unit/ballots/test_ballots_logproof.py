"""``python -m ballots.verify`` also checks the result's leaf is in the log under a cosigned
checkpoint: a result served outside the log, or under too few cosignatures, fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bundle_helpers import Bundle, make_bundle
from log_helpers import WITNESSES, log_proof, policy

from ballots.canonical import canonical_bytes
from ballots.keys import SigningKey
from ballots.verify import main


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    (tmp_path / "b").mkdir()
    return make_bundle(tmp_path / "b", SigningKey.generate())


def run(bundle: Bundle, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main([str(bundle.dir), *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_result_in_log_under_cosigned_checkpoint(bundle: Bundle, capsys) -> None:
    code, out = run(bundle, capsys)
    assert code == 0, out
    assert "log: leaf 5 of trust.example/log, under a checkpoint of size 8" in out
    assert "cosigned by 2 witnesses (quorum 2)" in out and "w0.example/w at 1795000000" in out


def write_proof(bundle: Bundle, proof: dict) -> None:
    (bundle.dir / "log-proof.json").write_bytes(canonical_bytes(proof))


def test_result_outside_the_log_fails(bundle: Bundle, capsys) -> None:
    (bundle.dir / "log-proof.json").unlink()
    code, out = run(bundle, capsys)
    assert code == 1 and "[log.missing]" in out
    code, out = run(bundle, capsys, "--skip-log")
    assert code == 0 and "log: NOT checked" in out


def test_leaf_of_another_result_fails(bundle: Bundle, capsys) -> None:
    other = dict(bundle.result, sealed_at="2026-11-23T11:06:00Z")
    write_proof(bundle, log_proof(bundle.key, other))
    code, out = run(bundle, capsys)
    assert code == 1 and "[log.leaf]" in out


def test_too_few_cosignatures_fail(bundle: Bundle, capsys) -> None:
    write_proof(bundle, log_proof(bundle.key, bundle.result, cosigners=1))
    code, out = run(bundle, capsys)
    assert code == 1 and "[log.quorum]" in out


def test_checkpoint_not_signed_by_the_trust_fails(bundle: Bundle, capsys) -> None:
    write_proof(bundle, log_proof(SigningKey.generate(), bundle.result))
    code, out = run(bundle, capsys)
    assert code == 1 and "[log.unverified]" in out


def test_tampered_inclusion_fails(bundle: Bundle, capsys) -> None:
    proof = log_proof(bundle.key, bundle.result)
    proof["inclusion"]["path"][0] = "00" * 32
    write_proof(bundle, proof)
    code, out = run(bundle, capsys)
    assert code == 1 and "[log.inclusion]" in out


def test_readers_own_policy(bundle: Bundle, capsys, tmp_path: Path) -> None:
    mine = tmp_path / "policy.json"
    mine.write_text(json.dumps({**policy(), "quorum": 3}))
    code, out = run(bundle, capsys, "--witnesses", str(mine))
    assert code == 1 and "2 of the required 3" in out
    mine.write_text(json.dumps({"witnesses": [WITNESSES[2].verifier.vkey], "quorum": 1}))
    code, out = run(bundle, capsys, "--witnesses", str(mine))
    assert code == 1 and "[log.quorum]" in out


def test_signed_keys_document_in_the_bundle(bundle: Bundle, capsys) -> None:
    code, out = run(bundle, capsys)
    assert code == 0 and "keys document signed by the current key" in out, out
    note = (bundle.dir / "trust-keys.note").read_bytes()
    # Another key in trust-keys.json than in the signed document.
    keys_doc = json.loads((bundle.dir / "trust-keys.json").read_text())
    other = SigningKey.generate().public_entry("2026-01-01T00:00:00Z").to_entry()
    changed = {**keys_doc, "keys": [*keys_doc["keys"], other]}
    (bundle.dir / "trust-keys.json").write_bytes(canonical_bytes(changed))
    code, out = run(bundle, capsys)
    assert code == 1 and "[keys.mismatch]" in out, out
    (bundle.dir / "trust-keys.json").write_bytes(canonical_bytes(keys_doc))
    # The note's text edited: the current key's signature no longer verifies.
    (bundle.dir / "trust-keys.note").write_bytes(note.replace(b'"trust":"', b'"trust":"X', 1))
    code, out = run(bundle, capsys)
    assert code == 1 and "[keys.note_signature]" in out, out
    # Signed by a key not in the document.
    from ballots.keysnote import sign_keys_note

    (bundle.dir / "trust-keys.note").write_bytes(
        sign_keys_note(keys_doc, [None], SigningKey.generate(), "trust.example/log")
    )
    code, out = run(bundle, capsys)
    assert code == 1 and "[keys.note_signature]" in out, out
    # A directory may leave it out (a server may not): said plainly.
    (bundle.dir / "trust-keys.note").unlink()
    code, out = run(bundle, capsys)
    assert code == 0 and "keys: NOT signed-checked" in out, out
