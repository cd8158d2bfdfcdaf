"""Pages for everyone: no sign-in needed."""

from __future__ import annotations

import json

from flask import Blueprint, abort, make_response, redirect, render_template, request
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import bindparam, func, select
from werkzeug.wrappers import Response
from wtforms import FileField, TextAreaField
from wtforms.validators import Length, Optional

from app.charter import service as charter_service
from app.core.database import fast_scalar
from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals.models import Proposal
from app.proposals.spec import options_of
from app.results import receipts as receipt_check
from app.results import service as results
from app.results.models import SealedResult
from app.secret import receipts as tracker_receipts
from app.translog import kinds
from app.translog import notes as translog_notes
from app.translog import service as translog
from app.translog.models import LogLeaf
from app.web import pagecache
from app.web.forms import TrustForm
from app.web.i18n import COOKIE, LOCALES, TIMEZONES, TZ_COOKIE

bp = Blueprint("public", __name__)


class ReceiptCheckForm(TrustForm):
    receipt = TextAreaField(_l("Receipt (JSON)"), validators=[Optional(), Length(max=20000)])
    upload = FileField(_l("…or upload the receipt file"))


@bp.get("/")
def home() -> str:
    live = db.session.scalars(
        select(Proposal).where(Proposal.state == "voting").order_by(Proposal.closes_at)
    ).all()
    recent = db.session.execute(
        select(Proposal, SealedResult)
        .join(SealedResult, (SealedResult.proposal_id == Proposal.id) & SealedResult.current)
        .order_by(SealedResult.sealed_at.desc())
        .limit(6)
    ).all()
    upcoming = db.session.scalars(
        select(Proposal)
        .where(Proposal.state.in_(("scheduled", "submitted", "cosigned", "accepted")))
        .order_by(Proposal.created_at.desc())
        .limit(6)
    ).all()
    return render_template(
        "public/home.html",
        live=live,
        recent=[(p, json.loads(r.result_json)) for p, r in recent],
        upcoming=upcoming,
        log_size=translog.size(),
    )


@bp.get("/results/")
def results_index() -> str:
    from app.web.paging import paginate

    page = paginate(
        select(Proposal, SealedResult)
        .join(SealedResult, SealedResult.proposal_id == Proposal.id)
        .order_by(SealedResult.sealed_at.desc(), SealedResult.id.desc()),
        30,
        scalars=False,
    )
    return render_template(
        "public/results_index.html", page=page,
        rows=[(p, r, json.loads(r.result_json)) for p, r in page.items],
    )


# Rendered result bodies by (digest, language, time zone, site address): a sealed result never
# changes, and a correction is a new digest. Per worker, bounded; the page around the body
# (navigation, the language form's CSRF token) is still rendered for each visitor.
_RESULT_BODIES: dict[tuple[str, ...], tuple[str, Markup]] = {}
_RESULT_BODIES_MAX = 256
_CURRENT_DIGEST = select(SealedResult.digest).where(
    SealedResult.proposal_id == bindparam("p"), SealedResult.current.is_(True)
)


def _result_body(proposal: Proposal, row: SealedResult) -> Markup:
    result = json.loads(row.result_json)
    history = db.session.scalars(
        select(SealedResult)
        .where(SealedResult.proposal_id == proposal.id)
        .order_by(SealedResult.sealed_at)
    ).all()
    log_leaf = db.session.scalar(
        select(LogLeaf).where(LogLeaf.type == "result.sealed", LogLeaf.sha256 == row.digest)
    )
    # A correction says why, and which council motion decided it (app.results.seal).
    correction = next((record for _i, _s, record in kinds.records("result.corrected", proposal.id)
                       if record.get("digest") == row.digest), None)
    base = request.host_url.rstrip("/")
    # render_template's output is already escaped HTML: kept as such inside the page.
    return Markup(  # noqa: S704
        render_template(
            "public/_result_body.html",
            proposal=proposal,
            result=result,
            row=row,
            history=history,
            options=options_of(proposal),
            log_leaf=log_leaf,
            correction=correction,
            bundle_url=f"{base}/results/{proposal.id}/",
        )
    )


@bp.get("/results/<proposal_id>/")
def result_page(proposal_id: str) -> str:
    # The body depends only on the sealed result (named by its digest) and the reader's
    # language: a prebuilt one-column lookup finds the digest, the rest comes from the cache.
    digest = fast_scalar(_CURRENT_DIGEST, {"p": proposal_id})
    if digest is None:
        return _no_result_yet(proposal_id)
    key = (
        proposal_id,
        digest,
        str(get_locale()),
        str(get_timezone()),
        request.host_url,
        request.script_root,
    )
    cached = _RESULT_BODIES.get(key)
    if cached is None:
        proposal = db.session.get(Proposal, proposal_id)
        row = results.current_result(proposal_id)
        if proposal is None or row is None:
            abort(404)
        # A correction sealed since the lookup above: cache what is now current, under its name.
        key = (proposal_id, row.digest, *key[2:])
        cached = (proposal.title, _result_body(proposal, row))
        if len(_RESULT_BODIES) >= _RESULT_BODIES_MAX:
            _RESULT_BODIES.clear()
        _RESULT_BODIES[key] = cached
    title, body = cached
    return pagecache.for_signed_out(
        (*key, request.full_path),
        lambda: render_template("public/result.html", title=title, body=body),
    )


