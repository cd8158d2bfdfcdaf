"""The demo's log, cosigned for real by its witnesses (separate processes), checked by the
independent C2SP checker, by ``python -m ballots.verify`` and by ``python -m ballots.monitor``."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from app.core.extensions import db
from app.demo import witnesses as demo_witnesses
from app.results.models import SealedResult
from app.translog import witnesses
from app.translog.models import LogLeaf, WitnessContact
from ballots.canonical import canonical_bytes
from ballots.checkpoint import Checkpoint
from ballots.keys import KeyRing
from ballots.monitor import main as monitor_main
from ballots.note import SIG_ED25519, VerifierKey, parse_note
from ballots.verify import main as verify_main

CHECKER = Path(__file__).resolve().parents[1] / "independent" / "c2sp_check.mjs"


@pytest.fixture
def demo(app: Any, db_session: Any) -> Iterator[Any]:
    # Below the kernel's ephemeral range (32768+), where outgoing connections take ports.
    app.config["TRUST_DEMO_WITNESS_PORT"] = random.randrange(20000, 32000, 10)
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert result.output.count(": cosigned") == len(demo_witnesses.WITNESSES), result.output
    procs = demo_witnesses.start()  # the witnesses stay up for the test's own cosigning
    yield app
    demo_witnesses.stop(procs)


def log_vkey(client: Any) -> str:
    note = parse_note(client.get("/log/checkpoint.txt").data)
    origin = Checkpoint.parse(note.text).origin
    ring = KeyRing.from_document(client.get("/.well-known/trust-keys.json").get_json())
    return VerifierKey(origin, SIG_ED25519, ring.entries()[-1].raw).vkey


def independent(tmp: Path, note: bytes, vkey: str, policy: Any) -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node")
    (tmp / "cp.txt").write_bytes(note)
    (tmp / "policy.json").write_text(json.dumps(policy))
    run = subprocess.run(  # noqa: S603
        [node, str(CHECKER), str(tmp / "cp.txt"), vkey, str(tmp / "policy.json")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    return run.stdout.strip()


def test_demo_checkpoint_cosigned_by_the_charters_quorum(demo: Any, client: Any, tmp_path: Path):
    response = client.get("/log/checkpoint.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    policy = client.get("/.well-known/trust-witnesses.json").get_json()
    assert policy["quorum"] == demo_witnesses.QUORUM
    assert len(policy["witnesses"]) == len(demo_witnesses.WITNESSES)
    out = independent(tmp_path, response.data, log_vkey(client), policy)
    assert out.startswith("OK ") and out.endswith(f"{len(demo_witnesses.WITNESSES)} cosignatures")
    tampered = response.data.replace(b"\n", b"\n ", 1)
    assert independent(tmp_path, tampered, log_vkey(client), policy).startswith("REJECT")
    page = client.get("/log/witnesses")
    assert page.status_code == 200
    for _, _, holder in demo_witnesses.WITNESSES:
        assert holder.split(" · ")[0].replace("'", "&#39;") in page.get_data(as_text=True)
    zh = client.get("/log/witnesses", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 200


def test_sealed_results_verify_in_the_log(demo: Any, client: Any, tmp_path: Path, capsys):
    ids = list(db.session.scalars(select(SealedResult.proposal_id).where(SealedResult.current)))
    assert ids
    for proposal_id in ids:
        folder = tmp_path / proposal_id
        folder.mkdir()
        names = ["result.json", "roll.jsonl", "ballots.jsonl", "log-proof.json"]
        if client.get(f"/results/{proposal_id}/election.json").status_code == 200:
            names += ["election.json", "tally.json"]  # a secret vote's bundle (format 2)
        for name in names:
            got = client.get(f"/results/{proposal_id}/{name}")
            assert got.status_code == 200, (name, got.data[:200])
            (folder / name).write_bytes(got.data)
        (folder / "trust-keys.json").write_bytes(client.get("/.well-known/trust-keys.json").data)
        (folder / "trust-witnesses.json").write_bytes(
            client.get("/.well-known/trust-witnesses.json").data
        )
        (folder / "trust-keys.note").write_bytes(client.get("/.well-known/trust-keys.note").data)
        assert verify_main([str(folder)]) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert f"quorum {demo_witnesses.QUORUM}" in out
        assert "keys document signed by the current key" in out
    # The leaves the log appended are timed by it, in order.
    times = [t for t in db.session.scalars(select(LogLeaf.logged_at).order_by(LogLeaf.index))]
    assert all(t is not None for t in times) and times == sorted(times)


def test_a_rewritten_history_is_refused_by_the_witnesses(demo: Any, client: Any) -> None:
    before = client.get("/log/checkpoint.txt").data
    # The server rewrites leaf 3 (as a compromised database would), then the log grows.
    row = db.session.get(LogLeaf, 3)
    row.leaf_hash = bytes(32)
    db.session.commit()
    from app.translog import service as translog

    translog.append("income.recorded", "income:test", {"type": "income.recorded", "n": 1})
    db.session.commit()
    outcomes = witnesses.collect()
    db.session.commit()
    assert outcomes and not any(o["ok"] for o in outcomes)
    assert all("422" in o["error"] for o in outcomes)
    contacts = db.session.scalars(select(WitnessContact)).all()
    assert contacts and not any(c.ok for c in contacts)
    # Readers keep being served the last checkpoint the witnesses did cosign.
    assert client.get("/log/checkpoint.txt").data == before
    assert "refused or unreachable" in client.get("/log/witnesses").get_data(as_text=True)


@pytest.fixture
def live(demo: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, demo, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_monitor_watches_the_demo(live: str, tmp_path: Path, capsys) -> None:
    state = tmp_path / "monitor"
    assert monitor_main([live, "--state", str(state)]) == 0, capsys.readouterr().err
    assert "OK checkpoint" in capsys.readouterr().out
    # A correction made in the open: a new result superseding the old, with its reason logged.
    from app.results import service as results

    proposal_id = db.session.scalars(select(SealedResult.proposal_id)).first()
    with pytest.raises(results.SealError):
        results.seal(proposal_id, correction=True)  # no reason: refused
    db.session.rollback()
    results.seal(proposal_id, correction=True, reason="a ballot was double-counted")
    db.session.commit()
    assert monitor_main([live, "--state", str(state)]) == 0, capsys.readouterr().err
    assert "PENDING" in capsys.readouterr().out  # the witnesses have not cosigned it yet
    assert all(o["ok"] for o in witnesses.collect())
    db.session.commit()
    assert monitor_main([live, "--state", str(state)]) == 0, capsys.readouterr().err
    assert "PENDING" not in capsys.readouterr().out
    # A silent correction: the served result changes with nothing in the log.
    row = db.session.scalars(select(SealedResult).where(SealedResult.current)).first()
    signed = json.loads(row.result_json)
    signed["tally"]["counted"] += 1
    db.session.execute(
        update(SealedResult)
        .where(SealedResult.id == row.id)
        .values(result_json=canonical_bytes(signed).decode())
    )
    db.session.commit()
    assert monitor_main([live, "--state", str(state)]) == 1
    assert "[result.silent_correction]" in capsys.readouterr().err
