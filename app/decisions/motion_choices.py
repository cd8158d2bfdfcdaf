"""Which council motions can be opened now, and about what: the motion form offers these and
nothing else, and refuses anything else when it is posted anyway.

A motion is about a topic. A general resolution has no subject. The others name one subject
(a community, a proposal, a disbursement, a ledger transaction), and only the decisions its
current state allows are offered: a community under review can be certified or rejected, a
certified one revoked, one due for renewal renewed or revoked; a submitted proposal accepted
for the ballot or rejected; a pending, unsuspended disbursement approved; a transaction that
is neither reversed nor itself a reversal reversed. A decision already before the council on
the same subject is not offered twice.

Emergency spending is proposed from the treasury's form (it creates the budget the motion
authorises) and a suspension's lifting motion is opened by the suspension itself, so neither
is a topic here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.communities.models import Community
from app.core.extensions import db
from app.council.models import Motion
from app.proposals.models import Proposal
from app.treasury.models import Disbursement, TreasuryTxn
from app.treasury.supervision import active_suspension
from governance.communities import MOTIONS, TRANSITIONS

TOPICS = ("general", "community", "proposal", "disbursement", "transaction")
# How many recent ledger transactions the form lists; an older one is reached from the ledger.
RECENT_TXNS = 50


@dataclass(frozen=True)
class Subject:
    """One subject with the decisions its state allows now (motion kinds)."""

    subject: str  # the motion's subject tag: community:3, proposal:2026-004, ...
    name: str
    state: str
    kinds: tuple[str, ...]
    amount_fen: int | None = None


def _open_kinds(subjects: list[str]) -> set[tuple[str, str]]:
    if not subjects:
        return set()
    rows = db.session.execute(select(Motion.kind, Motion.subject).where(
        Motion.state == "open", Motion.subject.in_(subjects)))
    return {(kind, subject) for kind, subject in rows}


def _communities() -> list[Subject]:
    rows = db.session.scalars(select(Community).where(
        Community.state.in_(("under_review", "certified", "renewal_due")))
        .order_by(Community.name)).all()
    out = []
    for c in rows:
        kinds = tuple(MOTIONS[action] for (state, action) in TRANSITIONS
                      if state == c.state and action in MOTIONS)
        out.append(Subject(f"community:{c.id}", c.name, c.state, kinds))
    return out


def _proposals() -> list[Subject]:
    rows = db.session.scalars(select(Proposal).where(Proposal.state == "submitted")
                              .order_by(Proposal.created_at, Proposal.id)).all()
    return [Subject(f"proposal:{p.id}", f"{p.id} · {p.title}", p.state,
                    ("accept_proposal", "reject_proposal")) for p in rows]


def _disbursements() -> list[Subject]:
    rows = db.session.scalars(select(Disbursement).where(Disbursement.state == "pending")
                              .order_by(Disbursement.created_at, Disbursement.id)).all()
    return [Subject(f"disbursement:{d.id}", f"#{d.id} · {d.beneficiary}", d.state,
                    ("approve_disbursement",), d.amount_fen)
            for d in rows if active_suspension(d.id) is None]


def _transactions() -> list[Subject]:
    reversed_ids = set(db.session.scalars(select(TreasuryTxn.reverses).where(
        TreasuryTxn.reverses.is_not(None))))
    rows = db.session.scalars(select(TreasuryTxn).where(TreasuryTxn.reverses.is_(None))
                              .order_by(TreasuryTxn.seq.desc()).limit(RECENT_TXNS)).all()
    return [Subject(f"txn:{t.id}", f"{t.id} · {t.description or t.kind}", t.kind,
                    ("reverse_transaction",)) for t in rows if t.id not in reversed_ids]


# The decisions each topic's subjects can take, and the tag its subjects carry.
TOPIC_KINDS = {
    "community": tuple(MOTIONS.values()),
    "proposal": ("accept_proposal", "reject_proposal"),
    "disbursement": ("approve_disbursement",),
    "transaction": ("reverse_transaction",),
}
TOPIC_TAGS = {"community": "community", "proposal": "proposal",
              "disbursement": "disbursement", "transaction": "txn"}

LOADERS = {
    "community": _communities,
    "proposal": _proposals,
    "disbursement": _disbursements,
    "transaction": _transactions,
}


def subjects(topic: str, now: datetime | None = None) -> list[Subject]:
    """The topic's subjects that have at least one decision open to the council now."""
    if topic not in LOADERS:
        return []
    found = LOADERS[topic]()
    already = _open_kinds([s.subject for s in found])
    out = []
    for s in found:
        kinds = tuple(k for k in s.kinds if (k, s.subject) not in already)
        if kinds:
            out.append(Subject(s.subject, s.name, s.state, kinds, s.amount_fen))
    return out


def value(kind: str, subject: str) -> str:
    """One offered decision as the form posts it."""
    return f"{kind}|{subject}"


def parse(posted: str) -> tuple[str, str]:
    kind, _sep, subject = posted.partition("|")
    return kind, subject


def find(topic: str, posted: str) -> Subject | None:
    """The subject, if the posted decision is one offered now; None when it is not."""
    kind, subject = parse(posted)
    for s in subjects(topic):
        if s.subject == subject and kind in s.kinds:
            return s
    return None


def current_state(subject: str) -> str | None:
    """The subject's state now, to say why a decision is not open (None: no such subject)."""
    tag, _sep, ident = subject.partition(":")
    row: Community | Proposal | Disbursement | TreasuryTxn | None = None
    if tag == "community" and ident.isdigit() and len(ident) < 10:
        row = db.session.get(Community, int(ident))
    elif tag == "proposal":
        row = db.session.get(Proposal, ident)
    elif tag == "disbursement" and ident.isdigit() and len(ident) < 10:
        row = db.session.get(Disbursement, int(ident))
    elif tag == "txn":
        txn = db.session.get(TreasuryTxn, ident)
        return None if txn is None else txn.kind
    return None if row is None else str(getattr(row, "state", ""))
