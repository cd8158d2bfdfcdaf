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
    done = subprocess.run(  # noqa: S603
        [path, *options, *args, *positional], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BackupError(f"{tool} failed (exit {done.returncode}): {_first_error(done.stderr)}")


def _first_error(stderr: str) -> str:
    """The tool's first error line, without its program-name prefix: one line a reader acts on."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower():
            return line.split(": ", 1)[1] if line.startswith("pg_") and ": " in line else line
    return lines[0] if lines else "no message"


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
        _check_sqlite_file(source)
        try:
            _sqlite_copy(str(source), url.database or "")
        except sqlite3.Error as exc:
            raise BackupError(f"{source} cannot be restored: {exc}; the database was left as it "
                              "was") from None
    else:
        # One transaction that stops at the first error: a truncated or damaged dump leaves the
        # database exactly as it was (--single-transaction implies --exit-on-error; both are
        # given so the intent is plain).
        options = ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                   "--exit-on-error"]
        try:
            _run_pg_tool("pg_restore", options, [str(source)])
        except BackupError as exc:
            raise BackupError(f"{exc}; the database was left as it was") from None


def _check_sqlite_file(source: Path) -> None:
    """Refuse anything but a whole SQLite database before a page of it is copied."""
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            found = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{source} is not a whole SQLite backup: {exc}") from None
    if not found or found[0] != "ok":
        raise BackupError(f"{source} is damaged ({found[0] if found else 'unreadable'}); "
                          "nothing was restored")
