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

Row numbers are line numbers in the file (for CSV the header is line 1, so the first entry is
row 2; a quoted field spanning lines is reported at the line where its record starts); for the
API's JSON body they are 1-based positions in the `entries` list. Row 0 is the file as a whole.

A file with any problem is rejected whole. Re-importing the same file is idempotent: a row whose
(source, source_id) is already in the ledger with the same content is skipped; with different
content it is a problem, since entries are never edited.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.audit.service import record, record_refusal
from app.core.extensions import db
from app.growth.models import DIMENSIONS, GrowthEntry
from app.translog import kinds
from app.translog import service as translog

COLUMNS = ("owner", "dimension", "points", "reason", "source_id", "occurred_at")
DEFAULT_SOURCE = "brand-crm"
MAX_POINTS = 10_000_000
MAX_REASON = 200
MAX_SOURCE_ID = 128
MAX_OWNER = 64
MAX_SOURCE = 64
# Values per lookup query: an IN list on SQLite (well under its oldest limit of 999 bound
# variables); on PostgreSQL one array parameter, `= ANY(:values)`, so chunks can be large.
LOOKUP_CHUNK = 500
LOOKUP_CHUNK_POSTGRES = 10_000
INSERT_CHUNK = 5_000
PROGRESS_EVERY = 5_000

# Unicode category Cc: C0 and C1 control characters, DEL (PostgreSQL refuses NUL in text).
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
SOURCE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
INTEGER_RE = re.compile(r"[+-]?[0-9]{1,12}\Z")
RFC3339_UTC_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|\+00:00)\Z"
)
RFC3339_ANY_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?\Z"
)

CHANGED_CONTENT = (
    "source_id already imported with different content — entries are never edited; "
    "send a correction under a new source_id"
)

# progress(stage, advance, total): `stage` is "validate", "check" or "write".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, order=True)
class Problem:
    row: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}, {self.field}: {self.reason}"


@dataclass(frozen=True)
class EntryRow:
    """One valid row, as it will be written (before the owner is resolved)."""

    row: int
    owner: str
    dimension: str
    points: int
    reason: str
    source_id: str
    occurred_at: datetime


@dataclass
class Parsed:
    """What the reading layer hands the service: the rows that passed, and every problem."""

    rows: int
    entries: list[EntryRow]
    problems: list[Problem]
    sha256: str = ""


@dataclass
class ImportReport:
    rows: int
    inserted: int = 0
    skipped: int = 0
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
            "dry_run": self.dry_run,
        }


# --------------------------------------------------------------------------- reading


