"""Members' interests: the public register each member keeps, and interests the records show.

A recusal follows from a member's own register or from facts the trust holds about them (their
place on a community's verified roster, a disbursement to them). Nothing another person types
makes an interest: a co-signature an applicant asked for counts only once the owner gave it.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlalchemy import func, or_, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council.models import MemberInterest
from app.council.seats import is_seated
from app.translog import service as translog
from ballots.records import format_time
from governance.council import MotionError
from governance.refusals import N_

# The reason stored (and logged) for an automatic recusal, before the motion's subject.
INTEREST_PREFIX = "interest in "
TAG_KINDS = ("community", "beneficiary", "proposal", "member", "budget", "disbursement")
MAX_TAG = 128


def beneficiary_tag(name: str) -> str:
    return "beneficiary:" + " ".join(name.lower().split())[: MAX_TAG - 12]


def register_of(member_id: int, *, include_withdrawn: bool = False) -> list[MemberInterest]:
    query = select(MemberInterest).where(MemberInterest.member_id == member_id)
    if not include_withdrawn:
        query = query.where(MemberInterest.withdrawn_at.is_(None))
    return list(db.session.scalars(query.order_by(MemberInterest.declared_at, MemberInterest.id)))


def declare(
    member: User, tag: str, description: str, now: datetime | None = None
) -> MemberInterest:
    """Add a line to the member's own public register (only the member can)."""
    now = now or utcnow()
    tag = tag.strip()
    kind, _sep, ident = tag.partition(":")
    if not is_seated(member, now):
        raise MotionError(
            "interest.not_seated", N_("only a seated council member keeps a register")
        )
    if kind not in TAG_KINDS or not ident.strip() or len(tag) > MAX_TAG:
        raise MotionError("interest.tag", N_("name what the interest is in, e.g. community:12"))
    if not description.strip():
        raise MotionError(
            "interest.description", N_("describe the interest: the register is public")
        )
    if kind == "beneficiary":
        tag = beneficiary_tag(ident)
    row = MemberInterest(
        member_id=member.id, tag=tag, description=description.strip(), declared_at=now
    )
    db.session.add(row)
    db.session.flush()
    translog.append(
        "council.interest",
        f"interest:{row.id}",
        {
            "type": "council.interest",
            "member": member.display_name,
            "tag": row.tag,
            "description": row.description,
            "declared_at": format_time(now),
        },
        at=now,
    )
    audit.record("council.interest", actor_id=member.id, subject=f"interest:{row.id}", tag=tag)
    return row


def withdraw(member: User, interest_id: int, now: datetime | None = None) -> None:
    now = now or utcnow()
    row = db.session.get(MemberInterest, interest_id)
    if row is None or row.member_id != member.id or row.withdrawn_at is not None:
        raise MotionError("interest.not_yours", N_("this is not a line of your register"))
    row.withdrawn_at = now
    audit.record("council.interest_withdrawn", actor_id=member.id, subject=f"interest:{row.id}")


def detected(member_id: int) -> set[str]:
    """Interests the trust's records show, whether the member declared them or not."""
    from app.communities.models import Community, CommunityMember

    communities = db.session.scalars(
        select(CommunityMember.community_id)
        .join(Community, Community.id == CommunityMember.community_id)
        .where(
            CommunityMember.owner_id == member_id,
            or_(CommunityMember.given_at.is_not(None), Community.applicant_id == member_id),
        )
    )
    applied = db.session.scalars(select(Community.id).where(Community.applicant_id == member_id))
    tags = {f"member:{member_id}"}
    tags |= {f"community:{cid}" for cid in communities}
    tags |= {f"community:{cid}" for cid in applied}
    user = db.session.get(User, member_id)
    if user is not None:
        tags |= {f"disbursement:{did}" for did in _paid_to(user.display_name)}
    return tags


def _paid_to(name: str) -> list[int]:
    from app.treasury.models import Disbursement

    wanted = " ".join(name.lower().split())
    return list(
        db.session.scalars(
            select(Disbursement.id).where(func.lower(Disbursement.beneficiary) == wanted)
        )
    )


def interests_of(member_id: int) -> set[str]:
    """Every tag a member has an interest in: their register and what the records show."""
    declared = {r.tag for r in register_of(member_id)}
    # A declared beneficiary also covers each disbursement to that beneficiary.
    for tag in [t for t in declared if t.startswith("beneficiary:")]:
        declared |= {f"disbursement:{did}" for did in _paid_to(tag.removeprefix("beneficiary:"))}
    return declared | detected(member_id)


def subject_words(subject: str) -> str:
    """A motion subject tag as a reader knows it (``community:3`` -> the community's name)."""
    from app.communities.models import Community

    kind, _sep, ident = subject.partition(":")
    if kind == "community" and ident.isdigit():
        community = db.session.get(Community, int(ident))
        return community.name if community is not None else subject
    if kind == "proposal":
        return ident
    if kind == "disbursement":
        return gettext("disbursement %(id)s", id=ident)
    if kind == "member":
        return gettext("member %(id)s", id=ident)
    return ident or subject
