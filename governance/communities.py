"""Certification of owners' industry communities, as an explicit state machine.

============  ==============  ============  =============================================
from          action          to            who, and when
============  ==============  ============  =============================================
applied       review          under_review  the council or an admin
under_review  certify         certified     the council, by a passed ``certify_community``
                                            motion, while a community scheme is in force
under_review  reject          rejected      the council, by a passed ``reject_community``
                                            motion, with reasons
certified     flag_renewal    renewal_due   system or admin, inside the renewal window
renewal_due   renew           certified     the council, by a passed ``renew_community``
                                            motion, before the certification ends
certified     lapse           lapsed        system or admin, once the certification ended
renewal_due   lapse           lapsed        system or admin, once the certification ended
certified     revoke          revoked       the council, by a passed ``revoke_community``
renewal_due   revoke          revoked       motion, with reasons
============  ==============  ============  =============================================

An application enters ``applied`` only when ``validate_application`` finds no problem; that
includes the rule that no application is taken while no community scheme is in force.
A certification (or renewal) runs ``valid_days`` from the day of the decision:
``certified_until(decided_at, rules)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from governance.charter import CharterRules
from governance.refusals import N_, Reason
from governance.refusals import cite as _cite
from governance.transitions import (
    Actor,
    Transition,
    TransitionError,
    TransitionRecord,
    require_aware,
)

STATES = ("applied", "under_review", "certified", "rejected", "renewal_due", "lapsed", "revoked")
FINAL_STATES = ("rejected", "lapsed", "revoked")

TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("applied", "review"): "under_review",
    ("under_review", "certify"): "certified",
    ("under_review", "reject"): "rejected",
    ("certified", "flag_renewal"): "renewal_due",
    ("renewal_due", "renew"): "certified",
    ("certified", "lapse"): "lapsed",
    ("renewal_due", "lapse"): "lapsed",
    ("certified", "revoke"): "revoked",
    ("renewal_due", "revoke"): "revoked",
}
MOTIONS = {
    "certify": "certify_community",
    "reject": "reject_community",
    "renew": "renew_community",
    "revoke": "revoke_community",
}
NEEDS_REASONS = ("reject", "revoke")

NAME_MAX = 100
DESCRIPTION_MAX = 5000
SHA256_RE = re.compile(r"[0-9a-f]{64}")
APPLICATION_FIELDS = (
    "name",
    "industry",
    "description",
    "representative_id",
    "member_count",
    "cosigners",
    "documents",
)


@dataclass(frozen=True)
class CommunityContext:
    now: datetime
    passed_motion: str | None = None
    reasons: tuple[str, ...] = ()
    valid_until: datetime | None = None
    scheme_in_force: bool = True
    # Co-signatures owners gave in their own accounts before the deadline (None: not counted).
    cosigns_given: int | None = None

    def __post_init__(self) -> None:
        require_aware(self.now, "now")
        require_aware(self.valid_until, "valid_until")


def certified_until(decided_at: datetime, rules: CharterRules) -> datetime:
    require_aware(decided_at, "decided_at")
    return decided_at + timedelta(days=rules.communities.valid_days)


def renewal_opens(valid_until: datetime, rules: CharterRules) -> datetime:
    return valid_until - timedelta(days=rules.communities.renewal_window_days)


def transition(
    state: str, action: str, *, actor: Actor, ctx: CommunityContext, rules: CharterRules
) -> Transition:
    """The step ``action`` from ``state``, or ``TransitionError`` saying why not."""
    if state not in STATES:
        raise TransitionError(state, action, Reason("community.unknown_state", N_("unknown state")))
    target = TRANSITIONS.get((state, action))
    if target is None:
        allowed = tuple(a for (s, a) in TRANSITIONS if s == state)
        refusal = (
            Reason(
                "community.not_allowed",
                N_("this step is not allowed from this state"),
                {"allowed": ", ".join(allowed)},
            )
            if allowed
            else Reason("community.final_state", N_("nothing more can be done in a final state"))
        )
        raise TransitionError(state, action, refusal)
    why = _guard(action, actor, ctx, rules)
    if why is not None:
        raise TransitionError(state, action, why)
    reason = "; ".join(r.strip() for r in ctx.reasons if r.strip())
    return Transition(target, TransitionRecord(actor.id, action, state, target, reason))


def _guard(action: str, actor: Actor, ctx: CommunityContext, rules: CharterRules) -> Reason | None:
    if action in MOTIONS:
        if not actor.has("council"):
            return Reason("community.council_only", N_("only the council decides this"))
        if ctx.passed_motion != MOTIONS[action]:
            return Reason(
                "community.needs_motion",
                N_("needs a passed council motion: %(motion)s"),
                {"motion": MOTIONS[action]},
            )
    elif action == "review":
        if not actor.has("council", "admin"):
            return Reason("community.review_who", N_("only the council or an admin opens a review"))
        required = rules.communities.min_cosigners
        if ctx.cosigns_given is not None and ctx.cosigns_given < required:
            return Reason(
                "community.cosigns_short",
                N_("%(given)s of %(required)s co-signatures have been given"),
                {"given": ctx.cosigns_given, "required": required},
                **_cite(rules, "communities.min_cosigners"),
            )
    elif not actor.has("system", "admin"):
        return Reason("community.system_only", N_("only the system or an admin does this"))
    if action in NEEDS_REASONS and not any(r.strip() for r in ctx.reasons):
        key = "communities.revocation" if action == "revoke" else "communities.application"
        return Reason("community.reasons_required", N_("give the reasons"), {}, **_cite(rules, key))
    if action == "certify" and not ctx.scheme_in_force:
        return Reason(
            "community.no_scheme",
            N_("no community scheme is in force"),
            {},
            **_cite(rules, "communities.scheme"),
        )
    if action in ("flag_renewal", "renew", "lapse"):
        return _timing(action, ctx, rules)
    return None


def _timing(action: str, ctx: CommunityContext, rules: CharterRules) -> Reason | None:
    if ctx.valid_until is None:
        return Reason("community.no_end", N_("the certification's end date is needed"))
    if action == "flag_renewal" and ctx.now < renewal_opens(ctx.valid_until, rules):
        return Reason(
            "community.renewal_not_open",
            N_("the renewal window opens %(days)s days before %(until)s"),
            {"days": rules.communities.renewal_window_days, "until": ctx.valid_until},
            **_cite(rules, "communities.renewal"),
        )
    if action == "renew" and ctx.now >= ctx.valid_until:
        return Reason(
            "community.lapsed",
            N_("the certification ended at %(until)s; it has lapsed"),
            {"until": ctx.valid_until},
        )
    if action == "lapse" and ctx.now < ctx.valid_until:
        return Reason(
            "community.still_valid",
            N_("the certification runs until %(until)s"),
            {"until": ctx.valid_until},
        )
    return None


def validate_application(
    fields: Mapping[str, Any], rules: CharterRules, *, scheme_in_force: bool
) -> list[tuple[str, str]]:
    """Every problem with a certification application, as (field, message); empty = valid.

    ``cosigners`` are member owners' user ids other than the representative.
    ``documents`` are the SHA-256 digests (lowercase hex) of the supporting files.
    """
    if not scheme_in_force:
        return [("scheme", f"applications are closed; {rules.article('communities.scheme')}")]
    c = rules.communities
    out = [
        (name, "not a field of an application") for name in fields if name not in APPLICATION_FIELDS
    ]
    for name, limit in (
        ("name", NAME_MAX),
        ("industry", NAME_MAX),
        ("description", DESCRIPTION_MAX),
    ):
        value = fields.get(name)
        if type(value) is not str or not value.strip():
            out.append((name, f"is required; {rules.article('communities.application')}"))
        elif len(value) > limit:
            out.append((name, f"must be at most {limit} characters"))
    rep = fields.get("representative_id")
    if type(rep) is not int or rep <= 0:
        out.append(("representative_id", "name the community's representative (a user id)"))
    members = fields.get("member_count")
    if type(members) is not int or members < c.min_members:
        where = rules.article("communities.min_members")
        out.append(("member_count", f"at least {c.min_members} member owners; {where}"))
    cosigners = fields.get("cosigners")
    if type(cosigners) is not list or any(type(i) is not int or i <= 0 for i in cosigners):
        out.append(("cosigners", "must be a list of member owners' user ids"))
    elif len(set(cosigners)) != len(cosigners):
        out.append(("cosigners", "an owner co-signs once"))
    elif rep in cosigners:
        out.append(("cosigners", "the representative does not count as a co-signer"))
    documents = fields.get("documents")
    if type(documents) is not list or not documents:
        out.append(("documents", "list the supporting documents' SHA-256 digests"))
    elif any(type(d) is not str or SHA256_RE.fullmatch(d) is None for d in documents):
        out.append(("documents", "every document is a SHA-256 digest in lowercase hex"))
    elif len(set(documents)) != len(documents):
        out.append(("documents", "a document is listed twice"))
    return out
