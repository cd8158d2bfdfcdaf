"""One shape for every "no" the rules give: a stable code, a message template, its parameters
and the charter article that says so.

The template is English with ``%(name)s`` placeholders and is marked with ``N_`` so the app's
translation catalogue extracts it; the app shows it in the reader's language by translating the
template and then filling in the parameters (dates in the reader's zone, article text from the
charter version in the reader's language). ``str()`` stays English for logs, the CLI and cron.

The code is what callers and tests match on; the words may change, the code does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

# A tuple is a list of codes (the choices a rule allows): English joins them, the app names each.
Param = str | int | datetime | tuple[str, ...]


def N_(message: str) -> str:  # noqa: N802 - the name gettext extractors look for
    """Mark ``message`` for extraction into the translation catalogue; return it unchanged."""
    return message


def _fill(template: str, params: Mapping[str, Param]) -> str:
    if not params:
        return template
    # Parameters the template does not name are for programs (tests, the API), not readers.
    shown = {k: _english(k, v) for k, v in params.items()}
    return template % shown


def _english(name: str, value: Param) -> str | int:
    # Parameters named ``*_fen`` are money, shown in yuan; the app formats them per locale.
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    if name.endswith("_fen") and type(value) is int:
        sign = "-" if value < 0 else ""
        whole, cents = divmod(abs(value), 100)
        return f"{sign}RMB {whole:,}.{cents:02d}"
    return value


def fill(template: str, params: Mapping[str, Param]) -> str:
    """The English message: ``template`` with ``params`` filled in."""
    return _fill(template, params)


@dataclass(frozen=True)
class Reason:
    """Why a step is refused, before it is raised: guards return one (or None for yes)."""

    code: str
    template: str
    params: Mapping[str, Param] = field(default_factory=dict)
    article: str = ""
    article_text: str = ""

    def english(self) -> str:
        text = _fill(self.template, self.params)
        if self.article:
            if self.article_text:
                return f'{text} ({self.article}: "{self.article_text}")'
            return f"{text} ({self.article})"
        return text

    def __str__(self) -> str:
        return self.english()


class Refusal(ValueError):
    """Base of every domain refusal. Subclasses name the area (motions, treasury, ...)."""

    def __init__(
        self,
        code: str,
        template: str,
        *,
        article: str = "",
        article_text: str = "",
        **params: Param,
    ) -> None:
        self.reason = Reason(code, template, dict(params), article, article_text)
        super().__init__(self.reason.english())

    @classmethod
    def of(cls, reason: Reason) -> Refusal:
        return cls(
            reason.code,
            reason.template,
            article=reason.article,
            article_text=reason.article_text,
            **dict(reason.params),
        )

    @property
    def code(self) -> str:
        return self.reason.code

    @property
    def template(self) -> str:
        return self.reason.template

    @property
    def params(self) -> Mapping[str, Param]:
        return self.reason.params

    @property
    def article(self) -> str:
        return self.reason.article


class Cites(Protocol):
    """What ``cite`` needs of the charter's rules (``CharterRules`` has it)."""

    def article_ref(self, key: str) -> str: ...

    def article_text(self, ref: str) -> str: ...


def cite(rules: Cites, key: str) -> dict[str, str]:
    """``article=`` and ``article_text=`` keyword arguments for rule ``key`` of ``rules``."""
    ref = rules.article_ref(key)
    return {"article": ref, "article_text": rules.article_text(ref)}


class Problem(str):
    """One field's problem: the English message as a ``str`` (logs, tests, the API), with the
    ``reason`` behind it so the app can say it in the reader's language."""

    reason: Reason

    def __new__(
        cls,
        code: str,
        template: str,
        *,
        article: str = "",
        article_text: str = "",
        **params: Param,
    ) -> Problem:
        reason = Reason(code, template, dict(params), article, article_text)
        made = super().__new__(cls, reason.english())
        made.reason = reason
        return made
