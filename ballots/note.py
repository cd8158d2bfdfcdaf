"""C2SP signed notes (c2sp.org/signed-note): text, key names, key ids, vkeys, signature lines.

Two signature types are understood: 0x01, Ed25519 over the note text (the log's own
signature), and 0x04, the timestamped Ed25519 cosignature of c2sp.org/tlog-cosignature
(cosignature/v1). Anything else is an unknown key and, as the spec says, ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
SIGNATURE_TYPES = (SIG_ED25519, SIG_COSIGNATURE_V1)
# The spec asks verifiers to accept at least 16; Go's reference implementation stops at 100.
MAX_SIGNATURES = 100
MAX_NOTE = 1 << 20
MAX_TIMESTAMP = (1 << 63) - 1
EM_DASH = "\u2014"
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX8 = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """A note, key or signature is malformed or does not verify. ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    """Standard padded base64 in its one canonical spelling, or NoteError."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise NoteError("base64", f"{what} is not valid base64") from None
    if b64(raw) != text:
        raise NoteError("base64", f"{what} is not canonical base64")
    return raw


def check_key_name(name: str) -> str:
    """Non-empty, no Unicode space, no plus sign (signed-note, Format)."""
    if not name or "+" in name or any(c.isspace() for c in name) or _CONTROL.search(name):
        raise NoteError("key_name", f"key name {name!r} is empty or has a space or '+'")
    return name


def key_id(name: str, sig_type: int, public: bytes) -> int:
    """SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian."""
    check_key_name(name)
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public).digest()
    return int.from_bytes(digest[:4], "big")


def cosignature_message(note_text: bytes, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosignature/v1 signs: header, time line, the checkpoint's text."""
    if type(timestamp) is not int or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("timestamp", "a cosignature timestamp is an integer in 0..2^63-1")
    return b"cosignature/v1\ntime %d\n" % timestamp + note_text


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 32-bit key id, and the bytes after the id."""

    name: str
    key_id: int
    blob: bytes

    def line(self) -> str:
        return f"{EM_DASH} {self.name} {b64(self.key_id.to_bytes(4, 'big') + self.blob)}\n"

    @property
    def timestamp(self) -> int | None:
        """The cosignature/v1 timestamp, if the blob has that shape."""
        if len(self.blob) != 72:
            return None
        return int.from_bytes(self.blob[:8], "big")


@dataclass(frozen=True)
class VerifierKey:
    """A public key as a note verifier: ``name+hex(key id)+base64(type || public key)``."""

    name: str
    sig_type: int
    public: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if self.sig_type not in SIGNATURE_TYPES:
            raise NoteError("key_type", f"unsupported signature type 0x{self.sig_type:02x}")
        if len(self.public) != 32:
            raise NoteError("key", "an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.sig_type, self.public)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{b64(bytes([self.sig_type]) + self.public)}"

    def __str__(self) -> str:
        return self.vkey

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        if type(text) is not str:
            raise NoteError("vkey", "a verifier key is a string")
        # The key material is base64 and may itself contain '+': split from the left, twice.
        parts = text.split("+", 2)
        if len(parts) != 3 or not _HEX8.fullmatch(parts[1]):
            raise NoteError("vkey", f"not a verifier key name+hex8+base64: {text!r}")
        name, hex_id, material = parts
        raw = unb64(material, "verifier key material")
        if len(raw) != 33:
            raise NoteError("vkey", "verifier key material is not a type byte and 32 bytes")
        key = cls(name, raw[0], raw[1:])
        if key.key_id != int(hex_id, 16):
            raise NoteError("vkey", f"key id {hex_id} does not match name and key")
        return key

    def matches(self, sig: NoteSignature) -> bool:
        return sig.name == self.name and sig.key_id == self.key_id

    def verify(self, note_text: bytes, sig: NoteSignature) -> bool:
        """Whether ``sig`` (already matched by name and id) is good over ``note_text``."""
        public = Ed25519PublicKey.from_public_bytes(self.public)
        if self.sig_type == SIG_ED25519:
            if len(sig.blob) != 64:
                return False
            message, value = note_text, sig.blob
        else:
            if len(sig.blob) != 72:
                return False
            timestamp = int.from_bytes(sig.blob[:8], "big")
            if timestamp > MAX_TIMESTAMP:
                return False
            message, value = cosignature_message(note_text, timestamp), sig.blob[8:]
        try:
            public.verify(value, message)
        except InvalidSignature:
            return False
        return True


class NoteSigner:
    """An Ed25519 key under a name, signing notes (0x01) or cosigning checkpoints (0x04).

    Its private form, ``PRIVATE+KEY+name+hex(id)+base64(type || 32-byte seed)``, is the
    one Go's golang.org/x/mod/sumdb/note uses for 0x01 keys, so those keys are interchangeable.
    """

    def __init__(self, name: str, private: Ed25519PrivateKey, sig_type: int = SIG_ED25519) -> None:
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.verifier = VerifierKey(name, sig_type, raw)
        self._private = private

    @classmethod
    def generate(cls, name: str, sig_type: int = SIG_ED25519) -> NoteSigner:
        return cls(name, Ed25519PrivateKey.generate(), sig_type)

    @classmethod
    def from_seed(cls, name: str, seed: bytes, sig_type: int = SIG_ED25519) -> NoteSigner:
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed), sig_type)

    @property
    def name(self) -> str:
        return self.verifier.name

    def private_key_text(self) -> str:
        seed = self._private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        v = self.verifier
        return f"PRIVATE+KEY+{v.name}+{v.key_id:08x}+{b64(bytes([v.sig_type]) + seed)}"

    @classmethod
    def from_private_key_text(cls, text: str) -> NoteSigner:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _HEX8.fullmatch(parts[3]):
            raise NoteError("skey", "not a signer key PRIVATE+KEY+name+hex8+base64")
        raw = unb64(parts[4], "signer key material")
        if len(raw) != 33 or raw[0] not in SIGNATURE_TYPES:
            raise NoteError("skey", "signer key material is not a known type and a 32-byte seed")
        signer = cls.from_seed(parts[2], raw[1:], raw[0])
        if signer.verifier.key_id != int(parts[3], 16):
            raise NoteError("skey", "signer key id does not match its name and key")
        return signer

    def sign(self, note_text: bytes, timestamp: int | None = None) -> NoteSignature:
        v = self.verifier
        if v.sig_type == SIG_ED25519:
            if timestamp is not None:
                raise NoteError("timestamp", "a plain note signature carries no timestamp")
            return NoteSignature(v.name, v.key_id, self._private.sign(note_text))
        if timestamp is None:
            raise NoteError("timestamp", "a cosignature needs its timestamp")
        value = self._private.sign(cosignature_message(note_text, timestamp))
        return NoteSignature(v.name, v.key_id, timestamp.to_bytes(8, "big") + value)


@dataclass(frozen=True)
class Note:
    text: bytes
    signatures: tuple[NoteSignature, ...]

    def to_bytes(self) -> bytes:
        return self.text + b"\n" + "".join(s.line() for s in self.signatures).encode()

    def with_signatures(self, extra: Iterable[NoteSignature]) -> Note:
        """This note with more signature lines, a line already present not repeated."""
        sigs = list(self.signatures)
        for sig in extra:
            if sig not in sigs:
                sigs.append(sig)
        return Note(self.text, tuple(sigs))


def check_text(text: bytes) -> str:
    """Note text: UTF-8, no control character but newline, ending in a newline."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("utf8", "a note must be valid UTF-8") from None
    if _CONTROL.search(decoded):
        raise NoteError("control", "a note must not contain control characters but newline")
    if not decoded.endswith("\n"):
        raise NoteError("format", "note text must end in a newline")
    return decoded


