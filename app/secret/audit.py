"""`flask trust audit` for a sealed secret vote: the stored rows still give what was signed.

The signature and digest are checked by the caller (app.integrity.records). Here: the roll rows
give the signed roll root; the ballot rows, in acceptance order, give the signed ballots root
(and each is exactly its ballots.jsonl line); the stored election.json and tally.json are the
ones the result names by hash. Any edited, added or removed row is named.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from app.core.extensions import db
from app.integrity.findings import Finding
from app.results.models import SealedResult
from app.secret.models import SecretBundleFiles
from app.voting.models import Ballot, RollEntry
from ballots.canonical import canonical_sha256, strict_loads
from ballots.merkle import MerkleStream
from ballots.records import format_time, jsonl_line, roll_record
from ballots.secret.bundle import ballot_record2


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
