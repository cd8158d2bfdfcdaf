"""Bad input on the JSON ballot API: any body, never a 500, and a refusal writes nothing.

POST /api/proposals/<id>/ballots is what owners' apps call. Hypothesis sends arbitrary JSON
(and some bodies that are not JSON at all) with a valid API token; every answer is a JSON
object, and unless the ballot was accepted (201) every table is exactly as it was.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.accounts.services import issue_api_token
from app.core.db_types import utcnow
from app.core.extensions import db
from tests.factories import install_charter, make_open_vote, make_owner
from tests.web.test_properties_support import BOUNDARY, PROPERTY_SETTINGS, Checksums, garbage

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | garbage,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(garbage, inner, max_size=4),
    max_leaves=12,
)
option_ids = st.sampled_from(["yes", "no", "abstain", "0", "1", "", "YES"])
one_option = st.lists(option_ids, min_size=1, max_size=1)
selection = st.one_of(one_option, one_option, st.lists(option_ids, max_size=4), json_values)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    """(body, content type): mostly {"selection": ...}, sometimes anything at all."""
    kind = draw(st.integers(0, 9))
    if kind <= 5:
        body: Any = {"selection": draw(selection)}
        if kind == 5:
            body.update(draw(st.dictionaries(garbage, json_values, max_size=3)))
        return json.dumps(body).encode(), "application/json"
    if kind <= 7:
        return json.dumps(draw(json_values)).encode(), "application/json"
    raw = draw(st.one_of(st.binary(max_size=200), st.sampled_from(BOUNDARY).map(str.encode)))
    return raw, draw(st.sampled_from(["application/json", "text/plain", ""]))


def test_any_body_to_the_ballot_api_is_answered_and_a_refusal_writes_nothing(
    db_session: Any, app: Any
) -> None:
    install_charter()
    owner = make_owner(5000)
    council = make_owner(500, role="council")
    db.session.commit()
    open_id = make_open_vote(owner, council, opens=utcnow() - timedelta(minutes=5))
    token = issue_api_token(owner, "props")
    db.session.commit()
    client = app.test_client()
    sums = Checksums()

    @PROPERTY_SETTINGS
    @given(body=bodies(), proposal=st.sampled_from([open_id, open_id, "2026-999", "x" * 200]))
    def check(body: tuple[bytes, str], proposal: str) -> None:
        data, content_type = body
        before = sums.before()
        response = client.post(f"/api/proposals/{proposal}/ballots", data=data,
                               content_type=content_type,
                               headers={"Authorization": f"Bearer {token}"})
        sums.forget()
        assert response.status_code in (201, 400, 404, 409, 413, 415, 422), (
            body, response.get_data(as_text=True)[:300])
        payload = response.get_json()
        assert isinstance(payload, dict)
        if response.status_code == 201:
            return
        assert payload["error"]
        assert sums.after() == before, (body, payload)

    check()
