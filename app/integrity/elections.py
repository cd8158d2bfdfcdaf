"""`flask trust audit`, elections part: nominations, called elections and recalls.

Each nomination row must reproduce its `council.nominated` leaf; each called election's
`council.election_called` leaf names its candidates with the nominations each had, which the
rows must still give (in time, by owners other than the candidate) and which must reach the
number the charter then asked; a seat ended "recalled by owners' vote X" needs X to be a sealed,
passed recall of that very seat, and every such passed recall must have ended its seat.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy import select

from app.core.extensions import db
from app.council.models import Candidacy, CouncilSeat, Nomination
from app.council.recall import REASON_PREFIX
from app.integrity.findings import Finding
from app.proposals.models import Proposal
from app.results.reads import current_result, sealed_outcome
from app.translog import kinds
from ballots.keys import KeyRing
from ballots.records import format_time


def audit_nominations(_keyring: KeyRing) -> Iterator[Finding]:
    logged = {(r["candidacy"], r["nominator_id"]): r
              for _i, _s, r in kinds.records("council.nominated")}
    stored = set()
    for row in db.session.scalars(select(Nomination).order_by(Nomination.id)):
        key = (row.candidacy_id, row.owner_id)
        stored.add(key)
        where = f"nomination {row.id} (candidacy {row.candidacy_id})"
        record = logged.get(key)
        if record is None:
            yield Finding(where, "no council.nominated leaf records it: the row was inserted")
            continue
        if record["given_at"] != format_time(row.given_at):
            yield Finding(where, "its time differs from the logged nomination")
        candidacy = db.session.get(Candidacy, row.candidacy_id)
        if candidacy is not None and candidacy.user_id == row.owner_id:
            yield Finding(where, "the candidate nominated themselves")
    for candidacy_id, owner_id in sorted(set(logged) - stored):
        yield Finding(f"candidacy {candidacy_id}",
                      f"owner {owner_id}'s logged nomination was deleted")


def _in_time(candidacy: Candidacy) -> int:
    query = select(Nomination).where(Nomination.candidacy_id == candidacy.id,
                                     Nomination.owner_id != candidacy.user_id)
    rows = list(db.session.scalars(query))
    deadline = candidacy.nomination_deadline
    return sum(1 for n in rows if deadline is None or n.given_at <= deadline)


def audit_called_elections(_keyring: KeyRing) -> Iterator[Finding]:
    for _i, _subject, record in kinds.records("council.election_called"):
        election = db.session.get(Proposal, record["election"])
        where = f"council election {record['election']}"
        if election is None:
            yield Finding(where, "called in the log but its proposal was deleted")
            continue
        listed = json.loads(election.payload_json).get("candidates", [])
        if sorted(listed) != sorted(c["candidate_id"] for c in record["candidates"]):
            yield Finding(where, "its candidates differ from those the log says were called")
        required = int(record["nominations_required"])
        for entry in record["candidates"]:
            candidacy = db.session.get(Candidacy, entry["candidacy"])
            who = f"{where}, candidacy {entry['candidacy']}"
            if entry["nominations"] < required:
                yield Finding(who, f"stood with {entry['nominations']} of {required} nominations")
            if candidacy is None or candidacy.proposal_id != election.id:
                yield Finding(who, "the candidacy row no longer belongs to this election")
                continue
            if _in_time(candidacy) != entry["nominations"]:
                yield Finding(who, f"the rows give {_in_time(candidacy)} nominations in time, "
                              f"the log {entry['nominations']}")


def audit_recalls(_keyring: KeyRing) -> Iterator[Finding]:
    ended: dict[str, CouncilSeat] = {}
    for seat in db.session.scalars(select(CouncilSeat).where(
            CouncilSeat.vacated_reason.like(REASON_PREFIX + "%")).order_by(CouncilSeat.id)):
        vote_id = (seat.vacated_reason or "").removeprefix(REASON_PREFIX)
        ended[vote_id] = seat
        proposal = db.session.get(Proposal, vote_id)
        row = current_result(vote_id)
        where = f"council seat {seat.id} ({seat.role})"
        if proposal is None or proposal.kind != "recall_member" or row is None:
            yield Finding(where, f"ended by recall vote {vote_id}, which is no sealed recall")
        elif sealed_outcome(row) != "passed":
            yield Finding(where, f"ended by recall vote {vote_id}, which did not pass")
        elif json.loads(proposal.payload_json).get("seat") != seat.id:
            yield Finding(where, f"recall vote {vote_id} named another seat")
    for proposal in db.session.scalars(select(Proposal).where(
            Proposal.kind == "recall_member", Proposal.state == "sealed")):
        row = current_result(proposal.id)
        if row is None or sealed_outcome(row) != "passed" or proposal.id in ended:
            continue
        seat = db.session.get(CouncilSeat, json.loads(proposal.payload_json).get("seat"))
        if seat is not None and (seat.vacated_at is None or seat.vacated_at > row.sealed_at):
            yield Finding(f"recall vote {proposal.id}",
                          f"passed, but council seat {seat.id} was not ended by it")
