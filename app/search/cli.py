from __future__ import annotations

import click

from app.core.extensions import db


@click.command("search-reindex")
def reindex_command() -> None:
    """Rebuild the search documents from every public record (jobs keep them current after)."""
    from app.search.index import reindex_all

    count = reindex_all()
    db.session.commit()
    click.echo(f"indexed {count} records")
