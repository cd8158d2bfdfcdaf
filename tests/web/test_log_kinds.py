"""Every kind of log leaf is documented once (EVENT_KINDS) and shown to readers in words."""

from __future__ import annotations

import ast
from pathlib import Path

from app.translog.kinds import EVENT_KINDS
from app.web.labels import LOG_TYPES

APP = Path(__file__).resolve().parents[2] / "app"


def _literal_kinds() -> set[str]:
    """Kinds written as string literals in translog.append(...) calls anywhere in app/."""
    found: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "append" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "translog" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                found.add(str(node.args[0].value))
    return found


def test_the_documented_kinds_and_the_labelled_kinds_are_the_same() -> None:
    assert set(EVENT_KINDS) - set(LOG_TYPES) == set()
    assert set(LOG_TYPES) - set(EVENT_KINDS) == set()


def test_every_kind_written_by_name_is_documented() -> None:
    literal = _literal_kinds()
    assert "secret.pending" in literal  # the scan finds calls at all
    assert literal - set(EVENT_KINDS) == set()
