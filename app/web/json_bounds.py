"""JSON size and nesting limits, checked on the raw bytes before anything parses them.

Python's json module recurses once per nesting level: `[` pasted 9,000 times raised
RecursionError (an anonymous 500) in /verify, the ballot API and the import API. No document
this app accepts nests deeper than a few levels, so anything beyond MAX_DEPTH is refused with
a 400 that says so, and bodies larger than their endpoint needs with a 413, both before a
parse (app/core/json_depth.py counts the depth).
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask_babel import gettext as _

from app.core.json_depth import MAX_DEPTH, too_deep

DEFAULT_BODY = 1024 * 1024
# Largest JSON body each endpoint takes; others take DEFAULT_BODY. The import API's own limit
# is the app's MAX_CONTENT_LENGTH (an import is one request of up to a million rows).
BODY_LIMITS: dict[str, int | None] = {
    "api.cast": 16 * 1024,
    "growth_api.import_entries": None,
}


def depth_message() -> str:
    return _("The JSON nests deeper than %(depth)d levels; nothing was read.", depth=MAX_DEPTH)


def register_json_bounds(app: Flask) -> None:
    @app.before_request
    def _bound_json() -> None:
        mimetype = request.mimetype
        if request.method in ("GET", "HEAD", "OPTIONS") or not (
            mimetype == "application/json" or mimetype.endswith("+json")
        ):
            return
        limit = BODY_LIMITS.get(request.endpoint or "", DEFAULT_BODY)
        length = request.content_length
        if limit is not None and length is not None and length > limit:
            abort(413, description=_("The JSON body is larger than %(limit)d bytes; nothing "
                                     "was read.", limit=limit))
        data = request.get_data(cache=True)
        if limit is not None and len(data) > limit:
            abort(413, description=_("The JSON body is larger than %(limit)d bytes; nothing "
                                     "was read.", limit=limit))
        if too_deep(data):
            abort(400, description=depth_message())
