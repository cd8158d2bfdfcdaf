"""Community certification: applications under an adopted scheme, each step decided by the
rules in `governance.communities`, council steps only by passed council motions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import Select, func, or_, select

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.communities.models import Community, CommunityDocument, CommunityEvent, CommunityMember
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.council.models import Motion
from app.proposals.models import Proposal
from app.results.models import SealedResult
from app.translog import service as translog
from ballots.records import format_time
from governance.communities import (
    MOTIONS,
    TRANSITIONS,
    CommunityContext,
    certified_until,
    renewal_opens,
    transition,
    validate_application,
)
from governance.refusals import N_, Refusal, cite
from governance.transitions import Actor, TransitionError

__all__ = ["ApplicationError", "CosignError", "TransitionError"]

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DIRECTORY_STATES = ("certified", "renewal_due")
ACTION_OF_MOTION = {kind: action for action, kind in MOTIONS.items()}
# Log types for the steps the public follows.
LOGGED = {
    "certify": "community.certified",
    "reject": "community.rejected",
    "renew": "community.renewed",
    "revoke": "community.revoked",
    "lapse": "community.lapsed",
}


class CosignError(Refusal):
    """A co-signature that cannot be given."""


class ApplicationError(ValueError):
    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass
class Application:
    name: str
    industry: str
    description: str
    member_count: int
    cosigner_logins: list[str]
    documents: list[tuple[str, bytes]] = field(default_factory=list)


def scheme_in_force() -> Proposal | None:
    """The latest community_scheme proposal whose sealed result passed, if any."""
    rows = db.session.execute(
        select(Proposal, SealedResult.result_json)
        .join(SealedResult, SealedResult.proposal_id == Proposal.id)
        .where(Proposal.kind == "community_scheme", SealedResult.current.is_(True))
        .order_by(SealedResult.sealed_at.desc())
    )
    for proposal, result_json in rows:
        if json.loads(result_json)["tally"]["outcome"] == "passed":
            return proposal
    return None


def get(community_id: int) -> Community | None:
    return db.session.get(Community, community_id)


def directory_query() -> Select[tuple[Community]]:
    return (select(Community).where(Community.state.in_(DIRECTORY_STATES))
            .order_by(Community.name, Community.id))


def directory() -> list[Community]:
    return list(db.session.scalars(directory_query()))


def all_communities_query() -> Select[tuple[Community]]:
    return select(Community).order_by(Community.applied_at.desc(), Community.id.desc())


def all_communities() -> list[Community]:
    return list(db.session.scalars(all_communities_query()))


def awaiting_council() -> list[Community]:
    return list(
        db.session.scalars(
            select(Community)
            .where(Community.state.in_(("applied", "under_review", "renewal_due")))
            .order_by(Community.applied_at)
        )
    )


def of_owner(user: User) -> list[tuple[Community, str]]:
    rows = db.session.execute(
        select(Community, CommunityMember.role)
        .join(CommunityMember, CommunityMember.community_id == Community.id)
        .where(CommunityMember.owner_id == user.id)
        .order_by(Community.name)
    )
    return [(c, role) for c, role in rows]


def members(community: Community, *, given_only: bool = False) -> list[tuple[User, str]]:
    query = (
        select(User, CommunityMember.role)
        .join(CommunityMember, CommunityMember.owner_id == User.id)
        .where(CommunityMember.community_id == community.id)
        .order_by(CommunityMember.role.desc(), User.display_name)
    )
    if given_only:  # a request not yet answered is nobody's business but the owner's
        query = query.where(CommunityMember.given_at.is_not(None))
    rows = db.session.execute(query)
    return [(u, role) for u, role in rows]


def documents(community: Community) -> list[CommunityDocument]:
    return list(
        db.session.scalars(
            select(CommunityDocument)
            .where(CommunityDocument.community_id == community.id)
            .order_by(CommunityDocument.id)
        )
    )


def events(community: Community) -> list[CommunityEvent]:
    return list(
        db.session.scalars(
            select(CommunityEvent)
            .where(CommunityEvent.community_id == community.id)
            .order_by(CommunityEvent.at, CommunityEvent.id)
        )
    )


def _find_owner(login: str) -> User | None:
    login = login.strip()
    return db.session.scalar(
        select(User).where(
            or_(User.email == login.lower(), User.phone == login, User.external_id == login)
        )
    )


def documents_dir() -> Path:
    return Path(current_app.instance_path) / "documents"


def _store(data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    folder = documents_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / digest
    if not path.exists():
        path.write_bytes(data)
    return digest


def apply(applicant: User, application: Application, now: datetime | None = None) -> Community:
    """An owner applies for their community, as its representative, with co-signing members."""
    now = now or utcnow()
    rules = charter.current_rules()
    scheme = scheme_in_force()
    problems: list[tuple[str, str]] = []
    # The owners named are only asked to co-sign: each gives it in their own account. Names
    # with no account are passed over in silence, so the form tells no one who has an account.
    cosigners: list[int] = []
    for login in (x for x in application.cosigner_logins if x.strip()):
        owner = _find_owner(login)
        if owner is not None and owner.id != applicant.id and owner.id not in cosigners:
            cosigners.append(owner.id)
    for name, data in application.documents:
        if len(data) > MAX_DOCUMENT_BYTES:
            problems.append(("documents", gettext("%(name)s is larger than 10 MB", name=name)))
    digests = [hashlib.sha256(data).hexdigest() for _name, data in application.documents]
    fields: dict[str, Any] = {
        "name": application.name.strip(),
        "industry": application.industry.strip(),
        "description": application.description.strip(),
        "representative_id": applicant.id,
        "member_count": application.member_count,
        "cosigners": cosigners,
        "documents": digests,
    }
    problems += validate_application(fields, rules, scheme_in_force=scheme is not None)
    if problems:
        raise ApplicationError(
            gettext("The application has problems; nothing was saved."), problems)
    community = Community(
        name=fields["name"],
        industry=fields["industry"],
        description=fields["description"],
        representative_id=applicant.id,
        applicant_id=applicant.id,
        member_count=application.member_count,
        state="applied",
        scheme_proposal_id=scheme.id if scheme else None,
        applied_at=now,
        cosign_deadline=now + timedelta(days=rules.communities.cosign_days),
    )
    db.session.add(community)
    db.session.flush()
    db.session.add(CommunityMember(community_id=community.id, owner_id=applicant.id,
                                   role="representative", at=now, given_at=now))
    for owner_id in cosigners:
        db.session.add(CommunityMember(community_id=community.id, owner_id=owner_id,
                                       role="cosigner", at=now))
    for name, data in application.documents:
        digest = _store(data)
        db.session.add(CommunityDocument(community_id=community.id, sha256=digest,
                                         filename=Path(name).name[:255] or digest, size=len(data),
                                         at=now))
    db.session.add(CommunityEvent(community_id=community.id, action="apply", from_state="",
                                  to_state="applied", actor_id=applicant.id, at=now))
    _log(community, "community.applied", "apply", None, "", now)
    audit.record("community.applied", actor_id=applicant.id, subject=f"community:{community.id}")
    return community


def _log(community: Community, type_: str, action: str, motion: Motion | None, reason: str,
         now: datetime) -> None:
    representative = db.session.get(User, community.representative_id)
    translog.append(
        type_,
        f"community:{community.id}",
        {
            "type": type_,
            "community": community.id,
            "name": community.name,
            "industry": community.industry,
            "representative": representative.display_name if representative else None,
            "member_count": community.member_count,
            "documents": sorted(d.sha256 for d in documents(community)),
            "action": action,
            "state": community.state,
            "motion": motion.id if motion else None,
            "reasons": reason,
            "valid_until": format_time(community.valid_until) if community.valid_until else None,
            "at": format_time(now),
        },
        at=now,
    )


def _step(community: Community, action: str, actor: Actor, *, now: datetime,
          motion: Motion | None = None, reasons: tuple[str, ...] = ()) -> CommunityEvent:
    rules = charter.current_rules()
    ctx = CommunityContext(
        now=now,
        passed_motion=motion.kind if motion and motion.state == "passed" else None,
        reasons=reasons,
        valid_until=community.valid_until,
        scheme_in_force=scheme_in_force() is not None,
        cosigns_given=cosigns_given(community) if action == "review" else None,
    )
    step = transition(community.state, action, actor=actor, ctx=ctx, rules=rules)
    event = CommunityEvent(
        community_id=community.id, action=action, from_state=community.state,
        to_state=step.state, actor_id=actor.id, motion_id=motion.id if motion else None,
        reason=step.record.reason, at=now,
    )
    community.state = step.state
    if action in ("certify", "renew"):
        community.certified_at = now
        community.valid_until = certified_until(now, rules)
    db.session.add(event)
    db.session.flush()
    if action in LOGGED:
        _log(community, LOGGED[action], action, motion, step.record.reason, now)
    audit.record(f"community.{action}", actor_id=actor.id, subject=f"community:{community.id}",
                 reason=step.record.reason, motion=motion.id if motion else None)
    return event


def cosigns_given(community: Community) -> int:
    """Co-signatures owners gave in their own accounts before the deadline."""
    query = select(func.count()).select_from(CommunityMember).where(
        CommunityMember.community_id == community.id,
        CommunityMember.role == "cosigner",
        CommunityMember.given_at.is_not(None),
    )
    if community.cosign_deadline is not None:
        query = query.where(CommunityMember.given_at <= community.cosign_deadline)
    return db.session.scalar(query) or 0


def cosign_request(community: Community, owner: User) -> CommunityMember | None:
    return db.session.scalar(select(CommunityMember).where(
        CommunityMember.community_id == community.id, CommunityMember.owner_id == owner.id))


def give_cosignature(community: Community, owner: User, now: datetime | None = None) -> None:
    """An owner co-signs an application in their own account: only then does it count."""
    now = now or utcnow()
    rules = charter.current_rules()
    if community.state != "applied":
        raise CosignError("community.cosign_closed",
                          N_("co-signatures are collected only while the application waits"))
    if community.cosign_deadline is not None and now > community.cosign_deadline:
        raise CosignError("community.cosign_late", N_("co-signatures closed at %(deadline)s"),
                          deadline=community.cosign_deadline,
                          **cite(rules, "communities.min_cosigners"))
    if not on_roll(owner, rules, now):
        raise CosignError("community.cosign_not_owner",
                          N_("only owners on the roll co-sign"),
                          **cite(rules, "voting.eligibility"))
    row = cosign_request(community, owner)
    if row is not None and row.given_at is not None:
        raise CosignError("community.cosigned_twice", N_("you have already co-signed"))
    if row is None:
        row = CommunityMember(community_id=community.id, owner_id=owner.id, role="cosigner", at=now)
        db.session.add(row)
    row.given_at = now
    db.session.flush()
    audit.record("community.cosigned", actor_id=owner.id, subject=f"community:{community.id}")


def on_roll(owner: User, rules: Any, now: datetime) -> bool:
    """Would the owner be on a roll frozen now (growth value at least the charter's minimum)?"""
    from app.growth import ledger

    if owner.is_admin or not owner.is_active:
        return False
    return ledger.balance(owner.id, now) >= max(1, rules.voting.eligibility_min)


def pending_requests(owner: User) -> list[Community]:
    """Applications that asked this owner to co-sign and still wait for it."""
    return list(db.session.scalars(
        select(Community)
        .join(CommunityMember, CommunityMember.community_id == Community.id)
        .where(CommunityMember.owner_id == owner.id, CommunityMember.given_at.is_(None),
               Community.state == "applied")
        .order_by(Community.applied_at)))


def review(community: Community, user: User, now: datetime | None = None) -> None:
    """A seated member (or an admin) takes an application into review."""
    roles = {"owner"}
    if council.is_seated(user, now):
        roles.add("council")
    if user.is_admin:
        roles.add("admin")
    _step(community, "review", Actor(user.id, frozenset(roles)), now=now or utcnow())


def open_decision(opener: User, community: Community, action: str, reasons: str,
                  now: datetime | None = None, closes_at: datetime | None = None) -> Motion:
    """Open the council motion that would take `action` on the community."""
    if (community.state, action) not in TRANSITIONS or action not in MOTIONS:
        raise TransitionError(community.state, action,
                              gettext("not a council decision in this state"))
    if action in ("reject", "revoke") and not reasons.strip():
        rules = charter.current_rules()
        key = "communities.revocation" if action == "revoke" else "communities.application"
        raise TransitionError(community.state, action,
                              gettext("give the reasons; %(article)s", article=rules.article(key)))
    titles = {"certify": "Certify", "reject": "Reject", "renew": "Renew", "revoke": "Revoke"}
    return council.open_motion(
        opener, MOTIONS[action], f"community:{community.id}",
        f"{titles[action]} the community “{community.name}”", reasons, now=now,
        closes_at=closes_at,
    )


def carry_out(motion: Motion, now: datetime | None = None) -> CommunityEvent | None:
    """Apply a closed community motion: a passed one takes its step, a failed one none."""
    action = ACTION_OF_MOTION.get(motion.kind)
    if action is None or motion.state != "passed" or not motion.subject.startswith("community:"):
        return None
    community = get(int(motion.subject.split(":", 1)[1]))
    if community is None:
        return None
    actor = Actor(motion.opened_by, frozenset({"council"}))
    return _step(community, action, actor, now=now or motion.closed_at or utcnow(), motion=motion,
                 reasons=(motion.body,) if motion.body else ())


def housekeeping(now: datetime | None = None) -> list[str]:
    """Flag certifications entering their renewal window and lapse those that ended."""
    now = now or utcnow()
    rules = charter.current_rules()
    done = []
    for community in db.session.scalars(
        select(Community).where(Community.state.in_(DIRECTORY_STATES),
                                Community.valid_until.is_not(None))
    ).all():
        assert community.valid_until is not None
        if now >= community.valid_until:
            _step(community, "lapse", Actor.system(), now=now)
            done.append(f"community {community.id} lapsed")
        elif community.state == "certified" and now >= renewal_opens(community.valid_until, rules):
            _step(community, "flag_renewal", Actor.system(), now=now)
            done.append(f"community {community.id} renewal due")
    return done
