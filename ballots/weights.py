"""Weight rules: growth value at the snapshot -> integer vote weight (0 = not on the roll).

Published string (``WeightRule.spec``): the rule name, then ``;min=N`` when a minimum growth
value applies, e.g. ``linear``, ``capped:5000``, ``sqrt;min=100``, ``equal;min=1``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

RULES = ("linear", "capped", "sqrt", "equal")
_SPEC_RE = re.compile(r"(linear|sqrt|equal|capped:([0-9]+))(?:;min=([0-9]+))?")


def _plain_int(text: str) -> bool:
    # One spelling per number, so the published string is unambiguous.
    return text == "0" or not text.startswith("0")


@dataclass(frozen=True)
class WeightRule:
    name: str
    minimum: int = 0
    cap: int | None = None

    def __post_init__(self) -> None:
        if self.name not in RULES:
            raise ValueError(f"unknown weight rule {self.name!r}; known: {', '.join(RULES)}")
        if type(self.minimum) is not int or self.minimum < 0:
            raise ValueError("minimum growth value must be an integer >= 0")
        if self.name == "capped":
            if type(self.cap) is not int or self.cap < 1:
                raise ValueError("capped:N needs an integer N >= 1")
        elif self.cap is not None:
            raise ValueError(f"rule {self.name!r} takes no cap")

    @property
    def spec(self) -> str:
        base = f"capped:{self.cap}" if self.name == "capped" else self.name
        return f"{base};min={self.minimum}" if self.minimum else base

    def weight(self, growth_value: int) -> int:
        if type(growth_value) is not int or growth_value < 0:
            raise ValueError(f"growth value must be an integer >= 0, got {growth_value!r}")
        if growth_value < self.minimum:
            return 0
        if self.name == "linear":
            return growth_value
        if self.name == "capped":
            assert self.cap is not None
            return min(growth_value, self.cap)
        if self.name == "sqrt":
            return math.isqrt(growth_value)
        return 1


def parse_weight_rule(spec: str, minimum: int = 0) -> WeightRule:
    """Parse ``linear`` / ``capped:N`` / ``sqrt`` / ``equal``, optionally with ``;min=N``.

    ``minimum`` applies when the string carries no ``;min=``; giving both differently is an error.
    """
    if type(spec) is not str:
        raise ValueError("weight rule must be a string")
    m = _SPEC_RE.fullmatch(spec)
    if m is None:
        head = spec.split(";", 1)[0].split(":", 1)[0]
        if head not in RULES:
            raise ValueError(f"unknown weight rule {spec!r}; known: linear, capped:N, sqrt, equal")
        raise ValueError(f"malformed weight rule {spec!r}; e.g. 'capped:5000' or 'sqrt;min=100'")
    name = m.group(1).split(":", 1)[0]
    cap_text, min_text = m.group(2), m.group(3)
    cap = None
    if cap_text is not None:
        if not _plain_int(cap_text):
            raise ValueError(f"cap {cap_text!r} has leading zeros")
        cap = int(cap_text)
    if min_text is not None:
        if not _plain_int(min_text) or min_text == "0":
            raise ValueError(f"min={min_text!r}: write a positive number without leading zeros")
        if minimum and minimum != int(min_text):
            raise ValueError(f"minimum {minimum} conflicts with {spec!r}")
        minimum = int(min_text)
    return WeightRule(name, minimum, cap)
