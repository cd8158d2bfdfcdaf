"""A secret vote in a test: charter with secret votes, three trustees, the whole ceremony."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.accounts.models import User
from app.accounts.services import issue_api_token
from app.core.db_types import utcnow
from app.core.extensions import db
from ballots.secret.group import scalar_hex
from ballots.secret.transport import seal_share
from ballots.secret.trustees import TrusteeShare
from ballots.trustee import KeygenState, check_dealt, deal, decrypt, receive
from governance.default_charter import default_rules
from tests.factories import install_charter, make_open_vote, make_owner, seat_member


def install_secret_charter() -> None:
    voting = default_rules()["voting"]
    for kind in voting["kinds"].values():
        kind["secrecy"] = "secret"
    voting["trustees"] = {"threshold": [1, 2], "key_hours": 24, "share_hours": 48}
    install_charter(secret=True, voting=voting)


@dataclass
class Trustee:
    user: User
    headers: dict[str, str]
    state: KeygenState | None = None
    share: TrusteeShare | None = None


@dataclass
class SecretVote:
    id: str
    author: User
    trustees: list[Trustee]


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_api_token(user, 'test')}"}


def open_secret_vote(client: Any, n_trustees: int = 3, **kwargs: Any) -> SecretVote:
    """Voters made before this call are on the roll (it is frozen at opening)."""
    from app.charter import service as charter

    if charter.current() is None:
        install_secret_charter()
    council = [make_owner(name=f"Trustee {i}") for i in range(1, n_trustees + 1)]
    for member in council:
        seat_member(member, start=utcnow() - timedelta(days=40))
    author = make_owner()
    db.session.commit()
    proposal_id = make_open_vote(author, council[0], **kwargs)
    trustees = [Trustee(m, bearer(m)) for m in council]
    db.session.commit()
    return SecretVote(proposal_id, author, trustees)


def run_ceremony(client: Any, vote: SecretVote) -> None:
    base = f"/api/secret/{vote.id}"
    for t in vote.trustees:
        info = client.get(base + "/ceremony", headers=t.headers).get_json()
        t.state = KeygenState.generate(vote.id, info["you"]["index"], info["threshold"])
        r = client.post(base + "/keygen", json=t.state.post(info["you"]["name"]), headers=t.headers)
        assert r.status_code == 201, r.get_json()
    info = client.get(base + "/ceremony").get_json()
    for t in vote.trustees:
        assert t.state is not None
        r = client.post(base + "/deal", json=deal(t.state, info["trustees"]), headers=t.headers)
        assert r.status_code == 201, r.get_json()
    for t in vote.trustees:
        assert t.state is not None
        boxes = client.get(base + "/shares", headers=t.headers).get_json()["shares"]
        t.share = receive(t.state, info["trustees"], boxes)
        r = client.post(base + "/confirm", json={"confirmed": True}, headers=t.headers)
        assert r.status_code == 201, r.get_json()


def post_decryption(client: Any, vote: SecretVote, trustee: Trustee) -> Any:
    base = f"/api/secret/{vote.id}"
    assert trustee.share is not None
    tally = client.get(base + "/tally").get_json()
    return client.post(
        base + "/decrypt", json=decrypt(trustee.share, tally), headers=trustee.headers
    )


def close_now(vote_id: str) -> Any:
    """Move the close to a second from now and wait for it: a seal must come after the close
    (the verifier checks it), and casting happens in real time."""
    import time

    from app.proposals.models import Proposal

    proposal = db.session.get(Proposal, vote_id)
    proposal.closes_at = utcnow().replace(microsecond=0) + timedelta(seconds=2)
    db.session.commit()
    time.sleep(2.1)
    return proposal.closes_at


def keygen_and_deal(client: Any, vote: SecretVote, cheat: tuple[int, int] | None = None,
                     skip_deal: int | None = None) -> list[dict[str, Any]]:
    """Every trustee posts keys and deals; ``cheat`` = (dealer, victim): the dealer seals the
    victim a share off by one, so it opens but fails the dealer's commitments."""
    base = f"/api/secret/{vote.id}"
    for t in vote.trustees:
        info = client.get(base + "/ceremony", headers=t.headers).get_json()
        t.state = KeygenState.generate(vote.id, info["you"]["index"], info["threshold"])
        r = client.post(base + "/keygen", json=t.state.post(info["you"]["name"]),
                        headers=t.headers)
        assert r.status_code == 201, r.get_json()
    info = client.get(base + "/ceremony").get_json()
    for t in vote.trustees:
        assert t.state is not None
        if t.state.index == skip_deal:
            continue
        body = deal(t.state, info["trustees"])
        if cheat and t.state.index == cheat[0]:
            victim = cheat[1]
            key = info["trustees"][victim - 1]["transport_key"]
            body["shares"][str(victim)] = seal_share(
                key, t.state.dealer.share_for(victim) + 1, vote.id, cheat[0], victim)
        r = client.post(base + "/deal", json=body, headers=t.headers)
        assert r.status_code == 201, r.get_json()
    return list(info["trustees"])


def check_and_confirm(client: Any, vote: SecretVote, trustees: list[dict[str, Any]]) -> None:
    """What `python -m ballots.trustee receive` does: complain against each bad share, confirm."""
    base = f"/api/secret/{vote.id}"
    for t in vote.trustees:
        assert t.state is not None
        boxes = client.get(base + "/shares", headers=t.headers).get_json()["shares"]
        _, bad = check_dealt(t.state, [x["public"] for x in trustees], boxes)
        for i in bad:
            r = client.post(base + "/complaints", json={"dealer": i}, headers=t.headers)
            assert r.status_code == 201, r.get_json()
        r = client.post(base + "/confirm", json={"confirmed": True}, headers=t.headers)
        assert r.status_code == 201, r.get_json()


def answer_wrongly(client: Any, vote: SecretVote) -> None:
    """After keygen_and_deal(cheat=(2, 1)): dealer 2 answers trustee 1's complaint with a
    share that fails its commitments, which disqualifies it."""
    dealer = vote.trustees[1]
    assert dealer.state is not None
    wrong = {"answers": {"1": scalar_hex(dealer.state.dealer.share_for(1) + 1)}}
    r = client.post(f"/api/secret/{vote.id}/answers", json=wrong, headers=dealer.headers)
    assert r.status_code == 201, r.get_json()


def download_bundle(client: Any, vote_id: str, folder: Path) -> Path:
    """A sealed secret vote's format 2 bundle, as a reader downloads it from the site."""
    folder.mkdir()
    for name in ("result.json", "election.json", "tally.json", "roll.jsonl", "ballots.jsonl"):
        response = client.get(f"/results/{vote_id}/{name}")
        assert response.status_code == 200, name
        (folder / name).write_bytes(response.get_data())
    (folder / "trust-keys.json").write_bytes(client.get("/.well-known/trust-keys.json").get_data())
    return folder
