"""A proposal's fields, checked against the charter for its kind: every problem at once, as
(field, message) pairs. Split from ``proposals`` (the state machine); ``proposals`` re-exports
``validate_proposal_fields``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from governance.charter import KINDS, ROLES, CharterRules, CharterRulesError, parse_rules
from governance.refusals import N_, Problem, cite

TITLE_MAX = 200  # the proposals.title column
BODY_MAX = 20_000
TEXT_MAX = 200_000  # a whole charter's text
OPTIONS_MAX = 20
COMMON_FIELDS = ("title", "body", "opens_at", "closes_at", "options")
KIND_FIELDS: Mapping[str, tuple[str, ...]] = {
    "general": (),
    "spending": ("amount_fen", "category", "beneficiary", "purpose"),
    "charter_amendment": ("new_text", "new_text_zh", "new_rules"),
    "community_scheme": ("scheme_text", "criteria"),
    "council_election": ("role", "seats", "candidates"),
    "poll": (),
    "council_referral": ("motion",),
    "emergency_ratification": ("budget",),
    "call_election": ("role", "seats"),
    "recall_member": ("seat", "member"),
}


def validate_proposal_fields(
    kind: str, fields: Mapping[str, Any], rules: CharterRules
) -> list[tuple[str, str]]:
    """Every problem with a proposal's fields, as (field, message); empty = valid."""
    if kind not in KINDS:
        return [("kind", Problem("proposal.kind_unknown",
                                 N_("unknown kind %(kind)s; known: %(known)s"),
                                 kind=repr(kind), known=", ".join(KINDS)))]
    out: list[tuple[str, str]] = []
    known = COMMON_FIELDS + KIND_FIELDS[kind]
    out += [(name, Problem("proposal.field_unknown", N_("not a field of a %(kind)s proposal"),
                           kind=kind)) for name in fields if name not in known]
    out += _text(fields, "title", TITLE_MAX, required=True)
    out += _text(fields, "body", BODY_MAX, required=False)
    out += _check_window(fields, rules)
    out += _check_options(fields, rules.voting.kind(kind).method)
    out += _KIND_CHECKS[kind](fields, rules)
    return out


def _REQUIRED() -> Problem:  # noqa: N802 - reads as the constant it stands for
    return Problem("proposal.required", N_("is required"))


def _text(
    fields: Mapping[str, Any], name: str, limit: int, *, required: bool
) -> list[tuple[str, str]]:
    value = fields.get(name)
    if value is None or value == "":
        return [(name, _REQUIRED())] if required else []
    if type(value) is not str:
        return [(name, Problem("proposal.not_text", N_("must be text")))]
    if required and not value.strip():
        return [(name, _REQUIRED())]
    if len(value) > limit:
        return [(name, Problem("proposal.too_long",
                               N_("must be at most %(limit)s characters, got %(length)s"),
                               limit=limit, length=len(value)))]
    return []


