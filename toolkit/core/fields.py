"""Form fields every feature may use."""

from __future__ import annotations

from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; those in `exclusive` are ticked alone (choices.js)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, exclusive: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.exclusive = exclusive
