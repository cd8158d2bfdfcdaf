"""A candidacy's page (Art. 11.5): the candidate's statement, the nominations given so far
against the charter's number and deadline, and the owner's own "nominate" button."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.models import User
from app.charter import service as charter
from app.core.extensions import db
from app.council import nominations
from app.council.forms import ActionForm
from app.council.models import Candidacy
from app.council.views import bp
from app.web.auth import owner_required
from app.web.refusals import refused, say


def _candidacy(candidacy_id: int) -> Candidacy:
    row = db.session.get(Candidacy, candidacy_id)
    if row is None:
        abort(404)
    return row


@bp.get("/candidates/<int:candidacy_id>")
def candidacy(candidacy_id: int) -> str:
    row = _candidacy(candidacy_id)
    rules = charter.current_rules()
    candidate = db.session.get(User, row.user_id)
    why_not = None
    if current_user.is_authenticated:
        refusal = nominations.refusal(row, current_user)
        why_not = say(refusal) if refusal is not None else None
    return render_template(
        "council/candidacy.html",
        candidacy=row,
        candidate=candidate,
        given=nominations.given(row),
        required=rules.council.nominations_required,
        stands=nominations.stands(row, rules),
        nominators=nominations.nominators(row),
        why_not=why_not,
        mine=current_user.is_authenticated and nominations.has_nominated(row, current_user),
        form=ActionForm(),
    )


@bp.post("/candidates/<int:candidacy_id>/nominate")
@owner_required
def nominate(candidacy_id: int) -> Response:
    """The owner nominates the candidate in their own account; nobody nominates for another."""
    row = _candidacy(candidacy_id)
    target = url_for("council.candidacy", candidacy_id=row.id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        count = nominations.nominate(row, current_user)
        db.session.commit()
    except nominations.NominationError as exc:
        return refused(exc, target)
    required = charter.current_rules().council.nominations_required
    flash(_("Your nomination is given: %(count)s of %(required)s.", count=count,
            required=required), "success")
    return redirect(target)
