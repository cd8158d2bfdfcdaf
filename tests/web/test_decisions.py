"""The decisions layer's tables cover exactly what the charter knows.

A new proposal kind or motion kind without a row would be decided with no consequence at all;
a row for a kind the charter no longer knows is dead code. Either way this fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

from app.decisions import motions, votes
from governance.charter import KINDS
from governance.council import MOTION_KINDS

ROOT = Path(__file__).resolve().parents[2]


def test_every_proposal_kind_has_exactly_one_consequence() -> None:
    assert sorted(votes.CONSEQUENCES) == sorted(KINDS)


def test_every_motion_kind_has_exactly_one_consequence() -> None:
    assert sorted(motions.CONSEQUENCES) == sorted(MOTION_KINDS)


def _calls(path: Path, names: set[str]) -> list[str]:
    """`x.seal(...)`, `seal(...)` or `x.close_motion(...)` calls in one file, as text."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_nothing_in_the_app_seals_or_closes_a_motion_around_the_decisions_layer() -> None:
    """Only app/decisions calls the seal and the motion count; everything else (views, CLI,
    cron, demo, bench) goes through it, so a decision never lands without its consequence."""
    allowed = {ROOT / "app/decisions/votes.py", ROOT / "app/decisions/motions.py",
               # The secret seal itself: its BallotBox.seal builds the format 2 bundle; only
               # app/decisions calls seal_secret (checked below with the other names).
               ROOT / "app/secret/seal.py",
               # The ballots core's own bench (no app, no database): BallotBox.seal alone.
               ROOT / "bench/secret.py"}
    stray = []
    for folder in ("app", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path not in allowed:
                stray += _calls(path, {"seal", "seal_secret", "close_motion"})
    # The CLI command named `seal` is a definition, not a call.
    assert stray == []
