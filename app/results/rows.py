"""The roll and ballot rows a seal reads, as batches of raw bytes fields.

On PostgreSQL they come out with `COPY ... TO STDOUT` (the fastest way out of the database, the
same the seal's benchmark limit uses), in the transaction the seal holds; elsewhere through a
plain query. Either way each field is the bytes the record will print: a token, a decimal
weight, the stored selection JSON, the RFC 3339 `cast_at`, a receipt.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, update

from app.core.extensions import db
from app.results.models import SealedResult
from app.voting.models import Ballot, RollEntry
from ballots.merkle import HASH_SIZE
from ballots.records import format_time

BATCH = 8192

# A batch of rows: roll rows are [token, weight]; ballot rows are
# [id, token, selection, weight, cast_at, receipt].
Rows = list[list[bytes]]

# The columns a ballot record is made of, in the order the code that prints records takes them.
BALLOT_FIELDS = (Ballot.token, Ballot.selection_json, Ballot.weight, Ballot.cast_at, Ballot.receipt)

_ROLL_COPY = (
    "COPY (SELECT token, weight FROM roll_entries WHERE proposal_id = %s ORDER BY token)"
    " TO STDOUT"
)
# Each ballot as `id TAB leaf TAB token TAB selection TAB weight TAB cast_at TAB receipt`.
# The database writes the leaf as the record would print if every field is plainly well formed
# (the seal checks that it is, with Tally.add_line), numbering seq in id order; the raw fields
# follow for the rows that are not. cast_at is printed exactly as format_time prints it: UTC,
# whole seconds (to_char truncates fractions, as format_time does), a Z.
_BALLOT_COPY = (
    "COPY (SELECT id,"
    " '{\"cast_at\":\"' || to_char(cast_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " || '\",\"receipt\":\"' || receipt || '\",\"selection\":' || selection_json"
    " || ',\"seq\":' || row_number() OVER (ORDER BY id)"
    " || ',\"token\":\"' || token || '\",\"weight\":' || weight || '}',"
    " token, selection_json, weight,"
    " to_char(cast_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), receipt"
    " FROM ballots WHERE proposal_id = %s ORDER BY id) TO STDOUT"
)
_COPY_ESCAPE = re.compile(rb"\\(.)")
_COPY_CHARS = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}


def _unescape(field: bytes) -> bytes:
    """A COPY text field as stored (only a damaged row holds a backslash, a tab or a newline)."""
    return _COPY_ESCAPE.sub(lambda m: _COPY_CHARS.get(m.group(1), m.group(1)), field)


def _copy_blocks(query: str, proposal_id: str) -> Iterator[bytes]:
    """COPY text output in blocks of about BATCH whole lines, each line ending in a newline."""
    raw: Any = db.session.connection().connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(query, (proposal_id,)) as copy:
        read = copy.read
        while True:
            # psycopg hands out one row per read, as a view into the driver's buffer: copy it
            # out at once (cheaper than keeping the views) and join a batch.
            chunks = []
            while len(chunks) < BATCH and (chunk := read()):
                chunks.append(bytes(chunk))
            if not chunks:
                return
            yield b"".join(chunks)


def _fields(block: bytes, width: int) -> Rows:
    rows = [line.split(b"\t") for line in block.split(b"\n")[:-1]]
    if b"\\" in block:
        rows = [[_unescape(f) for f in row] for row in rows]
    if any(len(row) != width for row in rows):
        raise ValueError("a COPY row with the wrong number of fields")
    return rows


def _postgresql() -> bool:
    return bool(db.session.get_bind().dialect.name == "postgresql")


def roll_blocks(proposal_id: str) -> Iterator[bytes]:
    """The frozen roll in token order, as lines of `token TAB weight`."""
    if _postgresql():
        yield from _copy_blocks(_ROLL_COPY, proposal_id)
        return
    result = db.session.execute(
        select(RollEntry.token, RollEntry.weight)
        .where(RollEntry.proposal_id == proposal_id)
        .order_by(RollEntry.token)
        .execution_options(yield_per=BATCH)
    )
    for part in result.partitions():
        yield b"".join([b"%s\t%d\n" % (token.encode(), weight) for token, weight in part])


def roll_fields(block: bytes) -> Rows:
    """A block of roll lines as [token, weight] fields, COPY escapes undone."""
    return _fields(block, 2)


def ballot_blocks(proposal_id: str) -> Iterator[bytes]:
    """Every ballot of the vote in acceptance order (id), the order seq numbers them in, as
    lines of `id TAB leaf TAB token TAB selection TAB weight TAB cast_at TAB receipt` with
    COPY's escapes (a field holding a backslash, tab or newline shows a backslash)."""
    if _postgresql():
        yield from _copy_blocks(_BALLOT_COPY, proposal_id)
        return
    result = db.session.execute(
        select(Ballot.id, *BALLOT_FIELDS)
        .where(Ballot.proposal_id == proposal_id)
        .order_by(Ballot.id)
        .execution_options(yield_per=BATCH)
    )
    seq = 0
    for part in result.partitions():
        lines = []
        for ballot_id, token, selection, weight, cast_at, receipt in part:
            seq += 1
            fields = [f.encode() for f in (token, selection, str(weight), format_time(cast_at))]
            fields.append(receipt.encode())
            leaf = (
                b'{"cast_at":"%s","receipt":"%s","selection":%s,"seq":%d,"token":"%s","weight":%s}'
                % (fields[3], fields[4], fields[1], seq, fields[0], fields[2])
            )
            lines.append(b"\t".join([b"%d" % ballot_id, _escape(leaf), *map(_escape, fields)]))
        yield b"\n".join(lines) + b"\n"


