"""The JSON API for client apps. Described by /api/openapi.json.

Authentication: a personal API token (`Authorization: Bearer ot_...`), or the browser session
with the CSRF token in an `X-CSRFToken` header. Token requests carry no cookies, so they are
exempt from CSRF; session requests are not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import select
from wtforms import ValidationError

from app.accounts.models import User
from app.accounts.services import api_token_owner, user_for_api_token
from app.api.openapi import openapi_document
from app.core.db_types import utcnow
from app.core.extensions import csrf, db
from app.growth import ledger
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.proposals.spec import options_of
from app.results import service as results
from app.secret import casting
from app.voting import service as voting

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

F = TypeVar("F", bound=Callable[..., Any])


def _api_user() -> User | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return user_for_api_token(header[len("Bearer ") :].strip())
    if current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except ValidationError:
                abort(400, description="CSRF token missing or invalid (send it as X-CSRFToken)")
        user: User = current_user._get_current_object()  # type: ignore[attr-defined]
        return user
    return None


def auth_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = _api_user()
        if user is None:
            abort(401, description="authentication required: a Bearer API token or a session")
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def proposal_json(p: Proposal) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind,
        "title": p.title,
        "body": p.body,
        "state": p.state,
        "method": p.method,
        "options": options_of(p),
        "seats": p.seats,
        "weight_rule": p.weight_rule,
        "eligibility_min": p.eligibility_min,
        "quorum": {"num": p.quorum_num, "den": p.quorum_den},
        "threshold": {"num": p.threshold_num, "den": p.threshold_den},
        "opens_at": p.opens_at.strftime("%Y-%m-%dT%H:%M:%SZ") if p.opens_at else None,
        "closes_at": p.closes_at.strftime("%Y-%m-%dT%H:%M:%SZ") if p.closes_at else None,
        "charter_version": p.charter_version,
        "secrecy": p.secrecy,
        "roll": {"size": p.roll_size, "total_weight": p.roll_total_weight}
        if p.roll_size is not None
        else None,
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/proposals")
def list_proposals() -> Response:
    query = select(Proposal).where(Proposal.state != "draft").order_by(Proposal.created_at.desc())
    state = request.args.get("state")
    if state:
        query = query.where(Proposal.state == state)
    return jsonify([proposal_json(p) for p in db.session.scalars(query.limit(500))])


@bp.get("/proposals/<proposal_id>")
def get_proposal(proposal_id: str) -> Response:
    proposal = proposals.get(proposal_id)
    if proposal is None or proposal.state == "draft":
        abort(404, description="no such proposal")
    return jsonify(proposal_json(proposal))


@bp.get("/proposals/<proposal_id>/my-weight")
@auth_required
def my_weight(proposal_id: str) -> Response:
    entry = voting.roll_entry_for(proposal_id, g.api_user.id)
    if entry is None:
        abort(404, description="you are not on the roll of this vote")
    return jsonify({"proposal": proposal_id, "token": entry.token, "weight": int(entry.weight)})


def _caster_id() -> int:
    """The casting owner's id: for a Bearer token, one indexed lookup and no User object."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user_id = api_token_owner(header[len("Bearer ") :].strip())
    else:
        user = _api_user()
        user_id = user.id if user is not None else None
    if user_id is None:
        abort(401, description="authentication required: a Bearer API token or a session")
    return int(user_id)


@bp.post("/proposals/<proposal_id>/ballots")
def cast(proposal_id: str) -> tuple[Response, int]:
    owner_id = _caster_id()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "selection" not in body:
        abort(400, description='send JSON {"selection": [option id, ...]}')
    try:
        receipt = voting.cast(proposal_id, owner_id, body["selection"])
    except voting.VoteRefused as exc:
        return jsonify({"error": str(exc), "status": 422}), 422
    return jsonify(receipt), 201


@bp.get("/me")
@auth_required
def me() -> Response:
    user = g.api_user
    return jsonify(
        {
            "id": user.id,
            "display_name": user.display_name,
            "role": user.role,
            "vehicle_count": user.vehicle_count,
            "growth_value": ledger.balance(user.id, utcnow()),
        }
    )


@bp.get("/me/receipts")
@auth_required
def my_receipts() -> Response:
    rows = voting.receipts_of(g.api_user.id)
    return jsonify([
        {"receipt": casting.receipt_of(b, p.id) if p.secrecy == "secret"
         else voting.receipt_of(b, p.id), "counts": live}
        for p, b, live in rows
    ])


@bp.get("/results/<proposal_id>")
def result(proposal_id: str) -> Response:
    row = results.current_result(proposal_id)
    if row is None:
        abort(404, description="no sealed result for this proposal")
    return jsonify(
        {
            "result": json.loads(row.result_json),
            "digest": row.digest,
            "files": {
                name: f"/results/{proposal_id}/{name}"
                for name in ("result.json", "roll.jsonl", "ballots.jsonl")
            },
        }
    )
