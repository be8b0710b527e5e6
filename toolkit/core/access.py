"""Who may do what: the one place that decides access.

Role rules (DESIGN.md): admin does everything; network staff read every city, compare and
review; a city lead edits and submits the city's assessments and manages its editors; a city
editor fills the city's answers. A city role never sees another city's objects: they are
answered with 404, exactly like a missing object.

What an assessment's status allows is the workflow's table (assessments/workflow.py), read here.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from toolkit.accounts.models import CITY_ROLES, User
from toolkit.actions.models import Action
from toolkit.assessments.models import Assessment
from toolkit.assessments.workflow import EDITABLE, TransitionRefused, allowed
from toolkit.cities.models import City

# Actions that are workflow steps: allowed only where the table allows one of the steps.
STEPS = {
    "submit_assessment": ("submit",),
    "review_assessment": ("approve", "return"),
    "reopen_assessment": ("reopen",),
}
# Actions on an assessment the city is working on.
WHILE_EDITABLE = ("edit_assessment", "assign_areas", "reply_to_note")


def city_id_of(obj) -> int | None:
    """The city an object belongs to (None for objects of no city)."""
    if isinstance(obj, City):
        return obj.id
    if isinstance(obj, Assessment | User | Action):
        return obj.city_id
    return None


def _own(user, obj) -> bool:
    return user.city_id is not None and city_id_of(obj) == user.city_id


def can(user, action: str, obj=None) -> bool:
    """Whether `user` may do `action` (on `obj`)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    # The state of an assessment binds everyone, administrators too.
    return _state_allows(action, obj) and _role_allows(user, action, obj)


def _state_allows(action: str, obj) -> bool:
    if action in STEPS:
        return any(allowed(obj.status, step) for step in STEPS[action])
    if action in WHILE_EDITABLE:
        return obj.status in EDITABLE
    return True


def _role_allows(user, action: str, obj) -> bool:
    if action == "reopen_assessment":
        return user.role == "admin"
    if action == "reply_to_note":  # the city answers its reviewer, nobody on its behalf
        return user.role in CITY_ROLES and _own(user, obj)
    if action == "note_action":  # the city's own people follow its actions up
        return user.role == "admin" or (user.role in CITY_ROLES and _own(user, obj))
    if action == "manage_own_team":  # the lead's own team, in their menus; admins use Users
        return user.role == "city_lead" and _own(user, obj)
    if user.role == "admin":
        return True
    if action == "view_job":  # a job's file is its requester's (and administrators')
        return obj.requested_by_id == user.id
    network = user.role == "network"
    lead = user.role == "city_lead"
    if action in ("view_network", "review_assessment"):
        return network
    if action in ("view_city", "view_assessment"):
        return network or _own(user, obj)
    if action in ("manage_team", "start_assessment", "manage_actions"):
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
    the role may not use is a 403. A workflow step the person may take, but not from the
    assessment's status, raises workflow.TransitionRefused, which the page explains.
    """
    if can(current_user, action, obj):
        return
    if obj is None:
        abort(403)
    if current_user.role in CITY_ROLES and city_id_of(obj) != current_user.city_id:
        abort(404)
    if action in STEPS and _role_allows(current_user, action, obj):
        step = "review" if action == "review_assessment" else STEPS[action][0]
        raise TransitionRefused(obj.status, step)
    abort(403)
