"""Views of long jobs: recent jobs, a job's page, its progress as JSON, its PDF, a re-run."""

from io import BytesIO

from flask import abort, current_app, flash, jsonify, redirect, render_template, send_file, url_for
from flask_login import current_user

from frontdesk.blueprints.jobs import bp
from frontdesk.blueprints.jobs.forms import RerunForm
from frontdesk.models import Job
from frontdesk.services import DomainError
from frontdesk.services import jobs as job_service
from frontdesk.web import job_status_label, require_estate, requires, scoped_get


def _job(job_id: int) -> Job:
    """Load a job of an estate where the user may see jobs of its kind, or 404."""
    job = scoped_get(Job, job_id)
    if not current_user.can(job_service.KIND_PERMISSIONS[job.kind], job.estate_id):
        abort(404)
    return job_service.refresh(job)


@bp.get("/")
@requires("jobs.view")
def index():
    """List the estate's recent jobs of the kinds the user may start, with their results."""
    estate = require_estate()
    kinds = [k for k, p in job_service.KIND_PERMISSIONS.items() if current_user.can(p)]
    found = job_service.jobs_of(estate.id, kinds, current_app.config["JOBS_LISTED"])
    return render_template("jobs/index.html", jobs=found,
                           buildings={b.id: b.label for b in estate.buildings})


@bp.get("/<int:job_id>")
@requires("jobs.view")
def show(job_id: int):
    """Show one job: its progress while it runs, its result or error when it has ended."""
    job = _job(job_id)
    return render_template("jobs/show.html", job=job)


@bp.get("/<int:job_id>/status.json")
@requires("jobs.view")
def status(job_id: int):
    """Tell the progress bar how far the job is."""
    job = _job(job_id)
    done, total = job_service.live_progress(job)
    return jsonify(status=job.status, label=job_status_label(job.status), ended=job.ended,
                   done=done, total=total,
                   percent=100 if job.status == "done" else (
                       int(100 * done / total) if total else 0))


@bp.get("/<int:job_id>/file")
@requires("jobs.view")
def download(job_id: int):
    """Send the PDF the job made, to those who may see jobs of its kind in its estate."""
    job = _job(job_id)
    made = job_service.job_file(job)
    if made is None:
        abort(404)
    return send_file(BytesIO(made.content), mimetype=made.mimetype,
                     download_name=made.filename)


@bp.post("/<int:job_id>/again")
@requires("jobs.view")
def again(job_id: int):
    """Run an interrupted or failed job again, with what it was given."""
    job = _job(job_id)
    if not RerunForm().validate_on_submit():
        abort(400)
    try:
        fresh = job_service.rerun(current_user, job)
    except DomainError as e:
        flash(e.message, "danger")
        return redirect(url_for("jobs.show", job_id=job.id))
    return redirect(url_for("jobs.show", job_id=fresh.id))
