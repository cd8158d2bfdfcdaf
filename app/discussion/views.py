"""Discussion pages and actions; every action is a POST with its CSRF token and a role check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.core.extensions import db
from app.discussion import rules, service
from app.discussion.models import Amendment, Comment, CommentAppeal
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.web.auth import council_required, owner_required

bp = Blueprint("discussion", __name__, url_prefix="/discussion")


@bp.app_template_global()
def amendment_state_label(state: str) -> str:
    labels = {"proposed": _("proposed"), "accepted": _("accepted"), "rejected": _("rejected"),
              "withdrawn": _("withdrawn")}
    return labels.get(state, state)


THREADS_PAGE = 20  # threads (a comment and its replies) a page, oldest first


@bp.app_template_global()
def discussion_of(proposal: Proposal) -> dict[str, Any]:
    from app.council.service import is_seated
    from app.web.paging import page_of_list

    moderator = current_user.is_authenticated and (
        current_user.is_admin or is_seated(current_user))
    threads = page_of_list(service.thread(proposal.id), THREADS_PAGE, param="cpage")
    return {
        "thread": threads.items,
        "threads": threads,
        "open": service.open_for_discussion(proposal),
        "amendments": service.amendments_of(proposal.id),
        "amendable": proposal.state in rules.AMENDABLE_STATES,
        "moderator": moderator,
        "edit_minutes": int(rules.EDIT_WINDOW.total_seconds() // 60),
        "names": _names(proposal.id),
    }


def _names(proposal_id: str) -> dict[int, str]:
    from sqlalchemy import select

    from app.accounts.models import User

    ids = select(Comment.author_id).where(Comment.proposal_id == proposal_id).union(
        select(Amendment.author_id).where(Amendment.proposal_id == proposal_id))
    return {u.id: u.display_name for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _refused(exc: service.DiscussionRefused, back: str, values: dict[str, str]) -> tuple[str, int]:
    db.session.rollback()
    shown = {k: v[: rules.BODY_MAX + 100] for k, v in values.items()}
    return render_template("discussion/refused.html", error=str(exc), field=exc.field,
                           values=shown, back=back), 400


def _proposal(proposal_id: str) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    # A private draft answers as if it did not exist, as its own page does.
    if proposal is None or not proposals.visible_to(proposal, current_user):
        abort(404)
    return proposal


def _comment(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    _proposal(comment.proposal_id)
    return comment


def _back(proposal_id: str, anchor: str = "discussion") -> str:
    return url_for("proposals.detail", proposal_id=proposal_id, _anchor=anchor)


def _back_to(comment: Comment) -> str:
    """The page of the discussion that shows this comment's thread, at the comment."""
    from app.web.paging import page_number_of

    position = service.thread_position(comment)
    page = page_number_of(position, THREADS_PAGE)
    return url_for("proposals.detail", proposal_id=comment.proposal_id,
                   cpage=page if page > 1 else None, _anchor=f"comment-{comment.id}")


@bp.post("/<proposal_id>/comments")
@owner_required
def post(proposal_id: str) -> Response | tuple[str, int]:
    proposal = _proposal(proposal_id)
    body = request.form.get("body", "")
    parent = request.form.get("parent_id", "")
    try:
        comment = service.post(proposal, current_user, body,
                               int(parent) if parent.isdigit() else None)
        db.session.commit()
    except service.DiscussionRefused as exc:
        return _refused(exc, _back(proposal_id), {"body": body})
    return redirect(_back_to(comment))


@bp.post("/comments/<int:comment_id>/edit")
@owner_required
def edit(comment_id: int) -> Response | tuple[str, int]:
    comment = _comment(comment_id)
    body = request.form.get("body", "")
    try:
        service.edit(comment, current_user, body)
        db.session.commit()
    except service.DiscussionRefused as exc:
        return _refused(exc, _back(comment.proposal_id), {"body": body})
    return redirect(_back_to(comment))


