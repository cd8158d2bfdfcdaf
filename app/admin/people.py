"""Administrators: the outbox (mail and text messages), owner-number claims, disabling accounts."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select
from werkzeug.wrappers import Response
from wtforms import HiddenField, SubmitField
from wtforms.validators import AnyOf, DataRequired

from app.accounts.models import User
from app.admin.views import bp
from app.core.extensions import db
from app.growth import transfers
from app.growth.models import OwnerClaim
from app.mail.models import OutboxMessage
from app.web.auth import admin_required
from app.web.forms import TrustForm

PAGE = 100


@bp.get("/outbox")
@admin_required
def outbox() -> str:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    status = request.args.get("status", "")
    if status in ("held", "pending", "sent", "failed"):
        query = query.where(OutboxMessage.status == status)
    else:
        status = ""
    before = request.args.get("before", type=int)
    if before:
        query = query.where(OutboxMessage.id < before)
    rows = db.session.scalars(query.limit(PAGE + 1)).all()
    return render_template("admin/outbox.html", rows=rows[:PAGE], status=status,
                           more=len(rows) > PAGE)


@bp.get("/claims")
@admin_required
def claims() -> str:
    query = (
        select(OwnerClaim, User)
        .join(User, User.id == OwnerClaim.user_id)
        .order_by(OwnerClaim.id.desc())
    )
    status = request.args.get("status", "")
    if status in ("pending", "confirmed", "refused", "released"):
        query = query.where(OwnerClaim.status == status)
    elif status == "transfers":
        query = query.where(OwnerClaim.previous_user_id.isnot(None))
    else:
        status = ""
    before = request.args.get("before", type=int)
    if before:
        query = query.where(OwnerClaim.id < before)
    found = db.session.execute(query.limit(PAGE + 1)).all()
    more, rows = len(found) > PAGE, found[:PAGE]
    moved = transfers.moved_by_claims([claim.id for claim, _user in rows
                                       if claim.previous_user_id is not None])
    return render_template("admin/claims.html", rows=rows, status=status, moved=moved,
                           more=more)


class AccountStateForm(TrustForm):
    action = HiddenField(validators=[DataRequired(), AnyOf(["disable", "enable"])])
    submit = SubmitField(_l("Apply"))


@bp.get("/accounts")
@admin_required
def accounts() -> str:
    """Find an account by email, phone, owner number or name, to disable or enable it."""
    query = request.args.get("q", "").strip()[:254]
    rows: list[User] = []
    if query:
        pattern = "%" + query.replace("%", "").replace("_", "") + "%"
        found = select(User).where(or_(User.email.ilike(pattern), User.phone.ilike(pattern),
                                       User.external_id.ilike(pattern),
                                       User.display_name.ilike(pattern)))
        after = request.args.get("after", type=int)
        if after:
            found = found.where(User.id > after)
        rows = list(db.session.scalars(found.order_by(User.id).limit(PAGE + 1)))
    more, rows = len(rows) > PAGE, rows[:PAGE]
    return render_template("admin/accounts.html", rows=rows, q=query, form=AccountStateForm(),
                           more=more)


@bp.post("/accounts/<int:user_id>")
@admin_required
def account_state(user_id: int) -> Response:
    from app.accounts import sessions
    from app.audit import service as audit
    from app.core.db_types import utcnow

    form = AccountStateForm()
    user = db.session.get(User, user_id)
    if user is None or not form.validate_on_submit():
        flash(_("No such account."), "error")
        return redirect(url_for("admin.accounts"))
    if user.id == current_user.id:
        flash(_("You cannot disable your own account."), "error")
        return redirect(url_for("admin.accounts", q=user.login_name))
    if form.action.data == "disable":
        user.disabled_at = utcnow()
        ended = sessions.revoke_all(user.id)
        audit.record("admin.account_disabled", actor_id=current_user.id, subject=str(user.id),
                     sessions_ended=ended)
        flash(_("The account is disabled: its sessions are ended and its API tokens refused."),
              "success")
    else:
        user.disabled_at = None
        audit.record("admin.account_enabled", actor_id=current_user.id, subject=str(user.id))
        flash(_("The account is enabled again."), "success")
    db.session.commit()
    return redirect(url_for("admin.accounts", q=user.login_name))
