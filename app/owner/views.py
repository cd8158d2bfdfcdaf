"""An owner's own pages: growth value, weights, ballots, receipts."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app.core.db_types import utcnow
from app.core.extensions import db
from app.growth import ledger
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.proposals.spec import options_of
from app.secret import casting
from app.secret.models import SecretElection
from app.voting import service as voting
from app.voting.forms import ballot_form
from app.voting.models import Ballot, RollEntry
from app.web.auth import owner_required
from app.web.templating import option_label
from ballots.canonical import canonical_bytes

bp = Blueprint("owner", __name__, url_prefix="/me")


DASHBOARD_PAGE = 25


@bp.get("/")
@owner_required
def dashboard() -> str:
    now = utcnow()
    entries = ledger.history(current_user.id)
    open_votes = db.session.execute(
        select(Proposal, RollEntry)
        .outerjoin(
            RollEntry,
            (RollEntry.proposal_id == Proposal.id) & (RollEntry.owner_id == current_user.id),
        )
        .where(Proposal.state == "voting")
        .order_by(Proposal.closes_at)
    ).all()
    mine = db.session.scalars(
        select(Proposal)
        .where(Proposal.author_id == current_user.id)
        .order_by(Proposal.created_at.desc())
    ).all()
    from app.web.paging import page_of_list

    # Receipts and growth entries pile up over the years: each list a page at a time, apart.
    receipts = page_of_list(voting.receipts_of(current_user.id), DASHBOARD_PAGE, param="rpage")
    history = page_of_list(entries[::-1], DASHBOARD_PAGE, param="gpage")
    return render_template(
        "owner/dashboard.html",
        balance=ledger.balance(current_user.id, now),
        entries=history.items,
        history=history,
        open_votes=open_votes,
        receipts=receipts.items,
        receipt_page=receipts,
        mine=mine,
    )


def _choices(proposal: Proposal) -> list[tuple[str, str]]:
    return [(o["id"], option_label(o["id"], o["label"])) for o in options_of(proposal)]


@bp.route("/vote/<proposal_id>", methods=["GET", "POST"])
@owner_required
def vote(proposal_id: str) -> str | BaseResponse:
    proposal = proposals.get(proposal_id)
    if proposal is None:
        abort(404)
    entry = voting.roll_entry_for(proposal.id, current_user.id)
    if proposal.secrecy == "secret":
        return _secret_vote(proposal, entry)
    form = ballot_form(proposal.method, _choices(proposal), proposal.seats)
    error = None
    if form.validate_on_submit():
        data = form.choice.data
        selection = data if isinstance(data, list) else [data]
        try:
            receipt = voting.cast(proposal.id, current_user.id, selection)
        except voting.VoteRefused as exc:
            error = str(exc)
        else:
            flash(_("Your ballot is in. Keep your receipt: it proves what you chose."), "success")
            return redirect(
                url_for("owner.receipt", proposal_id=proposal.id, receipt=receipt["receipt"])
            )
    live = None
    if entry is not None and entry.live_ballot_id is not None:
        live = db.session.get(Ballot, entry.live_ballot_id)
    return render_template(
        "owner/vote.html",
        proposal=proposal,
        entry=entry,
        form=form,
        error=error,
        live=live,
        live_selection=json.loads(live.selection_json) if live else [],
        labels=dict(_choices(proposal)),
        now=utcnow(),
    )


def _secret_vote(proposal: Proposal, entry: RollEntry | None) -> str:
    """The secret vote page: the ballot is encrypted and proved on the device (JavaScript);
    the server sees the cast object, never the choice."""
    live = None
    if entry is not None and entry.live_ballot_id is not None:
        live = db.session.get(Ballot, entry.live_ballot_id)
    return render_template(
        "owner/vote_secret.html",
        proposal=proposal,
        entry=entry,
        live=live,
        election=db.session.get(SecretElection, proposal.id),
        choices=_choices(proposal),
        now=utcnow(),
    )


def _signed_receipt(ballot: Ballot, proposal: Proposal | None) -> dict[str, Any]:
    if proposal is not None and proposal.secrecy == "secret":
        return casting.receipt_of(ballot, proposal.id)
    return voting.receipt_of(ballot, ballot.proposal_id)


def _own_ballot(proposal_id: str, receipt: str) -> Ballot:
    entry = voting.roll_entry_for(proposal_id, current_user.id)
    ballot = None
    if entry is not None:
        ballot = db.session.scalar(
            select(Ballot).where(
                Ballot.proposal_id == proposal_id,
                Ballot.token == entry.token,
                Ballot.receipt == receipt,
            )
        )
    if ballot is None:
        abort(404)
    return ballot


@bp.get("/receipts/<proposal_id>/<receipt>")
@owner_required
def receipt(proposal_id: str, receipt: str) -> str:
    ballot = _own_ballot(proposal_id, receipt)
    proposal = proposals.get(proposal_id)
    signed = _signed_receipt(ballot, proposal)
    entry = voting.roll_entry_for(proposal_id, current_user.id)
    if proposal is not None and proposal.secrecy == "secret":
        return render_template(
            "owner/receipt_secret.html",
            proposal=proposal,
            receipt=signed,
            receipt_json=json.dumps(signed, indent=2, ensure_ascii=False),
            live=entry is not None and entry.live_ballot_id == ballot.id,
            sealed=proposal.state == "sealed",
        )
    live = entry is not None and entry.live_ballot_id == ballot.id
    # A replaced receipt points to the one that counts now.
    current = None
    if not live and entry is not None and entry.live_ballot_id is not None:
        current = db.session.get(Ballot, entry.live_ballot_id)
    return render_template(
        "owner/receipt.html",
        proposal=proposal,
        receipt=signed,
        receipt_json=json.dumps(signed, indent=2, ensure_ascii=False),
        live=live,
        current=current,
        ballot=ballot,
    )


@bp.get("/receipts/<proposal_id>/<receipt>.json")
@owner_required
def receipt_download(proposal_id: str, receipt: str) -> Response:
    ballot = _own_ballot(proposal_id, receipt)
    body = canonical_bytes(_signed_receipt(ballot, proposals.get(proposal_id)))
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="receipt-{proposal_id}-{receipt[:12]}.json"'
    )
    return response


@bp.route("/tokens", methods=["GET", "POST"])
@owner_required
def tokens() -> str:
    """Personal API tokens for client apps; each value is shown once, only its hash is kept."""
    from app.accounts.forms import TokenForm, TokenRevokeForm
    from app.accounts.models import ApiToken
    from app.accounts.services import issue_api_token, revoke_api_token

    form = TokenForm(prefix="new")
    revoke = TokenRevokeForm(prefix="revoke")
    issued = None
    # Any post that is not a revocation is a new-token request, so a post without either
    # button still gets the form's errors back instead of a silent page.
    if revoke.submit.data:
        if revoke.validate_on_submit() and revoke_api_token(
            current_user, int(revoke.token_id.data)
        ):
            db.session.commit()
            flash(_("Token revoked."), "success")
        else:
            flash(_("No such token."), "error")
    elif form.validate_on_submit():
        issued = issue_api_token(current_user, form.name.data or "")
        db.session.commit()
    rows = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    from app.core.db_types import utcnow

    return render_template(
        "owner/tokens.html", form=form, revoke=revoke, issued=issued, rows=rows, now=utcnow()
    )
