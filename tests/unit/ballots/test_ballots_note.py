"""Signed notes, checkpoints and cosignatures against the C2SP specs' published examples."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ballots.checkpoint import Checkpoint, open_checkpoint, parse_witness_policy
from ballots.merkle import EMPTY_ROOT
from ballots.note import (
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    Note,
    NoteError,
    NoteSigner,
    VerifierKey,
    cosignature_message,
    parse_note,
    verify_note,
)

# c2sp.org/signed-note, "Verifier keys", Example.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3"
    "mFXmRKuwHjG1Yu72IneyaQM=\n"
).encode()

# golang.org/x/mod/sumdb/note, the reference implementation's documented key and note.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    b"If you think cryptography is the answer to your problem,\n"
    b"then you don't know what your problem is.\n"
)
GO_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdn"
    "gotpRZb6KE6RyyBwJnAM=\n"
)

# c2sp.org/tlog-checkpoint and tlog-cosignature: the example checkpoint and its cosignature.
SOFA_TEXT = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_LOG_SIG = (
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5"
    "/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SOFA_COSIG = (
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
    "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)

# RFC 8032 section 7.1 TEST 1 secret key: fixed, so the cosignature vectors below never change.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")


def test_spec_vkey_verifies_spec_note() -> None:
    key = VerifierKey.parse(SPEC_VKEY)
    assert key.name == "example.com/foo" and key.sig_type == SIG_ED25519
    assert key.vkey == SPEC_VKEY
    note, good = verify_note(SPEC_NOTE, [key])
    assert note.text == b"This is an example message.\n"
    assert [g.key for g in good] == [key]
    assert note.to_bytes() == SPEC_NOTE


def test_spec_note_tampered_is_rejected() -> None:
    key = VerifierKey.parse(SPEC_VKEY)
    with pytest.raises(NoteError) as err:
        verify_note(SPEC_NOTE.replace(b"example message", b"example massage"), [key])
    assert err.value.reason == "bad_signature"


def test_go_reference_key_reproduces_signature_byte_for_byte() -> None:
    signer = NoteSigner.from_private_key_text(GO_SKEY)
    assert signer.verifier.vkey == GO_VKEY
    assert signer.private_key_text() == GO_SKEY
    note = Note(GO_TEXT, (signer.sign(GO_TEXT),))
    assert note.to_bytes() == GO_TEXT + b"\n" + GO_SIG.encode()
    verify_note(note.to_bytes(), [VerifierKey.parse(GO_VKEY)])


def test_key_id_rule() -> None:
    key = VerifierKey.parse(GO_VKEY)
    want = hashlib.sha256(b"PeterNeumann\n\x01" + key.public).digest()[:4]
    assert key.key_id == int.from_bytes(want, "big") == 0xC74F20A3


@pytest.mark.parametrize(
    "bad",
    [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),  # id does not match
        GO_VKEY.replace("PeterNeumann", "Peter Neumann"),  # space in name
        GO_VKEY.replace("+ARpc", "+AhpC"),  # unknown type / other key
        GO_VKEY[:-1],  # truncated base64
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_mangled_vkeys_are_refused(bad: str) -> None:
    with pytest.raises(NoteError):
        VerifierKey.parse(bad)


def test_unknown_keys_are_ignored_but_some_known_key_must_sign() -> None:
    key = VerifierKey.parse(GO_VKEY)
    other = NoteSigner.generate("PeterNeumann")  # same name, other id: ignored
    data = GO_TEXT + b"\n" + other.sign(GO_TEXT).line().encode() + GO_SIG.encode()
    _, good = verify_note(data, [key])
    assert [g.key for g in good] == [key]
    with pytest.raises(NoteError) as err:
        verify_note(GO_TEXT + b"\n" + other.sign(GO_TEXT).line().encode(), [key])
    assert err.value.reason == "unverified"


@pytest.mark.parametrize(
    "data",
    [
        GO_TEXT + GO_SIG.encode(),  # no blank line
        GO_TEXT + b"\n" + GO_SIG.encode()[:-1],  # no final newline
        GO_TEXT + b"\n",  # no signature
        GO_TEXT.replace(b"problem,", b"problem,\x07") + b"\n" + GO_SIG.encode(),
        b"\xff" + GO_TEXT + b"\n" + GO_SIG.encode(),
        GO_TEXT + b"\n" + GO_SIG.replace("\u2014 ", "- ").encode(),
    ],
)
def test_malformed_notes(data: bytes) -> None:
    with pytest.raises(NoteError):
        parse_note(data)


def test_spec_checkpoint_example_parses() -> None:
    checkpoint = Checkpoint.parse(SOFA_TEXT)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.text() == SOFA_TEXT
    note = parse_note(SOFA_TEXT + b"\n" + (SOFA_LOG_SIG + SOFA_COSIG).encode())
    log_sig, cosig = note.signatures
    assert log_sig.name == checkpoint.origin and len(log_sig.blob) == 64
    # The spec's cosignature: key id, then a big-endian timestamp equal to its message's
    # "time 1679315147" line, then the 64-byte Ed25519 signature.
    assert cosig.name == "witness.example.com/w1"
    assert cosig.key_id == 0x8D66CF3F
    assert cosig.timestamp == 1679315147
    assert cosignature_message(SOFA_TEXT, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + SOFA_TEXT
    )


@pytest.mark.parametrize(
    "text",
    [
        b"o\n01\n" + base64.b64encode(EMPTY_ROOT) + b"\n",  # leading zero
        b"o\n-1\n" + base64.b64encode(EMPTY_ROOT) + b"\n",
        b"o\n1\n" + base64.b64encode(EMPTY_ROOT)[:-1] + b"\n",
        b"o\n1\n",
        b"o\n1\n" + base64.b64encode(EMPTY_ROOT) + b"\n\n",  # empty extension line
        b"\n1\n" + base64.b64encode(EMPTY_ROOT) + b"\n",
        b"o\n0\n" + base64.b64encode(bytes(32)) + b"\n",  # size 0 needs the empty root
    ],
)
def test_malformed_checkpoints(text: bytes) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


def test_cosignature_vector() -> None:
    """A fixed vector from a fixed key (RFC 8032 TEST 1): Ed25519 is deterministic."""
    witness = NoteSigner.from_seed("witness.example/w1", RFC8032_SEED, SIG_COSIGNATURE_V1)
    assert witness.verifier.public.hex() == (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    )
    want_id = hashlib.sha256(b"witness.example/w1\n\x04" + witness.verifier.public).digest()[:4]
    assert witness.verifier.key_id == int.from_bytes(want_id, "big")
    sig = witness.sign(SOFA_TEXT, 1679315147)
    assert sig.timestamp == 1679315147
    assert sig.line() == COSIG_VECTOR
    assert witness.verifier.vkey == COSIG_VKEY


COSIG_VKEY = "witness.example/w1+eb762cc2+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
COSIG_VECTOR = (
    "\u2014 witness.example/w1 63YswgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0"
    "yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n"
)


def test_open_checkpoint_with_quorum() -> None:
    log = NoteSigner.generate("trust.example/log")
    witnesses = [NoteSigner.generate(f"w{i}.example/w", SIG_COSIGNATURE_V1) for i in range(3)]
    checkpoint = Checkpoint("trust.example/log", 0, EMPTY_ROOT)
    note = Note(checkpoint.text(), (log.sign(checkpoint.text()),))
    note = note.with_signatures(
        w.sign(note.text, 1700000000 + i) for i, w in enumerate(witnesses[:2])
    )
    wkeys = [w.verifier for w in witnesses]
    opened = open_checkpoint(note.to_bytes(), [log.verifier], wkeys, 2)
    assert [t for _, t in opened.cosignatures] == [1700000000, 1700000001]
    with pytest.raises(NoteError) as err:
        open_checkpoint(note.to_bytes(), [log.verifier], wkeys, 3)
    assert err.value.reason == "quorum"
    # A witness's cosignature moved to another checkpoint does not verify.
    other = Checkpoint("trust.example/log", 1, hashlib.sha256(b"\x00x").digest())
    moved = Note(other.text(), (log.sign(other.text()), note.signatures[1]))
    with pytest.raises(NoteError) as err:
        open_checkpoint(moved.to_bytes(), [log.verifier], wkeys, 1)
    assert err.value.reason == "bad_signature"
    policy = {"witnesses": [k.vkey for k in wkeys], "quorum": 2}
    assert parse_witness_policy(policy) == (wkeys, 2)
    with pytest.raises(NoteError):
        parse_witness_policy({"witnesses": [log.verifier.vkey], "quorum": 1})
    with pytest.raises(NoteError):
        parse_witness_policy({"witnesses": [wkeys[0].vkey], "quorum": 2})
