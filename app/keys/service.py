"""The trust's signing keys: created, rotated, opened only in memory, published with history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.audit import service as audit
from app.core.db_types import utcnow
from app.core.extensions import db
from app.keys.models import SigningKeyRecord
from ballots.keys import PublicKey, SigningKey, b64decode_strict, keys_document
from ballots.keysnote import endorsement_statement, sign_keys_note
from ballots.records import format_time

# Decrypted keys by key id. Keys never change once written, so another worker rotating the
# active key cannot make this stale: which key is active is read from the database each time.
_opened: dict[str, SigningKey] = {}


class SigningKeyUnavailable(RuntimeError):
    pass


def _passphrase() -> bytes:
    passphrase = current_app.config.get("TRUST_SIGNING_KEY_PASSPHRASE")
    if not passphrase:
        raise SigningKeyUnavailable("TRUST_SIGNING_KEY_PASSPHRASE is not configured")
    return str(passphrase).encode()


def active_record() -> SigningKeyRecord | None:
    return db.session.scalar(
        select(SigningKeyRecord)
        .where(SigningKeyRecord.valid_until.is_(None))
        .order_by(SigningKeyRecord.valid_from.desc(), SigningKeyRecord.id.desc())
        .limit(1)
    )


def _new_record(actor_id: int | None, valid_from: datetime | None = None) -> SigningKeyRecord:
    key = SigningKey.generate()
    record = SigningKeyRecord(
        key_id=key.key_id,
        public_key=key.public_key_b64,
        encrypted_pem=key.to_encrypted_pem(_passphrase()),
        valid_from=valid_from or utcnow(),
    )
    db.session.add(record)
    _opened[key.key_id] = key
    audit.record("keys.created", actor_id=actor_id, subject=key.key_id)
    return record


def ensure_key(actor_id: int | None = None, valid_from: datetime | None = None) -> SigningKeyRecord:
    """The active key, creating the first one if there is none (committed by the caller).

    `valid_from` back-dates a first key, for a demo whose history starts in the past.
    """
    record = active_record()
    if record is None:
        record = _new_record(actor_id, valid_from)
        db.session.flush()
        _log_key("key.created", record, None)
    return record


def rotate(actor_id: int | None = None) -> SigningKeyRecord:
    now = utcnow()
    old = active_record()
    if old is not None:
        if old.valid_from >= now:
            # Validity windows are whole seconds; a zero-length window could verify nothing.
            raise SigningKeyUnavailable("the active key is less than a second old; try again")
        old.valid_until = now
        audit.record("keys.retired", actor_id=actor_id, subject=old.key_id)
    record = _new_record(actor_id)
    db.session.flush()
    _log_key("key.rotated", record, old)
    return record


def _log_key(kind: str, record: SigningKeyRecord, previous: SigningKeyRecord | None) -> None:
    """Key changes are leaves; a new key carries the old key's signature over it, so the
    published history is a chain a reader can walk from the first key they trust."""
    # Imported here: the log signs its checkpoints with these keys (translog imports keys).
    from app.translog import service as translog

    statement = {
        "type": "key.endorsement",
        "trust": current_app.config["TRUST_NAME"],
        "key_id": record.key_id,
        "public_key": record.public_key,
        "valid_from": format_time(record.valid_from),
    }
    endorsement = opened_key(previous).sign_object(statement) if previous else None
    translog.append(
        kind,
        record.key_id,
        {
            "type": kind,
            "key_id": record.key_id,
            "public_key": record.public_key,
            "valid_from": format_time(record.valid_from),
            "previous": previous.key_id if previous else None,
            "endorsement": endorsement,
        },
        at=record.valid_from,
    )


def signing_key() -> SigningKey:
    return opened_key(ensure_key())


def signing_key_by_id(key_id: str) -> SigningKey:
    """A key named by id (read by the caller, e.g. inside a larger query), opened once."""
    key = _opened.get(key_id)
    if key is not None:
        return key
    record = db.session.scalar(select(SigningKeyRecord).where(SigningKeyRecord.key_id == key_id))
    if record is None:
        raise SigningKeyUnavailable(f"there is no signing key {key_id}")
    return opened_key(record)


def opened_key(record: SigningKeyRecord) -> SigningKey:
    key = _opened.get(record.key_id)
    if key is None:
        key = SigningKey.from_encrypted_pem(record.encrypted_pem, _passphrase())
        if key.key_id != record.key_id:
            raise SigningKeyUnavailable(
                f"stored key {record.key_id} does not match its public half"
            )
        _opened[record.key_id] = key
    return key


def sign(obj: dict[str, Any]) -> dict[str, Any]:
    return signing_key().sign_object(obj)


def _records() -> list[SigningKeyRecord]:
    return list(
        db.session.scalars(
            select(SigningKeyRecord).order_by(SigningKeyRecord.valid_from, SigningKeyRecord.id)
        )
    )


def _entry(r: SigningKeyRecord) -> PublicKey:
    return PublicKey(
        b64decode_strict(r.public_key, "public_key"),
        format_time(r.valid_from),
        format_time(r.valid_until) if r.valid_until else None,
    )


def published_keys() -> dict[str, Any]:
    return keys_document(current_app.config["TRUST_NAME"], [_entry(r) for r in _records()])


def keys_note(origin: str) -> bytes:
    """The keys document as a signed note (ballots/keysnote.py): each key endorsed by the key
    before it, the whole signed by the current key under the log's origin.

    Ed25519 is deterministic, so each endorsement is byte for byte the one the key's
    ``key.rotated`` log record carries; nothing new has to be stored.
    """
    records = _records()
    if not records:
        records = [ensure_key()]
    trust = current_app.config["TRUST_NAME"]
    entries = [_entry(r) for r in records]
    endorsements: list[Any] = [None]
    for previous, entry in zip(records, entries[1:], strict=False):
        endorsements.append(opened_key(previous).sign_object(endorsement_statement(trust, entry)))
    return sign_keys_note(
        keys_document(trust, entries), endorsements, opened_key(records[-1]), origin
    )
