"""C2SP tlog-checkpoint notes and their cosignatures (c2sp.org/tlog-checkpoint, tlog-cosignature).

A checkpoint's text is the origin line, the tree size in decimal, the base64 root hash, and
optional extension lines. The log signs it with an Ed25519 note signature (type 0x01) whose key
name is the origin; witnesses add cosignature/v1 lines (type 0x04). A reader trusts the
checkpoint only with the log's signature and a quorum of distinct witnesses' cosignatures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ballots.merkle import EMPTY_ROOT, HASH_SIZE
from ballots.note import (
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    Note,
    NoteError,
    NoteSignature,
    VerifierKey,
    b64,
    check_text,
    parse_note,
    unb64,
    verify_note,
)

_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise NoteError("checkpoint", "the origin is one non-empty line")
        if type(self.size) is not int or not 0 <= self.size < 1 << 63:
            raise NoteError("checkpoint", "the tree size is an integer in 0..2^63-1")
        if len(self.root) != HASH_SIZE:
            raise NoteError("checkpoint", "the root hash is 32 bytes")
        if self.size == 0 and self.root != EMPTY_ROOT:
            raise NoteError("empty_root", "an empty tree's root is the SHA-256 of nothing")
        for line in self.extensions:
            if not line or "\n" in line:
                raise NoteError("checkpoint", "extension lines are non-empty single lines")

    def text(self) -> bytes:
        lines = [self.origin, str(self.size), b64(self.root), *self.extensions]
        body = "".join(line + "\n" for line in lines).encode()
        check_text(body)
        return body

    @classmethod
    def parse(cls, text: bytes) -> Checkpoint:
        decoded = check_text(text)
        lines = decoded[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise NoteError("checkpoint", "a checkpoint is at least three non-empty lines")
        origin, size, root = lines[:3]
        if not _SIZE.fullmatch(size):
            raise NoteError("checkpoint", f"tree size {size!r} is not a decimal without zeros")
        raw = unb64(root, "root hash")
        return cls(origin, int(size), raw, tuple(lines[3:]))

    def describe(self) -> dict[str, Any]:
        return {"origin": self.origin, "size": self.size, "root": self.root.hex()}


@dataclass(frozen=True)
class Cosigned:
    """A checkpoint whose log signature verified, with each good cosignature by a known witness."""

    checkpoint: Checkpoint
    note: Note
    log_key: VerifierKey
    cosignatures: list[tuple[VerifierKey, int]] = field(default_factory=list)

    @property
    def witnesses(self) -> list[str]:
        return [key.vkey for key, _ in self.cosignatures]


def log_signer_key(origin: str, public: bytes) -> VerifierKey:
    """The log's note key: Ed25519, named after the origin as tlog-checkpoint recommends."""
    return VerifierKey(origin, SIG_ED25519, public)


def open_checkpoint(
    data: bytes | Note,
    log_keys: Sequence[VerifierKey],
    witnesses: Sequence[VerifierKey] = (),
    quorum: int = 0,
) -> Cosigned:
    """Verify the log's signature and count cosignatures; NoteError unless ``quorum`` is met.

    Witness keys must be cosignature/v1 keys; a cosignature dated in the future is not
    refused here (the caller knows the clock), but every timestamp is returned.
    """
    note = data if isinstance(data, Note) else parse_note(data)
    for key in witnesses:
        if key.sig_type != SIG_COSIGNATURE_V1:
            raise NoteError("policy", f"witness key {key.name} is not a cosignature/v1 key")
    for key in log_keys:
        if key.sig_type != SIG_ED25519:
            raise NoteError("policy", f"log key {key.name} is not an Ed25519 note key")
    checkpoint = Checkpoint.parse(note.text)
    logs = [k for k in log_keys if k.name == checkpoint.origin]
    if not logs:
        raise NoteError("origin", f"no log key is named after the origin {checkpoint.origin!r}")
    try:
        _, good = verify_note(note, [*logs, *witnesses])
    except NoteError as exc:
        if exc.reason == "unverified":
            raise NoteError("unverified", "the log did not sign this checkpoint") from None
        raise
    log_key = next((v.key for v in good if v.key in logs), None)
    if log_key is None:
        raise NoteError("unverified", "the log did not sign this checkpoint")
    cosigs = [
        (v.key, v.signature.timestamp or 0) for v in good if v.key.sig_type == SIG_COSIGNATURE_V1
    ]
    if len(cosigs) < quorum:
        raise NoteError(
            "quorum",
            f"{len(cosigs)} of the required {quorum} witness cosignatures verify",
        )
    return Cosigned(checkpoint, note, log_key, cosigs)


def signed_checkpoint(checkpoint: Checkpoint, signature: NoteSignature) -> Note:
    return Note(checkpoint.text(), (signature,))


def parse_witness_policy(doc: Any) -> tuple[list[VerifierKey], int]:
    """``{"witnesses": [VKEY, ...], "quorum": K}`` as published at trust-witnesses.json."""
    if type(doc) is not dict or set(doc) != {"witnesses", "quorum"}:
        raise NoteError("policy", 'a witness policy is {"witnesses": [...], "quorum": K}')
    keys, quorum = doc["witnesses"], doc["quorum"]
    if type(keys) is not list or type(quorum) is not int:
        raise NoteError("policy", "witnesses is a list of vkeys and quorum an integer")
    parsed = [VerifierKey.parse(k) for k in keys]
    if len(set(parsed)) != len(parsed):
        raise NoteError("policy", "a witness is listed twice")
    if any(k.sig_type != SIG_COSIGNATURE_V1 for k in parsed):
        raise NoteError("policy", "every witness key is a cosignature/v1 (type 0x04) key")
    if not 0 <= quorum <= len(parsed):
        raise NoteError("policy", f"quorum {quorum} is outside 0..{len(parsed)}")
    return parsed, quorum
