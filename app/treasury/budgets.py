"""Budgets: authorised by a passed `spending` vote or, in an emergency, by a passed council
motion within the charter's yearly cap, then ratified by the owners or a later motion."""

from __future__ import annotations

import json
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.council.models import Motion
from app.proposals.models import Proposal
from app.results.reads import current_result, sealed_outcome
from app.translog import service as translog
from app.treasury.ledger import (
    EMERGENCY_KIND,
    TreasuryError,
    lock,
    overdue_ids,
    request_problems,
    write,
)
from app.treasury.models import (
    Budget,
)
from ballots.records import format_time
from governance.refusals import N_
from governance.treasury import (
    budget_authorisation,
    check_emergency,
    check_ratification,
    emergency_used_in_year,
    ratification_due,
)


def _passed(proposal_id: str) -> bool:
    row = current_result(proposal_id)
    return row is not None and sealed_outcome(row) == "passed"


def _authorise(budget: Budget, reference: str, at: datetime) -> None:
    write("budget_authorised", "bud",
           lambda txn: budget_authorisation(txn, budget.id, budget.amount_fen, reference),
           at=at, description=budget.title)
    budget.authorised_at = at
    translog.append("budget.authorised", f"budget:{budget.id}", {
        "type": "budget.authorised", "budget": budget.id, "source": budget.source,
        "proposal": budget.proposal_id, "motion": budget.motion_id,
        "amount_fen": budget.amount_fen, "category": budget.category,
        "purpose": budget.purpose, "beneficiary": budget.beneficiary,
        "ratification_due": format_time(budget.ratification_due)
        if budget.ratification_due else None,
        "at": format_time(at),
    }, at=at)
    audit.record("treasury.budget_authorised", subject=budget.id, amount_fen=budget.amount_fen,
                 reference=reference)


def authorise_budget_from_result(proposal_id: str) -> Budget | None:
    """`authorise_budget` from the stored seal (a re-run: the repair command, tests)."""
    existing = db.session.scalar(select(Budget).where(Budget.proposal_id == proposal_id))
    if existing is not None:
        return existing
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.kind != "spending":
        return None
    return authorise_budget(proposal, _passed(proposal_id))


def authorise_budget(proposal: Proposal, passed: bool, *,
                     at: datetime | None = None) -> Budget | None:
    """A sealed `spending` vote that passed becomes a budget; idempotent, None if not passed.

    The decisions layer calls this with the sealed outcome, in the seal's transaction, and the
    seal's time: the budget exists from the moment its vote was sealed.
    """
    proposal_id = proposal.id
    existing = db.session.scalar(select(Budget).where(Budget.proposal_id == proposal_id))
    if existing is not None:
        return existing
    if proposal.kind != "spending" or not passed:
        return None
    lock()
    payload = json.loads(proposal.payload_json)
    budget = Budget(
        id=proposal_id.lower(), source="proposal", proposal_id=proposal_id,
        title=proposal.title, amount_fen=int(payload["amount_fen"]),
        category=payload["category"], beneficiary=payload.get("beneficiary", ""),
        purpose=payload.get("purpose", "") or proposal.title, created_at=at or utcnow(),
    )
    db.session.add(budget)
    db.session.flush()
    _authorise(budget, f"proposal:{proposal_id}", at or utcnow())
    return budget


def emergency_used(year: int, *, excluding: str | None = None) -> int:
    rows = db.session.execute(select(Budget.authorised_at, Budget.amount_fen).where(
        Budget.source == "emergency", Budget.authorised_at.is_not(None),
        Budget.id != (excluding or "")))
    return emergency_used_in_year(((at, int(amount)) for at, amount in rows), year)


