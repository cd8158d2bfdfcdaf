from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.approvals import approvers
from governance.charter import (
    CharterRules,
    CharterRulesError,
    Violation,
    default_rules,
    parse_rules,
)
from governance.treasury import (
    BudgetState,
    DisbursementRequest,
    LedgerEntry,
    balances,
    budget_authorisation,
    budget_remaining,
    check_approval,
    check_disbursement,
    check_emergency,
    check_ledger,
    disbursement,
    emergency_used_in_year,
    income,
    is_fully_approved,
    ratification_due,
    ratification_overdue,
    reversal_of,
    unbalanced_transactions,
)

RULES = parse_rules(default_rules())
YUAN = 100
MILLION = 1_000_000 * YUAN
SEATED = {1, 2, 3, 4, 5}
REQUEST = DisbursementRequest(
    id="d-1",
    budget_id="covid-2020",
    category="owner_care",
    amount_fen=3 * MILLION,
    beneficiary="Owners in Hubei with confirmed hardship",
    purpose="COVID relief: owner care",
    submitter_id=1,
)
BUDGET = BudgetState("covid-2020", 5 * MILLION, frozenset({"owner_care", "public_welfare"}))


def articles(violations: list[Violation]) -> list[str]:
    return [v.article for v in violations]


def test_disbursement_within_an_authorised_budget_is_allowed() -> None:
    assert check_disbursement(REQUEST, BUDGET, RULES, cash_fen=10 * MILLION) == []


def test_disbursement_over_remaining_budget_is_refused_quoting_article() -> None:
    [v] = check_disbursement(replace(REQUEST, amount_fen=5 * MILLION + 1), BUDGET, RULES)
    assert v.article == "Art. 21.1"
    assert v.text == "A disbursement may not exceed the remaining amount of the budget it draws on."
    assert "RMB 5,000,000.01 exceeds the RMB 5,000,000.00 remaining" in v.message


def test_disbursement_citing_no_authorised_budget_is_refused() -> None:
    assert articles(check_disbursement(REQUEST, None, RULES)) == ["Art. 21.1"]
    other = BudgetState("other", 10 * MILLION, frozenset({"owner_care"}))
    assert articles(check_disbursement(REQUEST, other, RULES)) == ["Art. 21.1"]


def test_category_the_budget_does_not_allow_is_refused() -> None:
    request = replace(REQUEST, category="connecting_owners")
    assert articles(check_disbursement(request, BUDGET, RULES)) == ["Art. 21.2"]


def test_category_outside_the_charter_purposes_is_refused() -> None:
    budget = replace(BUDGET, categories=frozenset({"cars"}))
    request = replace(REQUEST, category="cars")
    assert articles(check_disbursement(request, budget, RULES)) == ["Art. 21.2"]


def test_disbursement_without_beneficiary_or_purpose_is_refused() -> None:
    request = replace(REQUEST, beneficiary=" ", purpose="")
    assert articles(check_disbursement(request, BUDGET, RULES)) == ["Art. 21.3", "Art. 21.4"]


def test_beneficiary_is_optional_when_the_charter_says_so() -> None:
    data = default_rules()
    data["spending"]["beneficiary_required"] = False
    rules = parse_rules(data)
    assert check_disbursement(replace(REQUEST, beneficiary=""), BUDGET, rules) == []


def test_disbursement_beyond_cash_held_is_refused() -> None:
    assert articles(check_disbursement(REQUEST, BUDGET, RULES, cash_fen=YUAN)) == ["Art. 21.5"]


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
def test_amount_must_be_positive_whole_fen(amount: object) -> None:
    request = replace(REQUEST, amount_fen=amount)  # type: ignore[arg-type]
    assert "Art. 21.5" in articles(check_disbursement(request, BUDGET, RULES))


def test_every_broken_rule_is_reported_at_once() -> None:
    request = replace(REQUEST, amount_fen=9 * MILLION, category="x", beneficiary="", purpose="")
    assert articles(check_disbursement(request, BUDGET, RULES, cash_fen=0)) == [
        "Art. 21.1",
        "Art. 21.2",
        "Art. 21.2",
        "Art. 21.3",
        "Art. 21.4",
        "Art. 21.5",
    ]


# 1 chair (submits), 2-4 the proceeds committee, 5-6 supervisors, 7 the protector.
ROLES = {1: {"chair"}, 2: {"proceeds_committee"}, 3: {"proceeds_committee"},
         4: {"proceeds_committee"}, 5: {"supervisors"}, 6: {"supervisors"}, 7: {"protector"}}


def approve_check(who: int, approvals: set[int] = frozenset(), interested: set[int] = frozenset(),
                  rules: CharterRules = RULES) -> list[str]:
    return articles(check_approval(who, 1, ROLES, interested, approvals, rules))


