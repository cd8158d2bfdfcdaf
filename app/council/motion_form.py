"""The council's form for opening a motion, in two steps that need no script: first what the
motion is about (the topic travels in the URL), then that topic's form. A general resolution
asks for a title and text and no subject; every other topic offers its subjects with only the
decisions their state allows now (app.decisions.motion_choices), and a decision posted that is
not among them is refused at the field, naming why, with nothing opened.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.communities import service as communities
from app.core.db_types import utcnow
from app.core.extensions import db
from app.council import service as council
from app.council.forms import MOTION_TOPICS, MotionForm, SubjectMotionForm
from app.council.views import bp
from app.decisions import motion_choices as choices
from app.proposals import service as proposals
from app.treasury.models import Disbursement
from app.web.auth import council_required
from app.web.labels import (
    COMMUNITY_STATES,
    DISBURSEMENT_STATES,
    MOTION_KINDS,
    PROPOSAL_STATES,
)
from app.web.refusals import say
from app.web.templating import yuan
from governance.transitions import TransitionError

STATE_WORDS = {"community": COMMUNITY_STATES, "proposal": PROPOSAL_STATES,
               "disbursement": DISBURSEMENT_STATES}


def _state_words(topic: str, state: str) -> str:
    return str(STATE_WORDS.get(topic, {}).get(state, state))


def _grouped(topic: str, offered: list[choices.Subject]) -> dict[str, list[tuple[str, str]]]:
    """The select's options, one group per subject, each option naming decision and subject."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for s in offered:
        name = s.name if s.amount_fen is None else f"{s.name} · ¥{yuan(s.amount_fen)}"
        heading = name if topic == "transaction" else f"{name} ({_state_words(topic, s.state)})"
        groups[heading] = [(choices.value(kind, s.subject),
                            f"{MOTION_KINDS.get(kind, kind)} — {name}") for kind in s.kinds]
    return groups


def _why_not(topic: str, posted: str) -> str:
    """Why a posted decision is not open: the subject's state, an open motion, or no subject."""
    kind, subject = choices.parse(posted)
    if (kind not in choices.TOPIC_KINDS.get(topic, ())
            or subject.partition(":")[0] != choices.TOPIC_TAGS.get(topic)):
        return _("Choose one of the decisions offered: that is not a decision about this kind "
                 "of subject.")
    state = choices.current_state(subject)
    if state is None:
        return _("Choose one of the decisions offered: there is no such subject for this "
                 "kind of motion.")
    motion = next((m for m in council.motions_about(subject)
                   if m.kind == kind and m.state == "open"), None)
    if motion is not None:
        return _("Motion %(id)s on this is already open; vote on it instead.", id=motion.id)
    if topic == "transaction":
        return _("This transaction is already reversed, or is itself a reversal: it cannot be "
                 "reversed again.")
    return _("Not a decision the council can take while its subject is %(state)s; choose one "
             "of the decisions offered.", state=_state_words(topic, state))


def _closes(form: Any, now: datetime) -> datetime | None:
    return now + timedelta(hours=form.hours.data) if form.hours.data else None


def _open(topic: str, kind: str, subject: str, reasons: str, now: datetime,
          closes_at: datetime | None) -> Any:
    """Open the motion the way its subject's own page would."""
    tag, _sep, ident = subject.partition(":")
    if tag == "community":
        community = communities.get(int(ident))
        assert community is not None
        return communities.open_decision(current_user, community, MOTION_ACTIONS[kind], reasons,
                                          now=now, closes_at=closes_at)
    if tag == "proposal":
        proposal = proposals.get(ident)
        assert proposal is not None
        title = (_("Accept for the ballot: %(t)s", t=proposal.title) if kind == "accept_proposal"
                 else _("Reject: %(t)s", t=proposal.title))
        return council.open_motion(current_user, kind, subject, title[:200], reasons, now=now,
                                   closes_at=closes_at)
    if tag == "disbursement":
        d = db.session.get(Disbursement, int(ident))
        assert d is not None
        title = f"Approve disbursement #{d.id}: {d.beneficiary}"
    else:
        title = f"Reverse ledger transaction {ident}"
    return council.open_motion(current_user, kind, subject, title[:200], reasons, now=now,
                               closes_at=closes_at)


MOTION_ACTIONS = {kind: action for action, kind in communities.MOTIONS.items()}


@bp.route("/motions/new", methods=["GET", "POST"])
@council_required
def new_motion() -> str | Response | tuple[str, int]:
    topic = request.values.get("about", "")
    if topic not in choices.TOPICS:
        status = 400 if request.method == "POST" else 200
        return render_template("council/new_motion.html", topic=None, topics=MOTION_TOPICS), status
    if topic == "general":
        return _general()
    offered = choices.subjects(topic)
    form = SubjectMotionForm()
    form.decision.choices = _grouped(topic, offered)
    if form.validate_on_submit():
        posted = form.decision.data or ""
        if choices.find(topic, posted) is None:
            form.decision.errors = [*form.decision.errors, _why_not(topic, posted)]
        else:
            kind, subject = choices.parse(posted)
            now = utcnow()
            try:
                row = _open(topic, kind, subject, form.body.data or "", now, _closes(form, now))
                db.session.commit()
            except (council.MotionError, TransitionError) as exc:
                db.session.rollback()
                form.decision.errors = [*form.decision.errors, say(exc)]
            else:
                flash(_("Motion opened."), "success")
                return redirect(url_for("council.motion", motion_id=row.id))
    return render_template("council/new_motion.html", topic=topic, topics=MOTION_TOPICS,
                           form=form, offered=offered)


def _general() -> str | Response:
    form = MotionForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            row = council.open_motion(current_user, "general", "", form.title.data or "",
                                      form.body.data or "", now=now, closes_at=_closes(form, now))
            db.session.commit()
        except council.MotionError as exc:
            db.session.rollback()
            form.title.errors = [*form.title.errors, say(exc)]
        else:
            flash(_("Motion opened."), "success")
            return redirect(url_for("council.motion", motion_id=row.id))
    return render_template("council/new_motion.html", topic="general", topics=MOTION_TOPICS,
                           form=form, offered=None)
