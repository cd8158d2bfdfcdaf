"""The charter's rules as typed values: the kinds, roles and citation keys, and the frozen
dataclasses `parse_rules` (charter_parse.py) builds. See charter.py for the rules JSON."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from governance.refusals import Param, Reason, fill
from governance.witnesses import WitnessRules

Fraction = tuple[int, int]

KINDS = (
    "general",
    "spending",
    "charter_amendment",
    "community_scheme",
    "council_election",
    "poll",
    "council_referral",
    "emergency_ratification",
    "call_election",
    "recall_member",
)
# Kinds a charter may leave out; a rule that relies on one says so when it is missing.
OPTIONAL_KINDS = ("council_referral", "emergency_ratification", "call_election", "recall_member")
METHODS = ("yes_no", "approval", "choice")
ROLES = ("chair", "asset_committee", "proceeds_committee", "supervisors", "protector")
SINGLE_SEAT_ROLES = ("chair", "protector")
# What happens to a motion when recusals leave too few members to reach the quorum.
FALLBACKS = ("owners_vote",)

CITATION_KEYS = (
    "voting.weight_rule",
    "voting.eligibility",
    "voting.period",
    "council.seats",
    "council.term",
    "council.term_limit",
    "council.motion_quorum",
    "council.motion_majority",
    "council.recusal",
    "council.members_only",
    "council.motion_window",
    "council.recusal_fallback",
    "council.interests",
    "spending.amount",
    "spending.budget",
    "spending.category",
    "spending.beneficiary",
    "spending.purpose",
    "spending.cash",
    "spending.approvals",
    "spending.self_approval",
    "spending.committee",
    "spending.recusal",
    "spending.supervision",
    "spending.emergency_cap",
    "spending.emergency_year_cap",
    "spending.ratification",
    "spending.ratification_overdue",
    "communities.scheme",
    "communities.application",
    "communities.min_members",
    "communities.min_cosigners",
    "communities.validity",
    "communities.renewal",
    "communities.revocation",
    "charter.amendment",
    "charter.versions",
)
# Citations a charter written before the rule existed may leave out; a charter that sets the
# rule (nominations_required above zero) must cite it.
OPTIONAL_CITATION_KEYS = ("council.nominations",)

# Integers must survive a trip through any JSON reader (RFC 8785 / IEEE-754 doubles).
MAX_INT = 2**53 - 1
ARTICLE_RE = re.compile(r"Art\. [1-9][0-9]*(\.[1-9][0-9]*)*")
ID_RE = re.compile(r"[a-z][a-z0-9_]{0,47}")
WEIGHT_RULE_RE = re.compile(r"linear|sqrt|equal|capped:[1-9][0-9]{0,15}")
MAX_TEXT = 2000
# A missing key is reported once, by its parent; readers then stay quiet about it.
MISSING: Any = object()


class CharterRulesError(ValueError):
    """The rules are not valid; ``problems`` lists every (path, message) found."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = "; ".join(f"{path}: {message}" for path, message in problems)
        super().__init__(f"{len(problems)} problem(s) in charter rules: {lines}")


@dataclass(frozen=True)
class Violation:
    """A rule a request breaks: the article, its text, and what was wrong.

    ``code`` is the rule's citation key; ``template`` and ``params`` let the app say
    ``message`` in the reader's language (see ``governance.refusals``).
    """

    article: str
    text: str
    message: str
    code: str = ""
    template: str = ""
    params: Mapping[str, Param] = field(default_factory=dict)

    def reason(self) -> Reason:
        return Reason(
            self.code or "charter.violation",
            self.template or self.message,
            self.params if self.template else {},
            self.article,
            self.text,
        )

    def __str__(self) -> str:
        if not self.article:
            return self.message
        return f'{self.message} ({self.article}: "{self.text}")'


@dataclass(frozen=True)
class Purpose:
    id: str
    name_en: str
    name_zh: str
    article: str


