"""Secret ballots: group vectors, ballot proofs, forgeries, trustees, tally, audit, client."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballots.canonical import canonical_bytes
from ballots.secret.ballot import (
    OPTION_LABEL,
    SUM_LABEL,
    BallotChecker,
    BallotError,
    audit_ballot,
    ciphertexts_json,
    encrypt_ballot,
    tracker_of,
)
from ballots.secret.client import ClientError, check_audit, main, prepare_ballot
from ballots.secret.group import (
    GENERATOR,
    IDENTITY,
    GroupError,
    L,
    Rng,
    add,
    base_mul,
    mul,
    point_from_hex,
    scalar_from_hex,
    scalar_hex,
)
from ballots.secret.proofs import prove_membership
from ballots.secret.tally import DiscreteLog, DiscreteLogError, WeightedSum
from ballots.secret.trustees import (
    TrusteeDealer,
    TrusteeError,
    TrusteeShare,
    check_decryption_share,
    check_received_share,
    combine_shares,
    decryption_share,
    verify_election,
)
from tests.unit.ballots.secret_helpers import run_dkg, spec_for

TOKEN = "ab" * 32
OTHER = "cd" * 32

# RFC 9496 appendix A.1: encodings of 0*G .. 15*G.
MULTIPLES = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
    "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
    "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
    "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57",
    "e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e",
    "f64746d3c92b13050ed8d80236a7f0007c3b3f962f5ba793d19a601ebb1df403",
    "44f53520926ec81fbd5a387845beb7df85a96a24ece18738bdcfa6a7822a176d",
    "903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c",
    "02622ace8f7303a31cafc63f8fc48fdc16e1c8c8d234b2f0d6685282a9076031",
    "20706fd788b2720a1ed2a5dad4952b01f413bcf0e7564de8cdc816689e2db95f",
    "bce83f8ba5dd2fa572864c24ba1810f9522bc6004afe95877ac73241cafdab42",
    "e4549ee16b9aa03099ca208c67adafcafa4c3f3e4e5303de6026e3ca8ff84460",
    "aa52e000df2e16f55fb1032fc33bc42742dad6bd5a8fc0be0167436c5948501f",
    "46376b80f409b29dc2b5f6f0c52591990896e5716f41477cd30085ab7f10301e",
    "e0c418f7c8d9c4cdd7395b93ea124f3ad99021bb681dfc3302a9d99a2e53e64e",
]

# RFC 9496 appendix A.2: encodings that must be refused.
BAD_ENCODINGS = [
    "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516c77d7f060",
    "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
    "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
    "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
    "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
    "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
    "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
    "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
    "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
    "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
    "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
    "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
    "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
    "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
    "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
    "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
    "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
]


def test_rfc9496_multiples_of_the_generator() -> None:
    point = IDENTITY
    for i, expected in enumerate(MULTIPLES):
        assert base_mul(i).hex() == expected
        assert mul(i, GENERATOR).hex() == expected
        assert point.hex() == expected
        assert point_from_hex(expected) == point
        point = add(point, GENERATOR)


@pytest.mark.parametrize("encoding", BAD_ENCODINGS)
def test_rfc9496_bad_encodings_are_refused(encoding: str) -> None:
    with pytest.raises(GroupError):
        point_from_hex(encoding)


def test_text_forms_are_canonical_only() -> None:
    with pytest.raises(GroupError):
        point_from_hex(MULTIPLES[1].upper())
    with pytest.raises(GroupError):
        point_from_hex(MULTIPLES[1][:-2])
    assert scalar_from_hex(scalar_hex(L - 1)) == L - 1
    with pytest.raises(GroupError, match="reduced"):
        scalar_from_hex(L.to_bytes(32, "little").hex())
    with pytest.raises(GroupError):
        scalar_hex(L)


def test_deterministic_mode_gives_known_answers() -> None:
    spec = spec_for()
    key = base_mul(Rng(b"key").scalar())
    one = encrypt_ballot(spec, key, TOKEN, ["no"], Rng(b"vector"))
    two = encrypt_ballot(spec, key, TOKEN, ["no"], Rng(b"vector"))
    assert one.cast == two.cast and one.tracker == two.tracker
    # A known-answer vector: HMAC-SHA512(b"vector", counter) drives every scalar.
    assert Rng(b"vector").scalar() == int.from_bytes(
        __import__("hmac").new(b"vector", (1).to_bytes(8, "big"), "sha512").digest(), "little"
    ) % L
    assert encrypt_ballot(spec, key, TOKEN, ["no"]).tracker != one.tracker


def test_known_answer_vector_agrees_with_the_independent_group_code() -> None:
    from tests.unit.ballots import independent_format2 as ind

    seed = Rng(b"key").scalar()
    key = base_mul(seed)
    assert key.hex() == "9ca65da07b39ad5eab45f914f9509f884ccc6cb7183696b53a5654ef4532a762"
    assert ind.encode(ind.pmul(seed, ind.G)) == key
    ballot = encrypt_ballot(spec_for(), key, TOKEN, ["no"], Rng(b"vector"))
    assert ballot.tracker == "2cc4e2ab94c627d7d3e5299959504a5d55742b3842977a169c4079943121032b"
    # Option "no" (index 1) took the second scalar drawn: (r*G, G + r*K).
    r = ballot.randomness[1]
    big_k = ind.decode(key)
    expected = [ind.encode(ind.pmul(r, ind.G)).hex(),
                ind.encode(ind.padd(ind.G, ind.pmul(r, big_k))).hex()]
    assert ballot.cast["ciphertexts"][1] == expected == [
        "a23bb6bb6be434c375e8f2d276f36a6aa5388aa9f4f6bfa61cdfcf7612f98a74",
        "1cebe4b886a2c80dba4faf76f030adf681683a990a4ed9720f7e0eb8081bae1b",
    ]


@settings(max_examples=12, deadline=None)
@given(
    method=st.sampled_from(["binary", "single", "approval"]),
    picks=st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True),
    seed=st.binary(min_size=1, max_size=8),
)
def test_every_valid_selection_verifies_and_audits(method: str, picks: list[int],
                                                   seed: bytes) -> None:
    spec = spec_for(method, seats=3 if method == "approval" else 1)
    ids = spec.option_ids
    selection = [ids[p % len(ids)] for p in picks]
    selection = list(dict.fromkeys(selection))
    if method != "approval":
        selection = selection[:1]
    key = base_mul(Rng(seed).nonzero_scalar())
    ballot = encrypt_ballot(spec, key, TOKEN, selection, Rng(seed + b"r"))
    BallotChecker(spec, key).check_cast(ballot.cast)
    assert audit_ballot(spec, key, ballot.audit_record()) == tuple(selection)
    # The server's one-pass form: the same canonical bytes and tracker as the slow path,
    # also for a ballot parsed back from text sent with other spacing and member order.
    sent = json.loads(json.dumps(dict(reversed(ballot.cast.items())), indent=1))
    checked = BallotChecker(spec, key).accept(sent)
    assert checked.canonical == canonical_bytes(ballot.cast)
    assert checked.tracker == ballot.tracker == tracker_of(sent)


@pytest.fixture(scope="module")
def setting() -> tuple[object, bytes, object]:
    spec = spec_for()
    key = base_mul(Rng(b"election").nonzero_scalar())
    ballot = encrypt_ballot(spec, key, TOKEN, ["yes"], Rng(b"ballot"))
    return spec, key, ballot


def _forge(spec: object, key: bytes, bits: list[int], sums: tuple[int, ...],
           token: str = TOKEN, pid: str | None = None) -> dict[str, object]:
    """A cast object whose ciphertexts encrypt ``bits``, with proofs made as well as a cheat can."""
    rng = Rng(b"forger")
    rs = [rng.nonzero_scalar() for _ in bits]
    cts = [(base_mul(r), add(base_mul(m), mul(r, key))) for m, r in zip(bits, rs, strict=True)]
    cj = ciphertexts_json(cts)
    ctx = [pid or spec.id, token, key.hex(), cj]  # type: ignore[attr-defined]
    proofs = []
    for i, ((a, b), m, r) in enumerate(zip(cts, bits, rs, strict=True)):
        values = (0, 1) if m in (0, 1) else (0, m)
        proofs.append(prove_membership(OPTION_LABEL, [*ctx, i], key, a, b, values, m, r, rng))
    big_a = base_mul(sum(rs))
    big_b = add(base_mul(sum(bits)), mul(sum(rs), key))
    sum_proof = prove_membership(SUM_LABEL, ctx, key, big_a, big_b, sums, sum(bits), sum(rs), rng)
    return {"proposal": spec.id, "token": token, "ciphertexts": cj,  # type: ignore[attr-defined]
            "proofs": proofs, "sum_proof": sum_proof}


def test_a_two_in_an_option_is_refused(setting: tuple) -> None:
    spec, key, _ = setting
    cast = _forge(spec, key, [2, 0, 0], (2,))
    with pytest.raises(BallotError) as err:
        BallotChecker(spec, key).check_cast(cast)
    assert err.value.reason == "option_proof"


def test_two_options_in_single_are_refused(setting: tuple) -> None:
    spec, key, _ = setting
    cast = _forge(spec, key, [1, 1, 0], (2,))
    with pytest.raises(BallotError) as err:
        BallotChecker(spec, key).check_cast(cast)
    assert err.value.reason == "sum_proof"
    none = _forge(spec, key, [0, 0, 0], (0,))
    with pytest.raises(BallotError, match="number of chosen"):
        BallotChecker(spec, key).check_cast(none)


def test_approval_allows_one_to_seats(setting: tuple) -> None:
    _, key, _ = setting
    spec = spec_for("approval", seats=2)
    checker = BallotChecker(spec, key)
    checker.check_cast(_forge(spec, key, [1, 0, 1, 0], (1, 2)))
    with pytest.raises(BallotError):
        checker.check_cast(_forge(spec, key, [1, 1, 1, 0], (1, 2, 3)))


def test_a_proof_copied_to_another_token_or_vote_is_refused(setting: tuple) -> None:
    spec, key, ballot = setting
    checker = BallotChecker(spec, key)
    moved = dict(ballot.cast, token=OTHER)
    with pytest.raises(BallotError, match="option yes"):
        checker.check_cast(moved)
    other_vote = spec_for(pid="another-vote")
    foreign = encrypt_ballot(other_vote, key, TOKEN, ["yes"], Rng(b"x")).cast
    with pytest.raises(BallotError):
        checker.check_cast(dict(foreign, proposal=spec.id))
    other_key = base_mul(Rng(b"other key").nonzero_scalar())
    with pytest.raises(BallotError):
        BallotChecker(spec, other_key).check_cast(ballot.cast)


@pytest.mark.parametrize("bad", [BAD_ENCODINGS[0], BAD_ENCODINGS[7], BAD_ENCODINGS[-1]])
def test_points_off_the_group_or_non_canonical_are_refused(setting: tuple, bad: str) -> None:
    spec, key, ballot = setting
    cts = json.loads(json.dumps(ballot.cast["ciphertexts"]))
    cts[1][0] = bad
    with pytest.raises(BallotError) as err:
        BallotChecker(spec, key).check_cast(dict(ballot.cast, ciphertexts=cts))
    assert err.value.reason == "point"


def test_non_canonical_scalars_are_refused(setting: tuple) -> None:
    spec, key, ballot = setting
    proofs = json.loads(json.dumps(ballot.cast["proofs"]))
    c = scalar_from_hex(proofs[0][0][0])
    proofs[0][0][0] = (c + L).to_bytes(32, "little").hex()
    with pytest.raises(BallotError) as err:
        BallotChecker(spec, key).check_cast(dict(ballot.cast, proofs=proofs))
    assert err.value.reason == "proof_format"


def test_benaloh_audit_catches_a_device_that_lies(setting: tuple) -> None:
    spec, key, ballot = setting
    record = ballot.audit_record()
    assert audit_ballot(spec, key, record) == ("yes",)
    with pytest.raises(BallotError, match="does not encrypt"):
        audit_ballot(spec, key, dict(record, selection=["no"]))
    wrong = list(record["randomness"])
    wrong[0] = scalar_hex(1)
    with pytest.raises(BallotError, match="does not encrypt"):
        audit_ballot(spec, key, dict(record, randomness=wrong))
    assert tracker_of(ballot.cast) == record["tracker"]


def test_dkg_shares_decrypt_with_any_k_and_never_fewer() -> None:
    rng = Rng(b"dkg")
    t = run_dkg("secret-2026", 3, 5, rng)
    dealer = TrusteeDealer.generate(9, 3, rng)
    pub = dealer.public("x", "nine", rng)
    assert check_received_share(pub, 2, dealer.share_for(2))
    assert not check_received_share(pub, 2, dealer.share_for(3))
    key = t.election.key
    cts = [(base_mul(5), add(base_mul(42), mul(5, key)))]
    entries = {j: check_decryption_share(t.election, decryption_share(t.shares[j - 1], cts, rng),
                                         cts)[1] for j in range(1, 6)}
    for subset in ([1, 2, 3], [2, 4, 5], [1, 3, 5, 2]):
        plain = combine_shares(3, {j: entries[j] for j in subset}, cts)
        assert plain == [base_mul(42)]
    with pytest.raises(TrusteeError, match="3 are needed"):
        combine_shares(3, {1: entries[1], 2: entries[2]}, cts)


def test_a_share_with_a_wrong_proof_is_refused() -> None:
    rng = Rng(b"share")
    t = run_dkg("secret-2026", 2, 3, rng)
    cts = [(base_mul(7), add(base_mul(3), mul(7, t.election.key)))]
    entry = decryption_share(t.shares[0], cts, rng)
    bad = dict(entry, shares=[base_mul(11).hex()])
    with pytest.raises(TrusteeError) as err:
        check_decryption_share(t.election, bad, cts)
    assert err.value.reason == "share_proof"
    swapped = dict(entry, trustee=2)
    with pytest.raises(TrusteeError):
        check_decryption_share(t.election, swapped, cts)


def test_election_document_is_checked() -> None:
    t = run_dkg("secret-2026", 2, 3, Rng(b"doc"))
    doc = json.loads(json.dumps(t.doc))
    doc["trustees"][1]["proofs"][0][1] = scalar_hex(5)
    with pytest.raises(TrusteeError) as err:
        verify_election(doc, "secret-2026")
    assert err.value.reason == "commitment_proof"
    doc = json.loads(json.dumps(t.doc))
    doc["key"] = base_mul(3).hex()
    with pytest.raises(TrusteeError, match="sum"):
        verify_election(doc, "secret-2026")
    with pytest.raises(TrusteeError):
        verify_election(t.doc, "another-vote")


def test_trustee_secret_file_needs_its_passphrase() -> None:
    share = TrusteeShare("secret-2026", 2, 123456789)
    data = share.to_file(b"correct horse")
    assert b"123456789" not in data
    assert TrusteeShare.from_file(data, b"correct horse") == share
    with pytest.raises(TrusteeError, match="passphrase"):
        TrusteeShare.from_file(data, b"wrong")
    with pytest.raises(TrusteeError, match="empty"):
        share.to_file(b"")
    with pytest.raises(TrusteeError, match="passphrase"):
        TrusteeShare.from_file(data.replace(b'"index":2', b'"index":3'), b"correct horse")


def test_discrete_log_and_weighted_sum() -> None:
    # The 2**40 bound's cost is measured in bench/secret.py; a small bound has the same paths.
    solver = DiscreteLog(2**20)
    for m in (0, 1, 999_983, 2**20 - 1, 2**20):
        assert solver.find(base_mul(m)) == m
    with pytest.raises(DiscreteLogError):
        DiscreteLog(1000).find(base_mul(1001))
    key = base_mul(77)
    acc = WeightedSum(1)
    total = 0
    for m, w, r in ((1, 10**12, 3), (0, 5, 4), (1, 7, 9)):
        acc.add([(base_mul(r), add(base_mul(m), mul(r, key)))], w)
        total += m * w
    (a, b), = acc.ciphertexts()
    assert add(b, mul(L - 77, a)) == base_mul(total)


def test_client_helper(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    spec = spec_for()
    t = run_dkg(spec.id, 2, 3, Rng(b"client"))
    ballot = prepare_ballot(spec.to_json(), t.doc, TOKEN, ["abstain"])
    BallotChecker(spec, t.election.key).check_cast(ballot.cast)
    assert check_audit(spec.to_json(), t.doc, ballot.audit_record()) == ("abstain",)
    with pytest.raises(ClientError, match="exactly one"):
        prepare_ballot(spec.to_json(), t.doc, TOKEN, ["yes", "no"])
    from pathlib import Path

    base = Path(str(tmp_path))
    (base / "p.json").write_text(json.dumps(spec.to_json()))
    (base / "e.json").write_text(json.dumps(t.doc))
    assert main([str(base / "p.json"), str(base / "e.json"), TOKEN, "yes"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tracker"] == tracker_of(out["cast"])
    assert main([str(base / "p.json"), str(base / "e.json"), TOKEN, "maybe"]) == 1


@settings(max_examples=8, deadline=None)
@given(
    votes=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=6),
    weights=st.lists(st.integers(1, 2**30), min_size=5, max_size=5),
)
def test_decrypted_totals_equal_the_plain_weighted_count(
    votes: list[tuple[int, int]], weights: list[int]
) -> None:
    from ballots.secret.bundle import BallotBox
    from ballots.secret.tally import decrypt_totals

    spec = spec_for()
    rng = Rng(b"property")
    t = run_dkg(spec.id, 2, 3, rng)
    tokens = [format(i + 1, "064x") for i in range(5)]
    box = BallotBox(spec, t.election, dict(zip(tokens, weights, strict=True)))
    last: dict[int, int] = {}
    for minute, (voter, option) in enumerate(votes):
        enc = encrypt_ballot(spec, t.election.key, tokens[voter], [spec.option_ids[option]], rng)
        box.accept(enc.cast, f"2026-11-21T10:{minute:02d}:00Z")
        last[voter] = option
    cts, counted, counted_weight = box.encrypted_tally()
    shares = {j: check_decryption_share(t.election, decryption_share(t.shares[j - 1], cts, rng),
                                        cts)[1] for j in (2, 3)}
    totals = decrypt_totals(combine_shares(2, shares, cts), counted_weight)
    expected = [sum(weights[v] for v, o in last.items() if o == i) for i in range(3)]
    assert totals == expected
    assert (counted, counted_weight) == (len(last), sum(weights[v] for v in last))


def test_commitments_that_cancel_out_are_refused() -> None:
    from ballots.secret.group import neg
    from ballots.secret.proofs import prove_knowledge

    rng = Rng(b"cancel")
    honest = TrusteeDealer.generate(1, 1, rng)
    doc = {"type": "election", "format": 2, "proposal": "p", "threshold": 1, "key": IDENTITY.hex(),
           "trustees": [honest.public("p", "one", rng)]}
    # Trustee 2 commits to minus trustee 1's secret: it knows that value, so its proof holds.
    minus = L - honest.coefficients[0]
    doc["trustees"].append({"index": 2, "name": "two", "commitments": [base_mul(minus).hex()],
                            "proofs": [prove_knowledge("trustee-commitment", ["p", 2, 0], minus,
                                                       rng)[0]]})
    assert neg(base_mul(honest.coefficients[0])) == base_mul(minus)
    with pytest.raises(TrusteeError, match="identity"):
        verify_election(doc, "p")
