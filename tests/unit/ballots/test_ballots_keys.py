from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from ballots.canonical import canonical_bytes
from ballots.keys import (
    KeyFileError,
    KeyRing,
    PublicKey,
    SignatureError,
    SigningKey,
    keys_document,
    verify_object,
)

# RFC 8032 section 7.1, TEST 1 (empty message).
RFC_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
T0 = "2026-01-01T00:00:00Z"


def test_rfc8032_vector_and_key_id() -> None:
    key = SigningKey.from_private_bytes(RFC_SECRET)
    assert key.public_key_raw == RFC_PUBLIC
    assert key.sign(b"") == RFC_SIG
    assert key.key_id == hashlib.sha256(RFC_PUBLIC).hexdigest()
    assert key.public_key_b64 == base64.b64encode(RFC_PUBLIC).decode()
    assert key.public_key_b64.endswith("=")


def test_sign_object_covers_canonical_bytes_without_signature() -> None:
    key = SigningKey.from_private_bytes(RFC_SECRET)
    obj = {"type": "checkpoint", "size": 3, "at": "2026-11-23T11:00:00Z", "signature": "old"}
    signed = key.sign_object(obj)
    assert obj["signature"] == "old"  # input untouched
    sig = signed["signature"]
    assert sig["alg"] == "Ed25519" and sig["key_id"] == key.key_id
    body = canonical_bytes({k: v for k, v in obj.items() if k != "signature"})
    assert key.public_entry(T0).verify(base64.b64decode(sig["value"]), body)
    verify_object(signed, KeyRing([key.public_entry(T0)]))


def _ring(*keys: PublicKey) -> KeyRing:
    return KeyRing(keys)


def _expect(obj: Any, ring: KeyRing, reason: str) -> None:
    with pytest.raises(SignatureError) as exc:
        verify_object(obj, ring)
    assert exc.value.reason == reason, str(exc.value)


def test_verification_failures_are_named(signing_key: SigningKey) -> None:
    ring = _ring(signing_key.public_entry(T0))
    signed = signing_key.sign_object({"type": "x", "at": "2026-05-01T00:00:00Z", "n": 1})
    verify_object(signed, ring)
    _expect({**signed, "n": 2}, ring, "bad_signature")
    _expect({**signed, "signature": {**signed["signature"], "alg": "ES256"}}, ring, "bad_alg")
    _expect(
        {**signed, "signature": {**signed["signature"], "key_id": "00" * 32}}, ring, "unknown_key"
    )
    _expect({**signed, "signature": {**signed["signature"], "value": "!!"}}, ring, "bad_base64")
    short = base64.b64encode(b"x" * 63).decode()
    _expect({**signed, "signature": {**signed["signature"], "value": short}}, ring, "bad_base64")
    _expect({k: v for k, v in signed.items() if k != "signature"}, ring, "missing")
    _expect({**signed, "signature": {"alg": "Ed25519"}}, ring, "malformed")
    _expect(signed, _ring(SigningKey.generate().public_entry(T0)), "unknown_key")


def test_rotation_old_key_still_verifies_what_it_signed() -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    ring = KeyRing.from_document(
        keys_document(
            "T",
            [
                old.public_entry(T0, "2026-06-01T00:00:00Z"),
                new.public_entry("2026-06-01T00:00:00Z"),
            ],
        )
    )
    verify_object(old.sign_object({"sealed_at": "2026-05-31T23:59:59Z"}), ring)
    verify_object(new.sign_object({"sealed_at": "2026-06-01T00:00:00Z"}), ring)
    _expect(old.sign_object({"sealed_at": "2026-06-01T00:00:00Z"}), ring, "outside_validity")
    _expect(new.sign_object({"cast_at": "2026-05-01T00:00:00Z"}), ring, "outside_validity")
    verify_object(
        old.sign_object({"sealed_at": "2027-01-01T00:00:00Z"}), ring, check_validity=False
    )


def test_keys_document_round_trip_and_checks(signing_key: SigningKey) -> None:
    doc = keys_document("Trust", [signing_key.public_entry(T0)])
    assert doc == {
        "trust": "Trust",
        "keys": [
            {
                "key_id": signing_key.key_id,
                "alg": "Ed25519",
                "public_key": signing_key.public_key_b64,
                "valid_from": T0,
                "valid_until": None,
            }
        ],
    }
    ring = KeyRing.from_document(doc)
    assert ring.trust == "Trust" and len(ring) == 1
    entry = doc["keys"][0]
    for bad in [
        {**entry, "key_id": "ab" * 32},
        {**entry, "alg": "RSA"},
        {**entry, "public_key": entry["public_key"].rstrip("=")},
        {**entry, "public_key": base64.b64encode(b"x" * 31).decode()},
        {**entry, "valid_until": "2025-01-01T00:00:00Z"},
        {**entry, "valid_from": "yesterday"},
        {k: v for k, v in entry.items() if k != "valid_until"},
    ]:
        with pytest.raises(ValueError):
            KeyRing.from_document({"trust": "Trust", "keys": [bad]})
    with pytest.raises(ValueError, match="twice"):
        KeyRing.from_document({"trust": "Trust", "keys": [entry, entry]})


def test_encrypted_pem(signing_key: SigningKey) -> None:
    pem = signing_key.to_encrypted_pem(b"correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert SigningKey.from_encrypted_pem(pem, b"correct horse").key_id == signing_key.key_id
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        SigningKey.from_encrypted_pem(pem, b"wrong")
    with pytest.raises(ValueError, match="passphrase"):
        signing_key.to_encrypted_pem(b"")
    with pytest.raises(KeyFileError):
        SigningKey.from_encrypted_pem(pem, b"")
