"""The demo's secret votes: two sealed (one passed, one rejected), one open for demo owners.

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
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app.accounts.models import User
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.proposals.spec import vote_spec
from app.secret import casting, ceremony
from app.secret import seal as secret_seal
from app.voting.models import RollEntry
from ballots.secret.ballot import encrypt_ballot
from ballots.secret.transport import seal_share
from ballots.secret.trustees import TrusteeShare, verify_election
from ballots.trustee import KeygenState, answers, check_dealt, deal, decrypt, settled_share


def run_ceremony(proposal_id: str, now: datetime, dispute: bool = False) -> dict[int, TrusteeShare]:
    """Every trustee's part of the key ceremony; returns their key shares by user id.

    ``dispute``: trustee 2 deals trustee 1 a share that fails its commitments (a slip, say);
    trustee 1 complains in public and trustee 2 answers with the right share, so the demo's
    trustees page shows a settled complaint and nobody is disqualified."""
    states: dict[int, KeygenState] = {}
    rows = ceremony.trustees_of(proposal_id)
    threshold = ceremony.election_of(proposal_id).threshold  # type: ignore[union-attr]
    for t in rows:
        states[t.user_id] = KeygenState.generate(proposal_id, t.index, threshold)
        ceremony.post_keygen(proposal_id, t.user_id, states[t.user_id].post(t.name), now)
    info = ceremony.status(proposal_id)["trustees"]
    dispute = dispute and len(rows) >= 2
    for t in rows:
        body = deal(states[t.user_id], info)
        if dispute and t.index == 2:
            body["shares"]["1"] = seal_share(info[0]["transport_key"],
                                             states[t.user_id].dealer.share_for(1) + 1,
                                             proposal_id, 2, 1)
        ceremony.post_deal(proposal_id, t.user_id, body, now)
    publics = [t["public"] for t in info]
    for t in rows:
        _, bad = check_dealt(states[t.user_id], publics,
                             ceremony.shares_for(proposal_id, t.user_id)["shares"])
        for dealer in bad:
            ceremony.file_complaint(proposal_id, t.user_id, {"dealer": dealer}, now)
        ceremony.confirm(proposal_id, t.user_id, now)
    complaints = ceremony.status(proposal_id)["complaints"]
    for t in rows:
        reply = answers(states[t.user_id], complaints)
        if reply["answers"]:
            ceremony.post_answers(proposal_id, t.user_id, reply, now + timedelta(hours=1))
    doc = json.loads(ceremony.election_of(proposal_id).election_json or "{}")  # type: ignore[union-attr]
    shares = {t.user_id: settled_share(states[t.user_id], doc,
                                       ceremony.shares_for(proposal_id, t.user_id)["shares"])
              for t in rows}
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


def build_rejected(author: User, chair: User, now: datetime, rng: random.Random,
                   put_to_vote: Callable[..., Proposal]) -> Iterator[str]:
    """A second sealed secret vote, which the owners turned down: the trustees decrypt a
    total whatever it says, and the format 2 bundle shows a rejection as plainly."""
    opens, closes = now - timedelta(days=9), now - timedelta(days=2)
    proposal = put_to_vote(
        author, chair,
        proposals.Draft(
            kind="general",
            title="Owners-only parking at service centres · 服务中心车主专用车位",
            body="Reserve a row of parking at every service centre for owners only. A secret "
            "vote, which the owners turned down.",
            fields={}, options=[]),
        opens, closes)
    shares = run_ceremony(proposal.id, opens)
    cast = cast_all(proposal.id, opens, [["no"]] * 5 + [["yes"]] * 3 + [["abstain"]], rng)
    seal_with_trustees(proposal, shares, closes)
    del shares
    yield f"sealed secret vote {proposal.id} ({cast} encrypted ballots)"
