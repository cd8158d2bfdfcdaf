"""Importing growth-value entries from the brand's systems.

Two layers:

* parsing and validation, with no database access: `read_csv`, `read_jsonl` and `read_objects`
  turn a file (or the API's JSON list) into `EntryRow`s plus every `Problem` found, each one
  `(row, field, reason)`;
* one service function, `import_entries`, which checks owners and already-imported source ids in
  bulk, and writes every new entry in bulk inside ONE transaction, or nothing at all.

Row format (CSV with a header line, or JSON Lines with the same keys):

    owner        the owner's external_id (the brand's customer id)
    dimension    purchase | referral | community | efficiency | special
    points       a non-zero integer, |points| <= 10,000,000 (negative for a correction)
    reason       non-empty, at most 200 characters
    source_id    the entry's id in the source system: non-empty, <= 128 characters, unique
    occurred_at  RFC 3339 UTC, e.g. 2026-11-23T11:00:00Z, not in the future
    contact_email_sha256, contact_phone_sha256   optional: the contact the brand has verified
                 for this owner, as salted digests (app/growth/claims.py); an account can claim
                 the number only by a code sent to that contact

A row whose owner number no account has claimed yet is held (app/growth/holding.py) and counts
for nobody until a claim proves the number; without any verified contact for it, in this file
or an earlier one, it is an "unknown owner" problem.

Row numbers are line numbers in the file (for CSV the header is line 1, so the first entry is
row 2; a quoted field spanning lines is reported at the line where its record starts); for the
API's JSON body they are 1-based positions in the `entries` list. Row 0 is the file as a whole.

A file with any problem is rejected whole. Re-importing the same file is idempotent: a row whose
(source, source_id) is already in the ledger with the same content is skipped; with different
content it is a problem, since entries are never edited.
"""


from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.audit.service import record, record_refusal
from app.core.extensions import db
from app.growth import batches, holding, transfers
from app.growth.models import GrowthEntry
from app.growth.readers import READERS, parse_bytes, read_csv, read_file, read_jsonl, read_objects
from app.growth.rows import (
    CHANGED_CONTENT,
    COLUMNS,
    DEFAULT_SOURCE,
    MAX_POINTS,
    PROGRESS_EVERY,
    EntryRow,
    Parsed,
    Problem,
    Progress,
    check_source,
    parse_points,
    parse_time,
    validate_row,
)
from app.translog import kinds

# Values per lookup query: an IN list on SQLite (well under its oldest limit of 999 bound
# variables); on PostgreSQL one array parameter, `= ANY(:values)`, so chunks can be large.
LOOKUP_CHUNK = 500
LOOKUP_CHUNK_POSTGRES = 10_000
INSERT_CHUNK = 5_000


@dataclass
class ImportReport:
    rows: int
    inserted: int = 0
    skipped: int = 0
    # Entries for owner numbers no account has proved yet (holding.py), and contacts recorded.
    held: int = 0
    contacts: int = 0
    problems: list[Problem] = field(default_factory=list)
    source: str = DEFAULT_SOURCE
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "inserted": self.inserted,
            "skipped": self.skipped,
            "held": self.held,
            "contacts": self.contacts,
            "dry_run": self.dry_run,
        }



def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _member_of(column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    if _is_postgres():
        return column == any_(bindparam("values", list(values), type_=ARRAY(String())))
    return column.in_(values)  # type: ignore[no-any-return]


def _lookup_chunk() -> int:
    return LOOKUP_CHUNK_POSTGRES if _is_postgres() else LOOKUP_CHUNK


def _owner_ids(external_ids: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(external_ids))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted, _lookup_chunk()):
        rows = db.session.execute(
            select(User.external_id, User.id).where(_member_of(User.external_id, chunk))
        )
        found.update((external_id, user_id) for external_id, user_id in rows)
    return found


