"""Keeping the documents current: records changed in a transaction are re-indexed by a job."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.extensions import db
from app.jobs.registry import handler
from app.search import documents
from app.search.models import SearchDocument

_NOTED = "trust_search_refs"
BATCH = 500


def refresh(refs: Iterable[tuple[str, str]]) -> int:
    """Write the current text of each record (removing those that are gone)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    rows: list[dict[str, Any]] = []
    gone: list[tuple[str, str]] = []
    for kind, ref in refs:
        doc = documents.build(kind, ref)
        if doc is None:
            gone.append((kind, ref))
        else:
            rows.append({"kind": kind, "ref": ref, **doc})
    for start in range(0, len(rows), BATCH):
        stmt = insert(SearchDocument).values(rows[start : start + BATCH])
        stmt = stmt.on_conflict_do_update(
            index_elements=["kind", "ref"],
            set_={"title": stmt.excluded.title, "body": stmt.excluded.body,
                  "at": stmt.excluded.at},
        )
        db.session.execute(stmt)
    for kind, ref in gone:
        db.session.execute(
            delete(SearchDocument).where(SearchDocument.kind == kind, SearchDocument.ref == ref)
        )
    return len(rows)


def reindex_all() -> int:
    batch: list[tuple[str, str]] = []
    count = 0
    for item in documents.every_ref():
        batch.append(item)
        if len(batch) >= BATCH:
            count += refresh(batch)
            batch.clear()
    count += refresh(batch)
    return count


@handler("search.index")
def index_job(payload: dict[str, Any]) -> str:
    count = refresh((str(k), str(r)) for k, r in payload["refs"])
    db.session.commit()
    return f"{count} indexed"


@event.listens_for(Session, "after_flush")
def _note(session: Session, _context: Any) -> None:
    for obj in (*session.new, *session.dirty):
        found = documents.ref_of(obj)
        if found is not None:
            session.info.setdefault(_NOTED, set()).add(found)


@event.listens_for(Session, "before_commit")
def _queue(session: Session) -> None:
    from flask import has_app_context

    from app.jobs import queue

    if not has_app_context():
        return
    session.flush()
    noted = session.info.pop(_NOTED, None)
    if not noted:
        return
    refs = sorted(noted)
    for start in range(0, len(refs), BATCH):
        chunk = refs[start : start + BATCH]
        # A fresh key each commit: re-indexing is idempotent, and a later change to the same
        # records must index again rather than be taken for the earlier job.
        queue.enqueue("search.index", {"refs": [list(r) for r in chunk]},
                      key=f"search:{uuid.uuid4().hex}", session=session)
    session.flush()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_NOTED, None)


def install() -> None:
    """Importing this module installs the listeners."""
