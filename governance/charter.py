"""The charter's machine-readable rules.

A charter version is its text, its rules (JSON) and a version number. ``parse_rules`` checks the
rules completely and reports every problem at once, as (path, message) pairs, so a drafting
committee fixes a proposed amendment in one pass.

Rules JSON (see ``default_rules()`` for a full example)::

    articles    {"Art. 21.1": "human text", ...}     every article a refusal may quote
    citations   {"spending.budget": "Art. 21.1", ...} which article states each rule
                (every key in CITATION_KEYS is required; unknown keys are refused)
    purposes    [{id, name_en, name_zh, article}]    spending categories
    voting      {weight_rule, eligibility_min, min_hours, max_hours,
                 kinds: {<kind>: {method, quorum: [n, d], threshold: [n, d],
                                  weight_rule?, cosign_required, article}}}
    council     {seats: {<role>: n}, term_days, term_limit,
                 motion_quorum: [n, d], motion_majority: [n, d],
                 motion_min_hours, motion_max_hours, recusal_fallback}
    articles_zh {"Art. 21.1": "中文", ...}            optional: the articles in Chinese
    spending    {approvals_required, emergency_cap_fen, emergency_year_cap_fen,
                 ratification_days, beneficiary_required}
    communities {valid_days, renewal_window_days, min_members, min_cosigners, cosign_days}

Deviation from the first sketch: the council election's method and weight rule are not repeated
in ``council``; they are those of ``voting.kinds.council_election`` (whose method must be
``approval``), so there is one place to change them. Purposes and kinds carry their article
inline; everything else is cited through ``citations``; ``rules.article(key)`` resolves both
(``purposes.<id>``, ``voting.kinds.<kind>``).

Fractions are ``(num, den)`` pairs of integers, money is integer fen, and there are no floats.
"""


from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ballots.canonical import canonical_sha256
from governance.charter_parse import parse_rules
from governance.charter_rules import (
    ARTICLE_RE,
    CITATION_KEYS,
    FALLBACKS,
    ID_RE,
    KINDS,
    MAX_INT,
    MAX_TEXT,
    METHODS,
    MISSING,
    OPTIONAL_KINDS,
    ROLES,
    SINGLE_SEAT_ROLES,
    WEIGHT_RULE_RE,
    CharterRules,
    CharterRulesError,
    CommunityRules,
    CouncilRules,
    Fraction,
    KindRule,
    Purpose,
    SpendingRules,
    Violation,
    VotingRules,
)
from governance.default_charter import default_rules, default_text
from governance.default_charter_zh import default_text_zh
from governance.refusals import N_

# What `governance.charter` offers: the rules' types (charter_rules.py), their parser
# (charter_parse.py), the default charter, and the digest and amendment check below.
__all__ = [
    "ARTICLE_RE",
    "CITATION_KEYS",
    "CharterRules",
    "CharterRulesError",
    "CommunityRules",
    "CouncilRules",
    "FALLBACKS",
    "Fraction",
    "ID_RE",
    "KINDS",
    "KindRule",
    "MAX_INT",
    "MAX_TEXT",
    "METHODS",
    "MISSING",
    "OPTIONAL_KINDS",
    "Purpose",
    "ROLES",
    "SINGLE_SEAT_ROLES",
    "SpendingRules",
    "Violation",
    "VotingRules",
    "WEIGHT_RULE_RE",
    "charter_digest",
    "check_amendment_allowed",
    "default_rules",
    "default_text",
    "default_text_zh",
    "parse_rules",
]


def charter_digest(
    text: str, rules_json: Mapping[str, Any], version: int, text_zh: str | None = None
) -> str:
    """Hex SHA-256 of canonical ``{"version", "text", "rules"}``: what a charter version is.

    A version with a Chinese text adds ``"text_zh"``; both languages are then what was adopted.
    """
    if type(version) is not int or version < 1:
        raise ValueError("charter version must be an integer >= 1")
    if type(text) is not str:
        raise ValueError("charter text must be a string")
    obj: dict[str, Any] = {"version": version, "text": text, "rules": dict(rules_json)}
    if text_zh is not None:
        if type(text_zh) is not str:
            raise ValueError("charter text_zh must be a string")
        obj["text_zh"] = text_zh
    return canonical_sha256(obj)


def check_amendment_allowed(
    current: CharterRules | None,
    current_version: int | None,
    new_version: int,
    *,
    proposal_kind: str | None,
    proposal_state: str | None,
    proposal_passed: bool,
) -> list[Violation]:
    """May ``new_version`` be adopted now? Empty list = yes.

    Version 1 is installed at setup with no proposal; every later version needs a sealed,
    passed ``charter_amendment`` proposal and must follow the current version directly.
    """
    if current is None or current_version is None:
        if new_version != 1:
            return [Violation("", "", f"the first charter is version 1, not {new_version}")]
        if proposal_kind is not None:
            return [Violation("", "", "the first charter is installed at setup, not by vote")]
        return []
    out: list[Violation] = []
    if new_version != current_version + 1:
        out.append(
            current.violation(
                "charter.versions",
                N_("version %(new)s does not follow version %(current)s"),
                new=new_version,
                current=current_version,
            )
        )
    if proposal_kind != "charter_amendment":
        out.append(
            current.violation(
                "charter.amendment",
                N_("a new charter is adopted only by a charter amendment vote"),
            )
        )
    elif proposal_state != "sealed" or not proposal_passed:
        out.append(
            current.violation(
                "charter.amendment",
                N_("the amendment vote must be sealed and passed"),
            )
        )
    return out
