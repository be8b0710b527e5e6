"""Charts for the report and the web pages, drawn as SVG by hand.

The same SVG string goes into a web page (through Jinja) and into the PDF (through WeasyPrint), so
a chart looks the same on screen and on paper. Charts are plain SVG with presentation attributes
and CSS classes only: the site's Content-Security-Policy forbids inline ``style``, and the classes
let the stylesheet adjust colours and sizes.

Every chart is returned as :class:`markupsafe.Markup`, so Jinja inserts it as is; every piece of
text that goes into it (labels, titles, descriptions) is escaped here first.
"""

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

GRID_STEPS = (20, 40, 60, 80, 100)

LABEL_FONT_SIZE = 13
LABEL_LINE_HEIGHT = 16
LABEL_WRAP_AT = 14
LABEL_GAP = 10
VALUE_FONT_SIZE = 10
LEGEND_FONT_SIZE = 12
LEGEND_ROW_HEIGHT = 22
LEGEND_SAMPLE_WIDTH = 28
PADDING = 8

# Widths are estimated without a font: 0.55 em per character is wider than the average
# character of the usual sans-serifs (about 0.5 em for Noto Sans and DejaVu Sans in mixed case), so
# the room kept for a label is rather too much than too little.
CHAR_WIDTH = 0.55

INK = "#222222"
GRID = "#b8b8b8"
PRIMARY = "#1d3557"
COMPARISON = "#4a4a4a"
BAND = "#8a8a8a"
# Each line style: colour, dashes and marker shape, so that lines stay apart in black and white.
LINES = {
    "primary": (PRIMARY, None, "dot"),
    "comparison": (COMPARISON, "6 4", "square"),
    "second": ("#a34700", "2 3", "triangle"),
    "third": ("#2e6b30", "9 3 2 3", "diamond"),
    "fourth": ("#6a3d9a", "12 4", "ring"),
}
STYLES = (*LINES, "band")


@dataclass(frozen=True)
class Series:
    """One line on a chart: a label for the legend and one value (0..100, or None) per axis."""

    label: str
    values: tuple[float | None, ...]
    style: str = "primary"
    # A "band" series fills the ring between `lows` and `values` (an interquartile range, say).
    lows: tuple[float | None, ...] = ()


