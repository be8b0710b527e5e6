"""The forms of evidence files: attach files to an answer, remove one."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField


class AttachForm(FlaskForm):
    """One or several files for the answer to one question."""

    files = MultipleFileField()


class RemoveForm(FlaskForm):
    """Remove one file (its id is in the address): the CSRF token alone."""
