"""Is a sealed result in the trust's log, under a checkpoint the witnesses cosigned?

A bundle carries ``log-proof.json``: the result's leaf, its inclusion proof, and the cosigned
checkpoint (a C2SP note) of the proof's tree size. The check: the leaf commits to this exact
result; the proof puts the leaf under the checkpoint's root; the trust's key signed the
checkpoint; at least the policy's quorum of witnesses cosigned it. A result served outside
the log, or under a checkpoint only the server vouches for, fails.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ballots.canonical import CanonicalError, canonical_bytes, canonical_sha256, strict_loads
from ballots.checkpoint import open_checkpoint, parse_witness_policy
from ballots.keys import KeyRing
from ballots.keysnote import KeysNoteError, open_keys_note
from ballots.keysproof import check_keys_proof
from ballots.merkle import leaf_hash, verify_inclusion
from ballots.note import SIG_ED25519, NoteError, VerifierKey
from ballots.verifier import FETCH_TIMEOUT, MAX_DOCUMENT, VerifyFailure, _Source

PROOF_FILE = "log-proof.json"
KEYS_NOTE_FILE = "trust-keys.note"
KEYS_PROOF_FILE = "trust-keys.proof.json"
POLICY_FILE = "trust-witnesses.json"
_LEAF = {"index", "type", "at", "subject", "sha256"}
LEAF_KEYS = (_LEAF, _LEAF | {"logged_at"})


def check_result_in_log(
    result: Mapping[str, Any], proof_doc: Any, keyring: KeyRing, policy_doc: Any
) -> list[str]:
    """Lines describing what was checked; VerifyFailure (codes ``log.*``) on any failure."""
    if type(proof_doc) is not dict or set(proof_doc) != {"leaf", "inclusion", "checkpoint"}:
        raise VerifyFailure("log.format", "log-proof.json is {leaf, inclusion, checkpoint}")
    leaf, inclusion, note_text = proof_doc["leaf"], proof_doc["inclusion"], proof_doc["checkpoint"]
    if type(leaf) is not dict or set(leaf) not in LEAF_KEYS:
        raise VerifyFailure("log.leaf", "the log leaf does not have the leaf members")
    proposal = result["proposal"]["id"]
    if leaf["type"] != "result.sealed" or leaf["subject"] != proposal:
        raise VerifyFailure(
            "log.leaf", f"the leaf is {leaf['type']} of {leaf['subject']!r}, not this result"
        )
    digest = canonical_sha256(dict(result))
    if leaf["sha256"] != digest:
        raise VerifyFailure("log.leaf", f"the leaf commits to {leaf['sha256']}, not {digest}")
    try:
        policy = parse_witness_policy(policy_doc)
    except NoteError as exc:
        raise VerifyFailure("log.policy", f"witness policy: {exc}") from None
    if type(note_text) is not str:
        raise VerifyFailure("log.checkpoint", "the checkpoint is a signed note string")
    origins = note_text.split("\n", 1)[0]
    log_keys = [VerifierKey(origins, SIG_ED25519, k.raw) for k in keyring.entries()]
    try:
        cosigned = open_checkpoint(note_text.encode(), log_keys, *policy)
    except NoteError as exc:
        raise VerifyFailure(f"log.{exc.reason}", f"checkpoint: {exc}") from None
    cp = cosigned.checkpoint
    if (
        type(inclusion) is not dict
        or set(inclusion) != {"index", "size", "path"}
        or type(inclusion["path"]) is not list
    ):
        raise VerifyFailure("log.inclusion", "inclusion is {index, size, path}")
    index, size = inclusion["index"], inclusion["size"]
    if leaf["index"] != index or size != cp.size:
        raise VerifyFailure(
            "log.inclusion", f"proof is for leaf {index} of {size}, checkpoint size {cp.size}"
        )
    try:
        path = [bytes.fromhex(h) for h in inclusion["path"]]
    except (TypeError, ValueError):
        raise VerifyFailure("log.inclusion", "the inclusion path is not hex hashes") from None
    if not verify_inclusion(leaf_hash(canonical_bytes(leaf)), index, size, path, cp.root):
        raise VerifyFailure("log.inclusion", f"leaf {index} is not under the checkpoint's root")
    names = ", ".join(f"{key.name} at {when}" for key, when in cosigned.cosignatures)
    return [
        f"  log: leaf {index} of {cp.origin}, under a checkpoint of size {cp.size} signed by the "
        f"trust and cosigned by {len(cosigned.cosignatures)} witnesses (quorum {policy[1]})",
        f"  cosigned by: {names or 'nobody (the policy asks for none)'}",
    ]


def _policy(location: str, explicit: str | None) -> Any:
    if explicit is not None:
        path = Path(explicit)
    elif location.startswith(("http://", "https://")):
        parts = urllib.parse.urlsplit(location)
        url = f"{parts.scheme}://{parts.netloc}/.well-known/{POLICY_FILE}"
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
                data = response.read(MAX_DOCUMENT + 1)
            return strict_loads(data.decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise VerifyFailure("log.policy", f"cannot fetch {url}: {exc}") from None
    else:
        path = Path(location) / POLICY_FILE
    try:
        return strict_loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, CanonicalError) as exc:
        raise VerifyFailure("log.policy", f"cannot read the witness policy {path}: {exc}") from None


def check_bundle_in_log(location: str, policy_file: str | None = None) -> list[str]:
    """The log check for a bundle directory or results URL (after ``verify_bundle`` passed),
    and the signed keys document (a server must serve it; a directory may leave it out)."""
    source = _Source(location)
    result = source.document("result.json", "result.json")
    keys_doc = source.document("trust-keys.json", "keys")
    keyring = KeyRing.from_document(keys_doc)
    try:
        proof = source.document(PROOF_FILE, "log.missing")
    except VerifyFailure as exc:
        raise VerifyFailure(
            "log.missing", f"no proof that this result is in the log: {exc.message}"
        ) from None
    policy_doc = _policy(location, policy_file)
    lines = check_result_in_log(result, proof, keyring, policy_doc)
    origin = proof["checkpoint"].split("\n", 1)[0]
    return [*lines, *check_keys_note(source, keys_doc, origin, policy_doc)]


def check_keys_note(
    source: _Source, keys_doc: Any, origin: str, policy_doc: Any = None
) -> list[str]:
    """trust-keys.note says what trust-keys.json says, each key endorsed by the one before,
    signed by the current key as the log (the checkpoint's origin); with a witness policy,
    trust-keys.proof.json puts every key's log record under a checkpoint its quorum cosigned."""
    try:
        with source.open(KEYS_NOTE_FILE) as fh:
            data = fh.read(MAX_DOCUMENT + 1)
    except VerifyFailure:
        if isinstance(source.base, Path):
            return [f"  keys: NOT signed-checked (no {KEYS_NOTE_FILE} in the bundle)"]
        raise VerifyFailure(
            "keys.unsigned", f"the server does not serve a signed keys document ({KEYS_NOTE_FILE})"
        ) from None
    try:
        signed = open_keys_note(data, served=keys_doc, origin=origin)
    except KeysNoteError as exc:
        raise VerifyFailure(exc.code, str(exc)) from None
    lines = ["  " + signed.summary()]
    if policy_doc is None:
        return lines
    try:
        proof = source.document(KEYS_PROOF_FILE, "keys.log_format")
    except VerifyFailure as exc:
        if exc.code != "source":
            raise
        if isinstance(source.base, Path):
            return [*lines, f"  keys: NOT witness-checked (no {KEYS_PROOF_FILE} in the bundle)"]
        raise VerifyFailure(
            "keys.unwitnessed",
            f"the server does not prove its keys are in the witnessed log ({KEYS_PROOF_FILE})",
        ) from None
    try:
        return [*lines, "  " + check_keys_proof(proof, signed, *parse_witness_policy(policy_doc))]
    except KeysNoteError as exc:
        raise VerifyFailure(exc.code, str(exc)) from None
