"""`flask --app wsgi treasury ...`"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.core.extensions import db

treasury_cli = AppGroup("treasury", help="The trust's ledger: budgets and their authorisation.")


@treasury_cli.command("sync-budgets")
def sync_budgets() -> None:
    """Catch up budgets of passed votes and motions missing from the ledger (a repair;
    idempotent)."""
    from app.treasury import service

    lines = service.sync_budgets()
    db.session.commit()
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} budget(s) changed")
