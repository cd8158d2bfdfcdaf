"""`flask trust audit`, growth part: every growth-value entry belongs to a logged import batch.

Growth value is vote weight. The stored entries are regrouped by (source, recorded_at), the
key an import writes them under, and each group must reproduce its `growth.batch` leaf:
count, points and the root over the entries' records (app/growth/batches.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.core.extensions import db
from app.growth import batches
from app.growth.models import GrowthEntry, HeldGrowthEntry
from app.integrity.findings import Finding
from app.translog import kinds
from ballots.keys import KeyRing

READ_CHUNK = 10_000


def audit_growth(_keyring: KeyRing) -> Iterator[Finding]:
    logged = {subject: record for _i, subject, record in kinds.records(kinds.GROWTH_BATCH)}
    groups: dict[str, list[dict[str, Any]]] = {}
    rows = db.session.execute(
        select(
            GrowthEntry.owner_id, GrowthEntry.dimension, GrowthEntry.points, GrowthEntry.reason,
            GrowthEntry.source, GrowthEntry.source_id, GrowthEntry.occurred_at,
            GrowthEntry.recorded_at,
        ).execution_options(yield_per=READ_CHUNK)
    )
    for row in rows:
        entry = row._asdict()
        groups.setdefault(batches.batch_subject(entry["source"], entry["recorded_at"]), []).append(
            entry
        )
    for subject in sorted(groups):
        entries = groups[subject]
        where = f"growth import batch {subject.removeprefix('growth:')}"
        record = logged.get(subject)
        points = sum(int(e["points"]) for e in entries)
        if record is None:
            yield Finding(
                where, f"{len(entries)} entries ({points:,} points) are in no logged import "
                "batch: inserted outside an import"
            )
            continue
        first = entries[0]
        again = batches.batch_record(first["source"], first["recorded_at"], entries)
        if not batches.derived_fields_match(record, again):
            yield Finding(
                where, f"its entries no longer match the logged batch: {len(entries)} entries of "
                f"{points:,} points stored, {record.get('count')} of {record.get('points', 0):,} "
                "logged"
            )
    for subject in sorted(set(logged) - set(groups)):
        yield Finding(
            f"growth import batch {subject.removeprefix('growth:')}",
            f"logged with {logged[subject].get('count')} entries, none stored: deleted",
        )


def audit_held(_keyring: KeyRing) -> Iterator[Finding]:
    """Entries held for unclaimed owner numbers: those still held plus those a claim released
    since must rebuild each hold's `growth.held` leaf. Held value counts for nobody yet, but a
    claim turns it into vote weight, so an insider's held entry is weight in waiting."""
    logged = {subject: record for _i, subject, record in kinds.records(kinds.GROWTH_HELD)}
    released: dict[str, list[dict[str, Any]]] = {}
    for _i, subject, record in kinds.records(kinds.GROWTH_RELEASED):
        released.setdefault(subject, []).extend(record.get("entries", []))
    groups: dict[str, tuple[str, Any, list[dict[str, Any]]]] = {}
    rows = db.session.execute(
        select(
            HeldGrowthEntry.owner_number, HeldGrowthEntry.dimension, HeldGrowthEntry.points,
            HeldGrowthEntry.reason, HeldGrowthEntry.source, HeldGrowthEntry.source_id,
            HeldGrowthEntry.occurred_at, HeldGrowthEntry.recorded_at,
        ).execution_options(yield_per=READ_CHUNK)
    )
    for row in rows:
        entry = row._asdict()
        subject = batches.held_subject(entry["source"], entry["recorded_at"])
        groups.setdefault(subject, (entry["source"], entry["recorded_at"], []))[2].append(
            batches.held_record(entry))
    for subject in sorted(set(groups) | set(logged)):
        where = f"held growth batch {subject.removeprefix('held:')}"
        record = logged.get(subject)
        stored = groups.get(subject)
        if record is None:
            if stored is not None:
                points = sum(int(r["points"]) for r in stored[2])
                yield Finding(where, f"{len(stored[2])} held entries ({points:,} points) are in "
                              "no logged hold: inserted outside an import")
            continue
        held = stored[2] if stored else []
        again = batches.held_batch_record(
            record["source"], _parse(record["recorded_at"]), held + released.get(subject, []))
        if not batches.derived_fields_match(record, again):
            yield Finding(
                where, f"its held and released entries no longer match the logged hold: "
                f"{again['count']} entries of {again['points']:,} points found, "
                f"{record.get('count')} of {record.get('points', 0):,} logged")


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
