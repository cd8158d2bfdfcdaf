"""Backups that keep every signature checkable: SQLite's online backup API, or pg_dump."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - runs pg_dump/pg_restore with argument lists, no shell
from pathlib import Path

from sqlalchemy.engine import make_url

from app.extensions import db


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


def backup(target: Path) -> None:
    """Write a consistent copy of the live database to `target` while the app keeps running."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database or "")
        dest = sqlite3.connect(str(target))
        try:
            source.backup(dest)  # a consistent snapshot even with writers active
        finally:
            dest.close()
            source.close()
        return
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not installed")
    args, env = _pg_args(url.render_as_string(hide_password=False))
    subprocess.run(  # noqa: S603
        [pg_dump, "--format=custom", "--no-owner", "--file", str(target), *args],
        check=True,
        env=env,
    )


def restore(source: Path) -> None:
    """Replace the database's contents with a backup. Run with the app stopped."""
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        src = sqlite3.connect(str(source))
        dest = sqlite3.connect(url.database or "")
        try:
            src.backup(dest)
        finally:
            dest.close()
            src.close()
        return
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise BackupError("pg_restore is not installed")
    args, env = _pg_args(url.render_as_string(hide_password=False))
    subprocess.run(  # noqa: S603
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            *args,
            str(source),
        ],
        check=True,
        env=env,
    )
