"""The demo trust's money: proceeds and donations, the COVID-style emergency fund decided by
the council (the owners' ratification vote is built by ``build``, which runs votes), a budget
from a passed owners' vote, council-approved disbursements with evidence, and refused attempts
left in the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.core.extensions import db
from app.council import service as council
from app.council.models import Motion
from app.decisions import motions
from app.treasury import service
from app.treasury.disbursements import seat_roles
from app.treasury.models import Budget

EMERGENCY = [
    ("COVID relief: owner care · 抗疫关怀", 300_000_000, "owner_care",
     "Owners and their families in lock-down areas",
     "Medical supplies and care packages for owners in hardship during the outbreak."),
    ("COVID relief: matched donations · 抗疫配捐", 200_000_000, "public_welfare",
     "Hospitals and registered charities chosen by donating owners",
     "Match owners' own donations to pandemic relief one to one."),
]
# (budget index or proposal, amount, public beneficiary, private details, purpose, days ago)
PAYMENTS = [
    (0, 120_000_000, "Owners' families in 14 cities", "List of 1,203 households (private)",
     "Care packages: masks, medicine, groceries.", 380),
    (0, 95_500_050, "Owners in quarantine", "Hotel invoices and names (private)",
     "Quarantine hotel costs for owners stranded away from home.", 370),
    (1, 200_000_000, "Wuhan Union Hospital; Red Cross Society Hubei branch",
     "Bank transfer receipts (private)", "Matched owner donations, 1:1.", 365),
]


def _pass(motion: Motion, members: list[User], at: datetime) -> None:
    recused = council.recusals_of(motion)  # the supervisors, on spending (Art. 22.4)
    for member in members:
        if member.id not in recused:
            council.vote(motion, member, "for", now=at + timedelta(hours=1))
    motions.close(motion, members[0], now=at + timedelta(hours=2))


def build_treasury_demo(now: datetime) -> Iterator[str]:
    # The budget of the demo's passed spending vote exists since its seal; the emergency fund
    # is what this builder adds.
    if db.session.scalar(select(Budget.id).where(Budget.source == "emergency").limit(1)):
        yield "treasury demo already present"
        return
    # Members seated both then and now approve, so every historical act is by a seated member.
    both = council.seated_member_ids(now) & council.seated_member_ids(now - timedelta(days=391))
    members = [db.session.get(User, i) for i in sorted(both)]
    members = [m for m in members if m is not None]
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    if len(members) < 4 or admin is None:
        yield "treasury demo skipped: it needs four seated council members and an administrator"
        return
    chair = members[0]
    # The proceeds committee approves spending (Art. 22.1); its members are seated both then
    # and now, and the chair, who sits on no committee, submits.
    committee = [m for m in members if "proceeds_committee" in seat_roles(now).get(m.id, ())]
    submitter = next((m for m in members if seat_roles(now).get(m.id) == {"chair"}), chair)
    if len(committee) < 3:
        yield "treasury demo skipped: it needs the three members of the proceeds committee"
        return
    service.record_income(admin, "share_proceeds", 1_200_000_000, received_at=now
                          - timedelta(days=400), reference="NIO-SHARES-2020Q1",
                          description="Proceeds of the shares held in trust")
    service.record_income(admin, "donations", 35_000_000, received_at=now - timedelta(days=200),
                          reference="DON-2025-07", description="Owners' donations")
    db.session.commit()

    budgets = []
    for i, (title, amount, category, beneficiary, purpose) in enumerate(EMERGENCY):
        decided = now - timedelta(days=390 - i)
        budget = service.propose_emergency(chair, title, amount, category, beneficiary, purpose,
                                           now=decided)
        motion = db.session.get(Motion, budget.motion_id)
        assert motion is not None
        _pass(motion, members, decided)  # authorises the budget (app.decisions.motions)
        budgets.append(budget)
        db.session.commit()
    yield "council emergency decision: RMB 5 M COVID relief (3 M owner care + 2 M matched)"

    for index, amount, beneficiary, private, purpose, days in PAYMENTS:
        d = service.draft(submitter, budgets[index].id, amount, budgets[index].category,
                          beneficiary, purpose, beneficiary_private=private,
                          uploads=[service.Upload(f"invoice-{days}.pdf", "application/pdf",
                                                  f"demo invoice {days} {amount}".encode())],
                          now=now - timedelta(days=days + 1))
        for member in committee[:2]:
            service.approve(member, d.id, now=now - timedelta(days=days))
        db.session.commit()
    yield f"{len(PAYMENTS)} emergency disbursements recorded and logged"

    yield from _vote_budget(committee, now)
    yield from _refusals(members, budgets[0].id)


def _vote_budget(committee: list[User], now: datetime) -> Iterator[str]:
    """Committee members submit and the other two approve; one request waits for a second."""
    budget = db.session.scalar(select(Budget).where(Budget.source == "proposal").limit(1))
    if budget is None:
        return
    # Each request is submitted a day before its approvals, so it is recorded after it was asked.
    for n, (amount, beneficiary) in enumerate([(18_000_000, "Owners with roadside breakdowns"),
                                               (7_250_000, "Families of 5 owners in hardship")]):
        approved = now - timedelta(days=20 - 5 * n)
        d = service.draft(committee[2], budget.id, amount, budget.category, beneficiary,
                          "Owner care under the 2026 fund.", now=approved - timedelta(days=1))
        for member in committee[:2]:
            service.approve(member, d.id, now=approved)
        db.session.commit()
    pending = service.draft(committee[2], budget.id, 4_000_000, budget.category,
                            "An owner's family after a fire", "Emergency housing for a month.",
                            now=now - timedelta(days=2))
    service.approve(committee[0], pending.id, now=now - timedelta(days=1))
    db.session.commit()
    yield f"budget {budget.id}: 2 disbursements recorded, 1 awaiting approval"


def _refusals(members: list[User], budget_id: str) -> Iterator[str]:
    attempts = [
        ("treasury.disbursement_drafted", lambda: service.draft(
            members[1], budget_id, 999_000_000, "owner_care", "Owners", "Too much")),
        ("treasury.disbursement_drafted", lambda: service.draft(
            members[1], budget_id, 1_000, "connecting_owners", "A meet-up", "Wrong purpose")),
        ("treasury.emergency_proposed", lambda: service.propose_emergency(
            members[0], "Flood relief", 600_000_000, "public_welfare", "Flood areas", "Relief")),
    ]
    for action, attempt in attempts:
        try:
            attempt()
        except service.TreasuryError as exc:
            service.refuse(action, members[0].id, budget_id, exc)
    yield f"{len(attempts)} refused treasury requests in the audit trail"
