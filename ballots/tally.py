"""The vote definition, selection rules, outcome rules and a streaming, compact tally."""

from __future__ import annotations

from array import array
from collections.abc import Mapping, MutableSequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ballots.records import BALLOT_CAST_AT, BALLOT_KEYS, BALLOT_LINE, is_hex64, is_id, parse_time
from ballots.roll import Roll
from ballots.weights import parse_weight_rule

METHODS = ("binary", "single", "approval")
BINARY_OPTIONS = frozenset({"yes", "no", "abstain"})
PROPOSAL_KEYS = frozenset(
    {
        "id",
        "title",
        "method",
        "options",
        "opens_at",
        "closes_at",
        "weight_rule",
        "quorum",
        "threshold",
        "seats",
    }
)


class SpecError(ValueError):
    """The vote definition breaks a rule of the spec."""


class SelectionError(ValueError):
    """A ballot's selection is not valid for the vote."""


class TallyError(ValueError):
    """A ballot cannot be counted. ``reason`` is a short stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _fraction(value: Any, what: str) -> tuple[int, int]:
    if isinstance(value, Mapping):
        if set(value) != {"num", "den"}:
            raise SpecError(f"{what} must be {{num, den}}")
        value = (value["num"], value["den"])
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise SpecError(f"{what} must be a (num, den) pair")
    num, den = value
    if type(num) is not int or type(den) is not int or not (den > 0 and 0 <= num <= den):
        raise SpecError(f"{what} needs integers with 0 < den and 0 <= num <= den")
    return num, den


@dataclass(frozen=True)
class VoteSpec:
    """The ``proposal`` member of a result: what is voted on and how it is decided."""

    id: str
    title: str
    method: str
    options: tuple[tuple[str, str], ...]
    opens_at: str
    closes_at: str
    weight_rule: str
    quorum: tuple[int, int]
    threshold: tuple[int, int]
    seats: int = 1

    def __post_init__(self) -> None:
        if not is_id(self.id):
            raise SpecError(f"proposal id {self.id!r}: use 1-128 of A-Z a-z 0-9 . _ -")
        if type(self.title) is not str or not self.title.strip():
            raise SpecError("title must be a non-empty string")
        if self.method not in METHODS:
            raise SpecError(f"method {self.method!r} is not one of {', '.join(METHODS)}")
        opts = tuple(tuple(o) for o in self.options)
        for o in opts:
            if len(o) != 2 or not is_id(o[0]) or type(o[1]) is not str:
                raise SpecError(f"option {o!r} must be (id, label) with a valid id")
        ids = [o[0] for o in opts]
        if len(set(ids)) != len(ids):
            raise SpecError("option ids must be unique")
        if self.method == "binary":
            if len(ids) != 3 or set(ids) != BINARY_OPTIONS:
                raise SpecError("a binary vote has exactly the options yes, no, abstain")
        elif len(ids) < 2:
            raise SpecError("a vote needs at least two options")
        try:
            opens, closes = parse_time(self.opens_at), parse_time(self.closes_at)
        except ValueError as exc:
            raise SpecError(str(exc)) from None
        if closes <= opens:
            raise SpecError("closes_at must be after opens_at")
        try:
            parse_weight_rule(self.weight_rule)
        except ValueError as exc:
            raise SpecError(f"weight_rule: {exc}") from None
        object.__setattr__(self, "options", opts)
        object.__setattr__(self, "quorum", _fraction(self.quorum, "quorum"))
        object.__setattr__(self, "threshold", _fraction(self.threshold, "threshold"))
        if type(self.seats) is not int:
            raise SpecError("seats must be an integer")
        if self.method in ("binary", "single") and self.seats != 1:
            raise SpecError(f"seats is 1 for a {self.method} vote")
        if self.method == "approval" and not 1 <= self.seats <= len(ids):
            raise SpecError(f"seats must be between 1 and the number of options ({len(ids)})")

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o[0] for o in self.options)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "method": self.method,
            "options": [{"id": i, "label": label} for i, label in self.options],
            "opens_at": self.opens_at,
            "closes_at": self.closes_at,
            "weight_rule": self.weight_rule,
            "quorum": {"num": self.quorum[0], "den": self.quorum[1]},
            "threshold": {"num": self.threshold[0], "den": self.threshold[1]},
            "seats": self.seats,
        }

    @classmethod
    def from_json(cls, obj: Any) -> VoteSpec:
        if type(obj) is not dict or set(obj) != PROPOSAL_KEYS:
            raise SpecError(f"proposal must have exactly the members {sorted(PROPOSAL_KEYS)}")
        options = obj["options"]
        if type(options) is not list or not all(
            type(o) is dict and set(o) == {"id", "label"} for o in options
        ):
            raise SpecError('options must be a list of {"id", "label"}')
        for key in ("quorum", "threshold"):
            if type(obj[key]) is not dict:
                raise SpecError(f"{key} must be {{num, den}}")
        return cls(
            id=obj["id"],
            title=obj["title"],
            method=obj["method"],
            options=tuple((o["id"], o["label"]) for o in options),
            opens_at=obj["opens_at"],
            closes_at=obj["closes_at"],
            weight_rule=obj["weight_rule"],
            quorum=_fraction(obj["quorum"], "quorum"),
            threshold=_fraction(obj["threshold"], "threshold"),
            seats=obj["seats"],
        )


def validate_selection(spec: VoteSpec, selection: Any) -> tuple[str, ...]:
    if not isinstance(selection, list | tuple) or not all(type(s) is str for s in selection):
        raise SelectionError("selection must be a list of option id strings")
    known = spec.option_ids
    for s in selection:
        if s not in known:
            raise SelectionError(f"unknown option {s!r}")
    if len(set(selection)) != len(selection):
        raise SelectionError("selection names an option twice")
    if spec.method in ("binary", "single"):
        if len(selection) != 1:
            raise SelectionError(f"a {spec.method} ballot selects exactly one option")
    elif not 1 <= len(selection) <= spec.seats:
        raise SelectionError(f"an approval ballot selects 1 to {spec.seats} options")
    return tuple(selection)


class Outcome(NamedTuple):
    quorum_met: bool
    outcome: str
    winners: list[str]


def compute_outcome(
    spec: VoteSpec, totals: Mapping[str, int], counted_weight: int, roll_total_weight: int
) -> Outcome:
    qn, qd = spec.quorum
    quorum_met = counted_weight * qd >= qn * roll_total_weight
    if spec.method == "binary":
        yes, no = totals["yes"], totals["no"]
        tn, td = spec.threshold
        passed = quorum_met and yes * td >= tn * (yes + no) and yes > no
        return Outcome(quorum_met, "passed" if passed else "rejected", ["yes"] if passed else [])
    if not quorum_met:
        return Outcome(False, "no_quorum", [])
    # Largest total first; equal totals keep the order of options (sorted() is stable).
    ranked = sorted(spec.option_ids, key=lambda o: -totals[o])
    seats = spec.seats
    last = totals[ranked[seats - 1]]
    if seats < len(ranked) and totals[ranked[seats]] == last:
        return Outcome(True, "tie", [o for o in ranked if totals[o] > last])
    return Outcome(True, "decided", ranked[:seats])


# A validated selection: its bitmask over the options and the option positions it names.
Picked = tuple[int, tuple[int, ...]]


class Tally:
    """Counts ballots streamed once in seq order; the last ballot of each token counts.

    Per-token state is two machine-word arrays indexed by roll position (selection bitmask and
    latest seq), about 16 bytes per roll entry.
    """

    # Distinct selections and dates remembered by add_line; past this, new ones are checked
    # afresh on every line (still right, only slower), so memory stays bounded.
    CACHE_SIZE = 4096

    def __init__(self, spec: VoteSpec, roll_weight_lookup: Roll | Mapping[str, int]) -> None:
        roll = roll_weight_lookup
        self.spec = spec
        self.roll = roll if isinstance(roll, Roll) else Roll.from_mapping(roll)
        n = len(self.roll)
        self._ids = spec.option_ids
        self._bit = {o: 1 << i for i, o in enumerate(self._ids)}
        self._masks: MutableSequence[int] = (
            array("Q", bytes(8 * n)) if len(self._ids) <= 64 else [0] * n
        )
        self._last_seq = array("q", bytes(8 * n))
        self._totals = [0] * len(self._ids)
        self._opens = parse_time(spec.opens_at)
        self._closes = parse_time(spec.closes_at)
        self._opens_text = spec.opens_at.encode()
        self._closes_text = spec.closes_at.encode()
        self._selections: dict[bytes, Picked] = {}  # selection JSON text -> picked
        self._picks: dict[tuple[str, ...], Picked] = {}  # valid selection -> picked
        self._dates: set[bytes] = set()
        self.seq = 0
        self.counted = 0
        self.counted_weight = 0

    def add(self, ballot: Mapping[str, Any]) -> None:
        if type(ballot) is not dict or ballot.keys() != BALLOT_KEYS:
            raise TallyError("record", f"a ballot has exactly the members {sorted(BALLOT_KEYS)}")
        seq = ballot["seq"]
        if type(seq) is not int or seq != self.seq + 1:
            raise TallyError("seq", f"ballot seq {seq!r} where {self.seq + 1} was expected")
        token = ballot["token"]
        index = self.roll.index_of(token)
        if index < 0:
            raise TallyError("token", f"ballot seq {seq}: token {token!r} is not on the roll")
        weight = ballot["weight"]
        roll_weight = self.roll.weight_at(index)
        if type(weight) is not int or weight != roll_weight:
            raise TallyError(
                "weight", f"ballot seq {seq}: weight {weight!r} but the roll says {roll_weight}"
            )
        try:
            selection = validate_selection(self.spec, ballot["selection"])
        except SelectionError as exc:
            raise TallyError("selection", f"ballot seq {seq}: {exc}") from None
        try:
            cast_at = parse_time(ballot["cast_at"])
        except ValueError as exc:
            raise TallyError("cast_at", f"ballot seq {seq}: {exc}") from None
        if not self._opens <= cast_at < self._closes:
            raise TallyError("cast_at", f"ballot seq {seq}: cast_at outside the voting period")
        if not is_hex64(ballot["receipt"]):
            raise TallyError("record", f"ballot seq {seq}: receipt is not 64 lowercase hex")
        self._count(index, self._pick(selection), weight, seq)

    def add_line(self, line: bytes) -> bool:
        """Count a ballot given as its exact JSONL line (no newline), if that is quick to do.

        True: the line is the canonical form of a ballot record that ``add`` would accept, and
        it has been counted exactly as ``add`` counts it. False: nothing changed; the caller
        must parse the line and use ``add``, which accepts it or names what is wrong.
        """
        m = BALLOT_LINE.fullmatch(line)
        if m is None:
            return False
        date, selection, seq_text, token, weight_text = m.groups()
        seq = int(seq_text)
        if seq != self.seq + 1:
            return False
        index = self.roll.index_of_hex(token)
        if index < 0:
            return False
        weight = int(weight_text)
        if weight != self.roll.weight_at(index):
            return False
        picked = self._selections.get(selection)
        if picked is None:
            picked = self._selection_line(selection)
            if picked is None:
                return False
        if date not in self._dates:
            # The clock part matched a real time of day; parse_time judges the date.
            try:
                parse_time(date.decode() + "T00:00:00Z")
            except ValueError:
                return False
            if len(self._dates) < self.CACHE_SIZE:
                self._dates.add(date)
        # Same fixed-width format on both sides, so text order is time order.
        cast_at = line[BALLOT_CAST_AT]
        if not self._opens_text <= cast_at < self._closes_text:
            return False
        self._count(index, picked, weight, seq)
        return True

    def _selection_line(self, text: bytes) -> Picked | None:
        """Mask and option positions of a selection's JSON array body, or None if invalid."""
        ids = [s.decode() for s in text[1:-1].split(b'","')]
        try:
            picked = self._pick(validate_selection(self.spec, ids))
        except SelectionError:
            return None
        if len(self._selections) < self.CACHE_SIZE:
            self._selections[text] = picked
        return picked

    def _pick(self, selection: tuple[str, ...]) -> Picked:
        picked = self._picks.get(selection)
        if picked is None:
            mask = 0
            for s in selection:
                mask |= self._bit[s]
            picked = mask, tuple(i for i in range(len(self._ids)) if mask >> i & 1)
            if len(self._picks) < self.CACHE_SIZE:
                self._picks[selection] = picked
        return picked

    def _count(self, index: int, picked: Picked, weight: int, seq: int) -> None:
        self.seq = seq
        totals = self._totals
        old = self._masks[index]
        if old:
            for i in range(len(totals)):
                if old >> i & 1:
                    totals[i] -= weight
        else:
            self.counted += 1
            self.counted_weight += weight
        mask, positions = picked
        for i in positions:
            totals[i] += weight
        self._masks[index] = mask
        self._last_seq[index] = seq

    def counted_seq(self, token: str) -> int | None:
        """Seq of the ballot that counts for ``token``, or None if it did not vote."""
        index = self.roll.index_of(token)
        if index < 0 or not self._last_seq[index]:
            return None
        return self._last_seq[index]

    def totals(self) -> dict[str, int]:
        return dict(zip(self._ids, self._totals, strict=True))

    def result(self, roll_total_weight: int | None = None) -> dict[str, Any]:
        """The spec's ``tally`` object."""
        total = self.roll.total_weight if roll_total_weight is None else roll_total_weight
        totals = self.totals()
        outcome = compute_outcome(self.spec, totals, self.counted_weight, total)
        return {
            "counted": self.counted,
            "counted_weight": self.counted_weight,
            "totals": totals,
            "quorum_met": outcome.quorum_met,
            "outcome": outcome.outcome,
            "winners": outcome.winners,
        }