def radar(
    axes: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str = "",
    size: int = 420,
    no_score: str = "no score",
) -> Markup:
    """Draw a radar chart of ``series`` over ``axes`` and return it as SVG markup.

    The first axis points up and the others follow clockwise. The grid has rings at 20, 40, 60, 80
    and 100, labelled on the first axis. ``size`` is the width of the drawing in SVG units; the
    height follows from the labels and the legend, and the ``viewBox`` keeps the aspect ratio while
    CSS sizes the chart (``width="100%"``, class ``chart radar``).

    A ``primary`` series is a solid line with a light fill and round markers; a ``comparison``
    series is a dashed line without fill and with hollow square markers, so the two stay apart in
    black and white. A legend below the chart names every series.

    A value of ``None`` means the axis has no score. Putting the point at the centre would read as
    a score of 0, so the line still passes through the centre (the polygon stays closed) but no
    marker is drawn there, and the axis label gets a line ``(no score)``, naming the series
    concerned when only some of them lack the score. Pass ``no_score`` to translate those words.

    ``title`` and ``description`` become the SVG's ``<title>`` and ``<desc>``; without a
    description, the ``<desc>`` lists the values. Ids are derived from a hash of the inputs, so the
    same inputs always give the same string.

    Raises ValueError for fewer than three axes, an unknown style, a series whose number of values
    differs from the number of axes, or a value outside 0..100.
    """
    axes = [str(axis) for axis in axes]
    _check(axes, series)
    chart_id = _chart_id(axes, series, title, description, size, no_score)
    count = len(axes)
    angles = [-math.pi / 2 + 2 * math.pi * i / count for i in range(count)]

    labels = []
    for i, axis in enumerate(axes):
        lines = _wrap(axis)
        missing = [s.label for s in series if s.values[i] is None]
        if missing and len(missing) == len(series):
            lines.append(f"({no_score})")
        elif missing:
            lines.append(f"({no_score}: {', '.join(missing)})")
        labels.append(lines)

    radius = _fit_radius(angles, labels, size)

    # Extents of everything around the centre (0, 0), to place the centre and size the viewBox.
    boxes = [(-radius, -radius, radius, radius)]
    boxes += [_label_box(angle, lines, radius) for angle, lines in zip(angles, labels, strict=True)]
    left = min(box[0] for box in boxes)
    top = min(box[1] for box in boxes)
    right = max(box[2] for box in boxes)
    bottom = max(box[3] for box in boxes)

    legend_rows = _legend_rows(series, size - 2 * PADDING)
    legend_width = max((row[-1][1] + row[-1][2] for row in legend_rows), default=0)

    width = size
    cx = size / 2
    if cx + left < PADDING or cx + right > size - PADDING:
        width = right - left + 2 * PADDING
        cx = PADDING - left
    if legend_width > width - 2 * PADDING:
        cx += (legend_width + 2 * PADDING - width) / 2
        width = legend_width + 2 * PADDING
    cy = PADDING - top
    legend_top = cy + bottom + PADDING
    height = legend_top + len(legend_rows) * LEGEND_ROW_HEIGHT + PADDING

    summary = _summary(axes, series, no_score)
    # The values always, so that a screen reader hears the chart, not only its title.
    described = f"{description} {summary}" if description else summary
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}"'
        f' width="100%" preserveAspectRatio="xMidYMid meet" class="chart radar" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="sans-serif">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(described)}</desc>',
    ]
    parts += _grid(cx, cy, radius, angles)
    for one in sorted(series, key=lambda one: one.style != "band"):  # bands underneath
        parts += _series(cx, cy, radius, angles, axes, one)
    parts += _scale(cx, cy, radius)
    for angle, lines in zip(angles, labels, strict=True):
        parts.append(_label(cx, cy, radius, angle, lines))
    parts += _legend(legend_rows, width, legend_top)
    parts.append("</svg>")
    return Markup("\n".join(parts))


def area_radar(
    areas: Mapping[str, str],
    lines: Sequence[tuple[str, Mapping[str, float | None], str]],
    *,
    band: tuple[str, Mapping[str, float], Mapping[str, float]] | None = None,
    title: str,
    description: str,
    no_score: str,
) -> Markup:
    """A radar of area scores: an axis per area of ``areas`` (id -> name, in their order) and a
    line per ``(label, scores by area id, style)`` of ``lines``, an area missing from the
    scores being no score. ``band``, ``(label, lows, highs)`` by area id, is shaded underneath
    (a cohort's middle half, say). The web pages and the report all draw their radars here, so
    a score always lands on its own area's axis."""
    series = [
        Series(label, tuple(scores.get(a) for a in areas), style) for label, scores, style in lines
    ]
    if band is not None:
        label, lows, highs = band
        series.insert(
            0, Series(label, tuple(highs[a] for a in areas), "band", tuple(lows[a] for a in areas))
        )
    return radar(
        list(areas.values()), series, title=title, description=description, no_score=no_score
    )


def _check(axes: list[str], series: Sequence[Series]) -> None:
    if len(axes) < 3:
        raise ValueError(f"A radar chart needs at least 3 axes, got {len(axes)}.")
    for one in series:
        if one.style not in STYLES:
            choices = ", ".join(STYLES)
            raise ValueError(
                f"Series {one.label!r}: style must be one of {choices}, got {one.style!r}."
            )
        if one.style == "band" and len(one.lows) != len(one.values):
            raise ValueError(f"Band {one.label!r} needs as many lows as values.")
        if len(one.values) != len(axes):
            raise ValueError(
                f"Series {one.label!r} has {len(one.values)} values for {len(axes)} axes."
            )
        for axis, value in zip(axes, one.values, strict=True):
            # Written this way round so that NaN is rejected too.
            if value is not None and not 0 <= value <= 100:
                raise ValueError(
                    f"Series {one.label!r}, axis {axis!r}: value {value!r} is outside 0..100."
                )


