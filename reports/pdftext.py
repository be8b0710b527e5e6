"""The text layer of the report PDFs: every glyph reads back as the text it was drawn for, and
elements with their own `lang` keep it in the PDF's structure tree.

WeasyPrint (up to 70 at least) writes one ToUnicode entry per glyph id, from the first place the
glyph is drawn, and within a cluster of several glyphs it gives the cluster's text to the last
glyph and nothing to the others (Kozea/WeasyPrint#2841). Myanmar and Khmer draw a cluster as
several glyphs, some before the consonant they belong to (ေ, ြ, ្រ), and reuse a glyph in
clusters of other text, so the second word with the same glyph reads back with letters lost or
doubled: "မြို့" as "မို့", "កម្ពុជា" as "ក្រម្ពុជា". What is drawn is right; only the
text layer is wrong.

While `exact_text()` is active (reports.render.render_pdf uses it), each line is looked at just
before WeasyPrint draws it:

- a line's text is cut into groups: a Pango cluster, with the following clusters that draw only
  zero-advance glyphs (marks placed over it), so that no text goes backwards on the line;
- a group's characters go to its advancing glyphs in drawing order (the first takes what is left
  over when there are more characters than glyphs), its zero-advance glyphs read as nothing;
- where a glyph has already been mapped to other text, the occurrence is drawn with an alias: a
  new glyph id past the font's own, mapped to this text, whose outline is a composite of the
  original glyph (same shape, same advance), added to the embedded font after subsetting.

Reading the content in order (pypdf, screen readers, `pdftotext -raw`) and poppler's layout
order then give back the text as written. Fonts without TrueType outlines (CFF), bitmap and
colour fonts, and right-to-left runs keep WeasyPrint's own mapping.

WeasyPrint also writes the document's language only (`/Lang` of the catalogue); here a
structure element whose HTML element has its own `lang` gets it as `/Lang` too.

This works on WeasyPrint's internals (`draw_first_line`, `Font.clean`, `_build_box_tree`): when
they are not the ones it knows, it leaves WeasyPrint alone, logs a warning, and the tests in
tests/test_pdf_scripts.py fail.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import io
import logging

import pydyf
import weasyprint.pdf as pdf_document
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent
from weasyprint.draw import text as draw_text
from weasyprint.pdf import fonts as pdf_fonts
from weasyprint.pdf import tags as pdf_tags
from weasyprint.text.ffi import FROM_UNITS, ffi, pango

log = logging.getLogger(__name__)

# Alias glyph ids start this far past a font's own glyphs: WeasyPrint numbers the glyphs that no
# font has (drawn as .notdef) from the font's glyph count on.
SPARE = 256
MAX_GLYPH_ID = 0xFFFF

_renders: contextvars.ContextVar[dict | None] = contextvars.ContextVar("pdftext", default=None)
_original = {}


@contextlib.contextmanager
def exact_text():
    """Within this block, PDFs that WeasyPrint writes (in this thread) get the exact text layer."""
    install()
    token = _renders.set({})
    try:
        yield
    finally:
        _renders.reset(token)


def install() -> bool:
    """Wrap WeasyPrint's functions once; False when they are not the ones this module knows."""
    if _original:
        return True
    expected = {
        (draw_text, "draw_first_line"): [
            "stream",
            "textbox",
            "text_overflow",
            "block_ellipsis",
            "matrix",
        ],
        (pdf_fonts.Font, "clean"): ["self", "to_unicode", "hinting"],
        (pdf_tags, "_build_box_tree"): [
            "box",
            "parent",
            "pdf",
            "page_number",
            "nums",
            "annotations",
            "tags",
        ],
        (pdf_document, "add_links"): [
            "links_and_anchors",
            "matrix",
            "pdf",
            "page",
            "names",
            "tags",
        ],
    }
    for (owner, name), parameters in expected.items():
        function = getattr(owner, name, None)
        if function is None or list(inspect.signature(function).parameters) != parameters:
            log.warning("WeasyPrint's %s is not the one reports.pdftext knows: not wrapped", name)
            return False
    _original["draw"] = draw_text.draw_first_line
    _original["clean"] = pdf_fonts.Font.clean
    _original["tree"] = pdf_tags._build_box_tree
    _original["links"] = pdf_document.add_links
    pdf_document.add_links = _add_links
    draw_text.draw_first_line = _draw_first_line
    pdf_fonts.Font.clean = _clean
    pdf_tags._build_box_tree = _build_box_tree
    return True