def _decode_lines(data: bytes, problems: list[Problem]) -> list[str]:
    """Split into lines (keeping their endings) and decode each as UTF-8, noting bad lines.

    A line that is not UTF-8 is reported and decoded with replacement characters, so that the
    rest of the file is still checked and every problem listed at once.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return _split_keep_nl(text)
    lines: list[str] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(
                Problem(number, "file", f"not UTF-8 (byte {error.start + 1} of the line)")
            )
            line = raw.decode("utf-8", errors="replace")
        lines.append(line + "\n")
    if lines and lines[-1] == "\n":
        lines.pop()  # the file ended with a newline
    return lines


def _split_keep_nl(text: str) -> list[str]:
    lines = text.split("\n")
    last = lines.pop()
    out = [line + "\n" for line in lines]
    if last:
        out.append(last)
    return out


def read_csv(data: bytes, progress: Progress | None = None) -> Parsed:
    """Parse and validate a CSV file (UTF-8, optional BOM, header line naming the columns)."""
    problems: list[Problem] = []
    sha = hashlib.sha256(data).hexdigest()
    lines = _decode_lines(data, problems)
    if not lines or not any(line.strip() for line in lines):
        return Parsed(0, [], [Problem(0, "file", "empty file: no header and no rows")], sha)

    # Track the line where each record starts: csv.reader reports where it ends.
    reader = csv.reader(lines, strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        problems.append(Problem(start, "file", f"malformed CSV: {error}"))

    if not records:
        return Parsed(0, [], [*problems, Problem(0, "file", "empty file")], sha)
    header_line, header = records[0]
    if not header or all(not name.strip() for name in header):
        problems.append(Problem(header_line, "header", "the first line must name the columns"))
        return Parsed(max(len(records) - 1, 0), [], problems, sha)

    names = [name.strip() for name in header]
    column_problems = False
    seen_names: set[str] = set()
    for name in names:
        label = name or "(blank)"  # every problem names a field, even a nameless column
        if name in seen_names:
            problems.append(Problem(header_line, label, "column named twice in the header"))
            column_problems = True
        seen_names.add(name)
        if name not in COLUMNS:
            problems.append(
                Problem(header_line, label, "unknown column (expected: "
                        + ", ".join(COLUMNS) + ")")
            )
            column_problems = True
    for name in COLUMNS:
        if name not in seen_names:
            problems.append(Problem(header_line, name, "missing column"))
            column_problems = True

    body = records[1:]
    if not body and not column_problems:
        problems.append(Problem(0, "file", "no rows after the header"))

    entries: list[EntryRow] = []
    source_ids: dict[str, int] = {}
    now = datetime.now(UTC)
    width = len(names)
    validated = 0
    for line_number, cells in body:
        validated += 1
        if progress and validated % PROGRESS_EVERY == 0:
            progress("validate", PROGRESS_EVERY, len(body))
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            problems.append(Problem(line_number, "row", "blank line"))
            continue
        if len(cells) != width:
            problems.append(
                Problem(line_number, "row", f"{len(cells)} fields where the header has {width}")
            )
            continue
        if column_problems:
            continue  # the header is already wrong; do not repeat it for every row
        values = dict(zip(names, cells, strict=True))
        entry = validate_row(line_number, values, source_ids, problems, text_only=True, now=now)
        if entry is not None:
            entries.append(entry)
    if progress and validated % PROGRESS_EVERY:
        progress("validate", validated % PROGRESS_EVERY, len(body))
    return Parsed(len(body), entries, problems, sha)


def read_jsonl(data: bytes, progress: Progress | None = None) -> Parsed:
    """Parse and validate a JSON Lines file: one JSON object per line, the CSV's keys."""
    problems: list[Problem] = []
    sha = hashlib.sha256(data).hexdigest()
    lines = _decode_lines(data, problems)
    if not any(line.strip() for line in lines):
        return Parsed(0, [], [*problems, Problem(0, "file", "empty file: no rows")], sha)
    entries: list[EntryRow] = []
    source_ids: dict[str, int] = {}
    now = datetime.now(UTC)
    for number, line in enumerate(lines, start=1):
        if progress and number % PROGRESS_EVERY == 0:
            progress("validate", PROGRESS_EVERY, len(lines))
        if not line.strip():
            problems.append(Problem(number, "row", "blank line"))
            continue
        try:
            value = json.loads(line)
        except ValueError as error:
            problems.append(Problem(number, "row", f"not valid JSON: {error}"))
            continue
        if not isinstance(value, dict):
            problems.append(Problem(number, "row", "not a JSON object"))
            continue
        entry = validate_row(number, value, source_ids, problems, now=now)
        if entry is not None:
            entries.append(entry)
    if progress and len(lines) % PROGRESS_EVERY:
        progress("validate", len(lines) % PROGRESS_EVERY, len(lines))
    return Parsed(len(lines), entries, problems, sha)


def read_objects(items: Sequence[Any]) -> Parsed:
    """Validate the API's JSON `entries` list; rows are 1-based positions in the list."""
    problems: list[Problem] = []
    entries: list[EntryRow] = []
    source_ids: dict[str, int] = {}
    if not items:
        problems.append(Problem(0, "entries", "no entries"))
    for number, value in enumerate(items, start=1):
        if not isinstance(value, dict):
            problems.append(Problem(number, "row", "not a JSON object"))
            continue
        entry = validate_row(number, value, source_ids, problems)
        if entry is not None:
            entries.append(entry)
    canonical = json.dumps(list(items), sort_keys=True, ensure_ascii=False, default=str)
    return Parsed(len(items), entries, problems, hashlib.sha256(canonical.encode()).hexdigest())


READERS: dict[str, Callable[[bytes, Progress | None], Parsed]] = {
    ".csv": read_csv,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
}


