"""The verifier installs on its own (verifier/pyproject.toml): ballots imports nothing of the app
and nothing outside the standard library but its declared dependencies."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_ballots_imports_only_stdlib_cryptography_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {
        "cryptography", "ballots", "__future__", "rbcl", "argon2"
    }
    for path in sorted((ROOT / "ballots").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_standalone_package_names_only_ballots_and_cryptography() -> None:
    project = tomllib.loads((ROOT / "verifier" / "pyproject.toml").read_text())
    deps = {d.split(">")[0] for d in project["project"]["dependencies"]}
    assert deps == {"cryptography", "rbcl", "argon2-cffi"}
    packages = {p.name.replace("/", ".") for p in [ROOT / "ballots"]} | {
        "ballots." + p.parent.name for p in (ROOT / "ballots").glob("*/__init__.py")
    }
    assert set(project["tool"]["setuptools"]["packages"]) == packages
