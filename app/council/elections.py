"""Council elections: candidacies with statements, the election proposal, and seating the
winners once its result is sealed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import nominations
from app.council import service as council
from app.council.models import Candidacy, CouncilSeat
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.results.reads import current_result
from app.translog import service as translog
from app.translog.models import LogLeaf
from ballots.records import format_time
from governance.charter import ROLES
from governance.council import seats_from_election

CANDIDATE_PREFIX = "candidate-"
# The log leaf naming a called election, its candidates and the nominations each had.
CALLED = "council.election_called"
STATEMENT_MAX = 5000


class ElectionError(ValueError):
    pass


def open_candidacies(role: str | None = None) -> list[Candidacy]:
    query = select(Candidacy).where(
        Candidacy.proposal_id.is_(None), Candidacy.withdrawn_at.is_(None)
    )
    if role:
        query = query.where(Candidacy.role == role)
    return list(db.session.scalars(query.order_by(Candidacy.role, Candidacy.registered_at)))


def candidacies_for(proposal_id: str) -> list[Candidacy]:
    return list(
        db.session.scalars(
            select(Candidacy)
            .where(Candidacy.proposal_id == proposal_id)
            .order_by(Candidacy.registered_at)
        )
    )


def register(owner: User, role: str, statement: str, now: datetime | None = None) -> Candidacy:
    """An owner stands for a council role with a public statement."""
    now = now or utcnow()
    rules = charter.current_rules()
    if role not in ROLES:
        raise ElectionError(gettext("unknown council role %(role)s", role=repr(role)))
    if not statement.strip() or len(statement) > STATEMENT_MAX:
        raise ElectionError(
            gettext("a candidate's statement is 1 to %(most)d characters", most=STATEMENT_MAX))
    if any(c.user_id == owner.id for c in open_candidacies(role)):
        raise ElectionError(gettext("you already stand for this role in the next election"))
    if not council.may_stand(owner.id, role, now):
        raise ElectionError(gettext(
            "you have served the most consecutive terms in this role; %(article)s",
            article=rules.article("council.term_limit"),
        ))
    row = Candidacy(user_id=owner.id, role=role, statement=statement.strip(), registered_at=now,
                    nomination_deadline=nominations.deadline_for(now, rules))
    db.session.add(row)
    db.session.flush()
    audit.record("council.candidacy", actor_id=owner.id, subject=f"candidacy:{row.id}", role=role)
    return row


def withdraw(candidacy: Candidacy, owner: User, now: datetime | None = None) -> None:
    if candidacy.user_id != owner.id or candidacy.proposal_id or candidacy.withdrawn_at:
        raise ElectionError(gettext("only an open candidacy is withdrawn, by the candidate"))
    candidacy.withdrawn_at = now or utcnow()
    audit.record("council.candidacy_withdrawn", actor_id=owner.id,
                 subject=f"candidacy:{candidacy.id}")


def standing(role: str) -> list[Candidacy]:
    """Open candidacies in the role whose candidates stand: nominated as the charter asks."""
    rules = charter.current_rules()
    return [c for c in open_candidacies(role) if nominations.stands(c, rules)]


def call_election(
    author: User, role: str, seats: int, now: datetime | None = None, *, called_by: str = ""
) -> Proposal:
    """Draft and submit the council_election proposal for every candidate who stands in the
    role (pending candidacies wait for the next one). ``called_by`` names an owners' vote that
    called it; otherwise the author (a seated member) did."""
    now = now or utcnow()
    rules = charter.current_rules()
    standing_now = standing(role)
    if role in ROLES and len(standing_now) < seats:
        raise proposals.ProposalError(gettext(
            "%(count)s candidates stand for %(seats)s seats: a candidacy stands once "
            "%(required)s owners have nominated the candidate",
            count=len(standing_now), seats=seats,
            required=rules.council.nominations_required))
    draft = proposals.Draft(
        kind="council_election",
        title=f"Council election: {role.replace('_', ' ')} ({seats} seat{'s' * (seats > 1)})",
        body="Candidates and their statements are listed on the election page. "
        "Approve as many candidates as there are seats.",
        fields={"role": role, "seats": seats, "candidates": [c.user_id for c in standing_now]},
        options=[],
    )
    proposal = proposals.create_draft(author, draft, now=now)
    given = nominations.counts([c.id for c in standing_now])
    for candidacy in standing_now:
        candidacy.proposal_id = proposal.id
    proposals.submit(proposal, author, now=now)
    translog.append(CALLED, called_by or proposal.id, {
        "type": CALLED,
        "election": proposal.id,
        "role": role,
        "seats": seats,
        "called_by": called_by or f"council member {author.id}",
        "nominations_required": rules.council.nominations_required,
        "candidates": [{"candidacy": c.id, "candidate_id": c.user_id,
                        "nominations": given[c.id]} for c in standing_now],
        "called_at": format_time(now),
    }, at=now)
    return proposal


def call_by_owners(call: Proposal, passed: bool, sealed_at: datetime) -> list[str]:
    """A passed ``call_election`` vote calls the election it names, as the council would.

    Once: the log's ``council.election_called`` leaf about the call says it was done. If too
    few candidates stand yet, nothing is called and the reason is reported; running it again
    (``answer_waiting_calls``, from cron) calls it once they do.
    """
    if call.kind != "call_election" or not passed or _called(call.id):
        return []
    fields = json.loads(call.payload_json)
    author = db.session.get(User, call.author_id)
    assert author is not None
    try:
        with db.session.begin_nested():
            election = call_election(author, fields["role"], int(fields["seats"]), sealed_at,
                                     called_by=call.id)
    except proposals.ProposalError as exc:
        return [f"election called by owners' vote {call.id} not yet drafted: {exc}"]
    audit.record("council.election_called", subject=call.id, election=election.id)
    return [f"owners' vote {call.id} called council election {election.id}"]


def answer_waiting_calls(now: datetime | None = None) -> list[str]:
    """Owners' calls that passed while too few candidates stood are called once enough do
    (cron, `flask trust seal-due`); a call still waiting is not reported on every run."""
    from app.results.reads import sealed_outcome

    lines: list[str] = []
    for call in db.session.scalars(select(Proposal).where(
            Proposal.kind == "call_election", Proposal.state == "sealed").order_by(Proposal.id)):
        row = current_result(call.id)
        if _called(call.id) or row is None or sealed_outcome(row) != "passed":
            continue
        done = call_by_owners(call, True, now or utcnow())
        lines += [line for line in done if "called council election" in line]
    return lines


def called_election(call_id: str) -> str | None:
    """The election an owners' call (or a council call, by its own id) drafted, from the log."""
    leaf = db.session.scalar(
        select(LogLeaf).where(LogLeaf.type == CALLED, LogLeaf.subject == call_id).limit(1))
    return str(json.loads(leaf.record_json)["election"]) if leaf else None


