"""The two-factor page: turn it on, pass it for this session, renew recovery codes."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.accounts import sessions, twofactor
from app.core.extensions import db, limiter
from app.web.forms import TrustForm
from app.web.limits import per_address

bp = Blueprint("twofactor", __name__, url_prefix="/account/two-factor")

# What a password-only session of a two-factor account may still reach.
OPEN_ENDPOINTS = frozenset({"twofactor.page", "accounts.logout", "static", "public.set_language"})


class TwoFactorForm(TrustForm):
    code = StringField(
        _l("Six-digit code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=32)],
        render_kw={"autocomplete": "one-time-code"},
    )
    submit = SubmitField(_l("Continue"))


class RenewForm(TrustForm):
    submit = SubmitField(_l("Make new recovery codes"))


class TurnOffForm(TrustForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=256)])
    code = StringField(_l("Six-digit code from your authenticator app"),
                       validators=[DataRequired(), Length(max=32)],
                       render_kw={"autocomplete": "one-time-code"})
    submit = SubmitField(_l("Turn two-factor sign-in off"))


def _safe_next() -> str:
    target = request.args.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("owner.dashboard")


def _carries_sign_in_cookie() -> bool:
    # Most requests (public pages, result JSON, the API's bearer tokens) carry no cookie at
    # all; asking current_user would open the session and run the user loader for each.
    config = current_app.config
    return (config["SESSION_COOKIE_NAME"] in request.cookies
            or config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies)


@bp.before_app_request
def _require_second_factor() -> Response | None:
    if not _carries_sign_in_cookie():
        return None
    if not current_user.is_authenticated or request.endpoint in OPEN_ENDPOINTS:
        return None
    if twofactor.needs_challenge(current_user):
        return redirect(url_for("twofactor.page", next=request.full_path.rstrip("?")))
    return None


@bp.route("/", methods=["GET", "POST"])
@login_required
@limiter.limit(per_address("CODE"), methods=["POST"])
def page() -> str | Response:
    form = TwoFactorForm()
    user = current_user
    if not twofactor.enabled(user):
        if form.validate_on_submit():
            codes = twofactor.finish(user, form.code.data or "")
            if codes is not None:
                db.session.commit()
                return render_template("accounts/two_factor.html", mode="codes", codes=codes,
                                       next=_safe_next())
            form.code.errors = [_("That code does not match. Check the time on your phone and "
                                  "try the newest code.")]
            plain = twofactor._secret(user) or twofactor.begin(user)
        else:
            plain = twofactor.begin(user)
        db.session.commit()
        return render_template("accounts/two_factor.html", mode="enrol", form=form, secret=plain,
                               uri=twofactor.provisioning_uri(user, plain))
    if sessions.second_factor_passed(user):
        renew = RenewForm(prefix="renew")
        if renew.validate_on_submit():
            codes = twofactor.new_recovery_codes(user)
            db.session.commit()
            return render_template("accounts/two_factor.html", mode="codes", codes=codes,
                                   next=url_for("twofactor.page"))
        return _status(renew, TurnOffForm(prefix="off"))
    if form.validate_on_submit():
        passed = twofactor.challenge(user, form.code.data or "")
        db.session.commit()
        if passed:
            flash(_("Two-factor check passed."), "success")
            return redirect(_safe_next())
        form.code.errors = [_("Wrong or already used code.")]
    return render_template("accounts/two_factor.html", mode="challenge", form=form)


def _status(renew: RenewForm, off: TurnOffForm) -> str:
    return render_template("accounts/two_factor.html", mode="status", renew=renew,
                           left=twofactor.recovery_codes_left(current_user),
                           off=off if twofactor.may_turn_off(current_user) else None,
                           privileged=twofactor.is_privileged(current_user))


@bp.get("/qr.svg")
@login_required
def qr() -> Response:
    """The key being enrolled, as a QR code; nothing once two-factor is on (the key is secret)."""
    plain = None if twofactor.enabled(current_user) else twofactor._secret(current_user)
    if plain is None:
        return Response(status=404)
    response = Response(twofactor.qr_svg(twofactor.provisioning_uri(current_user, plain)),
                        mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/off")
@login_required
@limiter.limit(per_address("CODE"))
def turn_off() -> str | Response:
    user = current_user
    if not twofactor.enabled(user) or not sessions.second_factor_passed(user):
        return redirect(url_for("twofactor.page"))
    form = TurnOffForm(prefix="off")
    if not twofactor.may_turn_off(user):
        flash(_("Council members and administrators keep two-factor sign-in while they hold "
                "the role."), "error")
        return redirect(url_for("twofactor.page"))
    if form.validate_on_submit():
        failed = twofactor.turn_off(user, form.password.data or "", form.code.data or "")
        db.session.commit()
        if failed is None:
            flash(_("Two-factor sign-in is off. You can turn it on again here at any time."),
                  "success")
            return redirect(url_for("profile.show"))
        if failed == "password":
            form.password.errors = [_("That is not your password.")]
        else:
            form.code.errors = [_("That code does not match. Check the time on your phone and "
                                  "try the newest code.")]
    return _status(RenewForm(prefix="renew"), form)
