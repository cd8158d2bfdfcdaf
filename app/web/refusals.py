"""A domain refusal, told to the reader in their language: the one helper views use to say no.

``governance.refusals.Refusal`` (and the ``Violation`` lists the treasury collects) carry a code,
an English template, parameters and the charter article. Here the template is translated, the
parameters are shown the reader's way (times in their zone, money in yuan, stored codes as
words) and the article is quoted from the charter in force, in Chinese where it has Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from flask import flash, redirect
from flask_babel import gettext
from werkzeug.wrappers import Response

from app.core.extensions import db
from app.web.i18n import in_chinese
from app.web.labels import label
from governance.charter import Violation
from governance.refusals import Param, Reason, Refusal
from governance.transitions import TransitionError


def _param(name: str, value: Param) -> str:
    from app.web.templating import number, when_text, yuan

    if isinstance(value, tuple):
        # The choices a rule allows: named, with the code a rules field is written with.
        named = [f"{label(code)} ({code})" if label(code) != code else code for code in value]
        return ("、" if in_chinese() else ", ").join(named)
    if isinstance(value, datetime):
        return when_text(value)
    if type(value) is int:
        return yuan(value) if name.endswith("_fen") else number(value)
    return label(str(value))


def _article(ref: str, english_text: str) -> str:
    from app.charter import service as charter

    text = english_text
    try:
        rules = charter.current_rules()
        text = rules.article_text_in(ref, "zh" if in_chinese() else "en")
    except (charter.CharterError, KeyError):
        pass  # no charter yet, or an article since repealed: quote what the refusal carried
    if not text:
        return gettext("(%(article)s)", article=ref)
    return gettext("(%(article)s: “%(text)s”)", article=ref, text=text)


def say_reason(reason: Reason) -> str:
    """One reason in the reader's language, with its article quoted."""
    template = gettext(reason.template)
    shown = {k: _param(k, v) for k, v in reason.params.items()}
    try:
        text = template % shown if shown else template
    except (KeyError, ValueError, TypeError):
        # A translation that lost a placeholder must not turn a refusal into a crash.
        text = reason.template % shown if shown else reason.template
    if reason.article:
        text = f"{text} {_article(reason.article, reason.article_text)}"
    return text


def say_problem(message: str) -> str:
    """A field's problem (governance.refusals.Problem) in the reader's language; any other
    message as it is."""
    reason = getattr(message, "reason", None)
    return say_reason(reason) if isinstance(reason, Reason) else str(message)


def say(
    exc: BaseException, *, states: Mapping[str, Any] | None = None, lead: Any = None
) -> str:
    """Any refusal the services raise, as the reader should read it.

    ``states`` names the states of the thing refused (a proposal's, a community's) so a
    refused step can say which state it was in; ``lead`` (a translated template with
    ``%(state)s`` and ``%(why)s``) names the thing ("while the community is ...").
    """
    if isinstance(exc, TransitionError):
        why = say_reason(exc.reason)
        if states is not None:
            state = str(states.get(exc.state, label(exc.state)))
            if lead is not None:
                return str(lead) % {"state": state, "why": why}
            return gettext("Not possible while it is %(state)s: %(why)s", state=state, why=why)
        return why
    if isinstance(exc, Refusal) and not getattr(exc, "problems", None):
        return say_reason(exc.reason)
    inner = getattr(exc, "refusal", None)
    if isinstance(inner, BaseException):
        return f"{getattr(exc, 'lead', '')} {say(inner)}".strip()
    violations: Sequence[Violation] = getattr(exc, "violations", None) or ()
    if violations:
        head = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
        lead = getattr(exc, "lead", head)
        parts = [say_reason(v.reason()) for v in violations]
        return " ".join([str(lead), *parts]).strip()
    problems = getattr(exc, "problems", None) or []
    if problems:
        listed = "; ".join(say_problem(m) for _f, m in problems)
        head = say_reason(exc.reason) if isinstance(exc, Refusal) else str(exc)
        return gettext("%(message)s Problems: %(problems)s", message=head, problems=listed)
    return str(exc)


def _articles(exc: BaseException) -> list[str]:
    if isinstance(exc, Refusal) and exc.article:
        return [exc.article]
    return [v.article for v in getattr(exc, "violations", None) or () if v.article]


def refuse(
    exc: BaseException,
    *,
    states: Mapping[str, Any] | None = None,
    audit_as: tuple[str, str] | None = None,
    lead: Any = None,
) -> None:
    """Undo what the request did and tell the reader why (the page is then rendered again).

    ``audit_as`` is ``(action, subject)`` for refusals the audit trail keeps (money, powers):
    the attempt is recorded, in English, with its code and articles.
    """
    db.session.rollback()
    if audit_as is not None:
        from flask_login import current_user

        from app.audit import service as audit

        action, subject = audit_as
        audit.record_refusal(
            action,
            actor_id=getattr(current_user, "id", None),
            subject=subject,
            reason=str(exc),
            code=getattr(exc, "code", ""),
            articles=_articles(exc),
        )
    flash(say(exc, states=states, lead=lead), "error")


def refused(
    exc: BaseException,
    target: str,
    *,
    states: Mapping[str, Any] | None = None,
    audit_as: tuple[str, str] | None = None,
    lead: Any = None,
) -> Response:
    """``refuse`` and send the reader back to ``target``."""
    refuse(exc, states=states, audit_as=audit_as, lead=lead)
    return redirect(target)
