"""The verifier's fast paths decide exactly as the full parse-and-check path does."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from bundle_helpers import binary_spec, make_bundle
from hypothesis import given, settings
from hypothesis import strategies as st

from ballots import SigningKey, verify_bundle
from ballots.canonical import CanonicalError, canonical_bytes
from ballots.merkle import MerkleStream, MerkleTree, leaf_hash
from ballots.records import BALLOT_KEYS, BALLOT_LINE, ROLL_LINE
from ballots.roll import Roll, RollError
from ballots.tally import Tally, TallyError
from ballots.verifier import MAX_LINE, VerifyFailure, _blocks

HEX = "0123456789abcdef"
hex64 = st.text(HEX, min_size=64, max_size=64)
# Values that are canonical JSON but not what the fast patterns expect, next to ordinary ones.
odd_ints = st.one_of(
    st.integers(1, 10**6),
    st.sampled_from([0, -1, 10**15 - 1, 10**15, 2**53 - 1, 2**53, 10**16, 10**17, True]),
)
odd_strings = st.one_of(
    hex64,
    st.text(HEX + "ABCDEF", min_size=63, max_size=65),
    st.sampled_from(["yes", "no", "abstain", "a", 'y"es', "y\\es", "é", "\n", "\u2028", ""]),
)
times = st.one_of(
    st.sampled_from(
        [
            "2026-11-21T10:00:00Z",
            "2026-11-20T00:00:00Z",
            "2026-11-23T10:59:59Z",
            "2026-11-23T11:00:00Z",
            "2026-11-19T23:59:59Z",
            "2026-11-31T10:00:00Z",
            "2026-02-29T10:00:00Z",
            "2026-11-21T24:00:00Z",
            "2026-11-21T10:60:00Z",
            "2026-11-21T10:00:60Z",
            "2026-11-21 10:00:00",
            "0000-11-21T10:00:00Z",
            # Not real dates, yet inside WIDE's window if compared as text.
            "2026-02-30T10:00:00Z",
            "2026-03-00T10:00:00Z",
            "2026-02-28T23:59:59Z",
        ]
    ),
    st.text("0123456789-:TZ", min_size=19, max_size=21),
)


def canonical_line(record: dict[str, Any]) -> bytes | None:
    try:
        return canonical_bytes(record)
    except CanonicalError:
        return None


def json_text(value: Any) -> str:
    """JSON text of the value, written by hand: integers of any size, keys as given."""
    if type(value) is dict:
        return "{" + ",".join(f"{json_text(k)}:{json_text(v)}" for k, v in value.items()) + "}"
    if type(value) is list:
        return "[" + ",".join(json_text(v) for v in value) + "]"
    if type(value) is int:
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def line_of(record: dict[str, Any]) -> bytes:
    """The record's line in sorted-key compact form, even where canonical_bytes refuses it."""
    return json_text(dict(sorted(record.items()))).encode()


def mutations(line: bytes, data: st.DataObject) -> list[bytes]:
    """The line and a few byte-level edits of it (insert, delete, replace)."""
    out = [line]
    for _ in range(3):
        at = data.draw(st.integers(0, len(line)))
        byte = data.draw(st.sampled_from(list(b' "\\,:{}[]0aAe9.\xc3-')))
        out += [line[:at] + bytes([byte]) + line[at:], line[:at] + line[at + 1 :]]
        out.append(line[:at] + bytes([byte]) + line[at + 1 :])
    return out


