"""Numbers too large for PostgreSQL's INTEGER: refused or not found, never a 500.

Found by the form property tests on PostgreSQL: an id of 2**31 in a URL or a token id of ten
digits reached the driver ("integer out of range"), and a number with hundreds of digits made
WTForms' NumberRange raise OverflowError, on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.core.extensions import db
from tests.factories import csrf_from, install_charter, login, make_owner, seat_member


def council_client(app: Any) -> Any:
    install_charter()
    member = make_owner(500, role="council")
    seat_member(member)
    db.session.commit()
    client = app.test_client()
    assert login(client, member).status_code == 302
    return client


@pytest.mark.parametrize("path", [
    "/council/motions/2147483648/vote", "/council/motions/99999999999999999999/close",
    "/communities/2147483648/review", "/treasury/disbursements/2147483648/approve",
])
def test_an_id_past_32_bits_in_a_url_is_not_found(db_session: Any, app: Any, path: str) -> None:
    client = council_client(app)
    token = csrf_from(client.get("/council/motions/new"))
    response = client.post(path, data={"csrf_token": token, "choice": "for"})
    assert response.status_code == 404


def test_the_largest_32_bit_id_still_reaches_the_view(db_session: Any, app: Any) -> None:
    client = council_client(app)
    token = csrf_from(client.get("/council/motions/new"))
    response = client.post("/council/motions/2147483647/vote",
                           data={"csrf_token": token, "choice": "for"})
    assert response.status_code != 500
    assert response.status_code == 404 or response.status_code < 400  # the view's own answer


def test_a_number_with_hundreds_of_digits_is_a_field_error(db_session: Any, app: Any) -> None:
    install_charter()
    owner = make_owner(5000)
    db.session.commit()
    client = app.test_client()
    login(client, owner)
    token = csrf_from(client.get("/proposals/new"))
    response = client.post("/proposals/new", data={
        "csrf_token": token, "kind": "spending", "title": "Big spending",
        "body": "A body long enough for the form to accept it.", "amount_yuan": "9" * 400})
    assert response.status_code == 200
    assert "This number is too large." in response.get_data(as_text=True)


def test_revoking_a_token_id_of_ten_digits_is_no_such_token(db_session: Any, app: Any) -> None:
    owner = make_owner(0)
    db.session.commit()
    client = app.test_client()
    login(client, owner)
    token = csrf_from(client.get("/me/tokens"))
    response = client.post("/me/tokens", data={
        "csrf_token": token, "revoke-token_id": "2147483648", "revoke-submit": "Revoke"})
    assert response.status_code == 200
    assert "No such token." in response.get_data(as_text=True)