@dataclass(frozen=True)
class KindRule:
    kind: str
    method: str
    quorum: Fraction
    threshold: Fraction
    weight_rule: str | None
    cosign_required: int
    article: str
    # "secret" (encrypted ballots, trustees' key) or "open"; a charter written before secret
    # ballots existed says nothing and its votes stay open.
    secrecy: str = "open"


@dataclass(frozen=True)
class TrusteeRules:
    """Secret votes' key ceremony: k of the seated council, and the trustees' time."""

    threshold: Fraction = (1, 2)  # k = ceil(n * num / den), at least 1
    key_hours: int = 48  # after opening, for the key ceremony (ballots wait for the key)
    share_hours: int = 72  # after closing, for the decryption shares

    def k_of(self, n: int) -> int:
        num, den = self.threshold
        return max(1, -(-n * num // den))


@dataclass(frozen=True)
class VotingRules:
    weight_rule: str
    eligibility_min: int
    min_hours: int
    max_hours: int
    kinds: tuple[KindRule, ...]
    trustees: TrusteeRules = TrusteeRules()

    def kind(self, kind: str) -> KindRule:
        for rule in self.kinds:
            if rule.kind == kind:
                return rule
        raise KeyError(f"unknown proposal kind {kind!r}; known: {', '.join(KINDS)}")


@dataclass(frozen=True)
class CouncilRules:
    seats: tuple[tuple[str, int], ...]
    term_days: int
    term_limit: int
    motion_quorum: Fraction
    motion_majority: Fraction
    motion_min_hours: int
    motion_max_hours: int
    recusal_fallback: str
    # Art. 11.5 of the demo charter: owners who must each give their nomination before a
    # candidate stands, within ``nomination_days`` of standing (0: candidates stand at once).
    nominations_required: int = 0
    nomination_days: int = 30

    def seats_for(self, role: str) -> int:
        for name, count in self.seats:
            if name == role:
                return count
        raise KeyError(f"unknown council role {role!r}; known: {', '.join(ROLES)}")

    @property
    def total_seats(self) -> int:
        return sum(count for _, count in self.seats)


@dataclass(frozen=True)
class SpendingRules:
    approvals_required: int
    emergency_cap_fen: int
    emergency_year_cap_fen: int
    ratification_days: int
    beneficiary_required: bool
    # The council role whose members approve disbursements ("" = any seated member, the rule
    # of charters written before committees had powers), and the role that supervises them.
    approving_role: str = ""
    supervising_role: str = ""


@dataclass(frozen=True)
class CommunityRules:
    valid_days: int
    renewal_window_days: int
    min_members: int
    min_cosigners: int
    cosign_days: int


@dataclass(frozen=True)
class CharterRules:
    articles: tuple[tuple[str, str], ...]
    citations: tuple[tuple[str, str], ...]
    purposes: tuple[Purpose, ...]
    voting: VotingRules
    council: CouncilRules
    spending: SpendingRules
    communities: CommunityRules
    # The articles in Chinese, where the charter gives them; the English text is the fallback.
    articles_zh: tuple[tuple[str, str], ...] = ()
    witnesses: WitnessRules = WitnessRules()

    @property
    def purpose_ids(self) -> frozenset[str]:
        return frozenset(p.id for p in self.purposes)

    def article_ref(self, key: str) -> str:
        """The article number stating rule ``key``, e.g. ``"Art. 21.1"``."""
        for name, ref in self.citations:
            if name == key:
                return ref
        section, _, item = key.partition(".")
        if section == "purposes":
            for purpose in self.purposes:
                if purpose.id == item:
                    return purpose.article
        if key.startswith("voting.kinds."):
            return self.voting.kind(key.removeprefix("voting.kinds.")).article
        raise KeyError(f"no article cited for rule {key!r}")

    def article_text_in(self, ref: str, language: str) -> str:
        """Article ``ref`` in ``language`` ("zh" or "en"), English when there is no Chinese."""
        if language.startswith("zh"):
            for name, text in self.articles_zh:
                if name == ref:
                    return text
        return self.article_text(ref)

    def has_chinese(self, ref: str) -> bool:
        return any(name == ref for name, _ in self.articles_zh)

    def article_text(self, ref: str) -> str:
        for name, text in self.articles:
            if name == ref:
                return text
        raise KeyError(f"no article {ref!r} in the charter")

    def article(self, key: str) -> str:
        """``'Art. 21.1: "A disbursement may not exceed ..."'`` for rule ``key``."""
        ref = self.article_ref(key)
        return f'{ref}: "{self.article_text(ref)}"'

    def violation(self, key: str, template: str, **params: Param) -> Violation:
        """Rule ``key`` is broken; ``template`` (marked with ``N_``) says how."""
        ref = self.article_ref(key)
        return Violation(
            ref, self.article_text(ref), fill(template, params), key, template, dict(params)
        )

    def to_json(self) -> dict[str, Any]:
        """Canonical JSON form; ``parse_rules(r.to_json()) == r``."""
        kinds: dict[str, Any] = {}
        for k in self.voting.kinds:
            entry: dict[str, Any] = {
                "method": k.method,
                "quorum": list(k.quorum),
                "threshold": list(k.threshold),
                "cosign_required": k.cosign_required,
                "article": k.article,
            }
            if k.weight_rule is not None:
                entry["weight_rule"] = k.weight_rule
            if k.secrecy != "open":
                entry["secrecy"] = k.secrecy
            kinds[k.kind] = entry
        return {
            **({"articles_zh": dict(self.articles_zh)} if self.articles_zh else {}),
            "articles": dict(self.articles),
            "citations": dict(self.citations),
            "purposes": [
                {"id": p.id, "name_en": p.name_en, "name_zh": p.name_zh, "article": p.article}
                for p in self.purposes
            ],
            "voting": {
                "weight_rule": self.voting.weight_rule,
                "eligibility_min": self.voting.eligibility_min,
                "min_hours": self.voting.min_hours,
                "max_hours": self.voting.max_hours,
                "kinds": kinds,
                **({"trustees": {
                    "threshold": list(self.voting.trustees.threshold),
                    "key_hours": self.voting.trustees.key_hours,
                    "share_hours": self.voting.trustees.share_hours,
                }} if self.voting.trustees != TrusteeRules() else {}),
            },
            "council": {
                "seats": dict(self.council.seats),
                "term_days": self.council.term_days,
                "term_limit": self.council.term_limit,
                "motion_quorum": list(self.council.motion_quorum),
                "motion_majority": list(self.council.motion_majority),
                "motion_min_hours": self.council.motion_min_hours,
                "motion_max_hours": self.council.motion_max_hours,
                "recusal_fallback": self.council.recusal_fallback,
                **({"nominations_required": self.council.nominations_required,
                    "nomination_days": self.council.nomination_days}
                   if self.council.nominations_required else {}),
            },
            "spending": {
                "approvals_required": self.spending.approvals_required,
                "emergency_cap_fen": self.spending.emergency_cap_fen,
                "emergency_year_cap_fen": self.spending.emergency_year_cap_fen,
                "ratification_days": self.spending.ratification_days,
                "beneficiary_required": self.spending.beneficiary_required,
                **(
                    {"approving_role": self.spending.approving_role}
                    if self.spending.approving_role
                    else {}
                ),
                **(
                    {"supervising_role": self.spending.supervising_role}
                    if self.spending.supervising_role
                    else {}
                ),
            },
            "communities": {
                "valid_days": self.communities.valid_days,
                "renewal_window_days": self.communities.renewal_window_days,
                "min_members": self.communities.min_members,
                "min_cosigners": self.communities.min_cosigners,
                "cosign_days": self.communities.cosign_days,
            },
            # Only when the charter names witnesses: earlier charters keep their exact form.
            **({"witnesses": self.witnesses.to_json()} if self.witnesses.article else {}),
        }