@settings(max_examples=300)
@given(hex64 | odd_strings, odd_ints, st.data())
def test_roll_pattern_matches_only_canonical_roll_records(
    token: str, weight: Any, data: st.DataObject
) -> None:
    line = line_of({"token": token, "weight": weight})
    for candidate in mutations(line, data):
        m = ROLL_LINE.fullmatch(candidate)
        if m is None:
            continue
        obj = json.loads(candidate)
        assert canonical_bytes(obj) == candidate
        assert obj.keys() == {"token", "weight"}
        assert (obj["token"].encode(), obj["weight"]) == (m.group(1), int(m.group(2)))
        assert type(obj["weight"]) is int and 0 < obj["weight"] < 2**53


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {
            "seq": odd_ints,
            "token": hex64 | odd_strings,
            "selection": st.lists(odd_strings, max_size=3) | odd_strings,
            "weight": odd_ints,
            "cast_at": times,
            "receipt": hex64 | odd_strings,
        }
    ),
    st.data(),
)
def test_ballot_pattern_matches_only_canonical_ballot_records(
    record: dict[str, Any], data: st.DataObject
) -> None:
    line = line_of(record)
    for candidate in mutations(line, data):
        m = BALLOT_LINE.fullmatch(candidate)
        if m is None:
            continue
        obj = json.loads(candidate)
        assert canonical_bytes(obj) == candidate
        assert obj.keys() == BALLOT_KEYS
        assert obj["cast_at"].startswith(m.group(1).decode())
        selection = json.loads(b"[" + m.group(2) + b"]")
        assert obj["selection"] == selection and all(type(s) is str for s in selection)
        assert (obj["seq"], obj["token"].encode(), obj["weight"]) == (
            int(m.group(3)),
            m.group(4),
            int(m.group(5)),
        )


# ---- tally: add_line decides as add does --------------------------------------------------

TOKENS = sorted(f"{i:02x}" * 32 for i in (3, 7, 11, 200))
# Same first 8 bytes as TOKENS[0]: lookups must compare whole tokens.
TWIN = "03" * 8 + "00" * 24
ROLL_WEIGHTS = {**{t: 10 * (i + 1) for i, t in enumerate(TOKENS)}, TWIN: 10**15 + 1}
# A window holding 2026-02-30 and 2026-03-00 between its ends when times are compared as text.
WIDE = binary_spec(opens_at="2026-02-01T00:00:00Z", closes_at="2026-11-23T11:00:00Z")


def tally_state(t: Tally) -> tuple[Any, ...]:
    return (
        t.seq,
        t.result(),
        [t.counted_seq(x) for x in ROLL_WEIGHTS],
    )


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*ROLL_WEIGHTS, "ab" * 32]),
            st.sampled_from([["yes"], ["no"], ["abstain"], ["yes", "no"], ["maybe"], []]),
            st.sampled_from([0, 0, 0, 1, -1]),  # seq offset: mostly the expected one
            st.booleans(),  # wrong weight
            times,
        ),
        max_size=25,
    )
)
def test_add_line_counts_exactly_what_add_counts(
    ballots: list[tuple[str, list[str], int, bool, str]],
) -> None:
    spec = WIDE
    fast, full = Tally(spec, ROLL_WEIGHTS), Tally(spec, ROLL_WEIGHTS)
    for token, selection, offset, wrong_weight, cast_at in ballots:
        weight = ROLL_WEIGHTS.get(token, 5) + (1 if wrong_weight else 0)
        record = {
            "seq": full.seq + 1 + offset,
            "token": token,
            "selection": selection,
            "weight": weight,
            "cast_at": cast_at,
            "receipt": "ee" * 32,
        }
        line = canonical_line(record)
        if line is None:
            continue
        try:
            full.add(record)
            accepted = True
        except TallyError:
            accepted = False
        before = tally_state(fast)
        if fast.add_line(line):
            assert accepted, line
        else:
            assert tally_state(fast) == before  # a refusal changes nothing
            if accepted:
                fast.add(json.loads(line))
        assert tally_state(fast) == tally_state(full)


