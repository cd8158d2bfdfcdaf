"""Nominations (Art. 11.5 of the demo charter): a candidacy is pending until the charter's number
of owners on the roll have each nominated the candidate in their own account, before the
candidacy's nomination deadline. The rules are governance.nominations; each nomination is a
public log leaf, so `flask trust audit` can re-count what an election relied on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council.models import Candidacy, Nomination
from app.translog import service as translog
from ballots.records import format_time
from governance import nominations as rules_of
from governance.charter import CharterRules
from governance.refusals import Refusal

NOMINATED = "council.nominated"


class NominationError(Refusal):
    """A nomination that cannot be given."""


def on_roll(owner: User, rules: CharterRules, now: datetime) -> bool:
    """Would the owner be on a roll frozen now (growth value at least the charter's minimum)?"""
    from app.growth import ledger

    if owner.is_admin or not owner.is_active:
        return False
    return ledger.balance(owner.id, now) >= max(1, rules.voting.eligibility_min)


def deadline_for(registered_at: datetime, rules: CharterRules) -> datetime | None:
    if not rules_of.required(rules):
        return None
    return rules_of.nomination_deadline(registered_at, rules)


def given(candidacy: Candidacy) -> int:
    """Nominations owners gave in their own accounts by the candidacy's deadline."""
    query = select(func.count()).select_from(Nomination).where(
        Nomination.candidacy_id == candidacy.id)
    if candidacy.nomination_deadline is not None:
        query = query.where(Nomination.given_at <= candidacy.nomination_deadline)
    return db.session.scalar(query) or 0


def counts(candidacy_ids: list[int]) -> dict[int, int]:
    """``given`` for many candidacies at once (a page of candidates)."""
    if not candidacy_ids:
        return {}
    rows = db.session.execute(
        select(Nomination.candidacy_id, func.count())
        .join(Candidacy, Candidacy.id == Nomination.candidacy_id)
        .where(Nomination.candidacy_id.in_(candidacy_ids),
               (Candidacy.nomination_deadline.is_(None))
               | (Nomination.given_at <= Candidacy.nomination_deadline))
        .group_by(Nomination.candidacy_id))
    found = {int(cid): int(n) for cid, n in rows}
    return {cid: found.get(cid, 0) for cid in candidacy_ids}


def stands(candidacy: Candidacy, rules: CharterRules | None = None) -> bool:
    """Has the candidate the charter's number of nominations (given in time)?"""
    rules = rules or charter.current_rules()
    if not rules_of.required(rules):
        return True
    return rules_of.stands(given(candidacy), rules)


def nominators(candidacy: Candidacy) -> list[tuple[int, str, datetime]]:
    """Who nominated, in order: (user id, display name, when)."""
    rows = db.session.execute(
        select(User.id, User.display_name, Nomination.given_at)
        .join(Nomination, Nomination.owner_id == User.id)
        .where(Nomination.candidacy_id == candidacy.id)
        .order_by(Nomination.given_at, Nomination.id))
    return [(int(uid), str(name), at) for uid, name, at in rows]


def has_nominated(candidacy: Candidacy, owner: User) -> bool:
    return db.session.scalar(select(Nomination.id).where(
        Nomination.candidacy_id == candidacy.id, Nomination.owner_id == owner.id)) is not None


def refusal(candidacy: Candidacy, owner: User, now: datetime | None = None) -> Refusal | None:
    """Why ``owner`` may not nominate this candidate now (None: they may)."""
    now = now or utcnow()
    rules = charter.current_rules()
    ctx = rules_of.NominationContext(
        candidate_id=candidacy.user_id,
        nominator_id=owner.id,
        now=now,
        deadline=candidacy.nomination_deadline or now,
        open=candidacy.proposal_id is None and candidacy.withdrawn_at is None,
        on_roll=on_roll(owner, rules, now),
        already_given=has_nominated(candidacy, owner),
    )
    reason = rules_of.nomination_refusal(ctx, rules)
    return None if reason is None else NominationError.of(reason)


def nominate(candidacy: Candidacy, owner: User, now: datetime | None = None) -> int:
    """``owner`` nominates the candidate in their own account; returns the count given."""
    now = now or utcnow()
    why = refusal(candidacy, owner, now)
    if why is not None:
        raise why
    row = Nomination(candidacy_id=candidacy.id, owner_id=owner.id, given_at=now)
    db.session.add(row)
    db.session.flush()
    translog.append(NOMINATED, f"candidacy:{candidacy.id}", {
        "type": NOMINATED,
        "candidacy": candidacy.id,
        "role": candidacy.role,
        "candidate_id": candidacy.user_id,
        "nominator_id": owner.id,
        "given_at": format_time(now),
    }, at=now)
    audit.record("council.nominated", actor_id=owner.id, subject=f"candidacy:{candidacy.id}")
    return given(candidacy)
