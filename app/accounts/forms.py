from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from app.web.forms import TrustForm


class LoginForm(TrustForm):
    login = StringField(_l("Email or phone"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me signed in"))


class TokenForm(TrustForm):
    name = StringField(_l("What the token is for"), validators=[DataRequired(), Length(max=80)])
    submit = SubmitField(_l("Create token"))


class TokenRevokeForm(TrustForm):
    # At most 9 digits: ids are 32-bit on PostgreSQL, and a larger number made it raise (a 500).
    token_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,9}$")])
    submit = SubmitField(_l("Revoke"))


class RegisterForm(TrustForm):
    display_name = StringField(
        _l("Your name as shown to others"), validators=[DataRequired(), Length(max=80)]
    )
    email = StringField(_l("Email"), validators=[Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=32)])
    external_id = StringField(
        _l("Owner number (from the brand's app; links your growth value)"),
        validators=[Length(max=64)],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Password again"), validators=[DataRequired(), Length(max=256)])


class CodeForm(TrustForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(), Regexp(r"^\s*[0-9]{6}\s*$", message=_l(
            "The code is six digits."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Confirm"))


class ResetRequestForm(TrustForm):
    login = StringField(_l("Email or phone"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class NewPasswordForm(TrustForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Set the new password"))
