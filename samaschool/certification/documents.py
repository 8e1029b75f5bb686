"""Printable and portable documents for a credential: QR codes, the certificate PDF, and baked badge images.

Baking follows Open Badges 3.0 (section 5.3, "Baked Badge") for a credential secured as a VC-JWT: in SVG the
compact JWS is the ``verify`` attribute of an ``<openbadges:credential>`` element (namespace
``https://purl.imsglobal.org/ob/v3p0``, declared on the root), first child of the root ``<svg>``; in PNG it is the
text of an uncompressed ``iTXt`` chunk with keyword ``openbadgecredential`` and empty language tag and translated
keyword. (The CDATA body of the SVG element is for credentials with an embedded proof, as JSON.)

Badges baked before the spec form, with the JWS in the CDATA body and the verify URL in ``verify``, are still read.

Extraction works on untrusted uploads: SVG is parsed with defusedxml only, PNG chunks are walked by hand
with every length checked, and any malformed input yields ``None`` rather than an exception.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import quoteattr

import segno
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos

OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"

# A compact JWS: three base64url segments (the payload may be empty for detached payloads).
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
# Limits for untrusted PNG input: the PNG spec caps a chunk length at 2**31 - 1; a credential is a few KB.
_PNG_MAX_CHUNK = 2**31 - 1
_MAX_CREDENTIAL_BYTES = 1024 * 1024
_UTF8_BOM = b"\xef\xbb\xbf"


# --------------------------------------------------------------------------------------------------- QR codes


def _qr(url: str) -> segno.QRCode:
    # boost_error=False: exactly level M, as printed material is sized for it.
    return segno.make(url, error="m", boost_error=False, micro=False)


def qr_svg(url: str) -> str:
    """An inline ``<svg>`` (no XML declaration, no physical size, a viewBox) encoding ``url``."""
    return _qr(url).svg_inline(border=2, dark="#000", light="#fff", omitsize=True, svgclass="qr-code", lineclass=None)


def qr_png(url: str, scale: int = 4) -> bytes:
    """The same QR code as PNG bytes."""
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=scale, border=2, dark="#000", light="#fff")
    return buffer.getvalue()


# -------------------------------------------------------------------------------------------- Certificate PDF


@dataclass
class CertificateFacts:
    holder_name: str
    certification_name: str
    description: str
    issued_on: str
    expires_on: str | None
    verification_code: str
    verify_url: str
    issuer_name: str


# The certificate's fonts ship in fonts/ (Noto, SIL Open Font License 1.1: fonts/OFL.txt). Each character is
# drawn by the first family here that has it; a family is embedded, subsetted, only when the text needs it, so a
# Latin-only certificate carries no Devanagari or Arabic glyphs. HarfBuzz shapes the text: Devanagari conjuncts
# and vowel signs, Arabic joining and right-to-left order.
FONTS_PATH = Path(__file__).with_name("fonts")
FONT_FAMILIES = {
    "NotoSans": {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf", "I": "NotoSans-Italic.ttf"},
    "NotoSansDevanagari": {"": "NotoSansDevanagari-Regular.ttf", "B": "NotoSansDevanagari-Bold.ttf"},
    "NotoSansArabic": {"": "NotoSansArabic-Regular.ttf", "B": "NotoSansArabic-Bold.ttf"},
}
MAIN_FAMILY = "NotoSans"
# Zero-width non-joiner and joiner: invisible, but they choose Devanagari half forms and Arabic joining.
JOINERS = frozenset("\u200c\u200d")


@cache
def font_coverage(family: str) -> frozenset[int]:
    """The code points a family draws (its styles all draw the same ones)."""
    with TTFont(FONTS_PATH / FONT_FAMILIES[family][""], lazy=True) as font:
        return frozenset(font.getBestCmap())


def family_for(char: str) -> str | None:
    """The family that draws ``char`` on the certificate, or None when no shipped font has it."""
    return next((family for family in FONT_FAMILIES if ord(char) in font_coverage(family)), None)


def printable(text: str) -> str:
    """``text`` as the certificate can draw it, losing nothing the fonts can show ("Wanjirũ", "आरव", "محمد"):
    composed (NFC); control characters become spaces; invisible format characters are dropped (a bidi override
    would reorder a name) except the joiners that shape Devanagari and Arabic; a character no shipped font has
    becomes its compatibility decomposition when the fonts have that, else ``?``."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if category == "Cc":
            out.append(" ")
        elif char in JOINERS or (category != "Cf" and family_for(char)):
            out.append(char)
        elif category != "Cf":
            parts = [
                part
                for part in unicodedata.normalize("NFKD", char)
                if family_for(part) or not unicodedata.category(part).startswith("M")
            ]
            out.extend(parts if parts and all(family_for(part) for part in parts) else "?")
    return "".join(out)


