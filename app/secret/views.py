"""Secret votes on the web: the trustees' JSON API, encrypted casting, the public ceremony page.

The ceremony API is authenticated by the trustee's personal API token (Bearer; no cookies, so
exempt from CSRF) or by the session with X-CSRFToken, like the rest of /api.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, render_template, request

from app.accounts.services import api_token_digest
from app.api.views import _caster_id, auth_required
from app.core.extensions import csrf, db
from app.decisions.votes import close_and_seal
from app.proposals.models import Proposal
from app.proposals.spec import vote_spec
from app.secret import casting, ceremony, notices, qual
from app.secret import seal as secret_seal
from app.secret.models import SecretElection
from app.voting.service import VoteRefused
from ballots.records import parse_time

api = Blueprint("secret_api", __name__, url_prefix="/api/secret/<proposal_id>")
csrf.exempt(api)
pages = Blueprint("secret", __name__)

MAX_BODY = 256 * 1024


def _refused(exc: ceremony.CeremonyRefused) -> tuple[Response, int]:
    db.session.rollback()
    return jsonify({"error": str(exc), "status": exc.status}), exc.status


def _body() -> Any:
    if (request.content_length or 0) > MAX_BODY:
        abort(413, description="request body too large")
    body = request.get_json(silent=True)
    if body is None:
        abort(400, description="send a JSON body")
    return body


@api.get("/ceremony")
def ceremony_status(proposal_id: str) -> Any:
    from app.api.views import _api_user

    user = _api_user()
    try:
        return jsonify(ceremony.status(proposal_id, user.id if user else None))
    except ceremony.CeremonyRefused as exc:
        return _refused(exc)


@api.get("/proposal.json")
def proposal_spec(proposal_id: str) -> Response:
    """The vote's spec as the ballot encrypts it (the client helper's PROPOSAL.json)."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.secrecy != "secret" or proposal.opens_at is None:
        abort(404, description="no such secret vote")
    return jsonify(vote_spec(proposal).to_json())


@api.get("/election.json")
def election_json(proposal_id: str) -> Response:
    election = ceremony.election_of(proposal_id)
    # A failed ceremony has no election key: what it stored is the unsettled document.
    if election is None or election.election_json is None or election.state in (
        "keygen", "dealing", "failed"
    ):
        abort(404, description="this vote's election key is not ready")
    return Response(election.election_json, mimetype="application/json")


def _trustee_post(proposal_id: str, action: Any) -> Any:
    try:
        action(proposal_id, g.api_user.id, _body())
    except ceremony.CeremonyRefused as exc:
        return _refused(exc)
    db.session.commit()
    return jsonify(ceremony.status(proposal_id, g.api_user.id)), 201


@api.post("/keygen")
@auth_required
def keygen(proposal_id: str) -> Any:
    return _trustee_post(proposal_id, ceremony.post_keygen)


@api.post("/deal")
@auth_required
def deal(proposal_id: str) -> Any:
    return _trustee_post(proposal_id, ceremony.post_deal)


@api.get("/shares")
@auth_required
def shares(proposal_id: str) -> Any:
    try:
        return jsonify(ceremony.shares_for(proposal_id, g.api_user.id))
    except ceremony.CeremonyRefused as exc:
        return _refused(exc)


@api.post("/confirm")
@auth_required
def confirm(proposal_id: str) -> Any:
    return _trustee_post(proposal_id, lambda p, u, _b: ceremony.confirm(p, u))


@api.post("/complaints")
@auth_required
def complain(proposal_id: str) -> Any:
    """Trustee: {"dealer": i}, the share dealt by i did not open or failed its commitments."""
    return _trustee_post(proposal_id, ceremony.file_complaint)


@api.post("/answers")
@auth_required
def answer(proposal_id: str) -> Any:
    """Dealer: {"answers": {"j": f_i(j) as scalar hex}}, published for everyone to check."""
    return _trustee_post(proposal_id, ceremony.post_answers)