def _chart_id(*inputs: object) -> str:
    digest = hashlib.sha256(repr(inputs).encode("utf-8")).hexdigest()
    return f"chart-{digest[:10]}"


def _n(number: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _text_width(text: str, font_size: float) -> float:
    return len(text) * font_size * CHAR_WIDTH


def _wrap(text: str) -> list[str]:
    """Split a long label in two lines at the space that makes the longer line shortest."""
    if len(text) <= LABEL_WRAP_AT or " " not in text:
        return [text]
    splits = [i for i, char in enumerate(text) if char == " "]
    best = min(splits, key=lambda i: max(i, len(text) - i - 1))
    return [text[:best], text[best + 1 :]]


def _anchor(angle: float) -> tuple[str, str]:
    """Horizontal anchor (start/middle/end) and vertical side (above/centre/below) of a label."""
    cos, sin = math.cos(angle), math.sin(angle)
    horizontal = "middle" if abs(cos) < 0.2 else ("start" if cos > 0 else "end")
    vertical = "centre" if abs(sin) < 0.2 else ("below" if sin > 0 else "above")
    return horizontal, vertical


def _label_box(angle: float, lines: list[str], radius: float) -> tuple[float, float, float, float]:
    """The box (left, top, right, bottom) of a label, relative to the centre of the chart."""
    horizontal, vertical = _anchor(angle)
    x = (radius + LABEL_GAP) * math.cos(angle)
    y = (radius + LABEL_GAP) * math.sin(angle)
    width = max(_text_width(line, LABEL_FONT_SIZE) for line in lines)
    height = len(lines) * LABEL_LINE_HEIGHT
    left = {"start": x, "middle": x - width / 2, "end": x - width}[horizontal]
    top = {"below": y, "centre": y - height / 2, "above": y - height}[vertical]
    return left, top, left + width, top + height


def _fit_radius(angles: list[float], labels: list[list[str]], size: int) -> float:
    """The largest radius that keeps every label inside the width, within sensible bounds."""
    half = size / 2 - PADDING
    radius = size * 0.4
    for angle, lines in zip(angles, labels, strict=True):
        horizontal, _ = _anchor(angle)
        width = max(_text_width(line, LABEL_FONT_SIZE) for line in lines)
        reach = width / 2 if horizontal == "middle" else width
        cos = abs(math.cos(angle))
        if cos > 1e-9:
            radius = min(radius, (half - reach) / cos - LABEL_GAP)
    # Below this the chart is too small to read; the viewBox grows to fit the labels instead.
    return max(radius, size * 0.18)


def _point(cx: float, cy: float, radius: float, angle: float, value: float) -> tuple[float, float]:
    distance = radius * value / 100
    return cx + distance * math.cos(angle), cy + distance * math.sin(angle)


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _path(points: list[tuple[float, float]]) -> str:
    """A closed outline, for a path: with another one inside it, the even-odd rule fills the
    ring between them."""
    return "M" + " L".join(f"{_n(x)},{_n(y)}" for x, y in points) + "Z"


def _grid(cx: float, cy: float, radius: float, angles: list[float]) -> list[str]:
    parts = ['<g class="radar-grid" fill="none" stroke="' + GRID + '" stroke-width="1">']
    for step in GRID_STEPS:
        ring = [_point(cx, cy, radius, angle, step) for angle in angles]
        parts.append(f'<polygon points="{_points(ring)}"/>')
    parts.append("</g>")
    parts.append(f'<g class="radar-axis" stroke="{GRID}" stroke-width="1">')
    for angle in angles:
        x, y = _point(cx, cy, radius, angle, 100)
        parts.append(f'<line x1="{_n(cx)}" y1="{_n(cy)}" x2="{_n(x)}" y2="{_n(y)}"/>')
    parts.append("</g>")
    return parts


def _scale(cx: float, cy: float, radius: float) -> list[str]:
    # Drawn over the series so that a line crossing a number does not hide it. The numbers sit just
    # left of the first (upward) axis, under each ring's corner: markers on that axis are centred
    # on it and stop short of them.
    parts = [
        f'<g class="radar-scale" fill="#666666" font-size="{VALUE_FONT_SIZE}" text-anchor="end">'
    ]
    for step in GRID_STEPS:
        y = cy - radius * step / 100 + VALUE_FONT_SIZE
        parts.append(f'<text x="{_n(cx - 6)}" y="{_n(y)}">{step}</text>')
    parts.append("</g>")
    return parts


def _marker(style: str, x: float, y: float) -> str:
    """The opening tag of a marker; the caller closes it after adding its ``<title>``."""
    if style == "band":
        return ""
    colour, _, shape = LINES[style]
    hollow = f'fill="#ffffff" stroke="{colour}" stroke-width="1.5"'
    if shape == "dot":
        return f'<circle class="radar-marker" cx="{_n(x)}" cy="{_n(y)}" r="4" fill="{colour}">'
    if shape == "ring":
        return f'<circle class="radar-marker" cx="{_n(x)}" cy="{_n(y)}" r="3.5" {hollow}>'
    if shape == "square":
        return (
            f'<rect class="radar-marker" x="{_n(x - 3.5)}" y="{_n(y - 3.5)}" width="7"'
            f' height="7" {hollow}>'
        )
    corners = {
        "triangle": [(0, -4.5), (4, 3), (-4, 3)],
        "diamond": [(0, -4.5), (4.5, 0), (0, 4.5), (-4.5, 0)],
    }[shape]
    return (
        f'<polygon class="radar-marker" points="{_points([(x + a, y + b) for a, b in corners])}"'
        f" {hollow}>"
    )


def _close_marker(style: str) -> str:
    if style == "band":
        return ""
    shape = LINES[style][2]
    return {"dot": "</circle>", "ring": "</circle>", "square": "</rect>"}.get(shape, "</polygon>")


def _series_line(style: str) -> str:
    """Presentation attributes of a series' line."""
    if style == "band":
        return f'stroke="{BAND}" stroke-width="10" stroke-opacity="0.3"'
    colour, dashes, _ = LINES[style]
    if dashes is None:
        return f'stroke="{colour}" stroke-width="2.5"'
    return f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dashes}"'


