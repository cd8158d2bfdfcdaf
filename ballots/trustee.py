"""A trustee's side of a secret vote's key ceremony, on the trustee's own device.

    python -m ballots.trustee keygen  --server URL --proposal ID --dir DIR
    python -m ballots.trustee deal    --server URL --proposal ID --dir DIR
    python -m ballots.trustee receive --server URL --proposal ID --dir DIR
    python -m ballots.trustee answer  --server URL --proposal ID --dir DIR
    python -m ballots.trustee decrypt --server URL --proposal ID --dir DIR

The API token is read from OT_API_TOKEN, the passphrase from OT_TRUSTEE_PASSPHRASE or asked
for. ``keygen`` draws the trustee's polynomial and transport key, posts the commitments (each
with its proof of knowledge) and the transport public key, and keeps the secrets in
DIR/ID.state, passphrase-protected. ``deal`` posts each other trustee's share encrypted to
that trustee. ``receive`` answers any complaint against this trustee, opens the shares dealt
to it, checks each against its sender's commitments, files a public complaint against every
sender whose share does not open or fails, and confirms. Once the key is settled (QUAL known:
the complaint round is over) ``receive`` run again writes the key share DIR/ID.share
(passphrase-protected) over QUAL, taking the revealed share for each complaint answered, and
deletes the state file; until then the state file is kept, since answering a complaint needs
the polynomial. ``answer`` only answers complaints. After the vote closes, ``decrypt`` posts
this trustee's decryption share of the encrypted tally with its proofs. No secret ever leaves
the device: the server sees commitments, proofs, sealed boxes, decryption shares, and the
answers to complaints (each one share, revealed to settle a dispute).
docs/ceremony.md has the whole.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ballots.canonical import CanonicalError, canonical_bytes, strict_loads
from ballots.secret.complaints import ComplaintError, key_share_over
from ballots.secret.group import base_mul, point_from_hex, scalar_from_hex, scalar_hex
from ballots.secret.transport import TransportError, TransportKey, seal_share
from ballots.secret.trustees import (
    TrusteeDealer,
    TrusteeError,
    TrusteeShare,
    _derive,
    check_received_share,
    decryption_share,
    verify_election,
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


def check_dealt(
    state: KeygenState, publics: Sequence[Mapping[str, Any]], boxes: Mapping[str, Any],
    skip: Collection[int] = (),
) -> tuple[dict[int, int], list[int]]:
    """Open and check every share dealt to this trustee (but those from ``skip``):
    (the shares that check, by dealer, own included; the dealers to complain against)."""
    good = {state.index: state.dealer.share_for(state.index)}
    bad: list[int] = []
    for public in publics:
        i = int(public["index"])
        if i == state.index or i in skip:
            continue
        if str(i) not in boxes:
            raise CeremonyError(f"trustee {i} has not dealt a share to you yet")
        try:
            share = state.transport.open(boxes[str(i)], state.proposal, i, state.index)
        except TransportError:
            bad.append(i)
            continue
        if check_received_share(public, state.index, share):
            good[i] = share
        else:
            bad.append(i)
    return good, bad


def receive(
    state: KeygenState, trustees: Sequence[Mapping[str, Any]], boxes: Mapping[str, Any]
) -> TrusteeShare:
    """Every share checks: the key share x_j over all dealers (a ceremony without complaints)."""
    good, bad = check_dealt(state, [t["public"] for t in trustees], boxes)
    if bad:
        raise CeremonyError(f"the share from trustee {bad[0]} fails its commitments")
    return TrusteeShare.combine(state.proposal, state.index, list(good.values()))


def answers(state: KeygenState, complaints: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The answer post: f_i(j) in the clear for each unanswered complaint against this dealer."""
    return {"answers": {str(c["accuser"]): scalar_hex(state.dealer.share_for(int(c["accuser"])))
                        for c in complaints
                        if c["dealer"] == state.index and c["share"] is None}}