def _existing(source: str, source_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """(owner_id, dimension, points, reason, occurred_at) already in the ledger, by source_id."""
    found: dict[str, tuple[Any, ...]] = {}
    for chunk in _chunks(source_ids, _lookup_chunk()):
        rows = db.session.execute(
            select(
                GrowthEntry.source_id,
                GrowthEntry.owner_id,
                GrowthEntry.dimension,
                GrowthEntry.points,
                GrowthEntry.reason,
                GrowthEntry.occurred_at,
            ).where(GrowthEntry.source == source, _member_of(GrowthEntry.source_id, chunk))
        )
        for source_id, *content in rows:
            found[source_id] = tuple(content)
    return found


def import_entries(
    parsed: Parsed,
    source: str = DEFAULT_SOURCE,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    via: str = "",
    actor_id: int | None = None,
) -> ImportReport:
    """Write a parsed file to the ledger: every new row in one transaction, or nothing.

    On any problem (from reading, unknown owners, changed content under a known source_id)
    nothing is written and a refusal is audited; on success the entries and a "growth.import"
    audit event are flushed together, for the caller (the view, the API, the command) to commit.
    A dry run checks everything and writes nothing.
    """
    report = ImportReport(rows=parsed.rows, source=source, dry_run=dry_run)
    problems = list(parsed.problems)
    source_problem = check_source(source)
    if source_problem:
        problems.insert(0, source_problem)
    entries = parsed.entries

    to_insert: list[dict[str, Any]] = []
    to_hold: list[dict[str, Any]] = []
    contacts: dict[str, tuple[str | None, str | None]] = {}
    try:
        if not source_problem and entries:
            total = len(entries)
            owners = _owner_ids(entry.owner for entry in entries)
            existing = _existing(source, [entry.source_id for entry in entries])
            contacts = holding.file_contacts(entries, problems)
            unbound = [entry.owner for entry in entries if entry.owner not in owners]
            holdable = set(contacts) | holding.numbers_with_contact(unbound) if unbound else set()
            held_before = holding.existing_held(
                source, [e.source_id for e in entries if e.owner not in owners]
            ) if unbound else {}
            recorded_at = datetime.now(UTC)
            for done, entry in enumerate(entries, start=1):
                if progress and done % PROGRESS_EVERY == 0:
                    progress("check", PROGRESS_EVERY, total)
                owner_id = owners.get(entry.owner)
                if owner_id is None:
                    if entry.owner not in holdable:
                        problems.append(Problem(entry.row, "owner", UNKNOWN_OWNER))
                        continue
                    held = (entry.owner, entry.dimension, entry.points, entry.reason,
                            entry.occurred_at)
                    earlier = held_before.get(entry.source_id) or existing.get(entry.source_id)
                    if earlier is not None:
                        if earlier == held:
                            report.skipped += 1
                        else:
                            problems.append(Problem(entry.row, "source_id", CHANGED_CONTENT))
                        continue
                    to_hold.append({"owner_number": entry.owner, "dimension": entry.dimension,
                                    "points": entry.points, "reason": entry.reason,
                                    "source": source, "source_id": entry.source_id,
                                    "occurred_at": entry.occurred_at,
                                    "recorded_at": recorded_at})
                    continue
                content = (owner_id, entry.dimension, entry.points, entry.reason,
                           entry.occurred_at)
                already = existing.get(entry.source_id)
                if already is not None:
                    # The owner may differ only because the number moved to this account since
                    # (its value followed by transfer entries, app/growth/transfers.py).
                    same = already == content or (
                        already[1:] == content[1:]
                        and already[0] in transfers.moved_from(entry.owner)
                    )
                    if same:
                        report.skipped += 1
                    else:
                        problems.append(Problem(entry.row, "source_id", CHANGED_CONTENT))
                    continue
                to_insert.append(
                    {
                        "owner_id": owner_id,
                        "dimension": entry.dimension,
                        "points": entry.points,
                        "reason": entry.reason,
                        "source": source,
                        "source_id": entry.source_id,
                        "occurred_at": entry.occurred_at,
                        "recorded_at": recorded_at,
                    }
                )
            if progress and total % PROGRESS_EVERY:
                progress("check", total % PROGRESS_EVERY, total)

        if problems:
            report.problems = sorted(problems)
            if dry_run:
                db.session.rollback()
            else:
                _refuse(report, parsed, via, actor_id)
            return report
        report.held = len(to_hold)
        report.contacts = len(contacts)
        if dry_run:
            report.inserted = len(to_insert)
            db.session.rollback()
            return report

        _write(to_insert, progress)
        holding.hold(to_hold)
        holding.save_contacts(contacts, source)
        batches.log_batch(to_insert, _file_fields(parsed, to_insert,
                                                  {v: k for k, v in owners.items()}))
        batches.log_held(to_hold, {"file_sha256": parsed.sha256})
        report.inserted = len(to_insert)
        record(
            "growth.import",
            actor_id=actor_id,
            subject=source,
            via=via,
            rows=report.rows,
            inserted=report.inserted,
            skipped=report.skipped,
            held=report.held,
            contacts=report.contacts,
            sha256=parsed.sha256,
        )
        db.session.flush()
    except IntegrityError:
        # Another import of the same source ids committed between our check and our insert.
        db.session.rollback()
        report.inserted = 0
        report.problems = [
            Problem(0, "source_id", "a concurrent import wrote some of these source ids; "
                    "nothing was written — run the import again")
        ]
        _refuse(report, parsed, via, actor_id)
        return report
    except BaseException:
        db.session.rollback()
        raise
    return report


UNKNOWN_OWNER = (
    "unknown owner: no account has proved this number and the feed gives no verified contact "
    "for it (contact_email_sha256 / contact_phone_sha256)"
)

def _file_fields(
    parsed: Parsed, rows: list[dict[str, Any]], external: dict[int, str]
) -> dict[str, Any]:
    """What the import's `growth.batch` leaf adds about its file: the file's hash and a
    commitment to the totals it changed (the members `growth.imported` leaves carried)."""
    deltas: dict[str, int] = {}
    for row in rows:
        owner = external[row["owner_id"]]
        deltas[owner] = deltas.get(owner, 0) + row["points"]
    root, owners = kinds.totals_commitment(deltas)
    return {
        "file_sha256": parsed.sha256, "rows": parsed.rows, "inserted": len(rows),
        "owners_changed": owners, "points_total": sum(deltas.values()), "totals_root": root,
    }


INSERT_COLUMNS = (
    "owner_id", "dimension", "points", "reason", "source", "source_id", "occurred_at",
    "recorded_at",
)


def _write(rows: list[dict[str, Any]], progress: Progress | None) -> None:
    """Insert in chunks in the session's transaction: COPY on PostgreSQL, executemany elsewhere.

    COPY runs on the session's own connection, so it commits or rolls back with everything else.
    """
    if _is_postgres():
        _copy(rows, progress)
        return
    for chunk in _chunks(rows, INSERT_CHUNK):
        db.session.execute(insert(GrowthEntry), list(chunk))
        if progress:
            progress("write", len(chunk), len(rows))


def _copy(rows: list[dict[str, Any]], progress: Progress | None) -> None:
    import psycopg

    table = GrowthEntry.__table__.name
    statement = f"COPY {table} ({', '.join(INSERT_COLUMNS)}) FROM STDIN"
    connection = db.session.connection().connection.driver_connection
    try:
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for chunk in _chunks(rows, INSERT_CHUNK):
                for row in chunk:
                    copy.write_row([row[name] for name in INSERT_COLUMNS])
                if progress:
                    progress("write", len(chunk), len(rows))
    except psycopg.errors.IntegrityError as error:
        raise IntegrityError(statement, None, error) from error


def _refuse(report: ImportReport, parsed: Parsed, via: str, actor_id: int | None) -> None:
    record_refusal(
        "growth.import",
        actor_id=actor_id,
        subject=report.source,
        via=via,
        rows=report.rows,
        problems=len(report.problems),
        first_problems=[str(problem) for problem in report.problems[:10]],
        sha256=parsed.sha256,
    )


__all__ = [
    "MAX_POINTS",
    "READERS",
    "check_source",
    "parse_points",
    "COLUMNS",
    "DEFAULT_SOURCE",
    "EntryRow",
    "ImportReport",
    "Parsed",
    "Problem",
    "import_entries",
    "parse_bytes",
    "parse_time",
    "read_csv",
    "read_file",
    "read_jsonl",
    "read_objects",
    "validate_row",
]
