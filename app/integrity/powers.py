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

from app.accounts.models import User
from app.charter.models import CharterVersion
from app.communities.models import Community
from app.core.extensions import db
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
    seated = _by_subject("council.seated")
    vacated = _by_subject("council.vacated")
    stored = set()
    for seat in db.session.scalars(select(CouncilSeat).order_by(CouncilSeat.id)):
        subject = f"seat:{seat.id}"
        stored.add(subject)
        where = f"council seat {seat.id} ({seat.role})"
        record = seated.get(subject)
        if record is None:
            yield Finding(where, "no council.seated leaf seated it: the row was inserted")
            continue
        member = db.session.get(User, seat.member_id)
        found = {
            "role": seat.role,
            "term_start": _time(seat.term_start),
            "term_end": _time(seat.term_end),
            "elected_by": seat.elected_by,
        }
        changed = [k for k, v in found.items() if record.get(k) != v]
        if "member_id" in record:
            if record["member_id"] != seat.member_id:
                changed.append("member")
        elif member is None or record.get("member") != member.display_name:
            changed.append("member")
        if changed:
            yield Finding(where, f"{', '.join(changed)} differ from the logged seating")
        ended = vacated.get(subject)
        if ended is not None and _time(seat.vacated_at) != ended.get("vacated_at"):
            yield Finding(where, "was vacated in the log but the row says otherwise")
        if ended is None and seat.vacated_at is not None:
            yield Finding(where, "is marked vacated but no council.vacated leaf says so")
    for subject in sorted(set(seated) - stored):
        yield Finding(f"council {subject}", "seated in the log but the row was deleted")


def audit_roles(_keyring: KeyRing) -> Iterator[Finding]:
    """Administrators need an `account.role` grant in the log; council members a seat."""
    granted: dict[int, bool] = {}
    for _i, _s, record in kinds.records(kinds.ACCOUNT_ROLE):
        granted[int(record["user"])] = bool(record["granted"])
    seat_holders = set(db.session.scalars(select(CouncilSeat.member_id)))
    for user in db.session.scalars(
        select(User).where(User.role.in_(("admin", "council"))).order_by(User.id)
    ):
        where = f"user {user.id} ({user.login_name})"
        if user.role == "admin" and not granted.get(user.id):
            yield Finding(where, "is an administrator but no account.role leaf granted it")
        if user.role == "council" and user.id not in seat_holders:
            yield Finding(where, "has the council role but has never held a council seat")


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
