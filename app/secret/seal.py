"""A secret vote's close and seal: the encrypted tally, then the format 2 bundle.

At close the encrypted tally is fixed (every stored ballot's proofs checked again, the last
ballot per token weighted and summed on ciphertexts) and stored for the trustees to decrypt.
With k checked decryption shares the totals are decrypted, the result built and signed by
ballots.secret.bundle, stored beside the bundle's files and logged. The server alone cannot
decrypt anything: the combination needs k trustees' shares.
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

from app.charter.models import CharterVersion
from app.core.db_types import utcnow
from app.core.extensions import db
from app.keys import service as keys
from app.proposals import lifecycle
from app.proposals.models import Proposal
from app.proposals.spec import vote_spec
from app.results.models import SealedResult
from app.results.reads import current_result
from app.secret import ceremony, qual
from app.secret.models import SecretBundleFiles, SecretElection
from app.translog import service as translog
from app.voting.models import Ballot
from app.voting.roll import read_roll
from ballots.canonical import canonical_bytes, strict_loads
from ballots.records import format_time
from ballots.result import result_digest
from ballots.secret.bundle import BallotBox
from ballots.secret.group import point_from_hex

Ciphertexts = list[tuple[bytes, bytes]]


class SecretSealError(RuntimeError):
    pass


def _box(proposal: Proposal, election: SecretElection) -> BallotBox:
    spec = vote_spec(proposal)
    roll, _ = read_roll(proposal.id)
    mapping = {roll.token_at(i): roll.weight_at(i) for i in range(len(roll))}
    box = BallotBox(spec, ceremony.checked_election(election), mapping)
    rows = db.session.execute(
        select(Ballot.selection_json, Ballot.cast_at)
        .where(Ballot.proposal_id == proposal.id).order_by(Ballot.id))
    for cast_json, cast_at in rows:
        box.accept(strict_loads(cast_json.encode()), format_time(cast_at))
    return box


def freeze_tally(proposal: Proposal, now: datetime) -> None:
    """At close: fix the encrypted tally the trustees will decrypt."""
    election = db.session.get(SecretElection, proposal.id, with_for_update=True)
    if election is None or election.tally_json is not None:
        return
    if election.state in ("keygen", "dealing"):
        # Voting closed before the key ceremony finished: no ballot could be cast, and there
        # is nothing to decrypt. It fails in the open; the vote stays unsealed.
        qual.fail_unfinished(election, now)
    if election.state != "ready":
        return
    cts, _, _ = _box(proposal, election).encrypted_tally()
    election.tally_json = json.dumps([[a.hex(), b.hex()] for a, b in cts])
    election.state = "closed"


def tally_of(election: SecretElection) -> Ciphertexts:
    if election.tally_json is None:
        raise SecretSealError("the encrypted tally is fixed when the vote closes")
    return [(point_from_hex(a), point_from_hex(b)) for a, b in json.loads(election.tally_json)]


def ready_to_seal(proposal_id: str) -> bool:
    election = db.session.get(SecretElection, proposal_id)
    return (election is not None and election.state in ("closed", "pending")
            and len(ceremony.decryption_entries(proposal_id)) >= election.threshold)


def seal_secret(proposal_id: str, now: datetime | None = None) -> SealedResult:
    """Decrypt with k checked shares, sign and store the format 2 result, log it."""
    proposal = db.session.get(Proposal, proposal_id, with_for_update=True)
    election = db.session.get(SecretElection, proposal_id, with_for_update=True)
    if proposal is None or election is None or proposal.state != "closed":
        raise SecretSealError(f"{proposal_id} is not a closed secret vote")
    if not ready_to_seal(proposal_id):
        raise SecretSealError(f"{proposal_id}: fewer than {election.threshold} decryption shares")
    charter = db.session.scalar(
        select(CharterVersion).where(CharterVersion.version == proposal.charter_version))
    if charter is None:
        raise SecretSealError(f"charter version {proposal.charter_version} is not installed")
    box = _box(proposal, election)
    sealed_at = now or utcnow()
    previous = current_result(proposal_id)
    bundle = box.seal(
        keys.signing_key(), trust=current_app.config["TRUST_NAME"],
        charter_version=charter.version, charter_sha256=charter.sha256,
        election_doc=json.loads(election.election_json or "{}"),
        shares=ceremony.decryption_entries(proposal_id), sealed_at=format_time(sealed_at),
        supersedes=result_digest(json.loads(previous.result_json)) if previous else None,
    )
    signed = bundle.result
    if previous is not None:
        db.session.execute(
            update(SealedResult).where(SealedResult.id == previous.id).values(current=False))
    row = SealedResult(
        proposal_id=proposal_id, digest=result_digest(signed), supersedes=signed["supersedes"],
        result_json=canonical_bytes(signed).decode(), sealed_at=sealed_at,
        key_id=signed["signature"]["key_id"], current=True)
    db.session.add(row)
    db.session.flush()
    db.session.add(SecretBundleFiles(
        result_id=row.id, election_json=canonical_bytes(bundle.election).decode(),
        tally_json=canonical_bytes(bundle.tally).decode(),
        roll_jsonl=b"".join(bundle.roll_lines).decode(),
        ballots_jsonl=b"".join(bundle.ballot_lines).decode()))
    translog.append("result.sealed", proposal_id, signed, at=sealed_at)
    election.state = "sealed"
    lifecycle.move(proposal, "seal", None, now=sealed_at)
    return row


def bundle_files(row: SealedResult) -> SecretBundleFiles | None:
    return db.session.get(SecretBundleFiles, row.id)
