"""The browser's secret ballot (static/js/secret-ballot.js, on @noble/curves) against the Python
side: the same bytes from the same seeded randomness, and every proof of a browser ballot made
with the CSPRNG accepted by the server's checker. Runs under Node on every test run."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ballots.secret.ballot import BallotChecker, audit_ballot, encrypt_ballot
from ballots.secret.group import Rng, base_mul
from ballots.tally import VoteSpec

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "browser" / "secret_ballot_vectors.mjs"
TOKEN = "7" * 64


def _spec(method: str, options: list[str], seats: int = 1) -> VoteSpec:
    return VoteSpec.from_json(
        {
            "id": "2026-007",
            "title": "A vote",
            "method": method,
            "options": [{"id": o, "label": o.title()} for o in options],
            "opens_at": "2026-11-01T00:00:00Z",
            "closes_at": "2026-11-04T00:00:00Z",
            "weight_rule": "linear",
            "quorum": {"num": 1, "den": 10},
            "threshold": {"num": 1, "den": 2},
            "seats": seats,
        }
    )


CASES = [
    (_spec("binary", ["yes", "no", "abstain"]), ["no"]),
    (_spec("single", ["red", "green", "blue", "white"]), ["blue"]),
    (_spec("approval", ["ann", "bo", "cy", "di"], seats=3), ["ann", "di"]),
]


def _node(cases: list[dict[str, object]]) -> list[dict[str, object]]:
    node = shutil.which("node")
    if node is None or not (ROOT / "static" / "vendor" / "noble-curves" / "ed25519.js").exists():
        pytest.fail(
            "node and the vendored @noble modules are needed: run the install step "
            "(pip install -e .), which runs `npm ci` and fills static/vendor"
        )
    done = subprocess.run(
        [node, "--no-warnings", str(SCRIPT)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    return list(json.loads(done.stdout))


def test_the_browser_makes_the_same_bytes_as_python_from_the_same_seed() -> None:
    key = base_mul(123456789)
    inputs = []
    for i, (spec, selection) in enumerate(CASES):
        inputs.append(
            {
                "spec": spec.to_json(),
                "key": key.hex(),
                "token": TOKEN,
                "selection": selection,
                "seed": f"{i:02x}" * 16,
            }
        )
    for case, got in zip(inputs, _node(inputs), strict=True):
        spec = VoteSpec.from_json(case["spec"])
        want = encrypt_ballot(
            spec, key, TOKEN, case["selection"], Rng(seed=bytes.fromhex(str(case["seed"])))
        )
        assert got["cast"] == want.cast
        assert got["tracker"] == want.tracker


def test_browser_ballots_pass_every_server_check_and_their_audit_shows_the_choice() -> None:
    key = base_mul(987654321)
    inputs = [
        {"spec": spec.to_json(), "key": key.hex(), "token": TOKEN, "selection": sel}
        for spec, sel in CASES
    ]
    for (spec, selection), got in zip(CASES, _node(inputs), strict=True):
        BallotChecker(spec, key).check_cast(got["cast"])
        assert list(audit_ballot(spec, key, got["audit"])) == [
            o for o in spec.option_ids if o in selection
        ]


def test_the_browser_checks_the_election_document_like_python() -> None:
    from ballots.secret.trustees import TrusteeDealer, election_document

    spec = CASES[0][0]
    dealers = [TrusteeDealer.generate(i, 2) for i in (1, 2, 3)]
    doc = election_document(spec.id, 2, [d.public(spec.id, f"T{d.index}") for d in dealers])
    forged = json.loads(json.dumps(doc))
    forged["trustees"][1]["proofs"][0] = forged["trustees"][1]["proofs"][1]
    wrong_key = dict(doc, key=base_mul(5).hex())
    got = _node([{"spec": spec.to_json(), "election": d} for d in (doc, forged, wrong_key)])
    assert got[0] == {"election": "ok"}
    assert "trustee 2 commitment 0: proof fails" in str(got[1]["election"])
    assert "sum" in str(got[2]["election"])
