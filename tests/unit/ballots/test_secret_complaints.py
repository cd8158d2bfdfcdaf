"""The DKG complaint round: complaints, public answers, QUAL, the key over QUAL, forgeries."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.secret.complaints import (
    Complaint,
    ComplaintError,
    check_parties,
    parse_complaints,
)
from ballots.secret.group import Rng, add, base_mul, mul, point_from_hex, scalar_hex
from ballots.secret.transport import seal_share
from ballots.secret.trustees import (
    TrusteeError,
    check_decryption_share,
    combine_shares,
    decryption_share,
    election_document,
    verify_election,
)
from ballots.trustee import KeygenState, answers, check_dealt, receive, settled_share
from ballots.verify import verify_any
from tests.unit.ballots import independent_format2
from tests.unit.ballots.secret_helpers import build, run_dkg

PID = "secret-2026"
ROOT = Path(__file__).resolve().parents[3]


def _decrypts(t: Any, subset: list[int], rng: Rng) -> bool:
    key = t.election.key
    cts = [(base_mul(5), add(base_mul(42), mul(5, key)))]
    entries = {j: check_decryption_share(t.election, decryption_share(t.shares[j - 1], cts, rng),
                                         cts)[1] for j in subset}
    return combine_shares(len(subset), entries, cts) == [base_mul(42)]


def test_no_complaints_gives_exactly_the_earlier_bytes() -> None:
    t = run_dkg(PID, 2, 3, Rng(b"plain"))
    assert set(t.doc) == {"type", "format", "proposal", "threshold", "trustees", "key"}
    key = point_from_hex(t.doc["trustees"][0]["commitments"][0])
    for entry in t.doc["trustees"][1:]:
        key = add(key, point_from_hex(entry["commitments"][0]))
    assert t.doc["key"] == key.hex()
    assert t.election.qualified == (1, 2, 3) and t.election.complaints == ()


def test_known_answer_false_complaint_answered_correctly() -> None:
    plain = run_dkg(PID, 2, 3, Rng(b"kat"))
    t = run_dkg(PID, 2, 3, Rng(b"kat"), [(1, 2, "valid")])
    # Same seed, same polynomials: a false complaint answered correctly changes nothing but
    # the record.
    assert t.doc["key"] == plain.doc["key"]
    assert t.doc["qualified"] == [1, 2, 3]
    assert t.doc["complaints"] == [{"accuser": 1, "dealer": 2,
                                    "share": t.doc["complaints"][0]["share"]}]
    assert t.election.public_shares == plain.election.public_shares
    assert _decrypts(t, [1, 3], Rng(b"d"))


def test_known_answer_vector() -> None:
    t = run_dkg(PID, 2, 3, Rng(b"complaint vector"), [(1, 2, "wrong"), (3, 1, "valid")])
    # Recorded once from this implementation and checked below by the independent group
    # code; a change in the bytes of election.json with complaints breaks it.
    assert t.doc["qualified"] == [1, 3]
    assert [(c["dealer"], c["accuser"]) for c in t.doc["complaints"]] == [(1, 3), (2, 1)]
    ind = independent_format2
    key = ind.ZERO
    for i in (1, 3):
        key = ind.padd(key, ind.pt(t.doc["trustees"][i - 1]["commitments"][0]))
    assert ind.encode(key).hex() == t.doc["key"]
    assert canonical_sha256(t.doc) == KAT_SHA256


KAT_SHA256 = "5b2fd67e8bde5a9cd58de673717bb1f2e8d88244e9344fad88eb23b3ff9751e6"


def test_a_wrong_revealed_share_disqualifies() -> None:
    t = run_dkg(PID, 2, 3, Rng(b"wrong"), [(1, 2, "wrong")])
    assert t.election.qualified == (1, 3)
    c1 = point_from_hex(t.doc["trustees"][0]["commitments"][0])
    c3 = point_from_hex(t.doc["trustees"][2]["commitments"][0])
    assert t.election.key == add(c1, c3)
    for subset in ([1, 2], [2, 3], [1, 3]):
        assert _decrypts(t, subset, Rng(b"x"))


def test_an_unanswered_complaint_disqualifies() -> None:
    t = run_dkg(PID, 2, 4, Rng(b"none"), [(3, 4, "none"), (1, 4, "valid")])
    assert t.election.qualified == (1, 2, 3)
    assert t.doc["complaints"][1] == {"accuser": 3, "dealer": 4, "share": None}
    assert _decrypts(t, [2, 4], Rng(b"y"))


def test_fewer_than_k_qualified_fails_the_ceremony() -> None:
    with pytest.raises(TrusteeError) as err:
        run_dkg(PID, 3, 4, Rng(b"few"), [(1, 2, "none"), (1, 3, "wrong")])
    assert err.value.reason == "qualified"
    assert "the key ceremony fails: only 2 of 4" in str(err.value)
    assert "3 are needed" in str(err.value)


def test_complaints_by_outsiders_or_against_oneself_are_refused() -> None:
    for accuser, dealer in ((0, 1), (4, 1), (1, 4), (2, 2), (True, 2)):
        with pytest.raises(ComplaintError):
            check_parties(3, accuser, dealer)  # type: ignore[arg-type]
    t = run_dkg(PID, 2, 3, Rng(b"self"), [(1, 2, "valid")])
    for bad in ([{"accuser": 2, "dealer": 2, "share": None}],
                [{"accuser": 5, "dealer": 2, "share": None}],
                [], [{"accuser": 1, "dealer": 2}],
                [{"accuser": 1, "dealer": 2, "share": "ff" * 32}],
                [{"accuser": 3, "dealer": 2, "share": None},
                 {"accuser": 1, "dealer": 2, "share": None}],
                [{"accuser": 1, "dealer": 2, "share": None}] * 2):
        doc = dict(t.doc, complaints=bad)
        with pytest.raises(TrusteeError) as err:
            verify_election(doc, PID)
        assert err.value.reason == "complaints"
        with pytest.raises(ComplaintError):
            parse_complaints(bad, 3)


def test_forged_election_documents_are_refused() -> None:
    t = run_dkg(PID, 2, 3, Rng(b"forge"), [(1, 2, "wrong")])
    # The key over every dealer, as if the disqualified one still counted.
    everyone = run_dkg(PID, 2, 3, Rng(b"forge"))
    with pytest.raises(TrusteeError) as err:
        verify_election(dict(t.doc, key=everyone.doc["key"]), PID)
    assert err.value.reason == "key"
    with pytest.raises(TrusteeError) as err:
        verify_election(dict(t.doc, qualified=[1, 2, 3], key=everyone.doc["key"]), PID)
    assert err.value.reason == "qualified"
    # Claiming the answer was right.
    right = dict(t.doc["complaints"][0])
    right["share"] = scalar_hex(int.from_bytes(bytes.fromhex(right["share"]), "little") - 1)
    with pytest.raises(TrusteeError) as err:
        verify_election(dict(t.doc, complaints=[right]), PID)
    assert err.value.reason == "qualified"
    only = {k: v for k, v in t.doc.items() if k != "qualified"}
    with pytest.raises(TrusteeError) as err:
        verify_election(only, PID)
    assert err.value.reason == "record"
    with pytest.raises(TrusteeError):
        verify_election(dict(t.doc, qualified=[3, 1]), PID)


@settings(max_examples=12, deadline=None)
@given(st.integers(2, 5).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(1, n),
    st.dictionaries(st.tuples(st.integers(1, n), st.integers(1, n)).filter(
        lambda p: p[0] != p[1]), st.sampled_from(["valid", "wrong", "none"]), max_size=4))))
def test_qual_is_exactly_the_dealers_without_a_standing_complaint(case: Any) -> None:
    n, k, filed = case
    out = {dealer for (_, dealer), how in filed.items() if how != "valid"}
    expected = [i for i in range(1, n + 1) if i not in out]
    complaints = [(j, i, how) for (j, i), how in filed.items()]
    if len(expected) < k:
        with pytest.raises(TrusteeError, match="fails"):
            run_dkg(PID, k, n, Rng(b"prop"), complaints)
        return
    t = run_dkg(PID, k, n, Rng(b"prop"), complaints)
    assert list(t.election.qualified) == expected
    for j in range(1, n + 1):
        assert base_mul(t.shares[j - 1].secret) == t.election.public_shares[j]
    assert _decrypts(t, list(range(n - k + 1, n + 1)), Rng(b"z"))


def _ceremony(n: int, k: int, seed: bytes) -> list[KeygenState]:
    import ballots.trustee as cli

    states = []
    for i in range(1, n + 1):
        dealer = cli.TrusteeDealer.generate(i, k, Rng(seed + bytes([i])))
        states.append(KeygenState(PID, i, dealer, cli.TransportKey.generate()))
    return states


def test_the_trustee_client_complains_answers_and_uses_the_revealed_share() -> None:
    states = _ceremony(3, 2, b"cli")
    publics = [s.dealer.public(PID, f"T{s.index}", Rng(b"p")) for s in states]
    keys = {s.index: s.transport.public_hex() for s in states}

    def boxes_for(j: int, cheat: int | None = None) -> dict[str, Any]:
        out = {}
        for s in states:
            if s.index != j:
                value = s.dealer.share_for(j) + (1 if s.index == cheat else 0)
                out[str(s.index)] = seal_share(keys[j], value, PID, s.index, j)
        return out

    # Dealer 2 sends trustee 1 a bad share, and trustee 3 a box that does not open.
    boxes1 = boxes_for(1, cheat=2)
    boxes3 = boxes_for(3)
    boxes3["2"] = seal_share(keys[1], 5, PID, 2, 3)
    assert check_dealt(states[0], publics, boxes1)[1] == [2]
    assert check_dealt(states[2], publics, boxes3)[1] == [2]
    trustees = [{"index": p["index"], "public": p} for p in publics]
    with pytest.raises(Exception, match="trustee 2 fails"):
        receive(states[0], trustees, boxes1)
    asked = [{"accuser": 1, "dealer": 2, "share": None}, {"accuser": 3, "dealer": 2,
                                                          "share": None}]
    reply = answers(states[1], asked)["answers"]
    assert set(reply) == {"1", "3"} and answers(states[0], asked) == {"answers": {}}
    filed = [Complaint(int(j), 2, int.from_bytes(bytes.fromhex(v), "little"))
             for j, v in reply.items()]
    doc = election_document(PID, 2, publics, filed)
    assert doc["qualified"] == [1, 2, 3]
    share1 = settled_share(states[0], doc, boxes1)
    share3 = settled_share(states[2], doc, boxes3)
    share2 = settled_share(states[1], doc, boxes_for(2))
    election = verify_election(doc, PID)
    for s in (share1, share2, share3):
        assert base_mul(s.secret) == election.public_shares[s.index]


def test_a_bundle_with_complaints_verifies_and_its_tampering_is_named(tmp_path: Path) -> None:
    built = build(complaints=((1, 2, "wrong"), (3, 1, "valid")), share_from=(2, 3))
    path = built.write(tmp_path / "bundle")
    report = verify_any(path)
    assert report.ok, report.summary()
    assert independent_format2.verify(path) is None
    run = subprocess.run([sys.executable, "-m", "ballots.verify", str(path), "--skip-log"],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert ("2 complaint(s) in the key ceremony, every answer checked: key over qualified "
            "dealers [1, 3], disqualified [2]") in run.stdout
    # election.json changed and the result re-signed over it: QUAL no longer follows.
    bad = tmp_path / "bad"
    shutil.copytree(path, bad)
    doc = json.loads((bad / "election.json").read_bytes())
    doc["qualified"] = [1, 2, 3]
    (bad / "election.json").write_bytes(canonical_bytes(doc) + b"\n")
    res = {k: v for k, v in json.loads((bad / "result.json").read_bytes()).items()
           if k != "signature"}
    res["election"]["sha256"] = canonical_sha256(doc)
    (bad / "result.json").write_bytes(canonical_bytes(built.key.sign_object(res)) + b"\n")
    report = verify_any(bad)
    assert not report.ok and report.code == "election.qualified"
    assert independent_format2.verify(bad) is not None
