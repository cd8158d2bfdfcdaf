"""`flask trust audit`, completeness part: is anything there, and is all of it still there?

Every other check compares rows with what the log says about them, so a database emptied, or
restored from an older backup (the log cut back with everything else), would pass them all.
Two things from outside the database say how far the log had grown: a checkpoint the
operator gives (`--expect-checkpoint FILE_OR_URL`, e.g. one a witness cosigned or an earlier
download of /log/checkpoint), and the copy of the latest checkpoint this server signed, which
the log keeps in the instance folder (app/translog/service.py). The log must still hold the
leaves each vouches for, under the same root, and the database must still hold the checkpoint.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.charter.models import CharterVersion
from app.core.extensions import db
from app.integrity.findings import Finding
from app.keys.models import SigningKeyRecord
from app.translog import service as translog
from app.translog.models import Checkpoint
from ballots.keys import KeyRing, SignatureError, verify_object

MAX_CHECKPOINT_BYTES = 64 * 1024
FETCH_TIMEOUT = 20


class CheckpointSourceError(ValueError):
    """The expected checkpoint could not be read; the message says where and why."""


def load_checkpoint(source: str) -> dict[str, Any]:
    """A signed checkpoint from a file or an http(s) URL, at most 64 KB of JSON."""
    try:
        if source.startswith(("http://", "https://")):
            with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
                data = response.read(MAX_CHECKPOINT_BYTES + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(MAX_CHECKPOINT_BYTES + 1)
    except OSError as exc:
        raise CheckpointSourceError(f"cannot read the checkpoint {source}: {exc}") from None
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise CheckpointSourceError(f"{source} is larger than a checkpoint can be")
    try:
        found = json.loads(data)
    except ValueError:
        raise CheckpointSourceError(f"{source} is not JSON") from None
    if isinstance(found, dict) and isinstance(found.get("checkpoint"), dict):
        found = found["checkpoint"]  # a /log/ page's JSON wraps it
    if not (isinstance(found, dict) and found.get("type") == "checkpoint"
            and isinstance(found.get("size"), int) and isinstance(found.get("root"), str)):
        raise CheckpointSourceError(f"{source} does not hold a signed checkpoint")
    return found


def kept_copy_path() -> Path:
    return Path(current_app.instance_path) / translog.CHECKPOINT_COPY


def audit_not_empty(_keyring: KeyRing) -> Iterator[Finding]:
    if db.session.scalar(select(func.count()).select_from(SigningKeyRecord)) == 0:
        yield Finding("database", "holds no signing key: it is empty or was wiped")
    if db.session.scalar(select(func.count()).select_from(CharterVersion)) == 0:
        yield Finding("database", "holds no charter: it is empty or was wiped")
    if translog.size() == 0:
        yield Finding("transparency log", "is empty: nothing the trust published is left")


def audit_expected(
    keyring: KeyRing, expected: list[tuple[str, dict[str, Any]]]
) -> Iterator[Finding]:
    copy = kept_copy_path()
    if copy.exists():
        try:
            expected = [*expected, ("the copy kept in the instance folder",
                                    load_checkpoint(str(copy)))]
        except CheckpointSourceError as exc:
            yield Finding("kept checkpoint", str(exc))
    size = translog.size()
    for origin, checkpoint in expected:
        where = f"checkpoint at size {checkpoint['size']} ({origin})"
        try:
            verify_object(checkpoint, keyring)
        except SignatureError as exc:
            yield Finding(where, f"does not verify under the keys in the database: {exc}")
        if checkpoint["size"] > size:
            yield Finding(
                where, f"vouches for {checkpoint['size']} log leaves but the database holds "
                f"{size}: data was lost (a wipe, or a restore of an older backup)"
            )
            continue
        if translog.tree(checkpoint["size"]).root().hex() != checkpoint["root"]:
            yield Finding(where, "the log no longer has its root: history was rewritten")
        stored = db.session.get(Checkpoint, checkpoint["size"])
        if stored is None:
            newest = db.session.scalar(select(func.max(Checkpoint.size)))
            if newest is None or newest < checkpoint["size"]:
                yield Finding(where, "is missing from the database's signed checkpoints: "
                                     "checkpoints were deleted")

