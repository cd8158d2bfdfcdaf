"""Council pages: seats and terms, motions, the review queue, candidacies and elections."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.charter import service as charter
from app.communities import service as communities
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import elections, interests, nominations, recall
from app.council import service as council
from app.council.forms import (
    ActionForm,
    CallElectionForm,
    CandidacyForm,
    InterestForm,
    MotionVoteForm,
    ProposalMotionForm,
    RecuseForm,
)
from app.council.models import Candidacy
from app.decisions import motions as motion_decisions
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.web import own_words
from app.web.auth import council_required, owner_required
from app.web.labels import COUNCIL_ROLES, MOTION_KINDS
from app.web.refusals import refused, say
from app.web.templating import current_locale_tag
from governance.charter import ROLES
from governance.transitions import TransitionError

bp = Blueprint("council", __name__, url_prefix="/council")

ROLE_LABELS = COUNCIL_ROLES


def motion_title(motion: Any) -> Markup:
    """A motion's title in the reader's language: the system names what it made; a general
    motion keeps the words its member wrote, marked with their language."""
    if motion.kind != "general" and motion.kind in MOTION_KINDS:
        return escape(_("%(kind)s — %(subject)s", kind=MOTION_KINDS[motion.kind],
                        subject=_subject_words(motion.subject)))
    return own_words.marked(motion.title, current_locale_tag())


def proposal_title(proposal: Any) -> Markup:
    """A proposal's title: elections and referrals are named by the system, the rest by owners."""
    payload = json.loads(proposal.payload_json or "{}")
    if proposal.kind == "council_election" and payload.get("role") in COUNCIL_ROLES:
        return escape(_("Council election: %(role)s (%(seats)s seats)",
                        role=COUNCIL_ROLES[payload["role"]],
                        seats=payload.get("seats") or proposal.seats))
    if proposal.kind == "council_referral" and (m := council.get_motion(payload.get("motion", 0))):
        return escape(_("The owners decide for the council: %(title)s")) % {
            "title": motion_title(m)}
    return own_words.marked(proposal.title, current_locale_tag())


# Globals, not context: macros imported without context (the proposal cards) use them too.
bp.record_once(lambda state: state.app.jinja_env.globals.update(
    motion_title=motion_title, proposal_title=proposal_title))


@bp.app_context_processor
def council_helpers() -> dict[str, Any]:
    def seated_now() -> bool:
        return current_user.is_authenticated and council.is_seated(current_user)

    def my_communities() -> list[Any]:
        return communities.of_owner(current_user) if current_user.is_authenticated else []

    return {
        "council_seated": seated_now,
        "council_motions_about": council.motions_about,
        "council_role_label": lambda r: ROLE_LABELS.get(r, r),
        "my_communities": my_communities,
        "proposal_motion_form": ProposalMotionForm,
    }


def _names(ids: set[int]) -> dict[int, str]:
    from app.accounts.models import User

    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {uid: name for uid, name in rows}


@bp.get("/")
def index() -> str:
    now = utcnow()
    seats = council.active_seats(now)
    past = council.past_seats(now)
    rules = charter.current_rules()
    return render_template(
        "council/index.html",
        roles=ROLES,
        seats_by_role={r: [s for s in seats if s.role == r] for r in ROLES},
        charter_seats={r: rules.council.seats_for(r) for r in ROLES},
        vacancies=council.open_vacancies(now),
        past=past,
        names=_names({s.member_id for s in [*seats, *past]}),
        recalled={s.id: recall.recalled_by(s) for s in past},
        rules=rules,
        elections=elections.elections()[:10],
        candidacies=elections.open_candidacies(),
        candidate_names=_names({c.user_id for c in elections.open_candidacies()}),
        nominated=nominations.counts([c.id for c in elections.open_candidacies()]),
        call_form=CallElectionForm(),
        registers={s.member_id: interests.register_of(s.member_id) for s in seats},
    )


@bp.route("/interests", methods=["GET", "POST"])
@council_required
def my_interests() -> str | Response:
    """The member keeps their own public register; nobody else can write in it."""
    form = InterestForm()
    if form.validate_on_submit():
        try:
            interests.declare(current_user, f"{form.kind.data}:{(form.ident.data or '').strip()}",
                              form.description.data or "")
            db.session.commit()
        except council.MotionError as exc:
            db.session.rollback()
            form.description.errors = [*form.description.errors, say(exc)]
        else:
            flash(_("Your register is updated and published."), "success")
            return redirect(url_for("council.my_interests"))
    return render_template("council/interests.html", form=form, action_form=ActionForm(),
                           register=interests.register_of(current_user.id))


@bp.post("/interests/<int:interest_id>/withdraw")
@council_required
def withdraw_interest(interest_id: int) -> Response:
    target = url_for("council.my_interests")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        interests.withdraw(current_user, interest_id)
        db.session.commit()
    except council.MotionError as exc:
        return refused(exc, target)
    flash(_("The line is withdrawn; it stays on record."), "success")
    return redirect(target)


