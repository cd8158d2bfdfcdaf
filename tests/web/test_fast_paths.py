"""The fast paths behave exactly as the plain ones: cached result pages, lean token casts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.models import ApiToken
from app.accounts.services import issue_api_token, revoke_api_token
from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals import service as proposals
from app.results import service as results
from app.voting import service as voting
from app.voting.models import Ballot, RollEntry
from tests.factories import correction_motion, install_charter, make_open_vote, make_owner

CSRF = re.compile(rb'name="csrf_token" value="[^"]*"')


@pytest.fixture
def sealed(db_session: Any) -> dict[str, Any]:
    install_charter()
    council = make_owner(500, role="council")
    alice = make_owner(3000)
    db.session.commit()
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(alice, council, opens=opens, closes=opens + timedelta(days=3))
    voting.cast(proposal_id, alice.id, ["yes"], now=opens + timedelta(minutes=1))
    proposal = proposals.get(proposal_id)
    assert proposal is not None
    proposals.close_vote(proposal)
    row = results.seal(proposal_id)
    db.session.commit()
    return {"id": proposal_id, "digest": row.digest}


def _page(client: Any, proposal_id: str, headers: dict[str, str] | None = None) -> bytes:
    response = client.get(f"/results/{proposal_id}/", headers=headers or {})
    assert response.status_code == 200
    return bytes(CSRF.sub(b"", response.data))


def test_a_result_page_served_again_is_the_same_page(client: Any, sealed: dict[str, Any]) -> None:
    first = _page(client, sealed["id"])
    assert sealed["digest"].encode() in first
    assert _page(client, sealed["id"]) == first


def test_a_correction_shows_at_once_on_the_result_page(client: Any, sealed: dict[str, Any]) -> None:
    before = _page(client, sealed["id"])
    second = results.seal(sealed["id"], correction=True, reason="recount",
                motion_id=correction_motion(sealed["id"]))
    db.session.commit()
    after = _page(client, sealed["id"])
    assert after != before
    assert second.digest.encode() in after
    assert b"history/" + sealed["digest"].encode() in after  # the "Corrects" link


def test_a_result_page_follows_the_visitors_language(client: Any, sealed: dict[str, Any]) -> None:
    english = _page(client, sealed["id"], {"Accept-Language": "en"})
    chinese = _page(client, sealed["id"], {"Accept-Language": "zh-CN"})
    assert b"Outcome" in english and b"Outcome" not in chinese


@pytest.fixture
def token_vote(db_session: Any) -> dict[str, Any]:
    install_charter()
    council = make_owner(500, role="council")
    owner = make_owner(1200)
    db.session.commit()
    proposal_id = make_open_vote(owner, council)
    token = issue_api_token(owner, "phone app")
    db.session.commit()
    return {"id": proposal_id, "owner": owner, "token": token}


def _cast(client: Any, vote: dict[str, Any], selection: list[str]) -> Any:
    return client.post(
        f"/api/proposals/{vote['id']}/ballots",
        json={"selection": selection},
        headers={"Authorization": f"Bearer {vote['token']}"},
    )


def test_a_token_cast_stores_the_ballot_and_makes_it_live(
    client: Any, token_vote: dict[str, Any]
) -> None:
    first = _cast(client, token_vote, ["yes"]).get_json()
    second = _cast(client, token_vote, ["no"]).get_json()
    rows = db.session.execute(
        select(Ballot.id, Ballot.receipt, Ballot.selection_json, Ballot.weight).order_by(Ballot.id)
    ).all()
    assert [(r.receipt, r.selection_json, r.weight) for r in rows] == [
        (first["receipt"], '["yes"]', 1200),
        (second["receipt"], '["no"]', 1200),
    ]
    live = db.session.scalar(
        select(RollEntry.live_ballot_id).where(RollEntry.owner_id == token_vote["owner"].id)
    )
    assert live == rows[-1].id


def test_a_revoked_token_cannot_cast(client: Any, token_vote: dict[str, Any]) -> None:
    token_id = db.session.scalar(select(ApiToken.id))
    assert revoke_api_token(token_vote["owner"], token_id)
    db.session.commit()
    assert _cast(client, token_vote, ["yes"]).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_a_cast_after_the_window_is_refused_and_writes_nothing(
    client: Any, db_session: Any
) -> None:
    install_charter()
    council = make_owner(500, role="council")
    owner = make_owner(1200)
    db.session.commit()
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(owner, council, opens=opens, closes=opens + timedelta(days=3))
    token = issue_api_token(owner, "phone app")
    db.session.commit()
    response = _cast(client, {"id": proposal_id, "token": token}, ["yes"])
    assert response.status_code == 422
    assert "closed" in response.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def _token_of(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no language form"
    return found.group(1).decode()


def _switch_language(client: Any, token: str) -> int:
    response = client.post("/language", data={"locale": "en", "next": "/", "csrf_token": token})
    return int(response.status_code)


def test_signed_out_readers_share_the_page_but_each_gets_a_working_form_of_their_own(
    app: Any, client: Any, sealed: dict[str, Any]
) -> None:
    other = app.test_client()
    first = client.get(f"/results/{sealed['id']}/").data
    second = other.get(f"/results/{sealed['id']}/").data
    assert CSRF.sub(b"", first) == CSRF.sub(b"", second)
    mine, theirs = _token_of(first), _token_of(second)
    assert mine != theirs
    assert _switch_language(client, theirs) == 400  # a token is bound to its reader's session
    assert _switch_language(client, mine) == 302
    assert _switch_language(other, theirs) == 302


def test_a_signed_in_reader_gets_their_own_page_after_signed_out_readers(
    app: Any, client: Any, sealed: dict[str, Any]
) -> None:
    from tests.factories import login

    signed_out = app.test_client().get(f"/results/{sealed['id']}/").data
    assert b"/logout" not in signed_out
    owner = make_owner(900)
    db.session.commit()
    login(client, owner)
    page = client.get(f"/results/{sealed['id']}/").data
    assert b"/logout" in page and sealed["digest"].encode() in page


def test_a_waiting_message_shows_on_a_page_other_readers_get_from_the_cache(
    app: Any, client: Any, sealed: dict[str, Any]
) -> None:
    from tests.factories import csrf_from, login

    app.test_client().get(f"/results/{sealed['id']}/")
    owner = make_owner(901)
    db.session.commit()
    login(client, owner)
    token = csrf_from(client.get(f"/results/{sealed['id']}/"))
    client.post("/logout", data={"csrf_token": token})  # leaves "You are signed out." waiting
    page = client.get(f"/results/{sealed['id']}/").data
    assert b"You are signed out." in page
    assert b"You are signed out." not in client.get(f"/results/{sealed['id']}/").data
