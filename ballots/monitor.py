"""``python -m ballots.monitor URL --state DIR``: watch a trust's log; exit non-zero on an alarm.

Each run (cron-friendly; one run is one pass) fetches the cosigned checkpoint, checks the log's
signature and the charter's quorum of witness cosignatures, checks it against the last
checkpoint this monitor accepted (a smaller size is a rollback, another root a fork, and a
consistency proof must link them), reads every new leaf and the record it commits to,
recomputes the root from them, and checks what the leaves say against what the server serves:
every sealed result (digest, supersedes chain, the correction's reason), every key, and the
signed keys document (trust-keys.note) with every key's log leaf proved under a cosigned
checkpoint (trust-keys.proof.json). Records are read 256 at a time from /log/records, or
one by one from a server that predates it.

Exit 0: all good (the state advances). Exit 1: an alarm, named on stderr and kept under
``DIR/alarms``; the state does not advance, so the alarm repeats until someone looks. Exit 2:
the server could not be read (no judgement made).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ballots.canonical import CanonicalError, canonical_bytes, canonical_sha256, strict_loads
from ballots.checkpoint import Cosigned, open_checkpoint, parse_witness_policy
from ballots.keys import KeyRing, SignatureError, verify_object
from ballots.keysnote import KeysNoteError, SignedKeys, open_keys_note
from ballots.keysproof import check_keys_proof
from ballots.logwatch import Alarm, LeafChecker, compact_push, compact_root
from ballots.merkle import leaf_hash, verify_consistency
from ballots.note import NoteError, VerifierKey, parse_note

MAX_BODY = 1 << 24
PAGE = 256  # the records endpoint's bound; /log/entries allows more
STATE_FILE = "monitor.json"


class Unreachable(Exception):
    pass


class Fetcher:
    def __init__(self, base: str, timeout: float) -> None:
        parts = urllib.parse.urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {base}")
        self.base = base.rstrip("/")
        self.timeout = timeout

    def raw(self, path: str, missing_ok: bool = False) -> bytes | None:
        url = self.base + path
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as r:  # noqa: S310 - checked
                data = bytes(r.read(MAX_BODY + 1))
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and missing_ok:
                return None
            raise Unreachable(f"{url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise Unreachable(f"{url}: {exc}") from None
        if len(data) > MAX_BODY:
            raise Unreachable(f"{url}: larger than {MAX_BODY} bytes")
        return data

    def json(self, path: str, missing_ok: bool = False) -> Any:
        data = self.raw(path, missing_ok)
        if data is None:
            return None
        try:
            return strict_loads(data.decode("utf-8"))
        except (UnicodeDecodeError, CanonicalError) as exc:
            raise Alarm("server.json", f"{path} is not valid JSON: {exc}") from None


def _log_keys(keys_doc: Any, origin: str) -> tuple[KeyRing, list[VerifierKey]]:
    try:
        ring = KeyRing.from_document(keys_doc)
    except ValueError as exc:
        raise Alarm("keys.document", f"trust-keys.json invalid: {exc}") from None
    return ring, [VerifierKey(origin, 0x01, k.raw) for k in ring.entries()]


def _records(fetch: Fetcher, start: int, end: int) -> list[Any]:
    """Records start..end-1: one request to /log/records, or one per record from a server
    that predates it (it answers 404)."""
    batch = fetch.json(f"/log/records?start={start}&end={end}", missing_ok=True)
    if batch is None:
        return [fetch.json(f"/log/record/{index}") for index in range(start, end)]
    if type(batch) is not list or len(batch) != end - start:
        raise Alarm("log.records", f"records {start}..{end} not served in full")
    return batch


def _keys_note(fetch: Fetcher, keys_doc: Any, origin: str, required: bool, seen: list[str]) -> (
    SignedKeys | None
):
    """The signed keys document must match trust-keys.json; once a server has served one, it
    may not stop (that would hide a key from readers who check the signature)."""
    data = fetch.raw("/.well-known/trust-keys.note", missing_ok=True)
    if data is None:
        if required:
            raise Alarm("keys.unsigned", "the server stopped serving its signed keys document")
        seen.append("keys document not signed (the server predates trust-keys.note)")
        return None
    try:
        signed = open_keys_note(data, served=keys_doc, origin=origin)
    except KeysNoteError as exc:
        raise Alarm(exc.code, f"trust-keys.note: {exc}") from None
    seen.append(signed.summary())
    return signed


def _keys_witnessed(
    fetch: Fetcher,
    signed: SignedKeys,
    policy: Any,
    required: bool,
    seen: list[str],
    pending: list[str],
) -> bool:
    """Every key's log record under a checkpoint the witnesses cosigned (trust-keys.proof.json);
    once served, it may not stop. A key logged after the last cosigned checkpoint is pending."""
    doc = fetch.json("/.well-known/trust-keys.proof.json", missing_ok=True)
    if doc is None:
        if required:
            raise Alarm("keys.unwitnessed", "the server stopped proving its keys are in the log")
        seen.append("keys not proved in the witnessed log (the server predates trust-keys.proof)")
        return False
    try:
        seen.append(check_keys_proof(doc, signed, *parse_witness_policy(policy), pending))
    except KeysNoteError as exc:
        raise Alarm(exc.code, f"trust-keys.proof.json: {exc}") from None
    except NoteError as exc:
        raise Alarm("policy.format", f"trust-witnesses.json invalid: {exc}") from None
    return True


def _pending(served: Any, digest: str, ring: KeyRing) -> bool:
    if type(served) is not dict or served.get("supersedes") != digest:
        return False
    try:
        verify_object(served, ring)
    except SignatureError:
        return False
    return True


def run(base: str, state_dir: Path, timeout: float = 30.0) -> list[str]:
    """One pass; returns what it saw. Raises Alarm or Unreachable."""
    fetch = Fetcher(base, timeout)
    state_path = state_dir / STATE_FILE
    state: dict[str, Any] = json.loads(state_path.read_text()) if state_path.exists() else {}
    seen: list[str] = []

    note_bytes = fetch.raw("/log/checkpoint.txt")
    assert note_bytes is not None
    try:
        note = parse_note(note_bytes)
        origin = note.text.split(b"\n", 1)[0].decode()
    except (NoteError, UnicodeDecodeError) as exc:
        raise Alarm("checkpoint.format", f"checkpoint.txt is not a signed note: {exc}") from None
    if state and origin != state["origin"]:
        raise Alarm("checkpoint.origin", f"origin changed from {state['origin']!r} to {origin!r}")

    keys_doc = fetch.json("/.well-known/trust-keys.json")
    ring, log_keys = _log_keys(keys_doc, origin)
    signed_keys = _keys_note(fetch, keys_doc, origin, bool(state.get("keys_signed")), seen)
    policy_doc = fetch.json("/.well-known/trust-witnesses.json")
    try:
        witnesses, quorum = parse_witness_policy(policy_doc)
    except NoteError as exc:
        raise Alarm("policy.format", f"trust-witnesses.json invalid: {exc}") from None
    pinned_policy = state.get("policy", policy_doc)
    pending_keys: list[str] = []  # logged after the cosigned checkpoint: checked next pass
    keys_witnessed = signed_keys is not None and _keys_witnessed(
        fetch, signed_keys, pinned_policy, bool(state.get("keys_witnessed")), seen, pending_keys
    )
    try:
        cosigned: Cosigned = open_checkpoint(
            note, log_keys, *parse_witness_policy(pinned_policy)
        )
    except NoteError as exc:
        raise Alarm(f"checkpoint.{exc.reason}", f"checkpoint not accepted: {exc}") from None
    cp = cosigned.checkpoint
    seen.append(
        f"checkpoint {cp.origin} size {cp.size} root {cp.root.hex()}, "
        f"{len(cosigned.cosignatures)} of {len(witnesses)} witnesses cosigned (quorum {quorum})"
    )

    old_size = int(state.get("size", 0))
    old_root = bytes.fromhex(state["root"]) if state else None
    if cp.size < old_size:
        raise Alarm("log.rollback", f"the log shrank from {old_size} to {cp.size} leaves")
    if old_root is not None and cp.size == old_size and cp.root != old_root:
        raise Alarm(
            "log.fork", f"size {cp.size} now has root {cp.root.hex()}, was {old_root.hex()}"
        )
    if old_root is not None and old_size and cp.size > old_size:
        proof = fetch.json(f"/log/proof/consistency?first={old_size}&second={cp.size}")
        try:
            path = [bytes.fromhex(h) for h in proof["path"]]
        except (TypeError, KeyError, ValueError):
            raise Alarm("log.proof", "the consistency proof is malformed") from None
        if not verify_consistency(old_size, cp.size, old_root, cp.root, path):
            raise Alarm(
                "log.fork",
                f"no consistency proof from size {old_size} to {cp.size}: "
                "the history was rewritten",
            )

    checker = LeafChecker(state.get("leaves", {}), ring, state.get("keys"))
    stack = [(h, bytes.fromhex(x)) for h, x in state.get("compact", [])]
    for start in range(old_size, cp.size, PAGE):
        end = min(cp.size, start + PAGE)
        entries = fetch.json(f"/log/entries?start={start}&end={end}")
        if type(entries) is not list or len(entries) != end - start:
            raise Alarm("log.entries", f"entries {start}..{end} not served in full")
        records = _records(fetch, start, end)
        for offset, (leaf, record) in enumerate(zip(entries, records, strict=True)):
            checker.check(start + offset, leaf, record)
            compact_push(stack, leaf_hash(canonical_bytes(leaf)))
    if compact_root(stack) != cp.root:
        raise Alarm(
            "log.root",
            f"the leaves served do not hash to the checkpoint's root at size {cp.size}",
        )
    if cp.size > old_size:
        seen.append(f"read leaves {old_size}..{cp.size - 1}")

    # What the server serves now must be what the log says.
    for proposal, digest in sorted(checker.results.items()):
        served = fetch.json(f"/results/{urllib.parse.quote(proposal, safe='')}/result.json")
        got = canonical_sha256(served) if type(served) is dict else None
        if got != digest and _pending(served, digest, ring):
            # A signed correction of the last logged result, appended after the checkpoint
            # the witnesses last cosigned: readers' verifiers refuse it until it is cosigned.
            seen.append(f"PENDING: {proposal} has a correction not yet under a cosigned checkpoint")
        elif got != digest:
            raise Alarm(
                "result.silent_correction",
                f"the served result of {proposal} ({got}) is not the last one in the log "
                f"({digest}): changed without a logged correction",
            )
    checker.finish(ring, frozenset(pending_keys))
    if policy_doc != pinned_policy and not checker.charter_changed:
        raise Alarm(
            "policy.changed",
            "the witness policy changed without a charter amendment in the log",
        )
    seen.append(f"{len(checker.results)} sealed results match the log; keys match the log")

    new_state = {
        "url": base,
        "origin": origin,
        "size": cp.size,
        "root": cp.root.hex(),
        "compact": [[h, x.hex()] for h, x in stack],
        "policy": policy_doc,
        "leaves": checker.memory(),
        "keys": checker.key_memory(),
        "keys_signed": signed_keys is not None,
        "keys_witnessed": keys_witnessed,
        "checkpoint": note_bytes.decode(),
        "checked_at": int(time.time()),
    }
    tmp = state_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(new_state, indent=1, sort_keys=True))
    os.replace(tmp, state_path)
    return seen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ballots.monitor", description=__doc__)
    parser.add_argument("url", help="the trust's base URL, e.g. https://trust.example.org")
    parser.add_argument("--state", required=True, help="directory keeping what was seen")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing when all is well")
    args = parser.parse_args(argv)
    state_dir = Path(args.state)
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        seen = run(args.url, state_dir, args.timeout)
    except Alarm as alarm:
        (state_dir / "alarms").mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        (state_dir / "alarms" / f"{stamp}-{alarm.code}.txt").write_text(alarm.message + "\n")
        print(f"ALARM [{alarm.code}] {alarm.message}", file=sys.stderr)
        return 1
    except (Unreachable, ValueError) as exc:
        print(f"monitor: cannot check {args.url}: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print("\n".join(f"OK {line}" for line in seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
