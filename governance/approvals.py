"""Who approves a disbursement, read from the charter's spending rules.

The charter names an approving committee (``spending.approving_role``) and a supervising role
(``spending.supervising_role``). A member is out for one request when they submitted it, when
they have an interest in it (beneficiary, declared or detected), or when they supervise
spending. If that leaves the committee fewer able members than ``approvals_required``, the
other seated members with no interest and no supervising seat approve in its place, so a
request is never stuck behind recusals. A charter without an approving role keeps the older
rule: any seated member other than the submitter."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from governance.charter import CharterRules, Violation
from governance.refusals import N_


@dataclass(frozen=True)
class Approvers:
    """The members who may approve one request now, and whether the fallback applies."""

    members: frozenset[int]
    fallback: bool


def approvers(
    roles: Mapping[int, Collection[str]],
    rules: CharterRules,
    *,
    submitter_id: int,
    interested: Collection[int],
) -> Approvers:
    """``roles`` maps each seated member to the council roles they hold now."""
    spending = rules.spending
    free = {
        m
        for m, held in roles.items()
        if m != submitter_id
        and m not in interested
        and not (spending.supervising_role and spending.supervising_role in held)
    }
    if not spending.approving_role:
        return Approvers(frozenset(free), False)
    committee = {m for m in free if spending.approving_role in roles[m]}
    if len(committee) >= spending.approvals_required:
        return Approvers(frozenset(committee), False)
    return Approvers(frozenset(free), True)


def check_approval(
    approver_id: int,
    submitter_id: int,
    roles: Mapping[int, Collection[str]],
    interested: Collection[int],
    approvals: Collection[int],
    rules: CharterRules,
) -> list[Violation]:
    """May ``approver_id`` approve now, given the approvals already recorded? Every reason."""
    spending = rules.spending
    out = []
    if approver_id == submitter_id:
        out.append(
            rules.violation(
                "spending.self_approval", N_("the submitter cannot approve their own request")
            )
        )
    if approver_id not in roles:
        out.append(rules.violation("spending.approvals", N_("only seated council members approve")))
    else:
        held = roles[approver_id]
        if spending.supervising_role and spending.supervising_role in held:
            out.append(
                rules.violation(
                    "spending.supervision",
                    N_("a supervisor never approves the spending they supervise"),
                )
            )
        if approver_id in interested:
            out.append(
                rules.violation(
                    "spending.recusal",
                    N_("you have an interest in this disbursement, so you do not approve it"),
                )
            )
        if not out and approver_id not in approvers(
            roles, rules, submitter_id=submitter_id, interested=interested
        ).members:
            out.append(
                rules.violation(
                    "spending.committee",
                    N_("only members of the committee the charter names approve disbursements"),
                )
            )
    if approver_id in approvals:
        out.append(rules.violation("spending.approvals", N_("you have already approved this")))
    return out


def is_fully_approved(
    approvals: Collection[int],
    rules: CharterRules,
    *,
    submitter_id: int,
    roles: Mapping[int, Collection[str]],
    interested: Collection[int],
) -> bool:
    """Enough of the members who may approve now have approved."""
    able = approvers(roles, rules, submitter_id=submitter_id, interested=interested).members
    return len(set(approvals) & able) >= rules.spending.approvals_required
