"""The demo's witnesses, run for real: each has its own key and state directory and runs as its
own process (``python -m ballots.witness serve``) that the trust calls over HTTP."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from flask import current_app

from app.keys import service as keys
from app.translog import notes
from ballots.note import SIG_ED25519, VerifierKey
from ballots.witness import init

ARTICLE = "Art. 41.1"
ARTICLE_TEXT = (
    "A checkpoint of the trust's log counts only when cosigned by at least the quorum of the "
    "witnesses listed in these rules: council members, certified communities and outside "
    "parties, each holding their own key on their own machine."
)
ARTICLE_TEXT_ZH = (
    "信托日志的检查点须经本规则所列见证人中至少法定数量者副署方为有效：见证人包括理事会成员、"
    "认证社群和外部机构，各自在自己的机器上保管自己的密钥。"
)
# (key name, kind, holder); the holders are the demo's own council and communities.
WITNESSES = (
    ("chair.council.demo.trust/witness", "council", "Council chair (chair@demo.trust)"),
    ("doctors.communities.demo.trust/witness", "community", "Owner Doctors' Circle · 车主医生圈"),
    ("lawyers.communities.demo.trust/witness", "community", "Owner Lawyers' Network · 车主律师网"),
    ("audit-lab.example/witness", "outside", "Independent audit lab (outside party)"),
)
QUORUM = 3


def _root() -> Path:
    return Path(current_app.instance_path) / "demo-witnesses"


def _port(i: int) -> int:
    return int(current_app.config.get("TRUST_DEMO_WITNESS_PORT", 7381)) + i


def prepare() -> dict[str, Any]:
    """Fresh witness directories (a new demo log is a new history) and the charter section."""
    root = _root()
    if root.exists():
        shutil.rmtree(root)
    log_vkey = VerifierKey(notes.origin(), SIG_ED25519, keys.signing_key().public_key_raw).vkey
    entries = []
    for i, (name, kind, holder) in enumerate(WITNESSES):
        signer = init(root / f"w{i}", name, [log_vkey])
        entries.append(
            {
                "vkey": signer.verifier.vkey,
                "holder": holder,
                "kind": kind,
                "url": f"http://127.0.0.1:{_port(i)}",
            }
        )
    return {"quorum": QUORUM, "article": ARTICLE, "list": entries}


def start() -> list[subprocess.Popen[bytes]]:
    """Run each demo witness as its own process; wait until each listens."""
    procs = []
    for i in range(len(WITNESSES)):
        directory = _root() / f"w{i}"
        if not directory.exists():
            continue
        cmd = [sys.executable, "-m", "ballots.witness", "serve", str(directory)]
        cmd += ["--port", str(_port(i))]
        # The witness's own log beside its state: why it refused, or why it did not start.
        with open(directory / "serve.log", "ab") as log:
            procs.append(
                subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
            )
    deadline = time.monotonic() + 60  # a loaded machine takes a while to start Python
    for i in range(len(procs)):
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", _port(i))) == 0:
                    break
            time.sleep(0.05)
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
