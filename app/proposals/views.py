from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.accounts.models import User
from app.charter import service as charter
from app.core.extensions import db
from app.council import recall
from app.council.models import CouncilSeat
from app.proposals import amendment_form as amendment
from app.proposals import amendment_labels, service
from app.proposals.forms import (
    KIND_CHOICES,
    EmptyForm,
    ProposalForm,
    ReasonForm,
    ScheduleForm,
)
from app.proposals.models import Proposal
from app.proposals.spec import options_of
from app.results import service as results
from app.voting import service as voting
from app.web.auth import council_required, owner_required
from app.web.i18n import purpose_name
from app.web.labels import COUNCIL_ROLES
from app.web.refusals import refused, say
from app.web.templating import STATE_LABELS

NOT_NOW = _l("Not possible while the proposal is %(state)s: %(why)s")
bp = Blueprint("proposals", __name__, url_prefix="/proposals")

LISTED_STATES = ("submitted", "cosigned", "accepted", "scheduled", "voting", "closed", "sealed")


def _get_or_404(proposal_id: str) -> Proposal:
    proposal = service.get(proposal_id)
    if proposal is None:
        abort(404)
    if not service.visible_to(proposal, current_user):
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
    from app.web.paging import paginate

    page = paginate(query, 24)
    return render_template("proposals/index.html", proposals=page.items, state=state,
                           page=page)


@bp.get("/<proposal_id>")
def detail(proposal_id: str) -> str:
    proposal = _get_or_404(proposal_id)
    my_entry = None
    if current_user.is_authenticated and proposal.state in ("voting", "closed", "sealed"):
        my_entry = voting.roll_entry_for(proposal.id, current_user.id)
    payload = json.loads(proposal.payload_json)
    return render_template(
        "proposals/detail.html",
        proposal=proposal,
        options=options_of(proposal),
        payload=payload,
        rules_json=json.dumps(payload.get("new_rules"), indent=2, ensure_ascii=False,
                              sort_keys=True),
        events=service.events(proposal.id),
        cosigns=service.cosign_count(proposal.id),
        cosigners=service.cosigners(proposal.id),
        cosigns_needed=service.lifecycle.cosigns_needed(proposal, charter.current_rules()),
        result=results.current_result(proposal.id),
        my_entry=my_entry,
        action_form=EmptyForm(),
        reason_form=ReasonForm(),
        schedule_form=ScheduleForm(),
        council_facts=_council_facts(proposal, payload),
    )


def _council_facts(proposal: Proposal, payload: dict[str, object]) -> dict[str, object]:
    """What an owners' election call or recall names, in words: the role, the seat, the member,
    and the election a passed call drafted."""
    from app.council import elections

    if proposal.kind == "call_election":
        return {"role": COUNCIL_ROLES.get(str(payload.get("role")), payload.get("role")),
                "seats": payload.get("seats"), "election": elections.called_election(proposal.id)}
    if proposal.kind == "recall_member":
        seat = db.session.get(CouncilSeat, payload.get("seat"))
        member = db.session.get(User, payload.get("member"))
        return {"role": COUNCIL_ROLES.get(seat.role, seat.role) if seat else "—",
                "seat": seat, "member": member.display_name if member else "—"}
    return {}


@bp.route("/new", methods=["GET", "POST"])
@owner_required
def new() -> str | Response | tuple[str, int]:
    version = charter.require_current()
    rules = charter.rules_of(version)
    # First the kind, then only that kind's fields: a page of every kind's boxes, most of them
    # "ignored", is what a newcomer trips over. The kind travels in the URL, so no script.
    kind = request.values.get("kind", "")
    in_charter = {r.kind for r in rules.voting.kinds}
    kinds = [(k, label, rules.voting.kind(k).cosign_required) for k, label in KIND_CHOICES
             if k in in_charter]
    if kind not in {k for k, _label, _n in kinds}:
        status = 400 if request.method == "POST" else 200
        return render_template("proposals/choose_kind.html", kinds=kinds), status
    form = ProposalForm()
    form.kind.data = kind
    form.category.choices = [("", "—")] + [(p.id, purpose_name(p)) for p in rules.purposes]
    if kind == "recall_member":
        form.seat.choices = [("", "—")] + [
            (str(seat.id), f"{name} · {COUNCIL_ROLES.get(seat.role, seat.role)}")
            for seat, name in recall.recallable()]
    problems: list[str] = []
    editor = None
    if kind == "charter_amendment":
        # The charter in force as fields: its articles and its rules' values (no JSON box).
        in_force = json.loads(version.rules_json)
        editor = (amendment.from_form(request.form, in_force) if form.is_submitted()
                  else amendment.blank(in_force))
        if form.is_submitted() and request.form.get("add_article"):
            amendment.add_row(editor)
            return _new_page(form, [], kind, rules, editor)
    if form.validate_on_submit():
        if editor is not None:
            fields = amendment.build(editor, json.loads(version.rules_json), version.text,
                                     version.text_zh or "")
        else:
            fields = kind_fields(form)
        if fields is not None:
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
                problems = _attach_problems(form, exc, editor)
            except recall.RecallError as exc:
                db.session.rollback()
                form.seat.errors = [*form.seat.errors, say(exc)]
            else:
                flash(_("Draft saved. Submit it when it is ready."), "success")
                return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    elif editor is not None and form.is_submitted():
        # The other fields are refused: still say what is wrong in the editor, all at once.
        amendment.build(editor, json.loads(version.rules_json), version.text,
                        version.text_zh or "")
    return _new_page(form, problems, kind, rules, editor)


