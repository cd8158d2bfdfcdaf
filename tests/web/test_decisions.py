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


# The app's seal and motion count, by the modules that define or re-export them.
TARGETS = {
    "app.results.seal": "seal",
    "app.results.service": "seal",
    "app.council.service": "close_motion",
    "app.secret.seal": "seal_secret",
}


def _calls(path: Path) -> list[str]:
    """Calls of the app's seal or motion count in one file (not ballots' own `seal`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: dict[str, str] = {}  # local name -> the function it leads to, as `name.fn(...)`
    functions: set[str] = set()  # local names bound to the function itself
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                local = alias.asname or alias.name
                full = f"{node.module}.{alias.name}"
                if full in TARGETS:
                    modules[local] = TARGETS[full]
                elif TARGETS.get(node.module) == alias.name:
                    functions.add(local)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in TARGETS and alias.asname:
                    modules[alias.asname] = TARGETS[alias.name]
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            hit = modules.get(func.value.id) == func.attr
        else:
            hit = isinstance(func, ast.Name) and func.id in functions
        if hit:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_nothing_in_the_app_seals_or_closes_a_motion_around_the_decisions_layer() -> None:
    """Only app/decisions calls the seal and the motion count; everything else (views, CLI,
    cron, demo, bench) goes through it, so a decision never lands without its consequence."""
    allowed = {ROOT / "app/decisions/votes.py", ROOT / "app/decisions/motions.py"}
    stray = []
    for folder in ("app", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path not in allowed:
                stray += _calls(path)
    assert stray == []