def parse_signature_line(line: str) -> NoteSignature:
    prefix = EM_DASH + " "
    if not line.startswith(prefix):
        raise NoteError("format", f"a signature line starts with '{prefix}': {line[:40]!r}")
    parts = line[len(prefix) :].split(" ")
    if len(parts) != 2:
        raise NoteError("format", "a signature line is em dash, space, name, space, base64")
    name, blob64 = parts
    check_key_name(name)
    blob = unb64(blob64, "signature")
    if len(blob) < 5:
        raise NoteError("format", "a signature is a 4-byte key id and a signature")
    return NoteSignature(name, int.from_bytes(blob[:4], "big"), blob[4:])


def parse_note(data: bytes) -> Note:
    """Split a signed note into its text and signature lines (nothing is verified here)."""
    if len(data) > MAX_NOTE:
        raise NoteError("size", f"a note is at most {MAX_NOTE} bytes")
    check_text(data)
    # The text is separated from the signatures by the last empty line.
    cut = data.rfind(b"\n\n")
    if cut < 0:
        raise NoteError("format", "a signed note needs a blank line before its signatures")
    text, block = data[: cut + 1], data[cut + 2 :]
    lines = block.decode().split("\n")
    if lines[-1] != "":
        raise NoteError("format", "the last signature line must end in a newline")
    lines.pop()
    if not lines:
        raise NoteError("format", "a signed note has at least one signature")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("size", f"more than {MAX_SIGNATURES} signatures")
    return Note(text, tuple(parse_signature_line(line) for line in lines))


@dataclass(frozen=True)
class Verified:
    key: VerifierKey
    signature: NoteSignature


def verify_note(data: bytes | Note, keys: Sequence[VerifierKey]) -> tuple[Note, list[Verified]]:
    """Check every signature by a known key; unknown keys are ignored (signed-note, Signatures).

    A known key's bad signature rejects the whole note; so does a note no known key signed.
    A key that signed twice is counted once. Returns the note and the good signatures, one
    per key, in the note's order.
    """
    note = data if isinstance(data, Note) else parse_note(data)
    good: list[Verified] = []
    seen: set[VerifierKey] = set()
    for sig in note.signatures:
        for key in keys:
            if not key.matches(sig):
                continue
            if not key.verify(note.text, sig):
                raise NoteError(
                    "bad_signature", f"signature by {key.name} ({key.key_id:08x}) does not verify"
                )
            if key not in seen:
                seen.add(key)
                good.append(Verified(key, sig))
    if not good:
        raise NoteError("unverified", "no known key signed this note")
    return note, good
