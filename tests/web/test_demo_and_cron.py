"""The demo trust and the cron command that opens and seals votes on time."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.results.models import SealedResult
from app.secret.casting import receipt_of as secret_receipt_of
from app.treasury.models import DisbursementApproval
from app.voting.models import Ballot
from ballots.secret.ballot import CAST_KEYS
from ballots.verify import verify_any
from tests.factories import install_charter, make_owner, pass_motion, seat_member
from tests.unit.ballots import independent_format2


def test_the_demo_is_built_once_and_its_published_bundles_verify(
    app: Any, client: Any, db_session: Any, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo", "--no-serve"])
    assert "already present" in second.output
    states = dict(
        db.session.execute(select(Proposal.state, func.count()).group_by(Proposal.state)).all()
    )
    # An open-ballot vote and a secret one are open for demo owners.
    assert states.get("sealed", 0) >= 3 and states.get("voting") == 2 and states.get("draft") == 1
    secrecy = dict(db.session.execute(
        select(Proposal.secrecy, func.count()).where(Proposal.state.in_(("sealed", "voting")))
        .group_by(Proposal.secrecy)).all())
    assert secrecy.get("secret", 0) >= 2 and secrecy.get("open", 0) >= 3
    methods = set(
        db.session.scalars(
            select(Proposal.method).join(SealedResult, SealedResult.proposal_id == Proposal.id)
        )
    )
    assert {"binary", "single"} <= methods
    disputes: list[dict[str, Any]] = []
    for (proposal_id,) in db.session.execute(select(SealedResult.proposal_id)):
        folder = tmp_path / proposal_id
        folder.mkdir()
        for name in ("result.json", "roll.jsonl", "ballots.jsonl", "election.json", "tally.json"):
            response = client.get(f"/results/{proposal_id}/{name}")
            if response.status_code == 200:  # election.json and tally.json: format 2 only
                (folder / name).write_bytes(response.data)
        (folder / "trust-keys.json").write_bytes(client.get("/.well-known/trust-keys.json").data)
        report = verify_any(str(folder))
        # No sealed secret vote publishes a selection in clear.
        if (folder / "election.json").exists():
            assert b'"selection"' not in (folder / "ballots.jsonl").read_bytes()
            assert independent_format2.verify(folder) is None
            election = json.loads((folder / "election.json").read_bytes())
            disputes.extend(election.get("complaints", []))
        assert report.ok, f"{proposal_id}: {report.message}"
    # The sealed secret vote's ceremony had one complaint, answered with a share that checks.
    assert [(c["accuser"], c["dealer"], c["share"] is not None) for c in disputes] == [
        (1, 2, True)]
    # No receipt of a secret ballot holds a choice (the receipt page and its download show this
    # signed tracker), and no stored secret ballot does either: only its encrypted cast object.
    secret_ballots = db.session.scalars(
        select(Ballot).join(Proposal, Proposal.id == Ballot.proposal_id)
        .where(Proposal.secrecy == "secret")).all()
    assert len(secret_ballots) >= 20
    for ballot in secret_ballots:
        receipt = secret_receipt_of(ballot, ballot.proposal_id)
        assert receipt["format"] == 2 and receipt["tracker"] == ballot.receipt
        assert "selection" not in receipt
        assert json.loads(ballot.selection_json).keys() == CAST_KEYS
    audit = runner.invoke(args=["trust", "audit"])
    assert audit.exit_code == 0, audit.output
    # Every approval of the demo's spending is by a member of the proceeds committee (Art. 22.1).
    approvals = db.session.execute(
        select(DisbursementApproval.member_id, DisbursementApproval.at)
    ).all()
    assert len(approvals) >= 7
    for member_id, at in approvals:
        roles = {s.role for s in council.active_seats(at) if s.member_id == member_id}
        assert roles == {"proceeds_committee"}, (member_id, roles)


def test_seal_due_opens_due_votes_and_seals_closed_ones(app: Any, db_session: Any) -> None:
    install_charter()
    council = make_owner(300, role="council")
    author = make_owner(900)
    now = utcnow()
    drafted = now - timedelta(days=10)
    seat_member(council, start=drafted - timedelta(days=1))
    db.session.commit()

    def scheduled(title: str, opens: Any) -> str:
        draft = proposals.Draft(
            kind="spending",
            title=title,
            body="A proposal body that is long enough.",
            fields={
                "amount_fen": 1000,
                "category": "owner_care",
                "beneficiary": "Owners in hardship",
                "purpose": "Help.",
            },
            options=[],
        )
        proposal = proposals.create_draft(author, draft, now=drafted)
        proposals.submit(proposal, author, now=drafted)
        pass_motion(council, "accept_proposal", f"proposal:{proposal.id}", now=drafted)
        proposals.accept(proposal, council, opens, opens + timedelta(days=3), now=drafted)
        db.session.commit()
        return proposal.id

    past = scheduled("A vote whose whole window has passed", now - timedelta(days=5))
    due = scheduled("A vote due to open now", now - timedelta(minutes=1))
    later = scheduled("A vote opening next week", now + timedelta(days=7))
    result = app.test_cli_runner().invoke(args=["trust", "seal-due"])
    assert result.exit_code == 0, result.output
    assert f"opened {due}" in result.output and f"sealed {past}" in result.output
    assert " UTC: " in result.output.splitlines()[0]  # when it ran, with its zone
    db.session.expire_all()
    assert db.session.get(Proposal, past).state == "sealed"
    assert db.session.get(Proposal, due).state == "voting"
    assert db.session.get(Proposal, later).state == "scheduled"
    again = app.test_cli_runner().invoke(args=["trust", "seal-due"])
    assert "nothing was due" in again.output  # a quiet minute is told from a run that failed
    quiet = app.test_cli_runner().invoke(args=["trust", "seal-due", "--quiet"])
    assert quiet.exit_code == 0 and quiet.output == ""  # crontab mails only real work
