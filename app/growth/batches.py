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


def held_record(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A held entry as its `growth.held` leaf commits to it: by owner number, no account yet."""
    occurred: datetime = entry["occurred_at"]
    return {
        "owner_number": str(entry["owner_number"]),
        "dimension": entry["dimension"],
        "points": int(entry["points"]),
        "reason": entry["reason"],
        "source_id": entry["source_id"],
        "occurred_at": _utc(occurred),
    }


def held_subject(source: str, recorded_at: datetime) -> str:
    return f"held:{source}@{batch_time(recorded_at)}"


def _commitment(kind: str, source: str, recorded_at: datetime,
                records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(records, key=lambda r: str(r["source_id"]))
    stream = MerkleStream()
    for record in ordered:
        stream.append(canonical_bytes(record))
    return {
        "type": kind,
        "source": source,
        "recorded_at": batch_time(recorded_at),
        "count": len(ordered),
        "points": sum(int(r["points"]) for r in ordered),
        "root": stream.root().hex(),
    }


def batch_record(source: str, recorded_at: datetime,
                 entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return _commitment(kinds.GROWTH_BATCH, source, recorded_at, map(entry_record, entries))


def held_batch_record(source: str, recorded_at: datetime,
                      records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Over `held_record`s: those still held and those a claim has released since."""
    return _commitment(kinds.GROWTH_HELD, source, recorded_at, records)


def derived_fields_match(logged: Mapping[str, Any], derived: Mapping[str, Any]) -> bool:
    """The members the stored rows re-derive; an import's leaf also carries its file's hash
    and per-owner totals (what `growth.imported` held before), which the rows cannot."""
    return all(logged.get(key) == value for key, value in derived.items())


def _groups(entries: Iterable[dict[str, Any]]) -> list[tuple[tuple[str, datetime],
                                                             list[dict[str, Any]]]]:
    groups: dict[tuple[str, datetime], list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault((entry["source"], entry["recorded_at"]), []).append(entry)
    return sorted(groups.items(), key=lambda kv: kv[0])


def log_batch(entries: list[dict[str, Any]], extra: Mapping[str, Any] | None = None) -> None:
    """Append one leaf per (source, recorded_at) among rows just written, in the caller's
    transaction; `extra` members (an import's file hash and totals) join each record."""
    for (source, recorded_at), rows in _groups(entries):
        translog.append(
            kinds.GROWTH_BATCH,
            batch_subject(source, recorded_at),
            batch_record(source, recorded_at, rows) | dict(extra or {}),
            at=recorded_at,
        )


def log_held(entries: list[dict[str, Any]], extra: Mapping[str, Any] | None = None) -> None:
    """One `growth.held` leaf per (source, recorded_at) among entries just held."""
    for (source, recorded_at), rows in _groups(entries):
        translog.append(
            kinds.GROWTH_HELD,
            held_subject(source, recorded_at),
            held_batch_record(source, recorded_at, map(held_record, rows)) | dict(extra or {}),
            at=recorded_at,
        )


def log_released(held: list[dict[str, Any]], owner_id: int, at: datetime) -> None:
    """One `growth.released` leaf per hold batch that entries leave for a claiming account,
    naming each entry as it was held: the audit adds them back to rebuild the hold's leaf."""
    for (source, recorded_at), rows in _groups(held):
        translog.append(
            kinds.GROWTH_RELEASED,
            held_subject(source, recorded_at),
            {
                "type": kinds.GROWTH_RELEASED,
                "owner": owner_id,
                "at": _utc(at),
                "entries": sorted((held_record(r) for r in rows),
                                  key=lambda r: str(r["source_id"])),
            },
            at=at,
        )
