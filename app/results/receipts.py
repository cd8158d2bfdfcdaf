"""The receipt check: is this receipt genuine, and is its ballot in the sealed result?"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.core import json_depth
from app.core.extensions import db
from app.keys import service as keys
from app.results import service as results
from app.voting.models import Ballot, RollEntry
from ballots.keys import KeyRing
from ballots.receipts import ReceiptError, verify_receipt

RECEIPT_TEXT = 64 * 1024  # a pasted receipt is under 2 KB


@dataclass
class ReceiptReport:
    ok: bool
    message: str
    receipt: dict[str, Any] | None = None
    signature_ok: bool = False
    sealed: bool = False
    included: bool = False
    counted: bool | None = None
    proof: dict[str, Any] | None = None
    ballots_root: str | None = None
    problems: list[str] = field(default_factory=list)
    # A secret ballot's receipt (format 2): a signed tracker, no choice.
    tracker: bool = False
    title: str | None = None
    cast_at: datetime | None = None
    proof_url: str | None = None

    def fails(self, message: str) -> ReceiptReport:
        """The check stops here: ``message`` says what did not hold."""
        self.ok = False
        self.message = message
        return self


TrackerCheck = Callable[[dict[str, Any], KeyRing], ReceiptReport]


def check(text: str, tracker_check: TrackerCheck | None = None) -> ReceiptReport:
    """An open vote's receipt checked here; a secret vote's (type "receipt", a tracker) by
    `tracker_check` (app.secret.receipts.check, handed in by the page)."""
    if len(text) > RECEIPT_TEXT:
        return ReceiptReport(False, _("This is far longer than a receipt: paste the receipt "
                                      "file alone."))
    if json_depth.too_deep(text):
        return ReceiptReport(False, _("The JSON nests deeper than %(depth)d levels; nothing was "
                                      "read.", depth=json_depth.MAX_DEPTH))
    try:
        receipt = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return ReceiptReport(False, _("This is not JSON: paste the whole receipt file."))
    if isinstance(receipt, dict) and receipt.get("type") == "receipt" and tracker_check:
        return tracker_check(receipt, KeyRing.from_document(keys.published_keys()))
    if not isinstance(receipt, dict) or receipt.get("type") != "ballot-receipt":
        return ReceiptReport(False, _("This JSON is not a ballot receipt."))
    keyring = KeyRing.from_document(keys.published_keys())
    try:
        verify_receipt(receipt, keyring)
    except ReceiptError as exc:
        return ReceiptReport(
            False, _("The receipt is not genuine: %(problem)s", problem=exc), receipt
        )
    report = ReceiptReport(True, _("The receipt is genuine: signed by the trust."), receipt, True)
    proposal_id = receipt["proposal"]
    sealed = results.current_result(proposal_id)
    if sealed is None:
        report.message = _(
            "The receipt is genuine: signed by the trust. "
            "The vote is not sealed yet; check again after it closes."
        )
        return report
    report.sealed = True
    result = json.loads(sealed.result_json)
    report.ballots_root = result["ballots"]["root"]
    proof = results.inclusion_for_receipt(sealed, receipt["receipt"])
    if proof is None:
        return report.fails(_("The receipt is genuine but its ballot is NOT in the sealed result."))
    try:
        verify_receipt(
            receipt,
            keyring,
            ballots_root=report.ballots_root,
            proof=proof,
            ballots_size=result["ballots"]["size"],
        )
    except ReceiptError as exc:
        return report.fails(_("The inclusion proof does not check out: %(problem)s", problem=exc))
    report.included = True
    report.proof = proof
    live = db.session.scalar(
        select(RollEntry.live_ballot_id).where(
            RollEntry.proposal_id == proposal_id, RollEntry.token == receipt["token"]
        )
    )
    ballot_id = db.session.scalar(
        select(Ballot.id).where(
            Ballot.proposal_id == proposal_id, Ballot.receipt == receipt["receipt"]
        )
    )
    report.counted = live == ballot_id
    report.message = _("The receipt is genuine and its ballot is in the sealed result.")
    return report