def propose_emergency(
    member: User, title: str, amount_fen: int, category: str, beneficiary: str, purpose: str,
    *, now: datetime | None = None,
) -> Budget:
    """Open a council emergency motion for spending without a prior owners' vote."""
    rules = charter.current_rules()
    now = now or utcnow()
    lock()
    problems = check_ratification(overdue_ids(now), rules)
    problems += check_emergency(amount_fen, emergency_used(now.year), rules)
    problems += request_problems(category, beneficiary, purpose, rules)
    if not council.is_seated(member, now):
        problems.append(rules.violation(
            "council.members_only", N_("only a seated council member proposes emergency spending")))
    if problems:
        raise TreasuryError(gettext("The emergency spending was refused."), problems)
    count = db.session.scalar(select(func.count()).select_from(Budget).where(
        Budget.source == "emergency")) or 0
    budget_id = f"emergency-{count + 1}"
    try:
        motion = council.open_motion(
            member, EMERGENCY_KIND, f"emergency:{budget_id}", title[:200],
            # The member's own words; amount and purpose are shown from the budget it creates.
            purpose, now=now,
        )
    except council.MotionError as exc:
        raise TreasuryError(gettext("The emergency motion was refused."), [],
                            refusal=exc) from None
    budget = Budget(id=budget_id, source="emergency", motion_id=motion.id, title=title[:200],
                    amount_fen=amount_fen, category=category, beneficiary=beneficiary,
                    purpose=purpose, created_at=now)
    db.session.add(budget)
    db.session.flush()
    audit.record("treasury.emergency_proposed", actor_id=member.id, subject=budget_id,
                 motion=motion.id, amount_fen=amount_fen)
    return budget


def authorise_emergency(budget_id: str) -> Budget:
    """Once its motion has passed, the emergency budget is written to the ledger (idempotent)."""
    budget = db.session.get(Budget, budget_id)
    if budget is None or budget.source != "emergency" or budget.motion_id is None:
        raise TreasuryError(gettext("There is no emergency budget %(id)s.", id=budget_id))
    if budget.authorised_at is not None:
        return budget
    motion = db.session.get(Motion, budget.motion_id)
    if motion is None or motion.state != "passed" or motion.closed_at is None:
        raise TreasuryError(gettext("Motion %(id)s has not passed.", id=budget.motion_id))
    rules = charter.current_rules()
    lock()
    decided = motion.closed_at
    problems = check_emergency(budget.amount_fen,
                               emergency_used(decided.year, excluding=budget.id), rules)
    if problems:
        raise TreasuryError(gettext("The emergency spending exceeds the charter's cap."), problems)
    budget.ratification_due = ratification_due(decided, rules)
    _authorise(budget, f"motion:{motion.id}", decided)
    return budget


def ratify_emergency(
    actor: User | None, budget_id: str, *, proposal_id: str | None = None,
    motion_id: int | None = None,
) -> Budget:
    """Record that the owners ratified the spending: a sealed, passed ``emergency_ratification``
    vote about this budget. A council motion never ratifies (the charter puts it to the owners).
    """
    budget = db.session.get(Budget, budget_id)
    if budget is None or budget.source != "emergency" or budget.authorised_at is None:
        raise TreasuryError(
            gettext("There is no authorised emergency budget %(id)s.", id=budget_id))
    if budget.ratified_at is not None:
        raise TreasuryError(gettext("Budget %(id)s is already ratified by %(by)s.", id=budget_id,
                                     by=budget.ratified_by))
    rules = charter.current_rules()
    proposal = db.session.get(Proposal, proposal_id) if proposal_id else None
    if proposal is None or proposal.kind != "emergency_ratification" or json.loads(
        proposal.payload_json
    ).get("budget") != budget_id:
        raise TreasuryError(gettext("The ratification was refused."), [rules.violation(
            "spending.ratification",
            N_("only an owners' ratification vote about budget %(budget)s ratifies it"),
            budget=budget_id)])
    if not _passed(proposal.id):
        raise TreasuryError(gettext("Proposal %(id)s has no sealed, passed result.",
                                     id=proposal.id))
    by = f"proposal:{proposal.id}"
    sealed = current_result(proposal.id)
    # Ratified when the owners' vote was sealed, not when someone noticed.
    budget.ratified_at = sealed.sealed_at if sealed is not None else utcnow()
    budget.ratified_by = by
    translog.append("budget.ratified", f"budget:{budget.id}", {
        "type": "budget.ratified", "budget": budget.id, "by": by,
        "at": format_time(budget.ratified_at),
    })
    audit.record("treasury.ratified", actor_id=actor.id if actor else None, subject=budget.id,
                 by=by)
    return budget


