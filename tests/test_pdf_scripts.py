"""Text comes back out of the report PDF as it was written, in every script of ASEAN: a city's
name and comments are user text that reaches the PDF untranslated. Read back with pypdf (the
content in order, as a screen reader reads it) and poppler's pdftotext (its reading order, as
a viewer copies it, and -raw). reports/README.md tells the causes and the limits."""

import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

MANDALAY = "မန္တလေး"
# Each comment is in one language; together they are every script the report prints.
COMMENTS = {
    "cs_participation": "ရန်ကုန်မြို့သည် မြန်မာနိုင်ငံ၏ အကြီးဆုံးမြို့ ဖြစ်သည်။",  # Burmese
    "cs_global_agendas": "မြို့တော်ခန်းမ၊ ကျန်းမာရေးဌာန၊ ပတ်ဝန်းကျင်ထိန်းသိမ်းရေး",  # Burmese
    "cs_gender_budget": "ភ្នំពេញ",  # Khmer (KHMER_WORD)
    "cs_social_registry": "ក្រុងភ្នំពេញជារាជធានីនៃព្រះរាជាណាចក្រកម្ពុជា។",  # Khmer
    "cs_informal_settlements": "ក្រសួងសុខាភិបាល និងស្ត្រី",  # Khmer
    "cs_land_records": "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย น้ำท่วม",  # Thai
    "cs_land_tenure": "ນະຄອນຫຼວງວຽງຈັນ ເປັນເມືອງຫຼວງຂອງລາວ",  # Lao
    "hw_primary_care": "Thành phố Hồ Chí Minh: trạm y tế phường, Huế, Quảng Ngãi, người ở",  # vi
    "hw_surveillance": "Dewan Bandaraya Kuala Lumpur menyediakan klinik kesihatan.",  # Malay
    "hw_sanitation": "Ang pamahalaang lungsod ay nagbibigay ng malinis na tubig.",  # Filipino
    "hw_public_space": "Pemerintah kota menyediakan ruang terbuka hijau.",  # Indonesian
    "hw_accessibility": "The city council publishes its budget every year.",  # English
}
WRITTEN = (MANDALAY, *COMMENTS.values())
KHMER = re.compile("[\u1780-\u17ff]")
KHMER_WORD = "ភ្នំពេញ"


