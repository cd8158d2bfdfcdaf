"""An owner's path through the pages: sign in, vote, change the vote, keep and check a receipt."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.keys import service as keys
from app.voting.models import Ballot
from ballots.keys import KeyRing
from ballots.receipts import verify_receipt
from tests.factories import csrf_from, install_charter, login, make_open_vote, make_owner


@pytest.fixture
def live_vote(db_session: Any) -> dict[str, Any]:
    install_charter()
    council = make_owner(500, role="council")
    owner = make_owner(2500)
    outsider = make_owner(0)
    db.session.commit()
    proposal_id = make_open_vote(owner, council)
    return {"id": proposal_id, "owner": owner, "council": council, "outsider": outsider}


def _ballots(proposal_id: str) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.proposal_id == proposal_id)
        )
        or 0
    )


def _vote(client: Any, proposal_id: str, choice: str) -> Any:
    page = client.get(f"/me/vote/{proposal_id}")
    assert page.status_code == 200
    return client.post(
        f"/me/vote/{proposal_id}", data={"choice": choice, "csrf_token": csrf_from(page)}
    )


def test_signing_in_with_the_right_password_opens_the_dashboard(
    client: Any, live_vote: Any
) -> None:
    response = login(client, live_vote["owner"])
    assert response.status_code == 302
    assert "/me/" in response.headers["Location"]
    page = client.get("/me/")
    assert b"2,500" in page.data  # growth value shown, grouped per locale


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    client: Any, live_vote: Any
) -> None:
    owner = live_vote["owner"]
    for _ in range(5):
        response = login(client, owner, password="wrong password here")
        assert b"Wrong login or password" in response.data
    response = login(client, owner)
    assert response.status_code == 200
    assert b"locked" in response.data
    db.session.expire_all()
    assert db.session.get(User, owner.id).locked_until is not None
    refused = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "auth.login", AuditEvent.outcome == "refused")
    )
    assert refused == 6


def test_an_owner_votes_changes_the_vote_and_downloads_a_verifiable_receipt(
    client: Any, live_vote: Any
) -> None:
    login(client, live_vote["owner"])
    first = _vote(client, live_vote["id"], "yes")
    assert first.status_code == 302
    second = _vote(client, live_vote["id"], "no")
    receipt_page = client.get(second.headers["Location"])
    assert b"this is your ballot that counts" in receipt_page.data
    assert _ballots(live_vote["id"]) == 2
    download = client.get(second.headers["Location"] + ".json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    receipt = json.loads(download.data)
    assert receipt["selection"] == ["no"]
    verify_receipt(receipt, KeyRing.from_document(keys.published_keys()))
    dashboard = client.get("/me/")
    assert b"replaced" in dashboard.data


def test_a_vote_without_the_csrf_token_is_refused_and_writes_nothing(
    client: Any, live_vote: Any
) -> None:
    login(client, live_vote["owner"])
    response = client.post(f"/me/vote/{live_vote['id']}", data={"choice": "yes"})
    assert response.status_code == 400
    assert b"Form expired" in response.data
    assert _ballots(live_vote["id"]) == 0


def test_an_invalid_choice_is_shown_as_an_error_and_writes_nothing(
    client: Any, live_vote: Any
) -> None:
    login(client, live_vote["owner"])
    response = _vote(client, live_vote["id"], "maybe")
    assert response.status_code == 200
    assert b"Not a valid choice" in response.data
    assert _ballots(live_vote["id"]) == 0


def test_an_owner_not_on_the_roll_is_told_why(client: Any, live_vote: Any) -> None:
    login(client, live_vote["outsider"])
    page = client.get(f"/me/vote/{live_vote['id']}")
    assert b"You are not on the roll" in page.data


def test_pages_for_owners_send_anonymous_visitors_to_sign_in(client: Any, live_vote: Any) -> None:
    for path in ("/me/", f"/me/vote/{live_vote['id']}", "/proposals/new"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"]


def test_an_owner_cannot_take_a_council_decision(client: Any, live_vote: Any) -> None:
    login(client, live_vote["owner"])
    page = client.get(f"/proposals/{live_vote['id']}")
    response = client.post(
        f"/proposals/{live_vote['id']}/reject",
        data={"reason": "no", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 403


def test_the_receipt_check_page_confirms_inclusion_after_sealing(
    client: Any, db_session: Any
) -> None:
    install_charter()
    council = make_owner(500, role="council")
    owner = make_owner(2500)
    db.session.commit()
    # A window that closes two seconds from now: vote, wait for the real close, then seal.
    closes = utcnow() + timedelta(seconds=2)
    proposal_id = make_open_vote(owner, council, opens=closes - timedelta(hours=72), closes=closes)
    login(client, owner)
    cast = _vote(client, proposal_id, "yes")
    receipt = client.get(cast.headers["Location"] + ".json").data.decode()
    before = client.get("/verify")
    page = client.post("/verify", data={"receipt": receipt, "csrf_token": csrf_from(before)})
    assert b"not sealed yet" in page.data
    while utcnow() < closes:
        time.sleep(0.2)
    close_and_seal(proposal_id)
    db.session.commit()
    page = client.post("/verify", data={"receipt": receipt, "csrf_token": csrf_from(before)})
    assert b"its ballot is in the sealed result" in page.data
    forged = json.loads(receipt)
    forged["selection"] = ["no"]
    page = client.post(
        "/verify", data={"receipt": json.dumps(forged), "csrf_token": csrf_from(before)}
    )
    assert b"not genuine" in page.data
