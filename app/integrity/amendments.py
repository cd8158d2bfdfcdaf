"""`flask trust audit`, the protector's window: no charter amendment took effect before the
log allowed it.

A version adopted by an amendment voted under a charter with a protector's window must follow
a `charter.amendment_scheduled` leaf, and take effect no earlier than that leaf's time, or
the end of the protector's hold (`charter.amendment_held`), or the protector's release
(`charter.amendment_released`). A waiting amendment's row must say what its leaves say.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from app.charter.models import CharterVersion, PendingAmendment
from app.charter.protector import HELD, RELEASED, SCHEDULED
from app.core.extensions import db
from app.integrity.findings import Finding
from app.proposals.models import Proposal
from app.translog import kinds
from ballots.keys import KeyRing
from ballots.records import format_time, parse_time
from governance.charter import parse_rules


def _by_subject(type_: str) -> dict[str, dict[str, Any]]:
    return {subject: record for _i, subject, record in kinds.records(type_)}


def _delays(proposal: Proposal) -> bool:
    version = db.session.scalar(
        select(CharterVersion).where(CharterVersion.version == proposal.charter_version))
    if version is None:
        return False
    return parse_rules(json.loads(version.rules_json)).protector.delays


def audit_amendments(_keyring: KeyRing) -> Iterator[Finding]:
    scheduled, held, released = (_by_subject(t) for t in (SCHEDULED, HELD, RELEASED))
    for version in db.session.scalars(
        select(CharterVersion).where(CharterVersion.adopted_by.is_not(None))
        .order_by(CharterVersion.version)
    ):
        proposal = db.session.get(Proposal, version.adopted_by)
        if proposal is None or not _delays(proposal):
            continue
        where = f"charter version {version.version}"
        subject = f"proposal:{proposal.id}"
        record = scheduled.get(subject)
        if record is None:
            yield Finding(where, "took effect without the protector's window: no "
                          f"{SCHEDULED} leaf for {proposal.id}")
            continue
        allowed = parse_time(held[subject]["takes_effect_at"]) if subject in held \
            else parse_time(record["takes_effect_at"])
        if subject in released:
            allowed = min(allowed, parse_time(released[subject]["released_at"]))
        if version.effective_at < allowed:
            yield Finding(where, f"took effect at {format_time(version.effective_at)}, before "
                          f"the earliest the log allowed ({format_time(allowed)})")
    for row in db.session.scalars(select(PendingAmendment).order_by(PendingAmendment.id)):
        subject = f"proposal:{row.proposal_id}"
        where = f"waiting charter amendment {row.proposal_id}"
        if subject not in scheduled:
            yield Finding(where, f"no {SCHEDULED} leaf scheduled it: the row was inserted")
            continue
        last = held.get(subject) or scheduled[subject]
        if format_time(row.takes_effect_at) != last["takes_effect_at"]:
            yield Finding(where, "its time to take effect differs from the log's")
        if (row.held_at is not None) != (subject in held) or (
            subject in held and held[subject]["reason"] != row.hold_reason
        ):
            yield Finding(where, "its hold differs from the log's")
