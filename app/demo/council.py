"""Demo data for the council and communities: two founding terms, a sealed protector election,
a community scheme adopted by vote and communities in every certification state."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.communities import service as communities
from app.core.extensions import db
from app.council import elections, nominations
from app.council import service as council
from app.council.models import Candidacy, Motion
from app.decisions import motions
from app.decisions.votes import close_and_seal
from app.proposals import service as proposals
from app.voting import service as voting

FOUNDING_ROLES = ["chair"] + ["asset_committee"] * 3 + ["proceeds_committee"] * 3 + [
    "supervisors"
] * 2
# (name, industry, days ago applied, steps as (action, days ago)), one community per state.
COMMUNITIES = [
    ("Owner Doctors' Circle · 车主医生圈", "Medicine", 340, [("review", 338), ("certify", 330)]),
    ("Owner Lawyers' Network · 车主律师网", "Law", 350, [("review", 348), ("certify", 342)]),
    ("Owner Teachers' Guild · 车主教师会", "Education", 215, [("review", 210), ("certify", 200)]),
    ("Owner Software Engineers · 车主程序员", "Software", 160, [("review", 158),
                                                              ("certify", 150)]),
    ("Owner Architects · 车主建筑师", "Architecture", 120, [("review", 115), ("certify", 100),
                                                        ("revoke", 10)]),
    ("Owner Photographers · 车主摄影", "Photography", 60, [("review", 55), ("reject", 50)]),
    ("Owner Engineers · 车主工程师", "Engineering", 20, [("review", 15)]),
    ("Owner Chefs · 车主厨师", "Food", 5, []),
]
REASONS = {
    "reject": "Fewer than 30 members could be confirmed as owners; apply again when they are.",
    "revoke": "The community charged members for certification-branded events, against Art. 31.3.",
}


def pass_motion(opener: User, kind: str, subject: str, title: str, at: datetime,
                body: str = "") -> Motion:
    """Every seated member without an interest votes for; most motions in the demo pass."""
    motion = council.open_motion(opener, kind, subject, title, body, now=at)
    recused = council.recusals_of(motion)
    for member_id in sorted(council.seated_member_ids(at) - set(recused)):
        member = db.session.get(User, member_id)
        assert member is not None
        council.vote(motion, member, "for", now=at + timedelta(hours=1))
    motions.close(motion, opener, now=at + timedelta(hours=2))
    return motion


def _council_members() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.external_id.like("C%")).order_by(User.external_id)))


def seat_founding_council(now: datetime) -> Iterator[str]:
    """The founding council served a first term and was re-appointed for a second."""
    members = _council_members()
    for start in (now - timedelta(days=700), now - timedelta(days=335)):
        for member, role in zip(members, FOUNDING_ROLES, strict=False):
            council.seat(member, role, start)
    council.expire_due(now)
    db.session.commit()
    yield f"seated the founding council ({len(FOUNDING_ROLES)} members, two terms)"


def _owners(first: int, count: int) -> list[User]:
    emails = [f"owner{n}@demo.trust" for n in range(first, first + count)]
    return list(db.session.scalars(select(User).where(User.email.in_(emails)).order_by(User.id)))


def _scheme(chair: User, now: datetime) -> str:
    drafted, opens = now - timedelta(days=360), now - timedelta(days=359)
    proposal = proposals.create_draft(chair, proposals.Draft(
        kind="community_scheme",
        title="Trial scheme for certifying owners' industry communities · 行业社群认证试行方案",
        body="Certify owners' industry communities that serve the owner community, on trial.",
        fields={"scheme_text": "Communities of at least 30 owners in one industry may apply.",
                "criteria": ["At least 30 member owners", "Ten co-signing members",
                             "Activities open to all owners", "No fees for certification"]},
        options=[]), now=drafted)
    proposals.submit(proposal, chair, now=drafted)
    pass_motion(chair, "accept_proposal", f"proposal:{proposal.id}", "Put the trial scheme to "
                "the owners", drafted)
    proposals.accept(proposal, chair, opens, opens + timedelta(days=4), now=drafted)
    proposals.open_vote(proposal, opens)
    db.session.commit()
    for i, owner in enumerate(_owners(1, 120)):
        choice = ["yes"] if i % 5 else ["no"]
        voting.cast(proposal.id, owner.id, choice, now=opens + timedelta(minutes=i + 1))
    close_and_seal(proposal, now=opens + timedelta(days=4))
    db.session.commit()
    return proposal.id


def _election(chair: User, now: datetime) -> str:
    for n, text in ((21, "Ten years an owner; I will publish every protector's review."),
                    (22, "A lawyer: I will check every disbursement against the charter."),
                    (23, "I ran the owner care hotline; owners' money must be visible.")):
        (candidate,) = _owners(n, 1)
        candidacy = elections.register(candidate, "protector", text, now=now - timedelta(days=13))
        _nominate(candidacy, 20 * (n - 21) + 60, 20, now - timedelta(days=13))
    proposal = elections.call_election(chair, "protector", 1, now=now - timedelta(days=11))
    for owner in _owners(30, 20):
        proposals.cosign(proposal, owner, now=now - timedelta(days=11))
    opens = now - timedelta(days=9)
    closes = now - timedelta(days=5)
    proposals.schedule(proposal, chair, opens, closes, now=now - timedelta(days=10))
    proposals.open_vote(proposal, opens)
    db.session.commit()
    candidates = [o["id"] for o in json.loads(proposal.options_json)]
    for i, owner in enumerate(_owners(1, 150)):
        pick = [candidates[0]] if i % 3 else [candidates[1]]
        if i % 7 == 0:
            pick = [candidates[2]]
        voting.cast(proposal.id, owner.id, pick, now=opens + timedelta(minutes=i + 1))
    close_and_seal(proposal, now=now - timedelta(days=5))
    db.session.commit()
    return proposal.id


def _nominate(candidacy: Candidacy, first: int, count: int, at: datetime) -> None:
    """Owners give their nominations in their own accounts, one an hour (Art. 11.5)."""
    for hour, owner in enumerate(_owners(first, count), start=1):
        nominations.nominate(candidacy, owner, now=at + timedelta(hours=hour))


def _pending_candidacy(now: datetime) -> str:
    """A candidate for the next chair election, still gathering nominations."""
    (candidate,) = _owners(24, 1)
    candidacy = elections.register(
        candidate, "chair", "Twelve years an owner; I will hold a public council meeting "
        "every quarter.", now=now - timedelta(days=4))
    _nominate(candidacy, 130, 7, now - timedelta(days=4))
    db.session.commit()
    return f"candidacy {candidacy.id} pending (7 nominations)"


def _communities(now: datetime) -> Iterator[str]:
    members = _council_members()
    for k, (name, industry, applied, steps) in enumerate(COMMUNITIES):
        representative, *cosigners = _owners(40 + 11 * k, 11)
        if industry == "Software":
            cosigners[0] = members[4]  # a council member belongs: recused on its motions
        logins = [o.email or "" for o in cosigners]
        doc = f"{name}: member list and activity report".encode()
        community = communities.apply(representative, communities.Application(
            name=name, industry=industry,
            description=f"Owners working in {industry.lower()} who help other owners with "
            "advice, talks and volunteering.",
            member_count=30 + 7 * k, cosigner_logins=logins,
            documents=[(f"{hashlib.sha256(doc).hexdigest()[:8]}.pdf", doc)]),
            now=now - timedelta(days=applied))
        # Each asked owner gives the co-signature in their own account over the next days; the
        # newest application is still collecting them.
        giving = cosigners if steps else cosigners[:6]
        for day, owner in enumerate(giving):
            given_at = now - timedelta(days=applied) + timedelta(hours=6 + day)
            communities.give_cosignature(community, owner, now=given_at)
        for action, ago in steps:
            at = now - timedelta(days=ago)
            opener = next(m for m in members if council.is_seated(m, at)
                          and f"community:{community.id}" not in council.interests_of(m.id))
            if action == "review":
                communities.review(community, opener, now=at)
                continue
            motion = communities.open_decision(opener, community, action,
                                               REASONS.get(action, ""), now=at)
            for member_id in sorted(council.seated_member_ids(at)
                                    - set(council.recusals_of(motion))):
                member = db.session.get(User, member_id)
                assert member is not None
                council.vote(motion, member, "for", now=at + timedelta(hours=1))
            motions.close(motion, opener, now=at + timedelta(hours=2))
        db.session.commit()
    lines = communities.housekeeping(now)
    db.session.commit()
    yield f"communities: {len(COMMUNITIES)} applications; {'; '.join(lines)}"


def build(now: datetime) -> Iterator[str]:
    chair = db.session.scalar(select(User).where(User.email == "chair@demo.trust"))
    assert chair is not None
    yield f"community scheme adopted by vote {_scheme(chair, now)}"
    yield from _communities(now)
    yield f"sealed council election {_election(chair, now)} (protector)"
    yield _pending_candidacy(now)
