"""The signed keys document (/.well-known/trust-keys.note) through key rotations, and the
batched records endpoint (/log/records) the monitor reads."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import current_app
from sqlalchemy import delete, select
from werkzeug.serving import make_server

from app.core.db_types import utcnow
from app.core.extensions import db
from app.demo import witnesses as demo_witnesses
from app.keys import service as keys
from app.keys.models import SigningKeyRecord
from app.translog import notes
from app.translog import service as translog
from ballots.canonical import canonical_sha256
from ballots.checkpoint import parse_witness_policy
from ballots.keysnote import KeysNoteError, open_keys_note
from ballots.keysproof import check_keys_proof
from ballots.note import SIG_ED25519, VerifierKey, parse_note
from ballots.witness import LOGS_FILE


def _age_keys() -> None:
    """Move every key's window a day back, so the next rotation is not within its first second."""
    for row in db.session.scalars(select(SigningKeyRecord)):
        row.valid_from -= timedelta(days=1)
        if row.valid_until is not None:
            row.valid_until -= timedelta(days=1)
    db.session.commit()


def test_keys_note_follows_rotations(client: Any, db_session: Any) -> None:
    keys.ensure_key(valid_from=utcnow() - timedelta(days=3))
    db.session.commit()
    first = client.get("/.well-known/trust-keys.note")
    assert first.status_code == 200 and first.mimetype == "text/plain"
    served = client.get("/.well-known/trust-keys.json").get_json()
    signed = open_keys_note(first.data, served=served, origin=notes.origin())
    assert len(signed.ring) == 1 and "a single key" in signed.summary()

    for _ in range(2):
        _age_keys()
        keys.rotate()
        db.session.commit()
    data = client.get("/.well-known/trust-keys.note").data
    served = client.get("/.well-known/trust-keys.json").get_json()
    signed = open_keys_note(data, served=served, origin=notes.origin())
    assert len(signed.ring) == 3 and "2 endorsements verified" in signed.summary()
    assert signed.current.key_id == keys.active_record().key_id
    # An endorsement in the note is the one the key's log record carries, byte for byte.
    body = json.loads(parse_note(data).text)
    rotated = [
        json.loads(r.record_json)
        for r in db.session.scalars(
            select(translog.LogLeaf).where(translog.LogLeaf.type == "key.rotated")
        )
    ]
    logged = {r["key_id"]: r["endorsement"] for r in rotated}
    # (The last one only: this test moved the earlier keys' windows after they were logged.)
    last = body["keys"][-1]["key_id"]
    assert canonical_sha256(logged[last]) == canonical_sha256(body["endorsements"][-1])
    # The served note against an older keys document (a key hidden) is refused.
    try:
        open_keys_note(data, served={**served, "keys": served["keys"][:2]})
    except KeysNoteError as exc:
        assert exc.code == "keys.mismatch"
    else:
        raise AssertionError("a keys document missing a key was accepted")
    # Another origin than the log's is refused.
    try:
        open_keys_note(data, origin="elsewhere.example/log")
    except KeysNoteError as exc:
        assert exc.code == "keys.note_signature"
    else:
        raise AssertionError("a note under another name was accepted")
    # Conditional requests: an unchanged note costs a 304.
    tag = client.get("/.well-known/trust-keys.note").headers["ETag"]
    again = client.get("/.well-known/trust-keys.note", headers={"If-None-Match": tag})
    assert again.status_code == 304


