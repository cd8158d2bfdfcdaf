# ruff: noqa: F811  (the fixture `trust` is imported from test_treasury and requested by name)
"""Committees with powers on a real database: only the committee the charter names approves
spending, with recusal applied and the rest of the council as its fallback; supervisors never
approve (Art. 22.1-22.4 of the demo charter)."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.extensions import db
from app.council import interests
from app.treasury import service
from app.treasury.models import Disbursement
from tests.factories import make_owner
from tests.web.test_treasury import seat, trust  # noqa: F401  (trust is a fixture)


def draft(t: dict[str, Any], beneficiary: str = "Families of 12 owners") -> Disbursement:
    d = service.draft(t["members"][0], t["budget"], 100_00, "owner_care", beneficiary,
                      "Hospital bills.")
    db.session.commit()
    return d


def refused(member: Any, d: Disbursement) -> list[str]:
    with pytest.raises(service.TreasuryError) as refusal:
        service.approve(member, d.id)
    db.session.rollback()
    return [v.article for v in refusal.value.violations]


def test_a_seated_member_off_the_committee_is_refused(trust: dict[str, Any]) -> None:
    protector = make_owner(0, role="council", name="Protector")
    seat(protector, "protector")
    db.session.commit()
    d = draft(trust)
    assert refused(protector, d) == ["Art. 22.1"]
    assert db.session.get(Disbursement, d.id).state == "pending"


def test_a_supervisor_never_approves(trust: dict[str, Any]) -> None:
    d = draft(trust)
    assert refused(trust["members"][3], d) == ["Art. 22.4"]


def test_the_beneficiary_on_the_committee_is_recused(trust: dict[str, Any]) -> None:
    d = draft(trust, beneficiary="member 1")  # Member 1's own name, spaced and cased apart
    assert refused(trust["members"][1], d) == ["Art. 22.3"]


def test_a_declared_interest_in_the_budget_recuses(trust: dict[str, Any]) -> None:
    m = trust["members"]
    interests.declare(m[2], f"budget:{trust['budget']}", "My garage is paid from it")
    db.session.commit()
    d = draft(trust)
    assert refused(m[2], d) == ["Art. 22.3"]


def test_recusals_below_the_committees_number_open_approval_to_other_members(
    trust: dict[str, Any]
) -> None:
    m = trust["members"]
    outsider = make_owner(0, role="council", name="Asset member")
    seat(outsider, "asset_committee")
    db.session.commit()
    interests.declare(m[2], f"budget:{trust['budget']}", "My garage is paid from it")
    db.session.commit()
    d = draft(trust)
    # Only one committee member is free, so the other seated members who have no interest and
    # do not supervise approve in its place; the supervisor still does not.
    assert service.approve(outsider, d.id) is False
    db.session.commit()
    assert refused(m[3], d) == ["Art. 22.4"]
    assert service.approve(m[1], d.id) is True
    db.session.commit()
    assert db.session.get(Disbursement, d.id).state == "recorded"


def test_without_recusals_an_outsider_cannot_stand_in(trust: dict[str, Any]) -> None:
    outsider = make_owner(0, role="council", name="Asset member")
    seat(outsider, "asset_committee")
    db.session.commit()
    d = draft(trust)
    assert refused(outsider, d) == ["Art. 22.1"]
