"""What every blueprint shares: the role guard, estate scoping and display helpers."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import flask
from flask import abort, flash, g, request, session
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from frontdesk import labels
from frontdesk.extensions import db
from frontdesk.labels import (
    AUDIT_ACTIONS,
    AUDIT_OBJECTS,
    OCCUPANCY_LABELS,
    PERMISSION_LABELS,
    ROLE_LABELS,
)
from frontdesk.models import Estate
from frontdesk.permissions import roles_for
from frontdesk.services.validation import DB_INT_MAX, mask_id, mask_phone, record_id

#: control characters nobody types: refused in form fields (tab and line breaks are allowed
#: there, for text areas) and in query arguments (where nothing spans lines)
CONTROL_IN_FORMS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_IN_ARGS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# input at the edge -----------------------------------------------------------------------------


def whole_number(value) -> int:
    """Read a whole number from 1 to DB_INT_MAX, or raise ValueError (a ``type=`` for args)."""
    number = record_id(value)
    if number is None:
        raise ValueError(f"not a whole number from 1 to {DB_INT_MAX}: {value!r}")
    return number


class Parameters(ImmutableMultiDict):
    """Query and form parameters whose ``get(name, type=int)`` keeps to the database's range.

    A value outside 1..DB_INT_MAX reads as absent (the default), as letters already do, so a page
    number or an id typed out of range never reaches the database.
    """

    def get(self, key, default=None, type=None):
        return super().get(key, default, whole_number if type is int else type)

    def getlist(self, key, type=None):
        return super().getlist(key, whole_number if type is int else type)


class Request(flask.Request):
    """The app's request: parameters read with ``type=int`` are bounded (see Parameters)."""

    parameter_storage_class = Parameters


class IdConverter(IntegerConverter):
    """``<int:...>`` in URLs: a number beyond the database's integer range matches nothing (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


class BadInput(BadRequest):
    """A 400 whose message tells the user what was wrong, in their language."""

    def __init__(self, message):
        super().__init__(description=str(message))
        self.message = message


def refuse_control_characters() -> None:
    """Refuse (400) a request whose query, form fields or file names hold control characters.

    Nobody types them; they come from scanners or pasted binary, and a NUL breaks PostgreSQL.
    Run before every view, so no view, form or service has to check.
    """
    args = (text for pair in request.args.items(multi=True) for text in pair)
    form = (text for pair in request.form.items(multi=True) for text in pair)
    names = (f.filename or "" for _, f in request.files.items(multi=True))
    if any(CONTROL_IN_ARGS.search(text) for text in args) or any(
            CONTROL_IN_FORMS.search(text) for text in (*form, *names)):
        raise BadInput(_l("The request contains invisible control characters (perhaps from "
                          "pasted text). Please type the values again."))


def requires(permission: str):
    """Guard a view: anonymous users go to login, users without a granting role get 403.

    The role must be held in the estate being worked in; the permission is kept for
    :func:`scoped_get` and on the view function so that a test can check every endpoint.
    """
    roles = roles_for(permission)

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            from frontdesk.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            current_estate()
            if not current_user.has_role(*roles):
                abort(403)
            g.view_permission = permission
            return view(*args, **kwargs)

        wrapped.permission = permission
        wrapped.roles = roles
        return wrapped

    return decorator


def current_estate() -> Estate | None:
    """Return the estate the user is working in (kept in the session), or None.

    It is one where the user holds a role, and the user's roles are answered for it.
    """
    if "current_estate" in g:
        return g.current_estate
    estate = None
    if current_user.is_authenticated:
        wanted = session.get("estate_id")
        estates = sorted(current_user.estates, key=lambda e: e.id)
        estate = next((e for e in estates if e.id == wanted), estates[0] if estates else None)
        current_user.working_estate_id = estate.id if estate else None
    g.current_estate = estate
    return estate


def require_estate() -> Estate:
    """Return the current estate, or 403 for a user who belongs to none."""
    estate = current_estate()
    if estate is None:
        abort(403)
    return estate


def scoped_get(model, object_id: int):
    """Load a record of an estate where the user's roles grant the view's permission, or 404.

    Other estates' ids, and those of an estate where the user holds only other roles, are 404.
    """
    permission = g.get("view_permission")
    if permission is None:
        raise RuntimeError("scoped_get is only for views guarded by web.requires")
    if record_id(object_id) != object_id:  # beyond the database's range: no such record
        abort(404)
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    estate_id = obj.id if model is Estate else obj.estate_id
    if estate_id is None or not current_user.can(permission, estate_id):
        abort(404)
    return obj


def apply_domain_error(form, error) -> None:
    """Show a DomainError beside its field, or as a flash message if it names none."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        flash(error.message, "danger")


