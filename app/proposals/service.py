"""From an owner's idea to a scheduled vote: drafting, co-signing, council review, scheduling,
opening (which freezes the roll), closing. Sealing, and what it sets in motion, is
app.decisions.votes.close_and_seal."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import recall, seats
from app.council.models import Motion
from app.proposals import lifecycle
from app.proposals.lifecycle import Draft as Draft
from app.proposals.lifecycle import move as move
from app.proposals.lifecycle import record_transition as record_transition
from app.proposals.models import Cosignature, Proposal, ProposalEvent
from app.proposals.spec import vote_spec
from app.secret import ceremony
from app.secret import seal as secret_seal
from app.translog import service as translog
from app.voting import service as voting
from app.voting.locks import hold_vote_exclusive
from app.voting.roll import roll_root
from ballots.records import format_time
from governance.refusals import N_, Param, Refusal

BINARY_OPTIONS = [
    {"id": "yes", "label": "Yes"},
    {"id": "no", "label": "No"},
    {"id": "abstain", "label": "Abstain"},
]


class ProposalError(Refusal):
    """A refused request, with its code; `problems` lists (field, message) pairs when there are
    several (each message a governance.refusals.Problem where the rules gave one)."""

    def __init__(
        self, code: str, template: str, problems: list[tuple[str, str]] | None = None,
        **params: Param,
    ) -> None:
        super().__init__(code, template, **params)
        self.problems = problems or []


def get(proposal_id: str) -> Proposal | None:
    return db.session.get(Proposal, proposal_id)


def visible_to(proposal: Proposal, user: Any) -> bool:
    """Drafts are their author's (and the council's, which reviews them) until submitted;
    everything after is public. Every page and action on a proposal asks this one rule."""
    if proposal.state != "draft":
        return True
    return bool(
        user is not None
        and user.is_authenticated
        and (user.id == proposal.author_id or user.is_council)
    )


def events(proposal_id: str) -> list[ProposalEvent]:
    return list(
        db.session.scalars(
            select(ProposalEvent)
            .where(ProposalEvent.proposal_id == proposal_id)
            .order_by(ProposalEvent.at, ProposalEvent.id)
        )
    )


def _option_ids(labels: list[str]) -> list[dict[str, str]]:
    options, seen = [], set()
    for position, label in enumerate(labels, start=1):
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:40]
        option_id = slug if slug and slug not in seen else f"option-{position}"
        seen.add(option_id)
        options.append({"id": option_id, "label": label})
    return options


def _display_name(user_id: int) -> str:
    user = db.session.get(User, user_id)
    return user.display_name if user else f"#{user_id}"


def _next_id(now: datetime) -> str:
    prefix = f"{now.year}-"
    count = db.session.scalar(
        select(func.count()).select_from(Proposal).where(Proposal.id.like(prefix + "%"))
    )
    return f"{prefix}{(count or 0) + 1:03d}"


def create_draft(author: User, draft: Draft, now: datetime | None = None) -> Proposal:
    now = now or utcnow()
    version = charter.require_current()
    rules = charter.rules_of(version)
    problems = lifecycle.field_problems(draft, rules)
    if problems:
        raise ProposalError(
            "proposal.problems", N_("The proposal has problems; nothing was saved."), problems)
    if draft.kind == "recall_member":
        recall.check(draft.fields, now)  # a running seat, held by the member it names
    params, method = lifecycle.vote_parameters(draft.kind, rules, draft.fields)
    if method == "binary":
        options = BINARY_OPTIONS
    elif draft.kind == "council_election":
        options = [
            {"id": f"candidate-{user_id}", "label": _display_name(user_id)}
            for user_id in draft.fields["candidates"]
        ]
    else:
        options = _option_ids([label.strip() for label in draft.options if label.strip()])
    for attempt in range(5):
        proposal = Proposal(
            id=_next_id(now),
            kind=draft.kind,
            title=draft.title.strip(),
            body=draft.body,
            author_id=author.id,
            state="draft",
            method=method,
            options_json=json.dumps(options, ensure_ascii=False),
            payload_json=json.dumps(draft.fields, ensure_ascii=False, sort_keys=True),
            weight_rule=params.weight_rule,
            eligibility_min=params.eligibility_min,
            quorum_num=params.quorum[0],
            quorum_den=params.quorum[1],
            threshold_num=params.threshold[0],
            threshold_den=params.threshold[1],
            seats=params.seats,
            charter_version=version.version,
            secrecy=rules.voting.kind(draft.kind).secrecy,
            created_at=now,
        )
        try:
            # A savepoint: losing the race undoes this row only, not the caller's work.
            with db.session.begin_nested():
                db.session.add(proposal)
        except IntegrityError:
            # Two authors took the same number at once; the loser takes the next one.
            if attempt == 4:
                raise
            continue
        record_transition(proposal, "create", "draft", actor_id=author.id, at=now)
        proposal.state = "draft"
        return proposal
    raise AssertionError("unreachable")


def submit(proposal: Proposal, actor: User, now: datetime | None = None) -> None:
    move(proposal, "submit", actor, now=now)


def cosign_count(proposal_id: str) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Cosignature)
            .where(Cosignature.proposal_id == proposal_id)
        )
        or 0
    )


def cosigners(proposal_id: str) -> list[tuple[int, str, datetime]]:
    """Who co-signed, in the order they signed: (user id, display name, when)."""
    rows = db.session.execute(
        select(User.id, User.display_name, Cosignature.at)
        .join(Cosignature, Cosignature.owner_id == User.id)
        .where(Cosignature.proposal_id == proposal_id)
        .order_by(Cosignature.at, Cosignature.id)
    )
    return [(int(uid), str(name), at) for uid, name, at in rows]


def cosign(proposal: Proposal, owner: User, now: datetime | None = None) -> int:
    """Add an owner's co-signature; with enough of them the author can schedule the vote."""
    already = db.session.scalar(
        select(Cosignature.id).where(
            Cosignature.proposal_id == proposal.id, Cosignature.owner_id == owner.id
        )
    )
    count = cosign_count(proposal.id)
    move(
        proposal, "cosign", owner, now=now, cosign_count=count, already_cosigned=already is not None
    )
    try:
        with db.session.begin_nested():
            db.session.add(Cosignature(proposal_id=proposal.id, owner_id=owner.id))
    except IntegrityError:
        # The caller rolls back the refused request (the co-sign step included).
        raise ProposalError(
            "proposal.cosigned_twice", N_("You have already co-signed this proposal.")) from None
    return count + 1