def test_submitter_cannot_approve_their_own_disbursement() -> None:
    assert approve_check(1) == ["Art. 22.2"]


def test_only_seated_members_approve_and_only_once() -> None:
    assert approve_check(9) == ["Art. 22.1"]
    assert approve_check(2, {2}) == ["Art. 22.1"]
    assert approve_check(2, {3}) == []


def test_only_the_named_committee_approves() -> None:
    assert RULES.spending.approving_role == "proceeds_committee"
    assert approve_check(7) == ["Art. 22.1"]  # seated, but not on the committee
    assert [v.code for v in check_approval(7, 1, ROLES, set(), set(), RULES)] == [
        "spending.committee"]


def test_supervisors_never_approve_what_they_supervise() -> None:
    assert approve_check(5) == ["Art. 22.4"]
    # not even when recusals open the approval to the rest of the council
    assert approve_check(5, interested={2, 3}) == ["Art. 22.4"]


def test_an_interested_member_is_recused_from_approving() -> None:
    assert approve_check(2, interested={2}) == ["Art. 22.3"]


def test_when_recusals_leave_too_few_committee_members_the_other_members_approve() -> None:
    able = approvers(ROLES, RULES, submitter_id=1, interested={2, 3})
    assert able.fallback and able.members == frozenset({4, 7})
    assert approve_check(7, interested={2, 3}) == []
    assert not is_fully_approved({2, 3}, RULES, submitter_id=1, roles=ROLES, interested={2, 3})
    assert is_fully_approved({4, 7}, RULES, submitter_id=1, roles=ROLES, interested={2, 3})


def test_full_approval_needs_n_committee_members_other_than_the_submitter() -> None:
    def full(approvals: set[int]) -> bool:
        return is_fully_approved(approvals, RULES, submitter_id=1, roles=ROLES, interested=set())

    assert full({2, 3}) and full({3, 4})
    assert not full({1, 2})
    assert not full({2, 7}) and not full({2, 5}) and not full({2, 9})


def test_a_charter_without_a_committee_keeps_any_seated_member() -> None:
    data = default_rules()
    del data["spending"]["approving_role"], data["spending"]["supervising_role"]
    old = parse_rules(data)
    assert approve_check(7, rules=old) == [] and approve_check(5, rules=old) == []


def test_the_committee_rules_are_checked_when_a_charter_is_read() -> None:
    data = default_rules()
    data["spending"]["approving_role"] = "treasurers"
    with pytest.raises(CharterRulesError) as bad:
        parse_rules(data)
    assert "$.spending.approving_role" in str(bad.value)
    data = default_rules()
    data["spending"]["supervising_role"] = "proceeds_committee"
    with pytest.raises(CharterRulesError):
        parse_rules(data)
    data = default_rules()
    data["spending"]["approvals_required"] = 4  # the committee has three seats
    with pytest.raises(CharterRulesError) as bad:
        parse_rules(data)
    assert "$.spending.approvals_required" in str(bad.value)


def test_covid_relief_fits_the_emergency_cap() -> None:
    owner_care, matched_donations = 3 * MILLION, 2 * MILLION
    assert check_emergency(owner_care + matched_donations, 0, RULES) == []


def test_emergency_over_the_per_motion_cap_is_refused_quoting_article() -> None:
    [v] = check_emergency(5 * MILLION + 1, 0, RULES)
    assert v.article == "Art. 23.1" and "RMB 5,000,000.01" in v.message


def test_emergency_over_the_yearly_cap_is_refused() -> None:
    [v] = check_emergency(1 * MILLION, 9 * MILLION + 1, RULES)
    assert v.article == "Art. 23.2"
    assert articles(check_emergency(0, 0, RULES)) == ["Art. 21.5"]


def test_emergency_use_is_summed_per_calendar_year() -> None:
    t = datetime(2020, 2, 1, tzinfo=UTC)
    decisions = [(t, 5 * MILLION), (t.replace(year=2021), 1 * MILLION)]
    assert emergency_used_in_year(decisions, 2020) == 5 * MILLION


def test_emergency_spending_must_be_ratified_within_the_deadline() -> None:
    decided = datetime(2020, 2, 1, tzinfo=UTC)
    due = ratification_due(decided, RULES)
    assert due == decided + timedelta(days=90)
    assert not ratification_overdue(decided, due - timedelta(seconds=1), RULES, ratified=False)
    assert ratification_overdue(decided, due, RULES, ratified=False)
    assert not ratification_overdue(decided, due, RULES, ratified=True)


def covid_ledger() -> list[LedgerEntry]:
    return [
        *income("t1", 10 * MILLION, "donations", "pledge-2020"),
        *budget_authorisation("t2", "covid-2020", 5 * MILLION, "motion-1"),
        *disbursement("t3", "covid-2020", "owner_care", 3 * MILLION, "d-1"),
        *disbursement("t4", "covid-2020", "public_welfare", 2 * MILLION, "d-2"),
    ]


