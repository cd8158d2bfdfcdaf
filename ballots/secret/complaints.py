"""The DKG's complaint round: who stays in QUAL, and the key over QUAL only.

Joint-Feldman as Pedersen (1991) and Gennaro-Jarecki-Krawczyk-Rabin (1999) run it: trustee j
who receives from dealer i a share that does not open or fails i's Feldman commitments files a
public complaint against i. Dealer i answers in public with f_i(j) in the clear; anyone checks it
against i's commitments. QUAL is every dealer against whom no complaint stands unanswered or
answered with a share that fails. The election key and every trustee's public share are summed
over QUAL only, and a complainer whose complaint was answered with a valid share uses the
revealed one. Revealing f_i(j) costs nothing: j is one trustee, fewer than k shares tell nothing.

A false complaint answered correctly disqualifies nobody; a dealer who does not answer, or
answers with a wrong share, is out. With fewer than k dealers left the ceremony fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ballots.secret.group import (
    IDENTITY,
    GroupError,
    add,
    base_mul,
    mul,
    scalar_from_hex,
    scalar_hex,
)
from ballots.secret.group import L as ORDER

COMPLAINT_KEYS = frozenset({"accuser", "dealer", "share"})


class ComplaintError(ValueError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def commitment_at(commitments: Sequence[bytes], j: int) -> bytes:
    """sum_l j**l * C_l: what f(j) * G must equal."""
    acc = commitments[0]
    power = 1
    for c in commitments[1:]:
        power = power * j % ORDER
        acc = add(acc, mul(power, c))
    return acc


def share_holds(commitments: Sequence[bytes], j: int, share: int) -> bool:
    """Does f_i(j) = ``share`` match dealer i's commitments? (Trustee j's check, and anyone's
    check of a revealed answer.)"""
    return base_mul(share) == commitment_at(commitments, j)


@dataclass(frozen=True)
class Complaint:
    """Trustee ``accuser`` against dealer ``dealer``; ``share`` is the dealer's public answer
    f_dealer(accuser), or None while (or if) it is unanswered."""

    accuser: int
    dealer: int
    share: int | None = None


def check_parties(n: int, accuser: int, dealer: int) -> None:
    """A complaint is by a trustee against another trustee."""
    if type(accuser) is not int or not 1 <= accuser <= n:
        raise ComplaintError("complaints", f"accuser {accuser!r} is not a trustee (1..{n})")
    if type(dealer) is not int or not 1 <= dealer <= n:
        raise ComplaintError("complaints", f"dealer {dealer!r} is not a trustee (1..{n})")
    if accuser == dealer:
        raise ComplaintError("complaints", f"trustee {accuser} cannot complain against itself")


def disqualified(
    complaints: Iterable[Complaint], commitments: Mapping[int, Sequence[bytes]]
) -> set[int]:
    """Dealers with a complaint unanswered, or answered with a share that fails."""
    out: set[int] = set()
    for c in complaints:
        if c.share is None or not share_holds(commitments[c.dealer], c.accuser, c.share):
            out.add(c.dealer)
    return out


def qualified(
    n: int, complaints: Iterable[Complaint], commitments: Mapping[int, Sequence[bytes]]
) -> list[int]:
    """QUAL, ascending."""
    out = disqualified(complaints, commitments)
    return [i for i in range(1, n + 1) if i not in out]


def key_over(qual: Iterable[int], commitments: Mapping[int, Sequence[bytes]]) -> bytes:
    key = IDENTITY
    for i in qual:
        key = add(key, commitments[i][0])
    return key


def public_shares(
    n: int, qual: Sequence[int], commitments: Mapping[int, Sequence[bytes]]
) -> dict[int, bytes]:
    """X_j = sum over QUAL of f_i(j)*G, for every trustee j (disqualified dealers included:
    their shares of the QUAL dealers' polynomials are as good as anyone's)."""
    out: dict[int, bytes] = {}
    for j in range(1, n + 1):
        x_j = IDENTITY
        for i in qual:
            x_j = add(x_j, commitment_at(commitments[i], j))
        out[j] = x_j
    return out


def require_threshold(qual: Sequence[int], n: int, k: int) -> None:
    if len(qual) < k:
        raise ComplaintError(
            "qualified",
            f"the key ceremony fails: only {len(qual)} of {n} trustees' dealings stand "
            f"(qualified: {list(qual)}), and {k} are needed",
        )


def sorted_complaints(complaints: Iterable[Complaint]) -> list[Complaint]:
    return sorted(complaints, key=lambda c: (c.dealer, c.accuser))


def complaints_json(complaints: Iterable[Complaint]) -> list[dict[str, Any]]:
    """election.json's ``complaints``: by dealer, then accuser."""
    return [
        {"accuser": c.accuser, "dealer": c.dealer,
         "share": None if c.share is None else scalar_hex(c.share)}
        for c in sorted_complaints(complaints)
    ]


def parse_complaints(raw: Any, n: int) -> list[Complaint]:
    """election.json's ``complaints``, strictly: a non-empty list, ascending (dealer, accuser),
    no repeats, each by one trustee against another, the share a canonical scalar or null."""
    if type(raw) is not list or not raw:
        raise ComplaintError("complaints", "complaints must be a non-empty list")
    out: list[Complaint] = []
    for position, entry in enumerate(raw, start=1):
        if type(entry) is not dict or entry.keys() != COMPLAINT_KEYS:
            raise ComplaintError("complaints",
                                 f"complaint {position} needs exactly {sorted(COMPLAINT_KEYS)}")
        check_parties(n, entry["accuser"], entry["dealer"])
        share = entry["share"]
        try:
            value = None if share is None else scalar_from_hex(share, f"complaint {position}")
        except GroupError as exc:
            raise ComplaintError("complaints", str(exc)) from None
        c = Complaint(entry["accuser"], entry["dealer"], value)
        if out and (out[-1].dealer, out[-1].accuser) >= (c.dealer, c.accuser):
            raise ComplaintError(
                "complaints", f"complaint {position}: not in ascending (dealer, accuser) order, "
                              "or a repeat")
        out.append(c)
    return out


def parse_qualified(raw: Any, n: int) -> list[int]:
    if (type(raw) is not list or any(type(i) is not int for i in raw)
            or raw != sorted(set(raw)) or any(not 1 <= i <= n for i in raw)):
        raise ComplaintError("qualified", "qualified must be ascending trustee indices")
    return list(raw)


def key_share_over(qual: Iterable[int], received: Mapping[int, int]) -> int:
    """Trustee j's x_j = sum over QUAL of f_i(j), from what it received or was revealed."""
    total = 0
    for i in qual:
        if i not in received:
            raise ComplaintError("share", f"no checked share from trustee {i}")
        total = (total + received[i]) % ORDER
    return total
