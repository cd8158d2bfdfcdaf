"""Notify the whole roll of one vote opening: fan-out, mail through real workers and a real SMTP
server, and what the web meanwhile answers.

    python bench/notify.py [--owners N] [--workers W] [--threads T] [--database-url URL]
                           [--out FILE]

Steps, each timed: (1) N owners on the roll of an open vote (bulk rows, not timed as the
subject); (2) the `notify.event` job fans out: one INSERT..SELECT of N notifications and N/500
mail jobs; (3) W `flask trust worker` processes of T threads send every mail to an aiosmtpd
server on 127.0.0.1; meanwhile a client reads a proposal page and casts a ballot over the JSON
API (a different owner each time, with a personal token) twice a second and records their
latencies, against the same requests made before the run. Prints a JSON summary; not a test.

The limit, measured in the same run against the same sink: W x T connections of a separate
process sending ready-made messages of the same size as fast as the sink takes them (what mail
costs with no database, no rendering, no queue), before and after the pipeline runs.
`ratio_to_sink_limit` is the pipeline's mails/s over the mean of the two (the shared machine's
load moves it; `ratio_to_sink_limit_range` is the ratio to each). The sink counts messages
and parses a sample (every 1,000th) to check a mail's content: keeping 200,000 parsed messages
would take gigabytes and measure the sink instead.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/limits.py would shadow the `limits` package Flask-Limiter imports.
sys.path[0] = str(ROOT)


class CountingSink:
    """An aiosmtpd handler that counts, notes each recipient and parses one mail in 1,000."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self.recipients: set[str] = set()
        self.samples: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        with self.lock:
            self.count += 1
            self.bytes += len(envelope.content)  # type: ignore[attr-defined]
            self.recipients.update(envelope.rcpt_tos)  # type: ignore[attr-defined]
            if self.count % 1000 == 1:
                self.samples.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