def _set_window(proposal: Proposal, opens_at: datetime, closes_at: datetime, now: datetime) -> None:
    problems = lifecycle.window_problems(opens_at, closes_at, now, charter.current_rules())
    if problems:
        raise ProposalError(
            "proposal.window", N_("The voting window breaks the charter."), problems)
    proposal.opens_at = opens_at
    proposal.closes_at = closes_at


def schedule(
    proposal: Proposal,
    actor: User,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime | None = None,
) -> None:
    """Co-signature path: once enough owners co-signed, the author puts it on the ballot."""
    now = now or utcnow()
    _set_window(proposal, opens_at, closes_at, now)
    move(proposal, "schedule", actor, now=now, cosign_count=cosign_count(proposal.id))


def schedule_referral(
    proposal: Proposal, opens_at: datetime, closes_at: datetime, now: datetime | None = None
) -> None:
    """Put a question the council could not decide (charter fallback) on the owners' ballot."""
    now = now or utcnow()
    _set_window(proposal, opens_at, closes_at, now)
    move(proposal, "schedule", None, now=now)


def accept(
    proposal: Proposal,
    actor: User,
    opens_at: datetime,
    closes_at: datetime,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """Council path: once the council passed an accept_proposal motion about it, the proposal
    goes on the ballot and gets its window."""
    now = now or utcnow()
    motion = _passed_motion(proposal, "accept_proposal")
    _set_window(proposal, opens_at, closes_at, now)
    reason = reason or f"council motion {motion.id}"
    move(proposal, "accept", actor, reason, now=now, passed_motion=motion.kind)


def reject(proposal: Proposal, actor: User, reason: str) -> None:
    motion = _passed_motion(proposal, "reject_proposal")
    move(
        proposal,
        "reject",
        actor,
        reason or motion.body or f"council motion {motion.id}",
        passed_motion=motion.kind,
    )


def _passed_motion(proposal: Proposal, kind: str) -> Any:
    # The motion's row, read directly: proposals sit below the council's services, which put
    # undecidable questions to the owners through this module.
    motion = db.session.scalar(
        select(Motion)
        .where(Motion.kind == kind, Motion.subject == f"proposal:{proposal.id}",
               Motion.state == "passed")
        .order_by(Motion.closed_at.desc(), Motion.id.desc())
        .limit(1)
    )
    if motion is None:
        raise ProposalError(
            "proposal.motion_needed",
            N_("This needs a passed council motion about the proposal, of kind: %(kind)s."),
            kind=kind)
    return motion


def withdraw(proposal: Proposal, actor: User, reason: str = "") -> None:
    move(proposal, "withdraw", actor, reason)


def open_vote(proposal: Proposal, now: datetime | None = None) -> None:
    """Freeze the roll and open voting; the roll's root goes into the public log at once."""
    now = now or utcnow()
    move(proposal, "open", None, now=now)
    if proposal.secrecy == "secret":
        try:
            ceremony.start(proposal, now, seats.seated_member_ids(now))
        except ceremony.CeremonyRefused as exc:
            raise ProposalError("proposal.no_trustees", "%(why)s", why=str(exc)) from None
    summary = voting.freeze_roll(proposal, now)
    translog.append(
        "proposal.opened",
        proposal.id,
        {
            "type": "proposal.opened",
            "proposal": vote_spec(proposal).to_json(),
            "charter_version": proposal.charter_version,
            "secrecy": proposal.secrecy,
            "roll": {
                "size": summary.size,
                "total_weight": summary.total_weight,
                "root": roll_root(proposal.id).hex(),
            },
            "opened_at": format_time(now),
        },
        at=now,
    )


def close_vote(proposal: Proposal, now: datetime | None = None) -> None:
    now = now or utcnow()
    hold_vote_exclusive(proposal.id)
    db.session.refresh(proposal)
    move(proposal, "close", None, now=now)
    if proposal.secrecy == "secret":
        secret_seal.freeze_tally(proposal, now)
