"""Reading a growth file (CSV or JSON Lines) or the API's JSON list into checked rows.

Every reader returns a `Parsed`: the rows that passed `validate_row` and every problem found,
with row numbers as the file's line numbers (the header is line 1 of a CSV) or, for the API,
1-based positions in the `entries` list. Nothing here touches the database.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from app.core.json_depth import MAX_DEPTH, too_deep
from app.growth.rows import (
    COLUMNS,
    CONTACT_COLUMNS,
    PROGRESS_EVERY,
    EntryRow,
    Parsed,
    Problem,
    Progress,
    validate_row,
)


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
        if name not in COLUMNS and name not in CONTACT_COLUMNS:
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
        if too_deep(line):
            problems.append(Problem(number, "row", f"nests deeper than {MAX_DEPTH} levels"))
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


def read_objects(items: Sequence[Any], sha256: str = "") -> Parsed:
    """Validate the API's JSON `entries` list; rows are 1-based positions in the list.

    `sha256` fingerprints the request body as sent, as a file's bytes do for the file readers.
    """
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
    return Parsed(len(items), entries, problems, sha256)


READERS: dict[str, Callable[[bytes, Progress | None], Parsed]] = {
    ".csv": read_csv,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
}


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
