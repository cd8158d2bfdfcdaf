"""A second format 2 verifier, written from docs/verification.md alone.

It shares no code with ballots/: ristretto255 is re-implemented here in plain Python integers
from RFC 9496 (slow, variable-time, fine for public data in small test bundles), the Merkle
tree from RFC 9162, the proofs and the outcome rules from the document. Signatures use the
cryptography package directly. ``verify(directory)`` returns None if the bundle is valid,
else a short description of the first fault it found.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _neg(x: int) -> bool:
    return x % P & 1 == 1


def _abs(x: int) -> int:
    return (-x) % P if _neg(x) else x % P


def _sqrt_ratio(u: int, v: int) -> tuple[bool, int]:
    r = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    check = v * r * r % P
    correct, flipped = check == u % P, check == (-u) % P
    flipped_i = check == (-u) * SQRT_M1 % P
    if flipped or flipped_i:
        r = r * SQRT_M1 % P
    return correct or flipped, _abs(r)


INVSQRT_A_MINUS_D = _sqrt_ratio(1, (-1 - D) % P)[1]
Point = tuple[int, int, int, int]
ZERO: Point = (0, 1, 1, 0)


class Bad(Exception):
    pass


def decode(data: bytes) -> Point:
    s = int.from_bytes(data, "little")
    if len(data) != 32 or s >= P or _neg(s):
        raise Bad("non-canonical point")
    ss = s * s % P
    u1, u2 = (1 - ss) % P, (1 + ss) % P
    u2sq = u2 * u2 % P
    v = (-(D * u1 * u1) - u2sq) % P
    ok, inv = _sqrt_ratio(1, v * u2sq % P)
    den_x = inv * u2 % P
    den_y = inv * den_x * v % P
    x = _abs(2 * s * den_x)
    y = u1 * den_y % P
    t = x * y % P
    if not ok or _neg(t) or y == 0:
        raise Bad("not a ristretto255 point")
    return (x, y, 1, t)


def encode(pt: Point) -> bytes:
    x0, y0, z0, t0 = pt
    u1 = (z0 + y0) * (z0 - y0) % P
    u2 = x0 * y0 % P
    _, inv = _sqrt_ratio(1, u1 * u2 * u2 % P)
    den1, den2 = inv * u1 % P, inv * u2 % P
    z_inv = den1 * den2 * t0 % P
    if _neg(t0 * z_inv):
        x, y, den_inv = y0 * SQRT_M1 % P, x0 * SQRT_M1 % P, den1 * INVSQRT_A_MINUS_D % P
    else:
        x, y, den_inv = x0, y0, den2
    if _neg(x * z_inv):
        y = (-y) % P
    return _abs(den_inv * (z0 - y)).to_bytes(32, "little")


def padd(p1: Point, p2: Point) -> Point:
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = t1 * 2 * D * t2 % P
    d = z1 * 2 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def pneg(p1: Point) -> Point:
    return ((-p1[0]) % P, p1[1], p1[2], (-p1[3]) % P)


def pmul(k: int, p1: Point) -> Point:
    acc, run = ZERO, p1
    k %= Q
    while k:
        if k & 1:
            acc = padd(acc, run)
        run = padd(run, run)
        k >>= 1
    return acc


def peq(p1: Point, p2: Point) -> bool:
    return (p1[0] * p2[1] - p1[1] * p2[0]) % P == 0 or (p1[1] * p2[1] - p1[0] * p2[0]) % P == 0


G = decode(bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"))


def pt(h: Any) -> Point:
    if type(h) is not str or len(h) != 64 or h != h.lower():
        raise Bad("point text")
    return decode(bytes.fromhex(h))


def sc(h: Any) -> int:
    if type(h) is not str or len(h) != 64 or h != h.lower():
        raise Bad("scalar text")
    v = int.from_bytes(bytes.fromhex(h), "little")
    if v >= Q:
        raise Bad("scalar not reduced")
    return v


def jcs(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def hsc(label: str, *parts: Any) -> int:
    data = jcs(["owners-trust/2", label, *parts])
    return int.from_bytes(hashlib.sha512(data).digest(), "little") % Q


def mroot(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mroot(leaves[:k]) + mroot(leaves[k:])).digest()


def or_proof(label: str, ctx: list[Any], key: Point, a: Point, b: Point, values: list[int],
             proof: Any) -> bool:
    if type(proof) is not list or len(proof) != len(values):
        raise Bad("proof length")
    comms, total = [], 0
    for v, pair in zip(values, proof, strict=True):
        if type(pair) is not list or len(pair) != 2:
            raise Bad("proof pair")
        c, z = sc(pair[0]), sc(pair[1])
        big_a = padd(pmul(z, G), pneg(pmul(c, a)))
        shifted = padd(b, pneg(pmul(v, G)))
        big_b = padd(pmul(z, key), pneg(pmul(c, shifted)))
        comms.append([encode(big_a).hex(), encode(big_b).hex()])
        total += c
    return total % Q == hsc(label, *ctx, comms)


ELECTION_MEMBERS = {"format", "key", "proposal", "threshold", "trustees", "type"}


def load(path: Path) -> Any:
    return json.loads(path.read_bytes())


def verify(bundle: Path) -> str | None:
    try:
        _verify(bundle)
    except Bad as exc:
        return str(exc)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        return f"malformed: {exc!r}"
    return None


def _verify(bundle: Path) -> None:  # noqa: C901 - one straight pass, as the document reads
    keys = load(bundle / "trust-keys.json")
    result = load(bundle / "result.json")
    sig = result["signature"]
    entry = next((k for k in keys["keys"] if hashlib.sha256(
        base64.b64decode(k["public_key"])).hexdigest() == sig["key_id"]), None)
    if entry is None:
        raise Bad("unknown key")
    body = jcs({k: v for k, v in result.items() if k != "signature"})
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["public_key"])).verify(
            base64.b64decode(sig["value"]), body)
    except InvalidSignature:
        raise Bad("result signature") from None
    if result["format"] != 2:
        raise Bad("format")
    prop = result["proposal"]
    pid, method, seats = prop["id"], prop["method"], prop["seats"]
    options = [o["id"] for o in prop["options"]]

    election = load(bundle / "election.json")
    if hashlib.sha256(jcs(election)).hexdigest() != result["election"]["sha256"]:
        raise Bad("election digest")
    k = election["threshold"]
    if election["proposal"] != pid or not 1 <= k <= len(election["trustees"]):
        raise Bad("election header")
    key, comms = ZERO, []
    for pos, t in enumerate(election["trustees"], start=1):
        if t["index"] != pos or len(t["commitments"]) != k or len(t["proofs"]) != k:
            raise Bad("trustee entry")
        cs = [pt(c) for c in t["commitments"]]
        for ell, (c, pair) in enumerate(zip(cs, t["proofs"], strict=True)):
            ch, z = sc(pair[0]), sc(pair[1])
            tt = padd(pmul(z, G), pneg(pmul(ch, c)))
            if ch != hsc("trustee-commitment", pid, pos, ell, encode(c).hex(), encode(tt).hex()):
                raise Bad("commitment proof")
        comms.append(cs)
    # The complaint round (members present together, only when a complaint was filed).
    qual = list(range(1, len(comms) + 1))
    if "complaints" in election or "qualified" in election:
        complaints = election["complaints"]
        if not complaints or set(election) != ELECTION_MEMBERS | {"complaints", "qualified"}:
            raise Bad("complaints members")
        order = [(c["dealer"], c["accuser"]) for c in complaints]
        if order != sorted(set(order)):
            raise Bad("complaints order")
        out = set()
        for c in complaints:
            i, j = c["dealer"], c["accuser"]
            if set(c) != {"accuser", "dealer", "share"} or i == j or not (
                    1 <= i <= len(comms) and 1 <= j <= len(comms)):
                raise Bad("complaint entry")
            want = ZERO
            for ell, cc in enumerate(comms[i - 1]):
                want = padd(want, pmul(pow(j, ell, Q), cc))
            if c["share"] is None or not peq(pmul(sc(c["share"]), G), want):
                out.add(i)
        qual = [i for i in qual if i not in out]
        if election["qualified"] != qual:
            raise Bad("qualified")
    elif set(election) != ELECTION_MEMBERS:
        raise Bad("election members")
    if len(qual) < k:
        raise Bad("fewer than k qualified")
    for i in qual:
        key = padd(key, comms[i - 1][0])
    if encode(key).hex() != election["key"] or election["key"] != result["election"]["key"]:
        raise Bad("election key")
    if peq(key, ZERO):
        raise Bad("election key is the identity")
    if result["election"]["threshold"] != k or result["election"]["trustees"] != len(comms):
        raise Bad("election summary")

    roll_lines = (bundle / "roll.jsonl").read_bytes().split(b"\n")
    if roll_lines.pop() != b"":
        raise Bad("roll newline")
    weights: dict[str, int] = {}
    previous = ""
    for line in roll_lines:
        rec = json.loads(line)
        if jcs(rec) != line or set(rec) != {"token", "weight"} or rec["token"] <= previous:
            raise Bad("roll line")
        if type(rec["weight"]) is not int or rec["weight"] < 1:
            raise Bad("roll weight")
        previous = rec["token"]
        weights[rec["token"]] = rec["weight"]
    r = result["roll"]
    if (r["size"], r["total_weight"], r["root"]) != (
            len(weights), sum(weights.values()), mroot(roll_lines).hex()):
        raise Bad("roll summary")

    ballot_lines = (bundle / "ballots.jsonl").read_bytes().split(b"\n")
    if ballot_lines.pop() != b"":
        raise Bad("ballots newline")
    if (result["ballots"]["size"], result["ballots"]["root"]) != (
            len(ballot_lines), mroot(ballot_lines).hex()):
        raise Bad("ballots summary")
    counting: dict[str, Any] = {}
    sums = list(range(1, seats + 1)) if method == "approval" else [1]
    for n, line in enumerate(ballot_lines, start=1):
        rec = json.loads(line)
        if jcs(rec) != line or rec["seq"] != n or rec["token"] not in weights:
            raise Bad("ballot line")
        if not prop["opens_at"] <= rec["cast_at"] < prop["closes_at"]:
            raise Bad("ballot time")
        cast = {"proposal": pid, "token": rec["token"], "ciphertexts": rec["ciphertexts"],
                "proofs": rec["proofs"], "sum_proof": rec["sum_proof"]}
        if hashlib.sha256(jcs(cast)).hexdigest() != rec["tracker"]:
            raise Bad("tracker")
        cts = [(pt(a), pt(b)) for a, b in rec["ciphertexts"]]
        if len(cts) != len(options) or len(rec["proofs"]) != len(options):
            raise Bad("ciphertext count")
        ctx = [pid, rec["token"], election["key"], rec["ciphertexts"]]
        for i, ((a, b), proof) in enumerate(zip(cts, rec["proofs"], strict=True)):
            if not or_proof("ballot-option", [*ctx, i], key, a, b, [0, 1], proof):
                raise Bad("option proof")
        big_a, big_b = ZERO, ZERO
        for a, b in cts:
            big_a, big_b = padd(big_a, a), padd(big_b, b)
        if not or_proof("ballot-sum", ctx, key, big_a, big_b, sums, rec["sum_proof"]):
            raise Bad("sum proof")
        counting[rec["token"]] = cts
    prod = [(ZERO, ZERO) for _ in options]
    for token, cts in counting.items():
        w = weights[token]
        prod = [(padd(pa, pmul(w, a)), padd(pb, pmul(w, b)))
                for (pa, pb), (a, b) in zip(prod, cts, strict=True)]

    tally = load(bundle / "tally.json")
    if hashlib.sha256(jcs(tally)).hexdigest() != result["encrypted_tally"]["sha256"]:
        raise Bad("tally digest")
    if tally["proposal"] != pid or len(tally["ciphertexts"]) != len(options):
        raise Bad("tally header")
    for (pa, pb), (ha, hb) in zip(prod, tally["ciphertexts"], strict=True):
        if not (peq(pa, pt(ha)) and peq(pb, pt(hb))):
            raise Bad("tally ciphertexts")
    shares: dict[int, list[Point]] = {}
    last = 0
    for entry in tally["shares"]:
        j = entry["trustee"]
        if type(j) is not int or not last < j <= len(comms):
            raise Bad("share order")
        last = j
        xj = ZERO
        for i in qual:
            for ell, c in enumerate(comms[i - 1]):
                xj = padd(xj, pmul(pow(j, ell, Q), c))
        ds = []
        for o, (a, _) in enumerate(prod):
            d = pt(entry["shares"][o])
            ch, z = sc(entry["proofs"][o][0]), sc(entry["proofs"][o][1])
            t1 = padd(pmul(z, G), pneg(pmul(ch, xj)))
            t2 = padd(pmul(z, a), pneg(pmul(ch, d)))
            want = hsc("decryption-share", pid, j, o, encode(xj).hex(), encode(a).hex(),
                       encode(d).hex(), encode(t1).hex(), encode(t2).hex())
            if ch != want:
                raise Bad("share proof")
            ds.append(d)
        shares[j] = ds
    if len(shares) < k:
        raise Bad("too few shares")
    chosen = sorted(shares)[:k]
    counted_weight = sum(weights[t] for t in counting)
    totals = result["tally"]["totals"]
    for o, opt in enumerate(options):
        acc = ZERO
        for j in chosen:
            lam = 1
            for m in chosen:
                if m != j:
                    lam = lam * m * pow(m - j, -1, Q) % Q
            acc = padd(acc, pmul(lam, shares[j][o]))
        if not 0 <= totals[opt] <= counted_weight:
            raise Bad("total range")
        if not peq(padd(prod[o][1], pneg(acc)), pmul(totals[opt], G)):
            raise Bad("total")
    t = result["tally"]
    if t["counted"] != len(counting) or t["counted_weight"] != counted_weight:
        raise Bad("counted")
    q = prop["quorum"]
    quorum = counted_weight * q["den"] >= q["num"] * result["roll"]["total_weight"]
    if method == "binary":
        yes, no = totals["yes"], totals["no"]
        th = prop["threshold"]
        ok = quorum and yes * th["den"] >= th["num"] * (yes + no) and yes > no
        want_outcome, winners = ("passed", ["yes"]) if ok else ("rejected", [])
    elif not quorum:
        want_outcome, winners = "no_quorum", []
    else:
        ranked = sorted(options, key=lambda opt: -totals[opt])
        edge = totals[ranked[seats - 1]]
        if seats < len(ranked) and totals[ranked[seats]] == edge:
            want_outcome, winners = "tie", [opt for opt in ranked if totals[opt] > edge]
        else:
            want_outcome, winners = "decided", ranked[:seats]
    if (t["quorum_met"], t["outcome"], t["winners"]) != (quorum, want_outcome, winners):
        raise Bad("outcome")
