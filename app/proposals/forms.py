from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.web.forms import TrustForm
from app.web.labels import COUNCIL_ROLES
from app.web.numbers import BoundedIntegerField

KIND_CHOICES = [
    ("general", _l("General")),
    ("spending", _l("Spending")),
    ("poll", _l("Owner poll (choose one of several options)")),
    ("community_scheme", _l("Community certification scheme")),
    ("charter_amendment", _l("Charter amendment")),
    ("call_election", _l("Call a council election")),
    ("recall_member", _l("Recall a council member")),
]


class ProposalForm(TrustForm):
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=5, max=200)])
    body = TextAreaField(
        _l("Proposal (Markdown)"), validators=[DataRequired(), Length(min=20, max=20000)]
    )
    options = TextAreaField(
        _l("Options, one per line (leave empty for a yes / no vote)"),
        validators=[Optional(), Length(max=2000)],
    )
    amount_yuan = BoundedIntegerField(
        _l("Amount (yuan, spending only)"),
        validators=[Optional(), NumberRange(min=1, max=1_000_000_000)],
    )
    category = SelectField(_l("Charter purpose (spending only)"), choices=[], validate_choice=False)
    beneficiary = StringField(
        _l("Beneficiary (spending only)"), validators=[Optional(), Length(max=300)]
    )
    purpose = TextAreaField(
        _l("What the money is for (spending only)"), validators=[Optional(), Length(max=20000)]
    )
    scheme_text = TextAreaField(
        _l("The certification scheme (community scheme only)"),
        validators=[Optional(), Length(max=20000)],
    )
    criteria = TextAreaField(
        _l("Certification criteria, one per line (community scheme only)"),
        validators=[Optional(), Length(max=20000)],
    )
    new_text = TextAreaField(
        _l("The charter's new text (charter amendment only)"),
        validators=[Optional(), Length(max=200_000)],
    )
    new_text_zh = TextAreaField(
        _l("The charter's new text in Chinese (charter amendment only)"),
        validators=[Optional(), Length(max=200_000)],
    )
    new_rules = TextAreaField(
        _l("The charter's new rules, as JSON (charter amendment only)"),
        validators=[Optional(), Length(max=200_000)],
    )
    # Checked by the charter's rules for the kinds that use it; other kinds never send it.
    role = SelectField(_l("Council role"), choices=list(COUNCIL_ROLES.items()),
                       validate_choice=False)
    seats = BoundedIntegerField(_l("Seats to fill"),
                                validators=[Optional(), NumberRange(min=1, max=50)])
    seat = SelectField(_l("The seat, and the member in it"), choices=[], validate_choice=False)


class ScheduleForm(TrustForm):
    opens_at = DateTimeLocalField(
        _l("Voting opens (UTC)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    closes_at = DateTimeLocalField(
        _l("Voting closes (UTC)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    reason = TextAreaField(_l("Reason (published)"), validators=[Optional(), Length(max=2000)])


class ReasonForm(TrustForm):
    reason = TextAreaField(_l("Reason (published)"), validators=[Optional(), Length(max=2000)])


class EmptyForm(TrustForm):
    """A form with only the CSRF token, for one-button actions."""
