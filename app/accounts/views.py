from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.accounts import flows, services, sessions
from app.accounts.forms import CodeForm, LoginForm, NewPasswordForm, RegisterForm, ResetRequestForm
from app.accounts.models import User
from app.accounts.passwords import password_problems
from app.core.extensions import db, limiter, login_manager
from app.web.limits import per_address, per_login

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    return sessions.load(cookie_id)


@bp.after_app_request
def _touch_session(response: Response) -> Response:
    sessions.touch_after_request()
    return response


def _safe_next(target: str | None) -> str | None:
    # Only local paths: an open redirect would let a phishing link borrow our login page.
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def sign_in(user: User, *, remember: bool = False) -> None:
    sessions.start(user, remember=remember)
    db.session.commit()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(per_address("LOGIN"), methods=["POST"])
@limiter.limit(per_login("LOGIN"), methods=["POST"], key_func=lambda: "login:" + (
    request.form.get("login", "").strip().lower()[:254]))
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(form.login.data or "", form.password.data or "")
        db.session.commit()
        if result.user is not None and result.error == "unverified":
            flows.send_verification(result.user)
            db.session.commit()
            flows.remember_pending(flows.Pending(result.user.id, flows.mask(
                result.user.email or result.user.phone or "")))
            flash(_("Confirm your address first: we sent you a new code."), "info")
            return redirect(url_for("accounts.register_confirm"))
        if result.user is not None:
            sign_in(result.user, remember=bool(form.remember.data))
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
    sessions.revoke_current(current_user)
    db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(per_address("SIGNUP"), methods=["POST"])
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
            pending = flows.sign_up(
                display_name=form.display_name.data or "",
                email=services.normalise_email(form.email.data),
                phone=services.normalise_phone(form.phone.data),
                password=form.password.data or "",
                owner_number=(form.external_id.data or "").strip(),
                locale=str(get_locale() or "zh_Hans_CN"),
            )
            db.session.commit()
            flows.remember_pending(pending)
            return redirect(url_for("accounts.register_confirm"))
        for name, message in problems:
            getattr(form, name).errors = list(getattr(form, name).errors) + [message]
    return render_template("accounts/register.html", form=form)


def _after_confirm(user: User, owner_number: str | None) -> Response:
    if not (current_user.is_authenticated and current_user.id == user.id):
        sign_in(user)
    if owner_number:
        from app.growth import claims

        claims.start_after_signup(user, owner_number)
        db.session.commit()
    flash(_("Welcome! Your address is confirmed and your account is ready."), "success")
    return redirect(url_for("owner.dashboard"))


@bp.route("/register/confirm", methods=["GET", "POST"])
@limiter.limit(per_address("CODE"), methods=["POST"])
def register_confirm() -> str | Response:
    pending = flows.pending()
    if pending is None:
        return redirect(url_for("accounts.register"))
    form = CodeForm()
    if form.validate_on_submit():
        user, row = flows.confirm(pending.user_id, form.code.data or "")
        db.session.commit()
        if user is not None and row is not None:
            flows.session.pop(flows.PENDING_KEY, None)
            return _after_confirm(user, row.owner_number)
        form.code.errors = [_("Wrong or expired code. Check the latest message we sent.")]
    return render_template("accounts/confirm.html", form=form, shown=pending.shown_target)


@bp.get("/account/verify/<int:user_id>/<code>")
@limiter.limit(per_address("CODE"))
def verify_link(user_id: int, code: str) -> str | Response:
    if not code.isdigit() or len(code) != 6:
        abort(404)
    user, row = flows.confirm(user_id, code)
    db.session.commit()
    if user is None or row is None:
        flash(_("This link is wrong, used or expired. Sign in to get a new code."), "error")
        return redirect(url_for("accounts.login"))
    pending = flows.pending()
    if (pending is not None and pending.user_id == user.id) or (
        current_user.is_authenticated and current_user.id == user.id
    ):
        flows.session.pop(flows.PENDING_KEY, None)
        return _after_confirm(user, row.owner_number)
    # A link opened in another browser confirms the address but signs nobody in.
    flash(_("Your address is confirmed. Sign in to continue."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(per_address("CODE"), methods=["POST"])
@limiter.limit(per_login("CODE"), methods=["POST"], key_func=lambda: "reset:" + (
    request.form.get("login", "").strip().lower()[:254]))
def reset_request() -> str | Response:
    form = ResetRequestForm()
    if form.validate_on_submit():
        flows.request_reset(form.login.data or "")
        db.session.commit()
        flash(_("If an account has this email or phone, we sent it a link to reset the password."),
              "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<int:user_id>/<token>", methods=["GET", "POST"])
@limiter.limit(per_address("CODE"), methods=["POST"])
def reset_confirm(user_id: int, token: str) -> str | Response:
    if len(token) > 64 or flows.codes.peek_token("reset", user_id, token) is None:
        flash(_("This link is wrong, used or expired. Ask for a new one."), "error")
        return redirect(url_for("accounts.reset_request"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        user = db.session.get(User, user_id)
        password = form.password.data or ""
        weak = password_problems(password, *(x or "" for x in (user.email, user.phone))) if user \
            else []
        if password != form.confirm.data:
            form.confirm.errors = [_("The two passwords differ.")]
        elif weak:
            form.password.errors = [_("The password must be: %(rules)s.", rules="; ".join(weak))]
        else:
            done = flows.reset_password(user_id, token, password)
            db.session.commit()
            if done is not None:
                if current_user.is_authenticated:
                    logout_user()
                flash(_("Your password is changed and every session is signed out. "
                        "Sign in with the new password."), "success")
                return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_confirm.html", form=form)
