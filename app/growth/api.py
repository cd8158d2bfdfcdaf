"""The growth-value import API, for the brand's systems.

    POST /api/growth/import
    Authorization: Bearer <TRUST_IMPORT_API_TOKEN>

The body is one of:

* `application/json`: `{"source": "brand-crm", "entries": [{row}, ...]}`;
* `application/x-ndjson` (or `application/jsonl`): JSON Lines, with `?source=NAME`;
* `text/csv`: CSV with a header line, with `?source=NAME`.

`source` defaults to "brand-crm"; `?dry_run=1` checks without writing. Answers: 200
`{"rows", "inserted", "skipped", ...}`; 422 `{"error", "problems": [{"row", "field", "reason"}]}`
with nothing written; 400 for a body that cannot be parsed at all; 401 without the right token;
503 when no token is configured; 413 beyond MAX_CONTENT_LENGTH.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.audit.service import record_refusal
from app.core.extensions import csrf, db
from app.growth import imports

bp = Blueprint("growth_api", __name__, url_prefix="/api/growth")
csrf.exempt(bp)

JSON_TYPES = ("application/json",)
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
CSV_TYPES = ("text/csv",)


def _error(status: int, message: str, **extra: Any) -> tuple[Any, int]:
    """An RFC 9457 problem-details answer, like every other API error."""
    from app.web.errors import problem_json

    response = problem_json(status, _TITLES.get(status, str(status)), message)
    if extra:
        response.set_data(json.dumps({**response.get_json(), **extra}))
    return response, status


_TITLES = {400: "Bad request", 401: "Authentication required", 413: "Too large",
           415: "Unsupported media type", 422: "Refused", 503: "Service unavailable"}


def _authorised() -> tuple[Any, int] | None:
    """None when the request carries the configured token; otherwise the error response."""
    expected = current_app.config.get("TRUST_IMPORT_API_TOKEN")
    if not expected:
        return _error(
            503,
            "the growth import API is disabled: TRUST_IMPORT_API_TOKEN is not configured",
        )
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        message = "missing bearer token (Authorization: Bearer <token>)"
    elif not hmac.compare_digest(given.strip().encode(), str(expected).encode()):
        message = "wrong bearer token"
    else:
        return None
    record_refusal("growth.import", actor_id=None, subject="api", reason=message)
    response, _status = _error(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="growth-import"'
    return response, 401


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


@bp.post("/import")
def import_entries() -> tuple[Any, int]:
    denied = _authorised()
    if denied is not None:
        return denied

    mimetype = request.mimetype
    source: Any = request.args.get("source") or imports.DEFAULT_SOURCE
    if mimetype in JSON_TYPES:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, "the body is not a JSON object")
        entries = body.get("entries")
        if not isinstance(entries, list):
            return _error(400, 'the body needs "entries": a list of row objects')
        unknown = sorted(set(body) - {"source", "entries", "dry_run"})
        if unknown:
            return _error(400, f"unknown keys in the body: {', '.join(unknown)}")
        source = body.get("source", source)
        dry_run = body.get("dry_run") is True or _flag("dry_run")
        parsed = imports.read_objects(entries, hashlib.sha256(request.get_data()).hexdigest())
    elif mimetype in JSONL_TYPES or mimetype in CSV_TYPES:
        data = request.get_data(cache=False)
        kind = "csv" if mimetype in CSV_TYPES else "jsonl"
        parsed = imports.parse_bytes(data, kind)
        dry_run = _flag("dry_run")
    else:
        return _error(
            415,
            "send application/json, application/x-ndjson or text/csv",
        )

    report = imports.import_entries(parsed, source, dry_run=dry_run, via="api")
    db.session.commit()
    if not report.ok:
        return _error(
            422,
            f"rejected: {len(report.problems)} problem(s); nothing was written",
            problems=[problem.as_dict() for problem in report.problems],
            rows=report.rows,
        )
    return jsonify(report.as_dict()), 200


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> tuple[Any, int]:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return _error(413, f"the body is larger than the limit of {limit} bytes; split the import")
