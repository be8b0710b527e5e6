"""Charts: the radar SVG is read back with ElementTree and checked by its geometry and text."""

import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment
from markupsafe import Markup

from reports.charts import Series, area_radar, radar

SVG = "{http://www.w3.org/2000/svg}"

AREAS = [
    "Industry and innovation",
    "Health and well-being",
    "Civic and social",
    "Quality environment",
    "Built infrastructure",
    "Security",
]

PRIMARY = Series("2026", (72, 55.5, None, 81, 40, 63.5))
COMPARISON = Series("2025", (60, 50, 45, 70, 42, 58), style="comparison")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def classes(element: ET.Element) -> list[str]:
    return element.get("class", "").split()


def series_groups(root: ET.Element) -> list[ET.Element]:
    """The series drawn on the chart (the legend repeats the classes one level deeper)."""
    return [g for g in root.findall(f"{SVG}g") if "radar-series" in classes(g)]


def points(polygon: ET.Element) -> list[tuple[float, float]]:
    pairs = polygon.get("points").split()
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in pairs)]


def centre(root: ET.Element) -> tuple[float, float]:
    spoke = root.find(f"{SVG}g[@class='radar-axis']/{SVG}line")
    return float(spoke.get("x1")), float(spoke.get("y1"))


def outer_radius(root: ET.Element) -> float:
    rings = root.findall(f"{SVG}g[@class='radar-grid']/{SVG}polygon")
    cx, cy = centre(root)
    return max(math.dist((cx, cy), point) for point in points(rings[-1]))


def marker_centre(marker: ET.Element) -> tuple[float, float]:
    if marker.tag == f"{SVG}circle":
        return float(marker.get("cx")), float(marker.get("cy"))
    return (
        float(marker.get("x")) + float(marker.get("width")) / 2,
        float(marker.get("y")) + float(marker.get("height")) / 2,
    )


def markers(group: ET.Element) -> list[ET.Element]:
    return [e for e in group if "radar-marker" in classes(e)]


def axis_labels(root: ET.Element) -> list[list[str]]:
    """The lines of every axis label, in axis order."""
    texts = [t for t in root.findall(f"{SVG}text") if "radar-label" in classes(t)]
    return [[span.text for span in text.findall(f"{SVG}tspan")] for text in texts]


def test_title_description_and_role():
    root = parse(radar(AREAS, [PRIMARY], title="Scores 2026", description="Six areas."))

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert classes(root) == ["chart", "radar"]
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert len(root.get("viewBox").split()) == 4
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "Scores 2026"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text.startswith("Six areas. 2026: Industry and innovation 72.0,")


def test_description_defaults_to_the_values():
    root = parse(radar(AREAS, [PRIMARY], title="Scores"))

    desc = root.find(f"{SVG}desc").text
    assert "Health and well-being 55.5" in desc
    assert "Civic and social no score" in desc


def test_markup_is_inserted_unescaped_by_jinja():
    svg = radar(AREAS, [PRIMARY], title="Scores")

    assert isinstance(svg, Markup)
    html = Environment(autoescape=True).from_string("<div>{{ chart }}</div>").render(chart=svg)
    assert html == f"<div>{svg}</div>"


def test_one_polygon_per_series_with_a_point_per_axis():
    root = parse(radar(AREAS, [PRIMARY, COMPARISON], title="Scores"))

    groups = series_groups(root)
    assert [classes(g) for g in groups] == [
        ["radar-series", "radar-primary"],
        ["radar-series", "radar-comparison"],
    ]
    for group in groups:
        polygons = group.findall(f"{SVG}polygon")
        assert len(polygons) == 1
        assert len(points(polygons[0])) == len(AREAS)


def test_grid_has_five_rings_and_a_spoke_per_axis():
    root = parse(radar(["a", "b", "c", "d"], [], title="Empty"))

    assert len(root.findall(f"{SVG}g[@class='radar-grid']/{SVG}polygon")) == 5
    assert len(root.findall(f"{SVG}g[@class='radar-axis']/{SVG}line")) == 4
    scale = [t.text for t in root.findall(f"{SVG}g[@class='radar-scale']/{SVG}text")]
    assert scale == ["20", "40", "60", "80", "100"]


def test_100_lies_on_the_outer_ring_and_0_at_the_centre():
    values = (100, 0, 50, 100, 0, 25)
    root = parse(radar(AREAS, [Series("x", values)], title="Scores"))

    cx, cy = centre(root)
    radius = outer_radius(root)
    polygon = series_groups(root)[0].find(f"{SVG}polygon")
    for value, point in zip(values, points(polygon), strict=True):
        assert math.dist((cx, cy), point) == pytest.approx(radius * value / 100, abs=0.02)


