"""The README's quick start: `flask --app wsgi demo` builds the demo on SQLite and serves it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ballots.verifier import verify_bundle

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_the_demo_command_serves_a_trust_whose_results_verify(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TRUST_"))}
    env.pop("TEST_DATABASE_URL", None)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    flask = str(Path(sys.executable).with_name("flask"))
    process = subprocess.Popen(  # noqa: S603
        [flask, "--app", "wsgi", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "demo.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=2) as response:  # noqa: S310
                    home = response.read().decode()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (tmp_path / "demo.log").read_text()[-3000:]
                    pytest.fail(f"the demo did not start serving:\n{log}")
                time.sleep(0.5)
        assert "Voting now" in home or "正在投票" in home
        report = verify_bundle(f"{base}/results/2026-001/")
        assert report.ok, report.message
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
