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
    "trustee_keygen": _l("Trustee: a secret vote's key ceremony starts"),
    "trustee_step": _l("Trustee: your next step in a key ceremony is ready"),
    "trustee_reminder": _l("Trustee: a ceremony deadline is near and your step is not done"),
    "trustee_decrypt": _l("Trustee: a secret vote closed, post your decryption share"),
    "result_waiting": _l("A secret vote's result is waiting for its trustees"),
    "ceremony_complaint": _l("Trustee: a complaint about the share you dealt awaits your answer"),
    "ceremony_failed": _l("Council: a secret vote's key ceremony failed"),
}
COUNCIL_KINDS = ("motion_awaiting", "disbursement_awaiting", "application_to_review",
                 "ceremony_failed")
# A trustee's duties: without them a secret vote cannot be decrypted, so they always come, in the
# app and by mail at once (never held for a digest), and cannot be switched off. Answering a
# complaint is one: unanswered, it disqualifies the dealer.
DUTY_KINDS = ("trustee_keygen", "trustee_step", "trustee_reminder", "trustee_decrypt",
              "ceremony_complaint")
SWITCHABLE = tuple(k for k in KINDS if k not in DUTY_KINDS)
CHANNELS = ("app", "email")
DIGESTS = ("off", "daily", "weekly")
