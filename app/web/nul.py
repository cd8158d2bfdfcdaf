"""Refuse any request that carries a NUL character in text, before a view sees it.

PostgreSQL text cannot hold U+0000 (the driver raises DataError, a 500) while SQLite stores it,
so one check here keeps both databases behaving the same for every form, URL, query string and
JSON body, including views that build queries from path or query values. File contents are not
text and are left alone; the growth-import readers refuse control characters row by row.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Request, abort, request
from flask_babel import gettext as _

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Views that check their own body and answer with a problem per row and field.
BODY_CHECKED_BY_VIEW = frozenset({"growth_api.import_entries"})


def contains_nul(value: Any) -> bool:
    """Whether a decoded JSON value holds NUL in any string, key or nested value."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


def _json_has_nul(req: Request) -> bool:
    data = req.get_data(cache=True)
    # Cheap byte scan first; only a possible hit pays for a parse (a literal "\\u0000" is text).
    if b"\\u0000" not in data and b"\x00" not in data:
        return False
    if b"\x00" in data:
        return True
    try:
        return contains_nul(json.loads(data))
    except ValueError:
        return False  # not JSON at all: the view answers that


def request_has_nul() -> bool:
    # The plain object, not the proxy: each proxied attribute costs about a microsecond, and
    # this runs before every request, API casts included.
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    if NUL in req.path:
        return True
    query = req.query_string
    if (b"%00" in query or b"\x00" in query) and any(
        NUL in k or NUL in v for k, v in req.args.items(multi=True)
    ):
        return True
    if req.method in ("GET", "HEAD", "OPTIONS") or req.endpoint in BODY_CHECKED_BY_VIEW:
        return False
    mimetype = req.mimetype
    if mimetype in FORM_TYPES:
        if any(NUL in k or NUL in v for k, v in req.form.items(multi=True)):
            return True
        return any(NUL in k or NUL in (f.filename or "") for k, f in req.files.items(multi=True))
    if mimetype == "application/json" or mimetype.endswith("+json"):
        return _json_has_nul(req)
    return False


def register_nul_guard(app: Flask) -> None:
    @app.before_request
    def _refuse_nul() -> None:
        if request_has_nul():
            abort(400, description=_("Text may not contain NUL characters (U+0000). "
                                     "Nothing was changed."))
