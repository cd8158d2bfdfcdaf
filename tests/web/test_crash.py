"""Nothing acknowledged is lost: kill -9 the app server (and, in CI, PostgreSQL) mid-load."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.accounts.services import issue_api_token
from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.proposals import service as proposals
from app.results import service as results
from ballots.verifier import verify_bundle
from tests.factories import install_charter, make_open_vote, make_owner

# Its commits must reach the database for real (see tests/conftest.py).
pytestmark = pytest.mark.real_commits

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, app: Any, tmp: Path) -> None:
        self.port = _free_port()
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            SECRET_KEY=app.config["SECRET_KEY"],
            TRUST_SIGNING_KEY_PASSPHRASE=app.config["TRUST_SIGNING_KEY_PASSPHRASE"],
            TRUST_TOKEN_SECRET=app.config["TRUST_TOKEN_SECRET"],
            TRUST_NAME=app.config["TRUST_NAME"],
            TRUST_INSECURE_COOKIES="1",
        )
        self.log = tmp / "gunicorn.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(  # noqa: S603
            [gunicorn, "-w", "2", "-b", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)  # noqa: S310
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start:\n" + self.log.read_text()[-2000:])

    def kill9(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)


def _load(server: Server, proposal_id: str, tokens: list[str], stop: threading.Event) -> list[Any]:
    """Clients that keep casting; a receipt counts as acknowledged only once fully received."""
    acknowledged: list[Any] = []
    lock = threading.Lock()

    def client(token: str, n: int) -> None:
        choices = ["yes", "no", "abstain"]
        i = n
        while not stop.is_set():
            body = json.dumps({"selection": [choices[i % 3]]}).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{server.port}/api/proposals/{proposal_id}/ballots",
                data=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    receipt = json.loads(response.read())
                with lock:
                    acknowledged.append(receipt)
                i += 1
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                time.sleep(0.05)  # the server is down or restarting: nothing was acknowledged

    threads = [threading.Thread(target=client, args=(t, n)) for n, t in enumerate(tokens)]
    for t in threads:
        t.start()
    _load.threads = threads  # type: ignore[attr-defined]
    return acknowledged


def _wait_for(acknowledged: list[Any], more_than: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while len(acknowledged) <= more_than and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(acknowledged) > more_than, "the load made no progress"


def _restart_postgres() -> None:
    subprocess.run(  # noqa: S603
        ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart", "-m", "immediate"],
        check=True,
    )


@pytest.mark.slow
def test_acknowledged_ballots_survive_killing_the_servers(
    app: Any, db_session: Any, tmp_path: Path, is_postgres: bool
) -> None:
    install_charter()
    council = make_owner(300, role="council")
    owners = [make_owner(500 + i) for i in range(CLIENTS)]
    db.session.commit()
    restart_postgres = is_postgres and os.environ.get("TRUST_TEST_RESTART_POSTGRES") == "1"
    opens = utcnow() - timedelta(hours=1)
    proposal_id = make_open_vote(owners[0], council, opens=opens, closes=opens + timedelta(days=3))
    tokens = [issue_api_token(o, "load") for o in owners]
    db.session.commit()

    server = Server(app, tmp_path)
    server.start()
    stop = threading.Event()
    acknowledged = _load(server, proposal_id, tokens, stop)
    try:
        _wait_for(acknowledged, 20)
        server.kill9()  # mid-load: requests in flight are lost, never acknowledged
        count = len(acknowledged)
        server.start()
        _wait_for(acknowledged, count + 20)
        if restart_postgres:
            _restart_postgres()  # an immediate shutdown is PostgreSQL's own kill -9
            count = len(acknowledged)
            _wait_for(acknowledged, count + 20, seconds=40)
    finally:
        stop.set()
        for thread in _load.threads:  # type: ignore[attr-defined]
            thread.join(timeout=10)
        server.stop()

    db.session.remove()
    db.engine.dispose()  # connections from before a PostgreSQL restart are dead
    # Every client and server has stopped: bring the close forward to just after the last
    # possible ballot, instead of waiting three days for it.
    proposal = proposals.get(proposal_id)
    closes = utcnow() + timedelta(seconds=1)
    proposal.closes_at = closes
    db.session.commit()
    while utcnow() < closes:
        time.sleep(0.1)
    close_and_seal(proposal_id)
    db.session.commit()
    published = {r["receipt"] for r in results.ballot_records(proposal_id)}
    missing = [r["receipt"] for r in acknowledged if r["receipt"] not in published]
    assert not missing, f"{len(missing)} acknowledged ballots are missing"

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    client = app.test_client()
    for name in ("result.json", "roll.jsonl", "ballots.jsonl"):
        (bundle / name).write_bytes(client.get(f"/results/{proposal_id}/{name}").data)
    (bundle / "trust-keys.json").write_bytes(client.get("/.well-known/trust-keys.json").data)
    report = verify_bundle(str(bundle))
    assert report.ok, report.message
