"""What the seal refuses before it signs: a roll or ballots the log does not vouch for.

The seal counts whatever the roll and ballots tables hold. These checks bind that to what
cannot be edited afterwards without detection:
- the roll must have the root, size and weight logged when the vote opened;
- the first `count` ballots must have the root of every running commitment
  (app/voting/commitments.py) the log holds for the vote;
- every ballot after the last commitment must have a receipt that recomputes from its stored
  fields and the trust's signature over it.
Both the seal and `flask trust audit` use them; each names what it found, in words.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import Any

from app.keys import service as keys
from app.voting import commitments as running
from ballots.keys import KeyRing
from ballots.merkle import EMPTY_ROOT, HASH_SIZE, node_hash

MAX_NAMED = 5  # ballots named in one refusal; the rest are counted


def roll_problems(proposal_id: str, root: bytes, size: int, weight: int) -> Iterator[str]:
    opened = running.opened_roll(proposal_id)
    if opened is None:
        yield "no roll root was logged when the vote opened"
        return
    if opened.get("root") != root.hex():
        yield (
            f"the roll no longer has the root logged when the vote opened "
            f"({str(opened.get('root'))[:12]}…, now {root.hex()[:12]}…): roll rows were edited"
        )
    if opened.get("size") != size or opened.get("total_weight") != weight:
        yield (
            f"the roll holds {size} entries weighing {weight}; {opened.get('size')} weighing "
            f"{opened.get('total_weight')} were logged at opening"
        )


class PackedTree:
    """Prefix roots of a packed ballots tree (each level an 8-byte length, then its hashes),
    read in place: at a million ballots the blob is 64 MB and is not copied."""

    def __init__(self, packed: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(packed)
        self._levels: list[memoryview] = []
        offset = 0
        while offset < len(self._view):
            (length,) = struct.unpack_from(">Q", self._view, offset)
            offset += 8
            self._levels.append(self._view[offset : offset + length])
            offset += length
        self.size = len(self._levels[0]) // HASH_SIZE if self._levels else 0

    def release(self) -> None:
        for level in self._levels:
            level.release()
        self._view.release()

    def _node(self, level: int, index: int) -> bytes:
        return bytes(self._levels[level][index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def root(self, n: int) -> bytes:
        """MTH of the first n leaves (RFC 9162), from the complete subtrees stored."""
        if n == 0:
            return EMPTY_ROOT
        # The first n leaves split into aligned complete subtrees, largest first.
        parts, start = [], 0
        for k in range(n.bit_length() - 1, -1, -1):
            if n >> k & 1:
                parts.append(self._node(k, start >> k))
                start += 1 << k
        root = parts[-1]
        for h in reversed(parts[:-1]):
            root = node_hash(h, root)
        return root


def commitment_problems(
    proposal_id: str, size: int, root_at: Any
) -> tuple[list[str], int]:
    """Compare every running commitment with the stored ballots; `root_at(n)` gives the root
    of the first n. The problems found, and how many ballots the commitments vouch for."""
    problems = []
    vouched = 0
    for c in running.commitments(proposal_id):
        if c.count > size:
            problems.append(
                f"{c.count} ballots were committed while voting (log leaf {c.index}), only "
                f"{size} are stored: ballots were deleted"
            )
        elif root_at(c.count).hex() != c.root:
            problems.append(
                f"the first {c.count} ballots no longer have the root committed while voting "
                f"(log leaf {c.index}): committed ballots were edited, inserted or deleted"
            )
        else:
            vouched = max(vouched, c.count)
    return problems, vouched


def unproven_ballots(proposal_id: str, ids: Iterable[int]) -> list[str]:
    """Check these ballots' receipts and signatures one by one; name the ones that fail."""
    keyring = KeyRing.from_document(keys.published_keys())
    named: list[str] = []
    failed = 0
    for row in running.rows_by_id(proposal_id, ids):
        problem = running.ballot_problem(proposal_id, row, keyring)
        if problem is None:
            continue
        failed += 1
        if len(named) < MAX_NAMED:
            named.append(f"ballot id {row[0]} (receipt {str(row[6])[:12]}…): {problem}")
    if failed > len(named):
        named.append(f"and {failed - len(named)} more ballots that do not verify")
    return named


def refusals(
    proposal_id: str,
    roll: tuple[bytes, int, int],
    packed_tree: bytes | bytearray,
    ids: Any,
) -> list[str]:
    """Everything the seal must refuse for, given what count_stored read: the roll's
    (root, size, weight), the packed ballots tree and the ballot ids in seq order."""
    problems = list(roll_problems(proposal_id, *roll))
    tree = PackedTree(packed_tree)
    try:
        found, vouched = commitment_problems(proposal_id, tree.size, tree.root)
    finally:
        tree.release()
    problems.extend(found)
    problems.extend(unproven_ballots(proposal_id, ids[vouched:]))
    return problems