def ballot_fields(rest: bytes) -> list[bytes]:
    """token, selection, weight, cast_at, receipt of a ballot line, COPY escapes undone."""
    fields = rest.split(b"\t")
    if len(fields) != 5:
        raise ValueError("a COPY row with the wrong number of fields")
    return [_unescape(f) for f in fields] if b"\\" in rest else fields


def _escape(value: bytes) -> bytes:
    """COPY text format's escaping, for the rows SQLite hands over."""
    for char, escaped in ((b"\\", b"\\\\"), (b"\t", b"\\t"), (b"\n", b"\\n"), (b"\r", b"\\r")):
        value = value.replace(char, escaped)
    return value


# PostgreSQL's binary COPY header (signature, no flags, no extension) and trailer.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
_PIECE = 1 << 20


class BlobStage:
    """A sealed result's two blobs (~100 MB at a million ballots), written out as each is done.

    As query parameters each would be copied twice more on its way out (by the driver, then
    by libpq). On PostgreSQL each is streamed in 1 MB pieces with COPY into a scratch table as
    soon as it is complete (so the roll's leaves are gone before the ballots are read) and the
    server moves both into the result row.
    """

    def __init__(self) -> None:
        self._kept: dict[str, bytes] = {}
        self._table = False

    def put(self, name: str, blob: bytearray) -> None:
        if not _postgresql():
            self._kept[name] = bytes(blob)
            return
        raw: Any = db.session.connection().connection.dbapi_connection
        with raw.cursor() as cursor:
            if not self._table:
                cursor.execute("CREATE TEMP TABLE sealing_blobs (name text, blob bytea)")
                self._table = True
            with cursor.copy("COPY sealing_blobs (name, blob) FROM STDIN (FORMAT BINARY)") as copy:
                key = name.encode()
                copy.write(_COPY_HEADER + struct.pack(">hi", 2, len(key)) + key)
                copy.write(struct.pack(">i", len(blob)))
                with memoryview(blob) as view:
                    for start in range(0, len(view), _PIECE):
                        copy.write(view[start : start + _PIECE])
                copy.write(_COPY_TRAILER)

    def move_into(self, result_id: int) -> None:
        """Set the result row's roll_leaves and ballots_tree from what was put."""
        if not _postgresql():
            db.session.execute(
                update(SealedResult)
                .where(SealedResult.id == result_id)
                .values(roll_leaves=self._kept["roll"], ballots_tree=self._kept["tree"])
            )
            return
        raw: Any = db.session.connection().connection.dbapi_connection
        with raw.cursor() as cursor:
            cursor.execute(
                "UPDATE sealed_results SET"
                " roll_leaves = (SELECT blob FROM sealing_blobs WHERE name = 'roll'),"
                " ballots_tree = (SELECT blob FROM sealing_blobs WHERE name = 'tree')"
                " WHERE id = %s",
                (result_id,),
            )
            cursor.execute("DROP TABLE sealing_blobs")


# The packed tree a seal stores: level 0 upward, each level an 8-byte big-endian length and
# its hashes, so a level's offset follows from the number of leaves alone.
def level_spans(size: int) -> list[tuple[int, int]]:
    """(offset, length) of each level in a packed tree of `size` leaves."""
    spans, offset = [], 0
    for k in range(max(1, size.bit_length())):
        length = (size >> k) * HASH_SIZE
        spans.append((offset + 8, length))
        offset += 8 + length
    return spans


def unpack_levels(blob: bytes) -> list[bytes]:
    levels, offset = [], 0
    while offset < len(blob):
        (length,) = struct.unpack_from(">Q", blob, offset)
        offset += 8
        levels.append(blob[offset : offset + length])
        offset += length
    return levels
