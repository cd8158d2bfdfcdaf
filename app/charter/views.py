"""Passed charter amendments waiting out the protector's window: public pages, and the
seated protector's two acts (hold once with a published reason; let it take effect now)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.charter import protector
from app.charter import service as charter
from app.charter.models import PendingAmendment
from app.core.extensions import db
from app.proposals.models import Proposal
from app.web.auth import council_required
from app.web.forms import TrustForm
from app.web.i18n import in_chinese
from app.web.labels import AMENDMENT_STATES
from app.web.refusals import refused
from governance.protector import ProtectorError

bp = Blueprint("amendments", __name__, url_prefix="/charter/amendments")
bp.record_once(lambda state: state.app.jinja_env.globals.update(
    amendment_state=lambda s: AMENDMENT_STATES.get(s, s)))


class HoldForm(TrustForm):
    reason = TextAreaField(_l("Why the amendment is held (published)"),
                           validators=[DataRequired(), Length(max=2000)])


class ReleaseForm(TrustForm):
    """Only the CSRF token."""


def _row_or_404(pending_id: int) -> PendingAmendment:
    return protector.get(pending_id) or abort(404)


@bp.get("")
def index() -> str:
    rows = protector.pending()
    titles = {p.id: p.title for p in db.session.scalars(
        db.select(Proposal).where(Proposal.id.in_([r.proposal_id for r in rows])))}
    return render_template("charter/amendments.html", rows=rows, titles=titles)


@bp.get("/<int:pending_id>")
def detail(pending_id: int) -> str:
    row = _row_or_404(pending_id)
    proposal = db.session.get(Proposal, row.proposal_id)
    rules = protector.rules_voted_under(proposal) if proposal else charter.current_rules()
    mine = current_user.is_authenticated and protector.is_protector(current_user)
    return render_template(
        "charter/amendment.html", row=row, proposal=proposal, rules=rules.protector,
        article_text=rules.article_text_in(rules.protector.article,
                                          "zh" if in_chinese() else "en")
        if rules.protector.article else "",
        mine=mine, hold_form=HoldForm(), release_form=ReleaseForm(),
    )


@bp.post("/<int:pending_id>/hold")
@council_required
def hold(pending_id: int) -> Response:
    row = _row_or_404(pending_id)
    target = url_for(".detail", pending_id=pending_id)
    form = HoldForm()
    if not form.validate_on_submit():
        flash(_("Say why the amendment is held: the reason is published."), "error")
        return redirect(target)
    try:
        protector.hold(current_user, row, form.reason.data or "")
        db.session.commit()
    except ProtectorError as exc:
        return refused(exc, target,
                       audit_as=("charter.amendment_hold", f"proposal:{row.proposal_id}"))
    flash(_("The amendment is held; it takes effect at the end of the hold."), "success")
    return redirect(target)


@bp.post("/<int:pending_id>/release")
@council_required
def release(pending_id: int) -> Response:
    row = _row_or_404(pending_id)
    target = url_for(".detail", pending_id=pending_id)
    if not ReleaseForm().validate_on_submit():
        abort(400)
    try:
        version = protector.release(current_user, row)
        db.session.commit()
    except ProtectorError as exc:
        return refused(exc, target,
                       audit_as=("charter.amendment_release", f"proposal:{row.proposal_id}"))
    flash(_("The amendment has taken effect as charter version %(v)s.", v=version.version),
          "success")
    return redirect(target)
