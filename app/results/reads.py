"""Reading sealed results back: the current seal (hot reads for pages and proofs) and the
bundle's files, streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer

from app.core.extensions import db
from app.results import rows as result_rows
from app.results.models import SealedResult
from app.voting.models import Ballot
from app.voting.roll import STREAM_CHUNK, roll_records
from ballots.records import ballot_record, format_time, jsonl_line

SELECTION_CACHE = 4096


def ballot_records(proposal_id: str) -> Iterator[dict[str, Any]]:
    """The sealed ballots in seq order: seq numbers the vote's ballots in acceptance order (id).

    A sealed vote accepts no more ballots, so these are exactly the ballots its seal numbered.
    """
    rows = db.session.execute(
        select(*result_rows.BALLOT_FIELDS)
        .where(Ballot.proposal_id == proposal_id)
        .order_by(Ballot.id)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    # A vote has few distinct selections; parse each once (ballot_record copies the list).
    parsed: dict[str, list[str]] = {}
    for seq, (token, selection_json, weight, cast_at, receipt) in enumerate(rows, start=1):
        selection = parsed.get(selection_json)
        if selection is None:
            selection = json.loads(selection_json)
            if len(parsed) < SELECTION_CACHE:
                parsed[selection_json] = selection
        yield ballot_record(seq, token, selection, int(weight), format_time(cast_at), receipt)


def current_result(proposal_id: str) -> SealedResult | None:
    # The two blobs are ~100 MB at a million ballots; pages and proofs never need them whole,
    # so they load only when an audit touches them.
    return db.session.scalar(
        select(SealedResult)
        .where(SealedResult.proposal_id == proposal_id, SealedResult.current.is_(True))
        .options(defer(SealedResult.ballots_tree), defer(SealedResult.roll_leaves))
    )


def sealed_outcome(row: SealedResult) -> str:
    """The tally's outcome of a stored seal: passed, rejected, no_quorum, ..."""
    return str(json.loads(row.result_json)["tally"]["outcome"])


class ResultHead(NamedTuple):
    """What a proof needs of the current seal, without an ORM object (a hot read)."""

    id: int
    proposal_id: str
    result_json: str


_CURRENT_HEAD = select(SealedResult.id, SealedResult.proposal_id, SealedResult.result_json).where(
    SealedResult.proposal_id == bindparam("p"), SealedResult.current.is_(True)
)


def current_head(proposal_id: str) -> ResultHead | None:
    found = db.session.connection().execute(_CURRENT_HEAD, {"p": proposal_id}).first()
    return None if found is None else ResultHead(*found)


_CURRENT_JSON = select(SealedResult.result_json).where(
    SealedResult.proposal_id == bindparam("p"), SealedResult.current.is_(True)
)


def current_result_bytes(proposal_id: str) -> bytes | None:
    """result.json of the current seal: one prebuilt statement, no ORM object (a hot read)."""
    found = db.session.connection().scalar(_CURRENT_JSON, {"p": proposal_id})
    return None if found is None else str(found).encode()


def result_bytes(row: SealedResult) -> bytes:
    return row.result_json.encode()


def roll_jsonl(proposal_id: str) -> Iterator[bytes]:
    for record in roll_records(proposal_id):
        yield jsonl_line(record)


def ballots_jsonl(proposal_id: str) -> Iterator[bytes]:
    for record in ballot_records(proposal_id):
        yield jsonl_line(record)
