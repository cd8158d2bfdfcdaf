"""Council, community and treasury data for the browser tests, built through the services.

Like data.py, every helper commits and closes the session before returning plain values, so
the live server never waits on a lock held here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.communities import service as communities
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.council.models import Motion
from app.decisions import motions
from app.decisions.votes import close_and_seal
from app.proposals import service as proposals
from app.treasury import service as treasury
from app.treasury.models import Budget
from app.voting import service as voting
from tests.e2e.data import Owner, _charter
from tests.factories import PASSWORD, make_open_vote, make_owner, seat_member
from tests.web.council_helpers import adopt_scheme

COMMUNITY = "Owner Doctors' Circle"
PRIVATE_BENEFICIARY = "Zhang San, ID 110101199003070000, Bank 6222 0000 1111"
EVIDENCE_NAME = "hospital-invoice-7731.pdf"
EVIDENCE = b"%PDF-1.4 hospital invoice for the families of 12 owners"


def _owner(user: User) -> Owner:
    return Owner(user.email or "", PASSWORD, user.display_name)


@dataclass(frozen=True)
class CommunityScene:
    opener: Owner  # seated, no interest: opens the motion and votes
    second: Owner  # seated, no interest: votes
    recused: Owner  # seated and a co-signing member of the community
    community_id: int
    name: str


def community_under_review(name: str = COMMUNITY) -> CommunityScene:
    """A scheme adopted by vote, three seated members and an application under review whose
    co-signers include one of them."""
    _charter()
    ana, bo, chen = (make_owner(500, role="council", name=n)
                     for n in ("Ana Lin", "Bo Wang", "Chen Hui"))
    for member in (ana, bo, chen):
        seat_member(member, "asset_committee")
    representative = make_owner(1000, name="Dr Guo")
    cosigners = [make_owner(100) for _ in range(9)]
    db.session.commit()
    adopt_scheme(representative, ana)
    community = communities.apply(representative, communities.Application(
        name=name, industry="Medicine",
        description="Doctors among the owners who give talks and free advice to other owners.",
        member_count=42, cosigner_logins=[chen.email or "", *(c.email or "" for c in cosigners)],
        documents=[("members.pdf", b"member list of the owner doctors")],
    ))
    # Each asked owner gives the co-signature in their own account; Chen's makes him a member.
    for owner in (chen, *cosigners):
        communities.give_cosignature(community, owner)
    communities.review(community, ana)
    db.session.commit()
    scene = CommunityScene(_owner(ana), _owner(bo), _owner(chen), community.id, name)
    db.session.remove()
    return scene


@dataclass(frozen=True)
class TreasuryScene:
    vote_budget: str
    emergency_budget: str
    care_id: int  # owner care, paid from the owners' vote budget, with evidence
    welfare_id: int  # public welfare, paid from the emergency budget
    evidence_sha256: str


def _spending_vote(author: User, chair: User, amount_fen: int) -> str:
    opens = utcnow() - timedelta(days=4)
    fields = {"amount_fen": amount_fen, "category": "owner_care",
              "beneficiary": "Owners in hardship", "purpose": "Hospital bills and roadside help."}
    proposal_id = make_open_vote(author, chair, fields=fields, opens=opens,
                                 closes=utcnow() - timedelta(hours=1),
                                 title="Owner care fund 2026")
    voting.cast(proposal_id, author.id, ["yes"], now=opens + timedelta(hours=1))
    proposal = proposals.get(proposal_id)
    assert proposal is not None
    close_and_seal(proposal)
    db.session.commit()
    return proposal_id


def _pay(members: list[User], budget_id: str, amount_fen: int, category: str, beneficiary: str,
         purpose: str, **kw: object) -> int:
    d = treasury.draft(members[0], budget_id, amount_fen, category, beneficiary, purpose, **kw)
    db.session.commit()
    for member in members[1:3]:  # two of the proceeds committee (Art. 22.1)
        treasury.approve(member, d.id)
        db.session.commit()
    return d.id


def treasury_with_spending() -> TreasuryScene:
    """RMB 5,000,000 received; a budget from an owners' vote and a council emergency budget;
    RMB 200,000 paid for owner care (with private details and evidence) and RMB 150,000 for
    public welfare. The balance is RMB 4,650,000."""
    _charter()
    members = [make_owner(0, role="council", name=f"Treasurer {i}") for i in range(4)]
    for member, role in zip(members, ("chair", "proceeds_committee", "proceeds_committee",
                                      "proceeds_committee"), strict=True):
        seat_member(member, role)
    admin = make_owner(0, role="admin", name="Administrator")
    voter = make_owner(5000)
    db.session.commit()
    budget = treasury.authorise_budget_from_result(_spending_vote(voter, members[0], 1_000_000_00))
    assert budget is not None
    treasury.record_income(admin, "donations", 5_000_000_00, reference="BANK-1")
    emergency = treasury.propose_emergency(members[0], "Flood relief", 2_000_000_00,
                                           "public_welfare", "Flood areas", "Relief supplies.")
    motion = db.session.get(Motion, emergency.motion_id)
    assert motion is not None
    for member in members:
        council.vote(motion, member, "for")
    motions.close(motion, members[0])  # authorises the emergency budget
    db.session.commit()
    upload = treasury.Upload(EVIDENCE_NAME, "application/pdf", EVIDENCE)
    care = _pay(members, budget.id, 200_000_00, "owner_care", "Families of 12 owners",
                "Hospital bills after a road accident.", beneficiary_private=PRIVATE_BENEFICIARY,
                uploads=[upload])
    welfare = _pay(members, emergency.id, 150_000_00, "public_welfare",
                   "Red Cross Society, Henan branch", "Flood relief supplies.")
    scene = TreasuryScene(budget.id, emergency.id, care, welfare,
                          hashlib.sha256(EVIDENCE).hexdigest())
    db.session.remove()
    return scene


@dataclass(frozen=True)
class WalkScene:
    walker: Owner  # an administrator who also holds a council seat: sees every page
    treasury: TreasuryScene
    community: CommunityScene
    open_motion: int  # the community's certify motion, open, with a recusal
    closed_motion: int  # the emergency spending motion, passed


def everything_for_a_walk() -> WalkScene:
    """The treasury and the community scenes, an open certify motion and a seated admin."""
    money = treasury_with_spending()
    scene = community_under_review()
    community = communities.get(scene.community_id)
    opener = db.session.scalar(select(User).where(User.email == scene.opener.email))
    assert community is not None and opener is not None
    motion = communities.open_decision(opener, community, "certify", "")
    emergency = db.session.get(Budget, money.emergency_budget)
    assert emergency is not None and emergency.motion_id is not None
    walker = make_owner(800, role="admin", name="Mei Walker")
    seat_member(walker, "supervisors")
    db.session.commit()
    walk = WalkScene(_owner(walker), money, scene, motion.id, emergency.motion_id)
    db.session.remove()
    return walk
