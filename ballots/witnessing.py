"""The decisions of a C2SP tlog-witness (c2sp.org/tlog-witness), free of any IO.

A witness keeps, per log origin, the last checkpoint it cosigned. It cosigns a new one only if
the log signed it and a consistency proof links it to that last one: a fork, a rollback or a
rewritten root is refused with the status code the spec names, and nothing is stored.
The caller (``python -m ballots.witness``) does the storing, atomically with the check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ballots.checkpoint import Checkpoint
from ballots.merkle import verify_consistency
from ballots.note import (
    SIG_COSIGNATURE_V1,
    Note,
    NoteError,
    NoteSignature,
    NoteSigner,
    VerifierKey,
    b64,
    parse_note,
    unb64,
    verify_note,
)

MAX_PROOF = 63
MAX_REQUEST = 1 << 16
TEXT_SIZE = "text/x.tlog.size"
_OLD = re.compile(r"old (0|[1-9][0-9]{0,18})")


class Refusal(Exception):
    """An add-checkpoint request the witness refuses: HTTP status, message, optional body."""

    def __init__(
        self, status: int, message: str, body: str | None = None, content_type: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body if body is not None else message + "\n"
        self.content_type = content_type or "text/plain; charset=utf-8"


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    note: Note


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """``old N``, up to 63 base64 proof lines, an empty line, then the signed checkpoint."""
    if len(body) > MAX_REQUEST:
        raise Refusal(400, f"request body over {MAX_REQUEST} bytes")
    head, sep, rest = body.partition(b"\n\n")
    if not sep:
        raise Refusal(400, "request has no empty line before the checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise Refusal(400, "request header lines are not ASCII") from None
    m = _OLD.fullmatch(lines[0])
    if m is None:
        raise Refusal(400, "the first line must be 'old <size>'")
    if len(lines) - 1 > MAX_PROOF:
        raise Refusal(400, f"more than {MAX_PROOF} consistency proof lines")
    try:
        proof = tuple(unb64(line, "proof hash") for line in lines[1:])
        note = parse_note(rest)
    except NoteError as exc:
        raise Refusal(400, str(exc)) from None
    if any(len(h) != 32 for h in proof):
        raise Refusal(400, "a proof line is not a 32-byte hash")
    return AddCheckpoint(int(m.group(1)), proof, note)


def add_checkpoint_request(old_size: int, proof: Sequence[bytes], note: Note) -> bytes:
    lines = [f"old {old_size}", *(b64(h) for h in proof)]
    return ("\n".join(lines) + "\n\n").encode() + note.to_bytes()


class Witness:
    """The witness's rules: its cosigner key and the log keys it accepts, by origin."""

    def __init__(self, signer: NoteSigner, logs: Mapping[str, Sequence[VerifierKey | str]]) -> None:
        if signer.verifier.sig_type != SIG_COSIGNATURE_V1:
            raise ValueError("a witness signs with a cosignature/v1 (type 0x04) key")
        self.signer = signer
        self.logs: dict[str, list[VerifierKey]] = {}
        for origin, keys in logs.items():
            parsed = [k if isinstance(k, VerifierKey) else VerifierKey.parse(str(k)) for k in keys]
            if any(k.name != origin for k in parsed):
                raise ValueError(f"a log key for {origin!r} must be named after the origin")
            self.logs[origin] = parsed

    def check(self, request: AddCheckpoint, latest: Note | None) -> Checkpoint:
        """The checkpoint to cosign, or Refusal; ``latest`` is the last one cosigned."""
        try:
            checkpoint = Checkpoint.parse(request.note.text)
        except NoteError as exc:
            if exc.reason == "empty_root":
                raise Refusal(422, str(exc)) from None
            raise Refusal(400, f"not a checkpoint: {exc}") from None
        keys = self.logs.get(checkpoint.origin)
        if keys is None:
            raise Refusal(404, f"unknown log origin {checkpoint.origin!r}")
        try:
            verify_note(request.note, keys)
        except NoteError as exc:
            raise Refusal(403, f"checkpoint signature: {exc}") from None
        if request.old_size > checkpoint.size:
            raise Refusal(400, f"old size {request.old_size} is larger than {checkpoint.size}")
        previous = Checkpoint.parse(latest.text) if latest is not None else None
        have = previous.size if previous is not None else 0
        if request.old_size != have:
            raise Refusal(
                409, f"the last cosigned size is {have}", f"{have}\n", content_type=TEXT_SIZE
            )
        if previous is None or request.old_size == 0:
            if request.proof:
                raise Refusal(422, "old size 0 takes an empty consistency proof")
            return checkpoint
        old_root = previous.root
        if previous.size == checkpoint.size:
            if checkpoint.root != old_root or request.proof:
                raise Refusal(422, f"a different root for the same size {checkpoint.size}")
            return checkpoint
        if not verify_consistency(
            previous.size, checkpoint.size, old_root, checkpoint.root, list(request.proof)
        ):
            raise Refusal(
                422,
                f"no consistency from size {previous.size} to {checkpoint.size}: "
                "the log forked or rewrote its history",
            )
        return checkpoint

    def cosign(self, note: Note, timestamp: int) -> NoteSignature:
        return self.signer.sign(note.text, timestamp)

