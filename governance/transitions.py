"""What the state machines share: who acts, the record of a step, and the refusal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from governance.refusals import Reason, Refusal

ACTOR_ROLES = ("owner", "council", "admin", "system")


@dataclass(frozen=True)
class Actor:
    """Who asks for a step. ``id`` is a user id; only the system acts without one."""

    id: int | None
    roles: frozenset[str]

    def __post_init__(self) -> None:
        unknown = self.roles - set(ACTOR_ROLES)
        if unknown or not self.roles:
            raise ValueError(f"actor roles must be among {', '.join(ACTOR_ROLES)}")
        if self.id is None and self.roles != {"system"}:
            raise ValueError("only the system acts without a user id")

    @classmethod
    def system(cls) -> Actor:
        return cls(None, frozenset({"system"}))

    @classmethod
    def user(cls, user_id: int, *roles: str) -> Actor:
        return cls(user_id, frozenset(roles or ("owner",)))

    def has(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class TransitionRecord:
    """What the app stores for every step (e.g. as a ProposalEvent row)."""

    actor_id: int | None
    action: str
    from_state: str
    to_state: str
    reason: str


@dataclass(frozen=True)
class Transition:
    state: str
    record: TransitionRecord


class TransitionError(Refusal):
    """An illegal step; the message names the state, the action and why.

    ``why`` is a ``Reason`` (code, template, parameters, article) so the app can say it in the
    reader's language; a plain string is accepted for reasons with nothing to translate.
    """

    def __init__(self, state: str, action: str, why: Reason | str) -> None:
        reason = why if isinstance(why, Reason) else Reason("transition.refused", why)
        super().__init__(
            reason.code,
            reason.template,
            article=reason.article,
            article_text=reason.article_text,
            **dict(reason.params),
        )
        self.state = state
        self.action = action
        self.why = reason.english()
        ValueError.__init__(self, f"cannot {action!r} in state {state!r}: {self.why}")


def require_aware(value: datetime | None, name: str) -> None:
    # Comparing naive with aware times raises deep inside; naive ones are refused up front.
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware")
