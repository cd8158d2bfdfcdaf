"""The keys document, witnessed: ``/.well-known/trust-keys.proof.json``.

C2SP witnesses cosign checkpoints only, so the witnesses vouch for the keys document through
the log: every key's ``key.created``/``key.rotated`` leaf is proved under a checkpoint that
carries the charter's quorum of cosignatures. The document is served beside trust-keys.note
(whose one-line text older readers parse strictly, so it is left exactly as it was)::

    {"type": "trust-keys.proof", "checkpoint": COSIGNED_NOTE,
     "keys": [{"leaf": LEAF, "record": RECORD, "inclusion": {"index", "size", "path"}}, ...]}

one entry per key of the signed keys document, in its order. A reader checks that each record
is the key's log record (its key, its window start, the key before it and the very endorsement
the note lists), that the leaf commits to it, that the proof puts the leaf under the
checkpoint's root, and that the log and a quorum of witnesses signed that checkpoint. A server
showing one reader a key it hid from the witnesses' view of the log is then caught. A key
appended after the last cosigned checkpoint has ``inclusion: null`` until the witnesses next
cosign; a reader refuses it meanwhile (``keys.unwitnessed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ballots.canonical import CanonicalError, canonical_bytes, canonical_sha256
from ballots.checkpoint import Cosigned, open_checkpoint
from ballots.keysnote import KeysNoteError, SignedKeys, canonical_or_none
from ballots.merkle import leaf_hash, verify_inclusion
from ballots.note import SIG_ED25519, NoteError, VerifierKey

PROOF_TYPE = "trust-keys.proof"
KEY_LEAF_TYPES = ("key.created", "key.rotated")
_LEAF = frozenset({"index", "type", "at", "subject", "sha256"})
_LEAF_TIMED = _LEAF | {"logged_at"}


def keys_proof_document(
    checkpoint_note: str, entries: Sequence[tuple[Any, Any, Any]]
) -> dict[str, Any]:
    """(leaf, record, inclusion or None) per key, in the keys document's order."""
    return {
        "type": PROOF_TYPE,
        "checkpoint": checkpoint_note,
        "keys": [
            {"leaf": leaf, "record": record, "inclusion": inclusion}
            for leaf, record, inclusion in entries
        ],
    }


def _fail(code: str, message: str) -> KeysNoteError:
    return KeysNoteError(code, message)


def _check_record(signed: SignedKeys, i: int, record: Any) -> None:
    entries = signed.ring.entries()
    key = entries[i]
    where = f"key {i + 1} ({key.key_id})"
    if type(record) is not dict or record.get("type") not in KEY_LEAF_TYPES:
        raise _fail("keys.log_record", f"{where}: the log record is not a key record")
    if i > 0 and record["type"] != "key.rotated":
        raise _fail("keys.log_record", f"{where}: a later key is logged as a rotation")
    expected = {
        "key_id": key.key_id,
        "public_key": key.public_key_b64,
        "valid_from": key.valid_from,
        "previous": entries[i - 1].key_id if i else None,
    }
    for name, value in expected.items():
        if record.get(name) != value:
            raise _fail(
                "keys.log_record",
                f"{where}: the log records {name} {record.get(name)!r}, the document {value!r}",
            )
    endorsement = signed.endorsements[i] if i < len(signed.endorsements) else None
    if canonical_or_none(record.get("endorsement")) != canonical_or_none(endorsement):
        raise _fail(
            "keys.log_record", f"{where}: the log carries another endorsement than the note"
        )


