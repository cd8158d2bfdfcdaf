"""`flask --app wsgi mail ...`: read the outbox, send what waits."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.core.extensions import db

mail_cli = AppGroup("mail", help="The outbox: mail and text messages.")


def outbox_lines(limit: int = 20, status: str | None = "held") -> list[str]:
    from app.mail.models import OutboxMessage

    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    lines: list[str] = []
    for row in reversed(db.session.scalars(query).all()):
        stamp = row.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        head = f"--- #{row.id} {row.channel} to {row.recipient} ({row.status}, {stamp})"
        lines.append(head)
        if row.subject:
            lines.append(f"Subject: {row.subject}")
        lines.extend(row.body_text.rstrip().splitlines())
    return lines


@mail_cli.command("outbox")
@click.option("--limit", default=20, show_default=True)
@click.option("--status", default="held", show_default=True,
              type=click.Choice(["held", "pending", "sent", "failed", "all"]))
def outbox(limit: int, status: str) -> None:
    """Print the latest messages (held ones by default: MAIL_URL unset)."""
    lines = outbox_lines(limit, None if status == "all" else status)
    click.echo("\n".join(lines) if lines else "(no messages)")


@mail_cli.command("send-pending")
def send_pending() -> None:
    """Send every waiting or failed message (MAIL_URL / SMS_URL must be set)."""
    from app import mail

    sent, failed = mail.deliver_pending()
    click.echo(f"sent {sent}, failed {failed}")
    if failed:
        raise SystemExit(1)
