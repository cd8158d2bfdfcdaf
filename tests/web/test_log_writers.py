"""One log, many writers: appends from several processes at once never gap, fork or rewrite."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.core.extensions import db
from app.keys import service as keys
from app.translog import notes
from app.translog import service as translog
from app.translog.models import LogLeaf
from ballots.keys import KeyRing, verify_object
from ballots.merkle import verify_consistency

# Its commits must reach the database for real (see tests/conftest.py).
pytestmark = pytest.mark.real_commits

WRITERS = 4
APPENDS = 15


def _writer(config: dict[str, Any], writer: int, checkpoints: Any) -> None:
    from app import create_app

    app = create_app(config)
    with app.app_context():
        for n in range(APPENDS):
            translog.append("community.certified", f"w{writer}-{n}", {"writer": writer, "n": n})
            db.session.commit()
            if n % 5 == 4:
                checkpoints.put(notes.checkpoint())
                db.session.commit()
        db.session.remove()


def test_concurrent_appends_from_several_processes_are_consecutive_and_consistent(
    app: Any, db_session: Any, tmp_path: Path
) -> None:
    keys.ensure_key()
    base = translog.size()  # the key's creation is itself a leaf
    db.session.commit()  # on SQLite even a read holds the write lock until the commit
    config = {
        key: app.config[key]
        for key in (
            "SECRET_KEY",
            "TRUST_SIGNING_KEY_PASSPHRASE",
            "TRUST_TOKEN_SECRET",
            "TRUST_NAME",
        )
    }
    config.update(
        TESTING=True,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        INSTANCE_PATH=str(tmp_path),
        AUTO_MIGRATE=False,
    )
    context = multiprocessing.get_context("spawn")
    checkpoints = context.Queue()
    workers = [
        context.Process(target=_writer, args=(config, w, checkpoints)) for w in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    seen = [checkpoints.get(timeout=5) for _ in range(WRITERS * APPENDS // 5)]

    db.session.expire_all()
    indexes = list(db.session.scalars(select(LogLeaf.index).order_by(LogLeaf.index)))
    assert indexes == list(range(base + WRITERS * APPENDS))
    subjects = set(db.session.scalars(select(LogLeaf.subject)))
    assert len(subjects) == base + WRITERS * APPENDS

    keyring = KeyRing.from_document(keys.published_keys())
    final = notes.checkpoint()
    tree = translog.tree()
    for checkpoint in seen:
        verify_object(checkpoint, keyring)
        size = checkpoint["size"]
        assert tree.root(size).hex() == checkpoint["root"]
        path = tree.consistency_proof(size, final["size"])
        assert verify_consistency(
            size,
            final["size"],
            bytes.fromhex(checkpoint["root"]),
            bytes.fromhex(final["root"]),
            path,
        )
