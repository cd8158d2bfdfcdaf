"""A trustee's side of a secret vote's key ceremony, on the trustee's own device.

    python -m ballots.trustee keygen  --server URL --proposal ID --dir DIR
    python -m ballots.trustee deal    --server URL --proposal ID --dir DIR
    python -m ballots.trustee receive --server URL --proposal ID --dir DIR
    python -m ballots.trustee decrypt --server URL --proposal ID --dir DIR

The API token is read from OT_API_TOKEN, the passphrase from OT_TRUSTEE_PASSPHRASE or asked
for. ``keygen`` draws the trustee's polynomial and transport key, posts the commitments (each
with its proof of knowledge) and the transport public key, and keeps the secrets in
DIR/ID.state, passphrase-protected. ``deal`` posts each other trustee's share encrypted to
that trustee. ``receive`` opens the shares dealt to this trustee, checks each against its
sender's commitments, writes the key share DIR/ID.share (passphrase-protected), deletes the
state file and confirms. After the vote closes, ``decrypt`` posts this trustee's decryption
share of the encrypted tally with its proofs. No secret ever leaves the device: the server
sees commitments, proofs, sealed boxes and decryption shares. docs/ceremony.md has the whole.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ballots.canonical import CanonicalError, canonical_bytes, strict_loads
from ballots.secret.group import point_from_hex, scalar_from_hex, scalar_hex
from ballots.secret.transport import TransportError, TransportKey, seal_share
from ballots.secret.trustees import (
    TrusteeDealer,
    TrusteeError,
    TrusteeShare,
    _derive,
    check_received_share,
    decryption_share,
)


class CeremonyError(ValueError):
    pass


@dataclass(frozen=True)
class KeygenState:
    """What a trustee keeps between keygen and receive: its polynomial and transport key."""

    proposal: str
    index: int
    dealer: TrusteeDealer = field(repr=False)
    transport: TransportKey = field(repr=False)

    @classmethod
    def generate(cls, proposal: str, index: int, threshold: int) -> KeygenState:
        return cls(proposal, index, TrusteeDealer.generate(index, threshold),
                   TransportKey.generate())

    def post(self, name: str) -> dict[str, Any]:
        """The keygen post: the election.json entry and the transport public key."""
        return {"public": self.dealer.public(self.proposal, name),
                "transport_key": self.transport.public_hex()}

    def to_file(self, passphrase: bytes) -> bytes:
        if not passphrase:
            raise CeremonyError("an empty passphrase is refused")
        salt, nonce = os.urandom(16), os.urandom(12)
        header = {"type": "trustee-keygen", "format": 2, "proposal": self.proposal,
                  "index": self.index, "kdf": "argon2id-t3-m65536-p1", "salt": salt.hex(),
                  "nonce": nonce.hex()}
        plain = canonical_bytes({"coefficients": [scalar_hex(a) for a in
                                                  self.dealer.coefficients],
                                 "transport": self.transport.secret.hex()})
        box = AESGCM(_derive(passphrase, salt)).encrypt(nonce, plain, canonical_bytes(header))
        return canonical_bytes({**header, "ciphertext": box.hex()}) + b"\n"

    @classmethod
    def from_file(cls, data: bytes, passphrase: bytes) -> KeygenState:
        try:
            doc = strict_loads(data)
            header = {k: doc[k] for k in ("type", "format", "proposal", "index", "kdf", "salt",
                                          "nonce")}
            if header["type"] != "trustee-keygen":
                raise CeremonyError("not a trustee keygen state file")
            plain = AESGCM(_derive(passphrase, bytes.fromhex(doc["salt"]))).decrypt(
                bytes.fromhex(doc["nonce"]), bytes.fromhex(doc["ciphertext"]),
                canonical_bytes(header))
            inner = strict_loads(plain)
            coefficients = tuple(scalar_from_hex(a) for a in inner["coefficients"])
        except InvalidTag:
            raise CeremonyError("wrong passphrase or altered file") from None
        except (CanonicalError, KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, CeremonyError):
                raise
            raise CeremonyError(f"not a trustee keygen state file: {exc}") from None
        dealer = TrusteeDealer(doc["index"], len(coefficients), coefficients)
        return cls(doc["proposal"], doc["index"], dealer,
                   TransportKey(bytes.fromhex(inner["transport"])))


def deal(state: KeygenState, trustees: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Boxes for every other trustee: {"shares": {"j": box}} (the deal post)."""
    boxes: dict[str, Any] = {}
    for t in trustees:
        j = int(t["index"])
        if j == state.index:
            continue
        if not t.get("transport_key"):
            raise CeremonyError(f"trustee {j} has not posted a transport key yet")
        boxes[str(j)] = seal_share(t["transport_key"], state.dealer.share_for(j),
                                   state.proposal, state.index, j)
    return {"shares": boxes}


