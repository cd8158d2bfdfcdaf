"""Administrators: the audit trail, signing keys, growth-value imports."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from app.admin import words
from app.audit.models import AuditEvent
from app.core.extensions import db
from app.growth import imports
from app.keys import service as keys
from app.keys.models import SigningKeyRecord
from app.web.auth import admin_required
from app.web.forms import TrustForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 100


class ImportForm(TrustForm):
    file = FileField(_l("File (.csv or .jsonl)"), validators=[FileRequired()])
    source = StringField(
        _l("Source system"),
        default=imports.DEFAULT_SOURCE,
        validators=[DataRequired(), Length(max=64), Regexp(r"^[A-Za-z0-9._-]+$")],
    )
    dry_run = BooleanField(_l("Only check the file; write nothing"))


class RotateForm(TrustForm):
    confirm = BooleanField(
        _l("I understand the current key is retired"), validators=[DataRequired()]
    )


@bp.get("/")
@admin_required
def index() -> str:
    recent = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(10)).all()
    names = words.names_for((e, {}) for e in recent)
    return render_template(
        "admin/index.html", recent=recent, names=names, active=keys.active_record()
    )


@bp.get("/audit")
@admin_required
def audit_trail() -> str:
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    action = request.args.get("action", "").strip()
    outcome = request.args.get("outcome", "")
    if action:
        query = query.where(AuditEvent.action.like(action.replace("%", "") + "%"))
    if outcome in ("ok", "refused"):
        query = query.where(AuditEvent.outcome == outcome)
    before = request.args.get("before", "")
    if before.isdigit():
        query = query.where(AuditEvent.id < int(before))
    events = db.session.scalars(query.limit(PAGE)).all()
    rows = [(e, json.loads(e.details or "{}")) for e in events]
    names = words.names_for(rows)
    return render_template(
        "admin/audit.html",
        events=[(e, words.detail_lines(d, names)) for e, d in rows],
        names=names,
        action=action,
        outcome=outcome,
        more=len(events) == PAGE,
    )


@bp.route("/keys", methods=["GET", "POST"])
@admin_required
def signing_keys() -> str | Response:
    form = RotateForm()
    if form.validate_on_submit():
        try:
            record = keys.rotate(actor_id=current_user.id)
            db.session.commit()
        except keys.SigningKeyUnavailable as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("New signing key %(kid)s is active.", kid=record.key_id[:16]), "success")
            return redirect(url_for("admin.signing_keys"))
    records = db.session.scalars(
        select(SigningKeyRecord).order_by(SigningKeyRecord.valid_from.desc())
    ).all()
    return render_template("admin/keys.html", records=records, form=form)


@bp.route("/imports", methods=["GET", "POST"])
@admin_required
def growth_import() -> str:
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        name = (upload.filename or "").lower()
        if name.endswith((".jsonl", ".ndjson")):
            parsed = imports.read_jsonl(data)
        elif name.endswith(".csv"):
            parsed = imports.read_csv(data)
        else:
            form.file.errors = [_("Choose a .csv or .jsonl file.")]
            return render_template("admin/imports.html", form=form, report=None)
        report = imports.import_entries(
            parsed,
            form.source.data or imports.DEFAULT_SOURCE,
            dry_run=bool(form.dry_run.data),
            via="admin page",
            actor_id=current_user.id,
        )
        db.session.commit()
    return render_template("admin/imports.html", form=form, report=report)
