"""The profile: name, language, email, phone, password, signed-in sessions, owner number."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.accounts import codes, flows, services, sessions
from app.accounts.forms import CodeForm
from app.accounts.models import ApiToken
from app.accounts.passwords import hash_password, password_problems, verify_password
from app.accounts.profile_forms import (
    AddressForm,
    ClaimForm,
    NameForm,
    PasswordChangeForm,
    SessionEndForm,
)
from app.audit import service as audit
from app.core.db_types import utcnow
from app.core.extensions import db, limiter
from app.web.limits import per_address, per_login

bp = Blueprint("profile", __name__, url_prefix="/account")

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_RE = re.compile(r"\+?[0-9][0-9 -]{5,30}")


def _account_key() -> str:
    return f"account:{current_user.get_id().partition('.')[0]}"


def _page(**forms: object) -> str:
    from sqlalchemy import select

    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    here = sessions.current(current_user)
    defaults = {
        "name_form": NameForm(prefix="name", obj=current_user),
        "address_form": AddressForm(prefix="address"),
        "code_form": CodeForm(prefix="code"),
        "password_form": PasswordChangeForm(prefix="password"),
        "end_form": SessionEndForm(prefix="end"),
        "claim_form": ClaimForm(prefix="claim"),
        "claim_code_form": CodeForm(prefix="claimcode"),
    }
    defaults.update(forms)
    return render_template(
        "accounts/profile.html",
        sessions=sessions.live_for(current_user),
        here_id=here.id if here else None,
        tokens=tokens,
        pending_address={p: codes.live(current_user.id, p) for p in ("verify_email",
                                                                       "verify_phone")},
        pending_claim=codes.live(current_user.id, "claim"),
        now=utcnow(),
        **defaults,
    )


@bp.get("/")
@login_required
def show() -> str:
    return _page()


@bp.post("/name")
@login_required
def change_name() -> str | Response:
    form = NameForm(prefix="name")
    if not form.validate_on_submit():
        return _page(name_form=form)
    current_user.display_name = (form.display_name.data or "").strip()
    current_user.locale = form.locale.data
    audit.record("auth.profile_changed", actor_id=current_user.id)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("profile.show"))


@bp.post("/address")
@login_required
@limiter.limit(per_login("CODE"), key_func=_account_key)
def change_address() -> str | Response:
    form = AddressForm(prefix="address")
    if form.validate_on_submit():
        kind, value = form.kind.data or "", (form.value.data or "").strip()
        if kind == "email":
            value = services.normalise_email(value)
            if not EMAIL_RE.fullmatch(value):
                form.value.errors = [_("This is not an email address.")]
        elif not PHONE_RE.fullmatch(value):
            form.value.errors = [_("A phone number has digits, spaces and dashes only.")]
        else:
            value = services.normalise_phone(value)
        if not form.value.errors:
            shown = flows.change_address(current_user, kind, value)
            db.session.commit()
            flash(_("We sent a code to %(target)s. Enter it below to make the change.",
                    target=shown), "info")
            return redirect(url_for("profile.show"))
    return _page(address_form=form)


@bp.post("/address/confirm")
@login_required
@limiter.limit(per_address("CODE"))
def confirm_address() -> str | Response:
    form = CodeForm(prefix="code")
    if form.validate_on_submit():
        user, _row = flows.confirm(current_user.id, form.code.data or "")
        db.session.commit()
        if user is not None:
            flash(_("Your address is confirmed."), "success")
            return redirect(url_for("profile.show"))
        form.code.errors = [_("Wrong or expired code. Check the latest message we sent.")]
    return _page(code_form=form)


@bp.post("/password")
@login_required
def change_password() -> str | Response:
    form = PasswordChangeForm(prefix="password")
    if form.validate_on_submit():
        password = form.password.data or ""
        weak = password_problems(password, current_user.email or "", current_user.phone or "")
        if not verify_password(current_user.password_hash, form.current.data or ""):
            form.current.errors = [_("This is not your current password.")]
        elif password != form.confirm.data:
            form.confirm.errors = [_("The two passwords differ.")]
        elif weak:
            form.password.errors = [_("The password must be: %(rules)s.", rules="; ".join(weak))]
        else:
            current_user.password_hash = hash_password(password)
            ended = sessions.revoke_all(current_user.id, keep=sessions.current(current_user))
            audit.record("auth.password_changed", actor_id=current_user.id, sessions_ended=ended)
            db.session.commit()
            flash(_("Your password is changed; every other session is signed out."), "success")
            return redirect(url_for("profile.show"))
    return _page(password_form=form)


@bp.post("/sessions/end")
@login_required
def end_session() -> str | Response:
    form = SessionEndForm(prefix="end")
    if not form.validate_on_submit():
        flash(_("No such session."), "error")
        return redirect(url_for("profile.show"))
    if form.session_id.data == "others":
        ended = sessions.revoke_all(current_user.id, keep=sessions.current(current_user))
        audit.record("auth.sessions_ended", actor_id=current_user.id, count=ended)
        db.session.commit()
        flash(_("Every other session is signed out."), "success")
        return redirect(url_for("profile.show"))
    if sessions.revoke(current_user, int(form.session_id.data or 0)):
        audit.record("auth.sessions_ended", actor_id=current_user.id, count=1)
        db.session.commit()
        flash(_("That session is signed out."), "success")
    else:
        flash(_("No such session."), "error")
    return redirect(url_for("profile.show"))


@bp.post("/claim")
@login_required
@limiter.limit(per_login("CODE"), key_func=_account_key)
def claim() -> str | Response:
    from app.growth import claims

    form = ClaimForm(prefix="claim")
    if form.validate_on_submit():
        try:
            started = claims.request_claim(current_user, form.owner_number.data or "")
        except claims.ClaimRefused as refusal:
            db.session.commit()  # the refusal is kept for administrators
            form.owner_number.errors = [str(refusal)]
        else:
            db.session.commit()
            flash(_("We sent a code to %(target)s to link owner number %(number)s. Enter it "
                    "below.", target=started.shown_target, number=started.owner_number), "info")
            return redirect(url_for("profile.show") + "#owner-number")
    return _page(claim_form=form)


@bp.post("/claim/confirm")
@login_required
@limiter.limit(per_address("CODE"))
def claim_confirm() -> str | Response:
    from app.growth import claims

    form = CodeForm(prefix="claimcode")
    if form.validate_on_submit():
        number = claims.confirm_claim(current_user, form.code.data or "")
        db.session.commit()
        if number is not None:
            flash(_("Owner number %(number)s is now linked to your account. Its growth value "
                    "counts from the next import, in votes that open after it.", number=number),
                  "success")
            return redirect(url_for("profile.show"))
        form.code.errors = [_("Wrong or expired code. Check the latest message we sent.")]
    return _page(claim_code_form=form)