@bp.get("/charter")
def charter() -> str:
    versions = charter_service.versions()
    current = charter_service.current()
    shown = current
    wanted = request.args.get("version", "")
    if wanted.isdigit():
        shown = next((v for v in versions if v.version == int(wanted)), None) or abort(404)
    rules = charter_service.rules_of(shown) if shown else None
    return render_template(
        "public/charter.html",
        versions=versions,
        current=current,
        shown=shown,
        rules=rules,
        rules_data=json.loads(shown.rules_json) if shown else {},
        text=charter_service.text_for(shown, str(get_locale() or "en")) if shown else ("", "en"),
        rules_json=json.dumps(json.loads(shown.rules_json), indent=2, ensure_ascii=False)
        if shown
        else "",
    )


@bp.get("/charter/rules.json")
def charter_rules_json() -> Response:
    """The rules of a charter version (the one in force by default) exactly as stored."""
    versions = charter_service.versions()
    wanted = request.args.get("version", "")
    shown = charter_service.current()
    if wanted.isdigit():
        shown = next((v for v in versions if v.version == int(wanted)), None)
    if shown is None:
        abort(404)
    response = make_response(shown.rules_json)
    response.mimetype = "application/json"
    return response


@bp.get("/log")
def log_browser() -> str:
    size = translog.size()
    page_size = 50
    page = request.args.get("page", "")
    start = (
        int(page) * page_size
        if page.isdigit()
        # With no page asked for, the newest page: the one holding the last leaf.
        else max(size - 1, 0) // page_size * page_size
    )
    rows = db.session.scalars(
        select(LogLeaf).where(LogLeaf.index >= start).order_by(LogLeaf.index).limit(page_size)
    ).all()
    checkpoint = translog_notes.checkpoint() if size else None
    db.session.commit()
    return render_template(
        "public/log.html",
        rows=rows,
        size=size,
        start=start,
        page_size=page_size,
        checkpoint=checkpoint,
    )


@bp.get("/log/<int:index>/")
def log_entry(index: int) -> str:
    """One log record as a page: what it records, field by field, and the proof that it is in
    the log under the latest signed checkpoint. The JSON a verifier reads is linked."""
    leaf = db.session.get(LogLeaf, index)
    if leaf is None:
        abort(404)
    checkpoint = translog_notes.checkpoint()
    db.session.commit()
    proof = translog.inclusion(index, checkpoint["size"])
    record = json.loads(leaf.record_json)
    fields = [
        (key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for key, value in record.items()
    ]
    return render_template(
        "public/log_entry.html",
        leaf=leaf,
        fields=fields,
        checkpoint=checkpoint,
        proof=proof,
        size=checkpoint["size"],
    )


@bp.route("/verify", methods=["GET", "POST"])
def verify_page() -> str:
    form = ReceiptCheckForm()
    report = None
    if form.validate_on_submit():
        text = form.receipt.data or ""
        upload = request.files.get("upload")
        if upload and upload.filename:
            text = upload.read(20001).decode("utf-8", errors="replace")
        if not text.strip():
            form.receipt.errors = [_("Paste a receipt or choose a receipt file.")]
        else:
            report = receipt_check.check(text, tracker_check=tracker_receipts.check)
    sealed_count = db.session.scalar(select(func.count()).select_from(SealedResult)) or 0
    return render_template(
        "public/verify.html",
        form=form,
        report=report,
        sealed_count=sealed_count,
        base=request.host_url.rstrip("/"),
    )


@bp.post("/language")
def set_language() -> Response:
    form = FlaskForm()
    locale = request.form.get("locale", "")
    target = request.form.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    if not form.validate() or locale not in LOCALES:
        abort(400)
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    response = make_response(redirect(target))
    response.set_cookie(COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def _no_result_yet(proposal_id: str) -> str:
    """A vote's result address before there is a result: say where the vote stands and when
    the result comes, rather than a bare "not found" to an owner following a shared link."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.state not in ("scheduled", "voting", "closed"):
        abort(404)
    return render_template("public/result_pending.html", proposal=proposal)


@bp.post("/timezone")
def set_timezone() -> Response:
    """The reader's zone for every time shown (saved on their account when signed in)."""
    form = FlaskForm()
    zone = request.form.get("timezone", "")
    target = request.form.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    if not form.validate() or zone not in TIMEZONES:
        abort(400)
    if current_user.is_authenticated:
        current_user.timezone = zone
        db.session.commit()
    response = make_response(redirect(target))
    response.set_cookie(TZ_COOKIE, zone, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.get("/healthz")
def healthz() -> dict[str, object]:
    db.session.execute(select(1))
    return {"ok": True, "time": utcnow().isoformat()}
