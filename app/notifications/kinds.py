"""What a notification can be about, and who may switch it off."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KINDS: dict[str, object] = {
    "vote_opened": _l("A vote opened for you"),
    "vote_closing": _l("A vote closes within 24 hours and you have not voted"),
    "result_sealed": _l("A result you voted in was sealed"),
    "proposal_cosigned": _l("Your proposal was co-signed"),
    "proposal_accepted": _l("Your proposal was accepted for the ballot"),
    "proposal_rejected": _l("Your proposal was rejected"),
    "cosign_requested": _l("An owner asks you to co-sign a proposal"),
    "motion_awaiting": _l("Council: a motion awaits your vote"),
    "disbursement_awaiting": _l("Council: a disbursement awaits your approval"),
    "application_to_review": _l("Council: a community application to review"),
    "ceremony_complaint": _l("Trustee: a complaint about the share you dealt awaits your answer"),
    "ceremony_failed": _l("Council: a secret vote's key ceremony failed"),
}
COUNCIL_KINDS = ("motion_awaiting", "disbursement_awaiting", "application_to_review",
                 "ceremony_complaint", "ceremony_failed")
CHANNELS = ("app", "email")
DIGESTS = ("off", "daily", "weekly")
