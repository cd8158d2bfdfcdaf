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
from ballots.keys import SigningKey, keys_document
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
    # A key published that the log never announced.
    published.keys.append(SigningKey.generate().public_entry(T0))
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
