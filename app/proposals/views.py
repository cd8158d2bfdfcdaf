from __future__ import annotations

import json
from datetime import UTC

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth import council_required, owner_required
from app.charter import service as charter
from app.extensions import db
from app.i18n import purpose_name
from app.proposals import service
from app.proposals.forms import EmptyForm, ProposalForm, ReasonForm, ScheduleForm
from app.proposals.models import Proposal
from app.proposals.spec import options_of
from app.results import service as results
from app.voting import service as voting

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

LISTED_STATES = ("submitted", "cosigned", "accepted", "scheduled", "voting", "closed", "sealed")


def _get_or_404(proposal_id: str) -> Proposal:
    proposal = service.get(proposal_id)
    if proposal is None:
        abort(404)
    # Drafts are their author's until submitted.
    if proposal.state == "draft" and not (
        current_user.is_authenticated
        and (current_user.id == proposal.author_id or current_user.is_council)
    ):
        abort(404)
    return proposal


@bp.get("/")
def index() -> str:
    state = request.args.get("state")
    query = select(Proposal).order_by(Proposal.created_at.desc())
    if state in LISTED_STATES or state in ("rejected", "withdrawn"):
        query = query.where(Proposal.state == state)
    else:
        query = query.where(Proposal.state.in_(LISTED_STATES))
    proposals = db.session.scalars(query.limit(200)).all()
    return render_template("proposals/index.html", proposals=proposals, state=state)


@bp.get("/<proposal_id>")
def detail(proposal_id: str) -> str:
    proposal = _get_or_404(proposal_id)
    my_entry = None
    if current_user.is_authenticated and proposal.state in ("voting", "closed", "sealed"):
        my_entry = voting.roll_entry_for(proposal.id, current_user.id)
    return render_template(
        "proposals/detail.html",
        proposal=proposal,
        options=options_of(proposal),
        payload=json.loads(proposal.payload_json),
        events=service.events(proposal.id),
        cosigns=service.cosign_count(proposal.id),
        cosigns_needed=service.lifecycle.cosigns_needed(proposal, charter.current_rules()),
        result=results.current_result(proposal.id),
        my_entry=my_entry,
        action_form=EmptyForm(),
        reason_form=ReasonForm(),
        schedule_form=ScheduleForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
@owner_required
def new() -> str | Response:
    form = ProposalForm()
    rules = charter.current_rules()
    form.category.choices = [("", "—")] + [(p.id, purpose_name(p)) for p in rules.purposes]
    if form.validate_on_submit():
        fields: dict[str, object] = {}
        if form.kind.data == "spending":
            fields = {
                "amount_fen": (form.amount_yuan.data or 0) * 100,
                "category": form.category.data or "",
                "beneficiary": (form.beneficiary.data or "").strip(),
            }
        draft = service.Draft(
            kind=form.kind.data or "general",
            title=form.title.data or "",
            body=form.body.data or "",
            fields=fields,
            options=(form.options.data or "").splitlines(),
        )
        try:
            proposal = service.create_draft(current_user, draft)
            db.session.commit()
        except service.ProposalError as exc:
            db.session.rollback()
            _attach_problems(form, exc)
        else:
            flash(_("Draft saved. Submit it when it is ready."), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    return render_template("proposals/new.html", form=form)


def _attach_problems(form: ProposalForm, exc: service.ProposalError) -> None:
    for field_name, message in exc.problems or [("title", str(exc))]:
        field = getattr(form, field_name.replace("amount_fen", "amount_yuan"), None) or form.title
        field.errors = list(field.errors) + [message]


def _refused(proposal_id: str, exc: Exception) -> Response:
    db.session.rollback()
    problems = getattr(exc, "problems", None)
    flash(str(exc) + (" " + "; ".join(m for _f, m in problems) if problems else ""), "error")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id))


def _act(proposal_id: str, action: str) -> Response:
    proposal = _get_or_404(proposal_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    reason = form.reason.data or ""
    try:
        if action == "submit":
            service.submit(proposal, current_user)
        elif action == "withdraw":
            service.withdraw(proposal, current_user, reason)
        elif action == "cosign":
            service.cosign(proposal, current_user)
        elif action == "reject":
            service.reject(proposal, current_user, reason)
        db.session.commit()
    except (service.ProposalError, service.lifecycle.LifecycleError) as exc:
        return _refused(proposal_id, exc)
    flash(_("Done."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id))


@bp.post("/<proposal_id>/submit")
@owner_required
def submit(proposal_id: str) -> Response:
    return _act(proposal_id, "submit")


@bp.post("/<proposal_id>/withdraw")
@owner_required
def withdraw(proposal_id: str) -> Response:
    return _act(proposal_id, "withdraw")


@bp.post("/<proposal_id>/cosign")
@owner_required
def cosign(proposal_id: str) -> Response:
    return _act(proposal_id, "cosign")


@bp.post("/<proposal_id>/reject")
@council_required
def reject(proposal_id: str) -> Response:
    return _act(proposal_id, "reject")


def _window_action(proposal_id: str, action: str) -> Response:
    proposal = _get_or_404(proposal_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("proposals.detail", proposal_id=proposal_id))
    opens_at = form.opens_at.data.replace(tzinfo=UTC)
    closes_at = form.closes_at.data.replace(tzinfo=UTC)
    try:
        if action == "accept":
            service.accept(proposal, current_user, opens_at, closes_at, form.reason.data or "")
        else:
            service.schedule(proposal, current_user, opens_at, closes_at)
        db.session.commit()
    except (service.ProposalError, service.lifecycle.LifecycleError) as exc:
        return _refused(proposal_id, exc)
    flash(_("Vote scheduled."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id))


@bp.post("/<proposal_id>/accept")
@council_required
def accept(proposal_id: str) -> Response:
    return _window_action(proposal_id, "accept")


@bp.post("/<proposal_id>/schedule")
@owner_required
def schedule(proposal_id: str) -> Response:
    return _window_action(proposal_id, "schedule")
