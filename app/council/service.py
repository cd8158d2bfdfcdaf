"""The council's one door for the rest of the app: seats (``seats``), members' interests
(``interests``) and motions (``motions``), re-exported so callers need one import."""

from __future__ import annotations

from app.council.interests import INTEREST_PREFIX, beneficiary_tag, interests_of, subject_words
from app.council.motions import (
    close_motion,
    get_motion,
    is_settled,
    motions,
    motions_about,
    open_motion,
    outcome_of,
    passed_motion,
    recusal_rows,
    recusals_of,
    recuse,
    referral_outcome,
    vote,
    vote_rows,
    votes_of,
)
from app.council.seats import (
    SeatError,
    active_seats,
    expire_due,
    is_seated,
    may_stand,
    open_vacancies,
    past_seats,
    resign,
    seat,
    seated_member_ids,
    terms_in_role,
    vacate,
)
from governance.council import MotionError

__all__ = [
    "INTEREST_PREFIX",
    "MotionError",
    "SeatError",
    "active_seats",
    "close_motion",
    "expire_due",
    "get_motion",
    "interests_of",
    "beneficiary_tag",
    "is_seated",
    "is_settled",
    "may_stand",
    "motions",
    "motions_about",
    "open_motion",
    "open_vacancies",
    "outcome_of",
    "passed_motion",
    "past_seats",
    "recusal_rows",
    "recusals_of",
    "recuse",
    "referral_outcome",
    "resign",
    "seat",
    "seated_member_ids",
    "subject_words",
    "terms_in_role",
    "vacate",
    "vote",
    "vote_rows",
    "votes_of",
]
