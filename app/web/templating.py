"""Template helpers: locale-aware numbers, money and dates, and labels for stored codes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask_babel import format_datetime, format_decimal, get_locale, get_timezone
from markupsafe import Markup

from app.web import labels, own_words, subjects
from app.web.i18n import LOCALE_NAMES, TIMEZONES
from app.web.text import render_markdown

# One mapping per kind of code lives in app.web.labels; these names stay for existing callers.
STATE_LABELS = labels.PROPOSAL_STATES
OUTCOME_LABELS = labels.OUTCOMES
KIND_LABELS = labels.PROPOSAL_KINDS
METHOD_LABELS = labels.METHODS
OPTION_LABELS = labels.OPTIONS


def number(value: Any) -> str:
    return format_decimal(value) if value is not None else "—"


def yuan(fen: int | None) -> str:
    """Integer fen shown as yuan with two decimals, grouped per locale (never via float)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{format_decimal(whole)}.{cents:02d}"


def when_text(value: datetime | None, fmt: str = "medium") -> str:
    """A time in the reader's zone, naming the zone ("2026年3月1日 12:30:00 中国标准时间")."""
    if value is None:
        return "—"
    return f"{format_datetime(value, fmt)} {format_datetime(value, 'zzzz')}"


def when(value: datetime | None, fmt: str = "medium") -> Markup:
    """``when_text`` in a ``<time>`` element carrying the instant in UTC for machines."""
    if value is None:
        return Markup("—")
    instant = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{}">{}</time>').format(instant, when_text(value, fmt))


def current_locale_code() -> str:
    return str(get_locale() or "en")


def current_locale_tag() -> str:
    return "zh-Hans-CN" if current_locale_code().startswith("zh") else "en"


def option_label(option_id: str, label: str) -> str:
    return str(OPTION_LABELS.get(option_id, label))


def weight_rule_words(spec: str, minimum: int = 0) -> str:
    """A weight rule as a reader says it, e.g. "sqrt;min=100": "the square root of the growth
    value (owners with at least 100 points)". An unknown string is shown as it is."""
    from flask_babel import gettext

    from ballots.weights import parse_weight_rule

    try:
        rule = parse_weight_rule(spec, minimum)
    except ValueError:
        return spec
    words = {
        "linear": gettext("one vote per point of growth value"),
        "sqrt": gettext("the square root of the growth value, rounded down"),
        "equal": gettext("one vote per owner, whatever their growth value"),
        "capped": gettext("one vote per point of growth value, at most %(cap)s",
                          cap=format_decimal(rule.cap or 0)),
    }[rule.name]
    if rule.minimum:
        words += gettext(" (owners with at least %(n)s points of growth value)",
                         n=format_decimal(rule.minimum))
    return words


def in_language(english: str | None, chinese: str | None) -> tuple[str, str | None]:
    """Pick the text for the reader and say its language when it differs from the page's:
    ``(text, lang)`` where ``lang`` is None when the text is in the reader's language."""
    reader_zh = current_locale_code().startswith("zh")
    if reader_zh and chinese:
        return chinese, None
    if reader_zh:
        return english or "", "en"
    return english or chinese or "", None if english else "zh-Hans-CN"


def zone_name(zone: str) -> str:
    """A zone as the reader calls it ("中国标准时间 · Asia/Shanghai")."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime as babel_datetime

    name = babel_datetime(datetime.now(UTC), "zzzz", tzinfo=ZoneInfo(zone),
                          locale=current_locale_code())
    return f"{name} · {zone}"


def register_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        number=number,
        yuan=yuan,
        when=when,
        weight_rule_words=weight_rule_words,
        # nh3 has already sanitised the HTML; marking it safe is what that step is for.
        markdown=lambda text: Markup(render_markdown(text)),  # noqa: S704
    )
    app.jinja_env.globals.update(
        locale_names=LOCALE_NAMES,
        current_locale_code=current_locale_code,
        current_locale_tag=current_locale_tag,
        state_label=lambda s: STATE_LABELS.get(s, s),
        outcome_label=lambda s: OUTCOME_LABELS.get(s, s),
        kind_label=lambda s: KIND_LABELS.get(s, s),
        method_label=lambda s: METHOD_LABELS.get(s, s),
        option_label=option_label,
        motion_kind_label=lambda s: labels.MOTION_KINDS.get(s, s),
        motion_state_label=lambda s: labels.MOTION_STATES.get(s, s),
        choice_label=lambda s: labels.CHOICES.get(s, s),
        community_state_label=lambda s: labels.COMMUNITY_STATES.get(s, s),
        disbursement_state_label=lambda s: labels.DISBURSEMENT_STATES.get(s, s),
        code_label=labels.label,
        subject_words=subjects.words_html,
        subject_link=subjects.link,
        account_words=subjects.account,
        account_link=subjects.account_link,
        own_words=lambda text: own_words.marked(text, current_locale_tag()),
        lang_attr=lambda text: own_words.lang_attr(text, current_locale_tag()),
        in_language=in_language,
        timezones=TIMEZONES,
        current_timezone=lambda: str(get_timezone()),
        zone_name=zone_name,
    )