def _new_page(form: ProposalForm, problems: list[str], kind: str, rules: Any,
              editor: amendment.Editor | None) -> str:
    return render_template(
        "proposals/new.html",
        form=form,
        problems=problems + (editor.problems if editor else []),
        kind=kind,
        kind_label=dict(KIND_CHOICES)[kind],
        cosign_required=rules.voting.kind(kind).cosign_required,
        editor=editor,
        editor_errors=editor is not None and editor.has_errors(),
        rule_label=amendment_labels.label,
        rule_section=amendment_labels.section,
    )


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def kind_fields(form: ProposalForm) -> dict[str, object] | None:
    """The kind's own fields from the form; None (with the field's error set) when the rules
    JSON cannot even be read."""
    kind = form.kind.data
    if kind == "spending":
        return {
            "amount_fen": (form.amount_yuan.data or 0) * 100,
            "category": form.category.data or "",
            "beneficiary": (form.beneficiary.data or "").strip(),
            "purpose": (form.purpose.data or "").strip(),
        }
    if kind == "community_scheme":
        return {"scheme_text": (form.scheme_text.data or "").strip(),
                "criteria": _lines(form.criteria.data)}
    if kind == "charter_amendment":
        try:
            new_rules = json.loads(form.new_rules.data or "")
        except json.JSONDecodeError as exc:
            form.new_rules.errors = [*form.new_rules.errors, _(
                "This is not valid JSON (line %(line)s, column %(column)s): %(reason)s",
                line=exc.lineno, column=exc.colno, reason=exc.msg)]
            return None
        return {"new_text": form.new_text.data or "", "new_text_zh": form.new_text_zh.data or "",
                "new_rules": new_rules}
    if kind == "call_election":
        return {"role": form.role.data or "", "seats": form.seats.data or 0}
    if kind == "recall_member":
        return recall_fields(form.seat.data or "")
    return {}


def recall_fields(seat: str) -> dict[str, object]:
    """The seat chosen and the member holding it (the service checks both again)."""
    row = db.session.get(CouncilSeat, int(seat)) if seat.isdigit() else None
    return {"seat": row.id if row else 0, "member": row.member_id if row else 0}


# governance names a few fields differently from the form.
FORM_FIELD = {"amount_fen": "amount_yuan"}


def _attach_problems(form: ProposalForm, exc: service.ProposalError,
                     editor: amendment.Editor | None = None) -> list[str]:
    """Put each problem under its field; return those that belong to no field."""
    unplaced = []
    problems = list(exc.problems)
    if editor is not None:
        mine = [(n, m) for n, m in problems if n.startswith(("new_rules", "new_text"))]
        unplaced += amendment.place_problems(editor, mine)
        problems = [p for p in problems if p not in mine]
    for name, message in problems:
        if name.startswith("new_rules") and name != "new_rules":
            # A problem deep inside the rules: say where, as a JSON path from the top.
            message = f"${name.removeprefix('new_rules')}: {message}"
            name = "new_rules"
        field = getattr(form, FORM_FIELD.get(name, name), None)
        if field is None or name in ("csrf_token", "meta"):
            unplaced.append(f"{name}: {message}")
        else:
            field.errors = [*field.errors, message]
    if not exc.problems:
        unplaced.append(str(exc))
    return unplaced


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
        return refused(exc, url_for("proposals.detail", proposal_id=proposal_id),
                       states=STATE_LABELS, lead=NOT_NOW)
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
        return refused(exc, url_for("proposals.detail", proposal_id=proposal_id),
                       states=STATE_LABELS, lead=NOT_NOW)
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
