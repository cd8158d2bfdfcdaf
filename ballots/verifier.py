"""Independent verification of a sealed result bundle, streaming, in bounded memory.

Checks run in a fixed order and stop at the first failure, which is reported with a stable
``code`` (e.g. ``ballots.root``) and a message naming the values that disagree.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ballots import commitments
from ballots.canonical import CanonicalError, canonical_bytes, strict_loads
from ballots.keys import KeyRing, SignatureError, verify_object
from ballots.merkle import MerkleStream, leaf_hash, verify_inclusion
from ballots.receipts import ReceiptError, verify_receipt
from ballots.records import ROLL_KEYS, ROLL_LINE, is_count, is_hex64, parse_time
from ballots.result import RESULT_KEYS, TALLY_KEYS
from ballots.roll import Roll, RollError
from ballots.tally import SpecError, Tally, TallyError, VoteSpec

MAX_LINE = 1 << 16  # one JSONL record; real ones are a few hundred bytes
READ_BLOCK = 1 << 18  # JSONL is read in blocks this size (no faster at 1 MiB, 8 MB more)
# Served at /.well-known/ rather than beside the result (a results URL's bundle).
WELL_KNOWN = ("trust-keys.json", "trust-keys.note", "trust-keys.proof.json")
MAX_DOCUMENT = 1 << 20  # result.json, trust-keys.json, a receipt
FETCH_TIMEOUT = 30
_RESULTS_URL = re.compile(r"(/(?:.*/)?)?results/([^/]+)/?")


class VerifyFailure(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class VerifyReport:
    ok: bool
    code: str | None = None
    message: str | None = None
    lines: list[str] = field(default_factory=list)
    proposal_id: str | None = None
    outcome: str | None = None
    winners: list[str] = field(default_factory=list)
    roll_size: int = 0
    ballots_size: int = 0
    receipt_seq: int | None = None

    def summary(self) -> str:
        if not self.ok:
            return f"FAIL: {self.message} [{self.code}]"
        return "\n".join(self.lines)


class _Source:
    """Where the bundle's files come from: a directory or a results URL."""

    def __init__(self, location: str | Path) -> None:
        text = str(location)
        self.url_id: str | None = None
        if text.startswith(("http://", "https://")):
            parts = urllib.parse.urlsplit(text)
            m = _RESULTS_URL.fullmatch(parts.path)
            if not parts.netloc or m is None or parts.query or parts.fragment:
                raise VerifyFailure(
                    "source", f"not a results URL http(s)://HOST/results/<id>/: {text}"
                )
            self.url_id = urllib.parse.unquote(m.group(2))
            base = parts.path if parts.path.endswith("/") else parts.path + "/"
            self.base: str | Path = f"{parts.scheme}://{parts.netloc}{base}"
            self.well_known = f"{parts.scheme}://{parts.netloc}/.well-known/"
        else:
            self.base = Path(text)
            if not self.base.is_dir():
                raise VerifyFailure("source", f"bundle directory {text} does not exist")

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        if isinstance(self.base, Path):
            path = self.base / name
            try:
                fh = path.open("rb")
            except OSError as exc:
                raise VerifyFailure("source", f"cannot read {path}: {exc.strerror}") from None
            with fh:
                yield fh
            return
        url = (self.well_known if name in WELL_KNOWN else self.base) + name
        try:
            # The scheme was checked to be http or https in __init__.
            response = urllib.request.urlopen(url, timeout=FETCH_TIMEOUT)  # noqa: S310
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise VerifyFailure("source", f"cannot fetch {url}: {exc}") from None
        with response:
            yield response

    def document(self, name: str, code: str) -> Any:
        with self.open(name) as fh:
            data = fh.read(MAX_DOCUMENT + 1)
        if len(data) > MAX_DOCUMENT:
            raise VerifyFailure(code, f"{name} is larger than {MAX_DOCUMENT} bytes")
        try:
            return strict_loads(data.decode("utf-8"))
        except (UnicodeDecodeError, CanonicalError) as exc:
            raise VerifyFailure(code, f"{name} is not valid JSON: {exc}") from None