def test_markers_and_their_titles():
    root = parse(radar(AREAS, [PRIMARY, COMPARISON], title="Scores"))

    primary, comparison = series_groups(root)
    assert [m.tag for m in markers(primary)] == [f"{SVG}circle"] * 5
    assert [m.find(f"{SVG}title").text for m in markers(primary)] == [
        "Industry and innovation: 72.0",
        "Health and well-being: 55.5",
        "Quality environment: 81.0",
        "Built infrastructure: 40.0",
        "Security: 63.5",
    ]
    assert [m.tag for m in markers(comparison)] == [f"{SVG}rect"] * 6
    assert markers(comparison)[2].find(f"{SVG}title").text == "Civic and social: 45.0"
    # Hollow squares: white inside, a dark outline.
    assert all(m.get("fill") == "#ffffff" and m.get("stroke") for m in markers(comparison))


def test_comparison_is_dashed_without_fill_and_primary_is_solid():
    root = parse(radar(AREAS, [PRIMARY, COMPARISON], title="Scores"))

    primary, comparison = (g.find(f"{SVG}polygon") for g in series_groups(root))
    assert primary.get("stroke-dasharray") is None
    assert primary.get("fill") != "none"
    assert 0 < float(primary.get("fill-opacity")) < 0.5
    assert comparison.get("stroke-dasharray")
    assert comparison.get("fill") == "none"


def test_legend_shows_every_series_even_a_single_one():
    root = parse(radar(AREAS, [PRIMARY], title="Scores"))

    legend = root.find(f"{SVG}g[@class='radar-legend']")
    entries = legend.findall(f"{SVG}g")
    assert len(entries) == 1
    assert entries[0].find(f"{SVG}line") is not None
    assert entries[0].find(f"{SVG}circle") is not None
    assert entries[0].find(f"{SVG}text").text == "2026"

    root = parse(radar(AREAS, [PRIMARY, COMPARISON], title="Scores"))
    entries = root.find(f"{SVG}g[@class='radar-legend']").findall(f"{SVG}g")
    assert [e.find(f"{SVG}text").text for e in entries] == ["2026", "2025"]
    assert entries[1].find(f"{SVG}line").get("stroke-dasharray")
    assert entries[1].find(f"{SVG}rect") is not None


def test_legend_sits_below_the_chart():
    root = parse(radar(AREAS, [PRIMARY, COMPARISON], title="Scores"))

    _, cy = centre(root)
    bottom = cy + outer_radius(root)
    legend = root.find(f"{SVG}g[@class='radar-legend']")
    assert all(float(line.get("y1")) > bottom for line in legend.iter(f"{SVG}line"))


def test_text_is_escaped():
    axes = ["<script>alert(1)</script>", "R&D", 'Say "hi"', "Security"]
    series = [Series("A & B <b>", (10, 20, 30, 40))]
    svg = radar(axes, series, title="Title & <i>", description="x < y")

    assert "<script>" not in svg
    assert "<b>" not in svg
    assert "<i>" not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "Title & <i>"
    assert root.find(f"{SVG}desc").text == (
        'x < y A & B <b>: <script>alert(1)</script> 10.0, R&D 20.0, Say "hi" 30.0, Security 40.0.'
    )
    assert [" ".join(lines) for lines in axis_labels(root)] == axes
    titles = [m.find(f"{SVG}title").text for m in markers(series_groups(root)[0])]
    assert titles[:2] == ["<script>alert(1)</script>: 10.0", "R&D: 20.0"]
    legend = root.find(f"{SVG}g[@class='radar-legend']")
    assert legend.find(f".//{SVG}text").text == "A & B <b>"


def test_no_inline_style_anywhere():
    svg = radar(AREAS, [PRIMARY, COMPARISON], title="Scores")

    root = parse(svg)
    for element in root.iter():
        assert element.tag != f"{SVG}style"
        assert "style" not in element.attrib
    assert "style=" not in svg


def test_coordinates_have_at_most_two_decimals():
    svg = radar(AREAS, [PRIMARY, COMPARISON], title="Scores")

    assert not re.search(r"\d\.\d{3}", svg.split("</desc>")[1])


def test_long_labels_wrap_on_two_lines_and_are_anchored_by_side():
    root = parse(radar(AREAS, [PRIMARY, COMPARISON], title="Scores"))

    labels = axis_labels(root)
    assert labels[0] == ["Industry and", "innovation"]
    assert labels[2] == ["Civic and", "social", "(no score: 2026)"]
    assert labels[5] == ["Security"]
    anchors = [
        t.get("text-anchor") for t in root.findall(f"{SVG}text") if "radar-label" in classes(t)
    ]
    assert anchors == ["middle", "start", "start", "middle", "end", "end"]


def test_labels_stay_inside_the_view_box():
    # 0.5 em per character is about what a sans-serif font takes; the chart keeps more room.
    root = parse(radar(AREAS, [PRIMARY, COMPARISON], title="Scores"))

    left, top, width, height = (float(n) for n in root.get("viewBox").split())
    for text in (t for t in root.findall(f"{SVG}text") if "radar-label" in classes(t)):
        size = float(text.get("font-size"))
        for span in text.findall(f"{SVG}tspan"):
            x, y, length = float(span.get("x")), float(span.get("y")), len(span.text) * size / 2
            reach = {"start": (x, x + length), "middle": (x - length / 2, x + length / 2)}
            low, high = reach.get(text.get("text-anchor"), (x - length, x))
            assert left <= low and high <= left + width, span.text
            assert top <= y - size and y <= top + height, span.text