def sync_budgets() -> list[str]:
    """Authorise every passed spending vote and passed emergency motion not yet in the ledger.

    A repair, not a routine: app.decisions runs each consequence when its vote is sealed or its
    motion closed, so on a healthy trust this finds nothing. It catches up a database written
    before the decisions layer, or a motion closed by hand outside it (the operator's
    `flask treasury sync-budgets`).
    """
    done = []
    sealed = db.session.scalars(select(Proposal.id).where(
        Proposal.kind == "spending", Proposal.state == "sealed")).all()
    for proposal_id in sealed:
        if db.session.scalar(select(Budget.id).where(Budget.proposal_id == proposal_id)):
            continue
        if authorise_budget_from_result(proposal_id) is not None:
            done.append(f"budget {proposal_id.lower()} authorised by proposal {proposal_id}")
    waiting = db.session.scalars(select(Budget).join(Motion, Motion.id == Budget.motion_id).where(
        Budget.authorised_at.is_(None), Motion.state == "passed")).all()
    for budget in waiting:
        try:
            authorise_emergency(budget.id)
        except TreasuryError as exc:
            done.append(f"budget {budget.id} refused: {exc}")
        else:
            done.append(f"emergency budget {budget.id} authorised by motion {budget.motion_id}")
    done.extend(_ratify_by_owners())
    return done


def carry_out(motion: Motion) -> list[str]:
    """The consequence of one closed treasury motion (subject `emergency:<budget id>`).

    A passed emergency motion authorises its budget (within the charter's cap, checked again
    now). A council motion never ratifies: the owners do, by vote (``ratify_by_vote``).
    Anything else changes nothing. A cap refusal is reported, not raised: the motion's outcome
    stands either way.
    """
    if motion.state != "passed" or not motion.subject.startswith("emergency:"):
        return []
    budget = db.session.get(Budget, motion.subject.removeprefix("emergency:"))
    if budget is None:
        return []
    if motion.kind == EMERGENCY_KIND and budget.motion_id == motion.id:
        if budget.authorised_at is not None:
            return []
        try:
            authorise_emergency(budget.id)
        except TreasuryError as exc:
            return [f"budget {budget.id} refused: {exc}"]
        return [f"emergency budget {budget.id} authorised by motion {motion.id}"]
    return []


def ratify_by_vote(proposal: Proposal, passed: bool) -> list[str]:
    """A sealed ``emergency_ratification`` vote: if it passed, the budget it names is ratified."""
    budget_id = json.loads(proposal.payload_json).get("budget")
    budget = db.session.get(Budget, budget_id) if isinstance(budget_id, str) else None
    if not passed or budget is None or budget.ratified_at is not None:
        return []
    ratify_emergency(None, budget.id, proposal_id=proposal.id)
    return [f"emergency budget {budget.id} ratified by the owners' vote {proposal.id}"]


def _ratify_by_owners() -> list[str]:
    """A sealed, passed ``emergency_ratification`` vote ratifies the budget it names."""
    done = []
    unratified = {b.id for b in db.session.scalars(select(Budget).where(
        Budget.source == "emergency", Budget.authorised_at.is_not(None),
        Budget.ratified_at.is_(None)))}
    if not unratified:
        return done
    for proposal in db.session.scalars(select(Proposal).where(
            Proposal.kind == "emergency_ratification", Proposal.state == "sealed")
            .order_by(Proposal.id)):
        budget_id = json.loads(proposal.payload_json).get("budget")
        if budget_id in unratified and _passed(proposal.id):
            ratify_emergency(None, budget_id, proposal_id=proposal.id)
            unratified.discard(budget_id)
            done.append(f"emergency budget {budget_id} ratified by the owners' vote {proposal.id}")
    return done


def overdue(budget: Budget, now: datetime | None = None) -> bool:
    return (budget.ratification_due is not None and budget.ratified_at is None
            and (now or utcnow()) >= budget.ratification_due)
