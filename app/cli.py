"""Command-line entry points: `flask --app wsgi trust ...`, `flask --app wsgi demo`."""

from __future__ import annotations

import threading
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.core.extensions import db

trust_cli = AppGroup("trust", help="Operate the trust: keys, charter, sealing, audit.")


@trust_cli.command("init-keys")
def init_keys() -> None:
    """Create the first signing key if there is none."""
    from app.keys import service as keys

    record = keys.ensure_key()
    db.session.commit()
    click.echo(f"active signing key: {record.key_id}")


@trust_cli.command("rotate-key")
def rotate_key() -> None:
    """Retire the active signing key and start a new one (the old stays published)."""
    from app.keys import service as keys

    record = keys.rotate()
    db.session.commit()
    click.echo(f"new active signing key: {record.key_id}")


@trust_cli.command("seal")
@click.argument("proposal_id")
@click.option("--correction", is_flag=True, help="Seal again, superseding the current result.")
@click.option("--reason", default="", help="Why a correction is made (required; published).")
def seal(proposal_id: str, correction: bool, reason: str) -> None:
    """Close (if due) and seal one vote, with what its result sets in motion."""
    from app.decisions.votes import close_and_seal
    from app.proposals import service as proposals
    from app.results import service as results

    proposal = proposals.get(proposal_id)
    if proposal is None:
        raise click.ClickException(f"no proposal {proposal_id}")
    try:
        decision = close_and_seal(proposal, correction=correction, reason=reason)
        db.session.commit()
    except (proposals.ProposalError, results.SealError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if decision.row is None:
        click.echo("\n".join(decision.lines))
        return
    click.echo(f"sealed {proposal_id}: digest {decision.row.digest}")
    _cosign_quietly()


@trust_cli.command("cosign")
def cosign() -> None:
    """Ask the charter's witnesses to cosign the current checkpoint. Run it from cron."""
    from app.translog import witnesses

    failed = 0
    outcomes = witnesses.collect()
    db.session.commit()
    for outcome in outcomes:
        if outcome["ok"]:
            click.echo(f"{outcome['witness']}: cosigned size {outcome['size']}")
        else:
            failed += 1
            click.echo(f"{outcome['witness']}: NOT cosigned: {outcome['error']}", err=True)
    if failed:
        raise SystemExit(1)


@trust_cli.command("seal-due")
@click.option("--quiet", is_flag=True, help="Print nothing when nothing was due (for crontab).")
def seal_due(quiet: bool) -> None:
    """Open scheduled votes that are due and seal votes past their close. Run it from cron."""
    from app.core.db_types import utcnow
    from app.decisions import cron

    now = utcnow()
    lines = cron.run(now)
    failed = False
    for line in cron.report(lines, now) if lines or not quiet else []:
        failure = line.lstrip().startswith(cron.FAILED)
        failed = failed or failure
        click.echo(line, err=failure)
    _cosign_quietly()
    if failed:
        raise SystemExit(1)  # after every other vote had its turn


def _cosign_quietly() -> None:
    """Ask the witnesses to cosign what was just appended; a witness down is reported, and the
    next run (or `flask trust cosign`) asks again."""
    from app.translog import witnesses

    outcomes = witnesses.collect()
    db.session.commit()
    for outcome in outcomes:
        if not outcome["ok"]:
            click.echo(f"witness {outcome['witness']}: NOT cosigned: {outcome['error']}", err=True)


@trust_cli.command("council-expire")
def council_expire() -> None:
    """Record ended council terms and certifications due for renewal or lapsed."""
    from app.decisions import cron

    for line in cron.housekeeping():
        click.echo(line)


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="Create the demo data, then exit.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option(
    "--cron-every",
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="Run what `trust seal-due` does this often while serving (0: never).",
)
@with_appcontext
def demo(no_serve: bool, host: str, port: int, cron_every: int) -> None:
    """Create a believable demo trust (idempotently), then serve it on HOST:PORT.

    While it serves, the demo runs its own cron (the open vote closes and is sealed on time)
    and its four witnesses as their own processes."""
    from app.demo import witnesses as demo_witnesses
    from app.demo.build import build_demo
    from app.search.index import reindex_all
    from app.translog import witnesses

    for line in build_demo():
        click.echo(line)
    click.echo(f"search: indexed {reindex_all()} records")
    db.session.commit()
    from app.mail.cli import outbox_lines

    held = outbox_lines(limit=10)
    if held:
        # The quick start has no mail server: show what would have been mailed.
        click.echo("mail held in the outbox (MAIL_URL unset; all at /admin/outbox):")
        for line in held:
            click.echo("  " + line)
    procs = demo_witnesses.start()
    try:
        outcomes = witnesses.collect()
        db.session.commit()
        for outcome in outcomes:
            click.echo(f"witness {outcome['witness']}: {'cosigned' if outcome['ok'] else outcome}")
        # End this command's own transaction: on SQLite even a read holds the write lock, and
        # the server below must not wait on it.
        db.session.remove()
        if not no_serve:
            _serve_demo(host, port, cron_every, witnesses.collect)
    finally:
        demo_witnesses.stop(procs)


