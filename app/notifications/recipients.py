"""Who hears of what: each event as (kind, subject, query of user ids, params)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, select

from app.accounts.models import User
from app.core.extensions import db

Recipients = tuple[str, str, Select[Any], dict[str, Any]]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _council(excluding: int | None) -> Select[Any]:
    from app.council.service import seated_member_ids

    ids = seated_member_ids() - {excluding}
    return select(User.id).where(User.id.in_(sorted(ids)))


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return user.display_name if user else ""


def for_event(event: dict[str, Any]) -> Iterator[Recipients]:
    from app.proposals.models import Proposal
    from app.voting.models import RollEntry

    kind = event["type"]
    if kind in ("proposal", "cosign", "cosign_request"):
        proposal = db.session.get(Proposal, event["proposal"])
        if proposal is None:
            return
        base = {"proposal": proposal.id, "title": proposal.title}
        subject = f"proposal:{proposal.id}"
        action = event.get("action")
        if kind == "cosign":
            count = db.session.scalar(
                select(db.func.count()).select_from(db.metadata.tables["cosignatures"])
                .where(db.metadata.tables["cosignatures"].c.proposal_id == proposal.id)
            )
            yield ("proposal_cosigned", f"cosign:{proposal.id}:{event['owner']}",
                   select(User.id).where(User.id == proposal.author_id),
                   {**base, "by": _name(event["owner"]), "count": count})
        elif kind == "cosign_request":
            yield ("cosign_requested", f"{subject}:{event['by']}",
                   select(User.id).where(User.id.in_(event["owners"])),
                   {**base, "by": _name(event["by"])})
        elif action == "open" and proposal.state == "voting":
            # (A job run after the vote closed announces nothing: there is nothing to do.)
            yield ("vote_opened", subject,
                   select(RollEntry.owner_id).where(RollEntry.proposal_id == proposal.id),
                   {**base, "closes_at": _iso(proposal.closes_at)})
        elif action == "seal":
            yield ("result_sealed", subject,
                   select(RollEntry.owner_id).where(RollEntry.proposal_id == proposal.id,
                                                    RollEntry.live_ballot_id.is_not(None)),
                   base)
        elif action == "accept":
            yield ("proposal_accepted", subject,
                   select(User.id).where(User.id == proposal.author_id),
                   {**base, "reason": event.get("reason", "")})
        elif action == "reject":
            yield ("proposal_rejected", subject,
                   select(User.id).where(User.id == proposal.author_id),
                   {**base, "reason": event.get("reason", "")})
    elif kind == "motion":
        from app.council.models import Motion

        motion = db.session.get(Motion, event["motion"])
        if motion is not None and motion.state == "open":
            yield ("motion_awaiting", f"motion:{motion.id}", _council(motion.opened_by),
                   {"motion": motion.id, "title": motion.title})
    elif kind == "disbursement":
        from app.treasury.models import Disbursement

        d = db.session.get(Disbursement, event["disbursement"])
        if d is not None and d.state == "pending":
            yield ("disbursement_awaiting", f"disbursement:{d.id}", _council(d.submitter_id),
                   {"disbursement": d.id, "title": d.purpose[:120]})
    elif kind == "ceremony":
        yield from _ceremony(event)
    elif kind == "community":
        from app.communities.models import Community

        c = db.session.get(Community, event["community"])
        if c is not None:
            yield ("application_to_review", f"community:{c.id}:{c.applied_at.isoformat()}",
                   _council(None), {"community": c.id, "title": c.name})


def closing_soon(proposal_id: str) -> Recipients:
    from app.proposals.models import Proposal
    from app.voting.models import RollEntry

    proposal = db.session.get(Proposal, proposal_id)
    assert proposal is not None
    # Loomio's rule: remind only those who have not voted.
    return ("vote_closing", f"proposal:{proposal_id}",
            select(RollEntry.owner_id).where(RollEntry.proposal_id == proposal_id,
                                             RollEntry.live_ballot_id.is_(None)),
            {"proposal": proposal_id, "title": proposal.title,
             "closes_at": _iso(proposal.closes_at)})


def _ceremony(event: dict[str, Any]) -> Iterator[Recipients]:
    """A secret vote's trustees told of their duty; the council, trustees and voters told when
    its result waits for trustees who did not post in time."""
    from app.proposals.models import Proposal
    from app.secret.models import SecretElection, SecretTrustee
    from app.secret.qual import share_due
    from app.voting.models import RollEntry

    pid = event["proposal"]
    proposal = db.session.get(Proposal, pid)
    election = db.session.get(SecretElection, pid)
    # A job run after the ceremony moved on announces nothing stale.
    expected = "dealing" if event["state"] == "dealt" else event["state"]
    if proposal is None or election is None or election.state != expected:
        return
    base = {"proposal": pid, "title": proposal.title, "threshold": election.threshold,
            "trustees": election.trustees}
    trustees = select(SecretTrustee.user_id).where(SecretTrustee.proposal_id == pid)
    if event["state"] == "keygen":
        yield ("trustee_keygen", f"ceremony:{pid}", trustees,
               {**base, "due": _iso(election.key_due)})
    elif event["state"] == "dealing":
        yield ("trustee_step", f"step:{pid}:deal", trustees.where(SecretTrustee.dealt_at.is_(None)),
               {**base, "step": "deal", "due": _iso(election.key_due)})
    elif event["state"] == "dealt":
        undealt = db.session.scalar(select(db.func.count()).select_from(SecretTrustee).where(
            SecretTrustee.proposal_id == pid, SecretTrustee.dealt_at.is_(None)))
        if not undealt:
            yield ("trustee_step", f"step:{pid}:receive",
                   trustees.where(SecretTrustee.confirmed_at.is_(None)),
                   {**base, "step": "receive", "due": _iso(election.key_due)})
    elif election.state == "closed":
        yield ("trustee_decrypt", f"decrypt:{pid}",
               trustees.where(SecretTrustee.decryption_json.is_(None)),
               {**base, "due": _iso(share_due(election, proposal.closes_at))})
    elif election.state == "pending":
        from app.council.service import seated_member_ids

        posted = db.session.scalar(
            select(db.func.count()).select_from(SecretTrustee).where(
                SecretTrustee.proposal_id == pid, SecretTrustee.decryption_json.is_not(None)))
        voters = select(RollEntry.owner_id).where(RollEntry.proposal_id == pid,
                                                  RollEntry.live_ballot_id.is_not(None))
        told = select(User.id).where(User.id.in_(sorted(seated_member_ids())) | User.id.in_(
            voters) | User.id.in_(trustees))
        yield ("result_waiting", f"pending:{pid}", told,
               {**base, "posted": posted, "due": _iso(share_due(election, proposal.closes_at))})


def trustee_reminders(proposal_id: str, deadline: str) -> Iterator[Recipients]:
    """The trustees who have not yet done their step before the key or share deadline."""
    from app.proposals.models import Proposal
    from app.secret.models import SecretElection
    from app.secret.notices import waiting_steps
    from app.secret.qual import share_due

    proposal = db.session.get(Proposal, proposal_id)
    election = db.session.get(SecretElection, proposal_id)
    if proposal is None or election is None:
        return
    due = election.key_due if deadline == "key" else share_due(election, proposal.closes_at)
    for step, user_ids in sorted(waiting_steps(proposal_id, deadline).items()):
        yield ("trustee_reminder", f"remind:{proposal_id}:{deadline}",
               select(User.id).where(User.id.in_(sorted(user_ids))),
               {"proposal": proposal_id, "title": proposal.title, "step": step,
                "due": _iso(due)})
