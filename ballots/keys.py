"""Ed25519 signing keys, the published key history and signed-object verification."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ballots.canonical import canonical_bytes
from ballots.note import NoteSigner
from ballots.records import parse_time

ALG = "Ed25519"
# Signed objects carry their own time; the key must have been valid then (see docs).
TIME_FIELDS = ("sealed_at", "cast_at", "at")


class SignatureError(ValueError):
    """A signed object does not verify. ``reason`` is a short stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class KeyFileError(ValueError):
    """An encrypted key file cannot be opened."""


def key_id_of(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).hexdigest()


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: Any, what: str) -> bytes:
    """Standard padded base64 only; anything else is refused rather than guessed at."""
    if type(text) is not str or not text.isascii():
        raise ValueError(f"{what} is not a base64 string")
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError(f"{what} is not valid padded base64") from None
    if b64encode(raw) != text:  # reject non-zero padding bits: one encoding per value
        raise ValueError(f"{what} is not canonical base64")
    return raw


def unsigned_bytes(obj: Mapping[str, Any]) -> bytes:
    return canonical_bytes({k: v for k, v in obj.items() if k != "signature"})


@dataclass(frozen=True)
class PublicKey:
    """One entry of the published key history."""

    raw: bytes
    valid_from: str
    valid_until: str | None = None
    alg: str = ALG

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        if self.alg != ALG:
            raise ValueError(f"unsupported key algorithm {self.alg!r}")
        start = parse_time(self.valid_from)
        if self.valid_until is not None and parse_time(self.valid_until) <= start:
            raise ValueError("valid_until must be after valid_from")

    @property
    def key_id(self) -> str:
        return key_id_of(self.raw)

    @property
    def public_key_b64(self) -> str:
        return b64encode(self.raw)

    def to_entry(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "alg": self.alg,
            "public_key": self.public_key_b64,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
        }

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> PublicKey:
        want = {"key_id", "alg", "public_key", "valid_from", "valid_until"}
        if type(entry) is not dict or set(entry) != want:
            raise ValueError(f"a key entry has exactly the members {sorted(want)}")
        if entry["alg"] != ALG:
            raise ValueError(f"unsupported key algorithm {entry['alg']!r}")
        raw = b64decode_strict(entry["public_key"], "public_key")
        key = cls(raw, entry["valid_from"], entry["valid_until"])
        if entry["key_id"] != key.key_id:
            raise ValueError(f"key_id {entry['key_id']!r} is not the SHA-256 of its public key")
        return key

    def valid_at(self, when: str) -> bool:
        t = parse_time(when)
        if t < parse_time(self.valid_from):
            return False
        return self.valid_until is None or t < parse_time(self.valid_until)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class SigningKey:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self._raw_public = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> SigningKey:
        """From the 32-byte RFC 8032 secret (for tests and key import; keep keys encrypted)."""
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    @property
    def key_id(self) -> str:
        return key_id_of(self._raw_public)

    @property
    def public_key_raw(self) -> bytes:
        return self._raw_public

    @property
    def public_key_b64(self) -> str:
        return b64encode(self._raw_public)

    def public_entry(self, valid_from: str, valid_until: str | None = None) -> PublicKey:
        return PublicKey(self._raw_public, valid_from, valid_until)

    def to_encrypted_pem(self, passphrase: bytes) -> bytes:
        if not passphrase:
            raise ValueError("refusing to write a signing key without a passphrase")
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )

    @classmethod
    def from_encrypted_pem(cls, data: bytes, passphrase: bytes) -> SigningKey:
        if not passphrase:
            raise KeyFileError("a passphrase is required")
        try:
            key = serialization.load_pem_private_key(data, password=passphrase)
        except TypeError:
            raise KeyFileError("key file is not encrypted; refusing to use it") from None
        except (ValueError, UnsupportedAlgorithm):
            raise KeyFileError("wrong passphrase or damaged key file") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError("key file does not hold an Ed25519 key")
        return cls(key)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def note_signer(self, name: str) -> NoteSigner:
        """This key as a signed-note signer (type 0x01) under ``name``, the log's origin.

        One key signs both canonical JSON objects and checkpoint notes: the two messages cannot
        be confused, since canonical JSON is one line starting with '{' and a checkpoint's
        text has at least three lines, the second a decimal size.
        """
        return NoteSigner(name, self._private)

    def sign_object(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Copy of ``obj`` with a signature over its canonical bytes minus ``signature``."""
        body = {k: v for k, v in obj.items() if k != "signature"}
        value = self.sign(canonical_bytes(body))
        body["signature"] = {"alg": ALG, "key_id": self.key_id, "value": b64encode(value)}
        return body


class KeyRing:
    """Every key the trust ever used, by key id."""

    def __init__(self, keys: Iterable[PublicKey] = (), trust: str | None = None) -> None:
        self.trust = trust
        self._keys: dict[str, PublicKey] = {}
        for key in keys:
            self.add(key)

    def add(self, key: PublicKey) -> None:
        if key.key_id in self._keys:
            raise ValueError(f"key {key.key_id} listed twice")
        self._keys[key.key_id] = key

    def get(self, key_id: str) -> PublicKey | None:
        return self._keys.get(key_id)

    def __len__(self) -> int:
        return len(self._keys)

    def entries(self) -> list[PublicKey]:
        return list(self._keys.values())

    @classmethod
    def from_document(cls, doc: Any) -> KeyRing:
        if type(doc) is not dict or set(doc) != {"trust", "keys"}:
            raise ValueError('keys document must be {"trust": ..., "keys": [...]}')
        if type(doc["trust"]) is not str or type(doc["keys"]) is not list:
            raise ValueError("keys document: trust must be a string and keys a list")
        return cls((PublicKey.from_entry(e) for e in doc["keys"]), trust=doc["trust"])


def keys_document(trust_name: str, entries: Iterable[PublicKey]) -> dict[str, Any]:
    return {"trust": trust_name, "keys": [e.to_entry() for e in entries]}


def _signed_time(obj: Mapping[str, Any]) -> str | None:
    for field in TIME_FIELDS:
        if field in obj:
            value = obj[field]
            if type(value) is not str:
                raise SignatureError("bad_time", f"signed object's {field} is not a time string")
            return value
    return None


def verify_object(obj: Mapping[str, Any], keyring: KeyRing, *, check_validity: bool = True) -> None:
    """Raise SignatureError unless ``obj`` carries a good signature by a key of ``keyring``.

    With ``check_validity`` the object's own time (sealed_at, cast_at or at) must lie in
    the signing key's [valid_from, valid_until) window.
    """
    sig = obj.get("signature")
    if sig is None:
        raise SignatureError("missing", "object has no signature")
    if type(sig) is not dict or set(sig) != {"alg", "key_id", "value"}:
        raise SignatureError("malformed", "signature must be {alg, key_id, value}")
    if sig["alg"] != ALG:
        raise SignatureError("bad_alg", f"unsupported signature algorithm {sig['alg']!r}")
    key_id = sig["key_id"]
    key = keyring.get(key_id) if type(key_id) is str else None
    if key is None:
        raise SignatureError("unknown_key", f"signed by unknown key id {key_id!r}")
    try:
        value = b64decode_strict(sig["value"], "signature value")
    except ValueError as exc:
        raise SignatureError("bad_base64", str(exc)) from None
    if len(value) != 64:
        raise SignatureError("bad_base64", "signature value is not 64 bytes")
    if not key.verify(value, unsigned_bytes(obj)):
        raise SignatureError("bad_signature", f"signature does not verify under key {key_id}")
    if check_validity:
        when = _signed_time(obj)
        if when is not None:
            try:
                ok = key.valid_at(when)
            except ValueError as exc:
                raise SignatureError("bad_time", f"signed time {when!r}: {exc}") from None
            if not ok:
                raise SignatureError(
                    "outside_validity",
                    f"key {key_id} was not valid at {when} (valid {key.valid_from} .. "
                    f"{key.valid_until or 'now'})",
                )
