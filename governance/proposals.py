"""Proposal kinds, fields and lifecycle, as an explicit state machine.

============  ==========  ==========  ==============================================
from          action      to          who, and when
============  ==========  ==========  ==============================================
draft         submit      submitted   the author
submitted     cosign      submitted   an owner other than the author, once, only when
                                      the charter's path for the kind is co-signature
submitted     schedule    scheduled   author, admin or system, once the co-signatures
                                      reach the charter's number (co-signature path)
submitted     accept      scheduled   the council, by a passed ``accept_proposal``
                                      motion (council path: ``cosign_required == 0``)
submitted     reject      rejected    the council, by a passed ``reject_proposal``
                                      motion, with a reason (council path only)
draft         withdraw    withdrawn   the author
submitted     withdraw    withdrawn   the author
scheduled     withdraw    withdrawn   the author, before the vote opens
scheduled     open        voting      system or admin, once ``opens_at`` has come
voting        close       closed      system or admin, once ``closes_at`` has passed
closed        seal        sealed      system or admin (the result is then signed)
sealed        supersede   superseded  system or admin, naming the later proposal
============  ==========  ==========  ==============================================

Scheduling needs the voting window set, in the future, and within the charter's bounds.
Design choice: on the co-signature path the council cannot reject a proposal: owners who
gathered the co-signatures are owed a vote; a proposal that never gathers them just stays
submitted until its author withdraws it.

Methods: ``yes_no`` (for / against / abstain), ``choice`` (one of the proposal's options) and
``approval`` (council elections, several seats).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from governance.charter import (
    ROLES,
    CharterRules,
    Fraction,
)
from governance.proposal_fields import (
    BODY_MAX as BODY_MAX,
)
from governance.proposal_fields import (
    COMMON_FIELDS as COMMON_FIELDS,
)
from governance.proposal_fields import (
    KIND_FIELDS as KIND_FIELDS,
)
from governance.proposal_fields import (
    OPTIONS_MAX as OPTIONS_MAX,
)
from governance.proposal_fields import (
    TEXT_MAX as TEXT_MAX,
)
from governance.proposal_fields import (
    TITLE_MAX as TITLE_MAX,
)
from governance.proposal_fields import (
    validate_proposal_fields as validate_proposal_fields,
)
from governance.refusals import N_, Reason
from governance.transitions import (
    Actor,
    Transition,
    TransitionError,
    TransitionRecord,
    require_aware,
)

__all__ = [
    "Actor",
    "Transition",
    "TransitionContext",
    "TransitionError",
    "TransitionRecord",
    "VoteParameters",
    "allowed_actions",
    "transition",
    "validate_proposal_fields",
    "vote_parameters",
]

STATES = (
    "draft",
    "submitted",
    "scheduled",
    "voting",
    "closed",
    "sealed",
    "superseded",
    "withdrawn",
    "rejected",
)
FINAL_STATES = ("superseded", "withdrawn", "rejected")

TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("submitted", "cosign"): "submitted",
    ("submitted", "schedule"): "scheduled",
    ("submitted", "accept"): "scheduled",
    ("submitted", "reject"): "rejected",
    ("draft", "withdraw"): "withdrawn",
    ("submitted", "withdraw"): "withdrawn",
    ("scheduled", "withdraw"): "withdrawn",
    ("scheduled", "open"): "voting",
    ("voting", "close"): "closed",
    ("closed", "seal"): "sealed",
    ("sealed", "supersede"): "superseded",
}
ACTIONS = tuple(sorted({action for _, action in TRANSITIONS}))

@dataclass(frozen=True)
class TransitionContext:
    """Facts the app loads before asking for a step; only those the step needs are read."""

    author_id: int
    now: datetime
    cosign_required: int = 0
    cosign_count: int = 0
    already_cosigned: bool = False
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    passed_motion: str | None = None
    reason: str = ""
    superseded_by: str | None = None
    # A question the council could not decide (recusals): the system puts it to the owners.
    referral: bool = False

    def __post_init__(self) -> None:
        for name in ("now", "opens_at", "closes_at"):
            require_aware(getattr(self, name), name)


def allowed_actions(state: str) -> tuple[str, ...]:
    """Actions the table allows from ``state`` (guards may still refuse them)."""
    return tuple(action for (src, action) in TRANSITIONS if src == state)


def transition(state: str, action: str, *, actor: Actor, ctx: TransitionContext) -> Transition:
    """The step ``action`` from ``state``, or ``TransitionError`` saying why not."""
    if state not in STATES:
        raise TransitionError(state, action, Reason("proposal.unknown_state", N_("unknown state")))
    target = TRANSITIONS.get((state, action))
    if target is None:
        allowed = allowed_actions(state)
        refusal = (
            Reason(
                "proposal.not_allowed",
                N_("this step is not allowed from this state"),
                {"allowed": ", ".join(allowed)},
            )
            if allowed
            else Reason("proposal.final_state", N_("nothing more can be done in a final state"))
        )
        raise TransitionError(state, action, refusal)
    why = _GUARDS[action](state, actor, ctx)
    if why is not None:
        raise TransitionError(state, action, why)
    reason = ctx.reason.strip()
    if action == "supersede":
        reason = reason or f"superseded by {ctx.superseded_by}"
    record = TransitionRecord(actor.id, action, state, target, reason)
    return Transition(target, record)


def _is_author(actor: Actor, ctx: TransitionContext) -> bool:
    return actor.id is not None and actor.id == ctx.author_id


def _author_only(state: str, actor: Actor, ctx: TransitionContext) -> Reason | None:
    if not _is_author(actor, ctx):
        return Reason("proposal.author_only", N_("only the author may do this"))
    return None


def _withdraw(state: str, actor: Actor, ctx: TransitionContext) -> Reason | None:
    if not _is_author(actor, ctx):
        return Reason("proposal.author_only", N_("only the author may withdraw a proposal"))
    if state == "scheduled" and (ctx.opens_at is None or ctx.now >= ctx.opens_at):
        return Reason(
            "proposal.voting_started",
            N_("the vote has opened; a proposal cannot be withdrawn once voting starts"),
        )
    return None


def _cosign(state: str, actor: Actor, ctx: TransitionContext) -> Reason | None:
    if ctx.cosign_required == 0:
        return Reason(
            "proposal.no_cosigning",
            N_("the charter puts this kind on the ballot by council acceptance, not co-signature"),
        )
    if not actor.has("owner"):
        return Reason("proposal.owners_cosign", N_("only owners co-sign"))
    if _is_author(actor, ctx):
        return Reason("proposal.own_cosign", N_("the author cannot co-sign their own proposal"))
    if ctx.already_cosigned:
        return Reason("proposal.cosigned_twice", N_("this owner has already co-signed"))
    return None


def _window(ctx: TransitionContext) -> Reason | None:
    if ctx.opens_at is None or ctx.closes_at is None:
        return Reason("proposal.window_missing", N_("the voting window is not set"))
    if ctx.opens_at < ctx.now:
        return Reason("proposal.opens_in_past", N_("the vote would open in the past"))
    if ctx.closes_at <= ctx.opens_at:
        return Reason("proposal.window_inverted", N_("the vote would close before it opens"))
    return None


def _schedule(state: str, actor: Actor, ctx: TransitionContext) -> Reason | None:
    if ctx.referral:
        if not actor.has("system"):
            return Reason(
                "proposal.referral_by_system",
                N_("only the system puts a question the council could not decide to the owners"),
            )
        return _window(ctx)
    if not (_is_author(actor, ctx) or actor.has("admin", "system")):
        return Reason(
            "proposal.schedule_who",
            N_("only the author, an admin or the system schedules a co-signed proposal"),
        )
    if ctx.cosign_required == 0:
        return Reason(
            "proposal.needs_council", N_("the charter requires council acceptance for this kind")
        )
    if ctx.cosign_count < ctx.cosign_required:
        return Reason(
            "proposal.cosigns_short",
            N_("%(count)s of %(required)s co-signatures required by the charter"),
            {"count": ctx.cosign_count, "required": ctx.cosign_required},
        )
    return _window(ctx)


def _council_motion(expected: str, ctx: TransitionContext, actor: Actor) -> Reason | None:
    if not actor.has("council"):
        return Reason("proposal.council_only", N_("only the council decides this"))
    if ctx.cosign_required > 0:
        return Reason(
            "proposal.by_cosigning",
            N_(
                "the charter puts this kind on the ballot by %(required)s co-signatures; "
                "the council neither accepts nor rejects it"
            ),
            {"required": ctx.cosign_required},
        )
    if ctx.passed_motion != expected:
        return Reason(
            "proposal.needs_motion",
            N_("needs a passed council motion: %(motion)s"),
            {"motion": expected},
        )
    return None


def _accept(state: str, actor: Actor, ctx: TransitionContext) -> Reason | None:
    return _council_motion("accept_proposal", ctx, actor) or _window(ctx)


def _reject(state: str, actor: Actor, ctx: TransitionContext) -> Reason | None:
    why = _council_motion("reject_proposal", ctx, actor)
    if why is None and not ctx.reason.strip():
        why = Reason("proposal.reason_required", N_("a rejection must give its reason"))
    return why


def _system(state: str, actor: Actor, ctx: TransitionContext) -> Reason | None:
    if not actor.has("system", "admin"):
        return Reason("proposal.system_only", N_("only the system or an admin does this"))
    return None


def _open(state: str, actor: Actor, ctx: TransitionContext) -> Reason | None:
    why = _system(state, actor, ctx)
    if why is None and (ctx.opens_at is None or ctx.now < ctx.opens_at):
        why = Reason(
            "proposal.not_open_yet",
            N_("the vote opens at %(at)s, not yet"),
            {"at": ctx.opens_at or ctx.now},
        )
    return why


def _close(state: str, actor: Actor, ctx: TransitionContext) -> Reason | None:
    why = _system(state, actor, ctx)
    if why is None and (ctx.closes_at is None or ctx.now < ctx.closes_at):
        why = Reason(
            "proposal.not_closing_yet",
            N_("the vote closes at %(at)s, not yet"),
            {"at": ctx.closes_at or ctx.now},
        )
    return why


def _supersede(state: str, actor: Actor, ctx: TransitionContext) -> Reason | None:
    why = _system(state, actor, ctx)
    if why is None and not (ctx.superseded_by or "").strip():
        why = Reason(
            "proposal.superseded_by_missing", N_("name the proposal that supersedes this one")
        )
    return why


_GUARDS = {
    "submit": _author_only,
    "cosign": _cosign,
    "schedule": _schedule,
    "accept": _accept,
    "reject": _reject,
    "withdraw": _withdraw,
    "open": _open,
    "close": _close,
    "seal": _system,
    "supersede": _supersede,
}


@dataclass(frozen=True)
class VoteParameters:
    method: str
    quorum: Fraction
    threshold: Fraction
    weight_rule: str
    eligibility_min: int
    seats: int


def vote_parameters(
    kind: str, rules: CharterRules, fields: Mapping[str, Any] | None = None
) -> VoteParameters:
    """What a proposal of ``kind`` is voted with, under ``rules``.

    Council elections also need validated ``fields`` (``role``, optionally ``seats`` for a
    by-election of fewer seats than the role has).
    """
    rule = rules.voting.kind(kind)
    seats = 1
    if kind == "council_election":
        if fields is None or fields.get("role") not in ROLES:
            raise ValueError("a council election needs its role to know the number of seats")
        seats = fields.get("seats") or rules.council.seats_for(fields["role"])
    return VoteParameters(
        method=rule.method,
        quorum=rule.quorum,
        threshold=rule.threshold,
        weight_rule=rule.weight_rule or rules.voting.weight_rule,
        eligibility_min=rules.voting.eligibility_min,
        seats=seats,
    )
