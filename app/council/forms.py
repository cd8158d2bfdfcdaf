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
GENERAL_KINDS = [
    ("general", _l("General resolution")),
    ("emergency_spending", _l("Emergency spending")),
    ("approve_disbursement", _l("Approve a disbursement")),
    ("reverse_transaction", _l("Reverse a ledger transaction")),
    ("correct_result", _l("Correct a sealed result")),
]
PROPOSAL_KINDS = [
    ("accept_proposal", _l("Accept the proposal for the ballot")),
    ("reject_proposal", _l("Reject the proposal")),
]
CHOICES = [("for", _l("For")), ("against", _l("Against")), ("abstain", _l("Abstain"))]


class MotionForm(TrustForm):
    kind = SelectField(_l("Kind"), choices=GENERAL_KINDS)
    subject = StringField(_l("Subject (e.g. member:12, beneficiary:red-cross)"),
                          validators=[DataRequired(), Length(max=128)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=5, max=200)])
    body = TextAreaField(_l("Motion text (published)"), validators=[Optional(), Length(max=5000)])
    hours = BoundedIntegerField(
        _l("Voting stays open for (hours)"),
        validators=[Optional(), NumberRange(1, 24 * 366)],
    )


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
