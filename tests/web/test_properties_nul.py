"""NUL (U+0000) in text: refused the same way on SQLite and PostgreSQL, never a 500.

PostgreSQL text cannot hold NUL, so before app/web/nul.py a NUL in a form field, URL or query value
reached the driver and raised DataError. These examples pin down what the property tests found.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import ApiToken
from app.audit.models import AuditEvent
from app.core.extensions import db
from app.web.nul import contains_nul
from tests.factories import csrf_from, install_charter, login, make_owner

TOKEN = "test-import-token-0123456789"  # TRUST_IMPORT_API_TOKEN in tests/conftest.py
MESSAGE = "Text may not contain NUL characters"


def signed_in(app: Any, role: str = "owner") -> Any:
    user = make_owner(0, role=role)
    db.session.commit()
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


def token_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(ApiToken)) or 0)


def test_nul_in_a_form_field_is_refused_with_a_message_and_writes_nothing(
    db_session: Any, app: Any
) -> None:
    client = signed_in(app)
    token = csrf_from(client.get("/me/tokens"))
    response = client.post("/me/tokens", data={
        "csrf_token": token, "new-name": "lap\x00top", "new-submit": "Create token"})
    assert response.status_code == 400
    assert MESSAGE in response.get_data(as_text=True)
    assert token_count() == 0
    # The same form without the NUL goes through, so it was the NUL that was refused.
    response = client.post("/me/tokens", data={
        "csrf_token": token, "new-name": "laptop", "new-submit": "Create token"})
    assert response.status_code == 200 and token_count() == 1


def test_nul_in_a_url_or_a_query_value_is_refused_not_a_server_error(
    db_session: Any, app: Any
) -> None:
    install_charter()
    client = signed_in(app, role="admin")
    for path in ("/proposals/2026-001%00", "/admin/audit?action=growth%00",
                 "/api/proposals/x%00y", "/results/a%00b/result.json"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert MESSAGE in response.get_data(as_text=True), path


def test_the_refusal_is_in_the_readers_language(db_session: Any, app: Any) -> None:
    response = app.test_client().get("/proposals/%00", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 400
    assert MESSAGE not in response.get_data(as_text=True)
    assert "NUL" in response.get_data(as_text=True)  # the Chinese text names the character


def test_nul_in_a_json_body_is_refused_with_a_json_error(db_session: Any, app: Any) -> None:
    response = app.test_client().post(
        "/api/proposals/2026-001/ballots", json={"selection": ["yes\x00"]})
    assert response.status_code == 400
    assert MESSAGE in response.get_json()["error"]


def test_a_json_string_holding_a_backslash_and_u0000_as_letters_is_not_refused(
    db_session: Any, app: Any
) -> None:
    body = json.dumps({"selection": ["\\u0000"]})
    assert "\\\\u0000" in body and not contains_nul(json.loads(body))
    response = app.test_client().post("/api/proposals/2026-001/ballots", data=body,
                                      content_type="application/json")
    assert response.status_code == 401  # reached the view, which wants a signed-in caller


def test_contains_nul_looks_into_keys_and_nested_values() -> None:
    assert contains_nul({"a": [1, {"b\x00": 2}]})
    assert contains_nul(["ok", ["deep\x00"]])
    assert not contains_nul({"a": [1, None, True, {"b": "c"}]})


def test_the_growth_import_api_names_the_row_and_field_holding_a_nul(
    db_session: Any, app: Any
) -> None:
    owner = make_owner(0)
    db.session.commit()
    row = {"owner": owner.external_id, "dimension": "purchase", "points": 5,
           "reason": "a\x00b", "source_id": "nul-1", "occurred_at": "2026-01-01T10:00:00Z"}
    response = app.test_client().post(
        "/api/growth/import", json={"entries": [row]},
        headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 422
    assert {"row": 1, "field": "reason", "reason": "contains control characters"} in \
        response.get_json()["problems"]


def test_a_refused_import_from_a_source_named_with_a_nul_is_audited_not_a_server_error(
    db_session: Any, app: Any
) -> None:
    response = app.test_client().post(
        "/api/growth/import", json={"source": "crm\x00", "entries": []},
        headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 422
    subjects = db.session.scalars(
        select(AuditEvent.subject).where(AuditEvent.outcome == "refused")).all()
    assert subjects == ["crm\\x00"]
