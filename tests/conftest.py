"""Shared fixtures. `example_text` is the complete example of questionnaires/FORMAT.md."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def format_example() -> str:
    """The YAML of the complete example in FORMAT.md (so the documentation stays true)."""
    text = (ROOT / "questionnaires" / "FORMAT.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    return next(b for b in blocks if b.startswith("id: example"))


@pytest.fixture
def example_text() -> str:
    return format_example()


@pytest.fixture
def write_questionnaire(tmp_path):
    """Write YAML text to a file and return its path."""

    def write(text: str | bytes, name: str = "example.yaml") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write