def _series(
    cx: float, cy: float, radius: float, angles: list[float], axes: list[str], one: Series
) -> list[str]:
    points = [
        _point(cx, cy, radius, angle, value or 0)
        for angle, value in zip(angles, one.values, strict=True)
    ]
    if one.style == "band":
        lows = [_point(cx, cy, radius, a, v or 0) for a, v in zip(angles, one.lows, strict=True)]
        ring = _path(points) + " " + _path(lows[::-1])
        return [
            f'<g class="radar-series radar-band"><path d="{ring}" fill="{BAND}"'
            f' fill-opacity="0.3" fill-rule="evenodd" stroke="none"/></g>'
        ]
    fill = f'fill="{PRIMARY}" fill-opacity="0.15"' if one.style == "primary" else 'fill="none"'
    parts = [
        f'<g class="radar-series radar-{one.style}">',
        f'<polygon points="{_points(points)}" {fill} {_series_line(one.style)}'
        ' stroke-linejoin="round"/>',
    ]
    for axis, value, (x, y) in zip(axes, one.values, points, strict=True):
        if value is None:
            continue
        parts.append(
            _marker(one.style, x, y)
            + f"<title>{escape(axis)}: {value:.1f}</title>"
            + _close_marker(one.style)
        )
    parts.append("</g>")
    return parts


def _label(cx: float, cy: float, radius: float, angle: float, lines: list[str]) -> str:
    horizontal, _ = _anchor(angle)
    left, top, right, _ = _label_box(angle, lines, radius)
    x = cx + {"start": left, "middle": (left + right) / 2, "end": right}[horizontal]
    # The first baseline sits about one ascent below the top of the box.
    first = cy + top + LABEL_FONT_SIZE * 0.9
    tspans = "".join(
        f'<tspan x="{_n(x)}" y="{_n(first + i * LABEL_LINE_HEIGHT)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text class="radar-label" text-anchor="{horizontal}" font-size="{LABEL_FONT_SIZE}"'
        f' fill="{INK}">{tspans}</text>'
    )