def test_records_endpoint(client: Any, db_session: Any) -> None:
    for i in range(5):
        translog.append("income.recorded", f"income:{i}", {"type": "income.recorded", "n": i})
    db.session.commit()
    size = translog.size()
    response = client.get(f"/log/records?start=1&end={size}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"].endswith("immutable")
    batch = response.get_json()
    assert len(batch) == size - 1
    for offset, record in enumerate(batch):
        assert record == client.get(f"/log/record/{1 + offset}").get_json()
    leaves = client.get(f"/log/entries?start=0&end={size}").get_json()
    assert [canonical_sha256(r) for r in batch] == [x["sha256"] for x in leaves[1:]]
    assert client.get(f"/log/records?start={size}&end={size}").get_json() == []
    # Past the end (it would change as the log grows), reversed, too many, not numbers: 400.
    for query in (f"start=0&end={size + 1}", "start=3&end=2", "start=0&end=x", "start=-1&end=2"):
        got = client.get(f"/log/records?{query}")
        assert got.status_code == 400, query
    for i in range(300):
        translog.append("income.recorded", f"more:{i}", {"type": "income.recorded", "m": i})
    db.session.commit()
    assert client.get("/log/records?start=0&end=257").status_code == 400
    assert len(client.get("/log/records?start=0&end=256").get_json()) == 256


def _check_proof(client: Any, doc: Any = None) -> str:
    signed = open_keys_note(
        client.get("/.well-known/trust-keys.note").data,
        served=client.get("/.well-known/trust-keys.json").get_json(),
        origin=notes.origin(),
    )
    if doc is None:
        doc = client.get("/.well-known/trust-keys.proof.json").get_json()
    policy = client.get("/.well-known/trust-witnesses.json").get_json()
    return check_keys_proof(doc, signed, *parse_witness_policy(policy))


def _refused(client: Any, doc: Any) -> str:
    try:
        _check_proof(client, doc)
    except KeysNoteError as exc:
        return exc.code
    raise AssertionError("a tampered keys proof was accepted")


