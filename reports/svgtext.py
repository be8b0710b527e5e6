"""Chart labels shaped as words, not letter by letter, in every script.

WeasyPrint (up to 70 at least) draws SVG `<text>` one character at a time, so that each may take
its own x, y, dx, dy or rotate. A character is then shaped alone: Thai, Lao, Khmer and Burmese
vowel signs and tone marks lose the consonant they sit on (drawn on a dotted circle), and
Vietnamese stacked diacritics may drift. Our charts never position single letters: each
`<text>` or `<tspan>` has at most one x and one y. For such a run, this hands WeasyPrint the whole
run as its one "letter" (a string whose iteration yields itself once), so Pango shapes it as
the paragraph text is shaped; a run with per-letter positions, letter-spacing or textLength keeps
WeasyPrint's own way. The limitation is WeasyPrint's (its svg/text.py lays letters out
separately; see reports/README.md).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re

from weasyprint import svg as weasy_svg

# The module, not the function of the same name that weasyprint.svg imports from it.
svg_text = importlib.import_module("weasyprint.svg.text")

log = logging.getLogger(__name__)

PER_LETTER = ("dx", "dy", "rotate", "letter-spacing", "textLength")
_original = {}


class _Run(str):
    """A text that WeasyPrint's letter loop sees as one letter: itself."""

    def __iter__(self):
        yield str(self)


def install() -> bool:
    """Wrap WeasyPrint's SVG text drawing once; False when it is not the one known here."""
    if _original:
        return True
    function = getattr(svg_text, "text", None)
    known = ["svg", "node", "font_size"]
    if (
        function is None
        or getattr(weasy_svg, "text", None) is not function
        or list(inspect.signature(function).parameters) != known
    ):
        log.warning("WeasyPrint's svg text() is not the one reports.svgtext knows: not wrapped")
        return False
    _original["text"] = function
    for tag, drawer in list(weasy_svg.TAGS.items()):
        if drawer is function:
            weasy_svg.TAGS[tag] = _text
    # weasyprint.svg tells text nodes by comparing their drawer with its own name for it.
    weasy_svg.text = _text
    return True


def _text(svg, node, font_size):
    text = node.text
    if text and _one_position(node):
        node._etree_node.text = _Run(text)
        try:
            return _original["text"](svg, node, font_size)
        finally:
            node._etree_node.text = text
    return _original["text"](svg, node, font_size)


def _one_position(node) -> bool:
    """Whether nothing of the run positions its letters one by one."""
    if any(name in node.attrib for name in PER_LETTER):
        return False
    return all(
        len(re.split(r"[\s,]+", node.attrib.get(name, "").strip())) <= 1 for name in ("x", "y")
    )
