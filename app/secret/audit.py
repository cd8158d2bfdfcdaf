"""`flask trust audit` for a sealed secret vote: the stored rows still give what was signed.

The signature and digest are checked by the caller (app.integrity.records). Here: the roll rows
give the signed roll root; the ballot rows, in acceptance order, give the signed ballots root
(and each is exactly its ballots.jsonl line); the stored election.json and tally.json are the
ones the result names by hash. Any edited, added or removed row is named.

For every key ceremony with complaints (audit_ceremonies): each complaint and answer row is the
one logged (secret.complaint, secret.answer), each answer's "valid" is its check against the
dealer's commitments, and a settled ceremony's election.json (or its secret.failed leaf) holds
exactly the complaints and answers of the rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from app.core.extensions import db
from app.integrity.findings import Finding
from app.results.models import SealedResult
from app.secret import qual
from app.secret.models import SecretBundleFiles, SecretComplaint, SecretElection, SecretTrustee
from app.translog import kinds
from app.voting.models import Ballot, RollEntry
from ballots.canonical import canonical_sha256, strict_loads
from ballots.merkle import MerkleStream
from ballots.records import format_time, jsonl_line, roll_record
from ballots.secret.bundle import ballot_record2
from ballots.secret.complaints import complaints_json, share_holds
from ballots.secret.group import point_from_hex


def audit_secret_result(row: SealedResult, where: str, signed: dict[str, Any]) -> Iterator[Finding]:
    files = db.session.get(SecretBundleFiles, row.id)
    if files is None:
        yield Finding(where, "the format 2 bundle files are missing")
        return
    proposal_id = signed["proposal"]["id"]
    roll = MerkleStream()
    for token, weight in db.session.execute(
        select(RollEntry.token, RollEntry.weight).where(RollEntry.proposal_id == proposal_id)
        .order_by(RollEntry.token)
    ):
        roll.append(jsonl_line(roll_record(token, int(weight)))[:-1])
    if roll.root().hex() != signed["roll"]["root"] or roll.size != signed["roll"]["size"]:
        yield Finding(where, "the roll rows no longer give the sealed roll root")
    published = files.ballots_jsonl.encode().split(b"\n")[:-1]
    tree = MerkleStream()
    rows = db.session.execute(
        select(Ballot.id, Ballot.selection_json, Ballot.cast_at)
        .where(Ballot.proposal_id == proposal_id).order_by(Ballot.id)).all()
    for seq, (ballot_id, cast_json, cast_at) in enumerate(rows, start=1):
        line = jsonl_line(ballot_record2(seq, strict_loads(cast_json.encode()),
                                         format_time(cast_at)))[:-1]
        if seq > len(published) or published[seq - 1] != line:
            yield Finding(where, f"ballot row {ballot_id} (seq {seq}) differs from the sealed "
                                 "ballots.jsonl")
        tree.append(line)
    if tree.root().hex() != signed["ballots"]["root"] or tree.size != signed["ballots"]["size"]:
        yield Finding(where, "the ballot rows no longer give the sealed ballots root")
    if canonical_sha256(json.loads(files.election_json)) != signed["election"]["sha256"]:
        yield Finding(where, "the stored election.json is not the sealed one")
    if canonical_sha256(json.loads(files.tally_json)) != signed["encrypted_tally"]["sha256"]:
        yield Finding(where, "the stored tally.json is not the sealed one")
    stored = json.loads(files.election_json).get("complaints")
    if stored != (complaints_json(qual.as_complaints(qual.complaints_of(proposal_id))) or None):
        yield Finding(where, "the complaint rows no longer give the sealed election.json's "
                             "complaints and answers")


SETTLED = ("ready", "closed", "pending", "sealed")


def audit_ceremonies() -> Iterator[Finding]:
    with_complaints = db.session.scalars(
        select(SecretElection).where(SecretElection.proposal_id.in_(
            select(SecretComplaint.proposal_id).distinct()))
        .order_by(SecretElection.proposal_id)).all()
    for election in with_complaints:
        yield from _audit_ceremony(election)


def _audit_ceremony(election: SecretElection) -> Iterator[Finding]:
    pid = election.proposal_id
    where = f"key ceremony {pid}"
    rows = qual.complaints_of(pid)
    publics = {t.index: json.loads(t.public_json) for t in db.session.scalars(
        select(SecretTrustee).where(SecretTrustee.proposal_id == pid)) if t.public_json}
    logged = {(r["dealer"], r["accuser"]): r for _, _, r in kinds.records("secret.complaint", pid)}
    answered = {(r["dealer"], r["accuser"]): r for _, _, r in kinds.records("secret.answer", pid)}
    for c in rows:
        name = f"complaint by trustee {c.accuser} against trustee {c.dealer}"
        leaf = logged.pop((c.dealer, c.accuser), None)
        if leaf is None or leaf["filed_by"] != c.filed_by or leaf["at"] != format_time(
                c.filed_at):
            yield Finding(where, f"{name}: not the one logged (secret.complaint)")
        answer = answered.pop((c.dealer, c.accuser), None)
        if c.answer is None:
            if answer is not None:
                yield Finding(where, f"{name}: the logged answer is missing from its row")
            continue
        if answer is None or answer["share"] != c.answer or answer["valid"] != c.valid:
            yield Finding(where, f"{name}: the answer is not the one logged (secret.answer)")
        dealer = publics.get(c.dealer)
        if dealer is not None and c.valid != share_holds(
                [point_from_hex(x) for x in dealer["commitments"]], c.accuser,
                int.from_bytes(bytes.fromhex(c.answer), "little")):
            yield Finding(where, f"{name}: 'valid' is not the answer's check against the "
                                 "dealer's commitments")
    for dealer, accuser in sorted(logged):
        yield Finding(where, f"logged complaint by trustee {accuser} against trustee {dealer} "
                             "has no row")
    record = complaints_json(qual.as_complaints(rows))
    if election.state in SETTLED:
        doc = json.loads(election.election_json or "{}")
        if doc.get("complaints") != record:
            yield Finding(where, "election.json's complaints are not the complaint rows")
    if election.state == "failed":
        failed = [r for _, _, r in kinds.records("secret.failed", pid)]
        if failed and failed[-1]["complaints"] != record:
            yield Finding(where, "the logged failure's complaints are not the complaint rows")
