"""Language choice: the user's saved choice, else a cookie, else the browser's preference."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import has_request_context, request
from flask_login import current_user

LOCALES = ("zh_Hans_CN", "en")
LOCALE_NAMES = {"zh_Hans_CN": "中文", "en": "English"}
COOKIE = "locale"


def select_locale() -> str:
    if not has_request_context():  # the CLI, cron and demo: logs and messages in English
        return "en"
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in LOCALES:
        return str(user_locale)
    cookie = request.cookies.get(COOKIE)
    if cookie in LOCALES:
        return str(cookie)
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    if best and best.startswith("zh"):
        return "zh_Hans_CN"
    return "en"


DEFAULT_TIMEZONE = "Asia/Shanghai"
TZ_COOKIE = "tz"
# The zones offered to readers: where owners of a Chinese brand live and travel.
TIMEZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
)


def valid_timezone(name: str | None) -> bool:
    if not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def select_timezone() -> str:
    """The reader's zone: their saved choice, else a cookie, else the trust's (Asia/Shanghai).

    Every time shown names its zone, so a reader abroad is never misled by the default.
    """
    if not has_request_context():
        return DEFAULT_TIMEZONE
    saved = getattr(current_user, "timezone", None) if current_user else None
    if valid_timezone(saved):
        return str(saved)
    cookie = request.cookies.get(TZ_COOKIE)
    if valid_timezone(cookie):
        return str(cookie)
    return DEFAULT_TIMEZONE


def in_chinese() -> bool:
    from flask_babel import get_locale

    locale = get_locale()
    return bool(locale) and str(locale).startswith("zh")


def purpose_name(purpose: Any) -> str:
    """A charter purpose carries both names (name_en, name_zh); show the one for the reader."""
    return str(purpose.name_zh if in_chinese() else purpose.name_en)
