"""Words for the charter rules' values in the amendment editor: a reader sees "Shortest vote
(hours)", not `voting.min_hours`. A key without words here is shown with its underscores
as spaces, never hidden."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.web.labels import COUNCIL_ROLES, PROPOSAL_KINDS

SECTIONS = {
    "voting": _l("Owners' votes"),
    "council": _l("The council"),
    "spending": _l("Spending"),
    "communities": _l("Communities"),
    "purposes": _l("Purposes of the trust's money"),
    "citations": _l("Which article each rule cites"),
    "articles": _l("The charter's articles"),
    "articles_zh": _l("The articles in Chinese"),
}
WORDS = {
    "weight_rule": _l("Weight rule (linear, equal, …)"),
    "eligibility_min": _l("Least growth value to be on the roll"),
    "min_hours": _l("Shortest vote (hours)"),
    "max_hours": _l("Longest vote (hours)"),
    "method": _l("Method (yes_no, choice, approval)"),
    "quorum": _l("Quorum (share of the roll's weight)"),
    "threshold": _l("Threshold to pass (share of the weight voting)"),
    "cosign_required": _l("Co-signing owners needed"),
    "article": _l("Article"),
    "secrecy": _l("Ballots (secret or open)"),
    "seats": _l("Seats"),
    "term_days": _l("Term (days)"),
    "term_limit": _l("Consecutive terms at most"),
    "motion_quorum": _l("Motion quorum (share of members able to vote)"),
    "motion_majority": _l("Motion majority (share of members voting)"),
    "motion_min_hours": _l("Shortest motion (hours)"),
    "motion_max_hours": _l("Longest motion (hours)"),
    "recusal_fallback": _l("When recusals leave too few members"),
    "approvals_required": _l("Approvals needed for a disbursement"),
    "approving_role": _l("Role that approves spending"),
    "supervising_role": _l("Role that supervises spending"),
    "emergency_cap_fen": _l("Emergency spending cap (fen)"),
    "emergency_year_cap_fen": _l("Emergency spending cap a year (fen)"),
    "ratification_days": _l("Days to ratify emergency spending"),
    "beneficiary_required": _l("A beneficiary must be named"),
    "valid_days": _l("Certification valid for (days)"),
    "renewal_window_days": _l("Renewal window (days)"),
    "min_members": _l("Least member owners"),
    "min_cosigners": _l("Least co-signing members"),
    "cosign_days": _l("Days to gather co-signatures"),
    "id": _l("Code"),
    "name_en": _l("Name in English"),
    "name_zh": _l("Name in Chinese"),
    "trustees": _l("Trustees of secret votes"),
    "key_hours": _l("Hours to make the key"),
    "share_hours": _l("Hours to post the shares"),
    "role": _l("Role"),
    "window_days": _l("Days the protector may hold an amendment in"),
    "hold_days": _l("Days a held amendment waits"),
    "nominations_required": _l("Nominating owners each candidate needs"),
    "nomination_days": _l("Days to gather nominations"),
    "witnesses": _l("Witnesses of the log"),
    "protector": _l("The trust protector"),
    "list": _l("List"),
    "kinds": _l("Kinds of proposal"),
}


def _word(key: str | int) -> str:
    if isinstance(key, int):
        return str(key + 1)
    if key in WORDS:
        return str(WORDS[key])
    if key in PROPOSAL_KINDS:
        return str(PROPOSAL_KINDS[key])
    if key in COUNCIL_ROLES:
        return str(COUNCIL_ROLES[key])
    return key.replace("_", " ")


def section(key: str) -> str:
    return str(SECTIONS.get(key, key.replace("_", " ")))


def label(value: Any) -> str:
    """The value's field label, after its section's title."""
    first, *rest = value.keys
    if first == "citations" and rest:
        rule = str(rest[0]).split(".")
        return _("Article cited for: %(rule)s",
                 rule=" › ".join([section(rule[0]), *(_word(k) for k in rule[1:])]))
    if first == "purposes" and len(rest) == 2:
        return _("Purpose %(n)s: %(field)s", n=_word(rest[0]), field=_word(rest[1]))
    return " › ".join(_word(k) for k in rest) or section(str(first))


_STEP = re.compile(r"\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]|([^.\[\]]+)")


def path_words(path: str) -> str:
    """A rules path governance names (``voting.kinds.council_referral``, ``purposes[0].id``),
    as words: the section, then each step's label."""
    steps: list[str | int] = []
    for index, quoted, dquoted, key in _STEP.findall(path):
        steps.append(int(index) if index else quoted or dquoted or key)
    if not steps:
        return path
    first, *rest = steps
    if first == "citations" and rest:
        return _("Article cited for: %(rule)s", rule=" › ".join(
            [section(str(rest[0])), *(_word(k) for k in rest[1:])]))
    head = str(WORDS[first]) if first in ("witnesses", "protector") else section(str(first))
    return " › ".join([head, *(_word(k) for k in rest)])
