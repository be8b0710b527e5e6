"""The audit trail: who did what, to which object, when."""

from __future__ import annotations

from flask_login import current_user

from toolkit.core.extensions import db
from toolkit.core.models import AuditEvent


def record(action: str, obj=None, user=None, **details) -> AuditEvent:
    """Add an audit event for `action` on `obj` by `user` (default: the signed-in user)."""
    if user is None and current_user and current_user.is_authenticated:
        user = current_user
    event = AuditEvent(
        user_id=user.id if user is not None else None,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else None,
        object_id=str(getattr(obj, "slug", None) or getattr(obj, "id", "")) if obj else None,
        details=details,
    )
    db.session.add(event)
    return event