def _check_entry(
    signed: SignedKeys, i: int, entry: Any, cosigned: Cosigned, pending: list[str] | None
) -> int:
    key_id = signed.ring.entries()[i].key_id
    where = f"key {i + 1} ({key_id})"
    if type(entry) is not dict or set(entry) != {"leaf", "record", "inclusion"}:
        raise _fail("keys.log_format", f"{where}: an entry is {{leaf, record, inclusion}}")
    leaf, record, inclusion = entry["leaf"], entry["record"], entry["inclusion"]
    if leaf is None:
        raise _fail("keys.unlogged", f"{where} is published but its creation is not in the log")
    _check_record(signed, i, record)
    if type(leaf) is not dict or set(leaf) not in (_LEAF, _LEAF_TIMED):
        raise _fail("keys.log_format", f"{where}: the leaf does not have the leaf members")
    try:
        digest = canonical_sha256(record)
        leaf_bytes = canonical_bytes(leaf)
    except CanonicalError as exc:
        raise _fail("keys.log_format", f"{where}: {exc}") from None
    if leaf["type"] != record["type"] or leaf["subject"] != key_id or leaf["sha256"] != digest:
        raise _fail("keys.log_record", f"{where}: the leaf does not commit to this key record")
    cp = cosigned.checkpoint
    if inclusion is None and pending is not None and type(leaf["index"]) is int:
        if leaf["index"] < cp.size:
            raise _fail("keys.log_inclusion", f"{where}: leaf {leaf['index']} has no proof")
        pending.append(key_id)
        return int(leaf["index"])
    if inclusion is None:
        raise _fail(
            "keys.unwitnessed",
            f"{where} is in the log after the last cosigned checkpoint (size {cp.size}); "
            "ask again after the witnesses next cosign",
        )
    if (
        type(inclusion) is not dict
        or set(inclusion) != {"index", "size", "path"}
        or type(inclusion["path"]) is not list
    ):
        raise _fail("keys.log_format", f"{where}: inclusion is {{index, size, path}}")
    index = leaf["index"]
    if inclusion["index"] != index or inclusion["size"] != cp.size or type(index) is not int:
        raise _fail(
            "keys.log_inclusion",
            f"{where}: the proof is for leaf {inclusion['index']} of {inclusion['size']}, "
            f"the checkpoint's size is {cp.size}",
        )
    try:
        path = [bytes.fromhex(h) for h in inclusion["path"]]
    except (TypeError, ValueError):
        raise _fail("keys.log_inclusion", f"{where}: the path is not hex hashes") from None
    if not verify_inclusion(leaf_hash(leaf_bytes), index, cp.size, path, cp.root):
        raise _fail("keys.log_inclusion", f"{where}: leaf {index} is not under the checkpoint")
    return index


def check_keys_proof(
    doc: Any,
    signed: SignedKeys,
    witnesses: Sequence[VerifierKey],
    quorum: int,
    pending: list[str] | None = None,
) -> str:
    """One line saying what was checked; KeysNoteError (codes ``keys.log_*``,
    ``keys.unlogged``, ``keys.unwitnessed``) if the keys are not witnessed in the log.

    With a ``pending`` list (a monitor, which checks the log again on its next pass), a key
    logged after the cosigned checkpoint is added to it instead of refused."""
    if type(doc) is not dict or set(doc) != {"type", "checkpoint", "keys"}:
        raise _fail("keys.log_format", "trust-keys.proof.json is {type, checkpoint, keys}")
    if doc["type"] != PROOF_TYPE or type(doc["checkpoint"]) is not str:
        raise _fail("keys.log_format", f"trust-keys.proof.json is of type {PROOF_TYPE}")
    log_keys = [VerifierKey(signed.name, SIG_ED25519, k.raw) for k in signed.ring.entries()]
    try:
        cosigned = open_checkpoint(doc["checkpoint"].encode(), log_keys, witnesses, quorum)
    except NoteError as exc:
        raise _fail(f"keys.log_{exc.reason}", f"the keys' checkpoint: {exc}") from None
    entries = doc["keys"]
    n = len(signed.ring)
    if type(entries) is not list or len(entries) != n:
        raise _fail("keys.log_format", f"one log entry per key ({n}) is needed")
    indices = [
        _check_entry(signed, i, entry, cosigned, pending) for i, entry in enumerate(entries)
    ]
    if indices != sorted(set(indices)):
        raise _fail("keys.log_inclusion", "the keys' leaves are not in the log's order")
    cp = cosigned.checkpoint
    if pending:
        return (
            f"PENDING: key {', '.join(pending)} is logged (leaf {indices[-1]}) after the last "
            f"cosigned checkpoint ({cp.size}); the other keys are witnessed"
        )
    return (
        f"keys witnessed: all {n} key record{'s' if n != 1 else ''} in the log (leaves "
        f"{', '.join(map(str, indices))}) under checkpoint {cp.size} cosigned by "
        f"{len(cosigned.cosignatures)} witnesses (quorum {quorum})"
    )
