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
from app.api import schemas as S
from app.api.http import ApiRefusal, body_of, json_response, paginate, problem, query_of
from app.api.openapi import openapi_document
from app.api.spec import operation
from app.core.db_types import utcnow
from app.core.extensions import csrf
from app.growth import ledger
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.proposals.spec import options_of
from app.results import service as results
from app.secret import casting
from app.voting import service as voting

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)


@bp.errorhandler(ApiRefusal)
def _refused(exc: ApiRefusal) -> Response:
    return problem(exc.status, exc.detail, **exc.extra)

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


def optional_user() -> User | None:
    """Who calls a public read, if anyone: some reads show more to those entitled to it."""
    return _api_user()


def auth_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = _api_user()
        if user is None:
            abort(401, description="authentication required: a Bearer API token or a session")
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def proposal_out(p: Proposal) -> S.Proposal:
    return S.Proposal(
        id=p.id, kind=p.kind, title=p.title, body=p.body, state=p.state, method=p.method,
        options=[S.Option(**o) for o in options_of(p)], seats=p.seats,
        weight_rule=p.weight_rule, eligibility_min=p.eligibility_min,
        quorum=S.Fraction(num=p.quorum_num, den=p.quorum_den),
        threshold=S.Fraction(num=p.threshold_num, den=p.threshold_den),
        opens_at=p.opens_at, closes_at=p.closes_at, charter_version=p.charter_version,
        secrecy=p.secrecy,
        roll=S.Roll(size=p.roll_size, total_weight=p.roll_total_weight)
        if p.roll_size is not None else None,
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@operation(bp, "/proposals", "GET", "Proposals, newest first (drafts are never listed)",
           tag="proposals", response=S.ProposalPage, query=S.StateQuery, conditional=True)
def list_proposals() -> Response:
    args = query_of(S.StateQuery)
    query = select(Proposal).where(Proposal.state != "draft")
    if args.state:
        query = query.where(Proposal.state == args.state)
    query = query.order_by(Proposal.created_at.desc(), Proposal.id)
    page = paginate(query, args, lambda rows: [proposal_out(p) for p in rows], S.ProposalPage)
    return json_response(page, conditional=True)


@operation(bp, "/proposals/<proposal_id>", "GET", "One proposal", tag="proposals",
           response=S.Proposal, errors=(404,), conditional=True)
def get_proposal(proposal_id: str) -> Response:
    proposal = proposals.get(proposal_id)
    if proposal is None or proposal.state == "draft":
        abort(404, description="no such proposal")
    return json_response(proposal_out(proposal), conditional=True)


@operation(bp, "/proposals/<proposal_id>/my-weight", "GET",
           "Your frozen weight and pseudonymous token in this vote", tag="owner",
           response=S.MyWeight, auth=True, errors=(404,))
@auth_required
def my_weight(proposal_id: str) -> Response:
    entry = voting.roll_entry_for(proposal_id, g.api_user.id)
    if entry is None:
        abort(404, description="you are not on the roll of this vote")
    return json_response(S.MyWeight(proposal=proposal_id, token=entry.token,
                                    weight=int(entry.weight)))


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


@operation(bp, "/proposals/<proposal_id>/ballots", "POST",
           "Cast or replace your ballot; returns the signed receipt", tag="owner",
           body=S.CastRequest, response=S.Receipt, status=201, auth=True, errors=(422,))
def cast(proposal_id: str) -> Response:
    owner_id = _caster_id()
    ballot = body_of(S.CastRequest)
    try:
        receipt = voting.cast(proposal_id, owner_id, ballot.selection)
    except voting.VoteRefused as exc:
        return problem(422, str(exc))
    return json_response(S.Receipt.model_validate(receipt), 201)


@operation(bp, "/me", "GET", "Your account and current growth value", tag="owner",
           response=S.Me, auth=True)
@auth_required
def me() -> Response:
    user = g.api_user
    return json_response(S.Me(id=user.id, display_name=user.display_name, role=user.role,
                              vehicle_count=user.vehicle_count,
                              growth_value=ledger.balance(user.id, utcnow())))


@operation(bp, "/me/receipts", "GET", "Every receipt you were given, and whether each counts",
           tag="owner", response=S.MyReceipts, auth=True)
@auth_required
def my_receipts() -> Response:
    rows = voting.receipts_of(g.api_user.id)
    items = [
        S.MyReceipt(
            receipt=S.TrackerReceipt.model_validate(casting.receipt_of(b, p.id))
            if p.secrecy == "secret" else S.Receipt.model_validate(voting.receipt_of(b, p.id)),
            counts=live,
        )
        for p, b, live in rows
    ]
    return json_response(S.MyReceipts(items))


@operation(bp, "/results/<proposal_id>", "GET", "The current sealed result with its bundle",
           tag="proposals", response=S.SealedResult, errors=(404,), conditional=True)
def result(proposal_id: str) -> Response:
    row = results.current_result(proposal_id)
    if row is None:
        abort(404, description="no sealed result for this proposal")
    files = {name: f"/results/{proposal_id}/{name}"
             for name in ("result.json", "roll.jsonl", "ballots.jsonl")}
    out = S.SealedResult(result=json.loads(row.result_json), digest=row.digest,
                         files=S.ResultFiles.model_validate(files))
    return json_response(out, conditional=True)
