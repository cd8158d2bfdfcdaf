"""The key ceremony of a secret vote, server side: it checks and relays, it never holds a key.

keygen: each trustee posts its Feldman commitments (each with a proof of knowledge) and an
X25519 transport key. When all n are in, election.json is built and checked. dealing: each
trustee posts its shares for the others, each sealed to the recipient (ballots.secret.transport);
the server relays the boxes. Each recipient opens its boxes on its device, checks every share
against the sender's commitments, files a public complaint against each sender whose share
fails, and confirms; each accused dealer answers with the share in the clear. When all n have
confirmed and every complaint is answered (or at the deadlines) app.secret.qual settles QUAL:
the key over it is ready and ballots are accepted, or, with fewer than k, the ceremony fails.
After close: each trustee posts a decryption share of the encrypted tally with its proofs; every
proof is checked here; with k of them the vote is sealed (app.secret.seal).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.audit import service as audit
from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals.models import Proposal
from app.secret import qual
from app.secret.models import SecretComplaint, SecretDealtShare, SecretElection, SecretTrustee
from app.translog import service as translog
from ballots.canonical import canonical_bytes
from ballots.records import format_time
from ballots.secret.complaints import share_holds
from ballots.secret.group import GroupError, point_from_hex, scalar_from_hex, scalar_hex
from ballots.secret.proofs import ProofError, parse_pairs, verify_knowledge
from ballots.secret.transport import TransportError, public_from_hex
from ballots.secret.trustees import (
    COMMITMENT_LABEL,
    Election,
    TrusteeError,
    check_decryption_share,
    election_document,
    verify_election,
)


class CeremonyRefused(ValueError):
    """A trustee's post that was refused; nothing was stored. ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def election_of(proposal_id: str) -> SecretElection | None:
    return db.session.get(SecretElection, proposal_id)


def trustees_of(proposal_id: str) -> list[SecretTrustee]:
    return list(db.session.scalars(
        select(SecretTrustee).where(SecretTrustee.proposal_id == proposal_id)
        .order_by(SecretTrustee.index)))


def start(proposal: Proposal, now: datetime, seated: set[int]) -> SecretElection:
    """At opening: the council members seated now (`seated`, their user ids) become the
    trustees; k from the charter."""
    rules = charter.rules_of(charter.require_current()).voting.trustees
    members = sorted(seated)
    if not members:
        raise CeremonyRefused("a secret vote needs seated council members as its trustees")
    k = rules.k_of(len(members))
    row = SecretElection(proposal_id=proposal.id, state="keygen", threshold=k,
                         trustees=len(members), key_due=now + timedelta(hours=rules.key_hours),
                         share_hours=rules.share_hours, created_at=now)
    db.session.add(row)
    for index, user_id in enumerate(members, start=1):
        user = db.session.get(User, user_id)
        db.session.add(SecretTrustee(proposal_id=proposal.id, index=index, user_id=user_id,
                                     name=user.display_name if user else f"#{user_id}"))
    db.session.flush()
    audit.record("secret.ceremony_started", actor_id=None, subject=proposal.id,
                 trustees=len(members), threshold=k)
    return row


def _trustee(proposal_id: str, user_id: int) -> SecretTrustee:
    row = db.session.scalar(select(SecretTrustee).where(
        SecretTrustee.proposal_id == proposal_id, SecretTrustee.user_id == user_id))
    if row is None:
        raise CeremonyRefused("you are not a trustee of this vote", 403)
    trustee: SecretTrustee = row
    return trustee


def _locked(proposal_id: str) -> SecretElection:
    row = db.session.get(SecretElection, proposal_id, with_for_update=True)
    if row is None:
        raise CeremonyRefused("this vote has no key ceremony (it is not secret)", 404)
    return row


