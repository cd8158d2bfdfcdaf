"""The log's checkpoints as C2SP notes, their witnesses' cosignatures, and the served checkpoint.

Each checkpoint size the trust signs (``service.checkpoint``) is also a tlog-checkpoint note
signed by the trust's key under the log's origin. Witnesses add cosignatures (``witnesses``);
``/log/checkpoint.txt`` serves the newest checkpoint that has the charter's quorum of them.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.db_types import utcnow
from app.core.extensions import db
from app.keys import service as keys
from app.translog import service as translog
from app.translog.models import Checkpoint as CheckpointRow
from app.translog.models import Cosignature, LogLeaf
from ballots.checkpoint import Checkpoint, open_checkpoint
from ballots.keys import KeyRing
from ballots.keysproof import KEY_LEAF_TYPES, keys_proof_document
from ballots.log import build_checkpoint
from ballots.note import SIG_ED25519, Note, NoteError, VerifierKey, parse_note, parse_signature_line
from ballots.records import format_time
from governance.witnesses import WitnessRules

DEFAULT_ORIGIN = "owners-trust.local/log"


def origin() -> str:
    """The log's origin line: TRUST_LOG_ORIGIN if set; else the origin its first signed note
    was given; for a log with none yet, the base URL's host + /log.

    The origin names the log for good: its notes are signed, and its witnesses cosign, under
    it. Taken from the base URL each time, it moved when the base URL did: the demo, built
    before it knows the port it will serve on, signed its checkpoints as
    owners-trust.local/log and then its keys note as 127.0.0.1:5000/log, which every verifier
    refused (keys.note_signature), and its witnesses would have refused every later checkpoint.
    """
    configured = current_app.config.get("TRUST_LOG_ORIGIN")
    if configured:
        return str(configured)
    first = db.session.scalar(
        select(CheckpointRow.note).where(CheckpointRow.note.is_not(None))
        .order_by(CheckpointRow.size).limit(1))
    if first:
        return first.split("\n", 1)[0]
    host = urllib.parse.urlsplit(current_app.config.get("TRUST_BASE_URL") or "").netloc
    return f"{host}/log" if host else DEFAULT_ORIGIN


def witness_rules() -> WitnessRules:
    from app.charter import service as charter

    version = charter.current()
    return charter.rules_of(version).witnesses if version is not None else WitnessRules()


def policy() -> dict[str, Any]:
    """/.well-known/trust-witnesses.json: the charter's witnesses and quorum."""
    return witness_rules().policy()


def log_keys() -> list[VerifierKey]:
    """Every key the trust ever used, as note verifiers under the log's origin."""
    ring = KeyRing.from_document(keys.published_keys())
    return [VerifierKey(origin(), SIG_ED25519, k.raw) for k in ring.entries()]


def checkpoint() -> dict[str, Any]:
    """The signed checkpoint of the current size; each size is signed once and kept.

    A new checkpoint is flushed; the view or command that asked for it commits it.
    """
    keys.signing_key()  # a first key is itself a leaf: let it land before the size is taken
    current = translog.size()
    stored = db.session.get(CheckpointRow, current)
    if stored is not None:
        loaded: dict[str, Any] = json.loads(stored.signed_json)
        return loaded
    root = translog.tree(current).root().hex()
    signed = keys.sign(
        build_checkpoint(current_app.config["TRUST_NAME"], current, root, format_time(utcnow()))
    )
    try:
        # A savepoint: losing the race below undoes this row only, not the caller's work.
        with db.session.begin_nested():
            db.session.add(
                CheckpointRow(size=current, root=root, signed_json=json.dumps(signed))
            )
    except IntegrityError:
        # Another worker signed this size first; publish theirs so there is one per size.
        theirs = db.session.get(CheckpointRow, current)
        if theirs is None:
            raise
        signed = json.loads(theirs.signed_json)
    translog.keep_copy(signed)
    return signed


def ensure_note(row: CheckpointRow) -> str:
    if row.note is None:
        name = origin()
        text = Checkpoint(name, row.size, bytes.fromhex(row.root)).text()
        signature = keys.signing_key().note_signer(name).sign(text)
        row.note = Note(text, (signature,)).to_bytes().decode()
        db.session.flush()
    return row.note


def current() -> CheckpointRow:
    """The checkpoint of the log's current size, with its note (flushed; the caller commits)."""
    checkpoint()
    row = db.session.get(CheckpointRow, translog.size())
    assert row is not None  # checkpoint() stored it
    ensure_note(row)
    return row


