"""Owner and council actions for client apps, through the same services and role checks as
the pages: an owner co-signs an application and reads their drafts; a seated council member
votes on a motion and approves a disbursement.

Bearer-token calls carry no cookies and so are CSRF-exempt; a browser session must send its
CSRF token in X-CSRFToken (see app/api/views.py). A refusal is a 422 problem whose `code`
names the charter rule, in the reader's language like the pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g
from sqlalchemy import select

from app.api import schemas as S
from app.api.http import ApiRefusal, body_of, json_response, paginate, problem, query_of
from app.api.spec import operation
from app.api.views import auth_required, proposal_out
from app.audit import service as audit
from app.communities import service as communities
from app.core.extensions import csrf, db
from app.council import recall
from app.council import service as council
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.treasury import service as treasury
from app.web.refusals import say, say_problem

bp = Blueprint("api_actions", __name__, url_prefix="/api")
csrf.exempt(bp)


@bp.errorhandler(ApiRefusal)
def _refused(exc: ApiRefusal) -> Response:
    return problem(exc.status, exc.detail, **exc.extra)


def _field_problem(name: str, message: str) -> dict[str, str]:
    """One field's problem in the reader's language, with its stable code when it has one."""
    out = {"field": name, "reason": say_problem(message)}
    reason = getattr(message, "reason", None)
    if reason is not None:
        out["code"] = reason.code
    return out


def _refusal(exc: BaseException) -> Response:
    return problem(422, say(exc), code=getattr(exc, "code", "") or "refused")


def _owner() -> Any:
    if g.api_user.role not in ("owner", "council", "admin"):
        abort(403, description="this needs an owner's account")
    return g.api_user


def _seated() -> Any:
    user = g.api_user
    if not (user.is_admin or council.is_seated(user)):
        if user.role == "admin" or council.unbacked_seat(user):
            abort(403, description="your seat or role is not in the trust's log: it grants no "
                  "powers, and the refusal was recorded")
        abort(403, description="this needs a seated council member")
    return user


@operation(bp, "/me/drafts", "GET", "Your draft proposals, newest first", tag="owner",
           response=S.ProposalPage, query=S.PageQuery, auth=True, errors=(403,))
@auth_required
def my_drafts() -> Response:
    user = _owner()
    args = query_of(S.PageQuery)
    query = (select(Proposal).where(Proposal.state == "draft", Proposal.author_id == user.id)
             .order_by(Proposal.created_at.desc(), Proposal.id))
    page = paginate(query, args, lambda rows: [proposal_out(p) for p in rows], S.ProposalPage)
    return json_response(page)


@operation(bp, "/me/drafts", "POST", "Start a draft proposal (the proposal form's fields)",
           tag="owner", body=S.DraftRequest, response=S.Proposal, status=201, auth=True,
           errors=(403, 422))
@auth_required
def new_draft() -> Response:
    user = _owner()
    body = body_of(S.DraftRequest)
    draft = proposals.Draft(kind=body.kind, title=body.title, body=body.body,
                            fields=body.fields, options=body.options)
    try:
        proposal = proposals.create_draft(user, draft)
        db.session.commit()
    except (proposals.ProposalError, proposals.lifecycle.LifecycleError,
            recall.RecallError) as exc:
        db.session.rollback()
        problems = [_field_problem(f, m) for f, m in getattr(exc, "problems", [])]
        return problem(422, say(exc), code=getattr(exc, "code", "") or "refused",
                       errors=problems or None)
    return json_response(proposal_out(proposal), 201)


@operation(bp, "/proposals/<proposal_id>/cosignatures", "POST",
           "Co-sign a submitted proposal in your own account", tag="owner", body=S.Empty,
           response=S.ProposalCosignatures, status=201, auth=True, errors=(403, 404, 422))
@auth_required
def cosign_proposal(proposal_id: str) -> Response:
    user = _owner()
    body_of(S.Empty)
    proposal = proposals.get(proposal_id)
    if proposal is None or (proposal.state == "draft" and proposal.author_id != user.id):
        abort(404, description="no such proposal")
    try:
        count = proposals.cosign(proposal, user)
        db.session.commit()
    except (proposals.ProposalError, proposals.lifecycle.LifecycleError) as exc:
        db.session.rollback()
        return _refusal(exc)
    return json_response(S.ProposalCosignatures(proposal_id=proposal.id, cosignatures=count), 201)


@operation(bp, "/communities/<int:community_id>/cosignatures", "POST",
           "Co-sign a community's application in your own account", tag="owner",
           body=S.Empty, response=S.CosignatureOut, status=201, auth=True,
           errors=(403, 404, 422))
@auth_required
def cosign(community_id: int) -> Response:
    user = _owner()
    body_of(S.Empty)
    row = communities.get(community_id)
    if row is None:
        abort(404, description="no such community")
    try:
        communities.give_cosignature(row, user)
        db.session.commit()
    except communities.CosignError as exc:
        db.session.rollback()
        return _refusal(exc)
    return json_response(S.CosignatureOut(community_id=row.id,
                                          cosignatures_given=communities.cosigns_given(row)), 201)


@operation(bp, "/council/motions/<int:motion_id>/votes", "POST",
           "Vote on a motion (seated council members)", tag="council",
           body=S.MotionVoteRequest, response=S.RollCallVote, status=201, auth=True,
           errors=(403, 404, 422))
@auth_required
def motion_vote(motion_id: int) -> Response:
    member = _seated()
    choice = body_of(S.MotionVoteRequest).choice
    motion = council.get_motion(motion_id)
    if motion is None:
        abort(404, description="no such motion")
    try:
        council.vote(motion, member, choice)
        db.session.commit()
    except council.MotionError as exc:
        # As on the page: an undeclared interest found at vote time is kept as a recusal.
        db.session.commit()
        return _refusal(exc)
    row = council.vote_rows(motion)[-1]
    return json_response(S.RollCallVote(member_id=row.member_id, member=member.display_name,
                                        choice=row.choice, at=row.at), 201)


@operation(bp, "/treasury/disbursements/<int:disbursement_id>/approvals", "POST",
           "Approve a disbursement (seated council members other than its submitter)",
           tag="council", body=S.Empty, response=S.Approval, status=201, auth=True,
           errors=(403, 404, 422))
@auth_required
def approve(disbursement_id: int) -> Response:
    member = _seated()
    body_of(S.Empty)
    from app.treasury.models import Disbursement

    if db.session.get(Disbursement, disbursement_id) is None:
        abort(404, description="no such disbursement")
    try:
        treasury.approve(member, disbursement_id)
        db.session.commit()
    except treasury.TreasuryError as exc:
        audit.record_refusal("treasury.approved", actor_id=member.id,
                             subject=f"disbursement:{disbursement_id}", reason=str(exc))
        db.session.commit()
        return _refusal(exc)
    at = max(a.at for a in treasury.approvals_of(db.session.get(Disbursement, disbursement_id))
             if a.member_id == member.id)
    return json_response(S.Approval(member_id=member.id, member=member.display_name, at=at), 201)
