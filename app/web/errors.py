"""Error pages that say what happened, in the user's language; JSON for machine clients."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.core.extensions import db

JSON_PREFIXES = ("/api/", "/results/", "/log/", "/.well-known/")


def _wants_json() -> bool:
    path = request.path
    if path.startswith("/results/") and path.endswith("/"):
        return False
    return path.startswith(JSON_PREFIXES) or request.accept_mimetypes.best == "application/json"


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Nothing was changed.")),
        403: (_("Not allowed"), _("Your account does not have the role this page needs.")),
        404: (_("Not found"), _("There is nothing at this address.")),
        405: (_("Method not allowed"), _("This address does not accept that kind of request.")),
        413: (_("Too large"), _("What you sent is larger than the trust accepts.")),
        429: (_("Too many requests"), _("Please wait a minute and try again.")),
        500: (
            _("Something went wrong"),
            _("An error on our side stopped this request. Nothing was changed; please try again."),
        ),
    }


def problem_json(code: int, title: str, detail: str) -> Response:
    """RFC 9457 problem details; `error` repeats `detail` for clients of the first API."""
    body = {"type": "about:blank", "title": title, "status": code, "detail": detail,
            "error": detail}
    response = jsonify(body)
    response.status_code = code
    response.mimetype = "application/problem+json"
    return response


def _render(code: int, detail: str | None = None) -> tuple[Response | str, int]:
    title, message = _messages().get(code, (str(code), detail or ""))
    if _wants_json():
        return problem_json(code, str(title), detail or str(message)), code
    return render_template("errors/error.html", title=title, message=detail or message), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[Response | str, int]:
        detail = _(
            "The form had expired or did not come from this site, so nothing was changed. "
            "Go back, reload the page and send it again."
        )
        if _wants_json():
            return problem_json(400, "Bad request", "CSRF token missing or invalid"), 400
        return render_template("errors/error.html", title=_("Form expired"), message=detail), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response | str, int]:
        code = error.code or 500
        generic = error.description == type(error).description
        return _render(code, None if generic else error.description)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response | str, int]:
        db.session.rollback()
        app.logger.exception("unhandled error", exc_info=error)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        return _render(InternalServerError.code)
