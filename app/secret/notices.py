"""What a secret vote asks of its trustees, and what they (and, when it stalls, the council and
its voters) are told: each trustee's open step, the reminders due, the notices' words.

The notification pipeline (app.notifications) delivers; this module only knows the ceremony.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.extensions import db
from app.proposals.models import Proposal
from app.secret.models import SecretComplaint, SecretElection, SecretTrustee
from app.secret.qual import answer_due, share_due

KEY_STEPS = ("keygen", "deal", "receive", "answer")
OPEN_STATES = ("keygen", "dealing", "closed", "pending")
# A reminder comes a day before a deadline, or halfway through a window shorter than two days.
REMIND_BEFORE = timedelta(hours=24)


@dataclass(frozen=True)
class Duty:
    proposal_id: str
    title: str
    step: str
    due: datetime

    @property
    def overdue(self) -> bool:
        from app.core.db_types import utcnow

        return utcnow() >= self.due


def next_step(election: SecretElection, trustee: SecretTrustee, all_dealt: bool,
              accused: bool = False) -> str | None:
    """The trustee's step now, or None when it has nothing to do (done, or waiting for others).
    ``accused``: a complaint against the share it dealt waits for its answer."""
    if election.state == "keygen":
        return "keygen" if trustee.keygen_at is None else None
    if election.state == "dealing":
        if accused:
            return "answer"
        if trustee.dealt_at is None:
            return "deal"
        return "receive" if trustee.confirmed_at is None and all_dealt else None
    if election.state in ("closed", "pending"):
        return "decrypt" if trustee.decryption_json is None else None
    return None


def _undealt(proposal_ids: list[str]) -> dict[str, int]:
    if not proposal_ids:
        return {}
    return dict(db.session.execute(  # type: ignore[arg-type]
        select(SecretTrustee.proposal_id, func.count())
        .where(SecretTrustee.proposal_id.in_(proposal_ids), SecretTrustee.dealt_at.is_(None))
        .group_by(SecretTrustee.proposal_id)).all())


def _accused(proposal_ids: list[str]) -> set[tuple[str, int]]:
    """(vote, dealer) with a complaint still unanswered."""
    if not proposal_ids:
        return set()
    return {(pid, dealer) for pid, dealer in db.session.execute(
        select(SecretComplaint.proposal_id, SecretComplaint.dealer).where(
            SecretComplaint.proposal_id.in_(proposal_ids), SecretComplaint.answer.is_(None)))}


def _open_steps(
    where: Any,
) -> Iterator[tuple[SecretTrustee, SecretElection, Proposal, str, datetime | None]]:
    rows = db.session.execute(
        select(SecretTrustee, SecretElection, Proposal)
        .join(SecretElection, SecretElection.proposal_id == SecretTrustee.proposal_id)
        .join(Proposal, Proposal.id == SecretTrustee.proposal_id)
        .where(SecretElection.state.in_(OPEN_STATES), where)
        .order_by(SecretElection.key_due, SecretTrustee.proposal_id, SecretTrustee.index)
    ).all()
    dealing = sorted({e.proposal_id for _t, e, _p in rows if e.state == "dealing"})
    undealt = _undealt(dealing)
    accused = _accused(dealing)
    for trustee, election, proposal in rows:
        step = next_step(election, trustee, undealt.get(election.proposal_id, 0) == 0,
                         (election.proposal_id, trustee.index) in accused)
        if step is None:
            continue
        due = (answer_due(election) if step == "answer" else election.key_due
               if step in KEY_STEPS else share_due(election, proposal.closes_at))
        yield trustee, election, proposal, step, due


def duties_of(user_id: int) -> list[Duty]:
    """The ceremony steps waiting for this user, soonest deadline first."""
    found = [Duty(p.id, p.title, step, due)
             for _t, _e, p, step, due in _open_steps(SecretTrustee.user_id == user_id)
             if due is not None]
    return sorted(found, key=lambda d: (d.due, d.proposal_id))


def waiting_steps(proposal_id: str, deadline: str) -> dict[str, list[int]]:
    """User ids of the trustees who have not yet done their step before `deadline` ("key" or
    "share"), by step."""
    by_step: dict[str, list[int]] = {}
    for trustee, _e, _p, step, _due in _open_steps(SecretTrustee.proposal_id == proposal_id):
        if (step in KEY_STEPS) == (deadline == "key"):
            by_step.setdefault(step, []).append(trustee.user_id)
    return by_step


def reminders_due(now: datetime) -> list[tuple[str, str, datetime]]:
    """(proposal, "key" or "share", deadline) for each ceremony whose reminder time has come."""
    due: list[tuple[str, str, datetime]] = []
    rows = db.session.execute(
        select(SecretElection, Proposal.closes_at)
        .join(Proposal, Proposal.id == SecretElection.proposal_id)
        .where(SecretElection.state.in_(("keygen", "dealing", "closed")))
    ).all()
    for election, closes_at in rows:
        if election.state == "closed":
            start, end, which = closes_at, share_due(election, closes_at), "share"
        else:
            start, end, which = election.created_at, election.key_due, "key"
        if start is None or end is None:
            continue
        lead = min(REMIND_BEFORE, (end - start) / 2)
        if end - lead <= now < end:
            due.append((election.proposal_id, which, end))
    return due


def base_url() -> str:
    """The site's address as the notices' links give it (TRUST_BASE_URL, else this host)."""
    base = str(current_app.config.get("TRUST_BASE_URL") or "").rstrip("/")
    if base:
        return base
    return url_for("public.home", _external=True).rstrip("/")


def command(step: str, proposal_id: str) -> str:
    return (f"python -m ballots.trustee {step} --server {base_url()} --proposal {proposal_id} "
            "--dir ~/trustee")


def step_words(step: str) -> str:
    return {
        "keygen": _("make your key share (keygen)"),
        "deal": _("deal your shares to the other trustees (deal)"),
        "receive": _("receive and check the shares dealt to you (receive)"),
        "answer": _("answer the complaints about the shares you dealt (answer)"),
        "decrypt": _("post your decryption share (decrypt)"),
    }.get(step, step)


def _run(step: str, pid: str) -> list[str]:
    return [_("On your own device, with your API token in OT_API_TOKEN, run:"),
            command(step, pid)]


def describe_duty(
    kind: str, p: dict[str, Any], when: Callable[[Any], str]
) -> tuple[str, list[str]]:
    """The title and lines of a trustee notice (`when` formats a time for the recipient)."""
    pid, title = str(p.get("proposal", "")), str(p.get("title", ""))
    due = when(_time(p.get("due")))
    if kind == "trustee_keygen":
        return (
            _("You are a trustee of the secret vote %(title)s: make your key share by %(when)s",
              title=title, when=due),
            [_("Any %(k)s of its %(n)s trustees can together decrypt the vote's total; no one "
               "alone can, not this server either.", k=p.get("threshold", ""),
               n=p.get("trustees", "")),
             *_run("keygen", pid),
             _("Then deal and receive, as the vote's trustee page shows. Your secret stays in a "
               "passphrase-protected file on your device; ballots are accepted only once every "
               "trustee has done all three steps.")],
        )
    if kind == "trustee_step":
        step = str(p.get("step", ""))
        return (
            _("Your turn in the key ceremony of %(title)s: %(step)s by %(when)s",
              title=title, step=step_words(step), when=due),
            [_("Every trustee has done the step before this one; the ceremony now waits for "
               "you."), *_run(step, pid)],
        )
    if kind == "trustee_reminder":
        step = str(p.get("step", ""))
        return (
            _("Reminder: %(title)s needs you to %(step)s by %(when)s",
              title=title, step=step_words(step), when=due),
            [_("You have not done this step yet, and the deadline is near."), *_run(step, pid)],
        )
    if kind == "trustee_decrypt":
        return (
            _("%(title)s closed: post your decryption share by %(when)s", title=title, when=due),
            [_("Any %(k)s of the %(n)s trustees' shares decrypt the total; the result is sealed "
               "as soon as they are in.", k=p.get("threshold", ""), n=p.get("trustees", "")),
             *_run("decrypt", pid)],
        )
    # result_waiting
    return (
        _("The result of the secret vote %(title)s is waiting for its trustees", title=title),
        [_("Only %(posted)s of the %(k)s decryption shares needed were posted by %(when)s, the "
           "time the charter gives.", posted=p.get("posted", ""), k=p.get("threshold", ""),
           when=due),
         _("Nothing is decrypted and nothing the vote decides is carried out until enough "
           "trustees post; a share posted later still seals the result, and its voters are "
           "told when it is sealed."),
         _("The trustees page shows who has posted and who is still missing.")],
    )


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