def _one_line(text: str) -> str:
    return " ".join(printable(text).split())


def _script_family(text: str) -> str:
    """The family for a line of ``text``: the one most of its letters need. A Devanagari or Arabic name is then
    set in its own font, spaces, digits and joiners included, and shaped in one run; Latin letters in it fall back
    to Noto Sans (and the other way round)."""
    counts: dict[str, int] = {}
    for char in text:
        if unicodedata.category(char)[0] in "LM" and (family := family_for(char)):
            counts[family] = counts.get(family, 0) + 1
    return max(counts, key=lambda family: (counts[family], family == MAIN_FAMILY), default=MAIN_FAMILY)


class CertificatePDF(FPDF):
    """An FPDF that knows which font families it embedded, and closes their files once it is written."""

    families: list[str]

    def output(self, *args, **kwargs):
        try:
            return super().output(*args, **kwargs)
        finally:  # fpdf2 reads the font files lazily, up to the subsetting in output(), and never closes them
            for font in self.fonts.values():
                if (ttfont := getattr(font, "ttfont", None)) is not None:
                    ttfont.close()


def _set_font(pdf: CertificatePDF, text: str, style: str, size: float) -> None:
    """The font for ``text`` in ``style`` (regular where its family has no such style), falling back to the other
    embedded families for characters it lacks."""
    family = _script_family(text)
    if family not in pdf.families:
        family = MAIN_FAMILY
    pdf.set_fallback_fonts([name for name in pdf.families if name != family], exact_match=False)
    pdf.set_font(family, style if style in FONT_FAMILIES[family] else "", size)
    _font_not_yet_on_page(pdf)


def _font_not_yet_on_page(pdf: CertificatePDF) -> None:
    """Make the next line state its font. fpdf2 (2.8.9) counts the font as set on the page after a line that
    starts in a fallback font, though it set it inside that line's q/Q, which undoes it: a following line that
    starts in the main font would then be drawn in whatever font the page last had."""
    pdf.current_font_is_set_on_page = False


def _add_fonts(pdf: CertificatePDF, texts: list[str]) -> None:
    """Embed Noto Sans, and each other family only if some character of ``texts`` needs it."""
    needed = {family_for(char) for text in texts for char in text} - {None}
    pdf.families = [family for family in FONT_FAMILIES if family == MAIN_FAMILY or family in needed]
    for family in pdf.families:
        for style, filename in FONT_FAMILIES[family].items():
            pdf.add_font(family, style, FONTS_PATH / filename)
    pdf.set_text_shaping(use_shaping_engine=True)


def _fit_line(pdf: CertificatePDF, text: str, width: float, style: str, size: float, min_size: float) -> float:
    """Shrink the font from ``size`` down to ``min_size`` until ``text`` fits ``width``; returns the size
    chosen (the font is left set to it)."""
    while True:
        _set_font(pdf, text, style, size)
        if pdf.get_string_width(text) <= width or size <= min_size:
            return size
        size = max(min_size, size - 1)


