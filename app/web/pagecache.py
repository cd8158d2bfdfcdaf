"""Whole public pages rendered once for signed-out readers: the result page under load.

A page is cached only under a key naming everything it shows (the caller's job: the sealed
result's digest, language, time zone, host and path), and only for a reader who is signed out
and has no message waiting. For such readers the one thing that differs is the CSRF token of the
footer's language form: it is cut out of the stored copy and each reader's own put back in.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

_PAGES: dict[Hashable, tuple[str, ...]] = {}
MAX_PAGES = 256


def for_signed_out(key: Hashable, render: Callable[[], str]) -> str:
    if current_user.is_authenticated or session.get("_flashes"):
        return render()
    token = generate_csrf()
    parts = _PAGES.get(key)
    if parts is None:
        parts = tuple(render().split(token))
        if len(_PAGES) >= MAX_PAGES:
            _PAGES.clear()
        _PAGES[key] = parts
    return token.join(parts)