def _blocks(
    fh: IO[bytes], name: str, block: int | None = None
) -> Iterator[tuple[int, list[bytes]]]:
    """The lines of a JSONL file without their newlines, read in big blocks.

    Yields (number of lines before the block, the block's lines). A line over MAX_LINE bytes
    or a last line without its newline is reported only after the lines before it were
    yielded, so the first failure named is the first in the file. Memory: one block plus at
    most one partial line.
    """
    kind = name.split(".", 1)[0]
    number = 0
    rest = b""
    while True:
        data = fh.read(block or READ_BLOCK)
        if not data:
            break
        lines = (rest + data).split(b"\n") if rest else data.split(b"\n")
        rest = lines.pop()
        if lines and max(map(len, lines)) > MAX_LINE:
            cut = next(i for i, line in enumerate(lines) if len(line) > MAX_LINE)
            yield number, lines[:cut]
            number += cut + 1
            raise VerifyFailure(f"{kind}.line", f"{name} line {number} is over {MAX_LINE} bytes")
        yield number, lines
        number += len(lines)
        if len(rest) > MAX_LINE:
            raise VerifyFailure(
                f"{kind}.line", f"{name} line {number + 1} is over {MAX_LINE} bytes"
            )
    if rest:
        raise VerifyFailure(f"{kind}.line", f"{name} line {number + 1} has no final newline")


def _parse_line(body: bytes, name: str, number: int) -> Any:
    """One record, insisting its bytes are exactly its canonical form."""
    kind = name.split(".", 1)[0]
    try:
        # Duplicate keys or any float would change the re-encoded bytes or be refused.
        obj = json.loads(body.decode("utf-8"))
        again = canonical_bytes(obj)
    except (ValueError, RecursionError) as exc:
        raise VerifyFailure(f"{kind}.json", f"{name} line {number} is not valid: {exc}") from None
    if again != body:
        raise VerifyFailure(
            f"{kind}.canonical", f"{name} line {number} is not in canonical JSON form"
        )
    return obj


def _roll_line(roll: Roll, body: bytes, number: int) -> None:
    """The full checks of one roll line (the fast path leaves the odd ones to this)."""
    obj = _parse_line(body, "roll.jsonl", number)
    if type(obj) is not dict or obj.keys() != ROLL_KEYS:
        raise VerifyFailure("roll.record", f"roll.jsonl line {number}: not {{token, weight}}")
    try:
        roll.append(obj["token"], obj["weight"])
    except RollError as exc:
        raise VerifyFailure(f"roll.{exc.reason}", f"roll.jsonl line {number}: {exc}") from None


def _read_roll(fh: IO[bytes], roll: Roll, stream: MerkleStream) -> None:
    match = ROLL_LINE.fullmatch
    for before, lines in _blocks(fh, "roll.jsonl"):
        # Lines in the exact canonical form of a roll record, ascending, are gathered and
        # added in bulk; any other line (or a token out of order) is flushed and replayed
        # through the full checks, which accept it or name the failure.
        tokens: list[bytes] = []
        weights: list[int] = []
        last = roll.last_hex
        for i, body in enumerate(lines):
            m = match(body)
            if m is not None:
                token, weight = m.groups()
                if token > last:
                    tokens.append(token)
                    weights.append(int(weight))
                    last = token
                    continue
            roll.extend_hex(tokens, weights)
            tokens, weights = [], []
            _roll_line(roll, body, before + i + 1)
            last = roll.last_hex
        roll.extend_hex(tokens, weights)
        stream.extend(lines)


def _read_ballots(
    fh: IO[bytes], tally: Tally, stream: MerkleStream, receipt: Any, receipt_value: str | None
) -> tuple[int, str, bytes] | None:
    """Count and hash every ballot line; return (seq, token, leaf hash) of the receipt's."""
    found: tuple[int, str, bytes] | None = None
    # A line that may carry the receipt takes the full path, which also tracks its proof.
    needle = receipt_value.encode() if receipt_value is not None else None
    for before, lines in _blocks(fh, "ballots.jsonl"):
        done = 0  # lines of this block already in the Merkle stream
        for i, body in enumerate(lines):
            if (needle is None or needle not in body) and tally.add_line(body):
                continue
            number = before + i + 1
            obj = _parse_line(body, "ballots.jsonl", number)
            try:
                tally.add(obj)
            except TallyError as exc:
                raise VerifyFailure(
                    f"ballots.{exc.reason}", f"ballots.jsonl line {number}: {exc}"
                ) from None
            if found is None and needle is not None and obj["receipt"] == receipt_value:
                for name in ("token", "selection", "weight", "cast_at"):
                    if obj[name] != receipt[name]:
                        raise VerifyFailure(
                            "receipt.leaf",
                            f"ballot seq {obj['seq']} carries the receipt but its "
                            f"{name} differs from the receipt's",
                        )
                found = (obj["seq"], obj["token"], leaf_hash(body))
                stream.extend(lines[done:i])
                stream.append_tracked(found[2])
                done = i + 1
        stream.extend(lines[done:])
    return found


