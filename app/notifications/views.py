"""The bell, one's notifications, their settings, and the signed unsubscribe link."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.core.extensions import csrf, db
from app.notifications import service
from app.notifications.kinds import CHANNELS, COUNCIL_KINDS, DIGESTS, DUTY_KINDS, KINDS, SWITCHABLE
from app.notifications.render import describe
from app.web.auth import owner_required

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE = 30


@bp.app_context_processor
def bell() -> dict[str, Any]:
    def unread() -> int:
        if not current_user.is_authenticated:
            return 0
        return service.unread_count(current_user.id)

    return {"unread_notifications": unread}


@bp.get("/")
@owner_required
def index() -> str:
    before = request.args.get("before", type=int)
    rows = service.page_of(current_user.id, before, PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render_template(
        "notifications/index.html",
        items=[(n, describe(n)) for n in rows],
        more=more,
        next_before=rows[-1].id if rows else None,
    )


@bp.post("/read")
@owner_required
def read() -> Response:
    service.mark_read(current_user.id)
    db.session.commit()
    return redirect(url_for("notifications.index"))


@bp.get("/<int:notification_id>")
@owner_required
def follow(notification_id: int) -> Response:
    from app.notifications.models import Notification

    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    service.mark_read(current_user.id, [note.id])
    db.session.commit()
    return redirect(describe(note).path())


@bp.route("/settings", methods=["GET", "POST"])
@owner_required
def settings() -> str | Response:
    kinds = [k for k in SWITCHABLE if current_user.is_council or k not in COUNCIL_KINDS]
    if request.method == "POST":
        digest = request.form.get("digest", "off")
        if digest not in DIGESTS:
            flash(_("Choose how often mail comes: at once, daily or weekly."), "error")
            return redirect(url_for("notifications.settings"))
        for kind in kinds:
            for channel in CHANNELS:
                on = request.form.get(f"{kind}.{channel}") == "on"
                service.set_channel(current_user.id, kind, channel, on)
        service.set_digest(current_user.id, digest)
        db.session.commit()
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.settings"))
    table, digest = service.settings_of(current_user.id)
    return render_template(
        "notifications/settings.html", kinds=[(k, KINDS[k]) for k in kinds], table=table,
        digest=digest, channels=CHANNELS,
        duties=[KINDS[k] for k in DUTY_KINDS] if current_user.is_council else [],
    )


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the authority; RFC 8058 mail clients POST without a form
def unsubscribe(token: str) -> str | Response:
    found = service.read_unsubscribe_token(token)
    if found is None:
        abort(404)
    user_id, kind = found
    if request.method == "POST":
        service.unsubscribe(user_id, kind)
        db.session.commit()
        return render_template("notifications/unsubscribed.html", kind=KINDS.get(kind))
    return render_template("notifications/unsubscribe.html", kind=KINDS.get(kind), token=token)


MAX_ASKED = 20


@bp.post("/ask-cosign/<proposal_id>")
@owner_required
def ask_cosign(proposal_id: str) -> Response | tuple[str, int]:
    """The author of a proposal gathering co-signatures asks named owners to co-sign."""
    from sqlalchemy import or_, select

    from app.accounts.models import User
    from app.jobs import queue
    from app.proposals.models import Proposal

    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    back = url_for("proposals.detail", proposal_id=proposal_id)
    if proposal.author_id != current_user.id or proposal.state != "submitted":
        flash(_("Only the author of a proposal gathering co-signatures can ask for them."),
              "error")
        return redirect(back)
    given = request.form.get("owners", "").replace(",", " ").replace("，", " ")
    names = given.split()[: MAX_ASKED + 1]
    if not names or len(names) > MAX_ASKED:
        flash(_("Name between one and %(max)s owners by email or phone.", max=MAX_ASKED), "error")
        return redirect(back)
    found = db.session.scalars(
        select(User.id).where(or_(User.email.in_(names), User.phone.in_(names)),
                              User.id != current_user.id)
    ).all()
    if len(found) != len(set(names)):
        flash(_("Some of these are not owners of the trust; nobody was asked."), "error")
        return redirect(back)
    ids = sorted(set(found))
    queue.enqueue("notify.event",
                  {"type": "cosign_request", "proposal": proposal_id, "by": current_user.id,
                   "owners": ids},
                  key=f"cosign-request:{proposal_id}:{current_user.id}:{ids}")
    db.session.commit()
    flash(_("Asked: they will be told."), "success")
    return redirect(back)
