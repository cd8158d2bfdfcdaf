"""Sealed results: the one door the rest of the app goes through.

The work is done in seal.py (counting a closed vote and sealing it), reads.py (the current seal
and the bundle's files) and proofs.py (inclusion proofs for receipts); the roll is read and
hashed in app.voting.roll.
"""

from __future__ import annotations

from app.results.proofs import inclusion_for_receipt
from app.results.reads import (
    ResultHead,
    ballot_records,
    ballots_jsonl,
    current_head,
    current_result,
    current_result_bytes,
    result_bytes,
    roll_jsonl,
)
from app.results.seal import Count, SealError, count_stored, seal
from app.voting.roll import roll_records, roll_root

__all__ = [
    "Count",
    "ResultHead",
    "SealError",
    "ballot_records",
    "ballots_jsonl",
    "count_stored",
    "current_head",
    "current_result",
    "current_result_bytes",
    "inclusion_for_receipt",
    "result_bytes",
    "roll_jsonl",
    "roll_records",
    "roll_root",
    "seal",
]
