from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ballots.records import (
    ballot_record,
    format_time,
    jsonl_line,
    parse_time,
    roll_record,
    voter_token,
)
from ballots.roll import Roll, RollError

SECRET = b"k" * 32


def test_time_format_and_parse() -> None:
    dt = datetime(2026, 11, 23, 19, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=8)))
    assert format_time(dt) == "2026-11-23T11:00:00Z"
    assert parse_time("2026-11-23T11:00:00Z") == datetime(2026, 11, 23, 11, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        format_time(datetime(2026, 1, 1))  # noqa: DTZ001
    for bad in [
        "2026-11-23T11:00:00",
        "2026-11-23T11:00:00.5Z",
        "2026-11-23t11:00:00z",
        "2026-11-23T11:00:00+00:00",
        "2026-02-30T00:00:00Z",
        "2026-11-23T24:00:00Z",
        " 2026-11-23T11:00:00Z",
        "２026-11-23T11:00:00Z",
        20261123,
    ]:
        with pytest.raises(ValueError):
            parse_time(bad)  # type: ignore[arg-type]


def test_voter_token_is_a_keyed_per_proposal_pseudonym() -> None:
    t1 = voter_token(SECRET, "vote-1", 42)
    assert t1 == voter_token(SECRET, "vote-1", "42")
    assert t1 != voter_token(SECRET, "vote-2", 42)
    assert t1 != voter_token(SECRET, "vote-1", 43)
    assert t1 != voter_token(b"j" * 32, "vote-1", 42)
    message = b'["owners-trust voter token v1","vote-1","42"]'
    assert t1 == hmac.new(SECRET, message, hashlib.sha256).hexdigest()
    with pytest.raises(ValueError, match="32 bytes"):
        voter_token(b"short", "vote-1", 42)


def test_records_and_lines() -> None:
    assert jsonl_line(roll_record("ab" * 32, 7)) == b'{"token":"' + b"ab" * 32 + b'","weight":7}\n'
    rec = ballot_record(1, "ab" * 32, ("yes",), 7, "2026-11-21T00:00:00Z", "cd" * 32)
    assert jsonl_line(rec) == (
        b'{"cast_at":"2026-11-21T00:00:00Z","receipt":"'
        + b"cd" * 32
        + b'","selection":["yes"],"seq":1,"token":"'
        + b"ab" * 32
        + b'","weight":7}\n'
    )
    for bad in [("AB" * 32, 7), ("ab" * 31, 7), ("ab" * 32, 0), ("ab" * 32, True)]:
        with pytest.raises(ValueError):
            roll_record(*bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ballot_record(0, "ab" * 32, ["yes"], 7, "2026-11-21T00:00:00Z", "cd" * 32)


def test_roll_index_lookup_with_shared_prefixes() -> None:
    # Same first 8 bytes: the lookup must fall back to the full token.
    tokens = sorted(["00" * 8 + f"{i:048x}" for i in (5, 1, 3)] + ["ff" * 32, "01" + "00" * 31])
    roll = Roll.from_mapping({t: i + 1 for i, t in enumerate(tokens)})
    assert [roll.index_of(t) for t in tokens] == list(range(5))
    assert roll.index_of("00" * 8 + f"{2:048x}") == -1
    assert roll.index_of("nope") == -1
    assert roll.total_weight == 15 and roll.token_at(4) == tokens[4]
    with pytest.raises(RollError) as exc:
        roll.append("00" * 32, 1)
    assert exc.value.reason == "order"
