"""The discussion through the API: a proposal's threaded comments (a public read, paginated,
with an ETag) and an owner's own acts (post, edit within the window, report), through the same
service and limits as the pages (app.discussion).

A comment comes flat, oldest first, with its `parent_id` and `depth`, so a client builds the
thread as the page shows it. A hidden comment keeps its place with the moderator's public
reason and no text. Drafts are their author's (and the reviewing council's) until submitted:
their discussion answers only those, with a token or session, and is never cached as public;
to anyone else a draft's comments are a 404, as on the pages.
"""

from __future__ import annotations

from typing import Annotated, Literal

from flask import Blueprint, Response, abort, g
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.accounts.models import User
from app.api.http import ApiRefusal, body_of, json_response, paginate, problem, query_of
from app.api.schemas import Instant, Page, PageQuery
from app.api.spec import operation
from app.api.views import auth_required, optional_user
from app.core.extensions import csrf, db
from app.discussion import rules, service
from app.discussion.models import Comment
from app.proposals import service as proposals
from app.proposals.models import Proposal

bp = Blueprint("api_comments", __name__, url_prefix="/api")
csrf.exempt(bp)

Text = Annotated[str, Field(max_length=rules.BODY_MAX)]
Reason = Annotated[str, Field(max_length=rules.REASON_MAX)]


class CommentOut(BaseModel):
    id: int
    proposal_id: str
    parent_id: int | None = Field(description="the comment this replies to; null at the top")
    depth: int = Field(description=f"nesting, 0 at the top; replies nest {rules.MAX_DEPTH} deep")
    author_id: int
    author: str
    state: Literal["visible", "hidden"]
    body: str | None = Field(description="Markdown as written; null once a moderator hid it")
    hidden_reason: str | None = Field(description="the moderator's public reason, when hidden")
    created_at: Instant
    edited_at: Instant | None
    editable_until: Instant = Field(description="its author may edit it until then")


class CommentPage(Page[CommentOut]):
    pass


class CommentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Text
    parent_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None


class CommentEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Text


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class ReportOut(BaseModel):
    comment_id: int
    reported: bool = True


@bp.errorhandler(ApiRefusal)
def _refused(exc: ApiRefusal) -> Response:
    return problem(exc.status, exc.detail, **exc.extra)


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {i: n for i, n in rows}


def _depths(proposal_id: str) -> dict[int, int]:
    """Each comment's depth in its thread, as the page nests it (capped at MAX_DEPTH)."""
    depth: dict[int, int] = {}
    rows = db.session.execute(select(Comment.id, Comment.parent_id)
                              .where(Comment.proposal_id == proposal_id).order_by(Comment.id))
    for cid, parent in rows:
        depth[cid] = min(depth[parent] + 1, rules.MAX_DEPTH) if parent in depth else 0
    return depth


def _out(rows: list[Comment], depths: dict[int, int] | None = None) -> list[CommentOut]:
    names = _names({c.author_id for c in rows})
    out = []
    for c in rows:
        depth = (depths if depths is not None else _depths(c.proposal_id)).get(c.id, 0)
        hidden = c.state == "hidden"
        out.append(CommentOut(
            id=c.id, proposal_id=c.proposal_id, parent_id=c.parent_id, depth=depth,
            author_id=c.author_id, author=names.get(c.author_id, ""),
            state="hidden" if hidden else "visible", body=None if hidden else c.body,
            hidden_reason=c.hidden_reason if hidden else None, created_at=c.created_at,
            edited_at=c.edited_at, editable_until=c.created_at + rules.EDIT_WINDOW))
    return out


def _visible_proposal(proposal_id: str, user: User | None) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not proposals.visible_to(proposal, user):
        abort(404, description="no such proposal")
    return proposal


def _comment(comment_id: int, user: User | None) -> tuple[Comment, Proposal]:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404, description="no such comment")
    proposal = db.session.get(Proposal, comment.proposal_id)
    if proposal is None or not proposals.visible_to(proposal, user):
        abort(404, description="no such comment")
    return comment, proposal


def _read(model: BaseModel, proposal: Proposal) -> Response:
    public = proposal.state != "draft"
    response = json_response(model, conditional=public)
    if not public:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _owner() -> User:
    user: User = g.api_user
    if user.role not in ("owner", "council", "admin") or not user.is_active:
        abort(403, description="this needs an owner's account")
    return user


def _refusal(exc: service.DiscussionRefused) -> Response:
    db.session.rollback()
    return problem(422, str(exc), code="discussion.refused",
                   errors=[{"field": exc.field, "reason": str(exc)}])


@operation(bp, "/proposals/<proposal_id>/comments", "GET",
           "A proposal's discussion: its comments oldest first, with parent and depth to "
           "build the thread", tag="discussion", response=CommentPage, query=PageQuery,
           errors=(404,), conditional=True)
def list_comments(proposal_id: str) -> Response:
    args = query_of(PageQuery)
    proposal = _visible_proposal(proposal_id, optional_user())
    depths = _depths(proposal.id)
    query = select(Comment).where(Comment.proposal_id == proposal.id).order_by(Comment.id)
    page = paginate(query, args, lambda rows: _out(list(rows), depths), CommentPage,
                    proposal_id=proposal.id)
    return _read(page, proposal)


@operation(bp, "/comments/<int:comment_id>", "GET", "One comment", tag="discussion",
           response=CommentOut, errors=(404,), conditional=True)
def get_comment(comment_id: int) -> Response:
    comment, proposal = _comment(comment_id, optional_user())
    return _read(_out([comment])[0], proposal)


@operation(bp, "/proposals/<proposal_id>/comments", "POST",
           "Comment on a proposal, or reply to a comment (`parent_id`), in your own account",
           tag="discussion", body=CommentRequest, response=CommentOut, status=201, auth=True,
           errors=(403, 404, 422))
@auth_required
def post_comment(proposal_id: str) -> Response:
    user = _owner()
    body = body_of(CommentRequest)
    proposal = _visible_proposal(proposal_id, user)
    try:
        comment = service.post(proposal, user, body.body, body.parent_id)
        db.session.commit()
    except service.DiscussionRefused as exc:
        return _refusal(exc)
    return json_response(_out([comment])[0], 201)


@operation(bp, "/comments/<int:comment_id>", "PATCH",
           f"Edit your own comment, within {int(rules.EDIT_WINDOW.total_seconds() // 60)} "
           "minutes of posting it", tag="discussion", body=CommentEdit, response=CommentOut,
           auth=True, errors=(403, 404, 422))
@auth_required
def edit_comment(comment_id: int) -> Response:
    user = _owner()
    body = body_of(CommentEdit)
    comment, _ = _comment(comment_id, user)
    if comment.author_id != user.id:
        abort(403, description="only its author edits a comment")
    try:
        service.edit(comment, user, body.body)
        db.session.commit()
    except service.DiscussionRefused as exc:
        return _refusal(exc)
    return json_response(_out([comment])[0])


@operation(bp, "/comments/<int:comment_id>/reports", "POST",
           "Report a comment to the council's moderators, saying why", tag="discussion",
           body=ReportRequest, response=ReportOut, status=201, auth=True,
           errors=(403, 404, 422))
@auth_required
def report_comment(comment_id: int) -> Response:
    user = _owner()
    body = body_of(ReportRequest)
    comment, _ = _comment(comment_id, user)
    try:
        service.report(comment, user, body.reason)
        db.session.commit()
    except service.DiscussionRefused as exc:
        return _refusal(exc)
    return json_response(ReportOut(comment_id=comment.id), 201)
