"""The charter's secrecy per kind and the trustees' rules (issue 19)."""

from __future__ import annotations

import pytest

from governance.charter import CharterRulesError, parse_rules
from governance.default_charter import default_rules


def test_owners_votes_are_secret_by_default_and_the_rules_round_trip() -> None:
    rules = parse_rules(default_rules())
    assert {k.kind: k.secrecy for k in rules.voting.kinds} == {
        k: "secret" for k in default_rules()["voting"]["kinds"]
    }
    assert rules.voting.trustees.k_of(9) == 5 and rules.voting.trustees.k_of(1) == 1
    assert parse_rules(rules.to_json()) == rules


def test_a_charter_that_says_nothing_keeps_its_votes_open() -> None:
    data = default_rules()
    for kind in data["voting"]["kinds"].values():
        del kind["secrecy"]
    assert {k.secrecy for k in parse_rules(data).voting.kinds} == {"open"}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["voting"]["kinds"]["poll"].update(secrecy="hidden"),
         "$.voting.kinds.poll.secrecy"),
        (lambda d: d["voting"].update(trustees={"threshold": [1, 3], "key_hours": 1,
                                                "share_hours": 1}),
         "$.voting.trustees.threshold"),
        (lambda d: d["voting"].update(trustees={"threshold": [1, 2], "key_hours": 0,
                                                "share_hours": 1}),
         "$.voting.trustees.key_hours"),
    ],
)
def test_bad_secrecy_rules_are_refused_at_their_path(change: object, path: str) -> None:
    data = default_rules()
    change(data)  # type: ignore[operator]
    with pytest.raises(CharterRulesError) as caught:
        parse_rules(data)
    assert path in str(caught.value)