def _add_links(links_and_anchors, matrix, pdf, page, names, tags):
    # A tagged PDF's link says where it goes in /Contents: WeasyPrint writes its target (an id,
    # "area-security"); a screen reader should hear the link's words ("Security").
    _original["links"](links_and_anchors, matrix, pdf, page, names, tags)
    if tags is None:
        return
    for _kind, _target, _rectangle, box in links_and_anchors[0]:
        annotation = getattr(box, "link_annotation", None)
        words = " ".join("".join(box.element.itertext()).split()) if box.element is not None else ""
        if annotation is not None and words:
            annotation["Contents"] = pydyf.String(words)


def _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    aliases = _renders.get()
    drawn = []
    # Lines cut with an ellipsis are laid out again inside draw_first_line: those keep
    # WeasyPrint's mapping.
    if (
        aliases is not None
        and textbox.text.strip()
        and textbox.style["font_size"] >= 1e-6
        and text_overflow != "ellipsis"
        and block_ellipsis == "none"
    ):
        # As draw_first_line does before it reads the line (it does not lay it out again).
        pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)
        line, _ = textbox.pango_layout.get_first_line()
        utf8 = textbox.pango_layout.text.encode()
        run = line.runs[0]
        while run != ffi.NULL:
            _map_run(stream, textbox, run.data, utf8, aliases, drawn)
            run = run.next
    try:
        return _original["draw"](stream, textbox, text_overflow, block_ellipsis, matrix)
    finally:
        for info, glyph in drawn:  # the layout is Pango's: give it back its glyphs
            info.glyph = glyph


def _map_run(stream, textbox, glyph_item, utf8, aliases, drawn):
    """Give each glyph of one run its text, drawing it with an alias where the glyph is
    already mapped to other text."""
    item = glyph_item.item
    if item.analysis.level % 2:
        return  # right to left
    pango_font = item.analysis.font
    font, font_size = stream.add_font(pango_font)
    if not _outlined(font):
        return
    if pango.pango_version() < 14802:  # as draw_first_line
        font_size = textbox.style["font_size"]
    glyphs = glyph_item.glyphs
    count, clusters = glyphs.num_glyphs, glyphs.log_clusters
    table = aliases.setdefault(font.hash, {"next": font.glyph_count + SPARE, "ids": {}, "of": {}})

    for start, end in _groups(glyphs, count, clusters):
        stop = clusters[end] if end < count else item.length
        text = utf8[item.offset + clusters[start] : item.offset + stop].decode()
        advancing = [i for i in range(start, end) if glyphs.glyphs[i].geometry.width] or [start]
        pieces = dict(zip(advancing, _share(text, len(advancing)), strict=True))
        for i in range(start, end):
            info = glyphs.glyphs[i]
            glyph, piece = info.glyph, pieces.get(i, "")
            if glyph == pango.PANGO_GLYPH_EMPTY or glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG:
                continue
            mapped = font.to_unicode.get(glyph)
            if mapped is None:
                font.to_unicode[glyph] = piece
                continue
            if mapped == piece:
                continue
            alias = table["ids"].get((glyph, piece))
            if alias is None:
                alias = table["next"]
                if alias > MAX_GLYPH_ID or len(font.missing) >= SPARE:
                    continue  # WeasyPrint's mapping for this one
                table["next"] += 1
                table["ids"][glyph, piece] = alias
                table["of"][alias] = glyph
            if glyph not in font.widths:  # as draw_first_line measures it
                pango.pango_font_get_glyph_extents(
                    pango_font, glyph, stream.ink_rect, stream.logical_rect
                )
                font.widths[glyph] = round(
                    stream.logical_rect.width * 1000 * FROM_UNITS / font_size
                )
            font.widths[alias] = font.widths[glyph]
            font.to_unicode[alias] = piece
            info.glyph = alias
            drawn.append((info, glyph))