def _check_window(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    opens, closes = fields.get("opens_at"), fields.get("closes_at")
    if opens is None and closes is None:
        return []  # a draft may leave the window for later; scheduling checks it is set
    out: list[tuple[str, str]] = []
    for name, value in (("opens_at", opens), ("closes_at", closes)):
        if not isinstance(value, datetime):
            out.append((name, Problem("proposal.not_a_time", N_("must be a date and time"))))
        elif value.tzinfo is None or value.utcoffset() is None:
            out.append((name, Problem("proposal.no_zone", N_("must carry a timezone"))))
    if out:
        return out
    assert isinstance(opens, datetime) and isinstance(closes, datetime)
    lo, hi = rules.voting.min_hours, rules.voting.max_hours
    length = closes - opens
    if not timedelta(hours=lo) <= length <= timedelta(hours=hi):
        return [("closes_at", _length_problem(length, lo, hi, rules))]
    return []


def _length_problem(length: timedelta, lo: int, hi: int, rules: CharterRules) -> Problem:
    # Rounded away from the bound, so a vote 30 s too long never reads as exactly the longest.
    seconds = int(length.total_seconds())
    minutes = seconds // 60 if length < timedelta(hours=lo) else -(-seconds // 60)
    hours, minutes = divmod(minutes, 60)
    if minutes == 0:
        return Problem(
            "proposal.window_length",
            N_("the vote must last %(lo)s to %(hi)s hours, not %(hours)s"),
            lo=lo, hi=hi, hours=hours, **cite(rules, "voting.period"))
    return Problem(
        "proposal.window_length",
        N_("the vote must last %(lo)s to %(hi)s hours, not %(hours)s h %(minutes)s min"),
        lo=lo, hi=hi, hours=hours, minutes=minutes, **cite(rules, "voting.period"))


def _check_options(fields: Mapping[str, Any], method: str) -> list[tuple[str, str]]:
    options = fields.get("options")
    if method != "choice":
        return [] if options is None else [("options", Problem(
            "proposal.fixed_options", N_("a %(method)s vote has fixed options"), method=method))]
    if type(options) is not list or not 2 <= len(options) <= OPTIONS_MAX:
        return [("options", Problem("proposal.option_count", N_("give 2 to %(most)s options"),
                                    most=OPTIONS_MAX))]
    if any(type(o) is not str or not o.strip() or len(o) > TITLE_MAX for o in options):
        return [("options", Problem(
            "proposal.option_text",
            N_("every option is non-empty text of at most %(most)s characters"), most=TITLE_MAX))]
    if len(set(options)) != len(options):
        return [("options", Problem("proposal.options_repeat", N_("options must differ")))]
    return []


def _none(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    return []


def _is_count(value: Any) -> bool:
    return type(value) is int and value > 0


def _check_spending(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not _is_count(fields.get("amount_fen")):
        out.append(("amount_fen", Problem("proposal.amount",
                                          N_("must be a whole number of fen greater than zero"))))
    category = fields.get("category")
    if category not in rules.purpose_ids:
        out.append(("category", Problem(
            "proposal.category", N_("must be one of the charter's purposes"),
            **cite(rules, "spending.category"))))
    out += _text(fields, "beneficiary", TITLE_MAX, required=True)
    out += _text(fields, "purpose", BODY_MAX, required=True)
    return out


def _check_amendment(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    # The charter is bilingual: an amendment gives its whole text, and every article, in both.
    out = _text(fields, "new_text", TEXT_MAX, required=True)
    out += _text(fields, "new_text_zh", TEXT_MAX, required=True)
    new_rules = fields.get("new_rules")
    if not isinstance(new_rules, Mapping):
        return [*out, ("new_rules", Problem("proposal.rules_object",
                                            N_("must be the new charter's rules (an object)")))]
    try:
        parsed = parse_rules(new_rules)
    except CharterRulesError as exc:
        out += [(f"new_rules{path.removeprefix('$')}", msg) for path, msg in exc.problems]
        return out
    missing = [ref for ref, _text_en in parsed.articles if not parsed.has_chinese(ref)]
    if missing:
        out.append(("new_rules", Problem(
            "proposal.rules_chinese", N_("every article needs its Chinese text: %(articles)s"),
            articles=", ".join(missing))))
    return out


def _check_scheme(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    out = _text(fields, "scheme_text", BODY_MAX, required=True)
    criteria = fields.get("criteria")
    if type(criteria) is not list or not criteria:
        out.append(("criteria", Problem("proposal.criteria",
                                        N_("list at least one certification criterion"))))
    elif any(type(c) is not str or not c.strip() or len(c) > TITLE_MAX * 5 for c in criteria):
        out.append(("criteria", Problem(
            "proposal.criterion_text",
            N_("every criterion is non-empty text of at most %(most)s characters"),
            most=TITLE_MAX * 5)))
    return out


def _check_election(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    role = fields.get("role")
    if role not in ROLES:
        return [("role", Problem("proposal.role",
                                 N_("must be one of the council's roles: %(roles)s"),
                                 roles=ROLES))]
    out: list[tuple[str, str]] = []
    most = rules.council.seats_for(role)
    seats = fields.get("seats", most)
    if not _is_count(seats) or seats > most:
        out.append(("seats", Problem("proposal.seats", N_("must be 1 to %(most)s for %(role)s"),
                                     most=most, role=str(role), **cite(rules, "council.seats"))))
        seats = most
    candidates = fields.get("candidates")
    if type(candidates) is not list or not all(_is_count(c) for c in candidates):
        out.append(("candidates", Problem("proposal.candidates",
                                          N_("must be a list of candidate user ids"))))
    elif len(set(candidates)) != len(candidates):
        out.append(("candidates", Problem("proposal.candidate_twice",
                                          N_("a candidate is listed twice"))))
    elif len(candidates) < seats:
        out.append(("candidates", Problem(
            "proposal.too_few_candidates", N_("%(count)s candidates for %(seats)s seats"),
            count=len(candidates), seats=seats)))
    return out


def _check_referral(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    if not _is_count(fields.get("motion")) or fields["motion"] < 1:
        return [("motion", Problem("proposal.referral_motion",
                                   N_("names the council motion referred to the owners")))]
    return []


def _check_ratification(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    budget = fields.get("budget")
    if type(budget) is not str or not budget.startswith("emergency-"):
        return [("budget", Problem(
            "proposal.ratification_budget",
            N_("names the emergency budget the owners are asked to ratify")))]
    return []


def _check_call(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    role = fields.get("role")
    if role not in ROLES:
        return [("role", Problem("proposal.role",
                                 N_("must be one of the council's roles: %(roles)s"),
                                 roles=ROLES))]
    most = rules.council.seats_for(role)
    seats = fields.get("seats", most)
    if not _is_count(seats) or not 1 <= seats <= most:
        return [("seats", Problem("proposal.seats", N_("must be 1 to %(most)s for %(role)s"),
                                  most=most, role=str(role), **cite(rules, "council.seats")))]
    return []


def _check_recall(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not _is_count(fields.get("seat")):
        out.append(("seat", Problem("proposal.recall_seat",
                                    N_("names the council seat the owners are asked to end"))))
    if not _is_count(fields.get("member")):
        out.append(("member", Problem(
            "proposal.recall_member",
            N_("names the member in that seat the owners are asked to end"))))
    return out


_KIND_CHECKS = {
    "general": _none,
    "spending": _check_spending,
    "charter_amendment": _check_amendment,
    "community_scheme": _check_scheme,
    "council_election": _check_election,
    "poll": _none,
    "council_referral": _check_referral,
    "emergency_ratification": _check_ratification,
    "call_election": _check_call,
    "recall_member": _check_recall,
}
