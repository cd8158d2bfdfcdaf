"""A stream resumed from a frontier grows the same tree as one that never stopped."""

from __future__ import annotations

import pytest

from ballots.merkle import MerkleStream, MerkleTree


@pytest.mark.parametrize("first", [0, 1, 2, 3, 5, 8, 13, 64, 100])
@pytest.mark.parametrize("more", [0, 1, 7, 31])
def test_a_resumed_stream_gives_the_trees_root(first: int, more: int) -> None:
    leaves = [b"leaf %d" % i for i in range(first + more)]
    head = MerkleStream()
    for leaf in leaves[:first]:
        head.append(leaf)
    resumed = MerkleStream.resume(first, head.frontier())
    for leaf in leaves[first:]:
        resumed.append(leaf)
    tree = MerkleTree.from_leaves(leaves)
    assert resumed.size == first + more
    assert resumed.root() == tree.root()
    assert head.root() == tree.root(first)


def test_a_frontier_of_the_wrong_length_is_refused() -> None:
    stream = MerkleStream()
    for i in range(6):
        stream.append(b"%d" % i)
    with pytest.raises(ValueError, match="frontier"):
        MerkleStream.resume(7, stream.frontier())
    with pytest.raises(ValueError):
        MerkleStream.resume(6, [b"short", b"x" * 32])


def test_commitments_are_checked_as_prefix_roots() -> None:
    from ballots.commitments import CommitmentError, check_prefixes, parse
    from ballots.merkle import leaf_hash

    leaves = [leaf_hash(b"ballot %d" % i) for i in range(10)]
    tree = MerkleTree.from_leaf_hashes(leaves)
    good = parse([{"count": 3, "root": tree.root(3).hex()},
                  {"count": 10, "root": tree.root().hex()}])
    assert check_prefixes(iter(leaves), good) == []
    assert check_prefixes(iter(leaves[:9]), good) == [
        "10 ballots were committed while voting, only 9 were sealed: ballots were deleted"
    ]
    swapped = [leaves[1], leaves[0], *leaves[2:]]
    assert "the first 3 ballots" in check_prefixes(iter(swapped), good)[0]
    with pytest.raises(CommitmentError):
        parse([{"count": -1, "root": "00" * 32}])
