from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.web.forms import TrustForm
from app.web.numbers import BoundedIntegerField

DECISIONS = [
    ("certify", _l("Certify")),
    ("reject", _l("Reject (give reasons)")),
    ("renew", _l("Renew")),
    ("revoke", _l("Revoke (give reasons)")),
]


class ApplicationForm(TrustForm):
    name = StringField(_l("Community name"), validators=[DataRequired(), Length(max=100)])
    industry = StringField(_l("Industry"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("What the community does"),
                                validators=[DataRequired(), Length(max=5000)])
    member_count = BoundedIntegerField(_l("Member owners"),
                                validators=[DataRequired(), NumberRange(0, 10_000_000)])
    cosigners = TextAreaField(
        _l("Co-signing member owners: their sign-in e-mail or owner number, one per line"),
        validators=[Optional(), Length(max=20000)],
    )
    documents = MultipleFileField(_l("Supporting documents (only their SHA-256 is published)"))


class DecisionForm(TrustForm):
    action = SelectField(_l("Motion to"), choices=DECISIONS)
    reasons = TextAreaField(_l("Reasons (published)"), validators=[Optional(), Length(max=5000)])
