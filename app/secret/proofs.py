"""A tracker's inclusion proof in a sealed secret vote's ballots tree (format 2)."""

from __future__ import annotations

from typing import Any

from app.results.models import SealedResult
from app.secret.models import SecretBundleFiles
from ballots.canonical import strict_loads
from ballots.merkle import MerkleTree


def tracker_proof(
    row: SealedResult, files: SecretBundleFiles, tracker: str
) -> dict[str, Any] | None:
    """The ballot with this tracker, its seq and its inclusion proof under the sealed root.

    Replaced ballots stay in the tree; the last ballot of each token is the one counted.
    """
    lines = files.ballots_jsonl.encode().split(b"\n")[:-1]
    index = None
    for i, line in enumerate(lines):
        if b'"tracker":"' + tracker.encode() + b'"' in line:
            index = i
    if index is None:
        return None
    tree = MerkleTree.from_leaves(lines)
    leaf = strict_loads(lines[index])
    later = any(strict_loads(other)["token"] == leaf["token"] for other in lines[index + 1:])
    return {
        "seq": index + 1,
        "leaf": leaf,
        "index": index,
        "counted": not later,
        "size": len(lines),
        "root": tree.root().hex(),
        "path": [h.hex() for h in tree.inclusion_proof(index)],
    }
