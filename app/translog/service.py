"""The transparency log: one append-only Merkle log of every governance record that matters."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select, text

from app.core.db_types import utcnow
from app.core.extensions import db
from app.translog.models import LogLeaf
from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.log import log_leaf
from ballots.merkle import MerkleTree, leaf_hash
from ballots.records import format_time

LOG_LOCK_ID = 0x6C6F67  # any constant shared by every worker
MAX_ENTRIES = 1000
# Records can be kilobytes each (a sealed result, a charter): a smaller page keeps a response
# to a few megabytes at most.
MAX_RECORDS = 256


class LogRequestError(ValueError):
    pass


def append(type_: str, subject: str, record: dict[str, Any], at: datetime | None = None) -> LogLeaf:
    """Append one leaf in the caller's transaction.

    Appends are serialised in the database: on PostgreSQL by a transaction-scoped advisory lock
    held until the caller commits, on SQLite by its single writer (transactions begin
    IMMEDIATE). The primary key on `index` turns any slip into an error, never a gap or a fork.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOG_LOCK_ID})
    size = db.session.scalar(select(func.count()).select_from(LogLeaf)) or 0
    now = utcnow()
    when = at or now
    last = db.session.scalar(select(LogLeaf.logged_at).where(LogLeaf.index == size - 1))
    # Numbered and timed here, under the lock: a clock stepping back never reorders the log.
    logged = max(now, last) if last is not None else now
    leaf = log_leaf(
        size, type_, format_time(when), subject, canonical_sha256(record), format_time(logged)
    )
    row = LogLeaf(
        index=size,
        type=type_,
        at=when,
        logged_at=logged,
        subject=subject,
        sha256=leaf["sha256"],
        record_json=canonical_bytes(record).decode(),
        leaf_hash=leaf_hash(canonical_bytes(leaf)),
    )
    db.session.add(row)
    db.session.flush()
    return row


def leaf_object(row: LogLeaf) -> dict[str, Any]:
    logged = format_time(row.logged_at) if row.logged_at is not None else None
    return log_leaf(row.index, row.type, format_time(row.at), row.subject, row.sha256, logged)


def size() -> int:
    return db.session.scalar(select(func.count()).select_from(LogLeaf)) or 0


def tree(upto: int | None = None) -> MerkleTree:
    query = select(LogLeaf.leaf_hash).order_by(LogLeaf.index)
    if upto is not None:
        query = query.where(LogLeaf.index < upto)
    return MerkleTree.from_leaf_hashes(bytes(h) for h in db.session.scalars(query))


CHECKPOINT_COPY = "latest-checkpoint.json"


def keep_copy(signed: dict[str, Any]) -> None:
    """Keep the largest checkpoint signed so far in the instance folder, outside the database:
    `flask trust audit` then names a database wiped or restored to a smaller log."""
    folder = Path(current_app.instance_path)
    target = folder / CHECKPOINT_COPY
    try:
        if target.exists() and json.loads(target.read_text()).get("size", -1) >= signed["size"]:
            return
        folder.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: two workers never leave half a file.
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as out:
            json.dump(signed, out)
        os.replace(out.name, target)
    except (OSError, ValueError) as exc:
        current_app.logger.warning("could not keep a copy of the checkpoint: %s", exc)


def entries(start: int, end: int) -> list[dict[str, Any]]:
    if start < 0 or end < start:
        raise LogRequestError("need 0 <= start <= end")
    if end - start > MAX_ENTRIES:
        raise LogRequestError(f"at most {MAX_ENTRIES} entries per request")
    rows = db.session.scalars(
        select(LogLeaf).where(LogLeaf.index >= start, LogLeaf.index < end).order_by(LogLeaf.index)
    )
    return [leaf_object(r) for r in rows]


def record_of(index: int) -> dict[str, Any] | None:
    row = db.session.get(LogLeaf, index)
    if row is None:
        return None
    record: dict[str, Any] = json.loads(row.record_json)
    return record


def records_bytes(start: int, end: int) -> bytes:
    """The records of leaves start..end-1 as one JSON array, each exactly as stored (canonical).

    Only leaves that exist are served, so a response never changes once given: caches may keep
    it for good, as they keep one record.
    """
    total = size()
    if not 0 <= start <= end <= total:
        raise LogRequestError(f"need 0 <= start <= end <= {total} (the log's size)")
    if end - start > MAX_RECORDS:
        raise LogRequestError(f"at most {MAX_RECORDS} records per request")
    rows = db.session.scalars(
        select(LogLeaf.record_json)
        .where(LogLeaf.index >= start, LogLeaf.index < end)
        .order_by(LogLeaf.index)
    )
    return b"[" + b",".join(r.encode() for r in rows) + b"]"


def inclusion(index: int, tree_size: int) -> dict[str, Any]:
    total = size()
    if not 0 <= index < tree_size <= total:
        raise LogRequestError(f"need 0 <= index < size <= {total}")
    path = tree(tree_size).inclusion_proof(index, tree_size)
    return {"index": index, "size": tree_size, "path": [h.hex() for h in path]}


def consistency(first: int, second: int) -> dict[str, Any]:
    total = size()
    if not 0 <= first <= second <= total:
        raise LogRequestError(f"need 0 <= first <= second <= {total}")
    path = tree(second).consistency_proof(first, second)
    return {"first": first, "second": second, "path": [h.hex() for h in path]}
