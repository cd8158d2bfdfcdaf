"""Comments, reports, moderation and appeals, amendments: the rules and their records."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.db_types import utcnow
from app.core.extensions import db
from app.discussion import rules
from app.discussion.models import Amendment, Comment, CommentAppeal, CommentReport
from app.proposals.models import Proposal


class DiscussionRefused(ValueError):
    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Node:
    comment: Comment
    depth: int
    children: list[Node] = field(default_factory=list)


def _check_text(text: str, limit: int = rules.BODY_MAX, field: str = "body") -> str:
    problem = rules.text_problem(text, limit)
    if problem:
        raise DiscussionRefused(problem, field)
    return text.strip()


def _check_rate(author: User, now: datetime) -> None:
    for window, most in rules.RATE:
        count = db.session.scalar(
            select(func.count()).select_from(Comment).where(
                Comment.author_id == author.id, Comment.created_at > now - window
            )
        ) or 0
        if count >= most:
            raise DiscussionRefused(_(
                "You have written %(n)s comments in a short time; please wait a little before "
                "the next.", n=count))


def open_for_discussion(proposal: Proposal) -> bool:
    return proposal.state in rules.DISCUSSED_STATES


def post(proposal: Proposal, author: User, body: str, parent_id: int | None = None,
         now: datetime | None = None) -> Comment:
    now = now or utcnow()
    if not open_for_discussion(proposal):
        raise DiscussionRefused(_("Discussion of this proposal is closed."))
    text = _check_text(body)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.proposal_id != proposal.id:
            raise DiscussionRefused(_("The comment you reply to is not in this discussion."))
    _check_rate(author, now)
    comment = Comment(proposal_id=proposal.id, parent_id=parent.id if parent else None,
                      author_id=author.id, body=text, created_at=now)
    db.session.add(comment)
    db.session.flush()
    return comment


def edit(comment: Comment, author: User, body: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    if comment.author_id != author.id:
        raise DiscussionRefused(_("Only its author can edit a comment."))
    if comment.state != "visible":
        raise DiscussionRefused(_("A hidden comment cannot be edited; you can appeal instead."))
    if now - comment.created_at > rules.EDIT_WINDOW:
        raise DiscussionRefused(_("A comment can be edited for %(minutes)s minutes after it is "
                                  "posted.", minutes=int(rules.EDIT_WINDOW.total_seconds() // 60)))
    comment.body = _check_text(body)
    comment.edited_at = now


def report(comment: Comment, reporter: User, reason: str) -> None:
    text = _check_text(reason, rules.REASON_MAX, "reason")
    if comment.author_id == reporter.id:
        raise DiscussionRefused(_("You cannot report your own comment."), "reason")
    exists = db.session.scalar(select(CommentReport.id).where(
        CommentReport.comment_id == comment.id, CommentReport.reporter_id == reporter.id))
    if exists:
        raise DiscussionRefused(_("You have already reported this comment."), "reason")
    db.session.add(CommentReport(comment_id=comment.id, reporter_id=reporter.id, reason=text))
    audit.record("comment.reported", actor_id=reporter.id, subject=f"comment:{comment.id}")


def hide(comment: Comment, moderator: User, reason: str, now: datetime | None = None) -> None:
    """A council moderator hides a comment; the reason is public, in its place and in the log."""
    from app.translog import service as translog
    from ballots.records import format_time

    now = now or utcnow()
    text = _check_text(reason, rules.REASON_MAX, "reason")
    if comment.state == "hidden":
        raise DiscussionRefused(_("This comment is already hidden."), "reason")
    if comment.author_id == moderator.id:
        raise DiscussionRefused(_("A moderator does not rule on their own comment."), "reason")
    comment.state, comment.hidden_reason = "hidden", text
    comment.hidden_by, comment.hidden_at = moderator.id, now
    _close_reports(comment, now)
    audit.record("comment.hidden", actor_id=moderator.id, subject=f"comment:{comment.id}",
                 reason=text)
    translog.append("comment.hidden", f"comment:{comment.id}", {
        "type": "comment.hidden", "comment": comment.id, "proposal": comment.proposal_id,
        "moderator": moderator.id, "reason": text, "at": format_time(now),
    }, at=now)


def dismiss_reports(comment: Comment, moderator: User, now: datetime | None = None) -> None:
    _close_reports(comment, now or utcnow())
    audit.record("comment.reports_dismissed", actor_id=moderator.id,
                 subject=f"comment:{comment.id}")


def _close_reports(comment: Comment, now: datetime) -> None:
    for row in db.session.scalars(select(CommentReport).where(
            CommentReport.comment_id == comment.id, CommentReport.handled_at.is_(None))):
        row.handled_at = now


def appeal(comment: Comment, author: User, text: str) -> CommentAppeal:
    body = _check_text(text, rules.REASON_MAX, "appeal")
    if comment.author_id != author.id:
        raise DiscussionRefused(_("Only the comment's author can appeal."), "appeal")
    if comment.state != "hidden":
        raise DiscussionRefused(_("Only a hidden comment can be appealed."), "appeal")
    if db.session.scalar(select(CommentAppeal.id).where(CommentAppeal.comment_id == comment.id)):
        raise DiscussionRefused(_("This comment has already been appealed."), "appeal")
    row = CommentAppeal(comment_id=comment.id, author_id=author.id, text=body)
    db.session.add(row)
    audit.record("comment.appealed", actor_id=author.id, subject=f"comment:{comment.id}")
    return row


def decide_appeal(row: CommentAppeal, moderator: User, restore: bool, reason: str,
                  now: datetime | None = None) -> None:
    from app.translog import service as translog
    from ballots.records import format_time

    now = now or utcnow()
    text = _check_text(reason, rules.REASON_MAX, "reason")
    comment = db.session.get(Comment, row.comment_id)
    assert comment is not None
    if row.decision != "pending":
        raise DiscussionRefused(_("This appeal has been decided."), "reason")
    if moderator.id in (comment.hidden_by, comment.author_id):
        # The appeal goes to someone other than the moderator who hid it.
        raise DiscussionRefused(_("Another moderator must decide this appeal."), "reason")
    row.decision = "restored" if restore else "upheld"
    row.decided_by, row.decided_at, row.decision_reason = moderator.id, now, text
    if restore:
        comment.state = "visible"
    audit.record(f"comment.appeal_{row.decision}", actor_id=moderator.id,
                 subject=f"comment:{comment.id}", reason=text)
    translog.append(f"comment.appeal_{row.decision}", f"comment:{comment.id}", {
        "type": f"comment.appeal_{row.decision}", "comment": comment.id,
        "moderator": moderator.id, "reason": text, "at": format_time(now),
    }, at=now)


def thread(proposal_id: str) -> list[Node]:
    rows = db.session.scalars(
        select(Comment).where(Comment.proposal_id == proposal_id).order_by(Comment.id)
    ).all()
    nodes: dict[int, Node] = {}
    roots: list[Node] = []
    for row in rows:
        parent = nodes.get(row.parent_id) if row.parent_id else None
        depth = min(parent.depth + 1, rules.MAX_DEPTH) if parent else 0
        node = Node(row, depth)
        nodes[row.id] = node
        if parent is None:
            roots.append(node)
        elif parent.depth >= rules.MAX_DEPTH and parent.comment.parent_id in nodes:
            nodes[parent.comment.parent_id].children.append(node)
        else:
            parent.children.append(node)
    return roots


def thread_position(comment: Comment) -> int:
    """How many threads of its proposal come before this comment's (0-based), to find its
    page: threads are in the order their first comment was posted."""
    root = comment
    while root.parent_id is not None:
        parent = db.session.get(Comment, root.parent_id)
        if parent is None:
            break
        root = parent
    return int(db.session.scalar(
        select(func.count()).select_from(Comment).where(
            Comment.proposal_id == comment.proposal_id, Comment.parent_id.is_(None),
            Comment.id < root.id)
    ) or 0)


def moderation_queue() -> tuple[list[tuple[Comment, int]], list[CommentAppeal]]:
    reported = db.session.execute(
        select(Comment, func.count(CommentReport.id))
        .join(CommentReport, CommentReport.comment_id == Comment.id)
        .where(CommentReport.handled_at.is_(None))
        .group_by(Comment.id)
        .order_by(func.count(CommentReport.id).desc(), Comment.id)
        .limit(200)
    ).all()
    appeals = db.session.scalars(
        select(CommentAppeal).where(CommentAppeal.decision == "pending")
        .order_by(CommentAppeal.id).limit(200)
    ).all()
    return [(c, int(n)) for c, n in reported], list(appeals)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def propose_amendment(proposal: Proposal, author: User, body: str,
                      explanation: str) -> Amendment:
    if proposal.state not in rules.AMENDABLE_STATES:
        raise DiscussionRefused(_("Only a draft can be amended."))
    if proposal.author_id == author.id:
        raise DiscussionRefused(_("You wrote this draft: edit it rather than amend it."))
    text = _check_text(body, 200_000)
    why = rules.text_problem(explanation, rules.REASON_MAX, required=False)
    if why:
        raise DiscussionRefused(why, "explanation")
    _check_rate(author, utcnow())
    row = Amendment(proposal_id=proposal.id, author_id=author.id, body=text,
                    explanation=explanation.strip(), base_sha256=_sha(proposal.body))
    db.session.add(row)
    audit.record("amendment.proposed", actor_id=author.id, subject=f"proposal:{proposal.id}")
    return row


def decide_amendment(row: Amendment, actor: User, accept: bool, reason: str = "") -> None:
    proposal = db.session.get(Proposal, row.proposal_id)
    assert proposal is not None
    if proposal.author_id != actor.id:
        raise DiscussionRefused(_("Only the draft's author accepts or rejects amendments."))
    if row.state != "proposed":
        raise DiscussionRefused(_("This amendment has been decided."))
    problem = rules.text_problem(reason, rules.REASON_MAX, required=False)
    if problem:
        raise DiscussionRefused(problem, "reason")
    if accept:
        if proposal.state not in rules.AMENDABLE_STATES:
            raise DiscussionRefused(_("Only a draft can be amended."))
        if _sha(proposal.body) != row.base_sha256:
            raise DiscussionRefused(_("The draft changed after this amendment was written; ask "
                                      "for one against the current text."))
        proposal.body = row.body
    row.state = "accepted" if accept else "rejected"
    row.decided_at, row.decision_reason = utcnow(), reason.strip()
    audit.record(f"amendment.{row.state}", actor_id=actor.id, subject=f"proposal:{proposal.id}",
                 amendment=row.id)


def amendments_of(proposal_id: str) -> list[Amendment]:
    return list(db.session.scalars(
        select(Amendment).where(Amendment.proposal_id == proposal_id).order_by(Amendment.id)))