def _outlined(font) -> bool:
    """Whether aliases can be made for `font`: TrueType outlines, no bitmaps or colour."""
    try:
        return "glyf" in font.tables and not (font.bitmap or font.png or font.svg or font.colr)
    except AttributeError:
        return False


def _groups(glyphs, count, clusters):
    """(start, end) glyph indices of each text group: a cluster and the clusters after it that
    draw only zero-advance glyphs."""
    starts = [i for i in range(count) if i == 0 or clusters[i] != clusters[i - 1]]
    groups: list[list[int]] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else count
        advances = any(glyphs.glyphs[i].geometry.width for i in range(start, end))
        if groups and not advances:
            groups[-1][1] = end
        else:
            groups.append([start, end])
    return groups


def _share(text: str, count: int) -> list[str]:
    """`text` cut into `count` pieces in order, one character each where it can be; the
    first piece takes the surplus, the last ones are empty when characters run out."""
    if count >= len(text):
        return [*text, *[""] * (count - len(text))]
    surplus = len(text) - count + 1
    return [text[:surplus], *text[surplus:]]


def _clean(self, to_unicode, hinting):
    """Subset the font without the aliases, then add them to it."""
    aliases = _renders.get()
    table = aliases.get(self.hash) if aliases else None
    used = (
        {alias: glyph for alias, glyph in table["of"].items() if alias in to_unicode}
        if table
        else {}
    )
    if not used:
        return _original["clean"](self, to_unicode, hinting)
    real = {glyph: text for glyph, text in to_unicode.items() if glyph not in used}
    for glyph in used.values():
        real.setdefault(glyph, "")
    _original["clean"](self, real, hinting)
    if set(self.missing.values()) & set(used):
        log.warning("Font %s: glyphs that no font has overlap the aliases", self.family)
    try:
        self.file_content = _with_aliases(self.file_content, self.index, used)
    except Exception:  # a font fontTools cannot write back: WeasyPrint's mapping stays wrong
        log.exception("Font %s: could not add alias glyphs", self.family)


def _with_aliases(content: bytes, index: int, aliases: dict[int, int]) -> bytes:
    """The TrueType font `content` with a composite glyph at each alias id drawing the glyph
    it aliases (empty glyphs fill the ids between)."""
    font = TTFont(io.BytesIO(content), fontNumber=index)
    order = list(font.getGlyphOrder())
    glyf, hmtx = font["glyf"], font["hmtx"]
    while len(order) <= max(aliases):
        glyph_id = len(order)
        name = f"alias.{glyph_id}"
        order.append(name)
        glyph = Glyph()
        metrics = (0, 0)
        if glyph_id in aliases:
            base = order[aliases[glyph_id]]
            component = GlyphComponent()
            component.glyphName, component.x, component.y = base, 0, 0
            component.flags = 0x0200  # USE_MY_METRICS
            glyph.numberOfContours, glyph.components = -1, [component]
            metrics = hmtx.metrics[base]
        glyf.glyphs[name] = glyph
        hmtx.metrics[name] = metrics
    glyf.glyphOrder = order
    font.setGlyphOrder(order)
    font["maxp"].numGlyphs = len(order)
    if "post" in font:
        font["post"].formatType = 3.0  # no glyph names
    for tag in ("hdmx", "LTSH", "VDMX", "vmtx", "vhea"):  # per-glyph tables not extended here
        if tag in font:
            del font[tag]
    output = io.BytesIO()
    font.save(output)
    return output.getvalue()


def _build_box_tree(box, parent, pdf, page_number, nums, annotations, tags):
    """WeasyPrint's structure elements, with `/Lang` where the HTML element has a `lang`."""
    elements = _original["tree"](box, parent, pdf, page_number, nums, annotations, tags)
    element = getattr(box, "element", None)
    lang = None
    own = getattr(box, "element_tag", None) not in (None, "html", "body")
    if _renders.get() is not None and element is not None and own:
        lang = element.get("lang")
    for structure in elements:
        if lang and "Lang" not in structure:
            structure["Lang"] = pydyf.String(lang)
        yield structure
