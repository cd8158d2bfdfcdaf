from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from app.web.forms import TrustForm


class NameForm(TrustForm):
    display_name = StringField(
        _l("Your name as shown to others"), validators=[DataRequired(), Length(max=80)]
    )
    locale = SelectField(
        _l("Language for pages and messages"),
        choices=[("zh_Hans_CN", "中文"), ("en", "English")],
    )
    submit = SubmitField(_l("Save"))


class AddressForm(TrustForm):
    kind = HiddenField(validators=[DataRequired(), Regexp(r"^(email|phone)$")])
    value = StringField(_l("New email or phone"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send a code"))


class PasswordChangeForm(TrustForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Change the password"))


class SessionEndForm(TrustForm):
    session_id = HiddenField(validators=[DataRequired(), Regexp(r"^([0-9]{1,9}|others)$")])
    submit = SubmitField(_l("Sign out"))


class ClaimForm(TrustForm):
    owner_number = StringField(
        _l("Owner number (from the brand's app)"), validators=[DataRequired(), Length(max=64)]
    )
    submit = SubmitField(_l("Send me a code"))
