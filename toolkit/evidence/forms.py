"""The form of evidence files: attach files to an answer. Removing one is the base `Form`
alone (the CSRF token: the file's id is in the address)."""

from __future__ import annotations

from flask_wtf.file import MultipleFileField

from toolkit.core.forms import Form


class AttachForm(Form):
    """One or several files for the answer to one question."""

    files = MultipleFileField()
