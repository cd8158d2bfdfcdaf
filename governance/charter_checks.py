"""The charter rules checker's vocabulary: each problem it reports has a stable code (``rules.*``),
an English template marked for translation and its parameters, so the amendment form says it
in the reader's language at the field. Split from ``charter_parse`` (which walks the rules).

Paths (``$.council.recusal_fallback``) stay outside the message: the checker reports
``(path, Problem)`` and the app turns the path into the field's label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from governance.charter_rules import (
    ARTICLE_RE,
    ID_RE,
    MAX_INT,
    MAX_TEXT,
    MISSING,
    WEIGHT_RULE_RE,
    Fraction,
)
from governance.refusals import N_, Param, Problem

# A reader is told what the value should look like, not the regular expression it failed.
FORMS = {
    ARTICLE_RE.pattern: N_("%(value)s is not an article number such as Art. 21.1"),
    ID_RE.pattern: N_("%(value)s is not a code: lower-case letters, digits and _, letter first"),
    WEIGHT_RULE_RE.pattern: N_("%(value)s is not a weight rule: linear, sqrt, equal or capped:N"),
}


def problem(code: str, template: str, **params: Param) -> Problem:
    return Problem(f"rules.{code}", template, article="", article_text="", **params)


def one_of(choices: tuple[str, ...]) -> Problem:
    return problem("one_of", N_("must be one of %(choices)s"), choices=choices)


class Checker:
    """Collects problems; readers return a harmless placeholder after reporting one."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def add(self, path: str, found: Problem) -> None:
        self.problems.append((path, found))

    def ok(self, *paths: str) -> bool:
        """No problem reported at, above or below any of ``paths`` (for cross-checks)."""
        return not any(
            p == path or path.startswith(p + ".") or p.startswith(path + ".")
            for p, _ in self.problems
            for path in paths
        )

    @staticmethod
    def absent(value: Any) -> bool:
        return value is MISSING

    def obj(
        self, value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> Mapping[str, Any]:
        if self.absent(value):
            return {}
        if not isinstance(value, Mapping):
            self.add(path, problem("not_object", N_("must be an object")))
            return {}
        for key in required:
            if key not in value:
                self.add(f"{path}.{key}", problem("required", N_("is required")))
        for key in value:
            if key not in required and key not in optional:
                self.add(f"{path}.{key}", problem("unknown", N_("is not a known rule")))
        return value

    def int_(self, value: Any, path: str, lo: int, hi: int = MAX_INT) -> int:
        if self.absent(value):
            return lo
        # bool is an int subclass; True must not pass for a seat count.
        if type(value) is not int:
            self.add(path, problem("not_integer", N_("must be an integer")))
            return lo
        if not lo <= value <= hi:
            self.add(path, problem(
                "out_of_range", N_("must be between %(lo)s and %(hi)s, got %(value)s"),
                lo=lo, hi=hi, value=value))
            return lo
        return value

    def bool_(self, value: Any, path: str) -> bool:
        if self.absent(value):
            return False
        if type(value) is not bool:
            self.add(path, problem("not_boolean", N_("must be true or false")))
            return False
        return value

    def str_(self, value: Any, path: str, pattern: re.Pattern[str] | None = None) -> str:
        if self.absent(value):
            return ""
        if type(value) is not str or not value.strip():
            self.add(path, problem("not_text", N_("must be a non-empty string")))
            return ""
        if len(value) > MAX_TEXT:
            self.add(path, problem("too_long", N_("must be at most %(limit)s characters"),
                                   limit=MAX_TEXT))
        if pattern is not None and pattern.fullmatch(value) is None:
            template = FORMS.get(pattern.pattern, N_("%(value)s is not of the form %(pattern)s"))
            self.add(path, problem("pattern", template,
                                   value=repr(value), pattern=pattern.pattern))
        return value

    def fraction(self, value: Any, path: str) -> Fraction:
        if self.absent(value):
            return (0, 1)
        if type(value) not in (list, tuple) or len(value) != 2:
            self.add(path, problem("not_fraction", N_("must be a fraction [num, den]")))
            return (0, 1)
        num, den = value
        if type(num) is not int or type(den) is not int:
            self.add(path, problem("fraction_integers",
                                   N_("numerator and denominator must be integers")))
            return (0, 1)
        if not 1 <= den <= 1_000_000 or not 0 <= num <= den:
            self.add(path, problem(
                "fraction_range",
                N_("must satisfy 0 <= num <= den, 1 <= den <= 1000000, got %(num)s/%(den)s"),
                num=num, den=den))
            return (0, 1)
        return (num, den)

    def article_ref(self, value: Any, path: str, known: Mapping[str, Any]) -> str:
        ref = self.str_(value, path, ARTICLE_RE)
        if known and ref and ARTICLE_RE.fullmatch(ref) and ref not in known:
            self.add(path, problem("article_unknown",
                                   N_("cites %(ref)s, which is not among the articles"),
                                   ref=repr(ref)))
        return ref
