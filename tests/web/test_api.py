"""The JSON API: token and session authentication, casting, receipts, the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.services import issue_api_token
from app.core.extensions import db
from app.voting.models import Ballot
from tests.factories import csrf_from, install_charter, login, make_open_vote, make_owner


@pytest.fixture
def api(db_session: Any) -> dict[str, Any]:
    install_charter()
    council = make_owner(500, role="council")
    owner = make_owner(1200)
    db.session.commit()
    proposal_id = make_open_vote(owner, council)
    token = issue_api_token(owner, "phone app")
    db.session.commit()
    return {"id": proposal_id, "owner": owner, "headers": {"Authorization": f"Bearer {token}"}}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ballot)) or 0


def test_a_token_holder_casts_and_gets_a_signed_receipt(client: Any, api: dict[str, Any]) -> None:
    response = client.post(
        f"/api/proposals/{api['id']}/ballots", json={"selection": ["yes"]}, headers=api["headers"]
    )
    assert response.status_code == 201
    receipt = response.get_json()
    assert receipt["weight"] == 1200 and receipt["signature"]["alg"] == "Ed25519"
    mine = client.get("/api/me/receipts", headers=api["headers"]).get_json()
    assert [r["receipt"]["receipt"] for r in mine] == [receipt["receipt"]]
    assert mine[0]["counts"] is True


@pytest.mark.parametrize(
    "body, status",
    [({"selection": ["perhaps"]}, 422), ({"choice": "yes"}, 400), ([1, 2], 400)],
)
def test_bad_ballots_get_a_clear_error_and_write_nothing(
    client: Any, api: dict[str, Any], body: Any, status: int
) -> None:
    response = client.post(f"/api/proposals/{api['id']}/ballots", json=body, headers=api["headers"])
    assert response.status_code == status
    assert response.get_json()["error"]
    assert _count() == 0


def test_without_credentials_the_api_answers_401(client: Any, api: dict[str, Any]) -> None:
    response = client.post(f"/api/proposals/{api['id']}/ballots", json={"selection": ["yes"]})
    assert response.status_code == 401
    bad = {"Authorization": "Bearer ot_not-a-real-token"}
    assert client.get("/api/me", headers=bad).status_code == 401
    assert _count() == 0


def test_a_session_needs_the_csrf_header_to_cast(client: Any, api: dict[str, Any]) -> None:
    login(client, api["owner"])
    url = f"/api/proposals/{api['id']}/ballots"
    assert client.post(url, json={"selection": ["yes"]}).status_code == 400
    token = csrf_from(client.get("/verify"))
    response = client.post(url, json={"selection": ["yes"]}, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert _count() == 1


def test_the_openapi_document_lists_every_api_route(app: Any, client: Any) -> None:
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = set(document["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.rule != "/api/openapi.json":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            assert path in documented, f"{rule.rule} is not in the OpenAPI document"


def test_drafts_are_never_listed(client: Any, api: dict[str, Any]) -> None:
    listed = client.get("/api/proposals").get_json()["items"]
    assert [p["id"] for p in listed] == [api["id"]]
    assert listed[0]["state"] == "voting"
