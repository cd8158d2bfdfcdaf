"""The demo's secret votes: one sealed, one open for demo owners to vote in.

The builder plays every trustee itself, in-process, through the same ceremony service the API
uses. For the sealed vote it then discards the trustees' key shares (they only ever existed in
this function). For the open vote it writes each trustee's key share as a passphrase-protected
file (the demo password) under the instance folder, so whoever runs the demo can play the
trustees after close with `python -m ballots.trustee decrypt`; in a real trust those files are
made by, and stay on, each council member's own device.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app.accounts.models import User
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.proposals.models import Proposal
from app.proposals.spec import vote_spec
from app.secret import casting, ceremony
from app.secret import seal as secret_seal
from app.voting.models import RollEntry
from ballots.secret.ballot import encrypt_ballot
from ballots.secret.trustees import TrusteeShare, verify_election
from ballots.trustee import KeygenState, deal, decrypt, receive


def run_ceremony(proposal_id: str, now: datetime) -> dict[int, TrusteeShare]:
    """Every trustee's part of the key ceremony; returns their key shares by user id."""
    states: dict[int, KeygenState] = {}
    rows = ceremony.trustees_of(proposal_id)
    threshold = ceremony.election_of(proposal_id).threshold  # type: ignore[union-attr]
    for t in rows:
        states[t.user_id] = KeygenState.generate(proposal_id, t.index, threshold)
        ceremony.post_keygen(proposal_id, t.user_id, states[t.user_id].post(t.name), now)
    info = ceremony.status(proposal_id)["trustees"]
    for t in rows:
        ceremony.post_deal(proposal_id, t.user_id, deal(states[t.user_id], info), now)
    shares = {}
    for t in rows:
        boxes = ceremony.shares_for(proposal_id, t.user_id)["shares"]
        shares[t.user_id] = receive(states[t.user_id], info, boxes)
        ceremony.confirm(proposal_id, t.user_id, now)
    db.session.commit()
    return shares


def cast_all(proposal_id: str, opens: datetime, choices: list[list[str]],
             rng: random.Random) -> int:
    """Demo owners' encrypted ballots, each checked and stored as the API would."""
    proposal = db.session.get(Proposal, proposal_id)
    election = ceremony.election_of(proposal_id)
    assert proposal is not None and election is not None and election.election_json
    spec = vote_spec(proposal)
    key = verify_election(json.loads(election.election_json), proposal_id).key
    entries = db.session.execute(
        select(RollEntry.owner_id, RollEntry.token).where(RollEntry.proposal_id == proposal_id)
        .order_by(RollEntry.owner_id)).all()
    cast = 0
    for i, (owner_id, token) in enumerate(entries):
        if rng.random() < 0.35:
            continue
        ballot = encrypt_ballot(spec, key, token, rng.choice(choices))
        casting.cast_secret(proposal_id, owner_id, ballot.cast,
                            now=opens + timedelta(hours=1, minutes=i))
        cast += 1
    return cast


def seal_with_trustees(proposal: Proposal, shares: dict[int, TrusteeShare],
                       closes: datetime) -> None:
    """Close, then k trustees post their decryption shares; the seal follows."""
    close_and_seal(proposal, now=closes)
    db.session.commit()
    election = ceremony.election_of(proposal.id)
    assert election is not None
    tally = secret_seal.tally_of(election)
    for user_id, share in list(shares.items())[: election.threshold]:
        entry = decrypt(share, {"ciphertexts": [[a.hex(), b.hex()] for a, b in tally]})
        ceremony.post_decryption(proposal.id, user_id, entry, tally, closes)
    close_and_seal(proposal, now=closes)
    db.session.commit()


def keep_trustee_files(proposal_id: str, shares: dict[int, TrusteeShare], folder: Path,
                       passphrase: str) -> Iterator[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for user_id, share in shares.items():
        user = db.session.get(User, user_id)
        name = (user.email if user else str(user_id)).split("@")[0]
        path = folder / name / f"{proposal_id}.share"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(share.to_file(passphrase.encode()))
    yield f"trustee key files for {proposal_id} in {folder} (passphrase: the demo password)"
