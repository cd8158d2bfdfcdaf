"""The demo trust's dates, as a public auditor would read them: nothing governed by the charter
before the charter, no money recorded before it was asked for, no result sealed before its vote
closed, nobody acting before they were seated.

The demo is built once for the module (about half a minute).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from tests.conftest import _truncate, app_test_config


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from app import create_app
    from app.demo.build import build_demo

    application = create_app(app_test_config(database_url, tmp_path_factory.mktemp("chrono")))
    _truncate(application)
    with application.app_context():
        list(build_demo())
        db.session.commit()
        yield application
        db.session.remove()
    _truncate(application)
    with application.app_context():
        db.engine.dispose()


def test_the_charter_is_adopted_before_anything_it_governs(demo: Any) -> None:
    from app.charter.models import CharterVersion
    from app.council.models import CouncilSeat, Motion
    from app.proposals.models import Proposal
    from app.treasury.models import Budget, Disbursement

    adopted = db.session.scalar(select(func.min(CharterVersion.effective_at)))
    assert adopted is not None
    firsts = {
        "proposal": db.session.scalar(select(func.min(Proposal.created_at))),
        "budget": db.session.scalar(select(func.min(Budget.created_at))),
        "disbursement": db.session.scalar(select(func.min(Disbursement.created_at))),
        "council seat": db.session.scalar(select(func.min(CouncilSeat.term_start))),
        "motion": db.session.scalar(select(func.min(Motion.opened_at))),
    }
    for what, first in firsts.items():
        assert first is not None, what
        assert adopted <= first, f"the first {what} ({first}) is before the charter ({adopted})"
    # Every proposal names the charter version it was drafted under, in force by then.
    versions = dict(db.session.execute(select(CharterVersion.version,
                                              CharterVersion.effective_at)).all())
    for proposal_id, version, created in db.session.execute(
            select(Proposal.id, Proposal.charter_version, Proposal.created_at)):
        assert versions[version] <= created, proposal_id


def test_disbursements_are_recorded_after_they_were_asked_for_and_approved(demo: Any) -> None:
    from app.treasury.models import Budget, Disbursement, DisbursementApproval

    rows = db.session.scalars(select(Disbursement)).all()
    assert len(rows) >= 5
    for d in rows:
        budget = db.session.get(Budget, d.budget_id)
        assert budget is not None and budget.created_at <= d.created_at, d.id
        approvals = db.session.scalars(select(DisbursementApproval.at).where(
            DisbursementApproval.disbursement_id == d.id)).all()
        assert all(d.created_at <= at for at in approvals), (d.id, d.created_at, approvals)
        if d.recorded_at is not None:
            assert d.created_at <= d.recorded_at, (d.id, d.created_at, d.recorded_at)
            assert all(at <= d.recorded_at for at in approvals), d.id
            assert d.state == "recorded"
    assert any(d.recorded_at is None for d in rows)  # one still awaits its approvals


def test_results_are_sealed_when_their_votes_close(demo: Any) -> None:
    from app.proposals.models import Proposal, ProposalEvent
    from app.results.models import SealedResult

    sealed = db.session.execute(
        select(SealedResult.proposal_id, SealedResult.sealed_at, Proposal.opens_at,
               Proposal.closes_at)
        .join(Proposal, Proposal.id == SealedResult.proposal_id)).all()
    assert len(sealed) >= 5
    for proposal_id, sealed_at, opens_at, closes_at in sealed:
        assert opens_at is not None and closes_at is not None
        assert opens_at < closes_at <= sealed_at, (proposal_id, closes_at, sealed_at)
        # Sealed at the close, as the cron does within its minute; not days later.
        assert (sealed_at - closes_at).total_seconds() <= 3600, (proposal_id, sealed_at)
    # Each proposal's own steps are in order: drafted, submitted, accepted, opened, sealed.
    for proposal in db.session.scalars(select(Proposal)):
        steps = db.session.scalars(select(ProposalEvent.at).where(
            ProposalEvent.proposal_id == proposal.id).order_by(ProposalEvent.id)).all()
        assert steps == sorted(steps), proposal.id
        assert all(proposal.created_at <= at for at in steps), proposal.id


def test_council_acts_are_by_members_seated_at_the_time(demo: Any) -> None:
    from app.council import service as council
    from app.council.models import Motion, MotionVoteRecord

    for motion in db.session.scalars(select(Motion)):
        assert motion.opened_by in council.seated_member_ids(motion.opened_at), motion.id
        if motion.closed_at is not None:
            assert motion.opened_at <= motion.closed_at, motion.id
    for vote in db.session.scalars(select(MotionVoteRecord)):
        motion = db.session.get(Motion, vote.motion_id)
        assert motion is not None and motion.opened_at <= vote.at, vote.id
        assert vote.member_id in council.seated_member_ids(vote.at), vote.id


def test_communities_apply_under_a_scheme_the_owners_had_already_adopted(demo: Any) -> None:
    from app.communities.models import Community
    from app.proposals.models import Proposal
    from app.results.models import SealedResult

    adopted = db.session.scalar(
        select(func.min(SealedResult.sealed_at))
        .join(Proposal, Proposal.id == SealedResult.proposal_id)
        .where(Proposal.kind == "community_scheme"))
    assert adopted is not None
    applications = db.session.execute(
        select(Community.name, Community.applied_at, Community.certified_at)).all()
    assert applications
    for name, applied_at, certified_at in applications:
        assert adopted <= applied_at, (name, applied_at, adopted)
        assert certified_at is None or applied_at <= certified_at, name


def test_every_kind_in_the_log_has_a_reader_label_and_a_documented_record(demo: Any) -> None:
    # The public log shows each leaf's kind in words (zh and en), never the code; the audit and
    # docs/verification.md describe each kind's record from EVENT_KINDS.
    from app.translog.kinds import EVENT_KINDS
    from app.translog.models import LogLeaf
    from app.web.labels import LOG_TYPES

    kinds = set(db.session.scalars(select(LogLeaf.type).distinct()))
    assert "secret.election" in kinds  # the demo's sealed secret vote
    assert kinds - set(LOG_TYPES) == set()
    assert kinds - set(EVENT_KINDS) == set()
