"""``python -m ballots.monitor`` against a trust's published files served over real HTTP.

The server here is a plain http.server holding real signed data; the test switches what it
serves (a second history, a silently changed result, an extra key) as a dishonest server would.
"""

from __future__ import annotations

import copy
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.checkpoint import Checkpoint
from ballots.keys import PublicKey, SigningKey, keys_document
from ballots.keysnote import endorsement_statement, sign_keys_note
from ballots.merkle import MerkleTree, leaf_hash
from ballots.monitor import main
from ballots.note import SIG_COSIGNATURE_V1, Note, NoteSigner

ORIGIN = "trust.example/log"
T0 = "2026-01-01T00:00:00Z"


class Published:
    """What a trust serves: leaves with their records, a cosigned checkpoint, results, keys."""

    def __init__(self) -> None:
        self.key = SigningKey.generate()
        self.keys = [self.key.public_entry(T0)]
        self.witnesses = [
            NoteSigner.generate(f"w{i}.example/w", SIG_COSIGNATURE_V1) for i in range(3)
        ]
        self.quorum = 2
        self.cosigners = 2
        self.leaves: list[dict[str, Any]] = []
        self.records: list[Any] = []
        self.results: dict[str, Any] = {}
        self.signers = [self.key]
        self.batched = True  # serves /log/records (False: a server from before it)
        self.keys_note = True
        self.requests: list[str] = []

    def rotate(self, when: str = "2026-01-01T00:30:00Z") -> PublicKey:
        """A new current key, the old one retired at ``when`` and endorsing the new one."""
        old = self.keys[-1]
        self.keys[-1] = PublicKey(old.raw, old.valid_from, when)
        self.signers.append(SigningKey.generate())
        self.keys.append(self.signers[-1].public_entry(when))
        return self.keys[-1]

    def note(self) -> bytes:
        endorsements = [None] + [
            signer.sign_object(endorsement_statement("Trust", key))
            for signer, key in zip(self.signers, self.keys[1:], strict=False)
        ]
        doc = keys_document("Trust", self.keys)
        return sign_keys_note(doc, endorsements, self.signers[-1], ORIGIN)

    def append(self, type_: str, subject: str, record: Any, minute: int) -> None:
        at = f"2026-01-01T00:{minute:02d}:00Z"
        leaf = {
            "index": len(self.leaves), "type": type_, "at": at, "logged_at": at,
            "subject": subject, "sha256": canonical_sha256(record),
        }
        self.leaves.append(leaf)
        self.records.append(record)

    def seal(self, proposal: str, minute: int, reason: str | None = None) -> str:
        previous = self.results.get(proposal)
        result = self.key.sign_object({
            "type": "result", "proposal": {"id": proposal}, "n": minute,
            "supersedes": canonical_sha256(previous) if previous else None,
            "sealed_at": f"2026-01-01T00:{minute:02d}:00Z",
        })
        self.append("result.sealed", proposal, result, minute)
        self.results[proposal] = result
        digest = canonical_sha256(result)
        if reason is not None:
            self.append("result.corrected", proposal, {
                "type": "result.corrected", "proposal": proposal, "digest": digest,
                "supersedes": result["supersedes"], "reason": reason,
            }, minute)
        return digest

    def tree(self) -> MerkleTree:
        return MerkleTree.from_leaf_hashes(leaf_hash(canonical_bytes(x)) for x in self.leaves)

    def checkpoint(self) -> bytes:
        tree = self.tree()
        text = Checkpoint(ORIGIN, tree.size, tree.root()).text()
        note = Note(text, (self.key.note_signer(ORIGIN).sign(text),))
        cosigs = [w.sign(text, 1_790_000_000) for w in self.witnesses[: self.cosigners]]
        return note.with_signatures(cosigs).to_bytes()

    def route(self, path: str, query: dict[str, str]) -> tuple[int, bytes]:
        self.requests.append(path)
        if path == "/.well-known/trust-keys.note" and self.keys_note:
            return 200, self.note()
        if path == "/log/records" and self.batched:
            start, end = int(query["start"]), int(query["end"])
            return 200, b"[" + b",".join(map(canonical_bytes, self.records[start:end])) + b"]"
        if path == "/log/checkpoint.txt":
            return 200, self.checkpoint()
        if path == "/.well-known/trust-keys.json":
            return 200, json.dumps(keys_document("Trust", self.keys)).encode()
        if path == "/.well-known/trust-witnesses.json":
            policy = {"witnesses": [w.verifier.vkey for w in self.witnesses], "quorum": self.quorum}
            return 200, json.dumps(policy).encode()
        if path == "/log/entries":
            return 200, json.dumps(self.leaves[int(query["start"]) : int(query["end"])]).encode()
        if path.startswith("/log/record/"):
            return 200, canonical_bytes(self.records[int(path.rsplit("/", 1)[1])])
        if path == "/log/proof/consistency":
            proof = self.tree().consistency_proof(int(query["first"]), int(query["second"]))
            return 200, json.dumps({"path": [h.hex() for h in proof]}).encode()
        if path.startswith("/results/") and path.endswith("/result.json"):
            proposal = urllib.parse.unquote(path.split("/")[2])
            return 200, canonical_bytes(self.results[proposal])
        return 404, b"{}"


