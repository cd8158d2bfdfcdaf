"""Shape checks of format 2 documents and the decryption check of the tally."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ballots.records import is_count, is_hex64, parse_time
from ballots.result import TALLY_KEYS
from ballots.secret.bundle import RESULT2_KEYS, TALLY_DOC_KEYS
from ballots.secret.group import GroupError, base_mul, point_from_hex
from ballots.secret.trustees import (
    Election,
    TrusteeError,
    check_decryption_share,
    combine_shares,
)
from ballots.tally import SpecError, VoteSpec, compute_outcome
from ballots.verifier import VerifyFailure, _mismatch

Ciphertext = tuple[bytes, bytes]


def check_result2(result: Mapping[str, Any]) -> VoteSpec:
    if result.keys() != RESULT2_KEYS:
        missing = sorted(RESULT2_KEYS - result.keys())
        extra = sorted(result.keys() - RESULT2_KEYS)
        raise VerifyFailure("result.format", f"result members wrong: missing {missing}, "
                                             f"extra {extra}")
    if result["type"] != "result" or result["format"] != 2 or type(result["format"]) is not int:
        raise VerifyFailure("result.format", "result is not type 'result', format 2")
    if type(result["trust"]) is not str:
        raise VerifyFailure("result.format", "trust must be a string")
    charter = result["charter"]
    if (type(charter) is not dict or charter.keys() != {"version", "sha256"}
            or not is_count(charter["version"]) or not is_hex64(charter["sha256"])):
        raise VerifyFailure("result.charter", "charter must be {version: INT, sha256: HEX64}")
    try:
        spec = VoteSpec.from_json(result["proposal"])
    except SpecError as exc:
        raise VerifyFailure("result.proposal", f"proposal invalid: {exc}") from None
    roll, ballots, tally = result["roll"], result["ballots"], result["tally"]
    if (type(roll) is not dict or roll.keys() != {"size", "total_weight", "root"}
            or not (is_count(roll["size"]) and is_count(roll["total_weight"]))
            or not is_hex64(roll["root"])):
        raise VerifyFailure("result.roll", "roll must be {size, total_weight, root}")
    if (type(ballots) is not dict or ballots.keys() != {"size", "root"}
            or not is_count(ballots["size"]) or not is_hex64(ballots["root"])):
        raise VerifyFailure("result.ballots", "ballots must be {size, root}")
    election = result["election"]
    if (type(election) is not dict or election.keys() != {"sha256", "key", "threshold",
                                                           "trustees"}
            or not is_hex64(election["sha256"]) or not is_hex64(election["key"])
            or not is_count(election["threshold"]) or not is_count(election["trustees"])):
        raise VerifyFailure("result.election", "election must be {sha256, key, threshold, "
                                               "trustees}")
    enc = result["encrypted_tally"]
    if type(enc) is not dict or enc.keys() != {"sha256"} or not is_hex64(enc["sha256"]):
        raise VerifyFailure("result.encrypted_tally", "encrypted_tally must be {sha256}")
    if type(tally) is not dict or tally.keys() != TALLY_KEYS:
        raise VerifyFailure("result.tally", f"tally must have exactly {sorted(TALLY_KEYS)}")
    totals = tally["totals"]
    if (type(totals) is not dict or set(totals) != set(spec.option_ids)
            or not all(is_count(v) for v in totals.values())):
        raise VerifyFailure("result.tally", "totals must give an integer >= 0 for each option")
    if result["supersedes"] is not None and not is_hex64(result["supersedes"]):
        raise VerifyFailure("result.supersedes", "supersedes must be null or 64 lowercase hex")
    try:
        sealed = parse_time(result["sealed_at"])
    except ValueError as exc:
        raise VerifyFailure("result.sealed_at", str(exc)) from None
    if sealed < parse_time(spec.closes_at):
        raise VerifyFailure("result.sealed_at", "result sealed before voting closed")
    return spec


def check_tally_doc(doc: Any, spec: VoteSpec) -> list[Ciphertext]:
    if type(doc) is not dict or doc.keys() != TALLY_DOC_KEYS:
        raise VerifyFailure("tally.record", f"tally.json needs exactly {sorted(TALLY_DOC_KEYS)}")
    if doc["type"] != "tally" or doc["format"] != 2 or doc["proposal"] != spec.id:
        raise VerifyFailure("tally.record", "tally.json is not type 'tally', format 2, "
                                            "of this proposal")
    cts = doc["ciphertexts"]
    if type(cts) is not list or len(cts) != len(spec.option_ids):
        raise VerifyFailure("tally.record", "tally.json needs one ciphertext per option")
    out: list[Ciphertext] = []
    for pair in cts:
        if type(pair) is not list or len(pair) != 2:
            raise VerifyFailure("tally.record", "a tally ciphertext is [A, B]")
        try:
            out.append((point_from_hex(pair[0]), point_from_hex(pair[1])))
        except GroupError as exc:
            raise VerifyFailure("tally.point", f"tally.json: {exc}") from None
    if type(doc["shares"]) is not list:
        raise VerifyFailure("tally.record", "shares must be a list")
    return out


def decrypt_check(
    doc: Mapping[str, Any], spec: VoteSpec, election: Election, cts: Sequence[Ciphertext],
    result: Mapping[str, Any], counted: int, counted_weight: int,
) -> None:
    """Every share's proofs, k of them combined, each total, then counts and outcome."""
    shares: dict[int, list[bytes]] = {}
    previous = 0
    for entry in doc["shares"]:
        try:
            j, ds = check_decryption_share(election, entry, cts)
        except (TrusteeError, GroupError) as exc:
            raise VerifyFailure(f"tally.{getattr(exc, 'reason', 'point')}", str(exc)) from None
        if j <= previous:
            raise VerifyFailure("tally.share_record", "share entries must be in ascending "
                                                      "trustee order, one per trustee")
        previous = j
        shares[j] = ds
    try:
        plain = combine_shares(election.threshold, shares, cts)
    except TrusteeError as exc:
        raise VerifyFailure(f"tally.{exc.reason}", str(exc)) from None
    tally = result["tally"]
    for o, option in enumerate(spec.option_ids):
        claimed = tally["totals"][option]
        if claimed > counted_weight or base_mul(claimed) != plain[o]:
            raise VerifyFailure(
                "tally.totals", f"total of option {option}: the result says {claimed}, which "
                "is not what the decryption shares give")
    if tally["counted"] != counted:
        raise _mismatch("tally.counted", "tally counted", tally["counted"], counted)
    if tally["counted_weight"] != counted_weight:
        raise _mismatch("tally.counted_weight", "tally counted_weight", tally["counted_weight"],
                        counted_weight)
    outcome = compute_outcome(spec, tally["totals"], counted_weight,
                              result["roll"]["total_weight"])
    for name, mine in (("quorum_met", outcome.quorum_met), ("outcome", outcome.outcome),
                       ("winners", outcome.winners)):
        if tally[name] != mine or type(tally[name]) is not type(mine):
            raise _mismatch(f"tally.{name}", f"tally {name}", json.dumps(tally[name]),
                            json.dumps(mine))
