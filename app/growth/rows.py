"""Growth-entry rows: their format, the limits on each field, and the check of one row.

No database access here: `validate_row` turns one row's values into an `EntryRow` or adds every
`Problem` it finds, `(row, field, reason)`, so that a whole file can be checked before anything
is written. The readers (readers.py) and the service (imports.py) build on these types.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.growth.models import DIMENSIONS

COLUMNS = ("owner", "dimension", "points", "reason", "source_id", "occurred_at")
# The contact the brand has verified for the owner, as salted SHA-256 digests (64 hex digits;
# app/growth/claims.py says how they are made). Optional, blank for none.
CONTACT_COLUMNS = ("contact_email_sha256", "contact_phone_sha256")
DIGEST_RE = re.compile(r"[0-9a-f]{64}\Z")
DEFAULT_SOURCE = "brand-crm"
MAX_POINTS = 10_000_000
MAX_REASON = 200
MAX_SOURCE_ID = 128
MAX_OWNER = 64
MAX_SOURCE = 64
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
    contact_email: str | None = None
    contact_phone: str | None = None


@dataclass
class Parsed:
    """What the reading layer hands the service: the rows that passed, and every problem."""

    rows: int
    entries: list[EntryRow]
    problems: list[Problem]
    sha256: str = ""



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
            if name not in COLUMNS and name not in CONTACT_COLUMNS:
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

    digests: list[str | None] = []
    for name in CONTACT_COLUMNS:
        value = values.get(name)
        if value is None or value == "":
            digests.append(None)
        elif not isinstance(value, str) or not DIGEST_RE.match(value):
            problems.append(Problem(row, name, "not a SHA-256 digest (64 lower-case hex digits)"))
            digests.append(None)
        else:
            digests.append(value)

    if len(problems) != before:
        return None
    assert owner is not None and reason is not None and source_id is not None
    assert isinstance(points, int) and isinstance(occurred, datetime)
    return EntryRow(
        row, owner, str(dimension), points, reason, source_id, occurred, digests[0], digests[1]
    )


def check_source(source: Any) -> Problem | None:
    if not isinstance(source, str) or not source:
        return Problem(0, "source", "missing source system name")
    if len(source) > MAX_SOURCE or not SOURCE_RE.match(source):
        return Problem(
            0, "source",
            f"source must be 1-{MAX_SOURCE} letters, digits, '.', '_' or '-' (got {source[:80]!r})",
        )
    return None
