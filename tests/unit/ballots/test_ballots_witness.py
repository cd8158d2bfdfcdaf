"""The tlog-witness over real HTTP: consistency across many appends, forks and rollbacks refused."""

from __future__ import annotations

import random
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ballots.checkpoint import Checkpoint, open_checkpoint
from ballots.merkle import MerkleTree
from ballots.note import SIG_COSIGNATURE_V1, Note, NoteSigner, VerifierKey, parse_note
from ballots.witness import (
    WitnessStore,
    WitnessUnavailable,
    init,
    main,
    make_server,
    origin_hash,
    request_cosignature,
)
from ballots.witnessing import add_checkpoint_request

ORIGIN = "trust.example/log"


class Log:
    """A log as a server would run it: a tree and a signing key."""

    def __init__(self, signer: NoteSigner, seed: bytes = b"") -> None:
        self.signer = signer
        self.tree = MerkleTree()
        self.seed = seed

    def append(self, n: int) -> None:
        for _ in range(n):
            self.tree.append(self.seed + b"leaf %d" % self.tree.size)

    def note(self, size: int | None = None) -> Note:
        size = self.tree.size if size is None else size
        text = Checkpoint(ORIGIN, size, self.tree.root(size)).text()
        return Note(text, (self.signer.sign(text),))

    def proof(self, old: int, size: int | None = None) -> list[bytes]:
        size = self.tree.size if size is None else size
        return self.tree.consistency_proof(old, size)


@pytest.fixture
def log_signer() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


@pytest.fixture
def witness_dir(tmp_path: Path, log_signer: NoteSigner) -> Path:
    init(tmp_path / "w", "witness.example/w1", [log_signer.verifier.vkey])
    return tmp_path / "w"


