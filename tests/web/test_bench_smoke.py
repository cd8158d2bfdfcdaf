"""The seal's fast leaf writers must produce exactly the canonical bytes they stand in for."""

from __future__ import annotations

from app.results.service import ballot_leaf, roll_leaf
from ballots.canonical import canonical_bytes
from ballots.records import ballot_record, roll_record

TOKEN = "ab" * 32
RECEIPT = "0f" * 32


def test_roll_leaf_is_the_canonical_roll_record() -> None:
    for weight in (1, 999, 2**53 - 1):
        assert roll_leaf(TOKEN, weight) == canonical_bytes(roll_record(TOKEN, weight))


def test_ballot_leaf_is_the_canonical_ballot_record() -> None:
    for selection in ([], ["yes"], ["option-1", "option-3", "b.c_d"]):
        record = ballot_record(7, TOKEN, selection, 1200, "2026-03-01T08:00:00Z", RECEIPT)
        assert ballot_leaf(record) == canonical_bytes(record)