@pytest.fixture
def trust() -> Iterator[tuple[Published, str]]:
    published = Published()
    holder = {"p": published}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            status, body = holder["p"].route(parts.path, query)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    published.holder = holder  # type: ignore[attr-defined]
    yield published, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def monitor(url: str, state: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main([url, "--state", str(state)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_honest_log_then_alarms(trust, tmp_path: Path, capsys) -> None:
    published, url = trust
    state = tmp_path / "m"
    published.append("proposal.opened", "p1", {"type": "proposal.opened", "id": "p1"}, 1)
    published.seal("p1", 2)
    code, out = monitor(url, state, capsys)
    assert code == 0, out
    assert "size 2" in out
    for i in range(1500):  # more than one page of entries
        published.append("income.recorded", f"income:{i}", {"n": i}, 3)
    published.seal("p2", 4)
    digest = published.seal("p1", 5, reason="a ballot was counted twice")
    code, out = monitor(url, state, capsys)
    assert code == 0, out
    saved = json.loads((state / "monitor.json").read_text())
    assert saved["leaves"]["results"]["p1"] == digest

    # A silent correction: the server swaps the served result without a logged one.
    honest = published.results["p1"]
    published.results["p1"] = published.key.sign_object({**honest, "n": 99})
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[result.silent_correction]" in out and "p1" in out
    assert list((state / "alarms").iterdir())
    published.results["p1"] = honest
    assert monitor(url, state, capsys)[0] == 0

    # Too few cosignatures.
    published.cosigners = 1
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[checkpoint.quorum]" in out
    published.cosigners = 2


def test_forked_history_from_the_same_server(trust, tmp_path: Path, capsys) -> None:
    published, url = trust
    state = tmp_path / "m"
    for i in range(7):
        published.append("income.recorded", f"income:{i}", {"n": i}, i)
    assert monitor(url, state, capsys)[0] == 0
    # The server shows this reader another history: leaf 3 rewritten, then grown.
    fork = copy.deepcopy(published)
    fork.records[3] = {"n": "rewritten"}
    fork.leaves[3]["sha256"] = canonical_sha256(fork.records[3])
    fork.append("income.recorded", "income:7", {"n": 7}, 8)
    published.holder["p"] = fork
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[log.fork]" in out
    # Same size, another root.
    fork.leaves.pop()
    fork.records.pop()
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[log.fork]" in out
    # Rollback.
    shorter = copy.deepcopy(published)
    shorter.leaves.pop()
    shorter.records.pop()
    published.holder["p"] = shorter
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[log.rollback]" in out
    # The honest view is still fine.
    published.holder["p"] = published
    assert monitor(url, state, capsys)[0] == 0


def test_leaf_level_alarms(trust, tmp_path: Path, capsys) -> None:
    published, url = trust
    state = tmp_path / "m"
    published.seal("p1", 1)
    assert monitor(url, state, capsys)[0] == 0
    # A correction with no reason logged.
    published.seal("p1", 2)
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[result.correction]" in out
    published.append("result.corrected", "p1", {
        "type": "result.corrected", "proposal": "p1", "reason": "recount",
        "digest": canonical_sha256(published.results["p1"]),
    }, 2)
    assert monitor(url, state, capsys)[0] == 0
    # A key published (signed and endorsed) that the log never announced.
    published.rotate()
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[keys.unlogged]" in out
    new = published.keys[-1]
    published.append("key.created", new.key_id, {
        "type": "key.created", "key_id": new.key_id, "public_key": new.public_key_b64,
    }, 3)
    assert monitor(url, state, capsys)[0] == 0
    # A record that is not what its leaf committed to.
    published.append("income.recorded", "income:1", {"n": 1}, 4)
    published.records[-1] = {"n": 2}
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[leaf.record]" in out
    published.records[-1] = {"n": 1}
    # Time going backwards.
    published.append("income.recorded", "income:2", {"n": 2}, 0)
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[leaf.time]" in out


def test_records_in_batches_or_one_by_one(trust, tmp_path: Path, capsys) -> None:
    published, url = trust
    for i in range(600):
        published.append("income.recorded", f"income:{i}", {"n": i}, 1)
    code, out = monitor(url, tmp_path / "a", capsys)
    assert code == 0, out
    assert published.requests.count("/log/records") == 3  # 256 + 256 + 88
    assert not any(p.startswith("/log/record/") for p in published.requests)
    # A server from before the batched endpoint: one request per record, same verdict.
    published.batched = False
    published.requests.clear()
    code, out = monitor(url, tmp_path / "b", capsys)
    assert code == 0, out
    assert sum(p.startswith("/log/record/") for p in published.requests) == 600
    # A batch that leaves a record out is an alarm, not a shorter read.
    published.batched = True
    published.append("income.recorded", "income:x", {"n": "x"}, 2)
    real = published.route

    def short(path: str, query: dict[str, str]) -> tuple[int, bytes]:
        if path == "/log/records":
            return 200, b"[]"
        return real(path, query)

    published.route = short  # type: ignore[method-assign]
    code, out = monitor(url, tmp_path / "a", capsys)
    assert code == 1 and "[log.records]" in out


def test_signed_keys_document(trust, tmp_path: Path, capsys) -> None:
    published, url = trust
    state = tmp_path / "m"
    code, out = monitor(url, state, capsys)
    assert code == 0 and "keys document signed by the current key" in out, out
    # A rotation: the new key endorsed by the old, logged as the app logs it.
    new = published.rotate()
    statement = published.signers[0].sign_object(endorsement_statement("Trust", new))
    published.append("key.rotated", new.key_id, {
        "type": "key.rotated", "key_id": new.key_id, "public_key": new.public_key_b64,
        "previous": published.keys[0].key_id, "endorsement": statement,
    }, 5)
    code, out = monitor(url, state, capsys)
    assert code == 0 and "1 endorsement verified" in out, out
    # The note signed by the retired key instead of the current one.
    honest = published.signers
    published.signers = [honest[0], honest[0]]
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[keys.note_signature]" in out, out
    published.signers = honest
    # trust-keys.json and the note disagree (a key hidden from the JSON readers).
    kept = published.keys
    real = published.route

    def hide(path: str, query: dict[str, str]) -> tuple[int, bytes]:
        if path == "/.well-known/trust-keys.json":
            return 200, json.dumps(keys_document("Trust", kept[:1])).encode()
        return real(path, query)

    published.route = hide  # type: ignore[method-assign]
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[keys.mismatch]" in out, out
    published.route = real  # type: ignore[method-assign]
    # A server that served a signed document may not stop.
    published.keys_note = False
    code, out = monitor(url, state, capsys)
    assert code == 1 and "[keys.unsigned]" in out, out
    published.keys_note = True
    assert monitor(url, state, capsys)[0] == 0


def test_keys_chain_tamperings() -> None:
    from ballots.keysnote import KeysNoteError, open_keys_note

    p = Published()
    p.rotate("2026-01-01T00:30:00Z")
    p.rotate("2026-01-01T01:00:00Z")
    assert "2 endorsements verified" in open_keys_note(p.note(), origin=ORIGIN).summary()
    # Key 3 endorsed by key 1 instead of key 2 (the chain skips a link).
    p.signers[1], saved = p.signers[0], p.signers[1]
    p.signers.append(p.signers.pop())  # keep the current signer last
    try:
        open_keys_note(p.note(), origin=ORIGIN)
    except KeysNoteError as exc:
        assert exc.code == "keys.endorsement", exc
    else:
        raise AssertionError("an endorsement by the wrong key was accepted")
    p.signers[1] = saved
    # A current key that was never retired before the next: refused.
    p.keys[1] = PublicKey(p.keys[1].raw, p.keys[1].valid_from, None)
    try:
        open_keys_note(p.note(), origin=ORIGIN)
    except KeysNoteError as exc:
        assert exc.code == "keys.endorsement", exc
    else:
        raise AssertionError("a chain through a key never retired was accepted")
