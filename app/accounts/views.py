from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from app.accounts import services
from app.accounts.forms import LoginForm, RegisterForm
from app.accounts.models import User
from app.core.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


def _safe_next(target: str | None) -> str | None:
    # Only local paths: an open redirect would let a phishing link borrow our login page.
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(form.login.data or "", form.password.data or "")
        db.session.commit()
        if result.user is not None:
            login_user(result.user, remember=bool(form.remember.data))
            return redirect(_safe_next(request.args.get("next")) or url_for("owner.dashboard"))
        if result.error == "locked":
            message = _("Too many failed attempts: this account is locked for 15 minutes.")
        else:
            message = _("Wrong login or password.")
        form.password.errors = [message]
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register() -> str | Response:
    form = RegisterForm()
    if form.validate_on_submit():
        problems = services.registration_problems(
            email=form.email.data or "",
            phone=form.phone.data or "",
            external_id=form.external_id.data or "",
            password=form.password.data or "",
            confirm=form.confirm.data or "",
        )
        if not problems:
            try:
                user = services.create_user(
                    display_name=form.display_name.data or "",
                    email=form.email.data or None,
                    phone=form.phone.data or None,
                    external_id=(form.external_id.data or "").strip() or None,
                    password=form.password.data or "",
                )
                db.session.commit()
            except (services.AccountError, IntegrityError):
                db.session.rollback()
                problems = [("email", _("An account with these details already exists."))]
            else:
                login_user(user)
                flash(_("Welcome! Your account is ready."), "success")
                return redirect(url_for("owner.dashboard"))
        for name, message in problems:
            getattr(form, name).errors = list(getattr(form, name).errors) + [message]
    return render_template("accounts/register.html", form=form)