@api.get("/tally")
def tally(proposal_id: str) -> Any:
    election = ceremony.election_of(proposal_id)
    if election is None or election.tally_json is None:
        abort(404, description="the encrypted tally is fixed when the vote closes")
    return jsonify({"proposal": proposal_id, "ciphertexts": json.loads(election.tally_json)})


@api.post("/decrypt")
@auth_required
def decrypt(proposal_id: str) -> Any:
    election = ceremony.election_of(proposal_id)
    if election is None or election.tally_json is None:
        abort(409, description="decryption shares are taken after the vote closes")
    try:
        posted = ceremony.post_decryption(proposal_id, g.api_user.id, _body(),
                                          secret_seal.tally_of(election))
    except ceremony.CeremonyRefused as exc:
        return _refused(exc)
    sealed = None
    if posted >= election.threshold:
        decision = close_and_seal(proposal_id)
        sealed = decision.row.digest if decision.row is not None else None
    db.session.commit()
    return jsonify({"shares": posted, "threshold": election.threshold, "sealed": sealed}), 201


@api.post("/ballots")
def cast(proposal_id: str) -> tuple[Response, int]:
    """An encrypted ballot (the cast object of ballots.secret.client); 201 with the receipt."""
    header = request.headers.get("Authorization", "")
    caster: int | casting.Bearer
    if header.startswith("Bearer "):
        # The token is checked inside the cast's own read (one round trip fewer), and the body
        # read after it, so a bad token still gets its 401 first.
        caster, body = casting.Bearer(api_token_digest(header[len("Bearer "):].strip())), _body
    else:
        caster, body = _caster_id(), _body()
    try:
        receipt = casting.cast_secret(proposal_id, caster, body)
    except casting.NotAuthenticated:
        abort(401, description="authentication required: a Bearer API token or a session")
    except casting.BallotRefused as exc:
        return jsonify({"error": str(exc), "reason": exc.reason, "status": 400}), 400
    except VoteRefused as exc:
        return jsonify({"error": str(exc), "status": 422}), 422
    return jsonify(receipt), 201


@pages.app_context_processor
def trustee_duties() -> dict[str, Any]:
    """The "your duties" box on a trustee's own pages (templates/secret/_duties.html)."""
    from flask_login import current_user

    def duties() -> list[notices.Duty]:
        if not current_user.is_authenticated:
            return []
        return notices.duties_of(current_user.id)

    return {"trustee_duties": duties, "trustee_step": notices.step_words,
            "trustee_command": notices.command}


@pages.get("/proposals/<proposal_id>/trustees")
def trustees_page(proposal_id: str) -> str:
    proposal = db.session.get(Proposal, proposal_id)
    election = db.session.get(SecretElection, proposal_id)
    if proposal is None or proposal.state == "draft" or election is None:
        abort(404)
    status = ceremony.status(proposal_id)
    complaints = qual.complaints_of(proposal_id)
    names = {t["index"]: t["name"] for t in status["trustees"]}
    settled = election.state not in ("keygen", "dealing")
    out = sorted({c.dealer for c in complaints if c.answer is None or c.valid is False})
    # The steps' times as instants, so the page shows them in the reader's zone.
    steps = ("keygen_at", "dealt_at", "confirmed_at", "decrypted_at")
    rows = [{**t, **{k: parse_time(t[k]) if t[k] else None for k in steps}}
            for t in status["trustees"]]
    unkeyed = ([t["name"] for t in status["trustees"] if t["keygen_at"] is None]
               if election.state == "failed" else [])
    return render_template("secret/trustees.html", proposal=proposal, election=election,
                           status=status, rows=rows, missing=_missing(status),
                           complaints=complaints, unkeyed=unkeyed,
                           names=names, answers_due=qual.answer_due(election),
                           disqualified=[names[i] for i in out] if settled else [],
                           qualified=election.trustees - len(out))


def _missing(status: dict[str, Any]) -> list[str]:
    """What the ceremony still waits for, one line per trustee step."""
    state = status["state"]
    step = {"keygen": "keygen_at", "dealing": "confirmed_at", "closed": "decrypted_at",
            "pending": "decrypted_at"}.get(state)
    if step is None:
        return []
    return [t["name"] for t in status["trustees"] if t[step] is None]