def _legend_rows(series: Sequence[Series], room: float) -> list[list[tuple[Series, float, float]]]:
    """Lay legend entries out in rows: (series, x, width) with x from the left of the row."""
    rows: list[list[tuple[Series, float, float]]] = []
    x = 0.0
    for one in series:
        width = LEGEND_SAMPLE_WIDTH + 8 + _text_width(one.label, LEGEND_FONT_SIZE)
        if not rows or x + width > room:
            rows.append([])
            x = 0.0
        rows[-1].append((one, x, width))
        x += width + 20
    return rows


def _legend(rows: list[list[tuple[Series, float, float]]], width: float, top: float) -> list[str]:
    if not rows:
        return []
    parts = [f'<g class="radar-legend" font-size="{LEGEND_FONT_SIZE}" fill="{INK}">']
    for number, row in enumerate(rows):
        row_width = row[-1][1] + row[-1][2]
        start = (width - row_width) / 2
        middle = top + number * LEGEND_ROW_HEIGHT + LEGEND_ROW_HEIGHT / 2
        for one, x, _ in row:
            x0 = start + x
            x1 = x0 + LEGEND_SAMPLE_WIDTH
            parts.append(f'<g class="radar-series radar-{one.style}">')
            parts.append(
                f'<line x1="{_n(x0)}" y1="{_n(middle)}" x2="{_n(x1)}" y2="{_n(middle)}"'
                f" {_series_line(one.style)}/>"
            )
            parts.append(_marker(one.style, (x0 + x1) / 2, middle) + _close_marker(one.style))
            parts.append(
                f'<text class="radar-legend-label" x="{_n(x1 + 8)}"'
                f' y="{_n(middle + LEGEND_FONT_SIZE * 0.35)}">{escape(one.label)}</text>'
            )
            parts.append("</g>")
    parts.append("</g>")
    return parts


def _summary(axes: list[str], series: Sequence[Series], no_score: str) -> str:
    """A plain-text reading of the values of each series (a band's from low to high)."""
    sentences = []
    for one in series:
        lows = one.lows if one.style == "band" else (None,) * len(one.values)
        values = ", ".join(
            f"{axis} {no_score if value is None else f'{value:.1f}'}"
            if low is None
            else f"{axis} {low:.1f}-{value:.1f}"
            for axis, value, low in zip(axes, one.values, lows, strict=True)
        )
        sentences.append(f"{one.label}: {values}.")
    return " ".join(sentences)


BAR_ROW_HEIGHT = 38
BAR_HEIGHT = 12
BAR_WIDTH = 420


def bars(rows: Sequence[tuple[str, float | None]], *, title: str, no_score: str = "no score"):
    """Horizontal bars, 0 to 100, one per (label, value): the label above its bar, the value
    written at the bar's end (so the chart reads without colour), ticks at 25, 50 and 75.

    A value of None draws no bar and writes ``no_score`` instead. Returns SVG markup.
    """
    chart_id = _chart_id([label for label, _ in rows], [value for _, value in rows], title)
    width = BAR_WIDTH + 60
    height = len(rows) * BAR_ROW_HEIGHT + PADDING
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%"'
        f' class="chart bars" role="img" aria-labelledby="{chart_id}-title"'
        f' font-family="sans-serif">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(rows):
        top = i * BAR_ROW_HEIGHT + PADDING
        bar_top = top + 18
        parts.append(
            f'<text x="0" y="{top + 11}" font-size="{LEGEND_FONT_SIZE}" fill="{INK}"'
            f' class="bar-label">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="0" y="{bar_top}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" fill="#eeeeee"'
            f' stroke="{GRID}" stroke-width="0.5" class="bar-track"/>'
        )
        for tick in (25, 50, 75):
            x = _n(BAR_WIDTH * tick / 100)
            parts.append(
                f'<line x1="{x}" y1="{bar_top}" x2="{x}" y2="{bar_top + BAR_HEIGHT}"'
                f' stroke="#ffffff" stroke-width="1"/>'
            )
        if value is None:
            parts.append(
                f'<text x="4" y="{bar_top + 10}" font-size="{VALUE_FONT_SIZE}" fill="{INK}"'
                f' font-style="italic">{escape(no_score)}</text>'
            )
            continue
        parts.append(
            f'<rect x="0" y="{bar_top}" width="{_n(BAR_WIDTH * value / 100)}"'
            f' height="{BAR_HEIGHT}" fill="{PRIMARY}" class="bar"/>'
        )
        parts.append(
            f'<text x="{BAR_WIDTH + 8}" y="{bar_top + 10}" font-size="{LEGEND_FONT_SIZE}"'
            f' font-weight="bold" fill="{INK}">{value:.1f}</text>'
        )
    parts.append("</svg>")
    return Markup("\n".join(parts))


