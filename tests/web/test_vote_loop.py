"""From an open vote to a sealed, signed, publicly verifiable result."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals import service as proposals
from app.results import service as results
from app.voting import service as voting
from app.voting.models import Ballot
from ballots.canonical import canonical_bytes
from ballots.keys import KeyRing
from ballots.merkle import leaf_hash, verify_consistency, verify_inclusion
from ballots.receipts import verify_receipt
from ballots.verifier import verify_bundle
from tests.factories import correction_motion, install_charter, make_open_vote, make_owner


@pytest.fixture
def vote(db_session: Any) -> dict[str, Any]:
    install_charter()
    council = make_owner(500, role="council")
    alice = make_owner(3000)
    bob = make_owner(1000)
    carol = make_owner(0)  # no growth value: not eligible under the default minimum
    db.session.commit()
    # A window that has already passed: casts carry explicit times inside it, and sealing
    # happens after the close, as it must.
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(alice, council, opens=opens, closes=opens + timedelta(days=3))
    return {
        "id": proposal_id,
        "council": council,
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "clock": itertools.count(1),
        "opens": opens,
    }


def cast(vote: dict[str, Any], who: str, selection: Any) -> dict[str, Any]:
    when = vote["opens"] + timedelta(minutes=next(vote["clock"]))
    return voting.cast(vote["id"], vote[who].id, selection, now=when)


def _ballot_count(proposal_id: str) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.proposal_id == proposal_id)
        )
        or 0
    )


def _keyring() -> KeyRing:
    from app.keys import service as keys

    return KeyRing.from_document(keys.published_keys())


def _seal(proposal_id: str) -> Any:
    proposal = proposals.get(proposal_id)
    assert proposal is not None
    proposals.close_vote(proposal)
    row = results.seal(proposal_id)
    db.session.commit()
    return row


def test_a_cast_returns_a_receipt_signed_by_the_published_key(vote: dict[str, Any]) -> None:
    receipt = cast(vote, "alice", ["yes"])
    assert receipt["type"] == "ballot-receipt"
    assert receipt["selection"] == ["yes"]
    assert receipt["weight"] == 3000
    verify_receipt(receipt, _keyring())


def test_the_last_ballot_counts_and_earlier_ones_stay_recorded(vote: dict[str, Any]) -> None:
    first = cast(vote, "alice", ["yes"])
    second = cast(vote, "alice", ["no"])
    assert first["receipt"] != second["receipt"]
    assert _ballot_count(vote["id"]) == 2
    row = _seal(vote["id"])
    tally = json.loads(row.result_json)["tally"]
    assert tally["totals"] == {"yes": 0, "no": 3000, "abstain": 0}
    assert tally["counted"] == 1


@pytest.mark.parametrize(
    "selection, message",
    [
        (["maybe"], "Invalid selection"),
        (["yes", "no"], "Invalid selection"),
        ([], "Invalid selection"),
        ("yes", "Invalid selection"),
    ],
)
def test_a_malformed_selection_is_refused_and_writes_nothing(
    vote: dict[str, Any], selection: Any, message: str
) -> None:
    with pytest.raises(voting.VoteRefused, match=message):
        cast(vote, "alice", selection)
    assert _ballot_count(vote["id"]) == 0


def test_an_owner_not_on_the_roll_is_refused(vote: dict[str, Any]) -> None:
    with pytest.raises(voting.VoteRefused, match="not on the roll"):
        cast(vote, "carol", ["yes"])
    assert _ballot_count(vote["id"]) == 0


def test_voting_after_the_close_is_refused(vote: dict[str, Any]) -> None:
    proposal = proposals.get(vote["id"])
    assert proposal is not None and proposal.closes_at is not None
    with pytest.raises(voting.VoteRefused, match="closed"):
        voting.cast(vote["id"], vote["alice"].id, ["yes"], now=proposal.closes_at)
    assert _ballot_count(vote["id"]) == 0


def test_growth_after_opening_does_not_change_the_frozen_weight(vote: dict[str, Any]) -> None:
    from tests.factories import add_growth

    add_growth(vote["bob"], 5000, at=vote["opens"] + timedelta(seconds=1))
    db.session.commit()
    receipt = cast(vote, "bob", ["yes"])
    assert receipt["weight"] == 1000


def _download_bundle(client: Any, proposal_id: str, folder: Path) -> None:
    for name in ("result.json", "roll.jsonl", "ballots.jsonl"):
        response = client.get(f"/results/{proposal_id}/{name}")
        assert response.status_code == 200, name
        (folder / name).write_bytes(response.data)
    keys = client.get("/.well-known/trust-keys.json")
    (folder / "trust-keys.json").write_bytes(keys.data)


def test_a_sealed_bundle_downloaded_from_the_site_verifies(
    vote: dict[str, Any], client: Any, tmp_path: Path
) -> None:
    cast(vote, "alice", ["yes"])
    cast(vote, "bob", ["no"])
    cast(vote, "council", ["abstain"])
    receipt = cast(vote, "bob", ["yes"])
    _seal(vote["id"])
    _download_bundle(client, vote["id"], tmp_path)
    (tmp_path / "receipt.json").write_text(json.dumps(receipt))
    report = verify_bundle(str(tmp_path), receipt=str(tmp_path / "receipt.json"))
    assert report.ok, report.message
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["tally"]["totals"] == {"yes": 4000, "no": 0, "abstain": 500}
    assert result["tally"]["outcome"] == "passed"


def test_a_tampered_download_fails_verification(
    vote: dict[str, Any], client: Any, tmp_path: Path
) -> None:
    cast(vote, "alice", ["yes"])
    _seal(vote["id"])
    _download_bundle(client, vote["id"], tmp_path)
    ballots = (tmp_path / "ballots.jsonl").read_text().replace('["yes"]', '["no"]')
    (tmp_path / "ballots.jsonl").write_text(ballots)
    assert not verify_bundle(str(tmp_path)).ok


def test_the_receipt_proof_endpoint_proves_inclusion(vote: dict[str, Any], client: Any) -> None:
    receipt = cast(vote, "alice", ["yes"])
    cast(vote, "bob", ["no"])
    row = _seal(vote["id"])
    proof = client.get(f"/results/{vote['id']}/proof/{receipt['receipt']}").get_json()
    result = json.loads(row.result_json)
    verify_receipt(
        receipt,
        _keyring(),
        ballots_root=result["ballots"]["root"],
        proof=proof,
        ballots_size=result["ballots"]["size"],
    )
    assert client.get(f"/results/{vote['id']}/proof/{'0' * 64}").status_code == 404
    assert client.get(f"/results/{vote['id']}/proof/not-hex").status_code == 400


def test_a_correction_supersedes_and_both_stay_published(vote: dict[str, Any], client: Any) -> None:
    cast(vote, "alice", ["yes"])
    first = _seal(vote["id"])
    second = results.seal(vote["id"], correction=True, reason="recount",
                motion_id=correction_motion(vote["id"]))
    db.session.commit()
    assert json.loads(second.result_json)["supersedes"] == first.digest
    current = client.get(f"/results/{vote['id']}/result.json").get_json()
    assert current["supersedes"] == first.digest
    old = client.get(f"/results/{vote['id']}/history/{first.digest}.json")
    assert old.status_code == 200
    types = [e["type"] for e in client.get("/log/entries?start=0&end=100").get_json()]
    assert types.count("result.sealed") == 2


def test_sealing_an_open_vote_is_refused(vote: dict[str, Any]) -> None:
    with pytest.raises(results.SealError, match="only a closed vote"):
        results.seal(vote["id"])


def test_the_log_proves_inclusion_and_consistency(vote: dict[str, Any], client: Any) -> None:
    cast(vote, "alice", ["yes"])
    early = client.get("/log/checkpoint").get_json()
    _seal(vote["id"])
    late = client.get("/log/checkpoint").get_json()
    keyring = _keyring()
    from ballots.keys import verify_object

    verify_object(early, keyring)
    verify_object(late, keyring)
    assert late["size"] > early["size"]
    consistency = client.get(
        f"/log/proof/consistency?first={early['size']}&second={late['size']}"
    ).get_json()
    assert verify_consistency(
        early["size"],
        late["size"],
        bytes.fromhex(early["root"]),
        bytes.fromhex(late["root"]),
        [bytes.fromhex(h) for h in consistency["path"]],
    )
    entries = client.get(f"/log/entries?start=0&end={late['size']}").get_json()
    sealed = [e for e in entries if e["type"] == "result.sealed"]
    assert sealed and sealed[0]["subject"] == vote["id"]
    index = sealed[0]["index"]
    proof = client.get(f"/log/proof/inclusion?index={index}&size={late['size']}").get_json()
    assert verify_inclusion(
        leaf_hash(canonical_bytes(sealed[0])),
        index,
        late["size"],
        [bytes.fromhex(h) for h in proof["path"]],
        bytes.fromhex(late["root"]),
    )
    signed_result = client.get(f"/results/{vote['id']}/result.json").get_json()
    from ballots.canonical import canonical_sha256

    assert sealed[0]["sha256"] == canonical_sha256(signed_result)


@pytest.mark.parametrize(
    "query", ["start=5&end=2", "start=0&end=5000", "start=x&end=2", "start=-1&end=2"]
)
def test_bad_log_requests_get_a_clear_400(vote: dict[str, Any], client: Any, query: str) -> None:
    response = client.get(f"/log/entries?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_published_files_tell_caches_what_may_be_kept(vote: dict[str, Any], client: Any) -> None:
    cast(vote, "alice", ["yes"])
    first = _seal(vote["id"])
    old = client.get(f"/results/{vote['id']}/history/{first.digest}.json")
    assert old.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/log/record/0").headers["Cache-Control"].endswith("immutable")

    current = client.get(f"/results/{vote['id']}/result.json")
    assert current.headers["Cache-Control"] == "public, no-cache"
    etag = current.headers["ETag"]
    again = client.get(
        f"/results/{vote['id']}/result.json", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.data == b""

    results.seal(vote["id"], correction=True, reason="recount",
                motion_id=correction_motion(vote["id"]))
    db.session.commit()
    corrected = client.get(
        f"/results/{vote['id']}/result.json", headers={"If-None-Match": etag}
    )
    assert corrected.status_code == 200
    assert corrected.get_json()["supersedes"] == first.digest
    assert corrected.headers["ETag"] != etag