def form_status(form, *, failed: bool | None = None) -> int:
    """The status of a page that shows a form: 422 when the form was sent and failed, else 200.

    A posted form shown again has failed; a query form (GET) has failed when its fields carry
    errors, or when the caller says so with ``failed`` (an error shown as a flash message).
    """
    if failed is None:
        failed = form.is_submitted() or bool(form.errors)
    return 422 if failed else 200


def mask_phone_for(value: str, permission: str = "person.phone_full") -> str:
    """Show a phone whole to roles that need it, masked to the others."""
    return value if current_user.can(permission) else mask_phone(value)


def mask_id_for(value: str, whole: bool = False) -> str:
    """Show an ID number masked, or whole where the page and role need it."""
    return value if whole and current_user.can("person.id_full") else mask_id(value)


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a UTC datetime in the current estate's timezone."""
    if value is None:
        return ""
    estate = current_estate()
    tz = ZoneInfo(estate.timezone if estate else "Asia/Shanghai")
    return value.astimezone(tz).strftime(fmt)


def list_sep() -> str:
    """Return the separator of an inline list of names: "、" in Chinese, ", " in English."""
    return pgettext("list separator", ", ")


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def occupancy_label(role: str) -> str:
    return str(OCCUPANCY_LABELS.get(role, role))


def audit_object_label(object_type: str) -> str:
    """Name a kind of audited object in the user's language."""
    return str(AUDIT_OBJECTS.get(object_type, object_type))


def audit_action_label(action: str) -> str:
    """Name an audited action in the user's language."""
    return str(AUDIT_ACTIONS.get(action, action))


def permission_label(permission: str) -> str:
    """Name a permission in the user's language."""
    return str(PERMISSION_LABELS.get(permission, permission))


def estate_timezone() -> str:
    """Return the current estate's timezone (Asia/Shanghai without one)."""
    estate = current_estate()
    return estate.timezone if estate else "Asia/Shanghai"


def audit_changes(event, names: dict | None = None) -> list[labels.Change]:
    """Return an audit event's fields, labelled, before → after, in the estate's local time.

    ``names`` (:func:`frontdesk.services.audit_names.names_of`) names the records the event
    refers to by id; without it they show as numbers.
    """
    names = names or {}
    return labels.changes(event.object_type, event.before, event.after, estate_timezone(),
                          lambda kind, object_id: names.get((kind, object_id)))


def job_kind_label(kind: str) -> str:
    """Name a kind of long job in the user's language."""
    return str(labels.JOB_KIND_LABELS.get(kind, kind))


def job_status_label(status: str) -> str:
    """Name a job's status in the user's language."""
    return str(labels.JOB_STATUS_LABELS.get(status, status))


def started_job(kind: str):
    """Return the job named by ``?job=`` on the page that started it, or None.

    Only a job of this kind, of the estate being worked in, for a user whose roles there may
    start such jobs: another estate's job id shows nothing.
    """
    from frontdesk.models import Job
    from frontdesk.services import jobs

    job_id = request.args.get("job", type=int)
    estate = current_estate()
    if job_id is None or estate is None:
        return None
    job = db.session.get(Job, job_id)
    if job is None or job.kind != kind or job.estate_id != estate.id \
            or not current_user.can(jobs.KIND_PERMISSIONS[kind], estate.id):
        return None
    return jobs.refresh(job)
