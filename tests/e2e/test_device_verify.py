"""The in-browser verifier (static/js/device-verify.js, under the site's CSP, in Debian's
Chromium) agrees with the Python verifier on a valid bundle and on tampered ones."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.core.db_types import utcnow
from app.core.extensions import db
from app.voting import service as voting
from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.checkpoint import parse_witness_policy
from ballots.keys import KeyRing, SignatureError, SigningKey, verify_object
from ballots.keysnote import KeysNoteError, open_keys_note, sign_keys_note
from ballots.keysproof import check_keys_proof
from ballots.logproof import check_result_in_log
from ballots.note import SIG_COSIGNATURE_V1, NoteSigner, parse_note
from ballots.receipts import ReceiptError, verify_receipt
from ballots.verifier import VerifyFailure
from tests.e2e.data import _charter, close_and_seal
from tests.factories import make_open_vote, make_owner

Files = dict[str, Any]


def python_verdict(f: Files) -> str | None:
    """None when the Python verifier accepts, else its failure code."""
    ring = KeyRing.from_document(f["keys"])
    try:
        verify_object(f["result"], ring)
    except SignatureError:
        return "result.signature"
    try:
        check_result_in_log(f["result"], f["log_proof"], ring, f["policy"])
    except VerifyFailure as exc:
        return exc.code
    if "keys_note" in f:
        origin = f["log_proof"]["checkpoint"].split("\n", 1)[0]
        try:
            signed = open_keys_note(f["keys_note"].encode(), served=f["keys"], origin=origin)
            if "keys_proof" in f:
                check_keys_proof(f["keys_proof"], signed, *parse_witness_policy(f["policy"]))
        except KeysNoteError as exc:
            return exc.code
    try:
        verify_receipt(
            f["receipt"], ring, ballots_root=f["result"]["ballots"]["root"],
            proof=f["receipt_proof"], ballots_size=f["result"]["ballots"]["size"],
        )
    except ReceiptError as exc:
        return f"receipt.{exc.reason}"
    return None


def browser_verdict(page: Any, f: Files, folder: Path) -> str | None:
    folder.mkdir(parents=True, exist_ok=True)
    page.goto("/verify")
    for name, value in f.items():
        path = folder / f"{name}.json"
        if name == "keys_note":  # a signed note, not JSON
            path = folder / "trust-keys.note"
            path.write_bytes(value.encode())
        else:
            path.write_bytes(json.dumps(value).encode())
        page.set_input_files(f"input[name={name}]", str(path))
    page.get_by_role("button", name="Verify on this device").click()
    status = page.locator("#device-verify-status")
    status.and_(page.locator("[data-ok=true], [data-ok=false]")).wait_for()
    if status.get_attribute("data-ok") == "true":
        return None
    return status.get_attribute("data-code")


@pytest.fixture
def bundle(live_server: str, db_session: Any) -> Files:
    import urllib.request

    _charter()
    council = make_owner(500, role="council")
    voters = [make_owner(points) for points in (3000, 2000, 1200)]
    db.session.commit()
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(voters[0], council, opens=opens, closes=opens + timedelta(days=3))
    receipts = [
        voting.cast(proposal_id, owner.id, [choice], now=opens + timedelta(minutes=i + 1))
        for i, (owner, choice) in enumerate(zip(voters, ("yes", "yes", "no"), strict=True))
    ]
    close_and_seal(proposal_id)

    def get(path: str) -> Any:
        with urllib.request.urlopen(live_server + path, timeout=30) as r:  # noqa: S310
            return json.loads(r.read())

    receipt = receipts[1]
    return {
        "result": get(f"/results/{proposal_id}/result.json"),
        "keys": get("/.well-known/trust-keys.json"),
        "log_proof": get(f"/results/{proposal_id}/log-proof.json"),
        "policy": get("/.well-known/trust-witnesses.json"),
        "receipt": receipt,
        "receipt_proof": get(f"/results/{proposal_id}/proof/{receipt['receipt']}"),
    }


def cosigned(f: Files, witnesses: list[NoteSigner], quorum: int) -> Files:
    """The same files with the checkpoint cosigned by ``witnesses`` and a policy naming them."""
    out = copy.deepcopy(f)
    note = parse_note(out["log_proof"]["checkpoint"].encode())
    note = note.with_signatures(w.sign(note.text, 1_795_000_000) for w in witnesses)
    out["log_proof"]["checkpoint"] = note.to_bytes().decode()
    out["policy"] = {"witnesses": [w.verifier.vkey for w in witnesses], "quorum": quorum}
    return out


def tamperings(f: Files) -> list[tuple[str, Callable[[Files], None]]]:
    def tally(g: Files) -> None:
        g["result"]["tally"]["counted"] += 1

    def leaf(g: Files) -> None:
        g["log_proof"]["leaf"]["sha256"] = "0" * 64

    def path(g: Files) -> None:
        g["log_proof"]["inclusion"]["path"][0] = "ab" * 32

    def root(g: Files) -> None:
        lines = g["log_proof"]["checkpoint"].split("\n")
        lines[2] = "A" * 43 + "="
        g["log_proof"]["checkpoint"] = "\n".join(lines)

    def quorum(g: Files) -> None:
        g["policy"]["quorum"] = len(g["policy"]["witnesses"]) + 1
        g["policy"]["witnesses"].append(
            NoteSigner.generate("extra.example/w", SIG_COSIGNATURE_V1).verifier.vkey
        )

    def receipt(g: Files) -> None:
        g["receipt"]["selection"] = ["no"]

    def proof(g: Files) -> None:
        g["receipt_proof"]["path"][0] = "cd" * 32

    return [("tally", tally), ("leaf", leaf), ("path", path), ("root", root),
            ("quorum", quorum), ("receipt", receipt), ("proof", proof)]


def test_browser_and_python_agree(bundle: Files, page: Any, tmp_path: Path) -> None:
    witnesses = [NoteSigner.generate(f"w{i}.example/w", SIG_COSIGNATURE_V1) for i in range(3)]
    valid = cosigned(bundle, witnesses[:2], 2)
    assert python_verdict(valid) is None
    assert browser_verdict(page, valid, tmp_path / "valid") is None
    lines = page.locator("#device-verify-lines").inner_text()
    assert "2 cosignatures (quorum 2)" in lines and "inclusion proof verified" in lines
    # The server's own checkpoint alone (no witnesses named): fine under quorum 0.
    assert python_verdict(bundle) is None
    assert browser_verdict(page, bundle, tmp_path / "plain") is None
    for name, tamper in tamperings(valid):
        bad = copy.deepcopy(valid)
        tamper(bad)
        py = python_verdict(bad)
        js = browser_verdict(page, bad, tmp_path / name)
        assert py is not None and js is not None, name
        assert py == js, (name, py, js)
    assert canonical_bytes(valid["result"])  # the bundle itself was not changed in place


def test_browser_checks_the_signed_keys_document(
    bundle: Files, page: Any, new_page: Any, tmp_path: Path, live_server: str
) -> None:
    import urllib.request

    url = live_server + "/.well-known/trust-keys.note"
    with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310
        note = r.read().decode()
    good = {**bundle, "keys_note": note}
    assert python_verdict(good) is None
    assert browser_verdict(page, good, tmp_path / "good") is None
    lines = page.locator("#device-verify-lines").inner_text()
    assert "keys document signed by the current key" in lines and "a single key verified" in lines
    origin = bundle["log_proof"]["checkpoint"].split("\n", 1)[0]
    other = SigningKey.generate()
    own_doc = {"trust": bundle["keys"]["trust"],
               "keys": [other.public_entry("2026-01-01T00:00:00Z").to_entry()]}
    bad = {
        # The text changed after signing.
        "text": note.replace('"trust":"', '"trust":"X', 1),
        # The served document, signed by a key that is not the current one.
        "signer": sign_keys_note(bundle["keys"], [None], other, origin).decode(),
        # A sound note of another key history than trust-keys.json.
        "history": sign_keys_note(own_doc, [None], other, origin).decode(),
        # Signed by the current key, but under another name than the log's origin.
        "origin": note.replace(f"\u2014 {origin} ", "\u2014 elsewhere.example/log ", 1),
        # Not JSON in canonical form.
        "format": note.replace("{", "{ ", 1),
    }
    codes = {}
    for name, text in bad.items():
        tampered = {**bundle, "keys_note": text}
        py = python_verdict(tampered)
        js = browser_verdict(page, tampered, tmp_path / name)
        assert py is not None and py == js, (name, py, js)
        codes[name] = js
    assert codes["history"] == "keys.mismatch" and codes["signer"] == "keys.note_signature"
    # In Chinese: the page's own words around the check's code and message.
    zh = new_page(locale="zh-CN")
    zh.goto("/verify")
    assert "每把密钥" in zh.locator("label[for=dv-keys-note]").inner_text()
    folder = tmp_path / "zh"
    folder.mkdir()
    for name, value in {**bundle, "keys_note": bad["signer"]}.items():
        path = folder / (f"{name}.json" if name != "keys_note" else "trust-keys.note")
        path.write_bytes(value.encode() if isinstance(value, str) else json.dumps(value).encode())
        zh.set_input_files(f"input[name={name}]", str(path))
    zh.get_by_role("button", name="在本设备上验证").click()
    status = zh.locator("#device-verify-status[data-ok=false]")
    status.wait_for()
    assert status.get_attribute("data-code") == "keys.note_signature"
    assert status.inner_text().startswith("未通过核验：")


def test_browser_checks_the_keys_are_witnessed(
    bundle: Files, page: Any, tmp_path: Path, live_server: str
) -> None:
    import urllib.request

    def get(path: str) -> bytes:
        with urllib.request.urlopen(live_server + path, timeout=30) as r:  # noqa: S310
            return bytes(r.read())

    good = {
        **bundle,
        "keys_note": get("/.well-known/trust-keys.note").decode(),
        "keys_proof": json.loads(get("/.well-known/trust-keys.proof.json")),
    }
    assert python_verdict(good) is None
    assert browser_verdict(page, good, tmp_path / "good") is None
    assert "keys witnessed: all 1 key record in the log" in (
        page.locator("#device-verify-lines").inner_text()
    )

    def record(g: Files) -> None:  # another key's record, its leaf recomputed to match
        entry = g["keys_proof"]["keys"][0]
        entry["record"]["valid_from"] = "2020-01-01T00:00:00Z"
        entry["leaf"]["sha256"] = canonical_sha256(entry["record"])

    def leaf(g: Files) -> None:
        g["keys_proof"]["keys"][0]["leaf"]["sha256"] = "0" * 64

    def path(g: Files) -> None:
        g["keys_proof"]["keys"][0]["inclusion"]["path"].append("ab" * 32)

    def unlogged(g: Files) -> None:
        g["keys_proof"]["keys"][0]["leaf"] = None

    def quorum(g: Files) -> None:  # witnesses cosigned the result's checkpoint, not the keys'
        witnesses = [NoteSigner.generate(f"w{i}.example/w", SIG_COSIGNATURE_V1) for i in range(2)]
        g.update(cosigned(g, witnesses, 2))

    expected = {"record": "keys.log_record", "leaf": "keys.log_record",
                "path": "keys.log_inclusion", "unlogged": "keys.unlogged",
                "quorum": "keys.log_quorum"}
    for name, tamper in [("record", record), ("leaf", leaf), ("path", path),
                         ("unlogged", unlogged), ("quorum", quorum)]:
        bad = copy.deepcopy(good)
        tamper(bad)
        py = python_verdict(bad)
        js = browser_verdict(page, bad, tmp_path / name)
        assert py == js == expected[name], (name, py, js)
