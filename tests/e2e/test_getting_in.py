"""A new owner signs up in the browser, confirms the address with the code from the mail that
reaches a real SMTP server, proves the owner number with the claim mail's code, and votes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.accounts.models import User
from app.core.extensions import db
from app.growth.claims import contact_digest
from app.growth.imports import import_entries, read_objects
from tests.factories import install_charter, make_open_vote, make_owner


@pytest.fixture
def inbox(live_app: Any, smtp_server: Any) -> Iterator[Any]:
    live_app.config["MAIL_URL"] = smtp_server.url
    try:
        yield smtp_server.inbox
    finally:
        live_app.config["MAIL_URL"] = None


def test_sign_up_confirm_claim_and_vote(db_session: Any, page: Any, inbox: Any, shot: Any) -> None:
    install_charter()
    council_id = make_owner(500, role="council").id
    author_id = make_owner(2000).id
    when = (datetime.now(UTC) - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = import_entries(read_objects([{
        "owner": "N424242", "dimension": "purchase", "points": 3100, "reason": "Vehicle purchase",
        "source_id": "crm-424242", "occurred_at": when,
        "contact_email_sha256": contact_digest("email", "mei@example.test"),
    }]), "brand-crm")
    assert report.ok and report.held == 1
    db.session.commit()
    db.session.remove()

    page.goto("/register")
    page.get_by_label("Your name as shown to others").fill("Mei")
    page.get_by_label("Email", exact=True).fill("mei@example.test")
    page.get_by_label("Owner number (from the brand's app; links your growth value)").fill(
        "N424242"
    )
    page.get_by_label("Password", exact=True).fill("a long pass phrase 2026")
    page.get_by_label("Password again").fill("a long pass phrase 2026")
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("heading", level=1, name="Confirm your address").wait_for()
    shot(page, "confirm-address")

    [verify] = inbox.wait_for("mei@example.test")
    assert "Your confirmation code" in str(verify["Subject"])
    page.get_by_label("Code").fill(inbox.code(verify))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", level=1, name="Hello, Mei").wait_for()

    claim = inbox.wait_for("mei@example.test", count=2)[1]
    assert "N424242" in str(claim["Subject"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    page.locator("#claimcode-code").fill(inbox.code(claim))
    page.locator("form[action$='/claim/confirm']").get_by_role("button", name="Confirm").click()
    page.get_by_text("Owner number N424242 is now linked to your account").wait_for()
    shot(page, "owner-number-linked")

    # A vote that opens now has Mei on its roll, with the growth value the brand sent.
    title = "Charging stations at every service area"
    author, council = db.session.get(User, author_id), db.session.get(User, council_id)
    make_open_vote(author, council, title=title, opens=datetime.now(UTC) - timedelta(minutes=1))
    db.session.remove()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My trust").click()
    row = page.get_by_role("row", name=title)
    assert row.get_by_role("cell", name="3,100").count() == 1
    row.get_by_role("link", name="Vote").click()
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Cast my vote").click()
    page.get_by_role("heading", level=1, name="Your ballot receipt").wait_for()
    shot(page, "voted")