def receive(
    state: KeygenState, trustees: Sequence[Mapping[str, Any]], boxes: Mapping[str, Any]
) -> TrusteeShare:
    """Open and check every share dealt to this trustee; its key share x_j."""
    received = [state.dealer.share_for(state.index)]
    for t in trustees:
        i = int(t["index"])
        if i == state.index:
            continue
        if str(i) not in boxes:
            raise CeremonyError(f"trustee {i} has not dealt a share to you yet")
        try:
            share = state.transport.open(boxes[str(i)], state.proposal, i, state.index)
        except TransportError as exc:
            raise CeremonyError(str(exc)) from None
        if not check_received_share(t["public"], state.index, share):
            # The complaint the ceremony page shows: trustee i dealt a share that does not
            # match its own commitments.
            raise CeremonyError(f"the share from trustee {i} fails its commitments")
        received.append(share)
    return TrusteeShare.combine(state.proposal, state.index, received)


def decrypt(share: TrusteeShare, tally: Mapping[str, Any]) -> dict[str, Any]:
    cts = [(point_from_hex(a), point_from_hex(b)) for a, b in tally["ciphertexts"]]
    return decryption_share(share, cts)


class Client:
    """The ceremony's JSON API, authenticated by the trustee's API token."""

    def __init__(self, server: str, proposal: str, token: str) -> None:
        if not server.startswith(("https://", "http://")):
            raise CeremonyError("the server is an https:// (or http://) address")
        self.base = f"{server.rstrip('/')}/api/secret/{proposal}"
        self.token = token

    def call(self, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(  # noqa: S310 (the scheme is checked in __init__)
            self.base + path, data=data, method="GET" if body is None else "POST")
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 (https or http)
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise CeremonyError(f"server said {exc.code}: {detail}") from None


def _passphrase(confirm: bool) -> bytes:
    env = os.environ.get("OT_TRUSTEE_PASSPHRASE")
    if env:
        return env.encode()
    first = getpass.getpass("Passphrase for your trustee files: ")
    if confirm and getpass.getpass("Again: ") != first:
        raise CeremonyError("the passphrases differ")
    return first.encode()


def run(command: str, client: Client, proposal: str, folder: Path) -> str:
    state_path = folder / f"{proposal}.state"
    share_path = folder / f"{proposal}.share"
    info = client.call("/ceremony")
    me = info["you"]
    if me is None:
        raise CeremonyError("you are not a trustee of this vote")
    if command == "keygen":
        if state_path.exists() or share_path.exists():
            raise CeremonyError(f"{state_path} or {share_path} exists already")
        state = KeygenState.generate(proposal, me["index"], info["threshold"])
        folder.mkdir(parents=True, exist_ok=True)
        state_path.write_bytes(state.to_file(_passphrase(True)))
        client.call("/keygen", state.post(me["name"]))
        return f"keygen posted; keep {state_path} and its passphrase until 'receive'"
    if command == "deal":
        state = KeygenState.from_file(state_path.read_bytes(), _passphrase(False))
        client.call("/deal", deal(state, info["trustees"]))
        return "shares dealt (each encrypted to its trustee)"
    if command == "receive":
        state = KeygenState.from_file(state_path.read_bytes(), _passphrase(False))
        boxes = client.call("/shares")["shares"]
        share = receive(state, info["trustees"], boxes)
        share_path.write_bytes(share.to_file(_passphrase(False)))
        state_path.unlink()
        client.call("/confirm", {"confirmed": True})
        return f"key share written to {share_path}; the polynomial is discarded"
    if command == "decrypt":
        share = TrusteeShare.from_file(share_path.read_bytes(), _passphrase(False))
        client.call("/decrypt", decrypt(share, client.call("/tally")))
        return "decryption share posted"
    raise CeremonyError(f"unknown command {command}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ballots.trustee",
                                     description="A trustee's key ceremony for a secret vote.")
    parser.add_argument("command", choices=("keygen", "deal", "receive", "decrypt"))
    parser.add_argument("--server", required=True)
    parser.add_argument("--proposal", required=True)
    parser.add_argument("--dir", default=".", help="where the passphrase-protected files live")
    args = parser.parse_args(argv)
    token = os.environ.get("OT_API_TOKEN", "")
    if not token:
        print("error: set OT_API_TOKEN to your API token", file=sys.stderr)
        return 2
    try:
        print(run(args.command, Client(args.server, args.proposal, token), args.proposal,
                  Path(args.dir)))
    except (CeremonyError, TrusteeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
