"""How a dealt DKG share travels from trustee i to trustee j through the server.

Each trustee publishes an X25519 public key with its commitments. The share f_i(j) goes to j
as an ECIES box: a fresh X25519 key pair per box, HKDF-SHA256 over the shared secret (both
public keys in the info), AES-256-GCM with the header (proposal, sender, recipient) as
associated data, so the server, which only relays the box, can neither read it nor move it
to another recipient or vote. The primitives are those of ``cryptography`` (OpenSSL).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ballots.canonical import canonical_bytes
from ballots.secret.group import scalar_from_hex, scalar_hex

_HEX64 = re.compile(r"[0-9a-f]{64}")
INFO = b"owners-trust/2 dealt-share"


class TransportError(ValueError):
    pass


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_from_hex(text: Any) -> X25519PublicKey:
    if type(text) is not str or _HEX64.fullmatch(text) is None:
        raise TransportError("a transport key is 64 lowercase hex characters")
    return X25519PublicKey.from_public_bytes(bytes.fromhex(text))


@dataclass(frozen=True)
class TransportKey:
    secret: bytes = field(repr=False)  # raw X25519 private key

    @classmethod
    def generate(cls) -> TransportKey:
        return cls(X25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
            serialization.NoEncryption()))

    def public_hex(self) -> str:
        return _raw(X25519PrivateKey.from_private_bytes(self.secret).public_key()).hex()

    def open(self, box: Any, proposal: str, sender: int, recipient: int) -> int:
        """The share in ``box`` (a dict from ``seal_share``), or TransportError."""
        if type(box) is not dict or box.keys() != {"ephemeral", "nonce", "ciphertext"}:
            raise TransportError("a share box has exactly ephemeral, nonce, ciphertext")
        try:
            eph = public_from_hex(box["ephemeral"])
            nonce = bytes.fromhex(box["nonce"])
            data = bytes.fromhex(box["ciphertext"])
        except (TypeError, ValueError) as exc:
            raise TransportError(f"malformed share box: {exc}") from None
        mine = X25519PrivateKey.from_private_bytes(self.secret)
        key = _kdf(mine.exchange(eph), _raw(eph), _raw(mine.public_key()))
        try:
            plain = AESGCM(key).decrypt(nonce, data, _aad(proposal, sender, recipient))
        except InvalidTag:
            raise TransportError(
                f"the share from trustee {sender} does not open: altered or not for you"
            ) from None
        return scalar_from_hex(plain.decode())


def _kdf(shared: bytes, eph: bytes, recipient: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=INFO + eph + recipient).derive(shared)


def _aad(proposal: str, sender: int, recipient: int) -> bytes:
    return canonical_bytes({"proposal": proposal, "sender": sender, "recipient": recipient})


def seal_share(
    recipient_key_hex: str, share: int, proposal: str, sender: int, recipient: int
) -> dict[str, str]:
    recipient_key = public_from_hex(recipient_key_hex)
    eph = X25519PrivateKey.generate()
    key = _kdf(eph.exchange(recipient_key), _raw(eph.public_key()), _raw(recipient_key))
    nonce = os.urandom(12)
    box = AESGCM(key).encrypt(nonce, scalar_hex(share).encode(),
                              _aad(proposal, sender, recipient))
    return {"ephemeral": _raw(eph.public_key()).hex(), "nonce": nonce.hex(),
            "ciphertext": box.hex()}