def _mismatch(code: str, what: str, claimed: Any, actual: Any) -> VerifyFailure:
    return VerifyFailure(code, f"{what} mismatch: result says {claimed}, bundle gives {actual}")


def _check_result_shape(result: Mapping[str, Any]) -> VoteSpec:
    if result.keys() != RESULT_KEYS:
        missing = sorted(RESULT_KEYS - result.keys())
        extra = sorted(result.keys() - RESULT_KEYS)
        raise VerifyFailure(
            "result.format", f"result members wrong: missing {missing}, extra {extra}"
        )
    if result["type"] != "result" or result["format"] != 1 or type(result["format"]) is not int:
        raise VerifyFailure("result.format", "result is not type 'result', format 1")
    if type(result["trust"]) is not str:
        raise VerifyFailure("result.format", "trust must be a string")
    charter = result["charter"]
    if (
        type(charter) is not dict
        or charter.keys() != {"version", "sha256"}
        or not is_count(charter["version"])
        or not is_hex64(charter["sha256"])
    ):
        raise VerifyFailure("result.charter", "charter must be {version: INT, sha256: HEX64}")
    try:
        spec = VoteSpec.from_json(result["proposal"])
    except SpecError as exc:
        raise VerifyFailure("result.proposal", f"proposal invalid: {exc}") from None
    roll, ballots, tally = result["roll"], result["ballots"], result["tally"]
    if (
        type(roll) is not dict
        or roll.keys() != {"size", "total_weight", "root"}
        or not (is_count(roll["size"]) and is_count(roll["total_weight"]))
        or not is_hex64(roll["root"])
    ):
        raise VerifyFailure("result.roll", "roll must be {size, total_weight, root}")
    if (
        type(ballots) is not dict
        or ballots.keys() != {"size", "root"}
        or not is_count(ballots["size"])
        or not is_hex64(ballots["root"])
    ):
        raise VerifyFailure("result.ballots", "ballots must be {size, root}")
    if type(tally) is not dict or tally.keys() != TALLY_KEYS:
        raise VerifyFailure("result.tally", f"tally must have exactly {sorted(TALLY_KEYS)}")
    if result["supersedes"] is not None and not is_hex64(result["supersedes"]):
        raise VerifyFailure("result.supersedes", "supersedes must be null or 64 lowercase hex")
    try:
        sealed = parse_time(result["sealed_at"])
    except ValueError as exc:
        raise VerifyFailure("result.sealed_at", str(exc)) from None
    if sealed < parse_time(spec.closes_at):
        raise VerifyFailure("result.sealed_at", "result sealed before voting closed")
    return spec


