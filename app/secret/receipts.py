"""The /verify page's check of a secret ballot's receipt: a signed tracker, no choice.

What it can say: the signature (docs/verification.md, format 2), and, once the vote is sealed,
whether a ballot with this tracker is in the published bundle under the signed root and whether
it counts or a later ballot of the same token replaced it. Before the seal it says only where the
vote stands: whether a voter changed their vote stays unknown to whoever holds their receipt
until the bundle is published (then ballots.jsonl shows it to anyone).
"""

from __future__ import annotations

import json
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from app.core.extensions import db
from app.proposals.models import Proposal
from app.results import service as results
from app.results.receipts import ReceiptReport
from app.secret.models import SecretElection
from app.secret.proofs import tracker_proof
from app.secret.seal import bundle_files
from ballots.keys import KeyRing
from ballots.receipts import ReceiptError
from ballots.records import parse_time
from ballots.secret.receipts import check_tracker_inclusion, check_tracker_receipt


def _waiting(proposal: Proposal | None, election: SecretElection | None) -> str:
    if proposal is None or election is None:
        return _("The receipt is genuine: signed by the trust. Its vote has no sealed result "
                 "here.")
    if proposal.state == "voting":
        return _("The receipt is genuine: signed by the trust. The vote is still open; after "
                 "it closes and its trustees decrypt the total, check again to see your tracker "
                 "among the counted ballots.")
    if election.state == "pending":
        return _("The receipt is genuine: signed by the trust. The vote is closed but not "
                 "sealed: fewer trustees posted their decryption shares in time than are needed "
                 "(sealed-pending). Check again once it is sealed.")
    return _("The receipt is genuine: signed by the trust. The vote is closed and waits for "
             "its trustees' decryption shares; check again once it is sealed.")


def check(receipt: dict[str, Any], keyring: KeyRing) -> ReceiptReport:
    try:
        tracker = check_tracker_receipt(receipt, keyring)
    except ReceiptError as exc:
        # A forged or altered receipt: the reason, and nothing read from it.
        return ReceiptReport(False, _("This tracker receipt is not genuine: %(problem)s",
                                      problem=exc), tracker=True)
    report = ReceiptReport(True, "", receipt, True, tracker=True)
    proposal_id = receipt["proposal"]
    proposal = db.session.get(Proposal, proposal_id)
    election = db.session.get(SecretElection, proposal_id)
    sealed = results.current_result(proposal_id)
    files = bundle_files(sealed) if sealed is not None else None
    report.title = proposal.title if proposal is not None else None
    report.cast_at = parse_time(receipt["cast_at"])
    if sealed is None or files is None:
        report.message = _waiting(proposal, election)
        return report
    report.sealed = True
    result = json.loads(sealed.result_json)
    report.ballots_root = result["ballots"]["root"]
    proof = tracker_proof(sealed, files, tracker)
    if proof is None:
        return report.fails(_("The receipt is genuine, but no ballot with this tracker is "
                              "among the ballots of the sealed result."))
    try:
        found = check_tracker_inclusion(receipt, proof, report.ballots_root,
                                        result["ballots"]["size"])
    except ReceiptError as exc:
        return report.fails(_("The inclusion proof does not check out: %(problem)s", problem=exc))
    report.included = True
    report.proof = proof
    report.counted = found.counted
    report.proof_url = url_for("verifiable.receipt_proof", proposal_id=proposal_id,
                               receipt=tracker)
    if found.counted:
        report.message = _("The receipt is genuine, and its ballot is among the ballots counted "
                           "in the sealed result.")
    else:
        report.message = _("The receipt is genuine and its ballot is in the sealed result, but "
                           "it does not count: a later ballot of the same voter replaced it.")
    return report
