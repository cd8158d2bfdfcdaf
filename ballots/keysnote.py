"""The keys document, signed: ``/.well-known/trust-keys.note``.

``trust-keys.json`` stays exactly as the spec first fixed it (``{"trust", "keys"}``), so no
reader written against it breaks. Beside it the trust serves a C2SP signed note whose text is
one line, the canonical JSON of::

    {"endorsements": [null, E_2, ..., E_n], "keys": [...], "trust": NAME, "type": "trust-keys"}

followed by a newline. ``keys`` and ``trust`` are the members of ``trust-keys.json``; E_i is
the signed statement ``{type: key.endorsement, trust, key_id, public_key, valid_from}`` of key
i, signed (as any signed object) by key i-1, the same statement the key's ``key.rotated`` log
record carries. The note is signed (signature type 0x01) by the current key (the last one
listed, with no ``valid_until``) under the log's origin as key name: the checkpoint's verifier
key verifies it. A reader holding any key of the chain it trusts (say the first) can thus
check every later key, and the whole document, with no other file.

The note text begins with ``{`` and ends ``}\n``: neither a checkpoint (whose first line is an
origin and whose second is a size) nor the bare canonical JSON the same key signs as objects
(which never ends in a newline), so the one key's signatures cannot be confused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ballots.canonical import CanonicalError, canonical_bytes, strict_loads
from ballots.keys import KeyRing, PublicKey, SignatureError, SigningKey, verify_object
from ballots.note import SIG_ED25519, Note, NoteError, VerifierKey, parse_note
from ballots.records import parse_time

NOTE_TYPE = "trust-keys"
BODY_KEYS = frozenset({"type", "trust", "keys", "endorsements"})
STATEMENT_KEYS = frozenset({"type", "trust", "key_id", "public_key", "valid_from"})


class KeysNoteError(ValueError):
    """The signed keys document does not verify; ``code`` is a stable ``keys.*`` code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def endorsement_statement(trust: str, key: PublicKey) -> dict[str, Any]:
    """What key i-1 signs to vouch for key i (also carried by the key's log record)."""
    return {
        "type": "key.endorsement",
        "trust": trust,
        "key_id": key.key_id,
        "public_key": key.public_key_b64,
        "valid_from": key.valid_from,
    }


def keys_note_text(document: Mapping[str, Any], endorsements: Sequence[Any]) -> bytes:
    body = {**document, "type": NOTE_TYPE, "endorsements": list(endorsements)}
    return canonical_bytes(body) + b"\n"


def sign_keys_note(
    document: Mapping[str, Any], endorsements: Sequence[Any], current: SigningKey, origin: str
) -> bytes:
    text = keys_note_text(document, endorsements)
    return Note(text, (current.note_signer(origin).sign(text),)).to_bytes()


@dataclass(frozen=True)
class SignedKeys:
    document: dict[str, Any]
    ring: KeyRing
    current: PublicKey
    name: str  # the key name the current key signed under (the log's origin)
    endorsements: tuple[Any, ...] = ()  # as the note lists them: None, E_2, ..., E_n

    def summary(self) -> str:
        n = len(self.ring)
        chain = f"{n - 1} endorsement{'s' if n != 2 else ''}" if n > 1 else "a single key"
        return (
            f"keys document signed by the current key {self.current.key_id} as {self.name}; "
            f"{chain} verified"
        )


def _body(note: Note) -> dict[str, Any]:
    line = note.text[:-1]
    if b"\n" in line:
        raise KeysNoteError("keys.note_format", "the keys note's text is one line of JSON")
    try:
        body = strict_loads(line.decode("utf-8"))
        canonical = canonical_bytes(body)
    except (UnicodeDecodeError, CanonicalError) as exc:
        raise KeysNoteError("keys.note_format", f"the keys note is not JSON: {exc}") from None
    if canonical != line:
        raise KeysNoteError("keys.note_format", "the keys note's JSON is not in canonical form")
    if type(body) is not dict or body.keys() != BODY_KEYS or body["type"] != NOTE_TYPE:
        raise KeysNoteError(
            "keys.note_format", f"the keys note must have exactly {sorted(BODY_KEYS)}"
        )
    return body


def _check_chain(ring: KeyRing, trust: str, endorsements: Any) -> None:
    entries = ring.entries()
    if type(endorsements) is not list or len(endorsements) != len(entries):
        raise KeysNoteError("keys.endorsement", "one endorsement (or null) per key is needed")
    if endorsements[0] is not None:
        raise KeysNoteError("keys.endorsement", "the first key has no key before it to endorse it")
    for i in range(1, len(entries)):
        key, previous, statement = entries[i], entries[i - 1], endorsements[i]
        where = f"key {i + 1} ({key.key_id})"
        if previous.valid_until is None or parse_time(key.valid_from) < parse_time(
            previous.valid_from
        ):
            raise KeysNoteError(
                "keys.endorsement", f"{where} follows a key that was never retired"
            )
        if type(statement) is not dict or statement.keys() != STATEMENT_KEYS | {"signature"}:
            raise KeysNoteError("keys.endorsement", f"{where}: the endorsement is malformed")
        if {k: v for k, v in statement.items() if k != "signature"} != endorsement_statement(
            trust, key
        ):
            raise KeysNoteError("keys.endorsement", f"{where}: the endorsement names another key")
        signature = statement["signature"]
        if type(signature) is not dict or signature.get("key_id") != previous.key_id:
            raise KeysNoteError(
                "keys.endorsement", f"{where} is not endorsed by the key before it"
            )
        try:
            verify_object(statement, KeyRing([previous]), check_validity=False)
        except SignatureError as exc:
            raise KeysNoteError("keys.endorsement", f"{where}: {exc}") from None


def open_keys_note(
    data: bytes, served: Any | None = None, origin: str | None = None
) -> SignedKeys:
    """Verify a signed keys document; with ``served``, it must say what trust-keys.json says;
    with ``origin``, the current key must have signed under that name (the log's)."""
    try:
        note = parse_note(data)
    except NoteError as exc:
        raise KeysNoteError("keys.note_format", f"trust-keys.note: {exc}") from None
    body = _body(note)
    document = {"trust": body["trust"], "keys": body["keys"]}
    try:
        ring = KeyRing.from_document(document)
    except ValueError as exc:
        raise KeysNoteError("keys", f"the signed keys document is invalid: {exc}") from None
    entries = ring.entries()
    if not entries or entries[-1].valid_until is not None:
        raise KeysNoteError("keys.note_format", "the last key listed must be the current key")
    _check_chain(ring, body["trust"], body["endorsements"])
    current = entries[-1]
    name = None
    for sig in note.signatures:
        if origin is not None and sig.name != origin:
            continue
        try:
            key = VerifierKey(sig.name, SIG_ED25519, current.raw)
        except NoteError:
            continue
        if key.matches(sig):
            if not key.verify(note.text, sig):
                raise KeysNoteError(
                    "keys.note_signature", "the current key's signature does not verify"
                )
            name = sig.name
    if name is None:
        where = f" as {origin}" if origin is not None else ""
        raise KeysNoteError(
            "keys.note_signature", f"the current key {current.key_id} did not sign it{where}"
        )
    if served is not None and canonical_or_none(served) != canonical_bytes(document):
        raise KeysNoteError(
            "keys.mismatch", "trust-keys.json differs from the signed keys document"
        )
    return SignedKeys(document, ring, current, name, tuple(body["endorsements"]))


def canonical_or_none(value: Any) -> bytes | None:
    try:
        return canonical_bytes(value)
    except CanonicalError:
        return None