# --------------------------------------------------------------------------- validation


def _has_control(text: str) -> bool:
    return CONTROL_RE.search(text) is not None


def _text(
    row: int, name: str, value: Any, limit: int, problems: list[Problem]
) -> str | None:
    if not isinstance(value, str):
        problems.append(Problem(row, name, "must be a string"))
        return None
    if not value.strip():
        problems.append(Problem(row, name, "empty"))
        return None
    if len(value) > limit:
        problems.append(Problem(row, name, f"longer than {limit} characters ({len(value)})"))
        return None
    if _has_control(value):
        problems.append(Problem(row, name, "contains control characters"))
        return None
    return value


def _identifier(
    row: int, name: str, value: Any, limit: int, problems: list[Problem]
) -> str | None:
    text = _text(row, name, value, limit, problems)
    if text is not None and text != text.strip():
        problems.append(Problem(row, name, "leading or trailing spaces"))
        return None
    return text


def parse_points(value: Any) -> int | str:
    """The points as an int, or the reason they are not acceptable."""
    if isinstance(value, bool):
        return "not an integer"
    if isinstance(value, str):
        if not INTEGER_RE.match(value):
            return "not an integer" if value.strip() else "empty"
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        return "not an integer"
    if number == 0:
        return "zero: an entry must add or remove points"
    if abs(number) > MAX_POINTS:
        return f"out of range (at most {MAX_POINTS:,} either way)"
    return number


def parse_time(value: Any, now: datetime | None = None) -> datetime | str:
    """An RFC 3339 UTC time as an aware datetime, or the reason it is not acceptable."""
    if not isinstance(value, str):
        return "must be a string (RFC 3339 UTC, e.g. 2026-11-23T11:00:00Z)"
    if not RFC3339_UTC_RE.match(value):
        if RFC3339_ANY_RE.match(value):
            return "must be in UTC, ending in Z (e.g. 2026-11-23T11:00:00Z)"
        return "not an RFC 3339 time (e.g. 2026-11-23T11:00:00Z)"
    text = value[:-1] + "+00:00" if value[-1] in "Zz" else value
    text = text.replace("t", "T")
    if "." in text:  # Python keeps microseconds: cut longer fractions to six digits
        head, rest = text.split(".", 1)
        digits, offset = rest[:-6], rest[-6:]
        text = f"{head}.{digits[:6].ljust(6, '0')}{offset}"
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return "not a valid date or time"
    if now is not None and moment > now:
        return "in the future"
    return moment


def validate_row(
    row: int,
    values: Mapping[str, Any],
    source_ids: dict[str, int],
    problems: list[Problem],
    *,
    text_only: bool = False,
    now: datetime | None = None,
) -> EntryRow | None:
    """Check one row, appending every problem found; the row when it has none.

    `source_ids` maps each source_id seen so far in the file to its row, to catch duplicates.
    """
    before = len(problems)
    now = now or datetime.now(UTC)
    if not text_only:
        for name in values:
            if name not in COLUMNS:
                problems.append(Problem(row, str(name) or "(blank)", "unknown field"))
    for name in COLUMNS:
        if name not in values or values[name] is None:
            problems.append(Problem(row, name, "missing"))

    owner = _identifier(row, "owner", values["owner"], MAX_OWNER, problems) \
        if values.get("owner") is not None else None

    dimension = values.get("dimension")
    if dimension is not None and dimension not in DIMENSIONS:
        problems.append(
            Problem(row, "dimension", f"unknown dimension {str(dimension)[:40]!r} (expected: "
                    + ", ".join(DIMENSIONS) + ")")
        )

    points: int | str | None = None
    if values.get("points") is not None:
        points = parse_points(values["points"])
        if isinstance(points, str):
            problems.append(Problem(row, "points", points))

    reason = _text(row, "reason", values["reason"], MAX_REASON, problems) \
        if values.get("reason") is not None else None

    source_id = None
    if values.get("source_id") is not None:
        source_id = _identifier(row, "source_id", values["source_id"], MAX_SOURCE_ID, problems)
        if source_id is not None:
            first = source_ids.setdefault(source_id, row)
            if first != row:
                problems.append(
                    Problem(row, "source_id", f"duplicate source_id (first at row {first})")
                )

    occurred: datetime | str | None = None
    if values.get("occurred_at") is not None:
        occurred = parse_time(values["occurred_at"], now)
        if isinstance(occurred, str):
            problems.append(Problem(row, "occurred_at", occurred))

    if len(problems) != before:
        return None
    assert owner is not None and reason is not None and source_id is not None
    assert isinstance(points, int) and isinstance(occurred, datetime)
    return EntryRow(row, owner, str(dimension), points, reason, source_id, occurred)


