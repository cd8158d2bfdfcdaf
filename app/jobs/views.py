"""Administrators see the queue: what waits, runs, failed and why; retry or ping the workers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.audit import service as audit
from app.core.db_types import utcnow
from app.core.extensions import db
from app.jobs import queue
from app.jobs.models import STATES, Job
from app.web.auth import admin_required

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")
PAGE = 50


@bp.app_template_global()
def job_state_label(state: str) -> str:
    labels = {"queued": _("queued"), "running": _("running"), "done": _("done"),
              "failed": _("failed")}
    return labels.get(state, state)


@bp.get("/")
@admin_required
def index() -> str:
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    name = request.args.get("name", "").strip()[:64]
    before = request.args.get("before", type=int)
    rows = queue.page(state or None, name or None, before, PAGE + 1)
    return render_template(
        "admin/jobs.html", jobs=rows[:PAGE], more=len(rows) > PAGE, counts=queue.counts(),
        state=state, name=name, states=STATES, now=utcnow(),
    )


@bp.post("/<int:job_id>/retry")
@admin_required
def retry(job_id: int) -> Response:
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    if job.state != "failed":
        flash(_("Only a failed job can be retried."), "error")
        return redirect(url_for("jobs.index"))
    queue.retry_failed(job)
    audit.record("job.retried", actor_id=current_user.id, subject=f"job:{job.id}", name=job.name)
    db.session.commit()
    flash(_("The job is queued again."), "success")
    return redirect(url_for("jobs.index"))


@bp.post("/ping")
@admin_required
def ping() -> Response:
    queue.enqueue("jobs.ping", {"at": utcnow().isoformat()})
    audit.record("job.ping", actor_id=current_user.id, subject="jobs")
    db.session.commit()
    flash(_("A ping job is queued: it shows as done once a worker runs it."), "success")
    return redirect(url_for("jobs.index"))
