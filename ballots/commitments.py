"""Running commitments of a vote's ballots, checked against the published ballots.

While a vote runs, the trust's log records `ballots.committed` leaves: the number of ballots
accepted so far and the Merkle root of their records (the leaves the sealed ballots tree will
have, in the same order). A sealed ballots list whose first `count` leaves do not have the
committed root was changed after the commitment: a ballot deleted, inserted or edited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ballots.merkle import MerkleStream
from ballots.records import is_count, is_hex64


class CommitmentError(ValueError):
    """A commitment record is malformed."""


def parse(records: Any) -> list[tuple[int, str]]:
    """(count, root hex) of each commitment, in count order; malformed ones refused."""
    if not isinstance(records, list):
        raise CommitmentError("commitments must be a list")
    out = []
    for record in records:
        if not isinstance(record, Mapping):
            raise CommitmentError("a commitment is an object")
        count, root = record.get("count"), record.get("root")
        if not isinstance(count, int) or not is_count(count) or not isinstance(root, str) \
                or not is_hex64(root):
            raise CommitmentError("a commitment needs a count >= 0 and a 64-hex root")
        out.append((count, root))
    return sorted(out)


def check_prefixes(
    leaf_hashes: Iterable[bytes], commitments: Sequence[tuple[int, str]]
) -> list[str]:
    """Stream the ballots' leaf hashes once, comparing the root at each committed count."""
    problems = []
    pending = list(commitments)
    stream = MerkleStream()
    while pending and pending[0][0] == 0:
        count, root = pending.pop(0)
        if stream.root().hex() != root:
            problems.append(f"the empty prefix does not have the committed root {root[:12]}…")
    for leaf in leaf_hashes:
        stream.append_leaf_hash(leaf)
        while pending and pending[0][0] == stream.size:
            count, root = pending.pop(0)
            if stream.root().hex() != root:
                problems.append(
                    f"the first {count} ballots do not have the root committed while voting "
                    f"({root[:12]}…): ballots were changed after the commitment"
                )
    for count, _root in pending:
        problems.append(
            f"{count} ballots were committed while voting, only {stream.size} were sealed: "
            "ballots were deleted"
        )
    return problems
