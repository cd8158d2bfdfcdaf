"""Growth-value imports: `flask growth import`, `flask growth balance`, POST /api/growth/import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.extensions import db
from app.growth.ledger import balance
from app.growth.models import GrowthEntry

TOKEN = "test-import-token-0123456789"  # TRUST_IMPORT_API_TOKEN in tests/conftest.py
HEADER = "owner,dimension,points,reason,source_id,occurred_at\n"


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def growth_app(app: Any) -> Iterator[Any]:
    """The shared app, with the growth CLI group and API blueprint as `create_app` wires them."""
    if "growth" not in app.cli.commands or "growth_api" not in app.blueprints:
        # Until app/cli.py and app/blueprints.py register them, wire them here if still possible.
        from app.growth.api import bp
        from app.growth.cli import growth_cli

        if "growth" not in app.cli.commands:
            app.cli.add_command(growth_cli)
        if "growth_api" not in app.blueprints:
            if app._got_first_request:
                pytest.fail("app/blueprints.py does not register app.growth.api.bp")
            app.register_blueprint(bp)
    with app.app_context():
        yield app
        db.session.remove()


def make_owner(external_id: str, **fields: Any) -> User:
    user = User(
        external_id=external_id,
        email=fields.pop("email", f"{external_id.lower()}@owners.test"),
        display_name=fields.pop("display_name", f"Owner {external_id}"),
        password_hash="not-a-real-hash",
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def entry_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(GrowthEntry)) or 0)


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


def run(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["growth", *args])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def problem_pairs(output: str) -> set[tuple[int, str]]:
    """(row, field) of each problem line the CLI printed ("  row 3: points: ...")."""
    pairs = set()
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("row "):
            where, field, _ = line.split(": ", 2)
            pairs.add((int(where[4:]), field))
        elif line.startswith("file: "):
            _, field, _ = line.split(": ", 2)
            pairs.add((0, field))
    return pairs


GOOD_CSV = (
    HEADER
    + "C100,purchase,1000,Bought an ET7,crm-1,2026-01-10T09:00:00Z\n"
    + "C100,referral,200,Referred a friend,crm-2,2026-02-01T12:30:00Z\n"
    + "C200,community,50,\"Organised a meetup, Shanghai\",crm-3,2026-02-03T08:00:00Z\n"
    + "C200,efficiency,7,Charging efficiency,crm-4,2026-03-01T00:00:00Z\n"
    + "C300,special,3000,Special contribution,crm-5,2026-03-05T10:00:00.250Z\n"
)


# --------------------------------------------------------------------------- CLI: good files


def test_csv_import_writes_every_row_and_balances_are_the_sums(growth_app, tmp_path):
    owners = {x: make_owner(x) for x in ("C100", "C200", "C300")}
    path = write(tmp_path, "growth.csv", GOOD_CSV)

    result = run(growth_app, "import", path, "--source", "brand-crm")

    assert result.exit_code == 0, result.output
    assert "Imported 5 new entries" in result.output
    assert entry_count() == 5
    now = datetime.now(UTC)
    assert balance(owners["C100"].id, now) == 1200
    assert balance(owners["C200"].id, now) == 57
    assert balance(owners["C300"].id, now) == 3000
    entry = db.session.scalar(select(GrowthEntry).where(GrowthEntry.source_id == "crm-3"))
    assert entry.reason == "Organised a meetup, Shanghai"
    assert entry.source == "brand-crm"
    assert entry.dimension == "community"
    assert entry.occurred_at == at("2026-02-03T08:00:00Z")
    special = db.session.scalar(select(GrowthEntry).where(GrowthEntry.source_id == "crm-5"))
    assert special.occurred_at == at("2026-03-05T10:00:00.250Z")

    shown = run(growth_app, "balance", "C100")
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("C100: 1200 at ")


def test_jsonl_import_and_same_source_id_under_another_source(growth_app, tmp_path):
    alice = make_owner("J1")
    bob = make_owner("J2")
    rows = [
        {"owner": "J1", "dimension": "purchase", "points": 500, "reason": "购车",
         "source_id": "a-1", "occurred_at": "2026-04-01T10:00:00Z"},
        {"owner": "J2", "dimension": "community", "points": "25", "reason": "Forum answer",
         "source_id": "a-2", "occurred_at": "2026-04-02T10:00:00+00:00"},
    ]
    path = write(tmp_path, "growth.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                  for r in rows))
    result = run(growth_app, "import", path, "--source", "app-store")
    assert result.exit_code == 0, result.output
    # The same source ids from a different system are different entries.
    again = write(tmp_path, "other.ndjson", "\n".join(json.dumps(r) for r in rows))
    result = run(growth_app, "import", again, "--source", "community-site")
    assert result.exit_code == 0, result.output

    assert entry_count() == 4
    now = datetime.now(UTC)
    assert balance(alice.id, now) == 1000
    assert balance(bob.id, now) == 50
    reasons = set(db.session.scalars(select(GrowthEntry.reason)))
    assert reasons == {"购车", "Forum answer"}


def test_a_successful_import_is_audited_with_its_counts(growth_app, tmp_path):
    for x in ("C100", "C200", "C300"):
        make_owner(x)
    path = write(tmp_path, "growth.csv", GOOD_CSV)
    assert run(growth_app, "import", path).exit_code == 0

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "growth.import"))
    assert event.outcome == "ok"
    assert event.subject == "brand-crm"
    details = json.loads(event.details)
    assert (details["rows"], details["inserted"], details["skipped"]) == (5, 5, 0)
    assert details["via"] == "cli"


# --------------------------------------------------------------------------- CLI: bad files


def test_a_csv_with_bad_rows_is_rejected_whole_listing_every_problem(growth_app, tmp_path):
    owner = make_owner("C100")
    make_owner("C200")
    # Something already in the ledger, which must be left exactly as it is.
    ok = write(tmp_path, "ok.csv", HEADER + "C100,purchase,10,First,old-1,2026-01-01T00:00:00Z\n")
    assert run(growth_app, "import", ok).exit_code == 0
    before = entry_count()
    future = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bad = (
        HEADER  # line 1
        + "C100,purchase,100,Fine row,n-1,2026-05-01T00:00:00Z\n"  # 2: fine
        + "NOBODY,purchase,100,Who?,n-2,2026-05-01T00:00:00Z\n"  # 3: unknown owner
        + "C100,loyalty,100,Bad dimension,n-3,2026-05-01T00:00:00Z\n"  # 4: dimension
        + "C100,purchase,12.5,Fractional,n-4,2026-05-01T00:00:00Z\n"  # 5: points
        + "C200,referral,0,Nothing,n-5,2026-05-01T00:00:00Z\n"  # 6: points zero
        + "C200,referral,5,Duplicate id,n-1,2026-05-01T00:00:00Z\n"  # 7: duplicate source_id
        + "C200,referral,5,Bad time,n-7,01/05/2026\n"  # 8: occurred_at
        + f"C200,referral,5,Future,n-8,{future}\n"  # 9: occurred_at in the future
        + "C200,referral,5,Local time,n-9,2026-05-01T08:00:00+08:00\n"  # 10: not UTC
        + "\n"  # 11: blank line
        + "C200,referral,5,,n-11,2026-05-01T00:00:00Z\n"  # 12: empty reason
        + "C200,referral,5,Too many,n-12,2026-05-01T00:00:00Z,extra\n"  # 13: field count
        + "C200,special,99999999,Too big,n-13,2026-05-01T00:00:00Z\n"  # 14: points range
        + "C200,special,5," + "x" * 201 + ",n-14,2026-05-01T00:00:00Z\n"  # 15: reason length
        + "C200,special,5,No id,,2026-05-01T00:00:00Z\n"  # 16: empty source_id
        + "C100,purchase,100,Fine row too,n-16,2026-05-01T00:00:00Z\n"  # 17: fine
    )
    path = write(tmp_path, "bad.csv", bad)

    result = run(growth_app, "import", path)

    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert problem_pairs(result.output) == {
        (3, "owner"),
        (4, "dimension"),
        (5, "points"),
        (6, "points"),
        (7, "source_id"),
        (8, "occurred_at"),
        (9, "occurred_at"),
        (10, "occurred_at"),
        (11, "row"),
        (12, "reason"),
        (13, "row"),
        (14, "points"),
        (15, "reason"),
        (16, "source_id"),
    }
    assert "row 7: source_id: duplicate source_id (first at row 2)" in result.output
    assert "row 9: occurred_at: in the future" in result.output
    assert "row 3: owner: unknown owner" in result.output
    assert entry_count() == before
    assert balance(owner.id, datetime.now(UTC)) == 10
    refusal = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "growth.import",
                                 AuditEvent.outcome == "refused")
    )
    assert json.loads(refusal.details)["problems"] == 14


def test_csv_header_problems_are_reported_once_not_per_row(growth_app, tmp_path):
    make_owner("C100")
    path = write(
        tmp_path,
        "cols.csv",
        "owner,dimension,points,reason,occurred_at,colour\n"
        "C100,purchase,1,r,2026-05-01T00:00:00Z,red\n"
        "C100,purchase,2,r,2026-05-01T00:00:00Z,blue\n",
    )
    result = run(growth_app, "import", path)
    assert result.exit_code == 1
    assert problem_pairs(result.output) == {(1, "colour"), (1, "source_id")}
    assert "row 1: source_id: missing column" in result.output
    assert entry_count() == 0


def test_a_jsonl_with_bad_lines_is_rejected_whole(growth_app, tmp_path):
    make_owner("J1")
    good = {"owner": "J1", "dimension": "purchase", "points": 5, "reason": "ok",
            "source_id": "j-1", "occurred_at": "2026-05-01T00:00:00Z"}
    lines = [
        json.dumps(good).encode(),  # 1: fine
        b'{"owner": "J1", "dimension": "purchase",',  # 2: bad JSON
        b"",  # 3: blank line
        b"[1, 2, 3]",  # 4: not an object
        json.dumps({**good, "source_id": "j-5", "colour": "red"}).encode(),  # 5: unknown key
        json.dumps({k: v for k, v in good.items() if k != "reason"} | {"source_id": "j-6"})
        .encode(),  # 6: missing reason
        json.dumps({**good, "source_id": "j-7", "points": True}).encode(),  # 7: bool points
        json.dumps({**good, "source_id": "j-8", "reason": "caf\u00e9"}).encode()
        .replace(b"\\u00e9", b"\xe9"),  # 8: Latin-1, not UTF-8
        json.dumps({**good, "source_id": "j-9", "points": 1.5}).encode(),  # 9: float points
    ]
    path = write(tmp_path, "bad.jsonl", b"\n".join(lines) + b"\n")

    result = run(growth_app, "import", path)

    assert result.exit_code == 1
    assert problem_pairs(result.output) == {
        (2, "row"), (3, "row"), (4, "row"), (5, "colour"), (6, "reason"), (7, "points"),
        (8, "file"), (9, "points"),
    }
    assert entry_count() == 0


@pytest.mark.parametrize("content", [b"", b"\n\n", HEADER.encode()])
def test_an_empty_file_is_rejected(growth_app, tmp_path, content):
    result = run(growth_app, "import", write(tmp_path, "empty.csv", content))
    assert result.exit_code == 1
    assert "file" in result.output
    assert entry_count() == 0


def test_an_unknown_extension_is_refused(growth_app, tmp_path):
    result = run(growth_app, "import", write(tmp_path, "growth.xlsx", GOOD_CSV))
    assert result.exit_code == 2
    assert ".csv, .jsonl or .ndjson" in result.output


def test_the_printout_is_capped_but_every_problem_counted(growth_app, tmp_path):
    rows = "".join(f"NOBODY{i},purchase,1,r,s-{i},2026-05-01T00:00:00Z\n" for i in range(250))
    result = run(growth_app, "import", write(tmp_path, "many.csv", HEADER + rows))
    assert result.exit_code == 1
    assert "250 problems" in result.output
    assert "... and 50 more" in result.output
    assert len(problem_pairs(result.output)) == 200


# --------------------------------------------------------------------------- idempotency


def test_reimporting_the_same_file_is_idempotent(growth_app, tmp_path):
    owners = {x: make_owner(x) for x in ("C100", "C200", "C300")}
    path = write(tmp_path, "growth.csv", GOOD_CSV)
    assert run(growth_app, "import", path).exit_code == 0

    again = run(growth_app, "import", path)

    assert again.exit_code == 0, again.output
    assert "Imported 0 new entries" in again.output
    assert "5 already imported" in again.output
    assert entry_count() == 5
    assert balance(owners["C100"].id, datetime.now(UTC)) == 1200

    # A later file repeating old rows and adding one writes only the new one.
    grown = write(tmp_path, "grown.csv",
                  GOOD_CSV + "C100,community,1,New,crm-6,2026-03-06T00:00:00Z\n")
    result = run(growth_app, "import", grown)
    assert result.exit_code == 0, result.output
    assert "Imported 1 new entry" in result.output
    assert entry_count() == 6
    assert balance(owners["C100"].id, datetime.now(UTC)) == 1201


def test_changed_content_under_an_imported_source_id_is_refused(growth_app, tmp_path):
    owner = make_owner("C100")
    first = HEADER + "C100,purchase,1000,Bought an ET7,crm-1,2026-01-10T09:00:00Z\n"
    assert run(growth_app, "import", write(tmp_path, "a.csv", first)).exit_code == 0

    changed = (
        HEADER
        + "C100,purchase,9000,Bought an ET7,crm-1,2026-01-10T09:00:00Z\n"  # 2: points changed
        + "C100,purchase,5,New entry,crm-2,2026-01-11T09:00:00Z\n"  # 3: fine on its own
    )
    result = run(growth_app, "import", write(tmp_path, "b.csv", changed))

    assert result.exit_code == 1
    assert problem_pairs(result.output) == {(2, "source_id")}
    assert "entries are never edited" in result.output
    assert entry_count() == 1  # not even the good new row
    assert balance(owner.id, datetime.now(UTC)) == 1000


@pytest.mark.parametrize(
    "field_index, new_value",
    [(0, "C200"), (1, "referral"), (3, "Bought an ES8"), (5, "2026-01-10T09:00:01Z")],
)
def test_any_changed_field_counts_as_changed_content(growth_app, tmp_path, field_index,
                                                      new_value):
    make_owner("C100")
    make_owner("C200")
    cells = ["C100", "purchase", "1000", "Bought an ET7", "crm-1", "2026-01-10T09:00:00Z"]
    assert run(growth_app, "import",
               write(tmp_path, "a.csv", HEADER + ",".join(cells) + "\n")).exit_code == 0
    cells[field_index] = new_value
    result = run(growth_app, "import", write(tmp_path, "b.csv", HEADER + ",".join(cells) + "\n"))
    assert result.exit_code == 1
    assert problem_pairs(result.output) == {(2, "source_id")}


def test_a_dry_run_checks_everything_and_writes_nothing(growth_app, tmp_path):
    for x in ("C100", "C200", "C300"):
        make_owner(x)
    path = write(tmp_path, "growth.csv", GOOD_CSV)
    result = run(growth_app, "import", path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Would import 5 new entries" in result.output
    assert entry_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


# --------------------------------------------------------------------------- balances


def test_a_negative_correction_reduces_the_balance(growth_app, tmp_path):
    owner = make_owner("C100")
    first = HEADER + "C100,purchase,1000,Bought an ET7,crm-1,2026-01-10T09:00:00Z\n"
    assert run(growth_app, "import", write(tmp_path, "a.csv", first)).exit_code == 0
    correction = HEADER + "C100,purchase,-400,Correction of crm-1,crm-1-fix,2026-01-12T00:00:00Z\n"
    result = run(growth_app, "import", write(tmp_path, "b.csv", correction))
    assert result.exit_code == 0, result.output

    assert balance(owner.id, datetime.now(UTC)) == 600
    assert entry_count() == 2  # the original entry is untouched
    shown = run(growth_app, "balance", "C100")
    assert shown.output.startswith("C100: 600 at ")


def test_the_balance_at_an_earlier_instant_excludes_later_entries(growth_app, tmp_path):
    owner = make_owner("C100")
    rows = (
        HEADER
        + "C100,purchase,1000,Bought an ET7,crm-1,2026-01-10T09:00:00Z\n"
        + "C100,referral,200,Referral,crm-2,2026-02-01T12:30:00Z\n"
        + "C100,referral,-50,Correction,crm-3,2026-03-01T00:00:00Z\n"
    )
    assert run(growth_app, "import", write(tmp_path, "a.csv", rows)).exit_code == 0

    assert balance(owner.id, at("2026-01-10T08:59:59Z")) == 0
    assert balance(owner.id, at("2026-01-10T09:00:00Z")) == 1000
    assert balance(owner.id, at("2026-02-15T00:00:00Z")) == 1200
    assert balance(owner.id, at("2026-03-01T00:00:00Z")) == 1150
    shown = run(growth_app, "balance", "C100", "--at", "2026-02-15T00:00:00Z")
    assert shown.exit_code == 0, shown.output
    assert shown.output.strip() == "C100: 1200 at 2026-02-15T00:00:00Z"


def test_balance_of_an_unknown_owner_or_a_bad_time_fails(growth_app):
    make_owner("C100")
    assert run(growth_app, "balance", "NOBODY").exit_code == 1
    result = run(growth_app, "balance", "C100", "--at", "yesterday")
    assert result.exit_code == 2
    assert "RFC 3339" in result.output


def test_a_long_import_in_chunks_writes_every_row(growth_app, tmp_path):
    """More rows than one lookup or insert chunk, many owners: every row written exactly once."""
    owners = [make_owner(f"L{i:04d}") for i in range(600)]
    rows = "".join(
        f"L{i % 600:04d},efficiency,{i % 7 + 1},Trip {i},t-{i},2026-05-01T00:00:00Z\n"
        for i in range(12_000)
    )
    path = write(tmp_path, "long.csv", HEADER + rows)

    result = run(growth_app, "import", path)

    assert result.exit_code == 0, result.output
    assert "Imported 12000 new entries" in result.output
    assert entry_count() == 12_000
    expected = sum(i % 7 + 1 for i in range(12_000) if i % 600 == 17)
    assert balance(owners[17].id, datetime.now(UTC)) == expected
    again = run(growth_app, "import", path)
    assert "12000 already imported" in again.output
    assert entry_count() == 12_000


# --------------------------------------------------------------------------- the API


def post(client: Any, body: Any = None, *, token: str | None = TOKEN, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    if body is not None:
        kwargs["json"] = body
    return client.post("/api/growth/import", headers=headers, **kwargs)


def api_rows() -> list[dict[str, Any]]:
    return [
        {"owner": "A1", "dimension": "purchase", "points": 800, "reason": "Bought an ES6",
         "source_id": "api-1", "occurred_at": "2026-06-01T10:00:00Z"},
        {"owner": "A1", "dimension": "special", "points": 20, "reason": "Beta tester",
         "source_id": "api-2", "occurred_at": "2026-06-02T10:00:00Z"},
    ]


def test_api_refuses_a_missing_or_wrong_token(growth_app, client):
    make_owner("A1")
    body = {"source": "brand-crm", "entries": api_rows()}
    for token in (None, "wrong-token", ""):
        response = post(client, body, token=token)
        assert response.status_code == 401, token
        assert "token" in response.get_json()["error"]
    response = client.post("/api/growth/import", json=body,
                           headers={"Authorization": f"Basic {TOKEN}"})
    assert response.status_code == 401
    assert entry_count() == 0


def test_api_is_disabled_when_no_token_is_configured(growth_app, client, monkeypatch):
    make_owner("A1")
    monkeypatch.setitem(growth_app.config, "TRUST_IMPORT_API_TOKEN", None)
    response = post(client, {"entries": api_rows()})
    assert response.status_code == 503
    assert "TRUST_IMPORT_API_TOKEN" in response.get_json()["error"]
    assert entry_count() == 0


def test_api_imports_json_and_is_idempotent(growth_app, client):
    owner = make_owner("A1")
    response = post(client, {"source": "brand-crm", "entries": api_rows()})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert (data["rows"], data["inserted"], data["skipped"]) == (2, 2, 0)
    assert balance(owner.id, datetime.now(UTC)) == 820

    again = post(client, {"source": "brand-crm", "entries": api_rows()}).get_json()
    assert (again["rows"], again["inserted"], again["skipped"]) == (2, 0, 2)
    assert entry_count() == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "growth.import",
                                                       AuditEvent.outcome == "ok"))
    assert json.loads(event.details)["via"] == "api"


def test_api_imports_ndjson_and_csv_bodies(growth_app, client):
    owner = make_owner("A1")
    ndjson = "".join(json.dumps(r) + "\n" for r in api_rows())
    response = client.post(
        "/api/growth/import?source=app-store",
        data=ndjson,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["inserted"] == 2
    csv_body = HEADER + "A1,community,3,Helped at an event,csv-1,2026-06-03T00:00:00Z\n"
    response = client.post(
        "/api/growth/import?source=events",
        data=csv_body.encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 200, response.get_json()
    assert balance(owner.id, datetime.now(UTC)) == 823
    sources = set(db.session.scalars(select(GrowthEntry.source)))
    assert sources == {"app-store", "events"}


def test_api_rejects_bad_rows_whole_with_every_problem(growth_app, client):
    make_owner("A1")
    rows = api_rows()
    rows.append({**rows[0], "source_id": "api-3", "owner": "NOBODY"})
    rows.append({**rows[0], "source_id": "api-4", "points": "lots"})
    rows.append({**rows[0], "source_id": "api-1"})
    response = post(client, {"source": "brand-crm", "entries": rows})
    assert response.status_code == 422
    data = response.get_json()
    assert "nothing was written" in data["error"]
    assert {(p["row"], p["field"]) for p in data["problems"]} == {
        (3, "owner"), (4, "points"), (5, "source_id")
    }
    assert all(p["reason"] for p in data["problems"])
    assert entry_count() == 0


def test_api_rejects_a_bad_source_name(growth_app, client):
    make_owner("A1")
    response = post(client, {"source": "brand crm; drop", "entries": api_rows()})
    assert response.status_code == 422
    assert [(p["row"], p["field"]) for p in response.get_json()["problems"]] == [(0, "source")]
    assert entry_count() == 0


@pytest.mark.parametrize(
    "data, content_type",
    [
        ("{not json", "application/json"),
        ('["a list"]', "application/json"),
        ('{"source": "brand-crm"}', "application/json"),
        ('{"entries": [], "extra": 1}', "application/json"),
    ],
)
def test_api_answers_400_for_an_unparseable_body(growth_app, client, data, content_type):
    response = client.post(
        "/api/growth/import",
        data=data,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_api_answers_415_for_another_content_type_and_413_beyond_the_limit(
    growth_app, client, monkeypatch
):
    response = client.post("/api/growth/import", data="x",
                           headers={"Authorization": f"Bearer {TOKEN}",
                                    "Content-Type": "application/xml"})
    assert response.status_code == 415
    monkeypatch.setitem(growth_app.config, "MAX_CONTENT_LENGTH", 100)
    make_owner("A1")
    response = post(client, {"entries": api_rows()})
    assert response.status_code == 413
    assert entry_count() == 0


def test_a_concurrent_import_of_the_same_ids_writes_nothing(growth_app, tmp_path, monkeypatch):
    """If another import commits the same source ids between our check and our insert, the
    unique constraint stops ours: nothing of it is written and the refusal says to retry."""
    from app.growth import imports

    for x in ("C100", "C200", "C300"):
        make_owner(x)
    path = write(tmp_path, "growth.csv", GOOD_CSV)
    assert run(growth_app, "import", path).exit_code == 0
    grown = write(tmp_path, "grown.csv",
                  GOOD_CSV + "C100,community,1,New,crm-6,2026-03-06T00:00:00Z\n")
    monkeypatch.setattr(imports, "_existing", lambda source, source_ids: {})

    result = run(growth_app, "import", grown)

    assert result.exit_code == 1
    assert "concurrent import" in result.output
    assert entry_count() == 5
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "refused")
    ) == 1