def _called(call_id: str) -> bool:
    return db.session.scalar(
        select(LogLeaf.index).where(LogLeaf.type == CALLED, LogLeaf.subject == call_id).limit(1)
    ) is not None


def _applied(proposal_id: str) -> bool:
    return db.session.scalar(
        select(LogLeaf.index).where(LogLeaf.type == "council.election",
                                    LogLeaf.subject == proposal_id).limit(1)
    ) is not None


def apply_sealed_result(proposal_id: str) -> list[str]:
    """`seat_winners` from the stored seal (a re-run; anything but a sealed election is left
    alone)."""
    proposal = db.session.get(Proposal, proposal_id)
    row = current_result(proposal_id)
    if proposal is None or proposal.kind != "council_election" or row is None:
        return []
    return seat_winners(proposal, json.loads(row.result_json)["tally"], row.digest,
                        row.sealed_at)


def seat_winners(
    proposal: Proposal, tally: dict[str, Any], digest: str, sealed_at: datetime
) -> list[str]:
    """Seat the winners of a sealed council election (once); report a tie, never break it.

    The decisions layer calls this with the sealed tally, in the seal's transaction; the terms
    start at the moment of the seal.
    """
    proposal_id = proposal.id
    if proposal.kind != "council_election" or _applied(proposal_id):
        return []
    totals = {
        int(option[len(CANDIDATE_PREFIX):]): int(weight)
        for option, weight in tally["totals"].items()
        if option.startswith(CANDIDATE_PREFIX)
    }
    role = json.loads(proposal.payload_json)["role"]
    rules = charter.current_rules()
    outcome = seats_from_election(
        totals, role, rules, passed=tally["outcome"] != "no_quorum", seats=proposal.seats
    )
    start = sealed_at
    lines = []
    for member_id in outcome.elected:
        member = db.session.get(User, member_id)
        assert member is not None
        if not council.may_stand(member_id, role, start):
            # The term limit was checked at registration; a limit reached since is reported.
            lines.append(f"{member.display_name} is past the term limit and is not seated")
            continue
        _make_room(member_id, role, start, proposal_id, rules.council.seats_for(role))
        seat = council.seat(member, role, start, elected_by=proposal_id)
        lines.append(f"seated {member.display_name} as {role} (seat {seat.id})")
    names = {u.id: u.display_name for u in db.session.scalars(
        select(User).where(User.id.in_({*outcome.elected, *outcome.tied})))}
    translog.append(
        "council.election",
        proposal_id,
        {
            "type": "council.election",
            "proposal": proposal_id,
            "result": digest,
            "role": role,
            "seats": outcome.seats,
            "elected": [names[i] for i in outcome.elected],
            "tied": [names[i] for i in outcome.tied],
            "unfilled": outcome.unfilled,
            "applied_at": format_time(start),
        },
        at=start,
    )
    audit.record("council.election_applied", subject=proposal_id,
                 elected=list(outcome.elected), tied=list(outcome.tied), unfilled=outcome.unfilled)
    if outcome.tied:
        lines.append(f"tie for the last seat(s) between {sorted(names[i] for i in outcome.tied)}; "
                     f"{outcome.unfilled} seat(s) stay vacant until a run-off")
    return lines


def _make_room(member_id: int, role: str, at: datetime, proposal_id: str, most: int) -> None:
    """The winner's own running term in the role ends; then the earliest-ending terms of others
    end if the role would otherwise hold more members than the charter allows."""
    running = [s for s in council.active_seats(at) if s.role == role]
    for seat in running:
        if seat.member_id == member_id:
            council.vacate(seat, f"re-elected by {proposal_id}", at)
    others = sorted((s for s in running if s.member_id != member_id), key=lambda s: s.term_end)
    while len(others) + 1 > most:
        council.vacate(others.pop(0), f"succeeded after election {proposal_id}", at)


def elections() -> list[Proposal]:
    return list(db.session.scalars(
        select(Proposal).where(Proposal.kind == "council_election")
        .order_by(Proposal.created_at.desc())))


def election_summary(proposal_id: str) -> dict[str, object] | None:
    """What the log says the election seated, or None before it is applied."""
    leaf = db.session.scalar(
        select(LogLeaf).where(LogLeaf.type == "council.election", LogLeaf.subject == proposal_id)
    )
    return json.loads(leaf.record_json) if leaf else None


def seats_of_election(proposal_id: str) -> list[CouncilSeat]:
    return list(db.session.scalars(
        select(CouncilSeat).where(CouncilSeat.elected_by == proposal_id).order_by(CouncilSeat.id)))
