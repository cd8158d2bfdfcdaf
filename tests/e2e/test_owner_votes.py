"""A new owner votes in the browser, changes the vote, keeps the receipt and checks it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.browse import fact, sign_in
from tests.e2e.data import close_and_seal, live_vote


def _vote_from_dashboard(page: Any, title: str, link: str, option: str, button: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My trust").click()
    page.get_by_role("row", name=title).get_by_role("link", name=link).click()
    page.get_by_role("radio", name=option).check()
    page.get_by_role("button", name=button).click()
    page.get_by_role("heading", level=1, name="Your ballot receipt").wait_for()


def test_an_owner_votes_changes_the_vote_and_verifies_the_receipt_after_sealing(
    db_session: Any, page: Any, shot: Any, tmp_path: Path
) -> None:
    vote = live_vote()

    sign_in(page, vote.voter)
    shot(page, "dashboard")
    assert page.get_by_role("row", name=vote.title).get_by_role("cell", name="1,500").count() == 1

    _vote_from_dashboard(page, vote.title, "Vote", "Yes", "Cast my vote")
    shot(page, "first-receipt")
    assert fact(page, "Choice recorded") == "yes"
    page.get_by_text("Show the receipt").click()
    first_receipt = page.locator("details pre").inner_text()
    assert json.loads(first_receipt)["selection"] == ["yes"]

    _vote_from_dashboard(page, vote.title, "Change my vote", "No", "Replace my vote")
    shot(page, "second-receipt")
    assert fact(page, "Choice recorded") == "no"
    assert fact(page, "Status") == "this is your ballot that counts"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download receipt (JSON)").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    receipt = json.loads(saved.read_text())
    assert receipt["type"] == "ballot-receipt"
    assert receipt["proposal"] == vote.proposal_id
    assert receipt["selection"] == ["no"]
    assert receipt["weight"] == 1500

    close_and_seal(vote.proposal_id)

    page.goto("/verify")
    page.get_by_label("…or upload the receipt file").set_input_files(str(saved))
    page.get_by_role("button", name="Check", exact=True).click()
    verdict = page.get_by_role("heading", level=2).first.inner_text()
    shot(page, "downloaded-receipt-verified")
    assert "genuine" in verdict
    assert fact(page, "Recorded choice") == "no"
    assert fact(page, "In the sealed result") == "yes"
    assert fact(page, "Counted") == "yes — this was your last ballot"

    page.goto("/verify")
    page.get_by_label("Receipt (JSON)").fill(first_receipt)
    page.get_by_role("button", name="Check", exact=True).click()
    shot(page, "replaced-receipt-verified")
    assert fact(page, "Recorded choice") == "yes"
    assert fact(page, "In the sealed result") == "yes"
    assert fact(page, "Counted").startswith("no — you changed your vote later")
