"""/verify reads a secret ballot's receipt (a signed tracker): genuine or not, what it proves,
and after the seal whether its ballot counts or was replaced. Both databases."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest

from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.proposals.models import Proposal
from ballots.keys import KeyRing
from ballots.receipts import ReceiptError
from ballots.secret.receipts import check_tracker_inclusion, check_tracker_receipt
from tests.factories import csrf_from
from tests.web.secret_helpers import (
    bearer,
    close_now,
    open_secret_vote,
    post_decryption,
    run_ceremony,
)
from tests.web.test_trustee_notices import encrypt

ENGLISH = {"Accept-Language": "en"}
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _check(client: Any, receipt: Any, headers: dict[str, str] = ENGLISH,
           upload: bool = False) -> str:
    token = csrf_from(client.get("/verify", headers=headers))
    text = receipt if isinstance(receipt, str) else json.dumps(receipt)
    if upload:
        data = {"csrf_token": token, "upload": (io.BytesIO(text.encode()), "receipt.json")}
        response = client.post("/verify", data=data, headers=headers,
                               content_type="multipart/form-data")
    else:
        response = client.post("/verify", data={"receipt": text, "csrf_token": token},
                               headers=headers)
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def _flip(hex64: str) -> str:
    return ("0" if hex64[0] != "0" else "1") + hex64[1:]


def test_a_tracker_receipt_before_and_after_the_seal(client: Any, db_session: Any) -> None:
    vote = open_secret_vote(client)
    run_ceremony(client, vote)
    headers = bearer(vote.author)
    db.session.commit()
    receipts = []
    for choice in (["yes"], ["no"]):
        ballot = encrypt(client, vote.id, headers, choice)
        cast = client.post(f"/api/secret/{vote.id}/ballots", json=ballot.cast, headers=headers)
        assert cast.status_code == 201
        receipts.append(cast.get_json())
    first, last = receipts

    page = _check(client, first)
    assert "The receipt is genuine: signed by the trust. The vote is still open" in page
    assert first["tracker"] in page and "it proves nothing to anyone, a buyer included" in page
    assert "Counted" not in page  # whether a voter changed their vote stays unknown until the seal
    assert "投票仍在进行" in _check(client, first, CHINESE)

    # Forged or altered: a clear message and nothing read from it.
    for bad in (dict(first, tracker=_flip(first["tracker"])),
                dict(first, cast_at="2020-01-01T00:00:00Z"),
                dict(first, proposal="another"),
                {k: v for k, v in first.items() if k != "signature"}):
        page = _check(client, bad)
        assert "This tracker receipt is not genuine" in page
        assert 'id="tracker-report"' not in page and "What this proves" not in page
    page = _check(client, dict(first, format=3))
    assert "This tracker receipt is not genuine" in page and "format 2" in page
    assert "这张跟踪码回执不是真的" in _check(client, dict(first, token=_flip(first["token"])),
                                      CHINESE)

    closes = close_now(vote.id)
    close_and_seal(vote.id, now=closes + timedelta(seconds=1))
    db.session.commit()
    page = _check(client, first)
    assert "waits for its trustees' decryption shares" in page
    for trustee in vote.trustees[:2]:
        assert post_decryption(client, vote, trustee).status_code == 201
    assert db.session.get(Proposal, vote.id).state == "sealed"

    page = _check(client, first)
    assert "a later ballot of the same voter replaced it" in page
    assert f"/results/{vote.id}/proof/{first['tracker']}" in page
    page = _check(client, last, upload=True)
    assert "its ballot is among the ballots counted in the sealed result" in page
    assert "yes — this is the last ballot of its voter" in page
    assert "计入" in _check(client, last, CHINESE)

    # The same checks, as python code reads them: a proof altered anywhere fails.
    keys = KeyRing.from_document(client.get("/.well-known/trust-keys.json").get_json())
    assert check_tracker_receipt(last, keys) == last["tracker"]
    result = client.get(f"/results/{vote.id}/result.json").get_json()
    proof = client.get(f"/results/{vote.id}/proof/{last['tracker']}").get_json()
    root, size = result["ballots"]["root"], result["ballots"]["size"]
    assert check_tracker_inclusion(last, proof, root, size).counted
    assert not check_tracker_inclusion(first, client.get(
        f"/results/{vote.id}/proof/{first['tracker']}").get_json(), root, size).counted
    for changed in (dict(proof, path=[_flip(proof["path"][0])] + proof["path"][1:]),
                    dict(proof, leaf=dict(proof["leaf"], token=_flip(last["token"]))),
                    dict(proof, leaf=dict(proof["leaf"], sum_proof=proof["leaf"]["proofs"][0])),
                    dict(proof, root=_flip(root))):
        with pytest.raises(ReceiptError):
            check_tracker_inclusion(last, changed, root, size)
    # A receipt the trust signed for a ballot that is not in the bundle is named as such.
    from app.keys import service as trust_keys
    from ballots.secret.bundle import build_receipt2

    orphan = build_receipt2(trust_keys.signing_key(), vote.id, last["token"],
                            _flip(last["tracker"]), last["cast_at"])
    page = _check(client, orphan)
    assert "no ballot with this tracker is among the ballots of the sealed result" in page
