"""How full each page of a PDF is, read back with poppler's `pdftotext -bbox-layout`: the
tests' measure of page breaks that leave a page nearly empty."""

from __future__ import annotations

import re
import subprocess

MM = 72 / 25.4
# The page margins of print.css (top and bottom): the running header and footer sit in them.
MARGIN = 22 * MM

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_BLOCK = re.compile(r'<block xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">')


def page_fill(pdf: bytes) -> list[float]:
    """Per page, the share of its content height (between the top and bottom margins) down to
    the bottom of its lowest text block: 1.0 a full page, 0.1 a page with a line or two."""
    layout = subprocess.run(
        ["pdftotext", "-bbox-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    fills = []
    for _width, height, body in _PAGE.findall(layout):
        bottom = float(height) - MARGIN
        lows = [
            float(y_max)
            for y_min, y_max in _BLOCK.findall(body)
            if float(y_min) >= MARGIN - 1 and float(y_max) <= bottom + 1
        ]
        fills.append(max(0.0, (max(lows, default=MARGIN) - MARGIN) / (bottom - MARGIN)))
    return fills
