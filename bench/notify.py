"""Notify the whole roll of one vote opening: fan-out, mail through real workers and a real SMTP
server, and what the web meanwhile answers.

    python bench/notify.py [--owners N] [--workers W] [--threads T] [--database-url URL]

Steps, each timed: (1) N owners on the roll of an open vote (bulk rows, not timed as the
subject); (2) the `notify.event` job fans out: one INSERT..SELECT of N notifications and N/500
mail jobs; (3) W `flask trust worker` processes of T threads send every mail to an aiosmtpd
server on 127.0.0.1; meanwhile a client reads a proposal page once a second and records its
latency, against the same page read before the run. Prints a JSON summary; not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/limits.py would shadow the `limits` package Flask-Limiter imports.
sys.path[0] = str(ROOT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--owners", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()

    from sqlalchemy import func, insert, select

    from app import create_app
    from app.core.extensions import db
    from app.jobs import queue
    from app.jobs.models import Job
    from app.notifications.models import Notification
    from app.voting.models import RollEntry
    from tests.conftest import _reset_postgres, app_test_config
    from tests.factories import install_charter, make_open_vote, make_owner
    from tests.jobs_helpers import start_worker
    from tests.smtp_helpers import smtp_server

    instance = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    url = args.database_url or "sqlite:///" + str(instance / "bench.sqlite3")
    if url.startswith("postgres"):
        _reset_postgres(url)
    app = create_app(app_test_config(url, instance, TRUST_JOB_QUEUE=f"bench-{os.getpid()}",
                                     SERVER_NAME=None))
    summary: dict[str, object] = {"owners": args.owners, "workers": args.workers,
                                  "threads": args.threads,
                                  "database": "postgresql" if "postgres" in url else "sqlite"}
    with app.app_context():
        install_charter()
        council, author = make_owner(500, role="council"), make_owner(3000)
        db.session.commit()
        proposal_id = make_open_vote(author, council, title="Bench: charging subsidy 充电补贴")
        first = int(db.session.scalar(select(func.max(db.metadata.tables["users"].c.id))) or 0)
        users = db.metadata.tables["users"]
        from app.core.db_types import utcnow

        now = utcnow()
        started = time.perf_counter()
        for start in range(0, args.owners, 5000):
            rows = [{"id": first + 1 + n, "email": f"o{n}@bench.test", "display_name": f"O{n}",
                     "password_hash": "x", "role": "owner", "vehicle_count": 1,
                     "failed_logins": 0, "created_at": now}
                    for n in range(start, min(args.owners, start + 5000))]
            db.session.execute(insert(users), rows)
            db.session.execute(insert(RollEntry), [
                {"proposal_id": proposal_id, "token": f"{r['id']:064x}", "owner_id": r["id"],
                 "weight": 100 + r["id"] % 900, "growth_value": 1000} for r in rows])
        db.session.commit()
        summary["setup_seconds"] = round(time.perf_counter() - started, 1)
        roll = db.session.scalar(select(func.count()).select_from(RollEntry).where(
            RollEntry.proposal_id == proposal_id))
        # The opening's own job ran with the 1-owner roll made above; queue it afresh now.
        db.session.execute(db.delete(Notification))
        db.session.execute(db.delete(Job))
        queue.enqueue("notify.event", {"type": "proposal", "proposal": proposal_id,
                                       "action": "open", "reason": ""}, key="bench-open")
        db.session.commit()
        db.session.remove()

    def state() -> tuple[int, int, int]:
        with app.app_context():
            mailed = db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.mail_state == "sent")) or 0
            told = db.session.scalar(select(func.count()).select_from(Notification)) or 0
            busy = db.session.scalar(select(func.count()).select_from(Job).where(
                Job.state.in_(("queued", "running")))) or 0
            db.session.remove()
        return told, mailed, busy

    web = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "tests.worker_app", "run", "--port", "5793"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(os.environ, WORKER_DATABASE_URL=url, WORKER_INSTANCE=str(instance),
                 WORKER_EXTRA=json.dumps({"TRUST_JOB_QUEUE": f"bench-{os.getpid()}",
                                          "SERVER_NAME": None})))
    page = f"http://127.0.0.1:5793/proposals/{proposal_id}"

    def read_ms() -> float:
        t = time.perf_counter()
        urllib.request.urlopen(page, timeout=60).read()  # noqa: S310 - loopback
        return (time.perf_counter() - t) * 1000

    for _ in range(100):
        try:
            read_ms()
            break
        except OSError:
            time.sleep(0.2)
    idle = sorted(read_ms() for _ in range(20))
    with smtp_server() as (inbox, mail_url):
        workers = [start_worker(app, args.threads, MAIL_URL=mail_url, TRUST_JOB_CRON=False,
                                TRUST_JOB_LEASE_SECONDS=120, SERVER_NAME=None)
                   for _ in range(args.workers)]
        started = time.perf_counter()
        fanned = None
        busy_reads: list[float] = []
        try:
            while True:
                time.sleep(1)
                busy_reads.append(read_ms())
                told, mailed, busy = state()
                if fanned is None and told >= roll:
                    fanned = time.perf_counter() - started
                if told >= roll and mailed >= roll and busy == 0:
                    break
                if time.perf_counter() - started > 3600:
                    raise SystemExit("gave up after an hour")
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(30)
            web.terminate()
        last_mail = time.perf_counter() - started
        summary.update({
            "roll": roll, "mails_received": inbox.count(),
            "fan_out_seconds": round(fanned or 0, 1),
            "time_to_last_mail_seconds": round(last_mail, 1),
            "mails_per_second": round(roll / last_mail, 1),
            "page_ms_idle_p50": round(statistics.median(idle), 1),
            "page_ms_during_p50": round(statistics.median(busy_reads), 1),
            "page_ms_during_max": round(max(busy_reads), 1),
            "load_average": os.getloadavg(),
        })
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
