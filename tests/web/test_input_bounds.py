"""JSON too deep or too large is refused with a clear 4xx before anything parses it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.services import issue_api_token
from app.core.extensions import db
from app.core.json_depth import MAX_DEPTH, nesting_depth, too_deep
from app.growth.models import GrowthEntry
from app.voting.models import Ballot
from tests.factories import csrf_from, install_charter, make_open_vote, make_owner

DEEP = "[" * 9000
IMPORT_TOKEN = "test-import-token-0123456789"  # TRUST_IMPORT_API_TOKEN in tests/conftest.py


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ('{"a": [1, {"b": "[[[[[[[["}]}', 3),
        ('"just [ a { string"', 0),
        ('["\\"[", [[]]]', 3),
        (DEEP, 9000),
        ("42", 0),
    ],
)
def test_nesting_depth_ignores_brackets_inside_strings(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth
    assert nesting_depth(text.encode()) == depth


@pytest.mark.parametrize(
    "text",
    [
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "{" * (MAX_DEPTH + 1),
        '["' + "[" * 40 + '"]',
        "[[]]" * 40,
        "[]",
    ],
)
def test_too_deep_agrees_with_the_full_count_at_the_limit(text: str) -> None:
    # too_deep skips the count when a text has few opening brackets; it must agree with it.
    assert too_deep(text) == (nesting_depth(text) > MAX_DEPTH)
    assert too_deep(text.encode()) == (nesting_depth(text) > MAX_DEPTH)


def test_a_deep_paste_into_verify_gets_a_message_not_a_500(client: Any, db_session: Any) -> None:
    token = csrf_from(client.get("/verify"))
    response = client.post("/verify", data={"receipt": DEEP, "csrf_token": token})
    assert response.status_code == 200
    assert f"nests deeper than {MAX_DEPTH} levels" in response.get_data(as_text=True)


@pytest.fixture
def api(db_session: Any) -> dict[str, Any]:
    install_charter()
    council = make_owner(500, role="council")
    owner = make_owner(1200)
    db.session.commit()
    proposal_id = make_open_vote(owner, council)
    token = issue_api_token(owner, "phone app")
    db.session.commit()
    return {"id": proposal_id, "headers": {"Authorization": f"Bearer {token}"}}


def test_a_deep_ballot_body_is_a_400_and_casts_nothing(client: Any, api: dict[str, Any]) -> None:
    url = f"/api/proposals/{api['id']}/ballots"
    # Deep enough to overflow the parser's recursion, small enough for the size limit.
    body = '{"selection": ' + "[" * 3000 + "]" * 3000 + "}"
    response = client.post(url, data=body, headers={**api["headers"],
                                                     "Content-Type": "application/json"})
    assert response.status_code == 400
    assert f"nests deeper than {MAX_DEPTH} levels" in response.get_json()["error"]
    big = '{"selection": ["yes"], "pad": "' + "x" * 20_000 + '"}'
    response = client.post(url, data=big, headers={**api["headers"],
                                                    "Content-Type": "application/json"})
    assert response.status_code == 413
    assert "larger than 16384 bytes" in response.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_deep_import_bodies_are_refused_naming_the_row(client: Any, db_session: Any) -> None:
    headers = {"Authorization": f"Bearer {IMPORT_TOKEN}"}
    response = client.post("/api/growth/import?source=crm", data='{"entries": ' + DEEP,
                           headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "nests deeper" in response.get_json()["error"]
    lines = '{"owner": "A1"}\n' + DEEP + "\n"
    response = client.post("/api/growth/import?source=crm", data=lines,
                           headers={**headers, "Content-Type": "application/x-ndjson"})
    assert response.status_code in (400, 422)
    assert "nests deeper than 32 levels" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(GrowthEntry)) == 0
