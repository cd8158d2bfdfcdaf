"""Backups that keep every signature checkable: SQLite's online backup API, or pg_dump."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - runs pg_dump/pg_restore with argument lists, no shell
from pathlib import Path

from sqlalchemy.engine import make_url

from app.core.extensions import db


class BackupError(RuntimeError):
    pass


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    args = ["--host", parsed.host or "localhost", "--port", str(parsed.port or 5432)]
    if parsed.username:
        args += ["--username", parsed.username]
    return args + ["--dbname", parsed.database or ""], env


def _sqlite_copy(source: str, target: str) -> None:
    """Copy one SQLite database onto another with the online backup API (consistent even
    while writers are active)."""
    src, dest = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dest)
    finally:
        dest.close()
        src.close()


def _run_pg_tool(tool: str, options: list[str], positional: list[str]) -> None:
    path = shutil.which(tool)
    if path is None:
        raise BackupError(f"{tool} is not installed")
    args, env = _pg_args(db.engine.url.render_as_string(hide_password=False))
    subprocess.run([path, *options, *args, *positional], check=True, env=env)  # noqa: S603


def backup(target: Path) -> None:
    """Write a consistent copy of the live database to `target` while the app keeps running."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(url.database or "", str(target))
    else:
        _run_pg_tool("pg_dump", ["--format=custom", "--no-owner", f"--file={target}"], [])


def restore(source: Path) -> None:
    """Replace the database's contents with a backup. Run with the app stopped."""
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(str(source), url.database or "")
    else:
        options = ["--clean", "--if-exists", "--no-owner", "--single-transaction"]
        _run_pg_tool("pg_restore", options, [str(source)])
