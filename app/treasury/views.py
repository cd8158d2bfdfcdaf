"""The treasury pages: public accounts, charts and CSV; council requests and approvals;
administrators' income and corrections. Each view calls one service and commits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts.models import User
from app.charter import service as charter
from app.core.extensions import db
from app.council import service as council
from app.council.models import Motion
from app.translog import service as translog
from app.treasury import chart_text, charts, reports, service, supervision
from app.treasury.forms import (
    DisbursementForm,
    EmergencyForm,
    EmptyForm,
    IncomeForm,
    RatifyForm,
    ReasonForm,
    ReversalForm,
    fen_of,
)
from app.treasury.models import Budget, Disbursement, TreasuryTxn
from app.web.auth import admin_required, council_required
from app.web.documents import serve_checked
from app.web.paging import page_number_of, page_of_list, paginate
from app.web.refusals import refuse, say_reason

bp = Blueprint("treasury", __name__, url_prefix="/treasury")
SHA_RE = re.compile(r"[0-9a-f]{64}")
PAGE = 50  # disbursements a page
LEDGER_PAGE = 30  # transactions a page, each with its postings


def purpose_names() -> dict[str, str]:
    zh = str(get_locale() or "en").startswith("zh")
    return {p.id: (p.name_zh if zh else p.name_en) for p in charter.current_rules().purposes}


def _filter_errors(args: dict[str, str], filters: reports.Filters) -> dict[str, str]:
    """What is wrong with the date filter, by field: a range that ends before it starts would
    only show an empty table, as if nothing had been spent."""
    errors = {}
    for key, parsed in (("from", filters.start), ("to", filters.end)):
        if args.get(key, "").strip() and parsed is None:
            errors[key] = _("Enter a date as YYYY-MM-DD.")
    if filters.start and filters.end and filters.start > filters.end:
        errors["to"] = _("The end date %(end)s is before the start date %(start)s.",
                         end=filters.end.isoformat(), start=filters.start.isoformat())
    return errors


@bp.get("/")
def index() -> tuple[str, int]:
    args = request.args.to_dict()
    filters = reports.Filters.from_args(args)
    filter_errors = _filter_errors(args, filters)
    page = None
    rows: list = []
    if not filter_errors:
        page = paginate(reports.disbursement_query(filters), PAGE, scalars=False)
        rows = reports.with_reversals(page.items)
    pending = []
    if current_user.is_authenticated and current_user.is_council:
        pending = list(db.session.scalars(select(Disbursement).where(
            Disbursement.state == "pending").order_by(Disbursement.id)))
    summary, lines, names = reports.summary(), reports.budget_lines(), purpose_names()
    return render_template(
        "treasury/index.html",
        summary=summary,
        budgets=lines,
        budget_page=page_of_list(lines, PAGE, param="bpage"),
        chart_alt={
            "over-time": chart_text.over_time(reports.monthly()),
            "by-purpose": chart_text.by_purpose(summary, names),
            "budgets": chart_text.budgets(lines),
        },
        rows=rows,
        page=page,
        rows_total=0 if filter_errors else reports.total_not_reversed(filters),
        filters=filters,
        filter_errors=filter_errors,
        names=names,
        log_size=translog.size(),
        pending=pending,
    ), 400 if filter_errors else 200


@bp.get("/disbursements.csv")
def export_csv() -> Response:
    args = request.args.to_dict()
    filters = reports.Filters.from_args(args)
    errors = _filter_errors(args, filters)
    if errors:
        return Response(" ".join(errors.values()) + "\n", status=400, mimetype="text/plain")
    rows = reports.disbursement_rows(filters)
    return Response(reports.csv_lines(rows), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=disbursements.csv"})


@bp.get("/charts/<name>.svg")
def chart(name: str) -> Response:
    names = purpose_names()
    size = charts.SIZES.get(request.args.get("size", "wide"))
    if size is None:
        abort(404)
    zh = str(get_locale() or "en").startswith("zh")
    if name == "over-time":
        svg = charts.over_time(reports.monthly(), _("Income, spending and balance by month"), {
            "income": _("Income"), "spending": _("Spending"), "balance": _("Balance")}, size, zh)
    elif name == "by-purpose":
        svg = charts.by_purpose(reports.summary().by_purpose, names, _("Spending by purpose"),
                                size, zh)
    elif name == "budgets":
        lines = [(b.budget.id, b.spent_fen, b.remaining_fen) for b in reports.budget_lines()]
        svg = charts.budgets(lines, _("Budgets: spent and remaining"),
                             {"spent": _("Spent"), "remaining": _("Remaining")}, size, zh)
    else:
        abort(404)
    response = Response(svg, mimetype="image/svg+xml")
    # The SVG carries pygal's own <style>; as an image it can never run script.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/ledger")
def ledger() -> str | Response:
    """The ledger, newest transaction first, a page at a time; `?txn=ID` opens the page that
    holds that transaction (the links between a reversal and what it reverses)."""
    wanted = request.args.get("txn", "")
    if wanted:
        seq = db.session.scalar(select(TreasuryTxn.seq).where(TreasuryTxn.id == wanted[:64]))
        if seq is None:
            abort(404)
        newer = db.session.scalar(select(func.count()).where(TreasuryTxn.seq > seq)) or 0
        return redirect(url_for("treasury.ledger", page=page_number_of(newer, LEDGER_PAGE),
                                _anchor=f"txn-{wanted}"))
    page = paginate(select(TreasuryTxn).order_by(TreasuryTxn.seq.desc()), LEDGER_PAGE)
    ids = [t.id for t in page.items]
    entries: dict[str, list] = {}
    for e in service.entries_of(ids):
        entries.setdefault(e.txn, []).append(e)
    reversed_ = set(db.session.scalars(select(TreasuryTxn.reverses).where(
        TreasuryTxn.reverses.in_(ids)))) if ids else set()
    return render_template("treasury/ledger.html", txns=page.items, page=page, entries=entries,
                           reversed_=reversed_, form=ReversalForm())


@bp.get("/disbursements/<int:disbursement_id>")
def disbursement(disbursement_id: int) -> str:
    d = db.session.get(Disbursement, disbursement_id)
    # Private details by seat or backed role, never by the role flag alone.
    is_council = current_user.is_authenticated and (
        current_user.is_admin or council.is_seated(current_user))
    if d is None or (d.state != "recorded" and not is_council):
        abort(404)
    budget = db.session.get(Budget, d.budget_id)
    motion = db.session.get(Motion, budget.motion_id) if budget and budget.motion_id else None
    approvals = [(a, db.session.get(User, a.member_id)) for a in service.approvals_of(d)]
    return render_template(
        "treasury/disbursement.html", d=d, budget=budget, motion=motion, approvals=approvals,
        evidence=service.evidence_of(d), submitter=db.session.get(User, d.submitter_id),
        record=translog.record_of(d.log_index) if d.log_index is not None else None,
        log_size=translog.size(), names=purpose_names(), form=EmptyForm(),
        is_council=is_council, reversed_=d.txn in service.reversed_txns(),
        why_not=_why_not(d) if is_council else None,
        rules=charter.current_rules(), suspension=supervision.active_suspension(d.id),
        is_supervisor=is_council and supervision.is_supervisor(current_user.id),
        reason_form=ReasonForm(),
    )


def _why_not(d: Disbursement) -> str | None:
    """Why the reader may not approve `d`, in their language: the Approve button is shown
    only to whom the charter's rules (committee, recusal, supervision) would not refuse."""
    simple = service.why_not_approve(current_user.id, d)
    if simple is not None:
        return simple
    problems = service.approval_problems(current_user.id, d)
    return say_reason(problems[0].reason()) if problems else None


