"""The app's side of the proposal lifecycle: load the facts, ask `governance`, get an answer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import gettext

from app.core.db_types import utcnow
from governance.charter import CharterRules
from governance.proposals import TransitionContext, TransitionError, transition
from governance.proposals import validate_proposal_fields as _validate
from governance.proposals import vote_parameters as _vote_parameters
from governance.transitions import Actor

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.proposals.models import Proposal
    from app.proposals.service import Draft

# The charter names methods for people; the ballots core and the result use the spec's names.
METHODS = {"yes_no": "binary", "choice": "single", "approval": "approval"}
LifecycleError = TransitionError


def actor_of(user: User | None) -> Actor:
    if user is None:
        return Actor.system()
    roles = {"owner"} if user.role != "admin" else set()
    if user.role in ("council", "admin"):
        roles.add("council")
    if user.role == "admin":
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
    from app.charter import service as charter

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
