"""Growth-value entries bound to the log, one leaf per import batch.

Growth value decides how much each owner's vote weighs. An entry's points, owner or time
edited in the database, or an entry inserted outside an import, would move weight without a
trace; so every batch written to the ledger appends a `growth.batch` leaf naming its source,
its time (the entries' shared `recorded_at`), how many entries it wrote, their points and the
Merkle root of their records in source_id order. `flask trust audit` regroups the stored
entries the same way and compares (app/integrity/growth.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from app.translog import kinds
from app.translog import service as translog
from ballots.canonical import canonical_bytes
from ballots.merkle import MerkleStream


def _utc(when: datetime) -> str:
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def batch_time(recorded_at: datetime) -> str:
    """A batch's key time, to the microsecond: two batches of one source never share it."""
    return _utc(recorded_at)


def batch_subject(source: str, recorded_at: datetime) -> str:
    return f"growth:{source}@{batch_time(recorded_at)}"


def entry_record(entry: Mapping[str, Any]) -> dict[str, Any]:
    occurred: datetime = entry["occurred_at"]
    return {
        "owner": int(entry["owner_id"]),
        "dimension": entry["dimension"],
        "points": int(entry["points"]),
        "reason": entry["reason"],
        "source_id": entry["source_id"],
        "occurred_at": _utc(occurred),
    }


def batch_record(source: str, recorded_at: datetime,
                 entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    records = sorted((entry_record(e) for e in entries), key=lambda r: str(r["source_id"]))
    stream = MerkleStream()
    for record in records:
        stream.append(canonical_bytes(record))
    return {
        "type": kinds.GROWTH_BATCH,
        "source": source,
        "recorded_at": batch_time(recorded_at),
        "count": len(records),
        "points": sum(int(r["points"]) for r in records),
        "root": stream.root().hex(),
    }


def log_batch(entries: list[dict[str, Any]]) -> None:
    """Append one leaf per (source, recorded_at) among rows just written, in the caller's
    transaction."""
    groups: dict[tuple[str, datetime], list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault((entry["source"], entry["recorded_at"]), []).append(entry)
    for (source, recorded_at), rows in sorted(groups.items(), key=lambda kv: kv[0]):
        translog.append(
            kinds.GROWTH_BATCH,
            batch_subject(source, recorded_at),
            batch_record(source, recorded_at, rows),
            at=recorded_at,
        )
