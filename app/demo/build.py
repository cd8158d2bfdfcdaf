"""A believable demo trust, created idempotently by `flask --app wsgi demo`."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select

from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.accounts.services import create_user
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.demo import amendment as demo_amendment
from app.demo import council as demo_council
from app.demo import secret as demo_secret
from app.demo import treasury as demo_treasury
from app.demo import witnesses as demo_witnesses
from app.growth import batches as growth_batches
from app.growth.models import GrowthEntry
from app.keys import service as keys
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.voting import commitments
from app.voting import service as voting
from governance.default_charter import default_rules, default_text
from governance.default_charter_zh import default_text_zh

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published in the README for the demo
OWNERS = 200
SEED = 2019

CHARTER_DAYS_AGO = 730
CHARTER_HEADER = "# Charter of the Owners' Trust\n\n"
CHARTER_HEADER_ZH = "# 用户信托章程\n\n"


def _owner_growth(rng: random.Random, n: int) -> list[tuple[str, int, str]]:
    """A mix like the real community: a few heavy early users, many newer, modest accounts."""
    entries = [("purchase", 1000 * rng.randint(1, 2), "Vehicle purchase")]
    if n <= 15:  # early, very active owners
        entries += [("referral", 200 * rng.randint(5, 40), "Referred new owners")]
        entries += [("community", 100 * rng.randint(10, 60), "Organised owner events")]
    elif n <= 80:
        entries += [("referral", 200 * rng.randint(0, 6), "Referred new owners")]
        entries += [("community", 50 * rng.randint(0, 20), "Community contributions")]
    else:
        entries += [("efficiency", rng.randint(0, 300), "Energy-efficient driving")]
    if rng.random() < 0.1:
        entries.append(("special", 500, "Special contribution: pandemic relief volunteer"))
    return [(d, p, r) for d, p, r in entries if p > 0]


def _people(now: datetime) -> Iterator[str]:
    rng = random.Random(SEED)
    shared = hash_password(DEMO_PASSWORD)
    create_user(
        password_hash=shared,
        display_name="Trust administrator",
        email="admin@demo.trust",
        password=DEMO_PASSWORD,
        role="admin",
        check_policy=False,
    )
    council_names = [
        "Chair Li Wei",
        "Zhang Min",
        "Wang Fang",
        "Liu Yang",
        "Chen Jie",
        "Yang Lin",
        "Zhao Lei",
        "Huang Xin",
        "Zhou Tao",
    ]
    users = []
    for i, name in enumerate(council_names):
        email = "chair@demo.trust" if i == 0 else f"council{i}@demo.trust"
        users.append(
            create_user(
                password_hash=shared,
                display_name=name,
                email=email,
                password=DEMO_PASSWORD,
                role="council",
                check_policy=False,
            )
        )
    for n in range(1, OWNERS + 1):
        users.append(
            create_user(
                password_hash=shared,
                display_name=f"Owner {n}",
                email=f"owner{n}@demo.trust",
                password=DEMO_PASSWORD,
                vehicle_count=1 + (n % 7 == 0),
                check_policy=False,
            )
        )
    db.session.flush()
    numbers = [f"C{i:04d}" for i in range(len(council_names))] + [
        f"N{n:06d}" for n in range(1, OWNERS + 1)
    ]
    _bind_by_claims(users, numbers)
    rows = []
    for position, user in enumerate(users, start=1):
        start = now - timedelta(days=2200 - 9 * position)
        for k, (dimension, points, reason) in enumerate(_owner_growth(rng, position)):
            rows.append(
                {
                    "owner_id": user.id,
                    "dimension": dimension,
                    "points": points,
                    "reason": reason,
                    "source": "demo",
                    "source_id": f"demo-{user.external_id}-{k}",
                    "occurred_at": start + timedelta(days=30 * k),
                    "recorded_at": now,
                }
            )
    db.session.execute(insert(GrowthEntry), rows)
    growth_batches.log_batch(rows)
    yield f"created {len(users) + 1} accounts and {len(rows)} growth-value entries"


def _bind_by_claims(users: list[User], numbers: list[str]) -> None:
    """The demo owners get their numbers the one way anyone does: the brand's feed names each
    number's verified contact, and a claim code sent there binds it (read here instead of
    mailed: the demo wrote those contacts itself)."""
    from app.growth import claims, holding

    holding.save_contacts(
        {number: (claims.contact_digest("email", user.email), None)
         for user, number in zip(users, numbers, strict=True)},
        "demo",
    )
    db.session.flush()
    for user, number in zip(users, numbers, strict=True):
        _channel, _target, code = claims.issue_claim_code(user, number)
        assert claims.confirm_claim(user, code) == number
    db.session.flush()


def _vote(proposal_id: str, opens: datetime, choices: list[list[str]], rng: random.Random) -> int:
    owners = db.session.scalars(select(User).where(User.role != "admin").order_by(User.id)).all()
    cast = 0
    for i, owner in enumerate(owners):
        if rng.random() < 0.35:
            continue
        when = opens + timedelta(minutes=5 + i)
        try:
            voting.cast(proposal_id, owner.id, rng.choice(choices), now=when)
        except voting.VoteRefused:
            continue  # joined after the vote opened (the older votes): not on its roll
        cast += 1
        if rng.random() < 0.05:  # a few owners change their mind
            voting.cast(proposal_id, owner.id, rng.choice(choices), now=when + timedelta(hours=2))
    return cast


def _put_to_vote(
    author: User, council: User, draft: proposals.Draft, opens: datetime, closes: datetime
) -> Proposal:
    drafted = opens - timedelta(days=7)
    proposal = proposals.create_draft(author, draft, now=drafted)
    proposals.submit(proposal, author, now=drafted)
    needed = charter.current_rules().voting.kind(draft.kind).cosign_required
    if needed:
        # The owners' path: enough co-signatures, then the author schedules the vote.
        owners = db.session.scalars(
            select(User).where(User.role == "owner", User.id != author.id).order_by(User.id)
            .limit(needed)).all()
        for owner in owners:
            proposals.cosign(proposal, owner, now=drafted)
        proposals.schedule(proposal, author, opens, closes, now=drafted)
        proposals.open_vote(proposal, opens)
        db.session.commit()
        return proposal
    demo_council.pass_motion(council, "accept_proposal", f"proposal:{proposal.id}",
                             f"Put {proposal.id} to the owners", drafted)
    proposals.accept(
        proposal,
        council,
        opens,
        closes,
        "Within the charter's purposes; put to the owners.",
        now=drafted,
    )
    proposals.open_vote(proposal, opens)
    db.session.commit()
    return proposal


def _run_vote(
    author: User,
    council: User,
    draft: proposals.Draft,
    opens: datetime,
    closes: datetime,
    choices: list[list[str]],
    rng: random.Random,
    seal: bool,
) -> str:
    proposal = _put_to_vote(author, council, draft, opens, closes)
    _vote(proposal.id, opens, choices, rng)
    if seal:
        close_and_seal(proposal, now=closes)
        db.session.commit()
    return proposal.id


def _secret_votes(author: User, chair: User, now: datetime, rng: random.Random) -> Iterator[str]:
    sealed = _put_to_vote(
        author,
        chair,
        proposals.Draft(
            kind="general",
            title="Owners' code of conduct · 车主行为准则",
            body="Adopt the owners' code of conduct for events and online groups. "
            "A secret vote: ballots were encrypted, and the council's trustees decrypted "
            "only the total.",
            fields={},
            options=[],
        ),
        now - timedelta(days=20),
        now - timedelta(days=13),
    )
    shares = demo_secret.run_ceremony(sealed.id, now - timedelta(days=20), dispute=True)
    cast = demo_secret.cast_all(sealed.id, now - timedelta(days=20),
                                [["yes"]] * 6 + [["no"]] * 3 + [["abstain"]], rng)
    demo_secret.seal_with_trustees(sealed, shares, now - timedelta(days=13))
    del shares  # the builder's trustee keys for a sealed vote are gone with this frame
    yield f"sealed secret vote {sealed.id} ({cast} encrypted ballots)"
    live = _put_to_vote(
        author,
        chair,
        proposals.Draft(
            kind="general",
            title="Quiet hours at owner events · 车主活动安静时段",
            body="Keep owner events quiet late in the evening. A secret vote: your ballot "
            "is encrypted in your browser.",
            fields={},
            options=[],
        ),
        now - timedelta(hours=6),
        now + timedelta(days=6),
    )
    shares = demo_secret.run_ceremony(live.id, now - timedelta(hours=6))
    yield f"open secret vote {live.id} (closes in 6 days; trustees' keys ready)"
    folder = Path(current_app.instance_path) / "demo-trustees"
    yield from demo_secret.keep_trustee_files(live.id, shares, folder, DEMO_PASSWORD)


def _ratification(author: User, chair: User, now: datetime, rng: random.Random) -> Iterator[str]:
    """The owners ratify the owner-care half of the COVID relief by vote (Art. 23.3); the
    matched-donations half was never put to them, so it is overdue and frozen (Art. 23.4)."""
    from app.treasury import service as treasury

    opens = now - timedelta(days=335)
    proposal_id = _run_vote(
        author,
        chair,
        proposals.Draft(
            kind="emergency_ratification",
            title="Ratify the COVID relief for owner care · 追认抗疫用户关怀支出",
            body="The council spent RMB 3,000,000 on owner care in the outbreak by emergency "
            "motion; the charter asks the owners to ratify it.",
            fields={"budget": "emergency-1"},
            options=[],
        ),
        opens,
        opens + timedelta(days=4),
        [["yes"]] * 5 + [["no"]],
        rng,
        seal=True,
    )
    lines = treasury.sync_budgets()
    db.session.commit()
    yield f"owners' ratification vote {proposal_id}: {'; '.join(lines) or 'nothing ratified'}"


def build_demo() -> Iterator[str]:
    if db.session.scalar(select(User).where(User.email == "admin@demo.trust")):
        yield "demo trust already present"
        return
    now = utcnow()
    rng = random.Random(SEED)
    keys.ensure_key(valid_from=now - timedelta(days=2300))
    rules = default_rules()
    # Owners' votes are secret by default (Art. 10.4); the demo's charter keeps the other kinds
    # open so that it shows both formats: general resolutions are its secret votes.
    for name, kind in rules["voting"]["kinds"].items():
        kind["secrecy"] = "secret" if name == "general" else "open"
    rules["articles"][demo_witnesses.ARTICLE] = demo_witnesses.ARTICLE_TEXT
    rules["witnesses"] = demo_witnesses.prepare()
    rules.setdefault("articles_zh", {})[demo_witnesses.ARTICLE] = demo_witnesses.ARTICLE_TEXT_ZH
    text = default_text() + f"\n\n**{demo_witnesses.ARTICLE}** {demo_witnesses.ARTICLE_TEXT}\n"
    # Adopted before the founding council's first term (700 days ago) and before every
    # proposal, budget and disbursement it governs.
    charter.install_first(
        CHARTER_HEADER + text,
        rules,
        at=now - timedelta(days=CHARTER_DAYS_AGO),
        text_zh=CHARTER_HEADER_ZH
        + default_text_zh()
        + f"\n\n**{demo_witnesses.ARTICLE}** {demo_witnesses.ARTICLE_TEXT_ZH}\n",
    )
    yield from _people(now)
    db.session.commit()
    yield from demo_council.seat_founding_council(now)
    chair = db.session.scalar(select(User).where(User.email == "chair@demo.trust"))
    author = db.session.scalar(select(User).where(User.email == "owner7@demo.trust"))
    assert chair is not None and author is not None

    passed = _run_vote(
        author,
        chair,
        proposals.Draft(
            kind="spending",
            title="Owner care fund for 2026: RMB 3 million · 2026 用户关怀基金",
            body="Set aside **RMB 3,000,000** of the trust's proceeds for owner care in 2026: "
            "roadside help for owners in hardship and care for owners' families.",
            fields={
                "amount_fen": 300_000_000,
                "category": "owner_care",
                "beneficiary": "Owners in hardship, chosen by the proceeds committee",
                "purpose": "Roadside help and family care for owners in hardship in 2026.",
            },
            options=[],
        ),
        now - timedelta(days=60),
        now - timedelta(days=53),
        [["yes"]] * 7 + [["no"]] * 2 + [["abstain"]],
        rng,
        seal=True,
    )
    yield f"sealed binary vote {passed}"

    single = _run_vote(
        author,
        chair,
        proposals.Draft(
            kind="poll",
            title="First public welfare project · 首个公益项目",
            body="Which public welfare project should the trust fund first?",
            fields={},
            options=["Rural school libraries", "Wetland clean-up", "Blood donation drive"],
        ),
        now - timedelta(days=40),
        now - timedelta(days=33),
        [["rural-school-libraries"]] * 5
        + [["wetland-clean-up"]] * 3
        + [["blood-donation-drive"]] * 2,
        rng,
        seal=True,
    )
    yield f"sealed single-choice vote {single}"

    live = _run_vote(
        author,
        chair,
        proposals.Draft(
            kind="spending",
            title="Matched donations: RMB 2 million · 配捐 200 万元",
            body="Match owners' own donations to public welfare one to one, "
            "up to **RMB 2,000,000**.",
            fields={
                "amount_fen": 200_000_000,
                "category": "public_welfare",
                "beneficiary": "Registered charities chosen by donating owners",
                "purpose": "Match owners' public-welfare donations one to one.",
            },
            options=[],
        ),
        now - timedelta(days=1),
        now + timedelta(days=6),
        [["yes"]] * 6 + [["no"]] * 3 + [["abstain"]],
        rng,
        seal=False,
    )
    yield f"open vote {live} (closes in 6 days)"
    yield from _secret_votes(author, chair, now, rng)
    # As the cron step does every minute while ballots arrive.
    for outcome in commitments.commit_open_votes():
        yield f"committed {outcome.count} ballots of {outcome.proposal_id} to the log"

    yield from demo_council.build(now)

    draft = proposals.create_draft(
        author,
        proposals.Draft(
            kind="general",
            title="Owner meet-ups in every province · 各省车主聚会",
            body="A draft: fund one owner meet-up per province per year to connect owners.",
            fields={},
            options=[],
        ),
    )
    db.session.commit()
    yield f"draft {draft.id}"
    yield from demo_treasury.build_treasury_demo(now)
    yield from _ratification(author, chair, now, rng)
    yield from demo_amendment.build(author, chair, now, rng, _run_vote)
    yield from demo_secret.build_rejected(author, chair, now, rng, _put_to_vote)
    yield (
        f"demo accounts: admin@demo.trust, chair@demo.trust, owner1..{OWNERS}@demo.trust; "
        f"password {DEMO_PASSWORD}"
    )
