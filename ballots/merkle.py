"""RFC 9162 section 2.1 Merkle trees: hashes, an append-only tree, proofs and verifiers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _fold(stack: Sequence[bytes]) -> bytes:
    """Root from the complete subtrees of a tree, largest (leftmost) first.

    RFC 9162 splits at the largest power of two, so the root is a right fold of them.
    """
    if not stack:
        return EMPTY_ROOT
    root = stack[-1]
    for h in reversed(stack[:-1]):
        root = node_hash(h, root)
    return root


class MerkleStream:
    """Streaming root in O(log n) memory, optionally capturing one leaf's inclusion proof.

    The stack holds the complete subtrees of the tree so far (a compact range). Every merge
    that involves the tracked subtree contributes its sibling to the path. To capture a
    proof, append the leaf of interest with ``append_tracked``.
    """

    __slots__ = ("_hashes", "_heights", "_size", "_tracked", "_path", "_slot")

    def __init__(self) -> None:
        self._hashes: list[bytes] = []
        self._heights: list[int] = []
        self._size = 0
        self._tracked: int | None = None
        self._path: list[bytes] = []
        self._slot = -1  # stack position holding the tracked leaf's subtree

    @property
    def size(self) -> int:
        return self._size

    def append(self, data: bytes) -> None:
        self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, h: bytes) -> None:
        if len(h) != HASH_SIZE:
            raise ValueError("leaf hash must be 32 bytes")
        self._push(h, 0)

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append many leaves (their data, not hashes): same tree as ``append`` one by one.

        Runs of leaves that fill a whole aligned subtree are hashed level by level in list
        comprehensions and pushed as that subtree's root, which costs one SHA-256 call per
        node and few Python steps; the compact range (and a tracked leaf's path) evolves
        exactly as with single appends, since it only ever sees complete subtrees.
        """
        sha = hashlib.sha256
        hashes = [sha(b"\x00" + d).digest() for d in leaves]
        i, n = 0, len(hashes)
        while i < n:
            size = self._size
            # The largest aligned subtree that starts here and fits in what is left.
            k = (n - i).bit_length() - 1
            if size:
                k = min(k, (size & -size).bit_length() - 1)
            if k == 0:
                self.append_leaf_hash(hashes[i])
                i += 1
                continue
            level = hashes[i : i + (1 << k)]
            while len(level) > 1:
                level = [
                    sha(b"\x01" + level[j] + level[j + 1]).digest()
                    for j in range(0, len(level), 2)
                ]
            self._push(level[0], k)
            i += 1 << k

    def _push(self, h: bytes, height: int) -> None:
        """Push the root of a complete subtree of 2**height leaves aligned at the current size
        (a single leaf is height 0), merging equal heights as single appends would."""
        hashes, heights = self._hashes, self._heights
        hashes.append(h)
        heights.append(height)
        self._size += 1 << height
        while len(heights) > 1 and heights[-1] == heights[-2]:
            right = hashes.pop()
            left = hashes.pop()
            heights.pop()
            heights[-1] += 1
            top = len(hashes)
            if self._slot == top:  # tracked leaf is in the left half
                self._path.append(right)
            elif self._slot == top + 1:  # tracked leaf is in the right half
                self._path.append(left)
                self._slot = top
            hashes.append(node_hash(left, right))

    def append_tracked(self, h: bytes) -> None:
        """Append a leaf hash and capture its inclusion proof."""
        if self._tracked is not None:
            raise ValueError("already tracking a leaf")
        self._tracked = self._size
        self._slot = len(self._hashes)
        self.append_leaf_hash(h)

    @property
    def tracked_index(self) -> int | None:
        return self._tracked

    def root(self) -> bytes:
        return _fold(self._hashes)

    def frontier(self) -> list[bytes]:
        """The roots of the complete subtrees so far, largest first: all that ``resume``
        needs to carry on appending (at most log2(size) + 1 hashes)."""
        return list(self._hashes)

    @classmethod
    def resume(cls, size: int, frontier: Sequence[bytes]) -> MerkleStream:
        """A stream that continues a tree of ``size`` leaves from its ``frontier()``.

        The subtree heights follow from ``size`` alone (its binary digits, highest first);
        a frontier of the wrong length or hash size is refused rather than guessed at.
        """
        if type(size) is not int or size < 0:
            raise ValueError("size must be an integer >= 0")
        heights = [k for k in range(size.bit_length() - 1, -1, -1) if size >> k & 1]
        if len(frontier) != len(heights) or any(len(h) != HASH_SIZE for h in frontier):
            raise ValueError(f"a tree of {size} leaves has {len(heights)} frontier hashes")
        stream = cls()
        stream._hashes = [bytes(h) for h in frontier]
        stream._heights = heights
        stream._size = size
        return stream

    def proof(self) -> list[bytes]:
        """Inclusion proof of the tracked leaf in the tree of the current size."""
        if self._tracked is None:
            raise ValueError("no leaf tracked")
        path = list(self._path)
        slot = self._slot
        if slot < len(self._hashes) - 1:
            path.append(_fold(self._hashes[slot + 1 :]))
        path.extend(reversed(self._hashes[:slot]))
        return path


