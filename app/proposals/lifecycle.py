"""The proposal lifecycle: the one door for a proposal's state change.

`move` loads the facts, asks `governance.proposals` whether the step is allowed and records it
(the event row, the new state, the audit); everything that changes a proposal's state, the seal
included, goes through here. Also the app's side of the charter's proposal rules (fields, vote
parameters, the voting window)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import gettext

from app.audit import service as audit
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals.models import ProposalEvent
from app.translog import kinds
from app.translog import service as translog
from ballots.records import format_time
from governance.charter import CharterRules
from governance.proposals import TransitionContext, TransitionError, transition
from governance.proposals import validate_proposal_fields as _validate
from governance.proposals import vote_parameters as _vote_parameters
from governance.transitions import Actor

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.proposals.models import Proposal

# The charter names methods for people; the ballots core and the result use the spec's names.
METHODS = {"yes_no": "binary", "choice": "single", "approval": "approval"}
LifecycleError = TransitionError


@dataclass(frozen=True)
class Draft:
    kind: str
    title: str
    body: str
    fields: dict[str, Any]
    options: list[str]


def actor_of(user: User | None) -> Actor:
    if user is None:
        return Actor.system()
    role = user.acting_role  # an administrator the log does not back acts as an owner
    roles = {"owner"} if role != "admin" else set()
    if role in ("council", "admin"):
        roles.add("council")
    if role == "admin":
        roles.add("admin")
    return Actor(user.id, frozenset(roles))


def next_state(
    proposal: Proposal,
    action: str,
    user: User | None,
    *,
    now: datetime | None = None,
    reason: str = "",
    cosign_count: int = 0,
    already_cosigned: bool = False,
    passed_motion: str | None = None,
    cosign_required: int | None = None,
) -> str:
    if cosign_required is None:
        cosign_required = cosigns_needed(proposal, charter.current_rules())
    ctx = TransitionContext(
        author_id=proposal.author_id,
        now=now or utcnow(),
        cosign_required=cosign_required,
        cosign_count=cosign_count,
        already_cosigned=already_cosigned,
        opens_at=proposal.opens_at,
        closes_at=proposal.closes_at,
        passed_motion=passed_motion,
        reason=reason,
        referral=proposal.kind == "council_referral",
    )
    return transition(proposal.state, action, actor=actor_of(user), ctx=ctx).state


def draft_fields(draft: Draft, method: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"title": draft.title, "body": draft.body, **draft.fields}
    options = [o.strip() for o in draft.options if o.strip()]
    if method == "choice" or options:
        fields["options"] = options
    return fields


def field_problems(draft: Draft, rules: CharterRules) -> list[tuple[str, str]]:
    try:
        method = rules.voting.kind(draft.kind).method
    except KeyError:
        return [("kind", f"unknown kind {draft.kind!r}")]
    return _validate(draft.kind, draft_fields(draft, method), rules)


def vote_parameters(kind: str, rules: CharterRules, fields: Mapping[str, Any]) -> Any:
    params = _vote_parameters(kind, rules, fields)
    return params, METHODS[params.method]


def cosigns_needed(proposal: Proposal, rules: CharterRules) -> int:
    return rules.voting.kind(proposal.kind).cosign_required


def window_problems(
    opens_at: datetime, closes_at: datetime, now: datetime, rules: CharterRules
) -> list[tuple[str, str]]:
    problems = []
    if opens_at < now:
        problems.append(("opens_at", gettext("the vote would open in the past")))
    lo, hi = rules.voting.min_hours, rules.voting.max_hours
    if not timedelta(hours=lo) <= closes_at - opens_at <= timedelta(hours=hi):
        problems.append(
            ("closes_at", gettext("a vote lasts %(lo)s to %(hi)s hours; %(article)s", lo=lo, hi=hi,
                                  article=rules.article("voting.period")))
        )
    return problems


def record_transition(
    proposal: Proposal,
    action: str,
    to_state: str,
    *,
    actor_id: int | None,
    reason: str = "",
    at: datetime | None = None,
) -> ProposalEvent:
    event = ProposalEvent(
        proposal_id=proposal.id,
        action=action,
        from_state=proposal.state,
        to_state=to_state,
        actor_id=actor_id,
        reason=reason,
        at=at or utcnow(),
    )
    kind = kinds.PROPOSAL_ACTIONS.get(action)
    if kind is not None:
        record = kinds.proposal_step(kind, proposal.id, proposal.state, to_state, reason, event.at)
        if action == "accept" and proposal.opens_at and proposal.closes_at:
            record["opens_at"] = format_time(proposal.opens_at)
            record["closes_at"] = format_time(proposal.closes_at)
        translog.append(kind, proposal.id, record, at=event.at)
    proposal.state = to_state
    db.session.add(event)
    audit.record(f"proposal.{action}", actor_id=actor_id, subject=proposal.id, reason=reason)
    return event


def move(
    proposal: Proposal,
    action: str,
    actor: User | None,
    reason: str = "",
    *,
    now: datetime | None = None,
    **facts: Any,
) -> None:
    """Check the step against the lifecycle rules in `governance`, then record it."""
    to_state = next_state(proposal, action, actor, now=now, reason=reason, **facts)
    record_transition(
        proposal, action, to_state, actor_id=actor.id if actor else None, reason=reason, at=now
    )
