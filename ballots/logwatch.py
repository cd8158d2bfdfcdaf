"""What a monitor checks in each log leaf, free of IO (``ballots.monitor`` does the fetching)."""

from __future__ import annotations

from typing import Any

from ballots.canonical import canonical_sha256
from ballots.keys import KeyRing, PublicKey, SignatureError, b64decode_strict, verify_object
from ballots.merkle import EMPTY_ROOT, node_hash
from ballots.records import parse_time

LEAF_KEYS = frozenset({"index", "type", "at", "subject", "sha256"})
# Leaves appended since the log numbers and times them itself carry ``logged_at``, the time
# of the append (never decreasing), beside ``at``, the event's own time.
LEAF_KEYS_TIMED = LEAF_KEYS | {"logged_at"}
KEY_LEAF_TYPES = ("key.created", "key.rotated")


class Alarm(Exception):
    """Something a reader must not be told quietly: a rewritten history, a silent correction."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def compact_push(stack: list[tuple[int, bytes]], h: bytes) -> None:
    """Append a leaf hash to a compact range (heights and roots of complete subtrees)."""
    stack.append((0, h))
    while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
        height, right = stack.pop()
        _, left = stack.pop()
        stack.append((height + 1, node_hash(left, right)))


def compact_root(stack: list[tuple[int, bytes]]) -> bytes:
    if not stack:
        return EMPTY_ROOT
    root = stack[-1][1]
    for _, h in reversed(stack[:-1]):
        root = node_hash(h, root)
    return root


class LeafChecker:
    """Carries, between runs, what earlier leaves established (results, keys, last time)."""

    def __init__(
        self, memory: dict[str, Any], ring: KeyRing, keys: dict[str, str] | None
    ) -> None:
        self.results: dict[str, str] = dict(memory.get("results", {}))
        self.corrections: dict[str, str] = dict(memory.get("corrections", {}))
        self.logged_at: str | None = memory.get("logged_at")
        self.ring = ring
        # First run: the keys published now are taken as given (pin them with care).
        self.keys: dict[str, str] = (
            dict(keys) if keys is not None else {k.key_id: k.public_key_b64 for k in ring.entries()}
        )
        self.announced: set[str] = set()
        self.charter_changed = False

    def memory(self) -> dict[str, Any]:
        return {
            "results": self.results,
            "corrections": self.corrections,
            "logged_at": self.logged_at,
        }

    def key_memory(self) -> dict[str, str]:
        return self.keys

    def check(self, index: int, leaf: Any, record: Any) -> None:
        where = f"leaf {index}"
        if type(leaf) is not dict or leaf.keys() not in (LEAF_KEYS, LEAF_KEYS_TIMED):
            raise Alarm("leaf.format", f"{where} does not have the leaf members")
        if leaf["index"] != index:
            raise Alarm("leaf.index", f"{where} says it is leaf {leaf['index']}")
        try:
            parse_time(leaf["at"])
            timed = leaf.get("logged_at")
            if timed is not None:
                parse_time(timed)
        except (ValueError, TypeError) as exc:
            raise Alarm("leaf.time", f"{where}: {exc}") from None
        if timed is None and self.logged_at is not None:
            raise Alarm("leaf.time", f"{where} has no logged_at after timed leaves")
        if timed is not None:
            if self.logged_at is not None and parse_time(timed) < parse_time(self.logged_at):
                raise Alarm(
                    "leaf.time", f"{where} logged at {timed}, before the leaf before it"
                )
            self.logged_at = timed
        if canonical_sha256(record) != leaf["sha256"]:
            raise Alarm("leaf.record", f"{where}: the record served is not the one it commits to")
        kind = leaf["type"]
        if kind == "result.sealed":
            self._result(where, leaf, record)
        elif kind == "result.corrected":
            self._correction(where, leaf, record)
        elif kind in KEY_LEAF_TYPES:
            self._key(where, record)
        elif kind == "charter.adopted":
            self.charter_changed = True

    def _result(self, where: str, leaf: dict[str, Any], record: Any) -> None:
        try:
            verify_object(record, self.ring)
        except SignatureError as exc:
            raise Alarm("result.signature", f"{where}: sealed result signature: {exc}") from None
        proposal = record.get("proposal", {}).get("id")
        if proposal != leaf["subject"]:
            raise Alarm(
                "result.subject", f"{where}: result of {proposal!r} under {leaf['subject']!r}"
            )
        digest = canonical_sha256(record)
        previous = self.results.get(proposal)
        if record.get("supersedes") != previous:
            raise Alarm(
                "result.supersedes",
                f"{where}: result of {proposal} supersedes {record.get('supersedes')}, "
                f"but the last one logged is {previous}",
            )
        if previous is not None and "logged_at" in leaf:
            self.corrections[digest] = proposal  # its reason must follow in the log
        self.results[proposal] = digest

    def _correction(self, where: str, leaf: dict[str, Any], record: Any) -> None:
        if type(record) is not dict or not isinstance(record.get("reason"), str):
            raise Alarm("result.correction", f"{where}: a correction without its reason")
        if not record["reason"].strip():
            raise Alarm("result.correction", f"{where}: a correction with an empty reason")
        digest = record.get("digest")
        if type(digest) is not str or self.results.get(leaf["subject"]) != digest:
            raise Alarm(
                "result.correction", f"{where}: the correction names a result not last logged"
            )
        self.corrections.pop(digest, None)

    def _key(self, where: str, record: Any) -> None:
        if type(record) is not dict or not {"key_id", "public_key"} <= record.keys():
            raise Alarm("keys.leaf", f"{where}: a key leaf without key_id and public_key")
        known = self.keys.get(record["key_id"])
        if known is not None and known != record["public_key"]:
            raise Alarm("keys.leaf", f"{where}: key {record['key_id']} logged with another key")
        if record.get("type") == "key.rotated":
            self._endorsement(where, record)
        self.keys[record["key_id"]] = record["public_key"]
        self.announced.add(record["key_id"])

    def _endorsement(self, where: str, record: dict[str, Any]) -> None:
        """A rotated key is signed by the key before it, which this monitor already knows."""
        statement = record.get("endorsement")
        previous = record.get("previous")
        if type(statement) is not dict or previous not in self.keys:
            raise Alarm("keys.endorsement", f"{where}: a new key not endorsed by a known key")
        if (statement.get("key_id"), statement.get("public_key")) != (
            record["key_id"],
            record["public_key"],
        ):
            raise Alarm("keys.endorsement", f"{where}: the endorsement names another key")
        try:
            old = PublicKey(b64decode_strict(self.keys[previous], "key"), "1970-01-01T00:00:00Z")
            verify_object(statement, KeyRing([old]), check_validity=False)
        except (ValueError, SignatureError) as exc:
            raise Alarm("keys.endorsement", f"{where}: endorsement fails: {exc}") from None

    def finish(self, ring: KeyRing, pending: frozenset[str] = frozenset()) -> None:
        """At the end of a pass: every published key was logged (or pinned; or, ``pending``,
        proved logged after the cosigned checkpoint), no logged key was dropped, and every
        correction has its reason."""
        for key in ring.entries():
            known = self.keys.get(key.key_id)
            if known is None and key.key_id in pending:
                continue
            if known is None:
                raise Alarm("keys.unlogged", f"key {key.key_id} is published but not in the log")
            if known != key.public_key_b64:
                raise Alarm("keys.changed", f"key {key.key_id} is published with another key")
        for key_id in self.keys:
            if ring.get(key_id) is None:
                raise Alarm("keys.dropped", f"key {key_id} was logged but is no longer published")
        if self.corrections:
            digest, proposal = next(iter(self.corrections.items()))
            raise Alarm(
                "result.correction",
                f"the correction {digest} of {proposal} has no logged reason",
            )