def cosigned_note(row: CheckpointRow) -> Note:
    note = parse_note(ensure_note(row).encode())
    lines = db.session.scalars(
        select(Cosignature.line).where(Cosignature.size == row.size).order_by(Cosignature.id)
    )
    return note.with_signatures(parse_signature_line(line.rstrip("\n")) for line in lines)


def served() -> CheckpointRow | None:
    """The newest checkpoint with the charter's quorum of cosignatures (by its witnesses)."""
    rules = witness_rules()
    vkeys = [e.vkey for e in rules.entries]
    if rules.quorum == 0:
        return current()
    size = db.session.scalar(
        select(Cosignature.size)
        .where(Cosignature.vkey.in_(vkeys))
        .group_by(Cosignature.size)
        .having(func.count(func.distinct(Cosignature.vkey)) >= rules.quorum)
        .order_by(Cosignature.size.desc())
        .limit(1)
    )
    return db.session.get(CheckpointRow, size) if size is not None else None


def served_bytes() -> bytes:
    """The served checkpoint as a note; without a quorum yet, the newest one, so that a
    reader's verifier says plainly that the quorum is missing."""
    row = served() or current()
    return cosigned_note(row).to_bytes()


def history(limit: int = 50) -> list[dict[str, Any]]:
    """Recent checkpoints and who cosigned each, when, for the public page."""
    rows = db.session.scalars(
        select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(limit)
    )
    names = {e.vkey: e for e in witness_rules().entries}
    out = []
    for row in rows:
        cosigs = db.session.scalars(
            select(Cosignature).where(Cosignature.size == row.size).order_by(Cosignature.signed_at)
        )
        out.append(
            {
                "size": row.size,
                "root": row.root,
                "cosignatures": [
                    {
                        "vkey": c.vkey,
                        "holder": names[c.vkey].holder if c.vkey in names else None,
                        "signed_at": c.signed_at,
                        "received_at": c.received_at,
                    }
                    for c in cosigs
                ],
            }
        )
    return out


def note_problems(row: CheckpointRow) -> list[str]:
    """What the audit finds wrong with a stored checkpoint note and its cosignatures."""
    if row.note is None:
        return []
    try:
        checkpoint = Checkpoint.parse(parse_note(row.note.encode()).text)
        open_checkpoint(row.note.encode(), log_keys())
    except NoteError as exc:
        return [f"checkpoint note does not verify: {exc}"]
    problems = []
    if checkpoint.size != row.size or checkpoint.root.hex() != row.root:
        problems.append("checkpoint note names another size or root than its row")
    for cosig in db.session.scalars(select(Cosignature).where(Cosignature.size == row.size)):
        try:
            key = VerifierKey.parse(cosig.vkey)
            note = Note(checkpoint.text(), (parse_signature_line(cosig.line.rstrip("\n")),))
            open_checkpoint(
                Note(note.text, (*parse_note(row.note.encode()).signatures, *note.signatures)),
                log_keys(),
                [key],
                1,
            )
        except NoteError as exc:
            problems.append(f"cosignature by {cosig.vkey.split('+')[0]} does not verify: {exc}")
    return problems


def keys_proof() -> dict[str, Any]:
    """/.well-known/trust-keys.proof.json: each key's log leaf proved under the served
    (cosigned) checkpoint (ballots/keysproof.py). A key appended after it has no proof yet."""
    row = served() or current()
    note = cosigned_note(row).to_bytes().decode()
    ring = KeyRing.from_document(keys.published_keys())
    entries = []
    tree = None  # built once, only if a key needs a proof: a tree of the whole log is costly
    for key in ring.entries():
        leaf = db.session.scalar(
            select(LogLeaf)
            .where(LogLeaf.type.in_(KEY_LEAF_TYPES), LogLeaf.subject == key.key_id)
            .order_by(LogLeaf.index)
            .limit(1)
        )
        if leaf is None:
            entries.append((None, None, None))
            continue
        proof = None
        if leaf.index < row.size:
            tree = tree or translog.tree(row.size)
            path = tree.inclusion_proof(leaf.index, row.size)
            proof = {"index": leaf.index, "size": row.size, "path": [h.hex() for h in path]}
        entries.append((translog.leaf_object(leaf), json.loads(leaf.record_json), proof))
    return keys_proof_document(note, entries)
