"""`flask trust audit`, powers part: who holds a seat, a role or a certification, and the
charter they act under, each against the log leaf that granted it.

A row that grants power must reproduce the record of the leaf that published it: a seat its
`council.seated` (and `council.vacated`) leaf, a motion vote its `council.motion_vote` leaf
and its motion's `council.motion` record, an administrator an `account.role` leaf, a
certified community its latest `community.*` leaf, a charter version its `charter.adopted`
leaf and its own text's digest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from app.accounts.backing import last_grant, role_problem
from app.accounts.models import User
from app.charter.models import CharterVersion
from app.communities.models import Community
from app.core.extensions import db
from app.council import backing
from app.council.models import CouncilSeat, Motion, MotionVoteRecord
from app.integrity.findings import Finding
from app.translog import kinds
from ballots.keys import KeyRing
from ballots.records import format_time
from governance.charter import charter_digest

COMMUNITY_TYPES = (
    "community.applied",
    "community.certified",
    "community.rejected",
    "community.renewed",
    "community.revoked",
    "community.lapsed",
)


def _by_subject(type_: str) -> dict[str, dict[str, Any]]:
    return {subject: record for _i, subject, record in kinds.records(type_)}


def _time(value: Any) -> str | None:
    return format_time(value) if value is not None else None


def audit_seats(_keyring: KeyRing) -> Iterator[Finding]:
    """Each seat against its leaves, by the comparison the app makes before honouring it."""
    seated = _by_subject(backing.SEATED)
    vacated = _by_subject(backing.VACATED)
    stored = set()
    for seat in db.session.scalars(select(CouncilSeat).order_by(CouncilSeat.id)):
        subject = backing.subject_of(seat)
        stored.add(subject)
        where = f"council seat {seat.id} ({seat.role})"

        def name(member_id: int = seat.member_id) -> str | None:
            member = db.session.get(User, member_id)
            return member.display_name if member is not None else None

        for problem in backing.seat_problems(seat, seated.get(subject), vacated.get(subject),
                                             name):
            yield Finding(where, problem)
    for subject in sorted(set(seated) - stored):
        yield Finding(f"council {subject}", "seated in the log but the row was deleted")


def audit_roles(_keyring: KeyRing) -> Iterator[Finding]:
    """Administrators need an `account.role` grant in the log; council members a seat."""
    grants: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for _i, _s, record in kinds.records(kinds.ACCOUNT_ROLE):
        grants.setdefault(int(record["user"]), []).append((kinds.ACCOUNT_ROLE, record))
    seat_holders = set(db.session.scalars(select(CouncilSeat.member_id)))
    for user in db.session.scalars(
        select(User).where(User.role.in_(("admin", "council"))).order_by(User.id)
    ):
        problem = role_problem(user.role, last_grant(grants.get(user.id, [])),
                               user.id in seat_holders)
        if problem is not None:
            yield Finding(f"user {user.id} ({user.login_name})", problem)


def audit_motion_votes(_keyring: KeyRing) -> Iterator[Finding]:
    cast: dict[tuple[int, int], str] = {}
    for _i, _s, record in kinds.records(kinds.MOTION_VOTE):
        cast[(int(record["motion"]), int(record["member_id"]))] = str(record["choice"])
    closed = _by_subject("council.motion")
    stored: dict[int, list[list[Any]]] = {}
    for row in db.session.scalars(select(MotionVoteRecord).order_by(MotionVoteRecord.id)):
        stored.setdefault(row.motion_id, []).append([row.member_id, row.choice])
        logged = cast.get((row.motion_id, row.member_id))
        where = f"motion {row.motion_id}"
        if logged is None:
            # Votes cast before the per-vote leaf existed are covered by the close's record.
            if f"motion:{row.motion_id}" not in closed:
                yield Finding(where, f"a vote by user {row.member_id} is not in the log")
        elif logged != row.choice:
            yield Finding(
                where, f"user {row.member_id}'s vote is {row.choice}, the log says {logged}"
            )
    for (motion_id, member_id), _choice in sorted(cast.items()):
        if [member_id, _choice] not in stored.get(motion_id, []) and not any(
            m == member_id for m, _c in stored.get(motion_id, [])
        ):
            yield Finding(f"motion {motion_id}", f"user {member_id}'s logged vote was deleted")
    for motion in db.session.scalars(select(Motion).order_by(Motion.id)):
        record = closed.get(f"motion:{motion.id}")
        where = f"motion {motion.id}"
        if record is None:
            if motion.state in ("passed", "failed"):
                yield Finding(where, f"is {motion.state} but its close is not in the log")
            continue
        if record.get("outcome") != motion.state:
            yield Finding(where, f"is {motion.state}, the log closed it as {record.get('outcome')}")
        if "vote_ids" in record and sorted(stored.get(motion.id, [])) != record["vote_ids"]:
            yield Finding(where, "its votes differ from the votes logged at its close")


def audit_communities(_keyring: KeyRing) -> Iterator[Finding]:
    latest = kinds.latest_by_subject(*COMMUNITY_TYPES)
    for community in db.session.scalars(select(Community).order_by(Community.id)):
        where = f"community {community.id} ({community.name})"
        found = latest.get(f"community:{community.id}")
        logged_state = found[2].get("state") if found else None
        if community.state == "certified" and logged_state != "certified":
            yield Finding(
                where, f"is certified but its last logged step left it {logged_state or 'unlogged'}"
            )
        elif logged_state in ("rejected", "revoked") and community.state != logged_state:
            yield Finding(where, f"is {community.state} but the log left it {logged_state}")


def audit_charter(_keyring: KeyRing) -> Iterator[Finding]:
    adopted = {int(r["version"]): r for _i, _s, r in kinds.records("charter.adopted")}
    stored = set()
    for version in db.session.scalars(select(CharterVersion).order_by(CharterVersion.version)):
        stored.add(version.version)
        where = f"charter version {version.version}"
        try:
            digest = charter_digest(version.text, json.loads(version.rules_json), version.version,
                                    version.text_zh)
        except (ValueError, TypeError) as exc:
            yield Finding(where, f"its rules cannot be read: {exc}")
            continue
        if digest != version.sha256:
            yield Finding(where, "its text or rules no longer match its digest: edited")
        record = adopted.get(version.version)
        if record is None:
            yield Finding(where, "no charter.adopted leaf adopted it")
        elif record.get("sha256") != version.sha256 or record.get("adopted_by") != (
            version.adopted_by
        ):
            yield Finding(where, "differs from the version the log adopted")
    for missing in sorted(set(adopted) - stored):
        yield Finding(f"charter version {missing}", "adopted in the log but deleted")
