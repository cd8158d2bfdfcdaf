"""Words for the codes the system stores: one mapping per kind of code, in the reader's language.

A stored code (``under_review``, ``certify_community``, ``for``) is never shown as it is; pages
and refusals look it up here. ``label(code)`` searches every mapping, for places (refusal
parameters, log payloads) that do not know which kind of code they hold.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

PROPOSAL_STATES = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "cosigned": _l("Co-signed"),
    "accepted": _l("Accepted"),
    "scheduled": _l("Scheduled"),
    "voting": _l("Voting"),
    "closed": _l("Closed"),
    "sealed": _l("Sealed"),
    "superseded": _l("Superseded"),
    "withdrawn": _l("Withdrawn"),
    "rejected": _l("Rejected"),
}
OUTCOMES = {
    "passed": _l("Passed"),
    "rejected": _l("Rejected"),
    "decided": _l("Decided"),
    "tie": _l("Tie"),
    "no_quorum": _l("No quorum"),
}
PROPOSAL_KINDS = {
    "general": _l("General"),
    "spending": _l("Spending"),
    "charter_amendment": _l("Charter amendment"),
    "community_scheme": _l("Community certification scheme"),
    "council_election": _l("Council election"),
    "poll": _l("Owner poll"),
    "emergency_ratification": _l("Ratification of emergency spending"),
    "council_referral": _l("Question referred by the council"),
    "call_election": _l("Owners' call for a council election"),
    "recall_member": _l("Recall of a council member"),
}
METHODS = {
    "binary": _l("Yes / no"),
    "single": _l("Single choice"),
    "approval": _l("Approval (several seats)"),
    # The charter's names for the same methods (app.proposals.lifecycle maps them).
    "yes_no": _l("Yes / no"),
    "choice": _l("Single choice"),
}
RECUSAL_FALLBACKS = {"owners_vote": _l("the question goes to the owners' vote")}
OPTIONS = {"yes": _l("Yes"), "no": _l("No"), "abstain": _l("Abstain")}
MOTION_KINDS = {
    "certify_community": _l("Certify a community"),
    "reject_community": _l("Reject a community application"),
    "revoke_community": _l("Revoke a community's certification"),
    "renew_community": _l("Renew a community's certification"),
    "approve_disbursement": _l("Approve a disbursement"),
    "emergency_spending": _l("Emergency spending"),
    "ratify_emergency": _l("Ratify emergency spending"),
    "accept_proposal": _l("Accept a proposal for the ballot"),
    "reject_proposal": _l("Reject a proposal"),
    "reverse_transaction": _l("Reverse a ledger transaction"),
    "correct_result": _l("Correct a sealed result"),
    "lift_suspension": _l("Lift a disbursement's suspension"),
    "general": _l("General"),
}
MOTION_STATES = {
    "open": _l("Open"),
    "passed": _l("Passed"),
    "failed": _l("Failed"),
    "withdrawn": _l("Withdrawn"),
    "referred": _l("Referred to the owners"),
}
CHOICES = {"for": _l("For"), "against": _l("Against"), "abstain": _l("Abstain")}
COMMUNITY_STATES = {
    "applied": _l("applied"),
    "under_review": _l("under review"),
    "certified": _l("certified"),
    "rejected": _l("rejected"),
    "renewal_due": _l("due for renewal"),
    "lapsed": _l("lapsed"),
    "revoked": _l("revoked"),
}
COUNCIL_ROLES = {
    "chair": _l("Chair (理事长)"),
    "asset_committee": _l("Asset-management committee"),
    "proceeds_committee": _l("Proceeds committee"),
    "supervisors": _l("Supervisors"),
    "protector": _l("Trust protector"),
}
DISBURSEMENT_STATES = {
    "pending": _l("awaiting approval"),
    "recorded": _l("recorded"),
    "suspended": _l("suspended"),
}
BUDGET_SOURCES = {"proposal": _l("owners' vote"), "emergency": _l("emergency motion")}
LEDGER_KINDS = {
    "income": _l("income"),
    "budget_authorised": _l("budget authorised"),
    "disbursement": _l("disbursement"),
    "reversal": _l("reversal"),
}

LOG_TYPES = {
    "charter.adopted": _l("charter adopted"),
    "council.seated": _l("council member seated"),
    "council.vacated": _l("council seat vacated"),
    "council.nominated": _l("a candidate nominated by an owner"),
    "council.election_called": _l("council election called"),
    "council.motion": _l("council motion closed"),
    "council.motion_opened": _l("council motion opened"),
    "council.motion_referred": _l("council motion referred to the owners"),
    "council.interest": _l("interest declared"),
    "council.election": _l("council election"),
    "community.applied": _l("community applied"),
    "community.certified": _l("community certified"),
    "community.rejected": _l("community rejected"),
    "community.renewed": _l("community renewed"),
    "community.revoked": _l("community revoked"),
    "community.lapsed": _l("community lapsed"),
    "budget.authorised": _l("budget authorised"),
    "budget.ratified": _l("emergency budget ratified"),
    "disbursement.recorded": _l("disbursement recorded"),
    "disbursement.reversed": _l("disbursement reversed"),
    "disbursement.approved": _l("disbursement approved by a member"),
    "disbursement.suspended": _l("disbursement suspended by a supervisor"),
    "disbursement.suspension_lifted": _l("disbursement suspension lifted"),
    "council.motion_vote": _l("council member's vote on a motion"),
    "ballots.committed": _l("ballots so far committed"),
    "treasury.txn": _l("treasury transaction"),
    "growth.batch": _l("growth-value import"),
    "account.role": _l("administrator role changed"),
    "proposal.opened": _l("vote opened"),
    "result.sealed": _l("result sealed"),
    "owner.bound": _l("owner number linked"),
    "owner.contacts": _l("brand contacts updated"),
    # audit-3: held growth entries, backfilled leaves, and kinds superseded but still read.
    "growth.held": _l("growth value held for an unclaimed owner number"),
    "growth.released": _l("held growth value released to its owner"),
    "log.backfill": _l("older records added to the log"),
    "income.recorded": _l("income recorded"),
    "ledger.reversed": _l("treasury transaction reversed"),
    "growth.imported": _l("growth-value import file"),
    "result.corrected": _l("result corrected"),
    "charter.amendment_scheduled": _l("charter amendment waiting for the protector's window"),
    "charter.amendment_held": _l("charter amendment held by the protector"),
    "charter.amendment_released": _l("charter amendment let through by the protector"),
    # dkg-complaints
    "secret.complaint": _l("complaint in a key ceremony"),
    "secret.answer": _l("answer to a key ceremony complaint"),
    "secret.failed": _l("key ceremony failed"),
    "secret.election": _l("election key of a secret vote settled"),
    "secret.pending": _l("secret vote waiting for its trustees"),
    "proposal.submitted": _l("proposal submitted"),
    "proposal.accepted": _l("proposal accepted for the ballot"),
    "proposal.rejected": _l("proposal rejected"),
    "proposal.withdrawn": _l("proposal withdrawn"),
    "key.created": _l("signing key created"),
    "key.rotated": _l("signing key rotated"),
    "comment.hidden": _l("comment hidden by a moderator"),
    "comment.appeal_restored": _l("hidden comment restored on appeal"),
    "comment.appeal_upheld": _l("appeal against a hidden comment refused"),
}
AMENDMENT_STATES = {
    "pending": _l("waiting for the protector's window"),
    "held": _l("held by the protector"),
    "applied": _l("in force"),
}

# Looked up in this order by ``label``: a code used in two mappings reads the same in both.
ALL: tuple[dict[str, Any], ...] = (
    MOTION_KINDS,
    PROPOSAL_KINDS,
    MOTION_STATES,
    PROPOSAL_STATES,
    COMMUNITY_STATES,
    COUNCIL_ROLES,
    DISBURSEMENT_STATES,
    CHOICES,
    OUTCOMES,
    LEDGER_KINDS,
    LOG_TYPES,
    METHODS,
    RECUSAL_FALLBACKS,
)


def label(code: str) -> str:
    """Words for any stored code, or the code itself when it is not a code (a name, an id).

    The charter's purposes are codes too; their names come from the charter in force.
    """
    for mapping in ALL:
        if code in mapping:
            return str(mapping[code])
    return purpose_names().get(code, code)


def purpose_names() -> dict[str, str]:
    """The charter's purposes by id, named in the reader's language (empty without a charter)."""
    from app.charter import service as charter
    from app.web.i18n import in_chinese

    try:
        purposes = charter.current_rules().purposes
    except charter.CharterError:
        return {}
    zh = in_chinese()
    return {p.id: p.name_zh if zh else p.name_en for p in purposes}