def settled_share(
    state: KeygenState, election_doc: Any, boxes: Mapping[str, Any]
) -> TrusteeShare:
    """x_j over QUAL once the complaint round is settled: the dealt shares of the qualified
    dealers, and the revealed share wherever this trustee's complaint was answered."""
    try:
        election = verify_election(election_doc, state.proposal)
    except TrusteeError as exc:
        raise CeremonyError(f"the election key does not check: {exc}") from None
    revealed = {c.dealer: c.share for c in election.complaints
                if c.accuser == state.index and c.share is not None}
    qual = set(election.qualified)
    skip = {int(t["index"]) for t in election_doc["trustees"]} - qual | set(revealed)
    good, bad = check_dealt(state, election_doc["trustees"], boxes, skip)
    if bad:
        raise CeremonyError(f"the share from trustee {bad[0]} fails its commitments and you "
                            "did not complain in time: your key share cannot be made")
    try:
        secret = key_share_over(election.qualified, {**good, **revealed})
    except ComplaintError as exc:
        raise CeremonyError(str(exc)) from None
    if base_mul(secret) != election.public_shares[state.index]:
        raise CeremonyError("your key share does not match your public share in election.json")
    return TrusteeShare(state.proposal, state.index, secret)


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
    if command in ("receive", "answer"):
        state = KeygenState.from_file(state_path.read_bytes(), _passphrase(False))
        said = _answer(client, state, info)
        if command == "answer":
            return said or "no complaint against you awaits an answer"
        return _receive(client, state, info, share_path, state_path, said)
    if command == "decrypt":
        if not share_path.exists() and state_path.exists():
            # The key was settled after this trustee's last receive: finish it now.
            state = KeygenState.from_file(state_path.read_bytes(), _passphrase(False))
            _receive(client, state, info, share_path, state_path, "")
        share = TrusteeShare.from_file(share_path.read_bytes(), _passphrase(False))
        client.call("/decrypt", decrypt(share, client.call("/tally")))
        return "decryption share posted"
    raise CeremonyError(f"unknown command {command}")


def _answer(client: Client, state: KeygenState, info: Mapping[str, Any]) -> str:
    pending = [c for c in info.get("complaints", [])
               if c["dealer"] == state.index and c["share"] is None]
    if not pending or info["state"] != "dealing":
        return ""
    client.call("/answers", answers(state, pending))
    return (f"answered {len(pending)} complaint(s) against you (trustees "
            f"{', '.join(str(c['accuser']) for c in pending)}) with the shares in the clear; ")


SETTLED = ("ready", "closed", "pending", "sealed")


def _receive(client: Client, state: KeygenState, info: Mapping[str, Any], share_path: Path,
             state_path: Path, said: str) -> str:
    me = next(t for t in info["trustees"] if t["index"] == state.index)
    if info["state"] == "dealing" and me["confirmed_at"] is None:
        boxes = client.call("/shares")["shares"]
        publics = [t["public"] for t in info["trustees"]]
        waiting = [int(p["index"]) for p in publics
                   if int(p["index"]) != state.index and str(p["index"]) not in boxes]
        _, bad = check_dealt(state, publics, boxes, skip=waiting)
        filed = {c["dealer"] for c in info.get("complaints", []) if c["accuser"] == state.index}
        for i in bad:
            if i not in filed:
                client.call("/complaints", {"dealer": i})
        if bad:
            said += (f"complained against trustee(s) {', '.join(map(str, bad))}: their shares "
                     "do not open or fail their commitments; ")
        if waiting:
            # A dealer who deals nothing by the deadline has a complaint filed for it by the
            # server; until then its share may still come.
            return said + (f"trustee(s) {', '.join(map(str, waiting))} have not dealt to you "
                           "yet: run 'receive' again later")
        info = client.call("/confirm", {"confirmed": True})
    if info["state"] in SETTLED:
        boxes = client.call("/shares")["shares"]
        share = settled_share(state, info["election"], boxes)
        share_path.write_bytes(share.to_file(_passphrase(False)))
        state_path.unlink()
        return said + f"key share written to {share_path}; the polynomial is discarded"
    if info["state"] == "failed":
        raise CeremonyError(said + "the key ceremony failed: fewer than k trustees' dealings "
                                   "stand; this vote cannot be secret")
    return said + (f"shares checked and confirmed; keep {state_path} (you may have to answer a "
                   "complaint) and run 'receive' again once the key is ready")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ballots.trustee",
                                     description="A trustee's key ceremony for a secret vote.")
    parser.add_argument("command", choices=("keygen", "deal", "receive", "answer", "decrypt"))
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
