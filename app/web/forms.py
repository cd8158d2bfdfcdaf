"""The base of every form: control and bidirectional-override characters refused at the field.

ESC, BEL or DEL in a title can corrupt a terminal that prints the audit trail, and a
right-to-left override makes "gpj.exe" read as "exe.jpg": visual spoofing of names, titles and
amounts. A single-line field refuses every control character (including tab and newline) and
every invisible direction control; a multi-line field keeps tab and newlines, which prose
needs, and refuses the rest. Passwords are never shown, so they are left as typed.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

# Embeddings, overrides, isolates and marks that change how the text around them displays.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")
LINE_SEPARATORS = frozenset("\u2028\u2029\u0085")
PROSE_KEEPS = frozenset("\t\n\r")


def forbidden_in(text: str, *, multi_line: bool) -> str | None:
    """The first character a field of this kind refuses, or None."""
    for char in text:
        if char in BIDI_CONTROLS:
            return char
        if multi_line and char in PROSE_KEEPS:
            continue
        if char in LINE_SEPARATORS or unicodedata.category(char) == "Cc":
            return char
    return None


def describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


class TrustForm(FlaskForm):  # type: ignore[misc]
    """Every form in the app derives from this (a test checks that none is missed)."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for field in self:
            if isinstance(field, PasswordField) or not isinstance(field, StringField):
                continue
            data = field.data
            if not isinstance(data, str):
                continue
            char = forbidden_in(data, multi_line=isinstance(field, TextAreaField))
            if char is not None:
                field.errors = [*field.errors, str(_l(
                    "This field may not contain the invisible or control character "
                    "%(char)s: retype the text without it.", char=describe(char)))]
                valid = False
        return valid
