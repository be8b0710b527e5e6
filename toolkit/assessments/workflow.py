"""The assessment workflow as data: its statuses in words, its steps, and which step each
status allows. No services here, so that `core/access.py` and the templates read the same table
that `lifecycle.py` enforces."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# The assessment workflow: (status, step) -> the status it leads to. Nothing else is allowed,
# whoever asks (a page, a command, a job, the API); access.can reads its state rules from here.
TRANSITIONS = {
    ("draft", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "return"): "returned",
    ("submitted", "approve"): "approved",
    ("approved", "reopen"): "returned",
}
STEPS = ("submit", "return", "approve", "reopen")
# The city changes its answers (and replies to notes) while it may submit them.
EDITABLE = tuple(status for status, step in TRANSITIONS if step == "submit")
# Each status in words: on every page, in the timeline and in the refusals below.
STATUS_NAMES = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "returned": _l("Returned"),
    "approved": _l("Approved"),
}

_REFUSED = {
    "submit": _l("This assessment cannot be submitted for review: it is %(status)s."),
    "return": _l("This assessment cannot be returned to the city: it is %(status)s."),
    "approve": _l("This assessment cannot be approved: it is %(status)s."),
    "reopen": _l("This assessment cannot be reopened: it is %(status)s."),
    "review": _l("This assessment is not waiting for review: it is %(status)s."),
}


class TransitionRefused(Exception):
    """A workflow step the assessment's status does not allow (see TRANSITIONS)."""

    def __init__(self, status: str, step: str):
        self.status, self.step = status, step
        super().__init__(f"a {status} assessment cannot take the step {step!r}")

    def message(self) -> str:
        """What the person is told, in their language."""
        return str(_REFUSED[self.step] % {"status": STATUS_NAMES.get(self.status, self.status)})


def allowed(status: str, step: str) -> bool:
    """Whether an assessment in `status` may take `step`."""
    return (status, step) in TRANSITIONS