def test_balances_are_derived_from_the_entries() -> None:
    assert balances(covid_ledger()) == {
        "assets:cash": 5 * MILLION,
        "authority": 0,
        "budget:covid-2020": 0,
        "expense:owner_care": 3 * MILLION,
        "expense:public_welfare": 2 * MILLION,
        "income:donations": -10 * MILLION,
    }
    assert budget_remaining(covid_ledger()[:8], "covid-2020") == 2 * MILLION


def test_every_transaction_balances_and_the_ledger_is_sound() -> None:
    assert unbalanced_transactions(covid_ledger()) == []
    assert check_ledger(covid_ledger()) == []


def test_reversal_negates_a_transaction_and_restores_balances() -> None:
    entries = covid_ledger()
    t4 = [e for e in entries if e.txn == "t4"]
    fixed = [*entries, *reversal_of(t4, "t5")]
    assert check_ledger(fixed) == []
    assert balances(fixed)["budget:covid-2020"] == 2 * MILLION
    assert {e.reference for e in fixed if e.txn == "t5"} == {"t4"}


def test_a_reversal_is_not_itself_reversed_and_reverses_whole_transactions() -> None:
    t4 = [e for e in covid_ledger() if e.txn == "t4"]
    with pytest.raises(ValueError):
        reversal_of(reversal_of(t4, "t5"), "t6")
    with pytest.raises(ValueError):
        reversal_of(covid_ledger(), "t9")


def test_ledger_check_finds_double_reversal_and_unknown_reference() -> None:
    t4 = [e for e in covid_ledger() if e.txn == "t4"]
    twice = [*covid_ledger(), *reversal_of(t4, "t5"), *reversal_of(t4, "t6")]
    assert check_ledger(twice) == ["transaction t4 is reversed twice"]
    orphan = [
        LedgerEntry("t9", "assets:cash", 1, "reversal", "nope"),
        LedgerEntry("t9", "income:donations", -1, "reversal", "nope"),
    ]
    assert check_ledger([*covid_ledger(), *orphan]) == [
        "reversal t9 references no earlier transaction"
    ]


def test_ledger_check_finds_unbalanced_and_overspent_transactions() -> None:
    broken = [*covid_ledger(), LedgerEntry("t5", "assets:cash", 1, "income", "x")]
    assert "transaction t5 does not balance" in check_ledger(broken)
    over = [*covid_ledger(), *disbursement("t5", "covid-2020", "owner_care", 1, "d-3")]
    assert check_ledger(over) == ["after transaction t5, budget:covid-2020 is below zero (-1 fen)"]


def test_ledger_check_finds_split_and_mixed_transactions() -> None:
    a, b = income("t1", 5, "donations", "r")
    c, d = budget_authorisation("t2", "b", 5, "r")
    assert "transaction t1 is split by other entries" in check_ledger([a, c, d, b])
    mixed = [a, LedgerEntry("t1", "income:donations", -5, "budget_authorised", "r")]
    assert check_ledger(mixed) == ["transaction t1 mixes kinds ['budget_authorised', 'income']"]


@pytest.mark.parametrize(
    ("account", "amount", "kind"),
    [
        ("assets:cash", 0, "income"),
        ("assets:cash", 1.0, "income"),
        ("cash", 1, "income"),
        ("assets:cash", 1, "gift"),
    ],
)
def test_malformed_ledger_entry_is_refused(account: str, amount: int, kind: str) -> None:
    with pytest.raises(ValueError):
        LedgerEntry("t1", account, amount, kind, "r")


amounts = st.integers(1, 10**12)


@given(st.lists(st.tuples(st.sampled_from(["in", "budget", "spend"]), amounts), max_size=30))
def test_ledger_stays_balanced_and_full_reversal_zeroes_every_account(
    ops: list[tuple[str, int]],
) -> None:
    entries: list[LedgerEntry] = []
    for i, (op, amount) in enumerate(ops):
        txn = f"t{i}"
        if op == "in":
            entries += income(txn, amount, "donations", "r")
        elif op == "budget":
            entries += budget_authorisation(txn, "b1", amount, "r")
        else:
            entries += disbursement(txn, "b1", "owner_care", amount, "r")
    assert unbalanced_transactions(entries) == []
    totals = balances(entries)
    assert sum(totals.values()) == 0
    assert totals.get("assets:cash", 0) == -totals.get("income:donations", 0) - totals.get(
        "expense:owner_care", 0
    )
    for i in range(len(ops)):
        entries += reversal_of([e for e in entries if e.txn == f"t{i}"], f"r{i}")
    assert all(v == 0 for v in balances(entries).values())
