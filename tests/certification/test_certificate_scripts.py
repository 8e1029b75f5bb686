"""Names on the PDF certificate in every script a learner writes them in, drawn from the Noto fonts we ship.

Latin names are read back as text. Devanagari and Arabic are shaped (conjuncts, vowel signs, joining,
right-to-left), and text extraction is no proof of shaping: for them every character must be in the font the
certificate uses, HarfBuzz must find a glyph for each, and the rendered name must match a reference image
checked by eye (tests/certification/reference/; rendered by `name_image` below, at 100 dpi).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import uharfbuzz as hb
from fontTools.ttLib import TTFont
from PIL import Image

from samaschool.certification.documents import FONT_FAMILIES, FONTS_PATH, CertificateFacts, certificate_pdf
from tests.certification.pdf_tools import pdf_fonts, pdf_text, render_region, share_changed, share_of_pixels

REFERENCES = Path(__file__).with_name("reference")
MAX_PDF_BYTES = 60 * 1024

SCRIPTS = {
    # script: (a name, the family that must draw it, the reference image of the name line)
    "devanagari": ("आरव शर्मा", "NotoSansDevanagari", "name-devanagari.png"),
    "arabic": ("فاطمة الزهراء", "NotoSansArabic", "name-arabic.png"),
}


def facts(name: str) -> CertificateFacts:
    return CertificateFacts(
        holder_name=name,
        certification_name="Data Annotation Certificate",
        description="Can annotate data to paid-work standards.",
        issued_on="3 December 2026",
        expires_on="3 December 2027",
        verification_code="7KQM-2XRT-9HBC-W",
        verify_url="https://samaschool.example/verify/7KQM-2XRT-9HBC-W",
        issuer_name="Samaschool",
    )


def name_image(pdf: bytes) -> Image.Image:
    """The line with the holder's name (66-82 mm from the top of the page), above the rule under it."""
    return render_region(pdf, x=150, y=245, width=870, height=80)


@pytest.mark.parametrize(
    "name",
    ["Wanjirũ Njoroge", "Aarav Śarmā", "Nguyễn Thị Hằng", "Łukasz O’Brien", "Zoë Müller-Çelik", "Wanjiru\u0303 Kamau"],
)
def test_latin_names_keep_every_letter(name):
    pdf = certificate_pdf(facts(name))
    text = pdf_text(pdf)
    assert name.replace("u\u0303", "ũ") in text
    assert "?" not in text.replace("verify?", "")
    assert len(pdf) < MAX_PDF_BYTES


def test_a_latin_certificate_embeds_only_the_latin_font():
    fonts = pdf_fonts(certificate_pdf(facts("Wanjirũ Njoroge")))
    assert set(fonts) == {"NotoSans", "NotoSansBold", "NotoSansItalic"}
    assert all(embedded and subsetted for embedded, subsetted in fonts.values())


@pytest.mark.parametrize("script", SCRIPTS)
def test_names_in_other_scripts_are_drawn_from_a_font_that_has_every_glyph(script):
    name, family, _reference = SCRIPTS[script]
    pdf = certificate_pdf(facts(name))
    assert len(pdf) < MAX_PDF_BYTES
    # The name line is bold: the script's bold font is embedded, as a subset, beside the Latin ones.
    fonts = pdf_fonts(pdf)
    assert fonts[f"{family}Bold"] == (True, True)
    assert set(fonts) == {"NotoSans", "NotoSansBold", "NotoSansItalic", f"{family}Bold"}

    path = FONTS_PATH / FONT_FAMILIES[family]["B"]
    with TTFont(path, lazy=True) as font:
        cmap = font.getBestCmap()
    assert [char for char in name if ord(char) not in cmap] == []
    buffer = hb.Buffer()
    buffer.add_str(name)
    buffer.guess_segment_properties()
    hb.shape(hb.Font(hb.Face(hb.Blob.from_file_path(str(path)))), buffer)
    assert buffer.glyph_infos and all(info.codepoint != 0 for info in buffer.glyph_infos)  # 0 is .notdef


@pytest.mark.parametrize("script", SCRIPTS)
def test_names_in_other_scripts_are_shaped_as_in_the_reference_image(script):
    name, _family, reference_file = SCRIPTS[script]
    image = name_image(certificate_pdf(facts(name)))
    reference = Image.open(REFERENCES / reference_file).convert("L")
    assert share_of_pixels(reference, darker_than=128) > 0.03  # the reference holds a name, not a blank line
    # Unshaped text (Devanagari without its reph, Arabic letters unjoined and left to right) changes 5-8 % of
    # this region; the same rendering changes nothing.
    assert share_changed(image, reference) < 0.005


def test_a_paragraph_in_two_shaped_scripts_keeps_each_line_in_its_fonts():
    """fpdf2 once drew a line in a stale font (the certification name's, bold 22 pt) after a line that began in
    a fallback font: here Arabic lines follow Devanagari ones, and the garbage read back as Latin letters."""
    description = "आरव शर्मा ने बारह मॉड्यूल पूरे किए। أكملت فاطمة اثني عشر وحدة ومشروعًا ختاميًا. " * 6
    certificate = facts("Amina Njeri")
    certificate.description = description
    pdf = certificate_pdf(certificate)
    text = pdf_text(pdf, region=(0, 305, 842, 85))  # the description, 111-135 mm from the top
    assert "आरव शर्मा" in text and "فاطمة" in text
    assert not re.search(r"[A-Za-z]", text), text
    assert len(pdf) < MAX_PDF_BYTES


def test_fonts_ship_with_their_licence():
    licence = (FONTS_PATH / "OFL.txt").read_text()
    assert "SIL OPEN FONT LICENSE" in licence and "Version 1.1" in licence
    assert "Open Font License" in (FONTS_PATH / "README.md").read_text()
    for styles in FONT_FAMILIES.values():
        for filename in styles.values():
            with TTFont(FONTS_PATH / filename, lazy=True) as font:
                assert "SIL Open Font License" in font["name"].getDebugName(13)