@bp.get("/motions")
def motions() -> str:
    from sqlalchemy import select

    from app.council.models import Motion
    from app.web.paging import paginate

    page = paginate(select(Motion).order_by(Motion.opened_at.desc(), Motion.id.desc()), 50)
    rows = page.items
    return render_template("council/motions.html", motions=rows, page=page,
                           names=_names({m.opened_by for m in rows}))


@bp.get("/motions/<int:motion_id>")
def motion(motion_id: int) -> str:
    row = council.get_motion(motion_id) or abort(404)
    seated = current_user.is_authenticated and council.is_seated(current_user)
    # While a motion is open only the council sees who voted how; once closed, everyone does.
    show_votes = row.state != "open" or seated or (
        current_user.is_authenticated and current_user.is_admin)
    votes = council.vote_rows(row)
    recusals = council.recusal_rows(row)
    mine = None
    if current_user.is_authenticated:
        mine = next((v.choice for v in votes if v.member_id == current_user.id), None)
    return render_template(
        "council/motion.html",
        motion=row,
        outcome=council.outcome_of(row),
        show_votes=show_votes,
        votes=votes if show_votes else [],
        recusals=[_recusal_view(r) for r in recusals] if show_votes else [],
        counts={c: sum(1 for v in votes if v.choice == c) for c in ("for", "against", "abstain")},
        names=_names({row.opened_by, *(v.member_id for v in votes),
                      *(r.member_id for r in recusals)}),
        seated=seated,
        my_vote=mine,
        recused=current_user.is_authenticated
        and any(r.member_id == current_user.id for r in recusals),
        can_close=row.state == "open" and seated and (
            (row.closes_at is not None and utcnow() >= row.closes_at) or council.is_settled(row)),
        vote_form=MotionVoteForm(),
        action_form=ActionForm(),
        recuse_form=RecuseForm(),
        link=_subject_link(row.subject),
        subject_words=_subject_words(row.subject),
    )


def _recusal_view(row: Any) -> dict[str, Any]:
    """A recusal as the page shows it: an automatic one names its subject in words, linked."""
    if row.reason.startswith(council.SUPERVISOR_REASON):
        return {"member_id": row.member_id, "interest": None, "link": None,
                "reason": _("a supervisor does not vote on the spending they supervise")}
    subject = row.reason.removeprefix(council.INTEREST_PREFIX)
    if row.reason.startswith(council.INTEREST_PREFIX) and (link := _subject_link(subject)):
        return {"member_id": row.member_id, "interest": _subject_words(subject), "link": link}
    return {"member_id": row.member_id, "interest": None, "link": None, "reason": row.reason}


def _subject_words(subject: str) -> str:
    """A motion subject tag (`community:3`, `proposal:2026-001`) as readers know it."""
    kind, _sep, ident = subject.partition(":")
    if kind == "community" and ident.isdigit():
        community = communities.get(int(ident))
        return community.name if community is not None else subject
    return ident if kind == "proposal" else subject


def _subject_link(subject: str) -> str | None:
    kind, _sep, ident = subject.partition(":")
    if kind == "proposal":
        return url_for("proposals.detail", proposal_id=ident)
    if kind == "community" and ident.isdigit():
        return url_for("communities.detail", community_id=int(ident))
    return None


@bp.post("/motions/proposal")
@council_required
def proposal_motion() -> Response:
    form = ProposalMotionForm()
    if not form.validate_on_submit():
        abort(400)
    proposal = proposals.get(form.proposal_id.data or "") or abort(404)
    target = url_for("proposals.detail", proposal_id=proposal.id)
    kind = form.kind.data or "accept_proposal"
    if proposal.state != "submitted":
        why = _("Only a submitted proposal goes to a council motion.")
        return refused(ValueError(why), target)
    title = (_("Accept for the ballot: %(t)s", t=proposal.title) if kind == "accept_proposal"
             else _("Reject: %(t)s", t=proposal.title))
    try:
        row = council.open_motion(current_user, kind, f"proposal:{proposal.id}", title[:200],
                                  form.body.data or "")
        db.session.commit()
    except council.MotionError as exc:
        return refused(exc, target)
    flash(_("Motion opened; seated members can now vote on it."), "success")
    return redirect(url_for("council.motion", motion_id=row.id))


@bp.post("/motions/<int:motion_id>/vote")
@council_required
def vote(motion_id: int) -> Response:
    row = council.get_motion(motion_id) or abort(404)
    form = MotionVoteForm()
    target = url_for("council.motion", motion_id=motion_id)
    if not form.validate_on_submit():
        abort(400)
    try:
        council.vote(row, current_user, form.choice.data or "")
        db.session.commit()
    except council.MotionError as exc:
        # An undeclared interest found at vote time is recorded as a recusal; keep that.
        db.session.commit()
        flash(say(exc), "error")
        return redirect(target)
    flash(_("Your vote is recorded."), "success")
    return redirect(target)


