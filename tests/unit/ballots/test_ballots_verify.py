"""The bundle verifier: a valid bundle passes; every kind of tampering fails, named."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bundle_helpers import CLOSES, Bundle

from ballots import (
    SigningKey,
    build_receipt,
    canonical_bytes,
    keys_document,
    result_digest,
    verify_bundle,
)
from ballots.verify import main

REPO = Path(__file__).resolve().parents[3]


def resign(b: Bundle, change: Callable[[dict[str, Any]], None]) -> None:
    """Tamper with the result and sign it again: a server that signs wrong numbers."""
    change(b.result)
    b.result = b.key.sign_object(b.result)
    b.write()


def expect(b: Bundle, code: str, *fragments: str, receipt: Any = None) -> None:
    report = verify_bundle(b.dir, receipt)
    assert not report.ok
    assert report.code == code, report.message
    for fragment in fragments:
        assert fragment in (report.message or "")


def test_valid_bundle_verifies(bundle: Bundle) -> None:
    report = verify_bundle(bundle.dir)
    assert report.ok, report.message
    assert (report.roll_size, report.ballots_size) == (5, 5)
    assert report.outcome == "passed" and report.winners == ["yes"]
    tally = bundle.result["tally"]
    assert tally["totals"] == {"yes": 650, "no": 50, "abstain": 100}
    assert (tally["counted"], tally["counted_weight"]) == (4, 800)


def test_result_ballots_root_mismatch_names_both(bundle: Bundle) -> None:
    real = bundle.result["ballots"]["root"]
    resign(bundle, lambda r: r["ballots"].update(root="cd" * 32))
    expect(bundle, "ballots.root", f"result says {'cd' * 32}, bundle gives {real}")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda r: r["roll"].update(root="00" * 32), "roll.root"),
        (lambda r: r["roll"].update(size=6), "roll.size"),
        (lambda r: r["roll"].update(total_weight=999), "roll.total_weight"),
        (lambda r: r["ballots"].update(size=4), "ballots.size"),
        (lambda r: r["tally"].update(counted=5), "tally.counted"),
        (lambda r: r["tally"].update(counted_weight=801), "tally.counted_weight"),
        (lambda r: r["tally"]["totals"].update(no=51), "tally.totals"),
        (lambda r: r["tally"]["totals"].pop("abstain"), "tally.totals"),
        (lambda r: r["tally"].update(quorum_met=False), "tally.quorum_met"),
        (lambda r: r["tally"].update(outcome="rejected"), "tally.outcome"),
        (lambda r: r["tally"].update(winners=[]), "tally.winners"),
        (lambda r: r.update(trust="Another Trust"), "result.trust"),
        (lambda r: r.update(sealed_at="2026-11-22T00:00:00Z"), "result.sealed_at"),
        (lambda r: r.update(supersedes="not-a-hash"), "result.supersedes"),
        (lambda r: r.update(format=2), "result.format"),
        (lambda r: r.update(extra=1), "result.format"),
        (lambda r: r["charter"].update(sha256="x"), "result.charter"),
        (lambda r: r["proposal"].update(method="ranked"), "result.proposal"),
        (lambda r: r["proposal"].update(weight_rule="cubic"), "result.proposal"),
        (lambda r: r["proposal"]["options"].reverse(), None),  # order is free for binary
    ],
)
def test_resigned_wrong_result_fields_fail(
    bundle: Bundle, change: Callable[[dict[str, Any]], None], code: str | None
) -> None:
    resign(bundle, change)
    report = verify_bundle(bundle.dir)
    if code is None:
        assert report.ok, report.message
    else:
        assert report.code == code, report.message


def test_threshold_change_changes_outcome(bundle: Bundle) -> None:
    # 650 yes of 700 yes+no is 92.9%: a 19/20 threshold must reject, so "passed" is wrong.
    resign(bundle, lambda r: r["proposal"]["threshold"].update(num=19, den=20))
    expect(bundle, "tally.outcome", 'result says "passed", bundle gives "rejected"')


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["tally"].update(counted=5),
        lambda r: r.update(supersedes="ee" * 32),
        lambda r: r["proposal"].update(title="Something else"),
        lambda r: r.update(sealed_at="2026-11-23T11:06:00Z"),
        lambda r: r["ballots"].update(root="cd" * 32),
    ],
)
def test_any_edit_without_resigning_breaks_the_signature(
    bundle: Bundle, change: Callable[[dict[str, Any]], None]
) -> None:
    change(bundle.result)
    bundle.write()
    expect(bundle, "result.signature", "does not verify")


def test_superseding_result_verifies_and_is_reported(bundle: Bundle) -> None:
    old = result_digest(bundle.result)
    resign(bundle, lambda r: r.update(supersedes=old))
    report = verify_bundle(bundle.dir)
    assert report.ok, report.message
    assert any(old in line for line in report.lines)


def test_signature_failures(bundle: Bundle) -> None:
    sig = bundle.result["signature"]
    good = sig["value"]
    sig["value"] = ("A" if good[0] != "A" else "B") + good[1:]
    bundle.write()
    expect(bundle, "result.signature", "does not verify")
    sig["value"] = "***"
    bundle.write()
    expect(bundle, "result.signature", "base64")
    sig["value"], sig["alg"] = good, "RSA"
    bundle.write()
    expect(bundle, "result.signature", "algorithm")
    del bundle.result["signature"]
    bundle.write()
    expect(bundle, "result.signature", "no signature")


def test_unknown_key(bundle: Bundle) -> None:
    bundle.key = SigningKey.generate()
    resign(bundle, lambda r: None)
    expect(bundle, "result.signature", "unknown key")


def test_retired_key_before_sealing_is_refused(bundle: Bundle) -> None:
    bundle.keys_doc = keys_document(
        bundle.keys_doc["trust"],
        [bundle.key.public_entry("2026-01-01T00:00:00Z", "2026-11-01T00:00:00Z")],
    )
    bundle.write()
    expect(bundle, "result.signature", "was not valid at")


def test_keys_document_with_wrong_key_id(bundle: Bundle) -> None:
    bundle.keys_doc["keys"][0]["key_id"] = "00" * 32
    bundle.write()
    expect(bundle, "keys", "not the SHA-256")


def _edit_line(lines: list[bytes], i: int, **changes: Any) -> None:
    record = json.loads(lines[i])
    record.update(changes)
    lines[i] = canonical_bytes(record) + b"\n"


def test_roll_weight_changed(bundle: Bundle) -> None:
    _edit_line(bundle.roll_lines, 0, weight=json.loads(bundle.roll_lines[0])["weight"] + 1)
    bundle.write()
    expect(bundle, "roll.total_weight")


def test_roll_weights_swapped_keep_total_but_break_root(bundle: Bundle) -> None:
    w0 = json.loads(bundle.roll_lines[0])["weight"]
    w1 = json.loads(bundle.roll_lines[1])["weight"]
    _edit_line(bundle.roll_lines, 0, weight=w1)
    _edit_line(bundle.roll_lines, 1, weight=w0)
    bundle.write()
    expect(bundle, "roll.root")


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda ls: ls.insert(0, ls.pop(1)), "roll.order"),
        (lambda ls: ls.insert(1, ls[0]), "roll.duplicate"),
        (lambda ls: ls.pop(), "roll.size"),
        (lambda ls: _edit_line(ls, 2, weight=0), "roll.record"),
        (lambda ls: _edit_line(ls, 2, token="AB" * 32), "roll.record"),
        (lambda ls: _edit_line(ls, 2, note="x"), "roll.record"),
        (lambda ls: ls.__setitem__(0, ls[0].replace(b",", b", ")), "roll.canonical"),
        (lambda ls: ls.__setitem__(-1, ls[-1].rstrip(b"\n")), "roll.line"),
        (lambda ls: ls.__setitem__(0, b"{not json\n"), "roll.json"),
    ],
)
def test_roll_tampering(bundle: Bundle, tamper: Callable[[list[bytes]], Any], code: str) -> None:
    tamper(bundle.roll_lines)
    bundle.write()
    expect(bundle, code)


def _foreign_ballot(b: Bundle) -> None:
    _edit_line(b.ballot_lines, 1, token="ff" * 32)


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda b: _edit_line(b.ballot_lines, 0, selection=["no"]), "ballots.root"),
        (lambda b: _edit_line(b.ballot_lines, 0, selection=["maybe"]), "ballots.selection"),
        (lambda b: _edit_line(b.ballot_lines, 0, selection=["yes", "no"]), "ballots.selection"),
        (lambda b: _edit_line(b.ballot_lines, 0, selection="yes"), "ballots.selection"),
        (lambda b: _edit_line(b.ballot_lines, 0, weight=401), "ballots.weight"),
        (lambda b: _edit_line(b.ballot_lines, 2, seq=4), "ballots.seq"),
        (lambda b: b.ballot_lines.pop(1), "ballots.seq"),
        (lambda b: b.ballot_lines.pop(), "ballots.size"),
        (lambda b: b.ballot_lines.append(b.ballot_lines[-1]), "ballots.seq"),
        (_foreign_ballot, "ballots.token"),
        (lambda b: _edit_line(b.ballot_lines, 0, cast_at=CLOSES), "ballots.cast_at"),
        (lambda b: _edit_line(b.ballot_lines, 0, cast_at="2026-11-21 10:00:00"), "ballots.cast_at"),
        (lambda b: _edit_line(b.ballot_lines, 0, receipt="x"), "ballots.record"),
        (lambda b: _edit_line(b.ballot_lines, 0, extra=True), "ballots.record"),
        (
            lambda b: b.ballot_lines.__setitem__(0, b.ballot_lines[0].replace(b":", b": ", 1)),
            "ballots.canonical",
        ),
        (
            lambda b: b.ballot_lines.__setitem__(
                0, b.ballot_lines[0].replace(b"{", b'{"seq":9,', 1)
            ),
            "ballots.canonical",
        ),
        (
            lambda b: b.ballot_lines.__setitem__(
                0, b.ballot_lines[0].replace(b'"weight":400', b'"weight":400.0')
            ),
            "ballots.json",
        ),
        (lambda b: b.ballot_lines.insert(2, b"\n"), "ballots.json"),
    ],
)
def test_ballot_tampering(bundle: Bundle, tamper: Callable[[Bundle], Any], code: str) -> None:
    tamper(bundle)
    bundle.write()
    expect(bundle, code)


def test_extra_valid_ballot_is_caught_by_size(bundle: Bundle) -> None:
    last = json.loads(bundle.ballot_lines[-1])
    last["seq"] = 6
    bundle.ballot_lines.append(canonical_bytes(last) + b"\n")
    bundle.write()
    expect(bundle, "ballots.size", "result says 5, bundle gives 6")


def test_missing_file(bundle: Bundle) -> None:
    (bundle.dir / "ballots.jsonl").unlink()
    expect(bundle, "source", "ballots.jsonl")


# ---- receipts -------------------------------------------------------------------------


def test_receipt_of_a_replaced_ballot(bundle: Bundle) -> None:
    report = verify_bundle(bundle.dir, bundle.receipts[1])  # owner 2's first ballot, "no"
    assert report.ok, report.message
    assert report.receipt_seq == 2
    assert "replaced by the later ballot seq 4" in report.summary()


def test_receipt_file_of_a_counted_ballot(bundle: Bundle, tmp_path: Path) -> None:
    path = tmp_path / "receipt.json"
    path.write_bytes(canonical_bytes(bundle.receipts[3]))
    report = verify_bundle(bundle.dir, path)
    assert report.ok and report.receipt_seq == 4
    assert "this ballot counts" in report.summary()


def test_receipt_tampering(bundle: Bundle) -> None:
    receipt = dict(bundle.receipts[0])
    receipt["selection"] = ["no"]
    expect(bundle, "receipt.signature", "does not verify", receipt=receipt)

    forged = bundle.key.sign_object(receipt)  # a correctly signed receipt with a stale hash
    expect(bundle, "receipt.hash", receipt=forged)

    other = bundle.key.sign_object(
        build_receipt(
            "charter-2026", bundle.tokens[0], ["yes"], 400, "2026-11-21T12:00:00Z", "ff" * 16
        )
    )
    expect(bundle, "receipt.not_found", receipt=other)

    wrong_vote = bundle.key.sign_object(
        build_receipt(
            "other-vote", bundle.tokens[0], ["yes"], 400, "2026-11-21T12:00:00Z", "ff" * 16
        )
    )
    expect(bundle, "receipt.proposal", receipt=wrong_vote)

    expect(
        bundle,
        "receipt.signature",
        "unknown key",
        receipt=SigningKey.generate().sign_object(bundle.receipts[0]),
    )


def test_ballot_carrying_the_receipt_but_different_vote(bundle: Bundle) -> None:
    _edit_line(bundle.ballot_lines, 0, cast_at="2026-11-21T10:30:00Z")
    bundle.write()
    expect(bundle, "receipt.leaf", "cast_at", receipt=bundle.receipts[0])


# ---- command line and URLs -------------------------------------------------------------


def test_cli_exit_codes(bundle: Bundle, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(bundle.dir)]) == 0
    assert "OK: result of proposal charter-2026" in capsys.readouterr().out
    _edit_line(bundle.ballot_lines, 0, weight=1)
    bundle.write()
    assert main([str(bundle.dir)]) == 1
    assert capsys.readouterr().err.startswith("FAIL: ballots.jsonl line 1")


def test_python_dash_m_entry_point(bundle: Bundle, tmp_path: Path) -> None:
    receipt = tmp_path / "r.json"
    receipt.write_bytes(canonical_bytes(bundle.receipts[0]))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "ballots.verify", str(bundle.dir), "--receipt", str(receipt)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert "receipt" in done.stdout and not done.stderr
    (bundle.dir / "roll.jsonl").write_bytes(b"")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1
    assert "roll size mismatch: result says 5, bundle gives 0" in done.stderr


@pytest.fixture
def served(bundle: Bundle, tmp_path: Path) -> Iterator[tuple[str, Bundle]]:
    site = tmp_path / "site"
    (site / "results" / "charter-2026").mkdir(parents=True)
    (site / ".well-known").mkdir()
    for name in ("result.json", "roll.jsonl", "ballots.jsonl"):
        (site / "results" / "charter-2026" / name).write_bytes((bundle.dir / name).read_bytes())
    (site / ".well-known" / "trust-keys.json").write_bytes(canonical_bytes(bundle.keys_doc))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", bundle
    finally:
        server.shutdown()
        server.server_close()


def test_results_url(served: tuple[str, Bundle]) -> None:
    base, bundle = served
    report = verify_bundle(f"{base}/results/charter-2026/", bundle.receipts[0])
    assert report.ok, report.message
    assert report.receipt_seq == 1
    missing = verify_bundle(f"{base}/results/other-vote/")
    assert missing.code == "source" and "404" in (missing.message or "")
    assert verify_bundle(f"{base}/elsewhere/").code == "source"
