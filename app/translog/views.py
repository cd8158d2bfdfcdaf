"""The witnessed log in public: the C2SP checkpoint, the witness policy, a result's log proof,
and the page of who cosigned what and when."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request
from sqlalchemy import select

from app.core.extensions import db
from app.keys import service as keys
from app.results import service as results
from app.translog import notes, witnesses
from app.translog import service as translog
from app.translog.models import LogLeaf
from ballots.checkpoint import Checkpoint
from ballots.note import parse_note

bp = Blueprint("witnessed", __name__)


@bp.get("/log/checkpoint.txt")
def checkpoint_txt() -> Response:
    body = notes.served_bytes()
    db.session.commit()
    response = Response(body, mimetype="text/plain")
    response.headers["Cache-Control"] = "public, no-cache"
    return response


@bp.get("/.well-known/trust-keys.note")
def trust_keys_note() -> Response:
    """trust-keys.json signed: each key endorsed by the one before, signed by the current key."""
    body = keys.keys_note(notes.origin())
    db.session.commit()
    response = Response(body, mimetype="text/plain")
    response.headers["Cache-Control"] = "public, no-cache"
    response.add_etag()
    response.make_conditional(request)
    return response


@bp.get("/.well-known/trust-keys.proof.json")
def trust_keys_proof() -> Response:
    """Each key's log leaf, proved under the cosigned checkpoint: the witnesses' guarantee."""
    response = jsonify(notes.keys_proof())
    db.session.commit()
    response.headers["Cache-Control"] = "public, no-cache"
    return response


@bp.get("/.well-known/trust-witnesses.json")
def trust_witnesses() -> Response:
    return jsonify(notes.policy())


@bp.get("/results/<proposal_id>/log-proof.json")
def log_proof(proposal_id: str) -> Response:
    """The current result's leaf, proved under the served (cosigned) checkpoint."""
    row = results.current_result(proposal_id)
    if row is None:
        abort(404, description="This proposal has no sealed result.")
    leaf = db.session.scalar(
        select(LogLeaf).where(LogLeaf.type == "result.sealed", LogLeaf.sha256 == row.digest)
    )
    if leaf is None:
        abort(404, description="This result is not in the log.")
    note = notes.served_bytes()
    size = Checkpoint.parse(parse_note(note).text).size
    db.session.commit()
    if leaf.index >= size:
        abort(
            404,
            description="This result is in the log but not yet under a cosigned checkpoint; "
            "ask again after the witnesses next cosign.",
        )
    proof = translog.inclusion(leaf.index, size)
    response = jsonify(
        {"leaf": translog.leaf_object(leaf), "inclusion": proof, "checkpoint": note.decode()}
    )
    response.headers["Cache-Control"] = "public, no-cache"
    return response


@bp.get("/log/witnesses")
def witnesses_page() -> str:
    rules = notes.witness_rules()
    page = render_template(
        "public/witnesses.html",
        rules=rules,
        contacts=witnesses.contacts(),
        history=notes.history(),
        origin=notes.origin(),
        served=notes.served(),
    )
    db.session.commit()
    return page