def raw_send(url: str, connections: int, per_connection: int, size: int) -> None:
    """The sink's limit: ready-made messages over `connections` SMTP connections (run as its
    own process, so it does not share a GIL with the sink). Prints mails/s."""
    import smtplib

    host, port = url.removeprefix("smtp://").split(":")
    body = ("x" * 75 + "\r\n") * max(1, size // 77)
    message = ("From: bench@bench.test\r\nTo: raw@bench.test\r\nSubject: raw\r\n\r\n"
               + body).encode()

    def one() -> None:
        with smtplib.SMTP(host, int(port)) as smtp:
            for _ in range(per_connection):
                smtp.sendmail("bench@bench.test", ["raw@bench.test"], message)

    threads = [threading.Thread(target=one) for _ in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(connections * per_connection / (time.perf_counter() - started))


CASTERS = 2000  # owners with an API token, one cast each, every half second during the run


def _token(owner_id: int) -> str:
    return f"ot_notify_bench_{owner_id:09d}"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--owners", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--out", help="also write the JSON summary to this file")
    parser.add_argument("--raw-send", nargs=4, metavar=("URL", "CONNS", "EACH", "SIZE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_send:
        url, conns, each, size = args.raw_send
        raw_send(url, int(conns), int(each), int(size))
        return

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
        # Owners who cast over the JSON API while the mail goes out (a token each).
        import hashlib
        from datetime import timedelta

        from app.accounts.models import ApiToken
        from app.proposals.models import Proposal
        from app.proposals.spec import vote_spec

        casters = list(range(first + 1, first + 1 + min(args.owners, CASTERS)))
        db.session.execute(insert(ApiToken), [
            {"user_id": uid, "name": "bench", "created_at": now,
             "expires_at": now + timedelta(days=1),
             "token_sha256": hashlib.sha256(_token(uid).encode()).hexdigest()}
            for uid in casters])
        choice = vote_spec(db.session.get(Proposal, proposal_id)).options[0][0]
        db.session.commit()
        summary["setup_seconds"] = round(time.perf_counter() - started, 1)
        roll = db.session.scalar(select(func.count()).select_from(RollEntry).where(
            RollEntry.proposal_id == proposal_id))
        # The opening's own job ran with the 1-owner roll made above; queue it afresh now.
        db.session.execute(db.delete(Notification))
        db.session.execute(db.delete(Job))
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

    cast_url = f"http://127.0.0.1:5793/api/proposals/{proposal_id}/ballots"
    cast_status: dict[int, int] = {}

    def cast_ms() -> float:
        uid = casters.pop()
        request = urllib.request.Request(  # noqa: S310 - loopback
            cast_url, data=json.dumps({"selection": [choice]}).encode(), method="POST",
            headers={"Authorization": f"Bearer {_token(uid)}",
                     "Content-Type": "application/json"})
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
                status = answer.status
        except urllib.error.HTTPError as refused:
            status = refused.code
        cast_status[status] = cast_status.get(status, 0) + 1
        return (time.perf_counter() - t) * 1000

    for _ in range(100):
        try:
            read_ms()
            break
        except OSError:
            time.sleep(0.2)
    idle = sorted(read_ms() for _ in range(20))
    cast_idle = sorted(cast_ms() for _ in range(10))
    from aiosmtpd.controller import Controller

    from tests.smtp_helpers import _free_port

    sink = CountingSink()
    smtp_port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    mail_url = f"smtp://127.0.0.1:{smtp_port}"
    connections = args.workers * args.threads
    summary["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
    try:
        # The same sink's limit, before the run (it is also measured after, see below).
        summary["sink_limit_before_mails_per_second"] = _sink_limit(mail_url, connections)
        sink.count = sink.bytes = 0
        sink.recipients.clear()
        workers = [start_worker(app, args.threads, MAIL_URL=mail_url, TRUST_JOB_CRON=False,
                                TRUST_JOB_LEASE_SECONDS=120, SERVER_NAME=None)
                   for _ in range(args.workers)]
        # Workers already run when a vote opens: wait until they answer a ping.
        booting = time.perf_counter()
        with app.app_context():
            queue.enqueue("jobs.ping", {}, key="bench-ping")
            db.session.commit()
            db.session.remove()
        while not _job_done(app, "bench-ping"):
            time.sleep(0.2)
        summary["workers_ready_seconds"] = round(time.perf_counter() - booting, 1)
        cpu_before = time.process_time()
        worker_cpu_before = sum(_cpu_seconds(w.pid) for w in workers)
        started = time.perf_counter()
        with app.app_context():
            queue.enqueue("notify.event", {"type": "proposal", "proposal": proposal_id,
                                           "action": "open", "reason": ""}, key="bench-open")
            db.session.commit()
            db.session.remove()
        fanned = None
        first_mail = None
        busy_reads: list[float] = []
        busy_casts: list[float] = []
        worker_cpu = 0.0
        try:
            while True:
                time.sleep(0.5)
                busy_reads.append(read_ms())
                if casters:
                    busy_casts.append(cast_ms())
                told, mailed, busy = state()
                if fanned is None and told >= roll:
                    fanned = time.perf_counter() - started
                if first_mail is None and sink.count:
                    first_mail = time.perf_counter() - started
                if told >= roll and sink.count >= roll and mailed >= roll and busy == 0:
                    break
                if time.perf_counter() - started > 4 * 3600:
                    raise SystemExit("gave up after four hours")
            last_mail = time.perf_counter() - started
            worker_cpu = sum(_cpu_seconds(w.pid) for w in workers) - worker_cpu_before
            received, mail_bytes = sink.count, sink.bytes
            distinct = len(sink.recipients)
            sample_raw = sink.samples[-1]
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(30)
            web.terminate()
        sink_cpu = time.process_time() - cpu_before
        summary["sink_limit_after_mails_per_second"] = _sink_limit(mail_url, connections)
    finally:
        controller.stop()
    with app.app_context():
        jobs_done = db.session.scalar(select(func.count()).select_from(Job).where(
            Job.name == "notify.mail", Job.state == "done")) or 0
        jobs_failed = db.session.scalar(select(func.count()).select_from(Job).where(
            Job.state == "failed")) or 0
        opening = db.session.scalar(select(Job).where(Job.key == "bench-open"))
        fan_out_job = (round((opening.finished_at - opening.started_at).total_seconds(), 1)
                       if opening and opening.finished_at and opening.started_at else None)
        db.session.remove()
    sample = email.message_from_bytes(sample_raw, policy=email.policy.default)
    text = sample.get_body(preferencelist=("plain",))
    body = str(text.get_content()) if text is not None else ""
    number = str(sample["To"]).removeprefix("o").split("@")[0]
    expected_weight = 100 + (first + 1 + int(number)) % 900 if number.isdigit() else -1
    # The shared machine's load moves the sink's pace from minute to minute: the ratio is
    # against the mean of the two measurements, and against each of them for its spread.
    limits = [float(summary["sink_limit_before_mails_per_second"]),  # type: ignore[arg-type]
              float(summary["sink_limit_after_mails_per_second"])]  # type: ignore[arg-type]
    limit = statistics.mean(limits)
    mails_per_second = roll / (last_mail - (fanned or 0)) if last_mail > (fanned or 0) else 0.0
    summary.update({
        "roll": roll, "mails_received": received, "distinct_recipients": distinct,
        "mail_jobs_done": jobs_done, "jobs_failed": jobs_failed,
        "fan_out_seconds": round(fanned or 0, 1),
        "first_mail_seconds": round(first_mail or 0, 1),
        "time_to_last_mail_seconds": round(last_mail, 1),
        "mails_per_second_overall": round(roll / last_mail, 1),
        "mails_per_second_after_fan_out": round(mails_per_second, 1),
        "mail_jobs_per_second_after_fan_out": round(
            jobs_done / max(0.001, last_mail - (fanned or 0)), 2),
        "ratio_to_sink_limit": round(mails_per_second / limit, 2) if limit else None,
        "ratio_to_sink_limit_range": [round(mails_per_second / x, 2) for x in sorted(limits)
                                      if x][::-1],
        "worker_cpu_ms_per_mail": round(worker_cpu * 1000 / roll, 2),
        "bench_and_sink_cpu_ms_per_mail": round(sink_cpu * 1000 / roll, 2),
        "mail_bytes_mean": round(mail_bytes / max(1, received)),
        "fan_out_job_seconds": fan_out_job,
        "sample_mail": {"to": sample["To"], "subject": sample["Subject"],
                        "shows_its_own_weight": f"{expected_weight:,}" in body,
                        "list_unsubscribe": bool(sample["List-Unsubscribe"])},
        "cast_ms_idle_p50": round(statistics.median(cast_idle), 1),
        "cast_ms_during_p50": round(statistics.median(busy_casts), 1) if busy_casts else None,
        "cast_ms_during_max": round(max(busy_casts), 1) if busy_casts else None,
        "casts_during": len(busy_casts),
        "cast_statuses": {str(k): v for k, v in sorted(cast_status.items())},
        "page_ms_idle_p50": round(statistics.median(idle), 1),
        "page_ms_during_p50": round(statistics.median(busy_reads), 1),
        "page_ms_during_p95": round(sorted(busy_reads)[int(len(busy_reads) * 0.95)], 1),
        "page_ms_during_max": round(max(busy_reads), 1),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    })
    out = json.dumps(summary, indent=2, ensure_ascii=False)
    print(out)
    if args.out:
        Path(args.out).write_text(out + "\n")


def _job_done(app: object, key: str) -> bool:
    from sqlalchemy import select

    from app.core.extensions import db
    from app.jobs.models import Job

    with app.app_context():  # type: ignore[attr-defined]
        state = db.session.scalar(select(Job.state).where(Job.key == key))
        db.session.remove()
    return state == "done"


def _sink_limit(url: str, connections: int, total: int = 12000) -> float:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--raw-send", url, str(connections),
         str(max(1, total // connections)), "2100"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return round(float(done.stdout.strip().splitlines()[-1]), 1)


if __name__ == "__main__":
    main()
