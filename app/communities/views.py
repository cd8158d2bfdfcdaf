"""Community pages: the public directory, applications and their timelines."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from app.charter import service as charter
from app.communities import service
from app.communities.forms import DECISIONS, ApplicationForm, DecisionForm
from app.core.extensions import db
from app.council import service as council
from app.council.forms import ActionForm
from app.web.auth import council_required, owner_required
from app.web.documents import serve_checked
from app.web.labels import COMMUNITY_STATES
from app.web.refusals import refused
from governance.communities import TRANSITIONS
from governance.transitions import TransitionError

bp = Blueprint("communities", __name__, url_prefix="/communities")


NOT_NOW = _l("Not possible while the community is %(state)s: %(why)s")
# Kept under its old name for templates and tests that import it.
STATE_NAMES = COMMUNITY_STATES


DIRECTORY_PAGE = 50


@bp.get("/")
def directory() -> str:
    """The certified directory by name and every application newest first, each a page at a
    time (`page` and `apage`)."""
    from app.web.paging import paginate

    return render_template(
        "communities/directory.html",
        certified=paginate(service.directory_query(), DIRECTORY_PAGE),
        everyone=paginate(service.all_communities_query(), DIRECTORY_PAGE, param="apage"),
        scheme=service.scheme_in_force(),
    )


def _decision_form(state: str) -> DecisionForm:
    """Only the decisions the community's state allows: no choice that would be refused."""
    form = DecisionForm()
    form.action.choices = [(a, label) for a, label in DECISIONS if (state, a) in TRANSITIONS]
    return form


@bp.get("/<int:community_id>")
def detail(community_id: int) -> str:
    community = service.get(community_id) or abort(404)
    return render_template(
        "communities/detail.html",
        community=community,
        members=service.members(community, given_only=True),
        cosigns_given=service.cosigns_given(community),
        cosigns_required=charter.current_rules().communities.min_cosigners,
        my_request=service.cosign_request(community, current_user)
        if current_user.is_authenticated else None,
        documents=service.documents(community),
        events=service.events(community),
        motions=council.motions_about(f"community:{community.id}"),
        seated=current_user.is_authenticated and council.is_seated(current_user),
        decision_form=_decision_form(community.state),
        action_form=ActionForm(),
    )


@bp.route("/apply", methods=["GET", "POST"])
@owner_required
def apply() -> str | Response:
    scheme = service.scheme_in_force()
    form = ApplicationForm()
    if form.validate_on_submit():
        application = service.Application(
            name=form.name.data or "",
            industry=form.industry.data or "",
            description=form.description.data or "",
            member_count=form.member_count.data or 0,
            cosigner_logins=(form.cosigners.data or "").splitlines(),
            documents=[(f.filename or "document", f.read()) for f in form.documents.data or []
                       if getattr(f, "filename", "")],
        )
        try:
            community = service.apply(current_user, application)
            db.session.commit()
        except service.ApplicationError as exc:
            db.session.rollback()
            unplaced = []
            for name, message in exc.problems:
                field = getattr(form, name, None)
                if field is None:
                    unplaced.append(message)
                else:
                    field.errors = [*field.errors, message]
            flash(_("%(message)s Problems: %(problems)s", message=str(exc),
                    problems="; ".join(unplaced)) if unplaced else str(exc), "error")
        else:
            flash(_("Application received. The council will review it."), "success")
            return redirect(url_for("communities.detail", community_id=community.id))
    return render_template(
        "communities/apply.html", form=form, scheme=scheme,
        needs=charter.current_rules().communities,
    )


@bp.post("/<int:community_id>/review")
@council_required
def review(community_id: int) -> Response:
    community = service.get(community_id) or abort(404)
    target = url_for("communities.detail", community_id=community_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.review(community, current_user)
        db.session.commit()
    except TransitionError as exc:
        return refused(exc, target, states=COMMUNITY_STATES, lead=NOT_NOW)
    flash(_("The application is under review."), "success")
    return redirect(target)


@bp.get("/<int:community_id>/documents/<sha256>")
@council_required
def document(community_id: int, sha256: str) -> Response:
    """A supporting document, for council members reviewing the application."""
    if not council.is_seated(current_user):
        abort(403)  # say "not yours" before saying whether the document exists
    community = service.get(community_id) or abort(404)
    if not any(d.sha256 == sha256 for d in service.documents(community)):
        abort(404)
    return serve_checked(service.documents_dir(), sha256, f"community:{community.id}")


@bp.post("/<int:community_id>/cosign")
@owner_required
def cosign(community_id: int) -> Response:
    """An owner gives their co-signature, in their own account; nobody gives it for them."""
    community = service.get(community_id) or abort(404)
    target = url_for("communities.detail", community_id=community_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.give_cosignature(community, current_user)
        db.session.commit()
    except service.CosignError as exc:
        return refused(exc, target)
    flash(_("Your co-signature is given."), "success")
    return redirect(target)


@bp.post("/<int:community_id>/decide")
@council_required
def decide(community_id: int) -> Response:
    community = service.get(community_id) or abort(404)
    target = url_for("communities.detail", community_id=community_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        motion = service.open_decision(current_user, community, form.action.data or "",
                                       form.reasons.data or "")
        db.session.commit()
    except (TransitionError, council.MotionError) as exc:
        return refused(exc, target, states=COMMUNITY_STATES, lead=NOT_NOW)
    flash(_("Motion opened; members of the community are recused."), "success")
    return redirect(url_for("council.motion", motion_id=motion.id))