def status(proposal_id: str, user_id: int | None = None) -> dict[str, Any]:
    """The public ceremony state (what the page and `python -m ballots.trustee` read)."""
    election = election_of(proposal_id)
    if election is None:
        raise CeremonyRefused("this vote has no key ceremony (it is not secret)", 404)
    rows = trustees_of(proposal_id)
    me = next((t for t in rows if user_id is not None and t.user_id == user_id), None)
    return {
        "proposal": proposal_id,
        "state": election.state,
        "threshold": election.threshold,
        "key_due": format_time(election.key_due),
        "answers_due": format_time(qual.answer_due(election)),
        "complaints": qual.status_rows(proposal_id),
        "share_hours": election.share_hours,
        "election": json.loads(election.election_json)
        if election.election_json and election.state != "failed" else None,
        "you": {"index": me.index, "name": me.name} if me else None,
        "trustees": [
            {
                "index": t.index,
                "name": t.name,
                "transport_key": t.transport_key,
                "public": json.loads(t.public_json) if t.public_json else None,
                "keygen_at": _time(t.keygen_at),
                "dealt_at": _time(t.dealt_at),
                "confirmed_at": _time(t.confirmed_at),
                "decrypted_at": _time(t.decrypted_at),
            }
            for t in rows
        ],
    }


def _time(value: datetime | None) -> str | None:
    return format_time(value) if value is not None else None


def post_keygen(proposal_id: str, user_id: int, body: Any, now: datetime | None = None) -> None:
    now = now or utcnow()
    election = _locked(proposal_id)
    me = _trustee(proposal_id, user_id)
    if election.state != "keygen" or me.public_json is not None:
        raise CeremonyRefused("keygen is over for you: your commitments are already posted", 409)
    if type(body) is not dict or body.keys() != {"public", "transport_key"}:
        raise CeremonyRefused('send {"public": {...}, "transport_key": HEX64}', 400)
    public = body["public"]
    if (type(public) is not dict or public.keys() != {"index", "name", "commitments", "proofs"}
            or public["index"] != me.index or public["name"] != me.name):
        raise CeremonyRefused(f"public must be your entry: index {me.index}, name {me.name!r}",
                              400)
    cs, proofs = public["commitments"], public["proofs"]
    k = election.threshold
    if type(cs) is not list or len(cs) != k:
        raise CeremonyRefused(f"send {k} commitments (the threshold)", 400)
    try:
        pairs = parse_pairs(proofs, k, "proofs")
        points = [point_from_hex(c, f"commitment {ell}") for ell, c in enumerate(cs)]
        public_from_hex(body["transport_key"])
    except (GroupError, ProofError, TransportError, ValueError) as exc:
        raise CeremonyRefused(str(exc), 400) from None
    for ell, (c, pair) in enumerate(zip(points, pairs, strict=True)):
        if not verify_knowledge(COMMITMENT_LABEL, [proposal_id, me.index, ell], c, pair):
            raise CeremonyRefused(f"commitment {ell}: the proof of knowledge fails")
    me.public_json = canonical_bytes(public).decode()
    me.transport_key = body["transport_key"]
    me.keygen_at = now
    audit.record("secret.keygen", actor_id=user_id, subject=proposal_id, trustee=me.index)
    rows = trustees_of(proposal_id)
    if all(t.public_json for t in rows):
        doc = election_document(proposal_id, k, [json.loads(t.public_json or "{}") for t in rows])
        try:
            verify_election(doc, proposal_id)
        except TrusteeError as exc:
            raise CeremonyRefused(f"the election key does not check: {exc}") from None
        election.election_json = canonical_bytes(doc).decode()
        election.state = "dealing"


