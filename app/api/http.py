"""What every API answer shares: problem details, validation, one pagination helper, ETags."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import Response, abort, request, url_for
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, func, select

from app.api.schemas import Links, PageQuery, Problem
from app.core.extensions import db

M = TypeVar("M", bound=BaseModel)
PROBLEM_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Too large",
    422: "Refused",
    429: "Too many requests",
    500: "Internal server error",
}


def problem(status: int, detail: str, **extra: Any) -> Response:
    """An RFC 9457 problem-details answer (application/problem+json)."""
    body = Problem(title=TITLES.get(status, str(status)), status=status, detail=detail,
                   error=detail, **extra)
    return Response(body.model_dump_json(exclude_none=True), status=status,
                    mimetype=PROBLEM_TYPE)


class ApiRefusal(Exception):
    """Raised inside a view to answer with a problem; the blueprint's handler turns it into one."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def _errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "reason": e["msg"]}
            for e in exc.errors(include_url=False, include_context=False, include_input=False)]


def query_of(model: type[M]) -> M:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise ApiRefusal(400, "invalid query parameters", errors=_errors(exc)) from None


def body_of(model: type[M]) -> M:
    """The JSON body validated against `model`: 400 with the fields at fault otherwise."""
    data = request.get_data(cache=False)
    try:
        return model.model_validate_json(data or b"null")
    except ValidationError as exc:
        raise ApiRefusal(400, "the body does not match the schema", errors=_errors(exc)) from None


def json_response(model: BaseModel, status: int = 200, *, conditional: bool = False) -> Response:
    response = Response(model.model_dump_json(by_alias=True), status=status,
                        mimetype="application/json")
    if conditional:
        # Strong ETag of the exact bytes; Cache-Control no-cache makes a client revalidate.
        response.add_etag()
        response.headers["Cache-Control"] = "public, no-cache"
        response.make_conditional(request)
    return response


def paginate(query: Select[Any], args: PageQuery, convert: Callable[[Sequence[Any]], list[Any]],
             page_model: type[M], **view_args: Any) -> M:
    """One page of `query` in `page_model`'s envelope, with self/first/prev/next links."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    offset = (args.page - 1) * args.per_page
    rows = db.session.execute(query.limit(args.per_page).offset(offset)).all()
    items = convert([row[0] if len(row) == 1 else row for row in rows])
    extra = {k: v for k, v in request.args.items() if k not in ("page", "per_page")}

    def link(page: int) -> str:
        return url_for(request.endpoint or "", page=page, per_page=args.per_page,
                       **view_args, **extra)

    links = Links(self=link(args.page), first=link(1),
                  prev=link(args.page - 1) if args.page > 1 else None,
                  next=link(args.page + 1) if offset + len(items) < (total or 0) else None)
    return page_model(items=items, total=total or 0, page=args.page, per_page=args.per_page,
                      links=links)


def not_found(what: str) -> None:
    abort(404, description=f"no such {what}")
