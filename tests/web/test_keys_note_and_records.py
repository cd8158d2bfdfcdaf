"""The signed keys document (/.well-known/trust-keys.note) through key rotations, and the
batched records endpoint (/log/records) the monitor reads."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.keys import service as keys
from app.keys.models import SigningKeyRecord
from app.translog import notes
from app.translog import service as translog
from ballots.canonical import canonical_sha256
from ballots.keysnote import KeysNoteError, open_keys_note
from ballots.note import parse_note


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
