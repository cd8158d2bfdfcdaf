"""Checking a charter's rules JSON completely: `parse_rules` reports every problem at once, as
(path, message) pairs, so a drafting committee fixes a proposed amendment in one pass."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance.charter_checks import Checker as _Checker
from governance.charter_checks import one_of, problem
from governance.charter_rules import (
    ARTICLE_RE,
    CITATION_KEYS,
    FALLBACKS,
    ID_RE,
    KINDS,
    METHODS,
    MISSING,
    OPTIONAL_CITATION_KEYS,
    OPTIONAL_KINDS,
    ROLES,
    SINGLE_SEAT_ROLES,
    WEIGHT_RULE_RE,
    CharterRules,
    CharterRulesError,
    CommunityRules,
    CouncilRules,
    KindRule,
    Purpose,
    SpendingRules,
    TrusteeRules,
    VotingRules,
)
from governance.protector import parse_protector
from governance.refusals import N_
from governance.witnesses import parse_witnesses


def parse_rules(data: Mapping[str, Any]) -> CharterRules:
    """Validate ``data`` completely; raise ``CharterRulesError`` listing every problem."""
    c = _Checker()
    top = c.obj(
        data,
        "$",
        ("articles", "citations", "purposes", "voting", "council", "spending", "communities"),
        ("articles_zh", "witnesses", "protector"),
    )
    articles = _parse_articles(c, top.get("articles", MISSING))
    known = dict(articles)
    citations = _parse_citations(c, top.get("citations", MISSING), known)
    purposes = _parse_purposes(c, top.get("purposes", MISSING), known)
    voting = _parse_voting(c, top.get("voting", MISSING), known)
    council = _parse_council(c, top.get("council", MISSING))
    spending = _parse_spending(c, top.get("spending", MISSING), council)
    communities = _parse_communities(c, top.get("communities", MISSING))
    articles_zh = _parse_articles_zh(c, top.get("articles_zh", MISSING), known)
    witnesses = parse_witnesses(top.get("witnesses"), c.add, known)
    protector = parse_protector(top.get("protector"), c.add, known, ROLES)
    if (
        c.ok("$.council.recusal_fallback", "$.voting.kinds")
        and council.recusal_fallback == "owners_vote"
        and not any(k.kind == "council_referral" for k in voting.kinds)
    ):
        c.add("$.voting.kinds.council_referral", problem(
            "fallback_kind", N_("the owners_vote fallback needs this kind")))
    if council.nominations_required and c.ok("$.citations") and not any(
        key == "council.nominations" for key, _ in citations
    ):
        c.add("$.citations.council.nominations", problem(
            "nominations_article", N_("nominations_required needs its article cited")))
    if c.problems:
        raise CharterRulesError(c.problems)
    return CharterRules(
        articles, citations, purposes, voting, council, spending, communities, articles_zh,
        witnesses, protector,
    )


def _parse_articles_zh(
    c: _Checker, value: Any, known: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    # Optional, but when given every article it names must exist in the English articles.
    if c.absent(value):
        return ()
    if not isinstance(value, Mapping):
        c.add("$.articles_zh", problem(
            "articles_zh_object", N_("must be an object of article number -> Chinese text")))
        return ()
    out = []
    for ref, text in value.items():
        path = f"$.articles_zh[{ref!r}]"
        if ref not in known:
            c.add(path, problem("article_not_listed", N_("is not among the articles")))
            continue
        out.append((ref, c.str_(text, path)))
    return tuple(sorted(out, key=lambda item: _article_order(item[0])))


def _parse_articles(c: _Checker, value: Any) -> tuple[tuple[str, str], ...]:
    if c.absent(value):
        return ()
    if not isinstance(value, Mapping) or not value:
        c.add("$.articles", problem(
            "articles_object", N_("must be a non-empty object of article number -> text")))
        return ()
    out = []
    for ref, text in value.items():
        path = f"$.articles[{ref!r}]"
        if type(ref) is not str or ARTICLE_RE.fullmatch(ref) is None:
            c.add(path, problem("article_number", N_("article numbers look like 'Art. 21.1'")))
            continue
        out.append((ref, c.str_(text, path)))
    return tuple(sorted(out, key=lambda item: _article_order(item[0])))


def _article_order(ref: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ref.removeprefix("Art. ").split("."))


def _parse_citations(
    c: _Checker, value: Any, known: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    cites = c.obj(value, "$.citations", CITATION_KEYS, OPTIONAL_CITATION_KEYS)
    return tuple(
        (key, c.article_ref(cites[key], f"$.citations.{key}", known))
        for key in CITATION_KEYS + OPTIONAL_CITATION_KEYS
        if key in cites
    )


def _parse_purposes(c: _Checker, value: Any, known: Mapping[str, str]) -> tuple[Purpose, ...]:
    if c.absent(value):
        return ()
    if type(value) is not list or not value:
        c.add("$.purposes", problem("empty_list", N_("must be a non-empty list")))
        return ()
    out: list[Purpose] = []
    for i, item in enumerate(value):
        path = f"$.purposes[{i}]"
        p = c.obj(item, path, ("id", "name_en", "name_zh", "article"))
        purpose = Purpose(
            c.str_(p.get("id", MISSING), f"{path}.id", ID_RE),
            c.str_(p.get("name_en", MISSING), f"{path}.name_en"),
            c.str_(p.get("name_zh", MISSING), f"{path}.name_zh"),
            c.article_ref(p.get("article", MISSING), f"{path}.article", known),
        )
        if purpose.id and any(other.id == purpose.id for other in out):
            c.add(f"{path}.id", problem("purpose_twice", N_("duplicate purpose %(purpose)s"),
                                         purpose=repr(purpose.id)))
        out.append(purpose)
    return tuple(out)


def _parse_voting(c: _Checker, value: Any, known: Mapping[str, str]) -> VotingRules:
    keys = ("weight_rule", "eligibility_min", "min_hours", "max_hours", "kinds")
    v = c.obj(value, "$.voting", keys, ("trustees",))
    weight_rule = c.str_(v.get("weight_rule", MISSING), "$.voting.weight_rule", WEIGHT_RULE_RE)
    eligibility_min = c.int_(v.get("eligibility_min", MISSING), "$.voting.eligibility_min", 0)
    min_hours = c.int_(v.get("min_hours", MISSING), "$.voting.min_hours", 1, 24 * 366)
    max_hours = c.int_(v.get("max_hours", MISSING), "$.voting.max_hours", 1, 24 * 366)
    if c.ok("$.voting.min_hours", "$.voting.max_hours") and max_hours < min_hours:
        c.add("$.voting.max_hours", problem(
            "max_below_min", N_("must be at least min_hours (%(hours)s)"), hours=min_hours))
    required = tuple(k for k in KINDS if k not in OPTIONAL_KINDS)
    kinds_obj = c.obj(v.get("kinds", MISSING), "$.voting.kinds", required, OPTIONAL_KINDS)
    kinds = tuple(
        _parse_kind(c, name, kinds_obj[name], known) for name in KINDS if name in kinds_obj
    )
    trustees = _parse_trustees(c, v["trustees"]) if "trustees" in v else TrusteeRules()
    return VotingRules(weight_rule, eligibility_min, min_hours, max_hours, kinds, trustees)


def _parse_trustees(c: _Checker, value: Any) -> TrusteeRules:
    path = "$.voting.trustees"
    t = c.obj(value, path, ("threshold", "key_hours", "share_hours"))
    threshold = c.fraction(t.get("threshold", MISSING), f"{path}.threshold")
    # Below one half, a minority of the council could read the tally alone; above one, no k.
    if c.ok(f"{path}.threshold") and not (
        threshold[1] <= 2 * threshold[0] and threshold[0] <= threshold[1]
    ):
        c.add(f"{path}.threshold", problem(
            "trustee_threshold", N_("the trustees' threshold is between 1/2 and 1")))
    return TrusteeRules(
        threshold=threshold,
        key_hours=c.int_(t.get("key_hours", MISSING), f"{path}.key_hours", 1, 24 * 366),
        share_hours=c.int_(t.get("share_hours", MISSING), f"{path}.share_hours", 1, 24 * 366),
    )


def _parse_kind(c: _Checker, name: str, value: Any, known: Mapping[str, str]) -> KindRule:
    path = f"$.voting.kinds.{name}"
    k = c.obj(
        value,
        path,
        ("method", "quorum", "threshold", "cosign_required", "article"),
        ("weight_rule", "secrecy"),
    )
    secrecy = "open"
    if "secrecy" in k:
        secrecy = c.str_(k["secrecy"], f"{path}.secrecy")
        if secrecy not in ("secret", "open"):
            c.add(f"{path}.secrecy", problem("secrecy", N_("must be 'secret' or 'open'")))
    method = c.str_(k.get("method", MISSING), f"{path}.method")
    if method and method not in METHODS:
        c.add(f"{path}.method", one_of(METHODS))
    if name == "council_election" and method and method != "approval":
        c.add(f"{path}.method", problem(
            "election_method", N_("council elections are approval votes with seats")))
    if name != "council_election" and method == "approval":
        c.add(f"{path}.method", problem(
            "approval_method", N_("approval voting is for council elections")))
    threshold = c.fraction(k.get("threshold", MISSING), f"{path}.threshold")
    # Below one half, the side that lost could carry a yes/no vote.
    if method == "yes_no" and c.ok(f"{path}.threshold") and 2 * threshold[0] < threshold[1]:
        c.add(f"{path}.threshold", problem(
            "yes_no_threshold", N_("a yes/no threshold must be at least 1/2")))
    weight_rule = None
    if "weight_rule" in k:
        weight_rule = c.str_(k["weight_rule"], f"{path}.weight_rule", WEIGHT_RULE_RE)
    return KindRule(
        kind=name,
        method=method,
        quorum=c.fraction(k.get("quorum", MISSING), f"{path}.quorum"),
        threshold=threshold,
        weight_rule=weight_rule,
        cosign_required=c.int_(
            k.get("cosign_required", MISSING), f"{path}.cosign_required", 0, 1_000_000
        ),
        article=c.article_ref(k.get("article", MISSING), f"{path}.article", known),
        secrecy=secrecy,
    )


def _parse_council(c: _Checker, value: Any) -> CouncilRules:
    keys = (
        "seats",
        "term_days",
        "term_limit",
        "motion_quorum",
        "motion_majority",
        "motion_min_hours",
        "motion_max_hours",
        "recusal_fallback",
    )
    v = c.obj(value, "$.council", keys, ("nominations_required", "nomination_days"))
    seats_obj = c.obj(v.get("seats", MISSING), "$.council.seats", ROLES)
    seats = []
    for role in ROLES:
        if role not in seats_obj:
            continue
        path = f"$.council.seats.{role}"
        if role in SINGLE_SEAT_ROLES:
            seats.append((role, c.int_(seats_obj[role], path, 1, 1)))
        else:
            seats.append((role, c.int_(seats_obj[role], path, 1, 1000)))
    majority = c.fraction(v.get("motion_majority", MISSING), "$.council.motion_majority")
    if c.ok("$.council.motion_majority") and 2 * majority[0] < majority[1]:
        c.add("$.council.motion_majority", problem("majority", N_("must be at least 1/2")))
    quorum = c.fraction(v.get("motion_quorum", MISSING), "$.council.motion_quorum")
    if c.ok("$.council.motion_quorum") and quorum[0] == 0:
        c.add("$.council.motion_quorum", problem(
            "quorum_zero", N_("a council motion needs a quorum above zero")))
    low = c.int_(v.get("motion_min_hours", MISSING), "$.council.motion_min_hours", 1, 24 * 366)
    high = c.int_(v.get("motion_max_hours", MISSING), "$.council.motion_max_hours", 1, 24 * 366)
    if c.ok("$.council.motion_min_hours", "$.council.motion_max_hours") and high < low:
        c.add("$.council.motion_max_hours", problem(
            "motion_max_below_min", N_("must be at least motion_min_hours (%(hours)s)"),
            hours=low))
    fallback = c.str_(v.get("recusal_fallback", MISSING), "$.council.recusal_fallback")
    if fallback and fallback not in FALLBACKS:
        c.add("$.council.recusal_fallback", one_of(FALLBACKS))
    return CouncilRules(
        seats=tuple(seats),
        term_days=c.int_(v.get("term_days", MISSING), "$.council.term_days", 1, 3660),
        term_limit=c.int_(v.get("term_limit", MISSING), "$.council.term_limit", 1, 100),
        motion_quorum=quorum,
        motion_majority=majority,
        motion_min_hours=low,
        motion_max_hours=high,
        recusal_fallback=fallback,
        nominations_required=c.int_(v.get("nominations_required", 0),
                                    "$.council.nominations_required", 0, 1_000_000),
        nomination_days=c.int_(v.get("nomination_days", 30), "$.council.nomination_days", 1, 366),
    )


def _parse_spending(c: _Checker, value: Any, council: CouncilRules) -> SpendingRules:
    keys = (
        "approvals_required",
        "emergency_cap_fen",
        "emergency_year_cap_fen",
        "ratification_days",
        "beneficiary_required",
    )
    v = c.obj(value, "$.spending", keys, ("approving_role", "supervising_role"))
    approvals = c.int_(v.get("approvals_required", MISSING), "$.spending.approvals_required", 1)
    roles = {}
    for key in ("approving_role", "supervising_role"):
        roles[key] = c.str_(v.get(key, MISSING), f"$.spending.{key}") if key in v else ""
        if roles[key] and roles[key] not in ROLES:
            c.add(f"$.spending.{key}", one_of(ROLES))
            roles[key] = ""
    if roles["approving_role"] and roles["approving_role"] == roles["supervising_role"]:
        c.add("$.spending.supervising_role", problem(
            "supervisor_approves", N_("supervisors never approve what they supervise")))
    committee = roles["approving_role"]
    if committee and c.ok("$.council.seats", "$.spending.approvals_required") and (
        approvals > council.seats_for(committee)
    ):
        c.add("$.spending.approvals_required", problem(
            "committee_seats",
            N_("cannot exceed the seats of the approving committee (%(seats)s)"),
            seats=council.seats_for(committee)))
    # The submitter never approves their own request, so one seat is always out.
    if c.ok("$.council.seats", "$.spending.approvals_required") and (
        approvals > council.total_seats - 1
    ):
        c.add("$.spending.approvals_required", problem(
            "council_seats",
            N_("cannot exceed the council's seats minus the submitter (%(seats)s)"),
            seats=council.total_seats - 1))
    cap = c.int_(v.get("emergency_cap_fen", MISSING), "$.spending.emergency_cap_fen", 0)
    year_cap = c.int_(
        v.get("emergency_year_cap_fen", MISSING), "$.spending.emergency_year_cap_fen", 0
    )
    if c.ok("$.spending.emergency_cap_fen", "$.spending.emergency_year_cap_fen") and (
        year_cap < cap
    ):
        c.add("$.spending.emergency_year_cap_fen", problem(
            "year_cap", N_("must be at least emergency_cap_fen")))
    return SpendingRules(
        approvals_required=approvals,
        emergency_cap_fen=cap,
        emergency_year_cap_fen=year_cap,
        ratification_days=c.int_(
            v.get("ratification_days", MISSING), "$.spending.ratification_days", 1
        ),
        beneficiary_required=c.bool_(
            v.get("beneficiary_required", MISSING), "$.spending.beneficiary_required"
        ),
        approving_role=committee,
        supervising_role=roles["supervising_role"],
    )


def _parse_communities(c: _Checker, value: Any) -> CommunityRules:
    keys = ("valid_days", "renewal_window_days", "min_members", "min_cosigners", "cosign_days")
    v = c.obj(value, "$.communities", keys)
    valid_days = c.int_(v.get("valid_days", MISSING), "$.communities.valid_days", 1, 3660)
    window = c.int_(
        v.get("renewal_window_days", MISSING), "$.communities.renewal_window_days", 0, 3660
    )
    if c.ok("$.communities.valid_days", "$.communities.renewal_window_days") and (
        window >= valid_days
    ):
        c.add("$.communities.renewal_window_days", problem(
            "renewal_window", N_("must be shorter than valid_days")))
    return CommunityRules(
        valid_days=valid_days,
        renewal_window_days=window,
        min_members=c.int_(v.get("min_members", MISSING), "$.communities.min_members", 1),
        min_cosigners=c.int_(v.get("min_cosigners", MISSING), "$.communities.min_cosigners", 0),
        cosign_days=c.int_(v.get("cosign_days", MISSING), "$.communities.cosign_days", 1, 366),
    )