def post_deal(proposal_id: str, user_id: int, body: Any, now: datetime | None = None) -> None:
    now = now or utcnow()
    election = _locked(proposal_id)
    me = _trustee(proposal_id, user_id)
    if election.state != "dealing" or me.dealt_at is not None:
        raise CeremonyRefused("dealing is not open for you (not every key is in, or done)", 409)
    others = {t.index for t in trustees_of(proposal_id)} - {me.index}
    if type(body) is not dict or body.keys() != {"shares"} or type(body["shares"]) is not dict:
        raise CeremonyRefused('send {"shares": {"<trustee index>": box, ...}}', 400)
    boxes = body["shares"]
    if set(boxes) != {str(j) for j in others}:
        raise CeremonyRefused(f"send one box for each other trustee: {sorted(others)}", 400)
    for j, box in boxes.items():
        if (type(box) is not dict or box.keys() != {"ephemeral", "nonce", "ciphertext"}
                or not all(type(v) is str and len(v) <= 256 for v in box.values())):
            raise CeremonyRefused(f"box for trustee {j}: ephemeral, nonce, ciphertext", 400)
        db.session.add(SecretDealtShare(proposal_id=proposal_id, sender=me.index,
                                        recipient=int(j), box=canonical_bytes(box).decode(),
                                        posted_at=now))
    me.dealt_at = now
    audit.record("secret.dealt", actor_id=user_id, subject=proposal_id, trustee=me.index)


def shares_for(proposal_id: str, user_id: int) -> dict[str, Any]:
    me = _trustee(proposal_id, user_id)
    rows = db.session.scalars(select(SecretDealtShare).where(
        SecretDealtShare.proposal_id == proposal_id, SecretDealtShare.recipient == me.index))
    return {"shares": {str(r.sender): json.loads(r.box) for r in rows}}


def confirm(proposal_id: str, user_id: int, now: datetime | None = None) -> None:
    """The trustee checked every share dealt to it; when all have, the key is ready."""
    now = now or utcnow()
    election = _locked(proposal_id)
    me = _trustee(proposal_id, user_id)
    rows = trustees_of(proposal_id)
    if election.state != "dealing" or not all(t.dealt_at for t in rows):
        raise CeremonyRefused("not every trustee has dealt yet", 409)
    if me.confirmed_at is None:
        me.confirmed_at = now
        audit.record("secret.confirmed", actor_id=user_id, subject=proposal_id, trustee=me.index)
    qual.settle_if_complete(election, now)


def file_complaint(proposal_id: str, user_id: int, body: Any, now: datetime | None = None) -> None:
    """Trustee j's public complaint: dealer i's share did not open or failed its commitments."""
    now = now or utcnow()
    election = _locked(proposal_id)
    me = _trustee(proposal_id, user_id)
    if type(body) is not dict or body.keys() != {"dealer"} or type(body["dealer"]) is not int:
        raise CeremonyRefused('send {"dealer": <trustee index>}', 400)
    dealer = body["dealer"]
    if not 1 <= dealer <= election.trustees:
        raise CeremonyRefused(f"trustee {dealer} is not a trustee of this vote", 400)
    if dealer == me.index:
        raise CeremonyRefused("you cannot complain against yourself", 400)
    if election.state != "dealing" or now >= election.key_due:
        raise CeremonyRefused("complaints are taken while shares are exchanged, until "
                              f"{format_time(election.key_due)}", 409)
    if me.confirmed_at is not None:
        raise CeremonyRefused("you have already confirmed every share you received", 409)
    if db.session.get(SecretComplaint, (proposal_id, dealer, me.index)) is not None:
        raise CeremonyRefused(f"your complaint against trustee {dealer} is already filed", 409)
    db.session.add(SecretComplaint(proposal_id=proposal_id, dealer=dealer, accuser=me.index,
                                   filed_by="trustee", filed_at=now))
    db.session.flush()
    qual.log_complaint(proposal_id, dealer, me.index, "trustee", user_id, now)
    accused = db.session.scalar(select(SecretTrustee).where(
        SecretTrustee.proposal_id == proposal_id, SecretTrustee.index == dealer))
    if accused is not None:
        qual.tell_dealer(proposal_id, accused, me.index)


