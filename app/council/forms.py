from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.web.forms import TrustForm
from app.web.numbers import BoundedIntegerField

ROLE_CHOICES = [
    ("chair", _l("Chair (理事长)")),
    ("asset_committee", _l("Asset-management committee")),
    ("proceeds_committee", _l("Proceeds committee")),
    ("supervisors", _l("Supervisors")),
    ("protector", _l("Trust protector")),
]
# What a motion opened from the council's form is about (app.decisions.motion_choices).
MOTION_TOPICS = [
    ("general", _l("A general resolution")),
    ("community", _l("A community's certification")),
    ("proposal", _l("A proposal waiting for the council")),
    ("disbursement", _l("A disbursement awaiting approval")),
    ("transaction", _l("Reversing a ledger transaction")),
]
PROPOSAL_KINDS = [
    ("accept_proposal", _l("Accept the proposal for the ballot")),
    ("reject_proposal", _l("Reject the proposal")),
]
CHOICES = [("for", _l("For")), ("against", _l("Against")), ("abstain", _l("Abstain"))]
HOURS_LABEL = _l("Voting stays open for (hours)")


class MotionForm(TrustForm):
    """A general resolution: it has no subject, so the form asks for none."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=5, max=200)])
    body = TextAreaField(_l("Motion text (published)"), validators=[Optional(), Length(max=5000)])
    hours = BoundedIntegerField(HOURS_LABEL, validators=[Optional(), NumberRange(1, 24 * 366)])


class SubjectMotionForm(TrustForm):
    """A decision about one subject: only the decisions its state allows are offered (the view
    fills the choices, grouped by subject), and anything else posted is refused at the field."""

    decision = SelectField(_l("Decision"), choices=[], validate_choice=False,
                           validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Reasons (published)"), validators=[Optional(), Length(max=5000)])
    hours = BoundedIntegerField(HOURS_LABEL, validators=[Optional(), NumberRange(1, 24 * 366)])


class ProposalMotionForm(TrustForm):
    kind = SelectField(_l("Motion"), choices=PROPOSAL_KINDS)
    proposal_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    body = TextAreaField(_l("Reasons (published)"), validators=[Optional(), Length(max=5000)])


class MotionVoteForm(TrustForm):
    choice = SelectField(_l("Your vote"), choices=CHOICES)


class RecuseForm(TrustForm):
    reason = TextAreaField(_l("Your interest (published)"),
                           validators=[DataRequired(), Length(max=2000)])


class CandidacyForm(TrustForm):
    role = SelectField(_l("Council role"), choices=ROLE_CHOICES)
    statement = TextAreaField(_l("Your statement to the owners (published)"),
                              validators=[DataRequired(), Length(min=20, max=5000)])


class CallElectionForm(TrustForm):
    role = SelectField(_l("Council role"), choices=ROLE_CHOICES)
    seats = BoundedIntegerField(_l("Seats to fill"),
                                # InputRequired: a 0 typed in is a number out of range, not a
                                # missing one.
                                validators=[InputRequired(), NumberRange(1, 50)])


INTEREST_KINDS = [
    ("community", _l("A community (its number)")),
    ("beneficiary", _l("A beneficiary (its name)")),
    ("proposal", _l("A proposal (its number)")),
]


class InterestForm(TrustForm):
    kind = SelectField(_l("The interest is in"), choices=INTEREST_KINDS)
    ident = StringField(_l("Which one"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("What the interest is (published)"),
                                validators=[DataRequired(), Length(max=2000)])


class ActionForm(TrustForm):
    """Only the CSRF token, for one-button actions."""
