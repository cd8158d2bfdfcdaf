"""A secret vote in Chromium: the owner's browser encrypts and proves the ballot, a spoiled
ballot is opened and checked offline, the trustees post their shares, the sealed result is
accepted by `python -m ballots.verify`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.proposals.models import Proposal
from tests.e2e.a11y import problems_on
from tests.e2e.browse import fact, sign_in
from tests.e2e.data import Owner
from tests.factories import PASSWORD, make_owner
from tests.web.secret_helpers import (
    close_now,
    install_secret_charter,
    open_secret_vote,
    post_decryption,
    run_ceremony,
)

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_an_owner_casts_a_browser_encrypted_ballot_and_the_sealed_result_verifies(
    app: Any, db_session: Any, page: Any, shot: Any, tmp_path: Path
) -> None:
    client = app.test_client()
    install_secret_charter()
    voter = make_owner(1500, name="Li Wei", at=utcnow() - timedelta(days=60))
    db.session.commit()
    owner = Owner(voter.email, PASSWORD, voter.display_name)
    vote = open_secret_vote(client, title="Secret: fund owner meet-ups")
    run_ceremony(client, vote)
    db.session.commit()
    db.session.remove()  # on SQLite an open transaction here would stall the live server

    sign_in(page, owner)
    page.goto(f"/me/vote/{vote.id}")
    assert page.get_by_text("Secret voting needs JavaScript").is_hidden()
    # Spoil one: the page opens it, and the offline command agrees.
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Check this ballot (spoil it)").click()
    page.locator("#secret-audit").wait_for(state="visible")
    shot(page, "spoiled-ballot")
    record = json.loads(page.locator("#secret-audit pre.mono").inner_text())
    assert record["selection"] == ["yes"] and len(record["randomness"]) == 3
    (tmp_path / "audit.json").write_text(json.dumps(record))
    (tmp_path / "proposal.json").write_bytes(
        client.get(f"/api/secret/{vote.id}/proposal.json").data
    )
    (tmp_path / "election.json").write_bytes(
        client.get(f"/api/secret/{vote.id}/election.json").data
    )
    checked = _run(
        "ballots.secret.audit",
        str(tmp_path / "proposal.json"),
        str(tmp_path / "election.json"),
        str(tmp_path / "audit.json"),
    )
    assert checked.returncode == 0 and "yes" in checked.stdout, checked.stderr
    db.session.remove()

    # Cast another: the receipt holds the tracker, not the choice.
    page.get_by_role("radio", name="No").check()
    page.get_by_role("button", name="Encrypt and cast my vote").click()
    page.wait_for_url(f"**/me/receipts/{vote.id}/**")
    page.get_by_role("heading", level=1, name="Your ballot receipt").wait_for()
    shot(page, "secret-receipt")
    tracker = fact(page, "Tracker")
    assert tracker != record["tracker"]
    page.get_by_text("Show the receipt").click()
    receipt = json.loads(page.locator("details pre").inner_text())
    assert receipt["tracker"] == tracker and "selection" not in receipt
    (tmp_path / "receipt.json").write_text(json.dumps(receipt))

    closes = close_now(vote.id)
    close_and_seal(vote.id, now=closes + timedelta(seconds=1))
    db.session.commit()
    for trustee in vote.trustees[:2]:
        assert post_decryption(client, vote, trustee).status_code == 201
    assert db.session.get(Proposal, vote.id).state == "sealed"

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for name in ("result.json", "election.json", "tally.json", "roll.jsonl", "ballots.jsonl",
                 "log-proof.json"):
        (bundle / name).write_bytes(client.get(f"/results/{vote.id}/{name}").data)
    (bundle / "trust-keys.json").write_bytes(client.get("/.well-known/trust-keys.json").data)
    (bundle / "trust-witnesses.json").write_bytes(
        client.get("/.well-known/trust-witnesses.json").data
    )
    verified = _run("ballots.verify", str(bundle), "--receipt", str(tmp_path / "receipt.json"))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    result = json.loads((bundle / "result.json").read_text())
    assert result["tally"]["totals"]["no"] == 1500 and result["tally"]["totals"]["yes"] == 0
    db.session.remove()
    page.goto(f"/me/receipts/{vote.id}/{tracker}")
    page.get_by_role("link", name="See the tracker's inclusion proof").wait_for()

    # /verify takes the tracker receipt: genuine, no choice in it, and counted.
    page.goto("/verify")
    page.get_by_label("…or upload the receipt file").set_input_files(str(tmp_path / "receipt.json"))
    page.get_by_role("button", name="Check", exact=True).click()
    verdict = page.get_by_role("heading", level=2).first.inner_text()
    shot(page, "tracker-receipt-verified")
    assert "among the ballots counted in the sealed result" in verdict
    assert fact(page, "Tracker") == tracker
    assert fact(page, "Counted") == "yes — this is the last ballot of its voter"
    page.get_by_role("link", name="The tracker's inclusion proof (JSON)").wait_for()
    assert problems_on(page) == []  # the tracker's report passes the accessibility checks
