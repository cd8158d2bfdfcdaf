"""`flask growth ...`: import growth-value entries and read balances."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts.models import User
from app.core.extensions import db
from app.growth import imports
from app.growth.ledger import balance

growth_cli = AppGroup("growth", help="Growth value: import entries from the brand, read balances.")

# Problems printed before "... and N more"; the whole list is always counted.
MAX_PRINTED_PROBLEMS = 200
# Files with fewer rows than this import without a progress bar.
PROGRESS_THRESHOLD = 1_000

STAGE_LABELS = {
    "validate": "Validating rows ",
    "check": "Checking owners ",
    "write": "Writing entries ",
}


class _Bars:
    """One click progress bar per stage, on stderr, opened when the stage reports first."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.stage = ""
        self.bar: Any = None

    def __call__(self, stage: str, advance: int, total: int) -> None:
        if not self.enabled or total < PROGRESS_THRESHOLD:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(
                length=total,
                label=STAGE_LABELS.get(stage, stage),
                file=sys.stderr,
                show_pos=True,
            )
            self.bar.__enter__()
        self.bar.update(advance)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@growth_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option(
    "--source",
    default=imports.DEFAULT_SOURCE,
    show_default=True,
    help="Name of the system the entries come from (with source_id, makes re-imports idempotent).",
)
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def import_command(file: str, source: str, dry_run: bool, no_progress: bool) -> None:
    """Import growth-value entries from FILE (.csv, .jsonl or .ndjson).

    Every row is checked first; a file with any bad row is rejected whole, every problem is
    listed (row, field, reason) and nothing is written. Rows already imported with the same
    content under the same source are skipped.
    """
    suffix = os.path.splitext(file)[1].lower()
    if suffix not in imports.READERS:
        raise click.UsageError(
            f"cannot tell the format of {file!r} from its extension: use .csv, .jsonl or .ndjson"
        )
    bars = _Bars(enabled=not no_progress)
    try:
        parsed = imports.read_file(file, progress=bars)
        report = imports.import_entries(
            parsed, source, dry_run=dry_run, progress=bars, via="cli"
        )
        db.session.commit()
    finally:
        bars.close()

    if not report.ok:
        total = len(report.problems)
        click.echo(
            f"Rejected {file}: {total} problem{'s' if total != 1 else ''} in {report.rows} "
            "rows; nothing was written.",
            err=True,
        )
        for problem in report.problems[:MAX_PRINTED_PROBLEMS]:
            where = f"row {problem.row}" if problem.row else "file"
            click.echo(f"  {where}: {problem.field}: {problem.reason}", err=True)
        if total > MAX_PRINTED_PROBLEMS:
            click.echo(f"  ... and {total - MAX_PRINTED_PROBLEMS} more", err=True)
        raise SystemExit(1)

    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} {report.inserted} new entr{'y' if report.inserted == 1 else 'ies'} "
        f"from {file} (source {source}): {report.rows} rows, "
        f"{report.skipped} already imported."
        + (f" {report.held} held for owner numbers no account has claimed yet."
           if report.held else "")
        + (" Dry run: nothing was written." if dry_run else "")
    )


@growth_cli.command("balance")
@click.argument("owner")
@click.option("--at", "at_text", metavar="TIME", help="RFC 3339 UTC time (default: now).")
def balance_command(owner: str, at_text: str | None) -> None:
    """Print the growth value of OWNER (the brand's customer id) now, or at --at TIME."""
    if at_text is None:
        at = datetime.now(UTC)
    else:
        parsed = imports.parse_time(at_text)
        if isinstance(parsed, str):
            raise click.BadParameter(parsed, param_hint="--at")
        at = parsed
    owner_id = db.session.scalar(select(User.id).where(User.external_id == owner))
    if owner_id is None:
        click.echo(f"No owner with external id {owner!r}.", err=True)
        raise SystemExit(1)
    value = balance(owner_id, at)
    click.echo(f"{owner}: {value} at {at.isoformat().replace('+00:00', 'Z')}")