def test_add_line_past_its_cache_still_counts_right() -> None:
    options = tuple((f"o{i}", f"Option {i}") for i in range(8))
    spec = binary_spec(method="approval", options=options, seats=8)
    tally, reference = Tally(spec, ROLL_WEIGHTS), Tally(spec, ROLL_WEIGHTS)
    tally.CACHE_SIZE = 2
    picks = [["o1"], ["o2", "o3"], ["o4"], ["o5", "o1"], ["o4"], ["o2", "o3"], ["o6"]]
    for seq, selection in enumerate(picks, start=1):
        token = TOKENS[seq % 4]
        record = {
            "seq": seq,
            "token": token,
            "selection": selection,
            "weight": ROLL_WEIGHTS[token],
            "cast_at": f"2026-11-2{seq % 3 + 1}T10:00:00Z",  # dates past the cache too
            "receipt": "ee" * 32,
        }
        assert tally.add_line(canonical_bytes(record))
        reference.add(record)
    assert tally_state(tally) == tally_state(reference)
    # Token 1 voted o1 then o4; token 2 o2+o3 twice; token 3 o6 (after o4); token 0 o5+o1.
    assert tally.totals() == {
        "o0": 0,
        "o1": 10,
        "o2": 30,
        "o3": 30,
        "o4": 20,
        "o5": 10,
        "o6": 40,
        "o7": 0,
    }


# ---- roll: bulk adds ------------------------------------------------------------------------


@given(st.lists(st.tuples(hex64, st.integers(1, 10**6)), max_size=40), st.data())
def test_extend_hex_builds_the_same_roll_as_append(
    entries: list[tuple[str, int]], data: st.DataObject
) -> None:
    entries = sorted(dict(entries).items())
    cut = data.draw(st.integers(0, len(entries)))
    one, bulk = Roll(), Roll()
    for token, weight in entries:
        one.append(token, weight)
    bulk.extend_hex([t.encode() for t, _ in entries[:cut]], [w for _, w in entries[:cut]])
    for token, weight in entries[cut:]:
        bulk.append(token, weight)
    assert len(bulk) == len(one) and bulk.total_weight == one.total_weight
    assert bulk.last_hex == one.last_hex
    for i, (token, weight) in enumerate(entries):
        assert bulk.index_of(token) == i == bulk.index_of_hex(token.encode())
        assert bulk.weight_at(i) == weight and bulk.token_at(i) == token
    probe = data.draw(hex64)
    assert bulk.index_of(probe) == one.index_of(probe)


@pytest.mark.parametrize(
    ("tokens", "weights"),
    [
        ([b"02" * 32, b"01" * 32], [1, 1]),  # descending
        ([b"02" * 32, b"02" * 32], [1, 1]),  # repeated
        ([b"00" * 32], [1]),  # not above the last entry already held
        ([b"AB" * 32], [1]),  # uppercase
        ([b"ab" * 31], [1]),  # short
        ([b"ab" * 32], [0]),  # weight 0
        ([b"ab" * 32], [True]),  # not an int
        ([b"ab" * 32, b"ac" * 32], [1]),  # lengths differ
    ],
)
def test_extend_hex_refuses_a_bad_batch_whole(tokens: list[bytes], weights: list[Any]) -> None:
    roll = Roll()
    roll.append("01" * 32, 5)
    with pytest.raises(RollError):
        roll.extend_hex(tokens, weights)
    assert len(roll) == 1 and roll.total_weight == 5 and roll.last_hex == b"01" * 32


def test_lookups_in_a_roll_large_enough_for_many_buckets() -> None:
    tokens = sorted(f"{(i * 2654435761) % 2**32:08x}" + "5a" * 28 for i in range(3000))
    roll = Roll()
    roll.extend_hex([t.encode() for t in tokens], list(range(1, 3001)))
    assert all(roll.index_of(t) == i for i, t in enumerate(tokens))
    assert roll.index_of("ff" * 32) == -1 and roll.index_of("00" * 32) == -1


def test_many_tokens_sharing_a_prefix_are_all_found() -> None:
    # A hostile roll may give thousands of tokens the same first 8 bytes; each lookup must
    # still find the right one (by bisecting whole tokens, not scanning them).
    shared = sorted(f"{'7f' * 8}{i * 7919:048x}" for i in range(2000))
    others = [f"{i:02x}" * 32 for i in (1, 200)]
    tokens = sorted(shared + others)
    roll = Roll()
    roll.extend_hex([t.encode() for t in tokens], [1] * len(tokens))
    assert [roll.index_of(t) for t in tokens] == list(range(len(tokens)))
    for absent in (
        f"{'7f' * 8}{1:048x}",
        f"{'7f' * 8}{'f' * 48}",
        f"{'7f' * 8}{0:048x}"[:-1] + "1",
    ):
        assert roll.index_of(absent) == -1


