"""Who may do what: the one place that decides access.

Role rules (DESIGN.md): admin does everything; network staff read every city, compare and
review; a city lead edits and submits the city's assessments and manages its editors; a city
editor fills the city's answers. A city role never sees another city's objects: they are
answered with 404, exactly like a missing object.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from .models import CITY_ROLES, Assessment, City, User

EDITABLE = ("draft", "returned")


def city_id_of(obj) -> int | None:
    """The city an object belongs to (None for objects of no city)."""
    if isinstance(obj, City):
        return obj.id
    if isinstance(obj, Assessment | User):
        return obj.city_id
    return None


def _own(user, obj) -> bool:
    return user.city_id is not None and city_id_of(obj) == user.city_id


def can(user, action: str, obj=None) -> bool:
    """Whether `user` may do `action` (on `obj`)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    # The state of an assessment binds everyone, administrators too: nothing changes a
    # submitted or approved assessment through these actions.
    if (
        action in ("edit_assessment", "submit_assessment", "assign_areas")
        and obj.status not in EDITABLE
    ):
        return False
    if action == "review_assessment" and obj.status != "submitted":
        return False
    if action == "reopen_assessment":
        return user.role == "admin" and obj.status == "approved"
    if user.role == "admin":
        return True
    network = user.role == "network"
    lead = user.role == "city_lead"
    if action in ("view_network", "review_assessment"):
        return network
    if action in ("view_city", "view_assessment"):
        return network or _own(user, obj)
    if action in ("manage_team", "start_assessment"):
        return lead and _own(user, obj)
    if action == "manage_user":
        return lead and _own(user, obj) and obj.role == "city_editor"
    if action == "edit_assessment":
        return _own(user, obj)
    if action in ("submit_assessment", "assign_areas"):
        return lead and _own(user, obj)
    # manage_users, manage_cities and anything unknown: admin only.
    return False


def authorize(action: str, obj=None) -> None:
    """Abort unless the current user may do `action` on `obj`.

    Another city's object is a 404 for a city role (its existence is not revealed); a page
    the role may not use is a 403.
    """
    if can(current_user, action, obj):
        return
    if obj is None:
        abort(403)
    if current_user.role in CITY_ROLES and city_id_of(obj) != current_user.city_id:
        abort(404)
    abort(403)
