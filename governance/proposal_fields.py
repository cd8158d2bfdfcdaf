"""A proposal's fields, checked against the charter for its kind: every problem at once, as
(field, message) pairs. Split from ``proposals`` (the state machine); ``proposals`` re-exports
``validate_proposal_fields``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from governance.charter import KINDS, ROLES, CharterRules, CharterRulesError, parse_rules

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
        return [("kind", f"unknown kind {kind!r}; known: {', '.join(KINDS)}")]
    out: list[tuple[str, str]] = []
    known = COMMON_FIELDS + KIND_FIELDS[kind]
    out += [(name, f"not a field of a {kind} proposal") for name in fields if name not in known]
    out += _text(fields, "title", TITLE_MAX, required=True)
    out += _text(fields, "body", BODY_MAX, required=False)
    out += _check_window(fields, rules)
    out += _check_options(fields, rules.voting.kind(kind).method)
    out += _KIND_CHECKS[kind](fields, rules)
    return out


def _text(
    fields: Mapping[str, Any], name: str, limit: int, *, required: bool
) -> list[tuple[str, str]]:
    value = fields.get(name)
    if value is None or value == "":
        return [(name, "is required")] if required else []
    if type(value) is not str:
        return [(name, "must be text")]
    if required and not value.strip():
        return [(name, "is required")]
    if len(value) > limit:
        return [(name, f"must be at most {limit} characters, got {len(value)}")]
    return []


def _check_window(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    opens, closes = fields.get("opens_at"), fields.get("closes_at")
    if opens is None and closes is None:
        return []  # a draft may leave the window for later; scheduling checks it is set
    out = []
    for name, value in (("opens_at", opens), ("closes_at", closes)):
        if not isinstance(value, datetime):
            out.append((name, "must be a date and time"))
        elif value.tzinfo is None or value.utcoffset() is None:
            out.append((name, "must carry a timezone"))
    if out:
        return out
    assert isinstance(opens, datetime) and isinstance(closes, datetime)
    lo, hi = rules.voting.min_hours, rules.voting.max_hours
    length = closes - opens
    if not timedelta(hours=lo) <= length <= timedelta(hours=hi):
        where = rules.article("voting.period")
        return [("closes_at", f"the vote must last {lo} to {hi} hours, not {length}; {where}")]
    return []


def _check_options(fields: Mapping[str, Any], method: str) -> list[tuple[str, str]]:
    options = fields.get("options")
    if method != "choice":
        return [] if options is None else [("options", f"a {method} vote has fixed options")]
    if type(options) is not list or not 2 <= len(options) <= OPTIONS_MAX:
        return [("options", f"give 2 to {OPTIONS_MAX} options")]
    if any(type(o) is not str or not o.strip() or len(o) > TITLE_MAX for o in options):
        return [("options", f"every option is non-empty text of at most {TITLE_MAX} characters")]
    if len(set(options)) != len(options):
        return [("options", "options must differ")]
    return []


def _none(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    return []


def _is_count(value: Any) -> bool:
    return type(value) is int and value > 0


def _check_spending(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    out = []
    if not _is_count(fields.get("amount_fen")):
        out.append(("amount_fen", "must be a whole number of fen greater than zero"))
    category = fields.get("category")
    if category not in rules.purpose_ids:
        ids = ", ".join(p.id for p in rules.purposes)
        where = rules.article("spending.category")
        out.append(("category", f"must be one of the charter's purposes ({ids}); {where}"))
    out += _text(fields, "beneficiary", TITLE_MAX, required=True)
    out += _text(fields, "purpose", BODY_MAX, required=True)
    return out


def _check_amendment(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    # The charter is bilingual: an amendment gives its whole text, and every article, in both.
    out = _text(fields, "new_text", TEXT_MAX, required=True)
    out += _text(fields, "new_text_zh", TEXT_MAX, required=True)
    new_rules = fields.get("new_rules")
    if not isinstance(new_rules, Mapping):
        return [*out, ("new_rules", "must be the new charter's rules (an object)")]
    try:
        parsed = parse_rules(new_rules)
    except CharterRulesError as exc:
        out += [(f"new_rules{path.removeprefix('$')}", msg) for path, msg in exc.problems]
        return out
    missing = [ref for ref, _text_en in parsed.articles if not parsed.has_chinese(ref)]
    if missing:
        out.append(("new_rules", "every article needs its Chinese text: " + ", ".join(missing)))
    return out


def _check_scheme(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    out = _text(fields, "scheme_text", BODY_MAX, required=True)
    criteria = fields.get("criteria")
    if type(criteria) is not list or not criteria:
        out.append(("criteria", "list at least one certification criterion"))
    elif any(type(c) is not str or not c.strip() or len(c) > TITLE_MAX * 5 for c in criteria):
        out.append(("criteria", "every criterion is non-empty text of at most 1000 characters"))
    return out


def _check_election(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    role = fields.get("role")
    if role not in ROLES:
        return [("role", f"must be one of {', '.join(ROLES)}")]
    out = []
    most = rules.council.seats_for(role)
    seats = fields.get("seats", most)
    if not _is_count(seats) or seats > most:
        where = rules.article("council.seats")
        out.append(("seats", f"must be 1 to {most} for {role}; {where}"))
        seats = most
    candidates = fields.get("candidates")
    if type(candidates) is not list or not all(_is_count(c) for c in candidates):
        out.append(("candidates", "must be a list of candidate user ids"))
    elif len(set(candidates)) != len(candidates):
        out.append(("candidates", "a candidate is listed twice"))
    elif len(candidates) < seats:
        out.append(("candidates", f"{len(candidates)} candidates for {seats} seats"))
    return out


def _check_referral(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    if not _is_count(fields.get("motion")) or fields["motion"] < 1:
        return [("motion", "names the council motion referred to the owners")]
    return []


def _check_ratification(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    budget = fields.get("budget")
    if type(budget) is not str or not budget.startswith("emergency-"):
        return [("budget", "names the emergency budget the owners are asked to ratify")]
    return []


def _check_call(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    role = fields.get("role")
    if role not in ROLES:
        return [("role", f"must be one of {', '.join(ROLES)}")]
    most = rules.council.seats_for(role)
    seats = fields.get("seats", most)
    if not _is_count(seats) or not 1 <= seats <= most:
        return [("seats", f"must be 1 to {most} for {role}; {rules.article('council.seats')}")]
    return []


def _check_recall(fields: Mapping[str, Any], rules: CharterRules) -> list[tuple[str, str]]:
    out = []
    for name, what in (("seat", "the council seat"), ("member", "the member in that seat")):
        if not _is_count(fields.get(name)) or fields[name] < 1:
            out.append((name, f"names {what} the owners are asked to end"))
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