def _serve_demo(host: str, port: int, cron_every: int, collect: Any) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # The demo serves plain HTTP on loopback; production cookies stay Secure.
    app.config["SESSION_COOKIE_SECURE"] = False
    app.config["REMEMBER_COOKIE_SECURE"] = False
    if not app.config.get("TRUST_BASE_URL"):
        app.config["TRUST_BASE_URL"] = f"http://{host}:{port}"  # links in the demo's mail
    from app.jobs.worker import start_in_process

    # Background jobs (mail, search index, cron) run as threads of the demo: no other server.
    start_in_process(app)
    mail = app.config.get("MAIL_URL") or "not set: mail is not sent"
    click.echo(f"jobs: in-process worker; MAIL_URL {mail}")
    app.config["MAIL_ECHO"] = not app.config.get("MAIL_URL")
    if cron_every > 0:
        start_demo_cron(app, cron_every)
    click.echo(f"serving the demo trust on http://{host}:{port}/  (Ctrl+C to stop)")
    # Not app.run(): Flask ignores it inside its own CLI. Production serves with gunicorn.
    from werkzeug.serving import run_simple

    stopping = threading.Event()

    def cosign_loop() -> None:
        # The demo's witnesses cosign each new checkpoint within half a minute, as cron would.
        while not stopping.wait(30):
            with app.app_context():
                try:
                    collect()
                    db.session.commit()
                finally:
                    db.session.remove()

    threading.Thread(target=cosign_loop, daemon=True).start()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        stopping.set()


def start_demo_cron(app: Flask, every: float) -> threading.Event:
    """What cron does in production, in a daemon thread beside the demo's server: without it
    the demo's open vote would stay open past its close until someone ran `seal-due`. Setting
    the returned event stops it."""
    from app.core.db_types import utcnow
    from app.decisions import cron

    def tick() -> None:
        while True:
            with app.app_context():
                now = utcnow()
                try:
                    lines = cron.run(now)
                except Exception as exc:  # the demo keeps serving; it says what failed
                    db.session.rollback()
                    lines = [f"failed: {exc}"]
                finally:
                    db.session.remove()
                for line in cron.report(lines, now) if lines else []:
                    click.echo(f"demo cron {line}")
            if stop.wait(every):
                return

    stop = threading.Event()
    threading.Thread(target=tick, name="demo-cron", daemon=True).start()
    click.echo(f"demo cron: seal-due runs every {every:g} s while the demo serves")
    return stop


def register_cli(app: Flask) -> None:
    from app.growth.cli import growth_cli
    from app.jobs.cli import jobs_cli, worker_command
    from app.search.cli import reindex_command
    from app.treasury.cli import treasury_cli

    trust_cli.add_command(worker_command)
    trust_cli.add_command(jobs_cli)
    trust_cli.add_command(reindex_command)
    app.cli.add_command(trust_cli)
    app.cli.add_command(treasury_cli)
    app.cli.add_command(growth_cli)
    app.cli.add_command(demo)
    from app.mail.cli import mail_cli

    app.cli.add_command(mail_cli)


@trust_cli.command("audit")
@click.option(
    "--expect-checkpoint", "expect", multiple=True, metavar="FILE_OR_URL",
    help="A signed checkpoint (file or URL) the log must still hold: a wiped or rolled-back "
    "database then fails. May be given more than once.",
)
def audit(expect: tuple[str, ...]) -> None:
    """Re-verify every sealed result, the log and its checkpoints, and every row of power or
    money, against the log and the trust's signatures."""
    from app.integrity.completeness import CheckpointSourceError, load_checkpoint
    from app.integrity.run import run_audit

    try:
        expected = [(source, load_checkpoint(source)) for source in expect]
    except CheckpointSourceError as exc:
        raise click.ClickException(str(exc)) from exc
    findings = run_audit(expected)
    for finding in findings:
        click.echo(f"FAIL {finding}", err=True)
    if findings:
        raise SystemExit(1)
    click.echo("audit passed: every sealed result, log leaf, checkpoint and row of power or "
               "money verifies")


@trust_cli.command("relog")
@click.option("--dry-run", is_flag=True, help="Say what would be appended; append nothing.")
def relog_command(dry_run: bool) -> None:
    """Once, for a database older than the per-row leaves: append a leaf, marked as a
    backfill, for each row of power or money the log does not yet bind."""
    from app.core.extensions import db
    from app.integrity.relog import RelogError, relog

    try:
        found = relog(dry_run=dry_run)
    except RelogError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = ", ".join(f"{n} {kind}" for kind, n in found.counts().items()) or "nothing"
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: would append {counts}; nothing was written")
        return
    db.session.commit()
    if found.leaves:
        click.echo(f"appended {counts}, and one log.backfill leaf; now run `flask trust audit`")
    else:
        click.echo("nothing to relog: every row of power or money already has its leaf")


@trust_cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
def backup_command(target: str) -> None:
    """Write a consistent backup (SQLite backup API, or pg_dump --format=custom)."""
    from pathlib import Path

    from app.core.backup import BackupError, backup

    try:
        backup(Path(target))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written to {target}; after a restore, run `flask trust audit`")


@trust_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Confirm that the current contents are replaced.")
@click.option(
    "--expect-checkpoint", "expect", multiple=True, metavar="FILE_OR_URL",
    help="A signed checkpoint the restored log must still hold (see `trust audit`).",
)
def restore_command(source: str, yes: bool, expect: tuple[str, ...]) -> None:
    """Replace the database with a backup (stop the app first), then audit it."""
    from pathlib import Path

    from app.core.backup import BackupError, restore
    from app.integrity.completeness import CheckpointSourceError, load_checkpoint
    from app.integrity.run import run_audit

    if not yes:
        raise click.ClickException("restoring replaces everything: add --yes to confirm")
    try:
        # Read before restoring: a checkpoint that cannot be read must not cost the database.
        expected = [(origin, load_checkpoint(origin)) for origin in expect]
        restore(Path(source))
    except (BackupError, CheckpointSourceError) as exc:
        raise click.ClickException(str(exc)) from exc
    findings = run_audit(expected)
    for finding in findings:
        click.echo(f"FAIL {finding}", err=True)
    if findings:
        raise SystemExit(1)
    click.echo("restored; audit passed")