def root_from_leaf_hashes(hashes: Iterable[bytes]) -> bytes:
    stream = MerkleStream()
    for h in hashes:
        stream.append_leaf_hash(h)
    return stream.root()


class MerkleTree:
    """Append-only tree keeping every complete node, so any earlier root or proof is O(log n).

    Level k is one bytearray of concatenated 32-byte hashes; node i of level k covers leaves
    [i * 2**k, (i + 1) * 2**k). A bytearray per level keeps a 1M-leaf tree near 64 MB instead
    of ~140 MB as separate bytes objects, and exports as plain blobs.
    """

    __slots__ = ("_levels", "_size")

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0

    @classmethod
    def from_leaf_hashes(cls, hashes: Iterable[bytes]) -> MerkleTree:
        tree = cls()
        for h in hashes:
            tree.append_leaf_hash(h)
        return tree

    @classmethod
    def from_leaves(cls, leaves: Iterable[bytes]) -> MerkleTree:
        return cls.from_leaf_hashes(leaf_hash(d) for d in leaves)

    @property
    def size(self) -> int:
        return self._size

    def append(self, data: bytes) -> int:
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, h: bytes) -> int:
        """Append a leaf hash and return its index."""
        if len(h) != HASH_SIZE:
            raise ValueError("leaf hash must be 32 bytes")
        index = self._size
        levels = self._levels
        levels[0] += h
        self._size += 1
        level, n = 0, index + 1
        while n % 2 == 0:  # a new complete node of the level above just became available
            row = levels[level]
            if level + 1 == len(levels):
                levels.append(bytearray())
            levels[level + 1] += node_hash(bytes(row[-64:-32]), bytes(row[-32:]))
            level += 1
            n //= 2
        return index

    def export_levels(self) -> list[bytes]:
        """The complete nodes, level 0 (leaf hashes) upward, as concatenated 32-byte hashes."""
        return [bytes(row) for row in self._levels]

    def level_views(self) -> list[memoryview]:
        """The same levels as ``export_levels`` without copying them (a 1M-leaf tree is 64 MB).

        Read-only views: release them before appending again (a bytearray with live views
        cannot grow).
        """
        return [memoryview(row).toreadonly() for row in self._levels]

    @classmethod
    def from_levels(cls, levels: Sequence[bytes], *, check: bool = True) -> MerkleTree:
        """Rebuild from ``export_levels()``; with ``check`` every interior node is recomputed."""
        if not levels or len(levels[0]) % HASH_SIZE:
            raise ValueError("level 0 must be a whole number of 32-byte hashes")
        size = len(levels[0]) // HASH_SIZE
        tree = cls()
        tree._size = size
        tree._levels = [bytearray(levels[0])]
        if len(levels) != max(1, size.bit_length()):
            raise ValueError(
                f"{len(levels)} levels given, a tree of {size} leaves has "
                f"{max(1, size.bit_length())}"
            )
        for k in range(1, len(levels)):
            if len(levels[k]) != (size >> k) * HASH_SIZE:
                raise ValueError(f"level {k} has the wrong length for {size} leaves")
            tree._levels.append(bytearray(levels[k]))
        if check:
            for k in range(1, len(tree._levels)):
                below, row = tree._levels[k - 1], tree._levels[k]
                for i in range(len(row) // HASH_SIZE):
                    a = 2 * i * HASH_SIZE
                    want = node_hash(bytes(below[a : a + 32]), bytes(below[a + 32 : a + 64]))
                    if row[i * HASH_SIZE : (i + 1) * HASH_SIZE] != want:
                        raise ValueError(f"level {k} node {i} does not match its children")
        return tree

    def _node(self, level: int, index: int) -> bytes:
        a = index * HASH_SIZE
        return bytes(self._levels[level][a : a + HASH_SIZE])

    def leaf_hash_at(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(f"leaf index {index} outside tree of size {self._size}")
        return self._node(0, index)

    def _subtree(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for the ranges RFC 9162 proofs use (lo aligned to the split)."""
        n = hi - lo
        if n & (n - 1) == 0:  # power of two
            level = n.bit_length() - 1
            if lo % n == 0:
                return self._node(level, lo >> level)
        k = _split(n)
        return node_hash(self._subtree(lo, lo + k), self._subtree(lo + k, hi))

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self._size
        if type(size) is not int or not 0 <= size <= self._size:
            raise ValueError(f"size {size!r} outside 0..{self._size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        n = self._check_size(size)
        return EMPTY_ROOT if n == 0 else self._subtree(0, n)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        n = self._check_size(size)
        if type(index) is not int or not 0 <= index < n:
            raise ValueError(f"leaf index {index!r} outside tree of size {n}")
        path: list[bytes] = []
        lo, hi, m = 0, n, index
        while hi - lo > 1:  # walk down from the root, collecting siblings top-down
            k = _split(hi - lo)
            if m < k:
                path.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._subtree(lo, lo + k))
                lo, m = lo + k, m - k
        path.reverse()
        return path

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        n = self._check_size(second)
        if type(first) is not int or not 0 <= first <= n:
            raise ValueError(f"first size {first!r} outside 0..{n}")
        if first == 0 or first == n:
            return []
        path: list[bytes] = []
        lo, hi, m, whole = 0, n, first, True
        while m != hi - lo:
            k = _split(hi - lo)
            if m <= k:
                path.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._subtree(lo, lo + k))
                lo, m, whole = lo + k, m - k, False
        if not whole:
            path.append(self._subtree(lo, hi))
        path.reverse()
        return path


def _valid_hashes(items: Sequence[bytes]) -> bool:
    return all(type(p) is bytes and len(p) == HASH_SIZE for p in items)


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not (_valid_hashes(path) and _valid_hashes([leaf, root])):
        return False
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2, plus the trivial cases it leaves to the caller."""
    if not (_valid_hashes(path) and _valid_hashes([first_root, second_root])):
        return False
    if not 0 <= first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        # Every tree extends the empty tree; insist the claimed old root really is empty.
        return not path and first_root == EMPTY_ROOT
    if not path:
        return False
    items = list(path)
    if first & (first - 1) == 0:
        items.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = items[0]
    for c in items[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def parent_level(level: bytes | bytearray | memoryview) -> bytearray:
    """The level above ``level`` (concatenated 32-byte hashes), as ``MerkleTree`` stores it.

    One node per complete pair; an odd last hash has no parent yet. One SHA-256 call per node
    in a comprehension, so a whole level costs few Python steps per node.
    """
    sha = hashlib.sha256
    view = memoryview(level)
    step = 2 * HASH_SIZE
    end = len(view) // step * step
    # A list of a million 32-byte digests costs ~80 MB of objects: join a piece at a time.
    piece = 65536 * step
    out = bytearray()
    for start in range(0, end, piece):
        stop = min(end, start + piece)
        pairs = range(start, stop, step)
        out += b"".join([sha(b"\x01" + view[i : i + step]).digest() for i in pairs])
    return out


def levels_root(levels: Sequence[bytes | bytearray | memoryview]) -> bytes:
    """The root of the tree whose complete levels these are (level 0: the leaf hashes).

    RFC 9162 splits at the largest power of two, so the root folds the complete subtrees the
    binary digits of the size name, largest (leftmost) first.
    """
    size = len(levels[0]) // HASH_SIZE if levels else 0
    stack: list[bytes] = []
    done = 0
    for k in range(size.bit_length() - 1, -1, -1):
        if size >> k & 1:
            a = (done >> k) * HASH_SIZE
            stack.append(bytes(levels[k][a : a + HASH_SIZE]))
            done += 1 << k
    return _fold(stack)


def all_levels(level0: bytes | bytearray | memoryview) -> list[bytes | bytearray | memoryview]:
    """Level 0 and every level above it: the same list ``MerkleTree.export_levels`` gives."""
    levels = [level0]
    size = len(level0) // HASH_SIZE
    for _ in range(1, max(1, size.bit_length())):
        levels.append(parent_level(levels[-1]))
    return levels
