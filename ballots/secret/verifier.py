"""Verification of a format 2 (secret ballot) bundle, streaming, on every core.

Order of checks (the first failure stops and is named): keys and result signature, result
shape, election.json (trustee proofs, key), roll.jsonl, ballots.jsonl records (canonical
form, seq, roll token, voting period, Merkle root), then in parallel every ballot's tracker
and proofs with the weighted product of the counted ballots, then tally.json (ciphertexts,
every decryption proof, the combination of k shares, the totals) and the outcome.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

from ballots.canonical import canonical_bytes, canonical_sha256, sha256_hex
from ballots.keys import KeyRing, SignatureError, verify_object
from ballots.merkle import MerkleStream, leaf_hash, verify_inclusion
from ballots.records import is_hex64, parse_time
from ballots.roll import Roll
from ballots.secret.ballot import BallotChecker, BallotError
from ballots.secret.bundle import BALLOT2_KEYS, RECEIPT2_KEYS, cast_of
from ballots.secret.checks import check_result2, check_tally_doc, decrypt_check
from ballots.secret.group import GroupError, point_from_hex
from ballots.secret.tally import WeightedSum
from ballots.secret.trustees import Election, TrusteeError, verify_election
from ballots.tally import VoteSpec
from ballots.verifier import (
    MAX_DOCUMENT,
    VerifyFailure,
    VerifyReport,
    _blocks,
    _mismatch,
    _parse_line,
    _read_roll,
    _Source,
)

CHUNK = 256  # ballot lines per task sent to a worker


class _Shared:
    """What every worker needs, set before the pool forks (copy-on-write, never pickled)."""

    checker: BallotChecker | None = None
    roll: Roll | None = None
    last_seq: array[int] | None = None
    proposal = ""


def _check_chunk(task: tuple[int, list[bytes]]) -> tuple[str | None, str | None, list[bytes]]:
    """Trackers and proofs of a run of ballot lines, and their counted weighted sum.

    Returns (failure code, failure message, [A_0, B_0, A_1, B_1, ...]).
    """
    first_seq, lines = task
    checker, roll, last_seq = _Shared.checker, _Shared.roll, _Shared.last_seq
    assert checker is not None and roll is not None and last_seq is not None
    acc = WeightedSum(checker.options)
    for offset, body in enumerate(lines):
        seq = first_seq + offset
        try:
            rec = json.loads(body)
            cast = cast_of(_Shared.proposal, rec)
            tracker = sha256_hex(canonical_bytes(cast))
            index = roll.index_of(rec["token"])
        except (KeyError, TypeError, ValueError):
            # Pass 1 checked these bytes; only a source that changed between reads gets here.
            return "ballots.changed", f"ballot seq {seq} differs from the first read", []
        if rec["tracker"] != tracker:
            return "ballots.tracker", f"ballot seq {seq}: tracker is not the ballot's SHA-256", []
        try:
            cts = checker.check(rec["token"], rec["ciphertexts"], rec["proofs"], rec["sum_proof"])
        except BallotError as exc:
            return f"ballots.{exc.reason}", f"ballot seq {seq}: {exc}", []
        if last_seq[index] == seq:
            acc.add(cts, roll.weight_at(index))
    flat: list[bytes] = []
    for a, b in zip(acc.a, acc.b, strict=True):
        flat += [a, b]
    return None, None, flat


def _read_records(
    fh: IO[bytes], spec: VoteSpec, roll: Roll, stream: MerkleStream, tracker: str | None
) -> tuple[array[int], tuple[int, str, bytes, str] | None]:
    """Pass 1: the record checks that need order; returns the counting seq per roll index."""
    last_seq = array("q", bytes(8 * len(roll)))
    opens, closes = parse_time(spec.opens_at), parse_time(spec.closes_at)
    seq = 0
    found: tuple[int, str, bytes, str] | None = None
    for before, lines in _blocks(fh, "ballots.jsonl"):
        for i, body in enumerate(lines):
            number = before + i + 1
            rec = _parse_line(body, "ballots.jsonl", number)
            where = f"ballots.jsonl line {number}"
            if type(rec) is not dict or rec.keys() != BALLOT2_KEYS:
                raise VerifyFailure("ballots.record", f"{where}: needs {sorted(BALLOT2_KEYS)}")
            seq += 1
            if rec["seq"] != seq or type(rec["seq"]) is not int:
                raise VerifyFailure("ballots.seq", f"{where}: seq {rec['seq']!r}, not {seq}")
            token = rec["token"]
            index = roll.index_of(token) if is_hex64(token) else -1
            if index < 0:
                raise VerifyFailure("ballots.token", f"{where}: token is not on the roll")
            try:
                cast_at = parse_time(rec["cast_at"])
            except ValueError as exc:
                raise VerifyFailure("ballots.cast_at", f"{where}: {exc}") from None
            if not opens <= cast_at < closes:
                raise VerifyFailure("ballots.cast_at", f"{where}: cast outside the voting period")
            if not is_hex64(rec["tracker"]):
                raise VerifyFailure("ballots.tracker", f"{where}: tracker is not 64 hex")
            last_seq[index] = seq
            leaf = leaf_hash(body)
            if found is None and rec["tracker"] == tracker:
                found = (seq, token, leaf, rec["cast_at"])
                stream.append_tracked(leaf)
            else:
                stream.append_leaf_hash(leaf)
    return last_seq, found


def _tasks(fh: IO[bytes], stream: MerkleStream) -> Iterator[tuple[int, list[bytes]]]:
    for before, lines in _blocks(fh, "ballots.jsonl"):
        stream.extend(lines)
        for start in range(0, len(lines), CHUNK):
            yield before + start + 1, lines[start : start + CHUNK]


def _check_all(fh: IO[bytes], workers: int, options: int, root: bytes) -> WeightedSum:
    """Pass 2 over every ballot, in order, at most 2 tasks per worker in flight.

    The lines are hashed again: a URL source that served other bytes the second time fails.
    """
    total = WeightedSum(options)
    stream = MerkleStream()

    def fold(outcome: tuple[str | None, str | None, list[bytes]]) -> None:
        code, message, flat = outcome
        if code is not None:
            raise VerifyFailure(code, message or code)
        part = WeightedSum(options)
        part.a, part.b = flat[0::2], flat[1::2]
        total.merge(part)

    if workers <= 1:
        for task in _tasks(fh, stream):
            fold(_check_chunk(task))
    else:
        _pool_check(fh, workers, stream, fold)
    if stream.root() != root:
        raise VerifyFailure("ballots.changed", "ballots.jsonl changed between the two reads")
    return total


def _pool_check(fh: IO[bytes], workers: int, stream: MerkleStream, fold: Any) -> None:
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        pending: list[Any] = []
        for task in _tasks(fh, stream):
            pending.append(pool.apply_async(_check_chunk, (task,)))
            if len(pending) >= 2 * workers:
                fold(pending.pop(0).get())
        for job in pending:
            fold(job.get())


def _verify2(
    source: _Source, result: Mapping[str, Any], keyring: KeyRing, receipt: Any,
    report: VerifyReport, workers: int,
) -> None:
    say = report.lines.append
    try:
        verify_object(result, keyring)
    except SignatureError as exc:
        raise VerifyFailure("result.signature", f"result signature: {exc}") from None
    spec = check_result2(result)
    if result["trust"] != keyring.trust:
        raise _mismatch("result.trust", "trust name", repr(result["trust"]), repr(keyring.trust))
    report.proposal_id = spec.id
    say(f"OK: secret-ballot result of proposal {spec.id} ({spec.method}) verified")
    say(f"  trust {result['trust']!r}, sealed {result['sealed_at']} by key "
        f"{result['signature']['key_id']}")

    tracker: str | None = None
    if receipt is not None:
        tracker = _check_receipt2(receipt, keyring, spec.id)
        report.lines.append(f"  receipt signature verified (tracker {tracker})")

    election_doc = source.document("election.json", "election")
    summary = result["election"]
    if canonical_sha256(election_doc) != summary["sha256"]:
        raise _mismatch("election.sha256", "election.json SHA-256", summary["sha256"],
                        canonical_sha256(election_doc))
    try:
        election = verify_election(election_doc, spec.id)
    except (TrusteeError, GroupError) as exc:
        reason = getattr(exc, "reason", "point")
        raise VerifyFailure(f"election.{reason}", f"election.json: {exc}") from None
    for name, mine in (("key", election.key.hex()), ("threshold", election.threshold),
                       ("trustees", len(election.public_shares))):
        if summary[name] != mine:
            raise _mismatch(f"election.{name}", f"election {name}", summary[name], mine)
    say(f"  election key {election.key.hex()}: {election.threshold} of "
        f"{len(election.public_shares)} trustees, every commitment proof verified")
    if election.complaints:
        out = sorted(set(election.public_shares) - set(election.qualified))
        say(f"  {len(election.complaints)} complaint(s) in the key ceremony, every answer "
            f"checked: key over qualified dealers {list(election.qualified)}"
            + (f", disqualified {out}" if out else ""))

    roll = Roll()
    stream = MerkleStream()
    with source.open("roll.jsonl") as fh:
        _read_roll(fh, roll, stream)
    claimed = result["roll"]
    for name, mine in (("size", stream.size), ("total_weight", roll.total_weight),
                       ("root", stream.root().hex())):
        if claimed[name] != mine:
            raise _mismatch(f"roll.{name}", f"roll {name}", claimed[name], mine)
    report.roll_size = stream.size
    say(f"  roll: {stream.size} tokens, total weight {roll.total_weight}")

    stream = MerkleStream()
    with source.open("ballots.jsonl") as fh:
        last_seq, found = _read_records(fh, spec, roll, stream, tracker)
    claimed = result["ballots"]
    for name, mine in (("size", stream.size), ("root", stream.root().hex())):
        if claimed[name] != mine:
            raise _mismatch(f"ballots.{name}", f"ballots {name}", claimed[name], mine)
    report.ballots_size = stream.size

    _Shared.checker = BallotChecker(spec, election.key)
    _Shared.roll, _Shared.last_seq, _Shared.proposal = roll, last_seq, spec.id
    try:
        with source.open("ballots.jsonl") as fh:
            product = _check_all(fh, workers, len(spec.option_ids), stream.root())
    finally:
        _Shared.checker = _Shared.roll = _Shared.last_seq = None
    say(f"  ballots: {stream.size}, every tracker and proof verified ({workers} processes)")

    counted = sum(1 for s in last_seq if s)
    counted_weight = sum(roll.weight_at(i) for i, s in enumerate(last_seq) if s)
    _check_tally(source, result, spec, election, product, counted, counted_weight)
    tally = result["tally"]
    report.outcome, report.winners = tally["outcome"], tally["winners"]
    say(f"  tally: {counted} counted, weight {counted_weight}, outcome {tally['outcome']}, "
        f"winners {json.dumps(tally['winners'])}")
    say(f"  totals: {json.dumps(tally['totals'])} (every decryption proof verified)")

    if tracker is not None:
        if found is None:
            raise VerifyFailure("receipt.not_found", f"no ballot carries tracker {tracker}")
        seq, token, leaf, cast_at = found
        if (token, cast_at) != (receipt["token"], receipt["cast_at"]):
            raise VerifyFailure("receipt.leaf", f"ballot seq {seq} carries the tracker but "
                                                "another token or cast_at than the receipt's")
        path = stream.proof()
        if not verify_inclusion(leaf, seq - 1, stream.size, path, bytes.fromhex(claimed["root"])):
            raise VerifyFailure("receipt.inclusion", "receipt's ballot is not under the root")
        report.receipt_seq = seq
        counts = last_seq[roll.index_of(token)] == seq
        say(f"  receipt {tracker}: ballot seq {seq}, "
            + ("counts" if counts else "replaced by a later ballot of the same token"))


def _check_tally(
    source: _Source, result: Mapping[str, Any], spec: VoteSpec, election: Election,
    product: WeightedSum, counted: int, counted_weight: int,
) -> None:
    doc = source.document("tally.json", "tally")
    if canonical_sha256(doc) != result["encrypted_tally"]["sha256"]:
        raise _mismatch("tally.sha256", "tally.json SHA-256",
                        result["encrypted_tally"]["sha256"], canonical_sha256(doc))
    cts = check_tally_doc(doc, spec)
    mine = product.ciphertexts()
    for o, (pair, own) in enumerate(zip(cts, mine, strict=True)):
        if pair != own:
            raise VerifyFailure(
                "tally.ciphertexts",
                f"tally.json ciphertext of option {spec.option_ids[o]} is not the weighted "
                "product of the counted ballots",
            )
    decrypt_check(doc, spec, election, mine, result, counted, counted_weight)


def _check_receipt2(receipt: Any, keyring: KeyRing, proposal_id: str) -> str:
    if type(receipt) is not dict or receipt.keys() != RECEIPT2_KEYS or receipt["format"] != 2:
        raise VerifyFailure("receipt.malformed", f"a receipt has exactly {sorted(RECEIPT2_KEYS)}")
    try:
        verify_object(receipt, keyring)
    except SignatureError as exc:
        raise VerifyFailure(f"receipt.{exc.reason}", f"receipt: {exc}") from None
    if receipt["proposal"] != proposal_id:
        raise VerifyFailure("receipt.proposal", f"receipt is for {receipt['proposal']!r}")
    if not is_hex64(receipt["tracker"]):
        raise VerifyFailure("receipt.malformed", "receipt tracker is not 64 hex")
    return str(receipt["tracker"])


def verify_secret(
    location: str, receipt: Any = None, workers: int | None = None,
    source: _Source | None = None, result: Any = None,
) -> VerifyReport:
    """Verify a format 2 bundle (directory or results URL); ``workers`` defaults to the cores."""
    report = VerifyReport(ok=False)
    try:
        source = source or _Source(location)
        keys_doc = source.document("trust-keys.json", "keys")
        try:
            keyring = KeyRing.from_document(keys_doc)
        except ValueError as exc:
            raise VerifyFailure("keys", f"trust-keys.json invalid: {exc}") from None
        if result is None:
            result = source.document("result.json", "result.json")
        if type(result) is not dict:
            raise VerifyFailure("result.json", "result.json is not a JSON object")
        _verify2(source, result, keyring, receipt, report, workers or os.cpu_count() or 1)
    except VerifyFailure as exc:
        report.code, report.message = exc.code, exc.message
        return report
    report.ok = True
    return report


def point_list(values: Sequence[Any], what: str) -> list[bytes]:
    try:
        return [point_from_hex(v, what) for v in values]
    except GroupError as exc:
        raise VerifyFailure("tally.point", str(exc)) from None


__all__ = ["MAX_DOCUMENT", "verify_secret"]