def _truncate(pdf: CertificatePDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis so it fits ``width`` in the current font (never between a letter and its
    marks, which would leave a vowel sign on nothing)."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "...") > width:
        text = text[:-1]
        while text and unicodedata.category(text[-1]).startswith("M"):
            text = text[:-1]
    return text.rstrip() + "..."


def _centered_line(
    pdf: CertificatePDF, text: str, y: float, width: float, style: str, size: float, min_size: float
) -> None:
    _fit_line(pdf, text, width, style, size, min_size)
    pdf.set_xy((pdf.w - width) / 2, y)
    pdf.cell(width, pdf.font_size * 1.3, _truncate(pdf, text, width), align=Align.C)


def _paragraph(pdf: CertificatePDF, text: str, x: float, y: float, width: float, max_lines: int, align: Align) -> None:
    """``text`` wrapped to ``width``, at most ``max_lines`` lines (the last one ellipsised if cut)."""
    lines = pdf.multi_cell(width, text=text, dry_run=True, output=MethodReturnValue.LINES)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _truncate(pdf, lines[-1] + " ...", width)
    line_height = pdf.font_size * 1.45
    for index, line in enumerate(lines):
        pdf.set_xy(x, y + index * line_height)
        _font_not_yet_on_page(pdf)
        pdf.cell(width, line_height, line, align=align)


def _pdf_link(url: str) -> str:
    """The URL as pure ASCII for the PDF link annotation (non-ASCII and spaces percent-encoded)."""
    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~")


def build_certificate(facts: CertificateFacts) -> CertificatePDF:
    """The laid-out certificate document, before output (tests use this to render it uncompressed)."""
    pdf = CertificatePDF(orientation="landscape", unit="mm", format="A4")
    texts = [
        facts.holder_name,
        facts.certification_name,
        facts.description,
        facts.issued_on,
        facts.expires_on or "",
        facts.verification_code,
        facts.verify_url,
        facts.issuer_name.upper(),
    ]
    _add_fonts(pdf, [printable(text) for text in texts])
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(f"{facts.certification_name}: {facts.holder_name}")
    pdf.set_author(facts.issuer_name)
    pdf.set_subject(f"Certificate of achievement {facts.verification_code}")
    pdf.set_creator(facts.issuer_name)
    pdf.add_page()
    page_w, page_h = pdf.w, pdf.h  # 297 x 210

    # Border: a thick outer frame and a thin inner one.
    pdf.set_draw_color(40, 60, 90)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, page_w - 20, page_h - 20)
    pdf.set_line_width(0.3)
    pdf.rect(14, 14, page_w - 28, page_h - 28)

    content_w = page_w - 60
    pdf.set_text_color(90, 90, 90)
    _centered_line(pdf, _one_line(facts.issuer_name).upper(), 24, content_w, "B", 14, 9)

    pdf.set_text_color(40, 60, 90)
    _centered_line(pdf, "Certificate of achievement", 36, content_w, "", 30, 30)

    pdf.set_text_color(70, 70, 70)
    _centered_line(pdf, "This certifies that", 56, content_w, "I", 12, 12)

    pdf.set_text_color(0, 0, 0)
    _centered_line(pdf, _one_line(facts.holder_name) or "?", 66, content_w, "B", 36, 16)
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.3)
    pdf.line(page_w / 2 - 80, 84, page_w / 2 + 80, 84)

    pdf.set_text_color(70, 70, 70)
    _centered_line(pdf, "has earned", 88, content_w, "I", 12, 12)
    pdf.set_text_color(40, 60, 90)
    _centered_line(pdf, _one_line(facts.certification_name), 97, content_w, "B", 22, 12)

    pdf.set_text_color(40, 40, 40)
    description = _one_line(facts.description)
    _set_font(pdf, description, "", 12)
    _paragraph(pdf, description, (page_w - 200) / 2, 111, 200, 3, Align.C)

    # Bottom block: dates and verification on the left, QR code on the right.
    qr_size = 38
    qr_x, qr_y = page_w - 28 - qr_size, page_h - 28 - qr_size - 6
    left_x, left_w = 28, qr_x - 28 - 10
    rows = [
        ("Issued", _one_line(facts.issued_on)),
        ("Expires", _one_line(facts.expires_on) if facts.expires_on else "Does not expire"),
        ("Verification code", _one_line(facts.verification_code)),
    ]
    y = 146
    label_w = 42
    for label, value in rows:
        pdf.set_xy(left_x, y)
        pdf.set_text_color(90, 90, 90)
        _set_font(pdf, label, "", 10)
        pdf.cell(label_w, 6, label)
        pdf.set_text_color(0, 0, 0)
        _set_font(pdf, value, "B", 11)
        pdf.cell(left_w - label_w, 6, _truncate(pdf, value, left_w - label_w))
        y += 7

    link = _pdf_link(facts.verify_url)
    pdf.set_xy(left_x, y)
    pdf.set_text_color(90, 90, 90)
    _set_font(pdf, "Verify at", "", 10)
    pdf.cell(label_w, 6, "Verify at")
    pdf.set_text_color(20, 60, 160)
    url_text = _one_line(facts.verify_url)
    _fit_line(pdf, url_text, left_w - label_w, "", 10, 7)
    pdf.cell(left_w - label_w, 6, _truncate(pdf, url_text, left_w - label_w), link=link)

    pdf.image(io.BytesIO(qr_png(facts.verify_url, scale=8)), x=qr_x, y=qr_y, w=qr_size, h=qr_size, link=link)
    pdf.set_text_color(90, 90, 90)
    _set_font(pdf, "Scan to verify", "", 8)
    pdf.set_xy(qr_x - 6, qr_y + qr_size + 1)
    pdf.cell(qr_size + 12, 4, "Scan to verify", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return pdf


def certificate_pdf(facts: CertificateFacts) -> bytes:
    """A one-page, A4 landscape, printable certificate PDF (compressed, with subsets of the Noto fonts it needs)."""
    return bytes(build_certificate(facts).output())


# ----------------------------------------------------------------------------------------------- SVG baking


def _is_compact_jws(value: str) -> bool:
    return _COMPACT_JWS.fullmatch(value) is not None


def _require_jws(jwt_compact: str) -> None:
    if not isinstance(jwt_compact, str) or not _is_compact_jws(jwt_compact):
        raise ValueError("not a compact JWS")


_ROOT_START = re.compile(r"<((?:[A-Za-z_][\w.-]*:)?svg)(?=[\s/>])")


def _root_start_tag(svg: str) -> re.Match[str]:
    """The root element's start-tag name match, skipping the prolog (declaration, comments, PIs, doctype)."""
    pos = 0
    length = len(svg)
    while True:
        while pos < length and (svg[pos].isspace() or svg[pos] == "\ufeff"):
            pos += 1
        if svg.startswith("<?", pos):
            end = svg.find("?>", pos)
            pos = end + 2
        elif svg.startswith("<!--", pos):
            end = svg.find("-->", pos)
            pos = end + 3
        elif svg.startswith("<!DOCTYPE", pos):
            bracket, close = svg.find("[", pos), svg.find(">", pos)
            if 0 <= bracket < close:
                close = svg.find(">", svg.find("]", bracket))
            end = close
            pos = end + 1
        else:
            match = _ROOT_START.match(svg, pos)
            if match is None:
                raise ValueError("not an <svg> document")
            return match
        if end < 0:
            raise ValueError("not an <svg> document")


def _start_tag_end(svg: str, pos: int) -> int:
    """Index of the ``>`` closing the start tag that begins before ``pos`` (quotes respected)."""
    quote_char = ""
    for index in range(pos, len(svg)):
        char = svg[index]
        if quote_char:
            if char == quote_char:
                quote_char = ""
        elif char in "\"'":
            quote_char = char
        elif char == ">":
            return index
    raise ValueError("not an <svg> document")


# One attribute of a start tag: S Name Eq AttValue (XML 1.0 §3.1), matched in sequence so a value is never searched.
_ATTRIBUTE = re.compile(r"""\s+([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _declared_openbadges(start_tag: str, name_end: int) -> str | None:
    """The namespace the root start tag binds the ``openbadges`` prefix to, or None when it does not."""
    pos = name_end
    while (attribute := _ATTRIBUTE.match(start_tag, pos)) is not None:
        if attribute.group(1) == "xmlns:openbadges":
            return attribute.group(2) if attribute.group(2) is not None else attribute.group(3)
        pos = attribute.end()
    return None


# Baked for a certification that has no badge image of its own (the admin form allows none).
DEFAULT_BADGE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">'
    '<circle cx="60" cy="60" r="56" fill="#0b5d4b"/><circle cx="60" cy="60" r="46" fill="none" '
    'stroke="#f0b400" stroke-width="4"/><path d="M40 62l14 14 28-32" fill="none" stroke="#ffffff" '
    'stroke-width="9" stroke-linecap="round" stroke-linejoin="round"/></svg>'
)


def bake_svg(svg: str, jwt_compact: str) -> str:
    """``svg`` with the Open Badges 3.0 credential baked in, as the spec asks for a VC-JWT: the compact JWS in the
    ``verify`` attribute of an ``<openbadges:credential>`` element placed directly after the root start tag, with
    ``xmlns:openbadges`` declared on the root. The rest of the document is left as it was."""
    _require_jws(jwt_compact)
    try:
        root = safe_fromstring(svg)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as error:
        raise ValueError("not an <svg> document") from error
    if root.tag not in ("svg", f"{{{SVG_NAMESPACE}}}svg"):
        raise ValueError("not an <svg> document")
    if next(root.iter(f"{{{OB_NAMESPACE}}}credential"), None) is not None:
        raise ValueError("the SVG already holds an Open Badges credential")

    match = _root_start_tag(svg)
    tag_name = match.group(1)
    close = _start_tag_end(svg, match.end())
    start_tag = svg[match.start() : close]  # without the final ">"
    self_closing = start_tag.endswith("/")
    if self_closing:
        start_tag = start_tag[:-1].rstrip()

    declared = _declared_openbadges(start_tag, match.end() - match.start())
    if declared is None:
        start_tag += f' xmlns:openbadges="{OB_NAMESPACE}"'
    elif declared != OB_NAMESPACE:
        raise ValueError("the openbadges prefix is bound to another namespace")

    credential = f"<openbadges:credential verify={quoteattr(jwt_compact)}></openbadges:credential>"
    tail = f"</{tag_name}>" if self_closing else ""
    baked = svg[: match.start()] + start_tag + ">" + credential + tail + svg[close + 1 :]
    _check_baked_svg(baked, jwt_compact)
    return baked


def _check_baked_svg(baked: str, jwt_compact: str) -> None:
    """Refuse to hand out a baked SVG that is not well-formed or not in the spec's shape (an SVG whose markup
    defeats the textual insertion above, e.g. through DTD-supplied attributes)."""
    try:
        root = safe_fromstring(baked)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as error:
        raise ValueError("the SVG cannot hold an Open Badges credential") from error
    credentials = list(root.iter(f"{{{OB_NAMESPACE}}}credential"))
    if len(root) == 0 or root[0].tag != f"{{{OB_NAMESPACE}}}credential" or len(credentials) != 1:
        raise ValueError("the SVG cannot hold an Open Badges credential")
    if root[0].get("verify") != jwt_compact or (root[0].text or "") != "":
        raise ValueError("the SVG cannot hold an Open Badges credential")


def credential_from_svg(data: bytes) -> str | None:
    """The compact JWS baked into an SVG upload, or None (also for anything malformed or unsafe).

    As the spec says, only the first ``<openbadges:credential>`` element counts. Its ``verify`` attribute holds the
    JWS; badges baked before that form hold it in the element's text (CDATA) with a URL in ``verify``."""
    data = bytes(data)
    # Tolerate a UTF-8 BOM or whitespace before the XML declaration, which strict XML would reject.
    stripped = data.removeprefix(_UTF8_BOM).lstrip()
    if stripped.startswith(b"<"):
        data = stripped
    try:
        root = safe_fromstring(data)
    except (ParseError, DefusedXmlException, ValueError, LookupError, UnicodeError, TypeError):
        return None
    element = next(root.iter(f"{{{OB_NAMESPACE}}}credential"), None)
    if element is None:
        return None
    verify = (element.get("verify") or "").strip()
    if _is_compact_jws(verify):
        return verify
    text = (element.text or "").strip()
    return text if _is_compact_jws(text) else None


# ----------------------------------------------------------------------------------------------- PNG baking


def _png_chunks(data: bytes) -> list[tuple[int, bytes, bytes]] | None:
    """``(offset, type, data)`` for every chunk up to and including IEND, or None if ``data`` is not a
    well-formed PNG chunk stream (bad signature, IHDR not first, bad length or CRC, truncated, no IEND)."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    chunks: list[tuple[int, bytes, bytes]] = []
    pos = len(PNG_SIGNATURE)
    total = len(data)
    while True:
        if pos + 8 > total:
            return None
        length, chunk_type = struct.unpack_from(">I4s", data, pos)
        if length > _PNG_MAX_CHUNK or pos + 12 + length > total:
            return None
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack_from(">I", data, pos + 8 + length)
        if zlib.crc32(chunk_type + body) != crc:
            return None
        if not chunks and chunk_type != b"IHDR":
            return None
        chunks.append((pos, chunk_type, body))
        pos += 12 + length
        if chunk_type == b"IEND":
            return chunks


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]] | None:
    """``(type, data)`` of every chunk of a well-formed PNG that ends exactly at its IEND chunk, or None."""
    chunks = _png_chunks(bytes(data))
    if chunks is None:
        return None
    offset, _kind, body = chunks[-1]
    if offset + 12 + len(body) != len(data):
        return None
    return [(kind, body) for _offset, kind, body in chunks]


def _itxt_text(body: bytes) -> tuple[bytes, str] | None:
    """``(keyword, text)`` of an iTXt chunk body, or None when malformed."""
    keyword, sep, rest = body.partition(b"\x00")
    if not sep or len(rest) < 2:
        return None
    compression_flag, compression_method = rest[0], rest[1]
    rest = rest[2:]
    _language, sep, rest = rest.partition(b"\x00")
    if not sep:
        return None
    _translated, sep, text = rest.partition(b"\x00")
    if not sep:
        return None
    if compression_flag == 1:
        if compression_method != 0:
            return None
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(text, _MAX_CREDENTIAL_BYTES + 1)
        except zlib.error:
            return None
        if len(text) > _MAX_CREDENTIAL_BYTES or not inflater.eof:
            return None
    elif compression_flag != 0:
        return None
    try:
        return keyword, text.decode("utf-8")
    except UnicodeDecodeError:
        return None


def credential_from_png(data: bytes) -> str | None:
    """The compact JWS in the ``openbadgecredential`` iTXt chunk of a PNG, or None."""
    chunks = _png_chunks(bytes(data))
    if chunks is None:
        return None
    for _offset, chunk_type, body in chunks:
        if chunk_type != b"iTXt" or not body.startswith(PNG_KEYWORD + b"\x00"):
            continue
        parsed = _itxt_text(body)
        if parsed is None:
            return None
        text = parsed[1].strip()
        return text if _is_compact_jws(text) else None
    return None


def _png_chunk(chunk_type: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + chunk_type + body + struct.pack(">I", zlib.crc32(chunk_type + body))


def bake_png(png: bytes, jwt_compact: str) -> bytes:
    """``png`` with an uncompressed ``openbadgecredential`` iTXt chunk inserted just before IEND."""
    _require_jws(jwt_compact)
    chunks = _png_chunks(bytes(png))
    if chunks is None:
        raise ValueError("not a PNG image")
    if any(kind == b"iTXt" and body.startswith(PNG_KEYWORD + b"\x00") for _o, kind, body in chunks):
        raise ValueError("the PNG already holds an Open Badges credential")
    iend_offset = chunks[-1][0]
    # keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, text
    body = PNG_KEYWORD + b"\x00\x00\x00\x00\x00" + jwt_compact.encode("ascii")
    png = bytes(png)
    return png[:iend_offset] + _png_chunk(b"iTXt", body) + png[iend_offset:]


def extract_credential(data: bytes) -> str | None:
    """The baked compact JWS of an uploaded PNG or SVG badge image, or None."""
    data = bytes(data)
    if data.startswith(PNG_SIGNATURE):
        return credential_from_png(data)
    text_start = data.removeprefix(_UTF8_BOM).lstrip()
    if text_start.startswith(b"<"):
        return credential_from_svg(data)
    return None
