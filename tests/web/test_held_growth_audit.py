"""Growth entries held for an owner number no account has proved are audited like the others
(issue 16): each hold is a `growth.held` leaf, each release by a claim a `growth.released` one,
and an entry held, edited or deleted outside them is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from app.core.extensions import db
from app.growth import holding
from app.growth.claims import contact_digest
from app.growth.models import HeldGrowthEntry
from app.integrity.growth import audit_growth, audit_held
from app.translog import kinds
from tests.factories import install_charter, make_owner

IMPORT = {"Authorization": "Bearer test-import-token-0123456789"}
WHEN = (datetime.now(UTC) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _feed(client: Any, entries: list[tuple[str, int, str]]) -> Any:
    body = [{"owner": number, "dimension": "purchase", "points": points, "reason": "Car",
             "source_id": sid, "occurred_at": WHEN,
             "contact_email_sha256": contact_digest("email", f"{number}@example.test")}
            for number, points, sid in entries]
    response = client.post("/api/growth/import", json={"entries": body}, headers=IMPORT)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _findings() -> list[str]:
    db.session.expire_all()
    return [str(f) for f in [*audit_held(None), *audit_growth(None)]]  # type: ignore[arg-type]


def test_held_entries_are_logged_and_a_change_to_them_is_named(
    client: Any, db_session: Any
) -> None:
    install_charter()
    db.session.commit()
    assert _feed(client, [("N300", 5000, "crm-1"), ("N301", 700, "crm-2")])["held"] == 2
    [(_i, subject, record)] = list(kinds.records(kinds.GROWTH_HELD))
    assert subject.startswith("held:") and record["count"] == 2 and record["points"] == 5700
    assert len(record["file_sha256"]) == 64
    assert _findings() == []

    db.session.execute(text("UPDATE held_growth_entries SET points = points + 100000"
                            " WHERE source_id = 'crm-1'"))
    found = _findings()
    assert any("no longer match the logged hold" in f and "105,700" in f for f in found), found
    db.session.rollback()

    db.session.execute(text(
        "INSERT INTO held_growth_entries (owner_number, dimension, points, reason, source,"
        " source_id, occurred_at, recorded_at) VALUES ('N999', 'purchase', 90000, 'x', 'api',"
        " 'forged-1', :t, :t)"), {"t": datetime.now(UTC)})
    found = _findings()
    assert any("in no logged hold: inserted outside an import" in f for f in found), found
    db.session.rollback()

    db.session.execute(text("DELETE FROM held_growth_entries WHERE source_id = 'crm-2'"))
    found = _findings()
    assert any("1 entries of 5,000 points found, 2 of 5,700 logged" in f for f in found), found
    db.session.rollback()


def test_a_release_by_claim_keeps_the_audit_clean_and_is_logged(
    client: Any, db_session: Any
) -> None:
    install_charter()
    db.session.commit()
    _feed(client, [("N400", 3000, "crm-9"), ("N401", 40, "crm-10")])
    owner = make_owner(0)
    db.session.commit()
    assert holding.release_to(owner.id, "N400") == 1
    db.session.commit()
    [(_i, _s, released)] = list(kinds.records(kinds.GROWTH_RELEASED))
    assert released["owner"] == owner.id
    assert [e["owner_number"] for e in released["entries"]] == ["N400"]
    assert db.session.scalar(select(HeldGrowthEntry.owner_number)) == "N401"
    assert _findings() == []
    # A released entry put back by hand is not what the log says was held.
    db.session.execute(text(
        "INSERT INTO held_growth_entries (owner_number, dimension, points, reason, source,"
        " source_id, occurred_at, recorded_at) SELECT 'N400', dimension, points, reason,"
        " source, source_id || '-again', occurred_at, recorded_at FROM held_growth_entries"))
    assert any("no longer match the logged hold" in f for f in _findings())
    db.session.rollback()
