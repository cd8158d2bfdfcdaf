"""Factories for web tests: real rows through the real services, never mocks."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from app.accounts.models import User
from app.accounts.services import create_user
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council_service
from app.council.models import CouncilSeat, Motion
from app.growth import batches as growth_batches
from app.growth.models import GrowthEntry
from app.keys import service as keys
from app.proposals import service as proposals
from governance.default_charter import default_rules

PASSWORD = "correct horse battery staple"
SPENDING_FIELDS = {
    "amount_fen": 100_000_00,
    "category": "owner_care",
    "beneficiary": "Owners in hardship",
    "purpose": "Roadside help for owners in hardship.",
}
_serial = itertools.count(1)


def make_owner(
    growth: int = 1000,
    *,
    role: str = "owner",
    email: str | None = None,
    at: datetime | None = None,
    name: str | None = None,
) -> User:
    n = next(_serial)
    user = create_user(
        display_name=name or f"Owner {n}",
        email=email or f"owner{n}@example.test",
        password=PASSWORD,
        role=role,
        external_id=f"EXT{n:06d}",
        check_policy=False,
    )
    db.session.flush()
    bind_logged(user)
    if growth:
        add_growth(user, growth, at=at)
    return user


def bind_logged(user: User) -> None:
    """Log the factory's binding as a confirmed claim would, so the audit finds it accounted."""
    from app.growth import bindings
    from app.growth.models import OwnerClaim

    assert user.external_id
    claim = OwnerClaim(owner_number=user.external_id, user_id=user.id, status="confirmed",
                       reason="test", decided_at=utcnow())
    db.session.add(claim)
    db.session.flush()
    bindings.log_binding(claim, 0)


def add_growth(
    user: User, points: int, *, at: datetime | None = None, dimension: str = "purchase"
) -> None:
    rows = [
        {
            "owner_id": user.id,
            "dimension": dimension,
            "points": points,
            "reason": "test",
            "source": "test",
            "source_id": f"t-{next(_serial)}",
            "occurred_at": at or utcnow() - timedelta(days=30),
            "recorded_at": datetime.now(UTC),
        }
    ]
    db.session.execute(insert(GrowthEntry), rows)
    growth_batches.log_batch(rows)  # as an import does: the audit binds entries to the log


def install_charter(*, secret: bool = False, **overrides: Any) -> None:
    """The default charter; its votes open-ballot unless `secret` (most tests exercise the open
    path; the secret one has its own tests, tests/web/secret_helpers.py)."""
    rules = default_rules()
    rules.update(overrides)
    if not secret:
        for kind in rules["voting"]["kinds"].values():
            kind["secrecy"] = "open"
    keys.ensure_key(valid_from=utcnow() - timedelta(days=400))
    charter.install_first("# Test charter\n\nArt. 1.", rules, at=utcnow() - timedelta(days=365))
    db.session.flush()


def make_open_vote(
    author: User,
    council: User,
    *,
    kind: str = "spending",
    options: list[str] | None = None,
    fields: dict[str, Any] | None = None,
    opens: datetime | None = None,
    closes: datetime | None = None,
    title: str = "Fund owner meet-ups in every province",
) -> str:
    """A proposal taken through submit, accept, schedule and open, committed."""
    now = utcnow()
    opens = opens or now - timedelta(hours=1)
    closes = closes or now + timedelta(days=3)
    draft = proposals.Draft(
        kind=kind,
        title=title,
        body="A proposal body long enough to be accepted by the form and the rules.",
        fields=fields if fields is not None else SPENDING_FIELDS,
        options=options or [],
    )
    drafted = opens - timedelta(days=1)
    proposal = proposals.create_draft(author, draft, now=drafted)
    proposals.submit(proposal, author, now=drafted)
    if not council_service.is_seated(council, drafted):
        seat_member(council, start=drafted - timedelta(days=1))
    pass_motion(council, "accept_proposal", f"proposal:{proposal.id}", now=drafted)
    proposals.accept(proposal, council, opens, closes, "fine", now=drafted)
    proposals.open_vote(proposal, opens)
    db.session.commit()
    return proposal.id


def seat_member(
    user: User, role: str = "asset_committee", *, start: datetime | None = None
) -> CouncilSeat:
    """Seat a member for one charter term (from 30 days ago unless told)."""
    return council_service.seat(user, role, start or utcnow() - timedelta(days=30))


def pass_motion(
    opener: User, kind: str, subject: str, *, now: datetime | None = None, title: str = "Motion"
) -> Motion:
    """Open a motion, have every seated member without an interest vote for it, close it."""
    motion = council_service.open_motion(opener, kind, subject, title, "agreed", now=now)
    recused = council_service.recusals_of(motion)
    for member_id in sorted(council_service.seated_member_ids(now)):
        if member_id not in recused:
            member = db.session.get(User, member_id)
            council_service.vote(motion, member, "for", now=now)
    if motion.state != "open":  # referred to the owners: recusals left too few members
        return motion
    # Everyone able to vote has voted, so a member may close it now; a recused opener may not.
    recused = council_service.recusals_of(motion)
    closer = None if opener.id in recused else opener
    at = motion.closes_at if closer is None else now
    council_service.close_motion(motion, closer, now=at)
    return motion


def login(client: Any, user: User, password: str = PASSWORD) -> Any:
    """Sign in through the form; council members and administrators also pass two-factor
    sign-in, as they must before any act of their office."""
    page = client.get("/login")
    token = csrf_from(page)
    response = client.post(
        "/login", data={"login": user.email, "password": password, "csrf_token": token}
    )
    if response.status_code == 302 and _privileged(user):
        pass_second_factor(client, user)
    return response


def _privileged(user: User) -> bool:
    from app.accounts import twofactor

    return twofactor.is_privileged(db.session.get(User, user.id) or user)


def pass_second_factor(client: Any, user: User) -> None:
    """Enrol a fresh TOTP key through the two-factor page and pass it with the app's code.

    A fresh key per sign-in: a code is accepted once per time step (no replay), and tests sign
    the same person in many times a minute.
    """
    import re

    import pyotp

    from app.accounts import twofactor

    account = db.session.get(User, user.id)
    assert account is not None
    twofactor.begin(account)  # back to "not enrolled": the page below enrols anew
    db.session.commit()
    page = client.get("/account/two-factor/")
    match = re.search(rb'id="totp-secret">([A-Z2-7]+)<', page.data)
    assert match, page.data[-2000:]
    done = client.post("/account/two-factor/", data={
        "code": pyotp.TOTP(match.group(1).decode()).now(), "csrf_token": csrf_from(page)})
    assert done.status_code == 200 and b"recovery-codes" in done.data, done.data[-2000:]


def csrf_from(response: Any) -> str:
    import re

    match = re.search(
        rb'name="csrf_token" type="hidden" value="([^"]+)"', response.data
    ) or re.search(rb'name="csrf_token" value="([^"]+)"', response.data)
    assert match, "page has no CSRF token"
    return match.group(1).decode()


def correction_motion(proposal_id: str) -> int:
    """A passed council motion to correct `proposal_id`'s sealed result (the permission a
    correction cites), opened by a seated member; returns its number."""
    opener = db.session.get(User, sorted(council_service.seated_member_ids())[0])
    motion = pass_motion(opener, "correct_result", f"proposal:{proposal_id}",
                         title="Correct the result")
    assert motion.state == "passed", motion.state
    db.session.commit()
    return motion.id
