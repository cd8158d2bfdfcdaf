"""The protector's rules as the charter states them, checked without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from governance.charter import CharterRulesError, default_rules, parse_rules
from governance.protector import ProtectorError, check_hold, earliest, takes_effect

SEALED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _rules(**protector: object) -> dict[str, object]:
    rules = default_rules()
    rules["protector"] = {**rules["protector"], **protector}
    return rules


def test_the_demo_charter_gives_the_protector_seven_days_and_a_thirty_day_hold() -> None:
    p = parse_rules(default_rules()).protector
    assert (p.role, p.window_days, p.hold_days, p.article) == ("protector", 7, 30, "Art. 40.3")
    assert takes_effect(SEALED, p) == SEALED + timedelta(days=7)
    assert earliest(SEALED, True, None, p) == SEALED + timedelta(days=30)
    assert earliest(SEALED, True, SEALED + timedelta(hours=1), p) == SEALED + timedelta(hours=1)


@pytest.mark.parametrize(("change", "path"), [
    ({"role": "treasurer"}, "$.protector.role"),
    ({"window_days": 0}, "$.protector.window_days"),
    ({"hold_days": 7}, "$.protector.hold_days"),
    ({"article": "Art. 99.9"}, "$.protector.article"),
])
def test_bad_protector_rules_are_named_at_their_path(change: dict[str, object], path: str) -> None:
    with pytest.raises(CharterRulesError) as refusal:
        parse_rules(_rules(**change))
    assert [p for p, _m in refusal.value.problems] == [path]


def test_a_charter_without_a_protector_adopts_at_once() -> None:
    rules = default_rules()
    del rules["protector"]
    assert takes_effect(SEALED, parse_rules(rules).protector) is None


def test_the_window_is_half_open() -> None:
    p = parse_rules(default_rules()).protector
    check_hold("pending", SEALED, SEALED + timedelta(days=7) - timedelta(seconds=1), "why", p)
    with pytest.raises(ProtectorError) as refusal:
        check_hold("pending", SEALED, SEALED + timedelta(days=7), "why", p)
    assert refusal.value.code == "protector.window_closed"
    assert refusal.value.params["deadline"] == SEALED + timedelta(days=7)
