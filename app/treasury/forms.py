from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from app.web.forms import TrustForm
from app.web.numbers import BoundedIntegerField

YUAN_RE = re.compile(r"\d{1,13}(\.\d{1,2})?")
SOURCE_RE = r"[a-z0-9][a-z0-9_.-]{0,63}"


def fen_of(text: str) -> int:
    """'1234.5' yuan -> 123450 fen, exactly (no float on the way)."""
    whole, _, cents = text.strip().partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def _yuan_field(label: object) -> StringField:
    return StringField(label, validators=[DataRequired(), Length(max=20)])


class YuanMixin:
    def validate_amount_yuan(self, field: StringField) -> None:
        if not YUAN_RE.fullmatch((field.data or "").strip()) or fen_of(field.data) <= 0:
            raise ValidationError(_l("An amount in yuan above zero, at most two decimals."))


class DisbursementForm(YuanMixin, TrustForm):
    budget = SelectField(_l("Budget"), choices=[], validate_choice=False)
    amount_yuan = _yuan_field(_l("Amount (yuan)"))
    category = SelectField(_l("Charter purpose"), choices=[], validate_choice=False)
    beneficiary = StringField(
        _l("Beneficiary, described publicly (no names or personal data)"),
        validators=[DataRequired(), Length(max=300)],
    )
    beneficiary_private = TextAreaField(
        _l("Beneficiary details (private: council and administrators only)"),
        validators=[Optional(), Length(max=5000)],
    )
    purpose = TextAreaField(_l("What the money is for (published)"),
                            validators=[DataRequired(), Length(max=2000)])
    evidence = MultipleFileField(_l("Evidence: invoices, certificates (only their SHA-256 is "
                                    "published)"))


class IncomeForm(YuanMixin, TrustForm):
    source = StringField(_l("Source (e.g. donations, share_proceeds)"),
                         validators=[DataRequired(), Regexp(SOURCE_RE)])
    amount_yuan = _yuan_field(_l("Amount (yuan)"))
    received_on = DateField(_l("Received on"), validators=[DataRequired()])
    reference = StringField(_l("Reference (bank or receipt number)"),
                            validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description (published)"),
                                validators=[Optional(), Length(max=2000)])


class EmergencyForm(YuanMixin, TrustForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=5, max=200)])
    amount_yuan = _yuan_field(_l("Amount (yuan)"))
    category = SelectField(_l("Charter purpose"), choices=[], validate_choice=False)
    beneficiary = StringField(_l("Beneficiary, described publicly"),
                              validators=[DataRequired(), Length(max=300)])
    purpose = TextAreaField(_l("What the money is for"),
                            validators=[DataRequired(), Length(max=2000)])


class RatifyForm(TrustForm):
    proposal_id = StringField(_l("Passed proposal id"), validators=[Optional(), Length(max=64)])
    motion_id = BoundedIntegerField(_l("or passed motion number"), validators=[Optional()])


class ReasonForm(TrustForm):
    reason = TextAreaField(_l("Reason (published)"), validators=[DataRequired(), Length(max=2000)])


class ReversalForm(ReasonForm):
    """A reversal cites the passed council motion that decided it."""

    motion_id = BoundedIntegerField(_l("Council motion that decided it (number)"),
                                    validators=[DataRequired()])


class EmptyForm(TrustForm):
    """Only the CSRF token, for one-button actions."""