@bp.route("/disbursements/new", methods=["GET", "POST"])
@council_required
def new_disbursement() -> str | Response:
    form = DisbursementForm()
    names = purpose_names()
    budgets = [b for b in reports.budget_lines() if b.budget.authorised_at is not None]
    form.budget.choices = [(b.budget.id, f"{b.budget.id} · {b.budget.title}") for b in budgets]
    form.category.choices = list(names.items())
    if form.validate_on_submit():
        uploads = [service.Upload(f.filename or "evidence", f.mimetype or "", f.read())
                   for f in form.evidence.data or [] if getattr(f, "filename", "")]
        try:
            d = service.draft(current_user, form.budget.data or "", fen_of(form.amount_yuan.data),
                              form.category.data or "", form.beneficiary.data or "",
                              form.purpose.data or "",
                              beneficiary_private=form.beneficiary_private.data or "",
                              uploads=uploads)
            db.session.commit()
        except service.TreasuryError as exc:
            refuse(exc, audit_as=("treasury.disbursement_drafted", f"budget:{form.budget.data}"))
        else:
            flash(_("Request saved. Other seated council members can now approve it."),
                  "success")
            return redirect(url_for("treasury.disbursement", disbursement_id=d.id))
    return render_template("treasury/new_disbursement.html", form=form, budgets=budgets,
                           names=names)


@bp.post("/disbursements/<int:disbursement_id>/approve")
@council_required
def approve(disbursement_id: int) -> Response:
    if EmptyForm().validate_on_submit():
        try:
            recorded = service.approve(current_user, disbursement_id)
            db.session.commit()
        except service.TreasuryError as exc:
            refuse(exc, audit_as=("treasury.approved", f"disbursement:{disbursement_id}"))
        else:
            flash(_("Approved. The disbursement is recorded and published.") if recorded
                  else _("Approved. It needs more approvals before it is recorded."), "success")
    return redirect(url_for("treasury.disbursement", disbursement_id=disbursement_id))


