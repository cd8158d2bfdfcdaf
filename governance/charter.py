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
                 motion_quorum: [n, d], motion_majority: [n, d]}
    spending    {approvals_required, emergency_cap_fen, emergency_year_cap_fen,
                 ratification_days, beneficiary_required}
    communities {valid_days, renewal_window_days, min_members, min_cosigners}

Deviation from the first sketch: the council election's method and weight rule are not repeated
in ``council``; they are those of ``voting.kinds.council_election`` (whose method must be
``approval``), so there is one place to change them. Purposes and kinds carry their article
inline; everything else is cited through ``citations``; ``rules.article(key)`` resolves both
(``purposes.<id>``, ``voting.kinds.<kind>``).

Fractions are ``(num, den)`` pairs of integers, money is integer fen, and there are no floats.
"""


from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from governance.charter_parse import parse_rules as parse_rules
from governance.charter_rules import (
    ARTICLE_RE as ARTICLE_RE,
)
from governance.charter_rules import (
    CITATION_KEYS as CITATION_KEYS,
)
from governance.charter_rules import (
    ID_RE as ID_RE,
)
from governance.charter_rules import (
    KINDS as KINDS,
)
from governance.charter_rules import (
    MAX_INT as MAX_INT,
)
from governance.charter_rules import (
    MAX_TEXT as MAX_TEXT,
)
from governance.charter_rules import (
    METHODS as METHODS,
)
from governance.charter_rules import (
    MISSING as MISSING,
)
from governance.charter_rules import (
    ROLES as ROLES,
)
from governance.charter_rules import (
    SINGLE_SEAT_ROLES as SINGLE_SEAT_ROLES,
)
from governance.charter_rules import (
    WEIGHT_RULE_RE as WEIGHT_RULE_RE,
)
from governance.charter_rules import (
    CharterRules as CharterRules,
)
from governance.charter_rules import (
    CharterRulesError as CharterRulesError,
)
from governance.charter_rules import (
    CommunityRules as CommunityRules,
)
from governance.charter_rules import (
    CouncilRules as CouncilRules,
)
from governance.charter_rules import (
    Fraction as Fraction,
)
from governance.charter_rules import (
    KindRule as KindRule,
)
from governance.charter_rules import (
    Purpose as Purpose,
)
from governance.charter_rules import (
    SpendingRules as SpendingRules,
)
from governance.charter_rules import (
    Violation as Violation,
)
from governance.charter_rules import (
    VotingRules as VotingRules,
)
from governance.default_charter import default_rules as default_rules
from governance.default_charter import default_text as default_text


def canonical_bytes(obj: Any) -> bytes:
    """RFC 8785 bytes for JSON without floats and with ASCII keys (which is all we publish)."""
    _check_canonical(obj, "$")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _check_canonical(value: Any, path: str) -> None:
    if type(value) in (str, bool) or value is None:
        return
    if type(value) is int:
        if abs(value) > MAX_INT:
            raise ValueError(f"integer out of the safe JSON range at {path}")
    elif type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                raise ValueError(f"object key {key!r} is not an ASCII string at {path}")
            _check_canonical(item, f"{path}.{key}")
    elif type(value) in (list, tuple):
        for i, item in enumerate(value):
            _check_canonical(item, f"{path}[{i}]")
    else:
        raise ValueError(f"{type(value).__name__} not allowed in canonical JSON at {path}")


def charter_digest(text: str, rules_json: Mapping[str, Any], version: int) -> str:
    """Hex SHA-256 of canonical ``{"version", "text", "rules"}``: what a charter version is."""
    if type(version) is not int or version < 1:
        raise ValueError("charter version must be an integer >= 1")
    if type(text) is not str:
        raise ValueError("charter text must be a string")
    obj = {"version": version, "text": text, "rules": dict(rules_json)}
    return hashlib.sha256(canonical_bytes(obj)).hexdigest()


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
                f"version {new_version} does not follow version {current_version}",
            )
        )
    if proposal_kind != "charter_amendment":
        out.append(
            current.violation(
                "charter.amendment", "a new charter is adopted only by a charter amendment vote"
            )
        )
    elif proposal_state != "sealed" or not proposal_passed:
        out.append(
            current.violation(
                "charter.amendment",
                "the amendment vote must be sealed and passed "
                f"(state {proposal_state!r}, passed={proposal_passed})",
            )
        )
    return out
