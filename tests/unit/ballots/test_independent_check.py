"""The independent checker (tests/independent/c2sp_check.mjs, Node's crypto, written from the
C2SP texts alone) agrees with ballots on good, tampered and under-quorum checkpoints."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ballots.checkpoint import Checkpoint, open_checkpoint
from ballots.merkle import MerkleTree
from ballots.note import SIG_COSIGNATURE_V1, Note, NoteError, NoteSigner

CHECKER = Path(__file__).resolve().parents[2] / "independent" / "c2sp_check.mjs"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="needs node")


def independent(note: bytes, log_vkey: str, policy: dict[str, object], tmp: Path) -> str:
    (tmp / "note").write_bytes(note)
    (tmp / "policy.json").write_text(json.dumps(policy))
    assert NODE is not None
    run = subprocess.run(  # noqa: S603 - fixed program and arguments
        [NODE, str(CHECKER), str(tmp / "note"), log_vkey, str(tmp / "policy.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = run.stdout.strip()
    assert (run.returncode == 0) == out.startswith("OK"), out + run.stderr
    return out


def test_independent_checker_agrees(tmp_path: Path) -> None:
    log = NoteSigner.generate("trust.example/log")
    witnesses = [NoteSigner.generate(f"w{i}.example/w", SIG_COSIGNATURE_V1) for i in range(4)]
    tree = MerkleTree.from_leaves(b"%d" % i for i in range(13))
    text = Checkpoint("trust.example/log", 13, tree.root()).text()
    note = Note(text, (log.sign(text),)).with_signatures(
        w.sign(text, 1_790_000_000 + i) for i, w in enumerate(witnesses[:3])
    )
    policy = {"witnesses": [w.verifier.vkey for w in witnesses], "quorum": 3}
    data = note.to_bytes()
    assert independent(data, log.verifier.vkey, policy, tmp_path) == (
        "OK trust.example/log 13 3 cosignatures"
    )
    open_checkpoint(data, [log.verifier], [w.verifier for w in witnesses], 3)

    tampered = data.replace(b"\n13\n", b"\n14\n")
    assert independent(tampered, log.verifier.vkey, policy, tmp_path).startswith("REJECT")
    with pytest.raises(NoteError):
        open_checkpoint(tampered, [log.verifier], [w.verifier for w in witnesses], 3)

    short = Note(text, note.signatures[:3]).to_bytes()
    assert "quorum 3" in independent(short, log.verifier.vkey, policy, tmp_path)
    with pytest.raises(NoteError):
        open_checkpoint(short, [log.verifier], [w.verifier for w in witnesses], 3)
