"""Administrators: the outbox (mail and text messages held or sent) and owner-number claims."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from app.accounts.models import User
from app.admin.views import bp
from app.core.extensions import db
from app.growth.models import OwnerClaim
from app.mail.models import OutboxMessage
from app.web.auth import admin_required

PAGE = 100


@bp.get("/outbox")
@admin_required
def outbox() -> str:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    status = request.args.get("status", "")
    if status in ("held", "pending", "sent", "failed"):
        query = query.where(OutboxMessage.status == status)
    rows = db.session.scalars(query.limit(PAGE)).all()
    return render_template("admin/outbox.html", rows=rows, status=status)


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
    rows = db.session.execute(query.limit(PAGE)).all()
    return render_template("admin/claims.html", rows=rows, status=status)
