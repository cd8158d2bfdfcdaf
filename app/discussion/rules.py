"""Limits of discussion, in one place."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from flask_babel import gettext as _

EDIT_WINDOW = timedelta(minutes=10)
BODY_MAX = 10_000
REASON_MAX = 1_000
MAX_DEPTH = 4  # replies nest this deep; deeper replies join the deepest level
# Flooding: at most this many comments per window per owner (counted in the database, so the
# limit holds across every worker and host).
RATE = ((timedelta(minutes=1), 5), (timedelta(hours=1), 30), (timedelta(days=1), 100))
DISCUSSED_STATES = ("draft", "submitted", "scheduled", "voting")
AMENDABLE_STATES = ("draft",)


def text_problem(text: str, limit: int = BODY_MAX, *, required: bool = True) -> str | None:
    """Why an owner's text is refused, or None. Refused whole, never silently cleaned."""
    if required and not text.strip():
        return _("Write something first.")
    if len(text) > limit:
        most, given = format(limit, ","), format(len(text), ",")
        return _("At most %(max)s characters, please (this is %(n)s).", max=most, n=given)
    for ch in text:
        if ch in "\n\t\r":
            continue
        category = unicodedata.category(ch)
        if category == "Cc" or (category == "Cf" and ch not in "\u200d\u200c"):
            code = format(ord(ch), "04X")
            return _("The text contains a control or invisible formatting character "
                     "(U+%(code)s); remove it and try again.", code=code)
    return None