def _verify(source: _Source, receipt: Any, report: VerifyReport) -> None:
    say = report.lines.append
    keys_doc = source.document("trust-keys.json", "keys")
    try:
        keyring = KeyRing.from_document(keys_doc)
    except ValueError as exc:
        raise VerifyFailure("keys", f"trust-keys.json invalid: {exc}") from None

    result = source.document("result.json", "result.json")
    if type(result) is not dict:
        raise VerifyFailure("result.json", "result.json is not a JSON object")
    try:
        verify_object(result, keyring)
    except SignatureError as exc:
        raise VerifyFailure("result.signature", f"result signature: {exc}") from None
    spec = _check_result_shape(result)
    if result["trust"] != keyring.trust:
        raise _mismatch("result.trust", "trust name", repr(result["trust"]), repr(keyring.trust))
    if source.url_id is not None and source.url_id != spec.id:
        raise VerifyFailure(
            "source", f"URL names proposal {source.url_id!r}, result is {spec.id!r}"
        )
    report.proposal_id = spec.id
    key_id = result["signature"]["key_id"]
    say(f"OK: result of proposal {spec.id} ({spec.method}) verified")
    say(f"  trust {result['trust']!r}, sealed {result['sealed_at']} by key {key_id}")
    if result["supersedes"] is not None:
        say(f"  supersedes result {result['supersedes']}")

    receipt_value: str | None = None
    if receipt is not None:
        try:
            check = verify_receipt(receipt, keyring)
        except ReceiptError as exc:
            raise VerifyFailure(f"receipt.{exc.reason}", f"receipt: {exc}") from None
        if check.proposal != spec.id:
            raise VerifyFailure("receipt.proposal", f"receipt is for proposal {check.proposal!r}")
        receipt_value = check.receipt

    roll = Roll()
    stream = MerkleStream()
    with source.open("roll.jsonl") as fh:
        _read_roll(fh, roll, stream)
    claimed = result["roll"]
    if claimed["size"] != stream.size:
        raise _mismatch("roll.size", "roll size", claimed["size"], stream.size)
    if claimed["total_weight"] != roll.total_weight:
        raise _mismatch(
            "roll.total_weight", "roll total weight", claimed["total_weight"], roll.total_weight
        )
    if claimed["root"] != stream.root().hex():
        raise _mismatch("roll.root", "roll root", claimed["root"], stream.root().hex())
    report.roll_size = stream.size
    say(f"  roll: {stream.size} tokens, total weight {roll.total_weight}, root {claimed['root']}")

    tally = Tally(spec, roll)
    stream = MerkleStream()
    with source.open("ballots.jsonl") as fh:
        found = _read_ballots(fh, tally, stream, receipt, receipt_value)
    claimed = result["ballots"]
    if claimed["size"] != stream.size:
        raise _mismatch("ballots.size", "ballots size", claimed["size"], stream.size)
    if claimed["root"] != stream.root().hex():
        raise _mismatch("ballots.root", "ballots root", claimed["root"], stream.root().hex())
    report.ballots_size = stream.size
    say(f"  ballots: {stream.size}, root {claimed['root']}")
    _check_commitments(source, say)

    mine, theirs = tally.result(), result["tally"]
    for name in ("counted", "counted_weight", "totals", "quorum_met", "outcome", "winners"):
        if theirs[name] != mine[name] or type(theirs[name]) is not type(mine[name]):
            raise _mismatch(
                f"tally.{name}", f"tally {name}", json.dumps(theirs[name]), json.dumps(mine[name])
            )
    report.outcome, report.winners = mine["outcome"], mine["winners"]
    quorum = "quorum met" if mine["quorum_met"] else "quorum NOT met"
    say(
        f"  tally: {mine['counted']} counted, weight {mine['counted_weight']}, {quorum}, "
        f"outcome {mine['outcome']}, winners {json.dumps(mine['winners'])}"
    )
    say(f"  totals: {json.dumps(mine['totals'])}")

    if receipt_value is not None:
        if found is None:
            raise VerifyFailure("receipt.not_found", f"no ballot carries receipt {receipt_value}")
        seq, token, leaf = found
        path = stream.proof()
        if not verify_inclusion(leaf, seq - 1, stream.size, path, bytes.fromhex(claimed["root"])):
            raise VerifyFailure(
                "receipt.inclusion", "receipt's ballot is not under the ballots root"
            )
        report.receipt_seq = seq
        counted = tally.counted_seq(token)
        status = "counts" if counted == seq else f"replaced by the later ballot seq {counted}"
        say(
            f"  receipt {receipt_value}: ballot seq {seq}, inclusion proof of {len(path)} "
            f"hashes verified; this ballot {status}"
        )


def _check_commitments(source: _Source, say: Any) -> None:
    """If the bundle publishes the running commitments logged while the vote ran
    (commitments.json), the sealed ballots must have each committed root at its count."""
    try:
        records = source.document(COMMITMENTS, "commitments.json")
    except VerifyFailure as exc:
        if exc.code == "source":
            say("  commitments: none published with this bundle")
            return
        raise
    try:
        committed = commitments.parse(records)
    except commitments.CommitmentError as exc:
        raise VerifyFailure("commitments.json", f"{COMMITMENTS}: {exc}") from None
    with source.open("ballots.jsonl") as fh:
        leaves = (leaf_hash(body) for _before, lines in _blocks(fh, "ballots.jsonl")
                  for body in lines)
        problems = commitments.check_prefixes(leaves, committed)
    if problems:
        raise VerifyFailure("ballots.commitment", problems[0])
    say(f"  commitments: {len(committed)} made while voting, every one matches the ballots")


COMMITMENTS = "commitments.json"


def verify_bundle(
    path_or_url: str | Path, receipt: str | Path | Mapping[str, Any] | None = None
) -> VerifyReport:
    """Verify a bundle directory or results URL; ``receipt`` is a file path or a parsed receipt."""
    report = VerifyReport(ok=False)
    try:
        receipt_obj: Any = receipt
        if isinstance(receipt, str | Path):
            try:
                data = Path(receipt).read_bytes()[: MAX_DOCUMENT + 1]
                receipt_obj = strict_loads(data.decode("utf-8"))
            except (OSError, UnicodeDecodeError, CanonicalError) as exc:
                raise VerifyFailure(
                    "receipt.json", f"cannot read receipt {receipt}: {exc}"
                ) from None
        _verify(_Source(path_or_url), receipt_obj, report)
    except VerifyFailure as exc:
        report.code, report.message = exc.code, exc.message
        return report
    report.ok = True
    return report