def post_answers(proposal_id: str, user_id: int, body: Any, now: datetime | None = None) -> None:
    """Dealer i's public answers: f_i(j) in the clear for each complaint against it. Each is
    checked against i's commitments and kept as given: a wrong one disqualifies i."""
    now = now or utcnow()
    election = _locked(proposal_id)
    me = _trustee(proposal_id, user_id)
    if (type(body) is not dict or body.keys() != {"answers"} or type(body["answers"]) is not dict
            or not body["answers"]):
        raise CeremonyRefused('send {"answers": {"<accuser index>": SCALAR_HEX64, ...}}', 400)
    if election.state != "dealing" or now >= qual.answer_due(election):
        raise CeremonyRefused("answers are taken until "
                              f"{format_time(qual.answer_due(election))}, while the key is not "
                              "settled", 409)
    open_rows = {str(c.accuser): c for c in qual.complaints_of(proposal_id)
                 if c.dealer == me.index and c.answer is None}
    unknown = sorted(set(body["answers"]) - set(open_rows))
    if unknown:
        raise CeremonyRefused(f"no unanswered complaint against you from trustee(s) {unknown}",
                              400)
    try:
        values = {j: scalar_from_hex(v, f"answer to trustee {j}")
                  for j, v in body["answers"].items()}
    except GroupError as exc:
        raise CeremonyRefused(str(exc), 400) from None
    commitments = [point_from_hex(c) for c in json.loads(me.public_json or "{}")["commitments"]]
    for j, value in values.items():
        row = open_rows[j]
        row.answer = scalar_hex(value)
        row.valid = share_holds(commitments, row.accuser, value)
        row.answered_at = now
        qual.log_answer(proposal_id, row, user_id, now)
    qual.settle_if_complete(election, now)


def checked_election(row: SecretElection) -> Election:
    if row.election_json is None:
        raise CeremonyRefused("the election key is not ready", 409)
    return verify_election(json.loads(row.election_json), row.proposal_id)


def post_decryption(
    proposal_id: str, user_id: int, body: Any, tally: list[tuple[bytes, bytes]],
    now: datetime | None = None,
) -> int:
    """Check one trustee's decryption share against the encrypted tally; the count so far."""
    now = now or utcnow()
    election = _locked(proposal_id)
    me = _trustee(proposal_id, user_id)
    if election.state not in ("closed", "pending"):
        raise CeremonyRefused("decryption shares are taken after the vote closes", 409)
    if me.decryption_json is not None:
        raise CeremonyRefused("your decryption share is already in", 409)
    if type(body) is not dict or body.get("trustee") != me.index:
        raise CeremonyRefused(f"send your own share entry (trustee {me.index})", 400)
    try:
        check_decryption_share(checked_election(election), body, tally)
    except TrusteeError as exc:
        raise CeremonyRefused(str(exc), 400 if exc.reason == "share_record" else 422) from None
    me.decryption_json = canonical_bytes(body).decode()
    me.decrypted_at = now
    audit.record("secret.decryption_share", actor_id=user_id, subject=proposal_id,
                 trustee=me.index)
    return sum(1 for t in trustees_of(proposal_id) if t.decryption_json)


def decryption_entries(proposal_id: str) -> list[dict[str, Any]]:
    return [json.loads(t.decryption_json) for t in trustees_of(proposal_id) if t.decryption_json]


def mark_overdue(now: datetime) -> list[str]:
    """Secret votes whose trustees ran out of the charter's time: sealed-pending, said so."""
    lines = []
    rows = db.session.execute(
        select(SecretElection, Proposal.closes_at).join(
            Proposal, Proposal.id == SecretElection.proposal_id
        ).where(SecretElection.state == "closed")
    ).all()
    for election, closes_at in rows:
        due = qual.share_due(election, closes_at)
        if due is None or now < due:
            continue
        posted = len(decryption_entries(election.proposal_id))
        election.state = "pending"
        record = {"type": "secret.pending", "proposal": election.proposal_id,
                  "shares": posted, "threshold": election.threshold,
                  "at": format_time(now)}
        # Public: the log and the vote's trustee page; the audit trail for the council.
        translog.append("secret.pending", election.proposal_id, record, at=now)
        audit.record("secret.pending", actor_id=None, subject=election.proposal_id,
                     shares=posted, threshold=election.threshold)
        lines.append(f"{election.proposal_id}: sealed-pending, {posted} of "
                     f"{election.threshold} decryption shares")
    return lines