@bp.post("/disbursements/<int:disbursement_id>/suspend")
@council_required
def suspend(disbursement_id: int) -> Response:
    """A supervisor holds a pending disbursement; the council then decides by motion."""
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Say why you suspend it: the reason is published."), "error")
    else:
        try:
            row = supervision.suspend(current_user, disbursement_id, form.reason.data or "")
            db.session.commit()
        except service.TreasuryError as exc:
            refuse(exc, audit_as=("treasury.suspended", f"disbursement:{disbursement_id}"))
        else:
            flash(_("Suspended. A council motion now decides whether to lift it."), "success")
            return redirect(url_for("council.motion", motion_id=row.motion_id))
    return redirect(url_for("treasury.disbursement", disbursement_id=disbursement_id))


@bp.get("/evidence/<sha256>")
@council_required
def evidence(sha256: str) -> Response:
    from app.council.service import is_seated
    from app.treasury.models import Evidence

    if not is_seated(current_user):
        abort(403)
    if db.session.scalar(select(Evidence.id).where(Evidence.sha256 == sha256).limit(1)) is None:
        abort(404)
    return serve_checked(service.evidence_dir(), sha256, f"evidence:{sha256}")


@bp.route("/income/new", methods=["GET", "POST"])
@admin_required
def new_income() -> str | Response:
    form = IncomeForm()
    if form.validate_on_submit():
        assert form.received_on.data is not None
        received = datetime.combine(form.received_on.data, time(12), UTC)
        try:
            service.record_income(current_user, form.source.data or "",
                                  fen_of(form.amount_yuan.data), received_at=received,
                                  reference=form.reference.data or "",
                                  description=form.description.data or "")
            db.session.commit()
        except service.TreasuryError as exc:
            refuse(exc, audit_as=("treasury.income", form.source.data or ""))
        else:
            flash(_("Income recorded."), "success")
            return redirect(url_for("treasury.ledger"))
    return render_template("treasury/income.html", form=form)


@bp.post("/transactions/<txn_id>/reverse")
@admin_required
def reverse(txn_id: str) -> Response:
    form = ReversalForm()
    if not form.validate_on_submit():
        flash(_("Say why the transaction is reversed, and which passed council motion decided "
                "it: both are published."), "error")
        return redirect(url_for("treasury.ledger"))
    try:
        row = service.reverse(current_user, txn_id, form.reason.data or "",
                              motion_id=form.motion_id.data)
        db.session.commit()
    except service.TreasuryError as exc:
        refuse(exc, audit_as=("treasury.reversal", txn_id))
    else:
        flash(_("Transaction %(txn)s reversed by %(rev)s.", txn=txn_id, rev=row.id), "success")
    return redirect(url_for("treasury.ledger"))


@bp.route("/emergency/new", methods=["GET", "POST"])
@council_required
def new_emergency() -> str | Response:
    form = EmergencyForm()
    names = purpose_names()
    form.category.choices = list(names.items())
    if form.validate_on_submit():
        try:
            budget = service.propose_emergency(
                current_user, form.title.data or "", fen_of(form.amount_yuan.data),
                form.category.data or "", form.beneficiary.data or "", form.purpose.data or "")
            db.session.commit()
        except service.TreasuryError as exc:
            refuse(exc, audit_as=("treasury.emergency_proposed", "emergency"))
        else:
            flash(_("Emergency motion %(m)s opened for budget %(b)s.", m=budget.motion_id,
                    b=budget.id), "success")
            return redirect(url_for("treasury.budget", budget_id=budget.id))
    return render_template("treasury/emergency.html", form=form,
                           rules=charter.current_rules())


@bp.get("/budgets/<budget_id>")
def budget(budget_id: str) -> str:
    line = next((b for b in reports.budget_lines() if b.budget.id == budget_id), None)
    if line is None:
        abort(404)
    b = line.budget
    page = paginate(reports.disbursement_query(reports.Filters(budget=budget_id)), PAGE,
                    scalars=False)
    return render_template(
        "treasury/budget.html", line=line, b=b, rows=reports.with_reversals(page.items),
        page=page, names=purpose_names(),
        motion=db.session.get(Motion, b.motion_id) if b.motion_id else None,
        form=EmptyForm(), ratify_form=RatifyForm(), log_size=translog.size(),
    )


@bp.post("/budgets/<budget_id>/authorise")
@council_required
def authorise(budget_id: str) -> Response:
    if EmptyForm().validate_on_submit():
        try:
            service.authorise_emergency(budget_id)
            db.session.commit()
        except service.TreasuryError as exc:
            refuse(exc, audit_as=("treasury.budget_authorised", budget_id))
        else:
            flash(_("Emergency budget authorised."), "success")
    return redirect(url_for("treasury.budget", budget_id=budget_id))


@bp.post("/budgets/<budget_id>/ratify")
@council_required
def ratify(budget_id: str) -> Response:
    form = RatifyForm()
    if form.validate_on_submit():
        try:
            service.ratify_emergency(current_user, budget_id,
                                     proposal_id=(form.proposal_id.data or "").strip() or None,
                                     motion_id=form.motion_id.data)
            db.session.commit()
        except service.TreasuryError as exc:
            refuse(exc, audit_as=("treasury.ratified", budget_id))
        else:
            flash(_("Ratification recorded."), "success")
    return redirect(url_for("treasury.budget", budget_id=budget_id))