def test_keys_proof_puts_every_key_in_the_log(client: Any, db_session: Any) -> None:
    keys.ensure_key(valid_from=utcnow() - timedelta(days=3))
    db.session.commit()
    keys.rotate()
    db.session.commit()
    time.sleep(1.1)  # validity windows are whole seconds
    keys.rotate()
    db.session.commit()
    response = client.get("/.well-known/trust-keys.proof.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert "all 3 key records in the log" in _check_proof(client, doc)
    # Each record is the key's own leaf, proved under the served checkpoint.
    kinds = [e["record"]["type"] for e in doc["keys"]]
    assert kinds == ["key.created", "key.rotated", "key.rotated"]
    served = client.get("/log/checkpoint.txt").data.decode()
    assert doc["checkpoint"] == served

    def tampered(change: Any) -> Any:
        copy = copy_doc(doc)
        change(copy)
        return copy

    def copy_doc(d: Any) -> Any:
        return json.loads(json.dumps(d))

    # A record naming another key (and a leaf recomputed to match it) is refused.
    def other_key(d: Any) -> None:
        d["keys"][1]["record"]["public_key"] = d["keys"][2]["record"]["public_key"]
        d["keys"][1]["leaf"]["sha256"] = canonical_sha256(d["keys"][1]["record"])

    assert _refused(client, tampered(other_key)) == "keys.log_record"

    def other_endorsement(d: Any) -> None:
        d["keys"][2]["record"]["endorsement"] = d["keys"][1]["record"]["endorsement"]

    assert _refused(client, tampered(other_endorsement)) == "keys.log_record"

    def other_leaf(d: Any) -> None:
        d["keys"][0]["leaf"]["sha256"] = "0" * 64

    assert _refused(client, tampered(other_leaf)) == "keys.log_record"

    def bad_path(d: Any) -> None:
        d["keys"][2]["inclusion"]["path"][0] = "00" * 32

    assert _refused(client, tampered(bad_path)) == "keys.log_inclusion"

    def dropped(d: Any) -> None:
        d["keys"].pop()

    assert _refused(client, tampered(dropped)) == "keys.log_format"

    def resigned(d: Any) -> None:
        d["checkpoint"] = d["checkpoint"].replace("\n", "\n ", 1)

    assert _refused(client, tampered(resigned)).startswith("keys.log_")

    # A key whose creation is not in the log (as on a server predating key leaves).
    last = doc["keys"][2]["record"]["key_id"]
    db.session.execute(delete(translog.LogLeaf).where(translog.LogLeaf.subject == last))
    db.session.commit()
    assert client.get("/.well-known/trust-keys.proof.json").get_json()["keys"][2]["leaf"] is None
    assert _refused(client, client.get("/.well-known/trust-keys.proof.json").get_json()) == (
        "keys.unlogged"
    )


@pytest.fixture
def witnessed(app: Any, db_session: Any) -> Iterator[tuple[str, list[Any]]]:
    """The demo, its witnesses running as processes, and the app served on a real port."""
    app.config["TRUST_DEMO_WITNESS_PORT"] = random.randrange(20000, 32000, 10)
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    procs = demo_witnesses.start()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", procs
    server.shutdown()
    demo_witnesses.stop(procs)


def test_demo_keys_witnessed_by_verify_and_monitor(
    witnessed: tuple[str, list[Any]], tmp_path: Any, capsys: Any
) -> None:
    """The demo's witnesses (real processes) cosign; a key rotated after their last cosignature
    is refused by the verifier and pending for the monitor, until they cosign again."""
    from app.results.models import SealedResult
    from app.translog import witnesses
    from ballots.monitor import main as monitor_main
    from ballots.verify import main as verify_main

    live, procs = witnessed

    proposal = db.session.scalars(
        select(SealedResult.proposal_id).where(SealedResult.current)
    ).first()
    url = f"{live}/results/{proposal}/"
    state = str(tmp_path / "monitor")
    assert verify_main([url]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "keys witnessed: all" in out and f"quorum {demo_witnesses.QUORUM}" in out
    assert monitor_main([live, "--state", state]) == 0, capsys.readouterr().err
    assert "OK keys witnessed: all" in capsys.readouterr().out

    keys.rotate()  # the demo's key dates from years ago: no need to age it
    db.session.commit()
    assert verify_main([url]) == 1
    assert "[keys.unwitnessed]" in capsys.readouterr().err
    assert monitor_main([live, "--state", state]) == 0, capsys.readouterr().err
    assert "PENDING: key " in capsys.readouterr().out
    # The witnesses' owners accept the log's new key (a witness knows the log keys it was
    # given), and restart their witnesses.
    new_vkey = VerifierKey(notes.origin(), SIG_ED25519, keys.signing_key().public_key_raw).vkey
    demo_witnesses.stop(procs)
    for directory in sorted((Path(current_app.instance_path) / "demo-witnesses").iterdir()):
        with open(directory / LOGS_FILE, "a") as fh:
            fh.write(new_vkey + "\n")
    procs[:] = demo_witnesses.start()
    outcomes = witnesses.collect()
    assert all(o["ok"] for o in outcomes), outcomes
    db.session.commit()
    assert verify_main([url]) == 0, capsys.readouterr().err
    assert "all 2 key records" in capsys.readouterr().out
    assert monitor_main([live, "--state", state]) == 0, capsys.readouterr().err
    assert "PENDING" not in capsys.readouterr().out


def test_the_log_keeps_its_origin_when_the_base_url_is_set_later(
    app: Any, client: Any, db_session: Any
) -> None:
    # The demo's order: the log is signed before the server knows its address, then served.
    keys.ensure_key(valid_from=utcnow() - timedelta(days=3))
    first = notes.current()
    db.session.commit()
    named = first.note.split("\n", 1)[0] if first.note else ""
    assert named == notes.DEFAULT_ORIGIN
    app.config["TRUST_BASE_URL"] = "http://127.0.0.1:5077"
    try:
        assert notes.origin() == named
        data = client.get("/.well-known/trust-keys.note").data
        served = client.get("/.well-known/trust-keys.json").get_json()
        assert open_keys_note(data, served=served, origin=named).current.key_id
        _age_keys()
        keys.rotate()  # a new leaf: the next checkpoint is a new note
        later = notes.current()
        db.session.commit()
        assert later.size > first.size and later.note is not None
        assert later.note.split("\n", 1)[0] == named
    finally:
        app.config["TRUST_BASE_URL"] = ""