# ---- Merkle: many leaves at once ------------------------------------------------------------


@settings(max_examples=150)
@given(st.integers(0, 600), st.data())
def test_stream_extend_matches_single_appends_and_tracks_proofs(
    size: int, data: st.DataObject
) -> None:
    leaves = [i.to_bytes(3, "big") for i in range(size)]
    cuts = sorted(data.draw(st.lists(st.integers(0, size), max_size=4)))
    tracked = data.draw(st.none() | st.integers(0, max(size - 1, 0))) if size else None
    stream = MerkleStream()
    start = 0
    for cut in [*cuts, size]:
        if tracked is not None and start <= tracked < cut:
            stream.extend(leaves[start:tracked])
            stream.append_tracked(leaf_hash(leaves[tracked]))
            start = tracked + 1
        stream.extend(leaves[start:cut])
        start = max(start, cut)
    tree = MerkleTree.from_leaves(leaves)
    assert stream.size == size and stream.root() == tree.root()
    if tracked is not None:
        assert stream.proof() == tree.inclusion_proof(tracked)


# ---- reading lines in blocks ----------------------------------------------------------------


def read_all(data: bytes, block: int) -> list[bytes] | tuple[list[bytes], str, str]:
    seen: list[bytes] = []
    try:
        for before, lines in _blocks(io.BytesIO(data), "roll.jsonl", block):
            assert before == len(seen)
            seen += lines
    except VerifyFailure as exc:
        return seen, exc.code, exc.message
    return seen


LONG = b"x" * (MAX_LINE + 1)


@pytest.mark.parametrize("block", [1, 2, 7, 64, 1 << 20])
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", []),
        (b"a\nbb\n\nccc\n", [b"a", b"bb", b"", b"ccc"]),
        (b"a\nbb", ([b"a"], "roll.line", "roll.jsonl line 2 has no final newline")),
        (
            b"a\n" + LONG + b"\nb\n",
            ([b"a"], "roll.line", f"roll.jsonl line 2 is over {MAX_LINE} bytes"),
        ),
        (b"a\nb\n" + LONG, ([b"a", b"b"], "roll.line", f"line 3 is over {MAX_LINE} bytes")),
        (b"x" * MAX_LINE + b"\n", [b"x" * MAX_LINE]),
    ],
)
def test_blocks_give_every_line_and_name_the_first_bad_one(
    block: int, data: bytes, expected: Any
) -> None:
    got = read_all(data, block)
    if isinstance(expected, tuple):
        assert isinstance(got, tuple)
        assert got[0] == expected[0] and got[1] == expected[1] and expected[2] in got[2]
    else:
        assert got == expected


# ---- whole bundles mixing fast and full paths -------------------------------------------------


def test_bundle_with_weights_beyond_the_fast_pattern_verifies(
    tmp_path: Path, signing_key: SigningKey
) -> None:
    # 10**15 + 1 has 16 digits: those roll and ballot lines take the full path, the rest not.
    weights = {1: 400, 2: 10**15 + 1, 3: 100, 4: 50, 5: 200}
    b = make_bundle(tmp_path, signing_key, weights=weights)
    report = verify_bundle(b.dir, b.receipts[1])
    assert report.ok, report.message
    assert b.result["tally"]["totals"]["yes"] == 400 + 10**15 + 1
    assert "replaced by the later ballot seq 4" in report.summary()


@pytest.mark.parametrize("which", [0, 127, 128, 200, 255, 299])
def test_receipts_anywhere_in_a_longer_bundle(
    tmp_path: Path, signing_key: SigningKey, which: int
) -> None:
    votes = [(1 + n % 5, [("yes", "no", "abstain")[n % 3]]) for n in range(300)]
    b = make_bundle(tmp_path, signing_key, votes=votes)
    report = verify_bundle(b.dir, b.receipts[which])
    assert report.ok, report.message
    assert report.receipt_seq == which + 1
    status = "this ballot counts" if which >= 295 else "replaced by the later ballot"
    assert status in report.summary()