def check_source(source: Any) -> Problem | None:
    if not isinstance(source, str) or not source:
        return Problem(0, "source", "missing source system name")
    if len(source) > MAX_SOURCE or not SOURCE_RE.match(source):
        return Problem(
            0, "source",
            f"source must be 1-{MAX_SOURCE} letters, digits, '.', '_' or '-' (got {source[:80]!r})",
        )
    return None


# --------------------------------------------------------------------------- the service


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
    audit event are committed together. A dry run checks everything and writes nothing.
    """
    report = ImportReport(rows=parsed.rows, source=source, dry_run=dry_run)
    problems = list(parsed.problems)
    source_problem = check_source(source)
    if source_problem:
        problems.insert(0, source_problem)
    entries = parsed.entries

    to_insert: list[dict[str, Any]] = []
    try:
        if not source_problem and entries:
            total = len(entries)
            owners = _owner_ids(entry.owner for entry in entries)
            existing = _existing(source, [entry.source_id for entry in entries])
            recorded_at = datetime.now(UTC).replace(microsecond=0)
            for done, entry in enumerate(entries, start=1):
                if progress and done % PROGRESS_EVERY == 0:
                    progress("check", PROGRESS_EVERY, total)
                owner_id = owners.get(entry.owner)
                if owner_id is None:
                    problems.append(Problem(entry.row, "owner", "unknown owner"))
                    continue
                content = (owner_id, entry.dimension, entry.points, entry.reason,
                           entry.occurred_at)
                already = existing.get(entry.source_id)
                if already is not None:
                    if already == content:
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
        if dry_run:
            report.inserted = len(to_insert)
            db.session.rollback()
            return report

        _write(to_insert, progress)
        report.inserted = len(to_insert)
        if to_insert:
            _log_batch(parsed, source, to_insert, {v: k for k, v in owners.items()})
        record(
            "growth.import",
            actor_id=actor_id,
            subject=source,
            via=via,
            rows=report.rows,
            inserted=report.inserted,
            skipped=report.skipped,
            sha256=parsed.sha256,
        )
        db.session.commit()
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


def _log_batch(
    parsed: Parsed, source: str, rows: list[dict[str, Any]], external: dict[int, str]
) -> None:
    """The batch as a log leaf: its file's hash and a commitment to the totals it changed."""
    deltas: dict[str, int] = {}
    for row in rows:
        owner = external[row["owner_id"]]
        deltas[owner] = deltas.get(owner, 0) + row["points"]
    root, owners = kinds.totals_commitment(deltas)
    translog.append("growth.imported", f"growth:{source[:64]}:{parsed.sha256[:16]}", {
        "type": "growth.imported", "source": source, "file_sha256": parsed.sha256,
        "rows": parsed.rows, "inserted": len(rows), "owners_changed": owners,
        "points_total": sum(deltas.values()), "totals_root": root,
    })


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


def read_file(path: str, progress: Progress | None = None) -> Parsed:
    """Read a .csv, .jsonl or .ndjson file by its extension."""
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    reader = READERS.get(suffix)
    if reader is None:
        raise ValueError(
            f"unknown file type {suffix or '(none)'!r}: use .csv, .jsonl or .ndjson"
        )
    with open(path, "rb") as handle:
        data = handle.read()
    return reader(data, progress)


def parse_bytes(data: bytes, kind: str) -> Parsed:
    """Read an in-memory body, `kind` being "csv" or "jsonl"."""
    return read_csv(data) if kind == "csv" else read_jsonl(data)


__all__ = [
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