def boxes(rows: Sequence[tuple[str, object]], *, title: str, too_few: str) -> Markup:
    """One horizontal box per (label, spread) on a 0-100 scale: whiskers from the lowest to the
    highest score, the box over the middle half, a thick line at the median, and the five
    numbers written out. A spread of None writes `too_few` instead. `spread` has `minimum`,
    `lower_quartile`, `median`, `upper_quartile` and `maximum`."""
    chart_id = _chart_id([label for label, _ in rows], title)
    width = BAR_WIDTH + 60
    height = len(rows) * (BAR_ROW_HEIGHT + 8) + PADDING + 14
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%"'
        f' class="chart boxes" role="img" aria-labelledby="{chart_id}-title"'
        f' font-family="sans-serif">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for tick in (0, 25, 50, 75, 100):
        x = _n(BAR_WIDTH * tick / 100)
        parts.append(
            f'<line x1="{x}" y1="{PADDING}" x2="{x}" y2="{height - 14}" stroke="{GRID}"'
            f' stroke-width="0.5"/><text x="{x}" y="{height - 2}" font-size="{VALUE_FONT_SIZE}"'
            f' fill="{INK}" text-anchor="middle">{tick}</text>'
        )
    for i, (label, spread) in enumerate(rows):
        top = i * (BAR_ROW_HEIGHT + 8) + PADDING
        middle = top + 26
        parts.append(
            f'<text x="0" y="{top + 11}" font-size="{LEGEND_FONT_SIZE}" fill="{INK}">'
            f"{escape(label)}</text>"
        )
        if spread is None:
            parts.append(
                f'<text x="4" y="{middle + 4}" font-size="{VALUE_FONT_SIZE}" fill="{INK}"'
                f' font-style="italic">{escape(too_few)}</text>'
            )
            continue
        low, q1, median, q3, high = (
            BAR_WIDTH * v / 100
            for v in (
                spread.minimum,
                spread.lower_quartile,
                spread.median,
                spread.upper_quartile,
                spread.maximum,
            )
        )
        parts += [
            f'<line x1="{_n(low)}" y1="{middle}" x2="{_n(high)}" y2="{middle}" stroke="{INK}"/>',
            f'<line x1="{_n(low)}" y1="{middle - 5}" x2="{_n(low)}" y2="{middle + 5}"'
            f' stroke="{INK}"/>',
            f'<line x1="{_n(high)}" y1="{middle - 5}" x2="{_n(high)}" y2="{middle + 5}"'
            f' stroke="{INK}"/>',
            f'<rect x="{_n(q1)}" y="{middle - 7}" width="{_n(max(q3 - q1, 1))}" height="14"'
            f' fill="#dde8f6" stroke="{PRIMARY}"/>',
            f'<line x1="{_n(median)}" y1="{middle - 7}" x2="{_n(median)}" y2="{middle + 7}"'
            f' stroke="{PRIMARY}" stroke-width="3"/>',
            f'<text x="{BAR_WIDTH + 8}" y="{middle + 4}" font-size="{VALUE_FONT_SIZE}"'
            f' fill="{INK}">{spread.median:.1f}</text>',
        ]
    parts.append("</svg>")
    return Markup("\n".join(parts))
