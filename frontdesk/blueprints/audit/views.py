"""The audit page: events filtered by object and by user."""

from flask import render_template, request
from flask_login import current_user

from frontdesk.blueprints.audit import bp
from frontdesk.services import accounts, audit, audit_names
from frontdesk.web import require_estate, requires


@bp.get("/")
@requires("audit.view")
def events():
    """List audit events of the current estate, newest first, filtered by object and user."""
    estate = require_estate()
    object_type = request.args.get("object_type", "")[:32] or None
    object_id = request.args.get("object_id", type=int)
    user_id = request.args.get("user_id", type=int)
    page = request.args.get("page", 1, type=int)
    administered = (accounts.administered_estate_ids(current_user)
                    if current_user.can("admin.users") else set())
    pagination = audit.list_events(
        {estate.id}, account_estate_ids=administered, object_type=object_type,
        object_id=object_id, user_id=user_id, page=page,
    )
    return render_template(
        "audit/events.html", pagination=pagination, object_types=audit.object_types(),
        names=audit_names.names_of(pagination.items),
        users=accounts.users_sharing_estates({estate.id}),
        filters={"object_type": object_type or "", "object_id": object_id or "",
                 "user_id": user_id or ""},
    )
