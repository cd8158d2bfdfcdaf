"""Template helpers: locale-aware numbers, money and dates, and labels for stored codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.web.i18n import LOCALE_NAMES
from app.web.text import render_markdown

STATE_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "cosigned": _l("Co-signed"),
    "accepted": _l("Accepted"),
    "scheduled": _l("Scheduled"),
    "voting": _l("Voting"),
    "closed": _l("Closed"),
    "sealed": _l("Sealed"),
    "superseded": _l("Superseded"),
    "withdrawn": _l("Withdrawn"),
    "rejected": _l("Rejected"),
}
OUTCOME_LABELS = {
    "passed": _l("Passed"),
    "rejected": _l("Rejected"),
    "decided": _l("Decided"),
    "tie": _l("Tie"),
    "no_quorum": _l("No quorum"),
}
KIND_LABELS = {
    "general": _l("General"),
    "spending": _l("Spending"),
    "charter_amendment": _l("Charter amendment"),
    "community_scheme": _l("Community certification scheme"),
    "council_election": _l("Council election"),
    "poll": _l("Owner poll"),
}
METHOD_LABELS = {
    "binary": _l("Yes / no"),
    "single": _l("Single choice"),
    "approval": _l("Approval (several seats)"),
}
OPTION_LABELS = {"yes": _l("Yes"), "no": _l("No"), "abstain": _l("Abstain")}


def number(value: Any) -> str:
    return format_decimal(value) if value is not None else "—"


def yuan(fen: int | None) -> str:
    """Integer fen shown as yuan with two decimals, grouped per locale (never via float)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{format_decimal(whole)}.{cents:02d}"


def when(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value is not None else "—"


def current_locale_code() -> str:
    return str(get_locale() or "en")


def current_locale_tag() -> str:
    return "zh-Hans-CN" if current_locale_code().startswith("zh") else "en"


def option_label(option_id: str, label: str) -> str:
    return str(OPTION_LABELS.get(option_id, label))


def register_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        number=number,
        yuan=yuan,
        when=when,
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
    )