@bp.post("/motions/<int:motion_id>/recuse")
@council_required
def recuse(motion_id: int) -> Response:
    row = council.get_motion(motion_id) or abort(404)
    form = RecuseForm()
    target = url_for("council.motion", motion_id=motion_id)
    if not form.validate_on_submit():
        flash(_("Say what your interest is: recusals are public."), "error")
        return redirect(target)
    try:
        council.recuse(row, current_user, form.reason.data or "")
        db.session.commit()
    except council.MotionError as exc:
        return refused(exc, target)
    flash(_("Your recusal is recorded."), "success")
    return redirect(target)


@bp.post("/motions/<int:motion_id>/close")
@council_required
def close(motion_id: int) -> Response:
    row = council.get_motion(motion_id) or abort(404)
    target = url_for("council.motion", motion_id=motion_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        passed = motion_decisions.close(row, current_user).passed
        db.session.commit()
    except (council.MotionError, TransitionError) as exc:
        return refused(exc, target)
    flash(_("The motion passed.") if passed else _("The motion failed."), "success")
    return redirect(target)


@bp.post("/seats/<int:seat_id>/resign")
@council_required
def resign(seat_id: int) -> Response:
    """A member resigns their own seat; the reason is published with the vacancy."""
    from app.council.models import CouncilSeat

    target = url_for("council.index")
    row = db.session.get(CouncilSeat, seat_id) or abort(404)
    form = RecuseForm()
    if not form.validate_on_submit():
        flash(_("Say why you resign: the reason is published."), "error")
        return redirect(target)
    try:
        council.resign(current_user, row, form.reason.data or "")
        db.session.commit()
    except council.SeatError as exc:
        return refused(exc, target)
    flash(_("You have resigned; the seat is vacant."), "success")
    return redirect(target)


@bp.get("/queue")
@council_required
def queue() -> str:
    open_motions = council.motions("open")
    waiting = [
        p for p in db.session.scalars(
            select(Proposal).where(Proposal.state == "submitted").order_by(Proposal.created_at))
        if not proposals.lifecycle.cosigns_needed(p, charter.current_rules())
    ]
    voted = {m.id for m in open_motions if any(
        v.member_id == current_user.id for v in council.votes_of(m))}
    # A recused member is not waited for: telling them otherwise sends them to a refusal.
    recused = {m.id for m in open_motions if current_user.id in council.recusals_of(m)}
    from app.treasury import service as treasury
    from app.treasury.models import Disbursement

    pending = db.session.scalars(
        select(Disbursement).where(Disbursement.state == "pending").order_by(Disbursement.id))
    disbursements = [(d, treasury.why_not_approve(current_user.id, d)) for d in pending]
    return render_template(
        "council/queue.html",
        open_motions=open_motions,
        voted=voted,
        recused=recused,
        proposals=waiting,
        applications=communities.awaiting_council(),
        disbursements=disbursements,
    )


@bp.route("/candidates/new", methods=["GET", "POST"])
@owner_required
def stand() -> str | Response:
    form = CandidacyForm()
    if form.validate_on_submit():
        try:
            elections.register(current_user, form.role.data or "", form.statement.data or "")
            db.session.commit()
        except elections.ElectionError as exc:
            db.session.rollback()
            form.statement.errors = [*form.statement.errors, say(exc)]
        else:
            flash(_("You stand for election. Your statement is public."), "success")
            return redirect(url_for("council.index"))
    return render_template("council/stand.html", form=form)


@bp.post("/elections/call")
@council_required
def call_election() -> Response:
    form = CallElectionForm()
    target = url_for("council.index")
    if not form.validate_on_submit():
        flash(_("Choose a role and the number of seats."), "error")
        for name, errors in form.errors.items():
            label = form[name].label.text if name in form else name
            for error in errors:
                flash(f"{label}: {error}", "error")
        return redirect(target)
    try:
        proposal = elections.call_election(current_user, form.role.data or "", form.seats.data or 1)
        db.session.commit()
    except proposals.ProposalError as exc:
        return refused(exc, target)
    flash(_("Election proposal %(id)s submitted.", id=proposal.id), "success")
    return redirect(url_for("council.election", proposal_id=proposal.id))


@bp.get("/elections/<proposal_id>")
def election(proposal_id: str) -> str:
    proposal = proposals.get(proposal_id)
    if proposal is None or proposal.kind != "council_election" or proposal.state == "draft":
        abort(404)
    standing: list[Candidacy] = elections.candidacies_for(proposal_id)
    seats = elections.seats_of_election(proposal_id)
    return render_template(
        "council/election.html",
        proposal=proposal,
        candidacies=standing,
        names=_names({c.user_id for c in standing} | {s.member_id for s in seats}),
        summary=elections.election_summary(proposal_id),
        seats=seats,
        nominated=nominations.counts([c.id for c in standing]),
    )

