"""The protector's power over charter amendments: a delay, never a veto.

Rules JSON (optional; a charter without it lets a passed amendment take effect at once):

    "protector": {"role": "protector", "window_days": 7, "hold_days": 30, "article": "Art. 40.3"}

A passed amendment takes effect ``window_days`` after its result is sealed. Within that window
the seated holder of ``role`` may hold it once, publishing why; it then takes effect
``hold_days`` after the seal. The protector may also let it take effect at once, held or not.
The protector never stops an amendment: the owners' vote stands, only its start moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from governance.refusals import N_, Problem, Refusal
from governance.transitions import require_aware

# A year is the longest a passed amendment may wait: the protector delays, never buries.
MAX_DAYS = 365
STATES = ("pending", "held", "applied")


class ProtectorError(Refusal):
    """A step on a passed charter amendment that the charter does not allow."""


@dataclass(frozen=True)
class ProtectorRules:
    role: str = ""
    window_days: int = 0
    hold_days: int = 0
    article: str = ""

    @property
    def delays(self) -> bool:
        return bool(self.role) and self.window_days > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "window_days": self.window_days,
            "hold_days": self.hold_days,
            "article": self.article,
        }


def parse_protector(
    value: Any, add: Any, known_articles: Mapping[str, str], roles: tuple[str, ...]
) -> ProtectorRules:
    """Validate; ``add(path, message)`` collects problems as the charter checker does."""
    if value is None:
        return ProtectorRules()
    path = "$.protector"
    if not isinstance(value, Mapping) or set(value) != {
        "role", "window_days", "hold_days", "article"
    }:
        add(path, Problem("rules.protector_shape",
                          N_("must be {role, window_days, hold_days, article}")))
        return ProtectorRules()
    role, window, hold, article = (
        value["role"], value["window_days"], value["hold_days"], value["article"]
    )
    ok = True
    if role not in roles:
        add(f"{path}.role", Problem("rules.one_of", N_("must be one of %(choices)s"),
                                    choices=roles))
        ok = False
    if type(window) is not int or not 1 <= window <= MAX_DAYS:
        add(f"{path}.window_days", Problem(
            "rules.protector_window", N_("must be an integer from 1 to %(most)s"), most=MAX_DAYS))
        ok = False
    elif type(hold) is not int or not window < hold <= MAX_DAYS:
        add(f"{path}.hold_days", Problem(
            "rules.protector_hold", N_("must be an integer above window_days, at most %(most)s"),
            most=MAX_DAYS))
        ok = False
    if type(article) is not str or article not in known_articles:
        add(f"{path}.article", Problem("rules.article_missing",
                                       N_("must name an article of the charter")))
        ok = False
    if not ok:
        return ProtectorRules()
    return ProtectorRules(str(role), int(window), int(hold), str(article))


def takes_effect(passed_at: datetime, rules: ProtectorRules) -> datetime | None:
    """When an amendment sealed at ``passed_at`` takes effect unless held; None: at once."""
    require_aware(passed_at, "passed_at")
    if not rules.delays:
        return None
    return passed_at + timedelta(days=rules.window_days)


def window_ends(passed_at: datetime, rules: ProtectorRules) -> datetime:
    return passed_at + timedelta(days=rules.window_days)


def earliest(
    passed_at: datetime, held: bool, released_at: datetime | None, rules: ProtectorRules
) -> datetime:
    """The earliest an amendment may take effect, given what the protector did."""
    if released_at is not None:
        return released_at
    days = rules.hold_days if held else rules.window_days
    return passed_at + timedelta(days=days)


def _cite(rules: ProtectorRules, article_text: str) -> dict[str, str]:
    return {"article": rules.article, "article_text": article_text}


def check_hold(
    state: str,
    passed_at: datetime,
    now: datetime,
    reason: str,
    rules: ProtectorRules,
    article_text: str = "",
) -> None:
    """May the protector hold this amendment now? Raises ProtectorError if not."""
    require_aware(now, "now")
    cited = _cite(rules, article_text)
    if state == "applied":
        raise ProtectorError(
            "protector.applied", N_("the amendment has already taken effect"), **cited
        )
    if state == "held":
        raise ProtectorError(
            "protector.held_twice", N_("the amendment is already held; it is held once"), **cited
        )
    ends = window_ends(passed_at, rules)
    if now >= ends:
        raise ProtectorError(
            "protector.window_closed",
            N_("the protector's window to hold this amendment ended at %(deadline)s"),
            deadline=ends,
            **cited,
        )
    if not reason.strip():
        raise ProtectorError(
            "protector.reason", N_("say why the amendment is held: the reason is published"),
            **cited,
        )


def check_release(state: str, rules: ProtectorRules, article_text: str = "") -> None:
    if state == "applied":
        raise ProtectorError(
            "protector.applied", N_("the amendment has already taken effect"),
            **_cite(rules, article_text),
        )
