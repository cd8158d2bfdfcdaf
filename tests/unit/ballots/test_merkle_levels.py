"""Whole-level Merkle helpers give the same levels and roots as the node-by-node tree."""

from __future__ import annotations

import hashlib

import pytest

from ballots.merkle import EMPTY_ROOT, MerkleTree, all_levels, levels_root, parent_level


def _tree(n: int) -> MerkleTree:
    return MerkleTree.from_leaves(hashlib.sha256(str(i).encode()).digest() for i in range(n))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 100, 257])
def test_levels_built_a_level_at_a_time_equal_the_trees_levels(n: int) -> None:
    tree = _tree(n)
    expected = tree.export_levels()
    assert [bytes(level) for level in all_levels(expected[0])] == expected
    assert parent_level(expected[0]) == (expected[1] if n > 1 else b"")


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6, 8, 11, 16, 17, 100, 1000])
def test_the_root_from_levels_is_the_trees_root(n: int) -> None:
    tree = _tree(n)
    assert levels_root(tree.export_levels()) == tree.root()


def test_an_empty_tree_has_the_empty_root() -> None:
    assert levels_root([b""]) == EMPTY_ROOT
    assert levels_root([]) == EMPTY_ROOT