@pytest.fixture
def server(witness_dir: Path) -> Iterator[str]:
    httpd = make_server(witness_dir, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def post(url: str, body: bytes) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url + "/add-checkpoint", data=body, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def witness_key(witness_dir: Path) -> VerifierKey:
    return WitnessStore(witness_dir).witness.signer.verifier


def test_consistency_across_many_appends(server: str, witness_dir: Path, log_signer: NoteSigner):
    rng = random.Random(20)
    log = Log(log_signer)
    key = witness_key(witness_dir)
    held = 0
    for _ in range(60):
        log.append(rng.choice([0, 1, 1, 2, 3, 7, 16, 33]))
        note = log.note()
        cosig, held = request_cosignature(server, note, held, log.proof, key)
        assert held == log.tree.size
        cosigned = note.with_signatures([cosig])
        opened = open_checkpoint(cosigned.to_bytes(), [log_signer.verifier], [key], 1)
        assert opened.checkpoint.size == log.tree.size
    # The monitoring endpoint serves the last cosigned checkpoint with both signatures.
    with urllib.request.urlopen(f"{server}/{origin_hash(ORIGIN)}/checkpoint") as r:  # noqa: S310
        served = r.read()
    opened = open_checkpoint(served, [log_signer.verifier], [key], 1)
    assert opened.checkpoint.size == log.tree.size
    lines = (witness_dir / "cosigned.log").read_text().splitlines()
    assert len(lines) == 60 and lines[-1].endswith(log.tree.root().hex())


def test_forked_log_is_refused_and_kept_as_evidence(
    server: str, witness_dir: Path, log_signer: NoteSigner
) -> None:
    honest = Log(log_signer)
    honest.append(10)
    key = witness_key(witness_dir)
    _, held = request_cosignature(server, honest.note(), 0, honest.proof, key)
    # The same server keeps a second history from leaf 6 on and shows it to someone else.
    fork = Log(log_signer)
    for i in range(6):
        fork.tree.append(b"leaf %d" % i)
    fork.seed = b"rewritten "
    fork.append(7)
    assert fork.tree.root(6) == honest.tree.root(6)
    # A proof from the fork's own tree does not link the witness's size-10 root to it.
    status, _, body = post(server, add_checkpoint_request(10, fork.proof(10), fork.note()))
    assert status == 422 and b"forked" in body
    with pytest.raises(WitnessUnavailable) as err:
        request_cosignature(server, fork.note(), held, fork.proof, key)
    assert err.value.status == 422
    evidence = list((witness_dir / "evidence").iterdir())
    assert len(evidence) == 2
    assert all(fork.note().to_bytes() in p.read_bytes() for p in evidence)
    # The honest history still gets its cosignature.
    honest.append(5)
    cosig, _ = request_cosignature(server, honest.note(), held, honest.proof, key)
    assert cosig.timestamp


def test_rollback_same_size_fork_and_other_refusals(
    server: str, witness_dir: Path, log_signer: NoteSigner
) -> None:
    log = Log(log_signer)
    log.append(8)
    key = witness_key(witness_dir)
    request_cosignature(server, log.note(), 0, log.proof, key)
    # Rollback: asking to cosign size 5 after 8. The witness names its size (409).
    status, ctype, body = post(server, add_checkpoint_request(0, [], log.note(5)))
    assert (status, ctype, body) == (409, "text/x.tlog.size", b"8\n")
    status, _, _ = post(server, add_checkpoint_request(8, [], log.note(5)))
    assert status == 400  # old size larger than the checkpoint's
    # Same size, other root.
    other = Log(log_signer, b"x")
    other.append(8)
    status, _, _ = post(server, add_checkpoint_request(8, [], other.note()))
    assert status == 422
    # Same size, same root: cosigned again (a fresher statement).
    status, _, body = post(server, add_checkpoint_request(8, [], log.note()))
    assert status == 200 and body.startswith("\u2014 witness.example/w1 ".encode())
    # Unknown origin; a checkpoint the log did not sign; garbage.
    stranger = NoteSigner.generate("other.example/log")
    text = Checkpoint("other.example/log", 0, MerkleTree().root()).text()
    status, _, _ = post(server, add_checkpoint_request(0, [], Note(text, (stranger.sign(text),))))
    assert status == 404
    impostor = NoteSigner.generate(ORIGIN)
    text = log.note().text
    status, _, _ = post(server, add_checkpoint_request(8, [], Note(text, (impostor.sign(text),))))
    assert status == 403
    forged = Note(text, (log_signer.sign(text[:-2] + b"A\n"),))
    status, _, _ = post(server, add_checkpoint_request(8, [], forged))
    assert status == 403
    assert post(server, b"old 8\nnot base64\n\n" + log.note().to_bytes())[0] == 400
    assert post(server, b"hello")[0] == 400
    # A proof on an old size of zero is refused (422).
    log.append(1)
    status, _, _ = post(server, add_checkpoint_request(0, log.proof(8), log.note()))
    assert status == 409  # the size check comes first: it holds 8
    # Nothing refused changed the state.
    with urllib.request.urlopen(f"{server}/{origin_hash(ORIGIN)}/checkpoint") as r:  # noqa: S310
        assert Checkpoint.parse(parse_note(r.read()).text).size == 8


def test_state_survives_restart_and_cli(tmp_path: Path, log_signer: NoteSigner, capsys) -> None:
    directory = tmp_path / "w2"
    vkey_arg = ["--log", log_signer.verifier.vkey]
    assert main(["init", str(directory), "--name", "w.example/2", *vkey_arg]) == 0
    vkey = capsys.readouterr().out.strip()
    key = VerifierKey.parse(vkey)
    assert key.sig_type == SIG_COSIGNATURE_V1
    assert (directory / "witness.key").stat().st_mode & 0o777 == 0o600
    assert main(["init", str(directory), "--name", "w.example/2"]) == 2
    log = Log(log_signer)
    log.append(4)
    store = WitnessStore(directory)
    status, _, _ = store.add_checkpoint(add_checkpoint_request(0, [], log.note()), now=1)
    assert status == 200
    again = WitnessStore(directory)  # a restart: the state is read back from the directory
    status, _, body = again.add_checkpoint(add_checkpoint_request(0, [], log.note()), now=2)
    assert (status, body) == (409, b"4\n")
    assert main(["vkey", str(directory)]) == 0
    assert capsys.readouterr().out.strip() == vkey