@bp.post("/comments/<int:comment_id>/report")
@owner_required
def report(comment_id: int) -> Response | tuple[str, int]:
    comment = _comment(comment_id)
    reason = request.form.get("reason", "")
    try:
        service.report(comment, current_user, reason)
        db.session.commit()
    except service.DiscussionRefused as exc:
        return _refused(exc, _back(comment.proposal_id), {"reason": reason})
    flash(_("Thank you: the council's moderators will look at it."), "success")
    return redirect(_back_to(comment))


@bp.post("/comments/<int:comment_id>/hide")
@council_required
def hide(comment_id: int) -> Response | tuple[str, int]:
    comment = _comment(comment_id)
    reason = request.form.get("reason", "")
    try:
        service.hide(comment, current_user, reason)
        db.session.commit()
    except service.DiscussionRefused as exc:
        return _refused(exc, url_for("discussion.moderation"), {"reason": reason})
    flash(_("The comment is hidden; the reason shows in its place and in the log."), "success")
    return redirect(_back_to(comment))


@bp.post("/comments/<int:comment_id>/dismiss")
@council_required
def dismiss(comment_id: int) -> Response:
    comment = _comment(comment_id)
    service.dismiss_reports(comment, current_user)
    db.session.commit()
    return redirect(url_for("discussion.moderation"))


@bp.post("/comments/<int:comment_id>/appeal")
@owner_required
def appeal(comment_id: int) -> Response | tuple[str, int]:
    comment = _comment(comment_id)
    text = request.form.get("appeal", "")
    try:
        service.appeal(comment, current_user, text)
        db.session.commit()
    except service.DiscussionRefused as exc:
        return _refused(exc, _back(comment.proposal_id), {"appeal": text})
    flash(_("Your appeal is with the council's moderators."), "success")
    return redirect(_back_to(comment))


@bp.post("/appeals/<int:appeal_id>/decide")
@council_required
def decide(appeal_id: int) -> Response | tuple[str, int]:
    row = db.session.get(CommentAppeal, appeal_id) or abort(404)
    reason = request.form.get("reason", "")
    try:
        service.decide_appeal(row, current_user, request.form.get("decision") == "restore",
                              reason)
        db.session.commit()
    except service.DiscussionRefused as exc:
        return _refused(exc, url_for("discussion.moderation"), {"reason": reason})
    return redirect(url_for("discussion.moderation"))


@bp.get("/moderation")
@council_required
def moderation() -> str:
    reported, appeals = service.moderation_queue()
    comments = {a.comment_id: db.session.get(Comment, a.comment_id) for a in appeals}
    return render_template("discussion/moderation.html", reported=reported, appeals=appeals,
                           comments=comments)


@bp.post("/<proposal_id>/amendments")
@owner_required
def amend(proposal_id: str) -> Response | tuple[str, int]:
    proposal = _proposal(proposal_id)
    body = request.form.get("body", "")
    explanation = request.form.get("explanation", "")
    try:
        row = service.propose_amendment(proposal, current_user, body, explanation)
        db.session.commit()
    except service.DiscussionRefused as exc:
        return _refused(exc, _back(proposal_id, "amendments"),
                        {"body": body, "explanation": explanation})
    return redirect(_back(proposal_id, f"amendment-{row.id}"))


@bp.post("/amendments/<int:amendment_id>/decide")
@owner_required
def decide_amendment(amendment_id: int) -> Response | tuple[str, int]:
    row = db.session.get(Amendment, amendment_id) or abort(404)
    reason = request.form.get("reason", "")
    try:
        service.decide_amendment(row, current_user, request.form.get("decision") == "accept",
                                 reason)
        db.session.commit()
    except service.DiscussionRefused as exc:
        return _refused(exc, _back(row.proposal_id, "amendments"), {"reason": reason})
    return redirect(_back(row.proposal_id, f"amendment-{row.id}"))
