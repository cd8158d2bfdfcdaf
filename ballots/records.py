"""Record builders for roll.jsonl / ballots.jsonl, voter tokens and the time format."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ballots.canonical import canonical_bytes

HEX64 = re.compile(r"[0-9a-f]{64}")
ID_RE = re.compile(r"[A-Za-z0-9._-]{1,128}")
_TIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
ROLL_KEYS = frozenset({"token", "weight"})
BALLOT_KEYS = frozenset({"seq", "token", "selection", "weight", "cast_at", "receipt"})
MIN_TOKEN_SECRET = 32

# The exact canonical lines of well-formed roll and ballot records, for the verifier's fast
# path. Keys in sorted order; hex, digits and option-id characters need no JSON escaping;
# integers 1..10**15-1 (well inside JCS's 2**53-1) without leading zeros or signs; a time whose
# clock part is a real time of day (only the date still needs checking). A line matching one
# of these is therefore byte-for-byte the canonical form of the record it spells; any other
# line (huge integers, odd dates, broken records) goes through the full parse and checks.
ROLL_LINE = re.compile(rb'\{"token":"([0-9a-f]{64})","weight":([1-9][0-9]{0,14})\}')
BALLOT_LINE = re.compile(
    rb'\{"cast_at":"([0-9]{4}-[0-9]{2}-[0-9]{2})T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z",'
    rb'"receipt":"[0-9a-f]{64}",'
    rb'"selection":\[("[A-Za-z0-9._-]{1,128}"(?:,"[A-Za-z0-9._-]{1,128}")*)\],'
    rb'"seq":([1-9][0-9]{0,14}),'
    rb'"token":"([0-9a-f]{64})",'
    rb'"weight":([1-9][0-9]{0,14})\}'
)
BALLOT_CAST_AT = slice(12, 32)  # where cast_at sits in a BALLOT_LINE match


def is_hex64(value: Any) -> bool:
    return type(value) is str and HEX64.fullmatch(value) is not None


def is_id(value: Any) -> bool:
    # "." and ".." would be path segments in /results/<id>/, not names.
    return type(value) is str and ID_RE.fullmatch(value) is not None and value not in {".", ".."}


def is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def format_time(dt: datetime) -> str:
    """RFC 3339 UTC with Z, whole seconds (fractions are truncated, never rounded up)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("refusing a naive datetime: give a timezone")
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Strictly ``YYYY-MM-DDTHH:MM:SSZ``; no offsets, fractions or lowercase letters."""
    m = _TIME_RE.fullmatch(text) if type(text) is str else None
    if m is None:
        raise ValueError(f"time {text!r} is not YYYY-MM-DDTHH:MM:SSZ")
    year, month, day, hour, minute, second = (int(g) for g in m.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise ValueError(f"time {text!r} is not a real UTC time") from None


def voter_token(secret: bytes, proposal_id: str, owner_id: str | int) -> str:
    """Per-proposal pseudonym: HMAC-SHA256 under a server secret, hex.

    The message is canonical JSON so that no (proposal, owner) pair can collide with another.
    """
    if len(secret) < MIN_TOKEN_SECRET:
        raise ValueError(f"token secret must be at least {MIN_TOKEN_SECRET} bytes")
    if not is_id(proposal_id):
        raise ValueError(f"bad proposal id {proposal_id!r}")
    if type(owner_id) not in (str, int):
        raise ValueError("owner id must be a string or an integer")
    message = canonical_bytes(["owners-trust voter token v1", proposal_id, str(owner_id)])
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def roll_record(token: str, weight: int) -> dict[str, Any]:
    if not is_hex64(token):
        raise ValueError("token must be 64 lowercase hex characters")
    if type(weight) is not int or weight <= 0:
        raise ValueError("a roll weight is an integer > 0")
    return {"token": token, "weight": weight}


def ballot_record(
    seq: int,
    token: str,
    selection: Iterable[str],
    weight: int,
    cast_at: str,
    receipt: str,
) -> dict[str, Any]:
    if type(seq) is not int or seq < 1:
        raise ValueError("seq is an integer >= 1")
    if not is_hex64(token):
        raise ValueError("token must be 64 lowercase hex characters")
    if type(weight) is not int or weight <= 0:
        raise ValueError("a ballot weight is an integer > 0")
    parse_time(cast_at)
    if not is_hex64(receipt):
        raise ValueError("receipt must be 64 lowercase hex characters")
    sel = list(selection)
    if not all(type(s) is str for s in sel):
        raise ValueError("selection must be a list of option ids")
    return {
        "seq": seq,
        "token": token,
        "selection": sel,
        "weight": weight,
        "cast_at": cast_at,
        "receipt": receipt,
    }


def jsonl_line(record: Mapping[str, Any]) -> bytes:
    return canonical_bytes(record) + b"\n"
