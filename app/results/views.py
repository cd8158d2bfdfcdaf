"""Public, verifiable output. Exact paths: outside verifiers depend on them."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, stream_with_context

from app.core.extensions import db
from app.keys import service as keys
from app.results import service as results
from app.results.models import SealedResult
from app.translog import kinds
from app.translog import notes as translog_notes
from app.translog import service as translog

bp = Blueprint("verifiable", __name__)
HEX64 = re.compile(r"[0-9a-f]{64}")


# A result named by its digest, or a log leaf, never changes once it exists: any cache (a
# reverse proxy, a CDN, a verifier's client) may keep it for good. That is what lets read
# replicas and caches in front of the app carry the public load (docs/performance.md).
IMMUTABLE = "public, max-age=31536000, immutable"


def _json_bytes(data: bytes) -> Response:
    return Response(data, mimetype="application/json")


def _immutable(response: Response) -> Response:
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def _sealed_or_404(proposal_id: str) -> SealedResult:
    row = results.current_result(proposal_id)
    if row is None:
        abort(404, description="This proposal has no sealed result.")
    return row


@bp.get("/.well-known/trust-keys.json")
def trust_keys() -> Response:
    return jsonify(keys.published_keys())


@bp.get("/results/<proposal_id>/result.json")
def result_json(proposal_id: str) -> Response:
    data = results.current_result_bytes(proposal_id)
    if data is None:
        abort(404, description="This proposal has no sealed result.")
    # A correction replaces the current result: caches may keep it but must ask again, and
    # an unchanged result costs them a 304 with no body.
    response = _json_bytes(data)
    response.headers["Cache-Control"] = "public, no-cache"
    response.add_etag()
    response.make_conditional(request)  # turns it into a 304 in place when the tag matches
    return response


@bp.get("/results/<proposal_id>/history/<digest>.json")
def result_history(proposal_id: str, digest: str) -> Response:
    row = db.session.query(SealedResult).filter_by(proposal_id=proposal_id, digest=digest).first()
    if row is None:
        abort(404, description="No sealed result with that digest.")
    return _immutable(_json_bytes(results.result_bytes(row)))


def _jsonl(lines: Any, name: str) -> Response:
    response = Response(stream_with_context(lines), mimetype="application/jsonl")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _secret_files(row: SealedResult) -> Any:
    # A format 2 (secret) result keeps its bundle's files beside it (app.secret.seal).
    from app.secret.seal import bundle_files

    return bundle_files(row)


@bp.get("/results/<proposal_id>/roll.jsonl")
def roll_jsonl(proposal_id: str) -> Response:
    files = _secret_files(_sealed_or_404(proposal_id))
    if files is not None:
        return _jsonl(iter([files.roll_jsonl]), "roll.jsonl")
    return _jsonl(results.roll_jsonl(proposal_id), "roll.jsonl")


@bp.get("/results/<proposal_id>/ballots.jsonl")
def ballots_jsonl(proposal_id: str) -> Response:
    files = _secret_files(_sealed_or_404(proposal_id))
    if files is not None:
        return _jsonl(iter([files.ballots_jsonl]), "ballots.jsonl")
    return _jsonl(results.ballots_jsonl(proposal_id), "ballots.jsonl")


@bp.get("/results/<proposal_id>/commitments.json")
def commitments_json(proposal_id: str) -> Response:
    """The running commitments logged while the vote ran: each record as the log holds it
    (its sha256 is the leaf's), with the leaf's index, so a verifier can check both."""
    _sealed_or_404(proposal_id)
    return jsonify([
        {**record, "log_index": index}
        for index, _subject, record in kinds.records(kinds.BALLOTS_COMMITTED, proposal_id)
    ])


@bp.get("/results/<proposal_id>/election.json")
def election_json(proposal_id: str) -> Response:
    files = _secret_files(_sealed_or_404(proposal_id))
    if files is None:
        abort(404, description="An open vote has no election.json (format 1).")
    return _json_bytes((files.election_json + "\n").encode())


@bp.get("/results/<proposal_id>/tally.json")
def tally_json(proposal_id: str) -> Response:
    files = _secret_files(_sealed_or_404(proposal_id))
    if files is None:
        abort(404, description="An open vote has no tally.json (format 1).")
    return _json_bytes((files.tally_json + "\n").encode())


@bp.get("/results/<proposal_id>/proof/<receipt>")
def receipt_proof(proposal_id: str, receipt: str) -> Response:
    if not HEX64.fullmatch(receipt):
        abort(400, description="A receipt is 64 lowercase hexadecimal characters.")
    row = results.current_result(proposal_id)
    files = _secret_files(row) if row is not None else None
    if row is not None and files is not None:
        from app.secret.proofs import tracker_proof

        found = tracker_proof(row, files, receipt)
        if found is None:
            abort(404, description="No ballot with that tracker is in this sealed result.")
        return jsonify(found)
    head = results.current_head(proposal_id)
    if head is None:
        abort(404, description="This proposal has no sealed result.")
    proof = results.inclusion_for_receipt(head, receipt)
    if proof is None:
        abort(404, description="No ballot with that receipt is in this sealed result.")
    return jsonify(proof)


def _int_arg(name: str) -> int:
    value = request.args.get(name, "")
    if not re.fullmatch(r"\d{1,18}", value):
        abort(400, description=f"query parameter '{name}' must be a non-negative integer")
    return int(value)


@bp.get("/log/checkpoint")
def log_checkpoint() -> Response:
    signed = translog_notes.checkpoint()
    db.session.commit()
    return jsonify(signed)


@bp.get("/log/entries")
def log_entries() -> Response:
    try:
        return jsonify(translog.entries(_int_arg("start"), _int_arg("end")))
    except translog.LogRequestError as exc:
        abort(400, description=str(exc))


@bp.get("/log/record/<int:index>")
def log_record(index: int) -> Response:
    record = translog.record_of(index)
    if record is None:
        abort(404, description="No log leaf at that index.")
    return _immutable(jsonify(record))


@bp.get("/log/records")
def log_records() -> Response:
    """A page of records at once, for monitors reading the whole log (one request per leaf
    made them slow and the server busy)."""
    try:
        data = translog.records_bytes(_int_arg("start"), _int_arg("end"))
    except translog.LogRequestError as exc:
        abort(400, description=str(exc))
    return _immutable(_json_bytes(data))


@bp.get("/log/proof/inclusion")
def log_inclusion() -> Response:
    try:
        return jsonify(translog.inclusion(_int_arg("index"), _int_arg("size")))
    except translog.LogRequestError as exc:
        abort(400, description=str(exc))


@bp.get("/log/proof/consistency")
def log_consistency() -> Response:
    try:
        return jsonify(translog.consistency(_int_arg("first"), _int_arg("second")))
    except translog.LogRequestError as exc:
        abort(400, description=str(exc))