def poppler(pdf: bytes, *options: str) -> str:
    if shutil.which("pdftotext") is None:
        from conftest import service_missing

        service_missing("poppler's pdftotext (Debian package poppler-utils)")
    return subprocess.run(
        ["pdftotext", *options, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def one_line(text: str) -> str:
    """Lines joined by a space, runs of spaces as one: a paragraph wraps where it wraps."""
    return " ".join(text.split())


@pytest.fixture
def pdf(make_city, make_assessment, db):
    from reports import render_pdf
    from toolkit.assessments.answering import AnswerInput, save_answers
    from toolkit.reporting.service import report_of

    city = make_city("mandalay", country="MM", name=MANDALAY)
    assessment = make_assessment(city)
    save_answers(
        assessment,
        {qid: AnswerInput(value=1, comment=text) for qid, text in COMMENTS.items()},
        None,
    )
    db.session.commit()
    return render_pdf(report_of(assessment))


def test_every_script_reads_back_as_written(pdf):
    """pdftotext -raw (the content in order) gives back every text exactly; pypdf and
    pdftotext's reading order every text but Khmer exactly, and Khmer letter for letter.

    What is left is a space an extractor may put inside a Khmer word: it guesses word breaks
    from gaps on the line, and Khmer places marks with offsets (pypdf reads the jump back after
    ុ in "ក្រុង" as a space) and draws two-part vowels such as ៀ as more glyphs than it has
    characters, so one glyph carries no text and leaves a gap (poppler reads one in "សៀម").
    The ToUnicode maps are exact; only /ActualText around the cluster could say more, and
    WeasyPrint writes none (Kozea/WeasyPrint#2841 is its mapping issue).
    """
    reader = PdfReader(io.BytesIO(pdf))
    pypdf_text = one_line("\n".join(page.extract_text() for page in reader.pages))
    ordered = one_line(poppler(pdf))
    raw = one_line(poppler(pdf, "-raw"))
    for written in WRITTEN:
        assert written in raw, written
        if KHMER.search(written) and len(written) > len(KHMER_WORD):
            # Every letter in order; at most a space more between two of them.
            spaced = r"\s?".join(map(re.escape, written))
            assert re.search(spaced, pypdf_text), written
            assert re.search(spaced, ordered), written
        else:
            assert written in pypdf_text, written
            assert written in ordered, written
    assert KHMER_WORD in pypdf_text and KHMER_WORD in ordered


def test_the_city_and_comments_in_another_script_carry_their_language(pdf):
    """WeasyPrint writes only the document's /Lang; the report marks user text in another
    script than the report's language, and its structure element says so."""
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.trailer["/Root"]["/Lang"] == "en"
    languages = set()

    def walk(element):
        element = element.get_object()
        if "/Lang" in element:
            languages.add(str(element["/Lang"]))
        kids = element.get("/K", [])
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object()
            if hasattr(kid, "get") and kid.get("/Type") == "/StructElem":
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert languages == {"my", "km", "th", "lo"}


def test_a_glyph_shared_by_two_clusters_reads_as_each(make_city, make_assessment, db):
    """The case of the issue: "မန္တလေး" after other Burmese words that draw the same glyphs
    with other text (ေ and ြ before their consonant). Before the fix pypdf read
    "ရန်ကုန်မို့" for "ရန်ကုန်မြို့" and "ကီး" for "ကြီး"."""
    from reports import render_pdf
    from toolkit.assessments.answering import AnswerInput, save_answers
    from toolkit.reporting.service import report_of

    city = make_city("yangon", country="MM", name="ရန်ကုန်မြို့ ကြီး လေး")
    assessment = make_assessment(city)
    save_answers(assessment, {"cs_participation": AnswerInput(value=1, comment=MANDALAY)}, None)
    db.session.commit()
    pdf = render_pdf(report_of(assessment))
    text = one_line(PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert "ရန်ကုန်မြို့ ကြီး လေး" in text
    every_page = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert MANDALAY in every_page and MANDALAY in one_line(poppler(pdf))


def test_the_same_glyphs_draw_the_same_page(make_city, make_assessment, db):
    """The aliases are the original glyphs: the page looks the same with and without them
    (at 100 dpi; at 60 dpi FreeType anti-aliases some edges of the 36 pt city name one grey
    level apart, a composite glyph being rasterised on its own path)."""
    from weasyprint import HTML

    from reports import render_pdf
    from reports.render import ASSETS, AssetsOnlyFetcher, render_html
    from toolkit.reporting.service import report_of

    if shutil.which("pdftoppm") is None:
        from conftest import service_missing

        service_missing("poppler's pdftoppm (Debian package poppler-utils)")
    city = make_city("mandalay", country="MM", name=f"{MANDALAY} ရန်ကုန်မြို့ ភ្នំពេញ ក្រុង")
    report = report_of(make_assessment(city))
    fixed = render_pdf(report)
    plain = HTML(
        string=render_html(report), base_url=ASSETS.as_uri() + "/", url_fetcher=AssetsOnlyFetcher()
    ).write_pdf(pdf_variant="pdf/ua-1")

    def cover(pdf: bytes) -> bytes:
        return subprocess.run(
            ["pdftoppm", "-r", "100", "-gray", "-f", "1", "-l", "1", "-"],  # to stdout
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout

    page = cover(fixed)
    assert page.startswith(b"P5") and len(page) > 500_000  # a grey PGM of the whole page
    assert page == cover(plain)


CHART_LABELS = {
    "th": "ธรรมาภิบาลแบบมีส่วนร่วม ผู้นำของสตรี",
    "my": "မန္တလေး မြို့တော် ကျန်းမာရေး",
    "km": "ក្រសួងសុខាភិបាល និងស្ត្រី",
    "lo": "ນະຄອນຫຼວງວຽງຈັນ ສຸຂະພາບ",
    "vi": "Quản trị bao trùm, Huế, người ở",
}


def test_chart_labels_are_shaped_as_words_as_the_text_around_them(tmp_path):
    """WeasyPrint draws SVG text letter by letter (a vowel sign alone, on a dotted circle);
    reports.svgtext hands it whole runs: a chart label is as wide as the same words in the
    page's text, where letter by letter the marks would each take room of their own."""
    from PIL import Image
    from weasyprint import HTML

    from reports import svgtext

    assert svgtext.install()
    pages = "".join(
        f'<section style="page-break-after: always; font: 14px sans-serif" lang="{code}">'
        f'<p style="margin: 0; height: 40px">{label}</p>'
        f'<svg width="600" height="40" font-family="sans-serif">'
        f'<text x="0" y="20" font-size="14">{label}</text></svg></section>'
        for code, label in CHART_LABELS.items()
    )
    pdf = tmp_path / "labels.pdf"
    HTML(string=f"<html><body style='margin: 0'>{pages}</body></html>").write_pdf(pdf)
    subprocess.run(["pdftoppm", "-r", "96", "-png", str(pdf), str(tmp_path / "page")], check=True)
    for number, (code, label) in enumerate(CHART_LABELS.items(), start=1):
        page = Image.open(next(tmp_path.glob(f"page-*{number}.png"))).convert("L")
        ink = page.point(lambda v: 255 if v < 128 else 0)
        # The paragraph's line and the chart's label below it: two bands of inked rows, 40px
        # apart (tall Burmese and Thai marks stay within their band).
        top = ink.getbbox()[1]
        widths = []
        for band in (top - 10, top + 30):
            left, _, right, _ = ink.crop((0, band, page.width, band + 38)).getbbox()
            widths.append(right - left)
        text, chart = widths
        assert abs(chart - text) <= 0.05 * text, (code, label, widths)