@pytest.mark.parametrize(
    ("axes", "series", "message"),
    [
        (["a", "b"], [], "at least 3 axes"),
        (["a", "b", "c"], [Series("x", (1, 2))], "2 values for 3 axes"),
        (["a", "b", "c"], [Series("x", (1, 2, 100.5))], "outside 0..100"),
        (["a", "b", "c"], [Series("x", (-1, 2, 3))], "outside 0..100"),
        (["a", "b", "c"], [Series("x", (1, math.nan, 3))], "outside 0..100"),
        (["a", "b", "c"], [Series("x", (1, 2, 3), style="bold")], "style must be one of"),
    ],
)
def test_invalid_input_is_refused(axes, series, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        radar(axes, series, title="Bad")


def test_output_is_deterministic_and_ids_differ_between_charts():
    first = radar(AREAS, [PRIMARY, COMPARISON], title="Scores")
    again = radar(list(AREAS), [PRIMARY, COMPARISON], title="Scores")
    other = radar(AREAS, [PRIMARY], title="Scores")

    assert first == again
    assert parse(first).get("aria-labelledby") != parse(other).get("aria-labelledby")


def test_none_draws_through_the_centre_without_a_marker():
    root = parse(radar(AREAS, [PRIMARY], title="Scores"))

    cx, cy = centre(root)
    group = series_groups(root)[0]
    polygon_points = points(group.find(f"{SVG}polygon"))
    assert len(polygon_points) == 6
    assert polygon_points[2] == pytest.approx((cx, cy), abs=0.01)
    assert len(markers(group)) == 5
    marker_points = [marker_centre(m) for m in markers(group)]
    assert all(math.dist((cx, cy), point) > 1 for point in marker_points)
    assert axis_labels(root)[2] == ["Civic and", "social", "(no score)"]
    assert axis_labels(root)[5] == ["Security"]


def test_no_score_words_can_be_translated():
    series = [Series("2026", (None, 1, 2))]
    root = parse(radar(["Keamanan", "b", "c"], series, title="Skor", no_score="belum dinilai"))

    assert axis_labels(root)[0] == ["Keamanan", "(belum dinilai)"]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=3, max_value=8).flatmap(
        lambda count: st.lists(
            st.tuples(
                st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
                st.floats(min_value=0, max_value=100),
            ),
            min_size=count,
            max_size=count,
        )
    )
)
def test_every_marker_lies_within_the_outer_ring(rows):
    axes = [f"Area {i}" for i in range(len(rows))]
    series = [
        Series("now", tuple(primary for primary, _ in rows)),
        Series("before", tuple(comparison for _, comparison in rows), style="comparison"),
    ]

    root = parse(radar(axes, series, title="Random"))

    cx, cy = centre(root)
    radius = outer_radius(root)
    groups = series_groups(root)
    assert len(groups) == 2
    for group, one in zip(groups, series, strict=True):
        assert len(markers(group)) == sum(value is not None for value in one.values)
        for marker in markers(group):
            assert math.dist((cx, cy), marker_centre(marker)) <= radius + 0.02


def test_a_band_fills_the_ring_between_its_lows_and_highs():
    """An interquartile band: one path of two outlines filled even-odd, drawn under the lines,
    with a legend entry and no markers."""
    band = Series("Middle half", (80.0,) * 6, "band", (40.0,) * 6)
    svg = str(radar(AREAS, [Series("2026", (50.0,) * 6), band], title="t"))
    root = ET.fromstring(svg)
    groups = [g for g in root.iter(f"{SVG}g") if "radar-band" in (g.get("class") or "")]
    path = groups[0].find(f"{SVG}path")
    assert path.get("fill-rule") == "evenodd" and path.get("d").count("M") == 2
    assert groups[0].find(f"{SVG}circle") is None and groups[0].find(f"{SVG}rect") is None
    assert svg.index("radar-band") < svg.index("radar-primary")  # underneath the city's line
    with pytest.raises(ValueError, match="needs as many lows as values"):
        radar(AREAS, [Series("Broken", (80.0,) * 6, "band", (40.0,))], title="t")


def test_an_area_radar_puts_each_score_on_its_own_areas_axis():
    """area_radar takes scores by area id, in any order, and draws them as radar() would from
    the areas' order; an area without a score is no score; the band comes first."""
    areas = {"a": "Area A", "b": "Area B", "c": "Area C"}
    drawn = area_radar(
        areas,
        [("2026", {"c": 30.0, "a": 10.0}, "primary"), ("2025", {"b": 20.0}, "comparison")],
        band=("Middle half", {"a": 1.0, "b": 2.0, "c": 3.0}, {"a": 9.0, "b": 8.0, "c": 7.0}),
        title="t",
        description="d",
        no_score="none",
    )
    expected = radar(
        ["Area A", "Area B", "Area C"],
        [
            Series("Middle half", (9.0, 8.0, 7.0), "band", (1.0, 2.0, 3.0)),
            Series("2026", (10.0, None, 30.0)),
            Series("2025", (None, 20.0, None), "comparison"),
        ],
        title="t",
        description="d",
        no_score="none",
    )
    assert drawn == expected
