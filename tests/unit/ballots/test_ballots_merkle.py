"""RFC 9162 Merkle trees against the Certificate Transparency reference vectors.

Vectors: the 8-leaf set of transparency-dev/merkle (testonly/constants.go and
proof/verify_test.go), the same data as google/certificate-transparency's merkle_tree_test.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballots.merkle import (
    EMPTY_ROOT,
    MerkleStream,
    MerkleTree,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEVEL1 = [
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
]
# (leaf index, tree size, path), index 0-based.
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

TREE = MerkleTree.from_leaves(LEAVES)


def hexes(path: list[bytes]) -> list[str]:
    return [p.hex() for p in path]


def test_hash_prefixes() -> None:
    assert EMPTY_ROOT.hex() == ROOTS[0]
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )


@pytest.mark.parametrize("size", range(9))
def test_reference_roots_every_size(size: int) -> None:
    assert TREE.root(size).hex() == ROOTS[size]
    assert root_from_leaf_hashes(leaf_hash(x) for x in LEAVES[:size]).hex() == ROOTS[size]
    assert MerkleTree.from_leaves(LEAVES[:size]).root().hex() == ROOTS[size]


def test_levels_hold_the_reference_node_hashes() -> None:
    levels = TREE.export_levels()
    assert len(levels) == 4
    assert [levels[1][i : i + 32].hex() for i in range(0, 128, 32)] == LEVEL1
    assert levels[3].hex() == ROOTS[8]
    assert MerkleTree.from_levels(levels).root(5).hex() == ROOTS[5]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, path: list[str]) -> None:
    assert hexes(TREE.inclusion_proof(index, size)) == path
    root = bytes.fromhex(ROOTS[size])
    proof = [bytes.fromhex(p) for p in path]
    assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, root)
    assert not verify_inclusion(leaf_hash(LEAVES[index] + b"x"), index, size, proof, root)


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_reference_consistency_proofs(first: int, second: int, path: list[str]) -> None:
    assert hexes(TREE.consistency_proof(first, second)) == path
    r1, r2 = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second])
    assert verify_consistency(first, second, r1, r2, [bytes.fromhex(p) for p in path])


def test_trivial_and_invalid_consistency_cases() -> None:
    r1 = bytes.fromhex(ROOTS[1])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, bytes.fromhex(ROOTS[5]), [])
    assert not verify_consistency(0, 5, r1, bytes.fromhex(ROOTS[5]), [])
    assert not verify_consistency(1, 1, r1, EMPTY_ROOT, [])
    assert not verify_consistency(1, 1, r1, r1, [EMPTY_ROOT])
    assert not verify_consistency(2, 1, r1, r1, [])
    assert not verify_consistency(1, 2, r1, bytes.fromhex(ROOTS[2]), [])
    assert TREE.consistency_proof(0, 8) == [] and TREE.consistency_proof(8) == []


def test_empty_and_single_leaf_trees() -> None:
    empty = MerkleTree()
    assert empty.size == 0 and empty.root() == EMPTY_ROOT
    assert MerkleStream().root() == EMPTY_ROOT and root_from_leaf_hashes([]) == EMPTY_ROOT
    with pytest.raises(ValueError):
        empty.inclusion_proof(0)
    one = MerkleTree()
    assert one.append(b"data") == 0
    assert one.root() == leaf_hash(b"data") and one.inclusion_proof(0) == []
    assert verify_inclusion(leaf_hash(b"data"), 0, 1, [], one.root())
    assert not verify_inclusion(leaf_hash(b"data"), 0, 0, [], one.root())
    assert not verify_inclusion(leaf_hash(b"data"), 1, 1, [], one.root())


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        TREE.root(9)
    with pytest.raises(ValueError):
        TREE.inclusion_proof(8, 8)
    with pytest.raises(ValueError):
        TREE.consistency_proof(3, 2)
    with pytest.raises(ValueError):
        MerkleTree().append_leaf_hash(b"short")
    assert not verify_inclusion(b"short", 0, 1, [], b"short")


def test_from_levels_detects_damage() -> None:
    levels = TREE.export_levels()
    broken = bytearray(levels[1])
    broken[0] ^= 1
    with pytest.raises(ValueError, match="does not match"):
        MerkleTree.from_levels([levels[0], bytes(broken), levels[2], levels[3]])
    with pytest.raises(ValueError, match="levels"):
        MerkleTree.from_levels(levels[:3])
    with pytest.raises(ValueError):
        MerkleTree.from_levels([levels[0][:-1]])
    assert MerkleTree.from_levels([b""]).root() == EMPTY_ROOT


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 8]) + h[1:]


def _mutated_paths(path: list[bytes], extra: bytes) -> list[list[bytes]]:
    out = [path + [extra], [extra] + path]
    if path:
        out += [path[:-1], path[1:]]
        out += [path[:i] + [_flip(path[i])] + path[i + 1 :] for i in range(len(path))]
    return out


sizes = st.integers(min_value=1, max_value=70)


@given(sizes, st.data())
def test_every_inclusion_proof_verifies_and_every_mutation_fails(
    size: int, data: st.DataObject
) -> None:
    tree = MerkleTree.from_leaves(i.to_bytes(2, "big") for i in range(size))
    at = data.draw(st.integers(min_value=1, max_value=size), label="tree size")
    index = data.draw(st.integers(min_value=0, max_value=at - 1), label="leaf index")
    path, root, leaf = tree.inclusion_proof(index, at), tree.root(at), tree.leaf_hash_at(index)
    assert verify_inclusion(leaf, index, at, path, root)
    assert not verify_inclusion(_flip(leaf), index, at, path, root)
    assert not verify_inclusion(leaf, index, at, path, _flip(root))
    for wrong in {index - 1, index + 1, index ^ 2} - {index}:
        assert not verify_inclusion(leaf, wrong, at, path, root), wrong
    for wrong in {at * 2, at // 2} - {at}:
        assert not verify_inclusion(leaf, index, wrong, path, root), wrong
    for bad in _mutated_paths(path, root):
        assert not verify_inclusion(leaf, index, at, bad, root)


@given(sizes, st.data())
def test_every_consistency_proof_verifies_and_every_mutation_fails(
    size: int, data: st.DataObject
) -> None:
    tree = MerkleTree.from_leaves(i.to_bytes(2, "big") for i in range(size))
    second = data.draw(st.integers(min_value=1, max_value=size), label="second")
    first = data.draw(st.integers(min_value=1, max_value=second), label="first")
    path = tree.consistency_proof(first, second)
    r1, r2 = tree.root(first), tree.root(second)
    assert verify_consistency(first, second, r1, r2, path)
    if first == second:
        assert path == [] and r1 == r2
        assert not verify_consistency(first, second, r1, r2, [r1])
        return
    assert not verify_consistency(first, second, _flip(r1), r2, path)
    assert not verify_consistency(first, second, r1, _flip(r2), path)
    assert not verify_consistency(first, second, r2, r1, path)
    for wrong in {first - 1, first + 1, first ^ 2} - {first}:
        assert not verify_consistency(wrong, second, r1, r2, path), wrong
    for wrong in {second * 2, second // 2} - {second}:
        assert not verify_consistency(first, wrong, r1, r2, path), wrong
    for bad in [[], *_mutated_paths(path, r2)]:
        assert not verify_consistency(first, second, r1, r2, bad)


def test_tree_size_is_bound_by_the_signed_root_not_by_the_path() -> None:
    # RFC 9162 paths for neighbouring sizes can share a shape: leaf 0's proof in a 3-leaf
    # tree also "verifies" as a 4-leaf proof against the same root. That is why a verifier
    # must take the size from the signed result or checkpoint, never from the proof object.
    path = TREE.inclusion_proof(0, 3)
    assert verify_inclusion(leaf_hash(LEAVES[0]), 0, 4, path, TREE.root(3))
    assert not verify_inclusion(leaf_hash(LEAVES[0]), 0, 4, path, TREE.root(4))


@given(st.integers(min_value=0, max_value=300), st.data())
def test_stream_matches_tree_and_captures_proofs(size: int, data: st.DataObject) -> None:
    tree = MerkleTree()
    stream = MerkleStream()
    target = data.draw(st.integers(min_value=0, max_value=max(size - 1, 0)))
    for i in range(size):
        h = leaf_hash(i.to_bytes(2, "big"))
        tree.append_leaf_hash(h)
        (stream.append_tracked if i == target else stream.append_leaf_hash)(h)
    assert stream.root() == tree.root() and stream.size == size
    if size:
        assert stream.tracked_index == target
        assert stream.proof() == tree.inclusion_proof(target)


@given(st.integers(min_value=0, max_value=200), st.data())
def test_old_roots_and_proofs_from_a_grown_tree(size: int, data: st.DataObject) -> None:
    tree = MerkleTree.from_leaves(i.to_bytes(2, "big") for i in range(size))
    earlier = data.draw(st.integers(min_value=0, max_value=size))
    fresh = MerkleTree.from_leaves(i.to_bytes(2, "big") for i in range(earlier))
    assert tree.root(earlier) == fresh.root()
    if earlier:
        index = data.draw(st.integers(min_value=0, max_value=earlier - 1))
        assert tree.inclusion_proof(index, earlier) == fresh.inclusion_proof(index)
    restored = MerkleTree.from_levels(tree.export_levels())
    assert restored.root() == tree.root() and restored.size == size
