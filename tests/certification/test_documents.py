import io
import os
import re
import struct
import zlib

import pytest
import segno
from defusedxml.ElementTree import fromstring
from PIL import Image

from samaschool.certification.documents import (
    OB_NAMESPACE,
    PNG_SIGNATURE,
    CertificateFacts,
    bake_png,
    bake_svg,
    build_certificate,
    certificate_pdf,
    credential_from_png,
    credential_from_svg,
    extract_credential,
    family_for,
    printable,
    qr_png,
    qr_svg,
)
from tests.certification.pdf_tools import pdf_text

URL = "https://samaschool.example/verify/7KQM-2XRT-9HBC-W"
JWT = "eyJhbGciOiJFZERTQSIsInR5cCI6InZjK2p3dCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz_-0"
SVG_NS = "http://www.w3.org/2000/svg"
BADGE_SVG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<!-- badge artwork -->\n"
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" data-note="a > b">\n'
    '  <circle cx="50" cy="50" r="40" fill="#1d4ed8"/>\n'
    "</svg>\n"
)


def facts(**overrides) -> CertificateFacts:
    values = {
        "holder_name": "Wanjirũ Njoroge",
        "certification_name": "Data Analysis Fundamentals",
        "description": "Completed twelve modules and a capstone project analysing real market data.",
        "issued_on": "27 November 2026",
        "expires_on": "27 November 2028",
        "verification_code": "7KQM-2XRT-9HBC-W",
        "verify_url": URL,
        "issuer_name": "Samaschool",
    }
    values.update(overrides)
    return CertificateFacts(**values)


def uncompressed_pdf(certificate: CertificateFacts) -> bytes:
    pdf = build_certificate(certificate)
    pdf.set_compression(False)
    return bytes(pdf.output())


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def insert_before_iend(png: bytes, chunk: bytes) -> bytes:
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + chunk + png[iend:]


# ----------------------------------------------------------------------------------------------------- QR codes


def test_qr_svg_is_inline_svg_with_viewbox_and_modules():
    svg = qr_svg(URL)
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    root = fromstring(svg)
    assert root.tag == "svg"
    qr = segno.make(URL, error="m", boost_error=False, micro=False)
    size = qr.symbol_size(border=2)[0]
    assert root.get("viewBox") == f"0 0 {size} {size}"
    assert root.get("width") is None and root.get("height") is None
    paths = root.findall("path")
    assert paths[0].get("fill") == "#fff"  # white background
    assert len(paths[-1].get("d")) > 500  # many dark module runs
    assert "mm" not in svg


def test_qr_png_encodes_the_url_at_level_m_with_border_2():
    png = qr_png(URL, scale=3)
    assert png.startswith(PNG_SIGNATURE)
    qr = segno.make(URL, error="m", boost_error=False, micro=False)
    assert qr.error == "M"
    expected = [list(row) for row in qr.matrix_iter(border=2)]
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == (len(expected) * 3, len(expected) * 3)
    for row_index, row in enumerate(expected):
        for col_index, dark in enumerate(row):
            pixel = image.getpixel((col_index * 3 + 1, row_index * 3 + 1))
            assert (pixel < 128) == bool(dark)


def test_qr_png_scale_changes_size():
    small = Image.open(io.BytesIO(qr_png(URL, scale=2)))
    large = Image.open(io.BytesIO(qr_png(URL)))
    assert large.size[0] == 2 * small.size[0]


# ------------------------------------------------------------------------------------------------- Certificate


def test_certificate_pdf_is_small_a4_landscape_pdf():
    pdf = certificate_pdf(facts())
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) < 60 * 1024
    assert b"/MediaBox [0 0 841.89 595.28]" in pdf
    assert b"/FlateDecode" in pdf  # compressed
    assert b"Scan to verify" not in pdf  # the page content stream is deflated


def test_certificate_pdf_content():
    certificate = facts(expires_on=None)
    text = pdf_text(certificate_pdf(certificate))
    for line in (
        "SAMASCHOOL",
        "Certificate of achievement",
        "Wanjirũ Njoroge",
        "Data Analysis Fundamentals",
        "capstone project",
        "27 November 2026",
        "Does not expire",
        "7KQM-2XRT-9HBC-W",
        URL,
    ):
        assert line in text, line
    raw = uncompressed_pdf(certificate)
    assert raw.count(b"/Type /Page\n") + raw.count(b"/Type /Page ") + raw.count(b"/Type /Page>") == 1
    assert b"/Subtype /Image" in raw
    assert b"/URI (" + URL.encode() + b")" in raw
    assert b"/Title" in raw and b"/Author (Samaschool)" in raw


def test_certificate_pdf_shows_expiry_date():
    text = pdf_text(certificate_pdf(facts()))
    assert "27 November 2028" in text
    assert "Does not expire" not in text


@pytest.mark.parametrize(
    "name",
    ["Wanjirũ Njoroge", "Aarav Śarmā", "आरव", "Zoë 🎓 ﬁnn\u200d\u0007", "", "李雷 O’Brien — Łukasz", "محمد\u202eevil"],
)
def test_certificate_pdf_survives_any_unicode(name):
    pdf = certificate_pdf(facts(holder_name=name, description=f"Awarded to {name}.", certification_name=name or "X"))
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) < 60 * 1024


def test_certificate_pdf_stays_on_one_page_with_long_text():
    certificate = facts(
        holder_name="Maximiliana Konstantinopoulou-Wanjirũ " * 6,
        certification_name="Advanced Professional Certificate in Data Analysis " * 4,
        description="A very long description of everything achieved. " * 40,
        verify_url=URL + "?" + "x" * 300,
    )
    pdf = build_certificate(certificate)
    assert len(pdf.output()) < 60 * 1024
    assert pdf.pages_count == 1


def test_printable_keeps_everything_the_fonts_draw():
    assert printable("Wanjirũ Śarmā Łukasz Nguyễn") == "Wanjirũ Śarmā Łukasz Nguyễn"
    assert printable("Wanjiru\u0303") == "Wanjirũ"  # a decomposed name is drawn composed
    assert printable("आरव शर्मा") == "आरव शर्मा"
    assert printable("فاطمة الزهراء") == "فاطمة الزهراء"
    assert printable("क्\u200dष") == "क्\u200dष"  # the joiner that picks a half form stays
    assert printable("a\u200bb\tc") == "ab c"  # invisible characters go, control characters become spaces
    assert printable("Ali\u202eevil") == "Alievil"  # a bidi override would reorder the name
    assert printable("李雷 🎓") == "?? ?"  # no shipped font draws these
    every = "".join(chr(c) for c in range(0, 0x3000, 7))
    assert all(char == "?" or char in "\u200c\u200d" or family_for(char) for char in printable(every))


# ------------------------------------------------------------------------------------------------- SVG baking


def test_bake_svg_round_trip():
    baked = bake_svg(BADGE_SVG, JWT)
    assert credential_from_svg(baked.encode()) == JWT
    assert extract_credential(baked.encode()) == JWT
    assert "CDATA" not in baked  # the CDATA body is for embedded-proof (JSON) credentials only
    root = fromstring(baked.encode())
    assert root.tag == f"{{{SVG_NS}}}svg"
    first = root[0]
    assert first.tag == f"{{{OB_NAMESPACE}}}credential"
    assert first.get("verify") == JWT
    assert not first.text
    assert f'xmlns:openbadges="{OB_NAMESPACE}"' in baked


def test_bake_svg_keeps_the_rest_unchanged():
    baked = bake_svg(BADGE_SVG, JWT)
    credential = re.search(r"<openbadges:credential.*?</openbadges:credential>", baked).group(0)
    restored = baked.replace(credential, "").replace(f' xmlns:openbadges="{OB_NAMESPACE}"', "")
    assert restored == BADGE_SVG


def test_bake_svg_handles_self_closing_and_prefixed_roots():
    baked = bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', JWT)
    root = fromstring(baked)
    assert root[0].get("verify") == JWT
    assert credential_from_svg(baked.encode()) == JWT

    prefixed = '<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:rect/></s:svg>'
    assert credential_from_svg(bake_svg(prefixed, JWT).encode()) == JWT


def test_bake_svg_inline_qr_code():
    baked = bake_svg(qr_svg(URL), JWT)
    assert credential_from_svg(baked.encode()) == JWT


@pytest.mark.parametrize(
    "document",
    [
        "<html><body/></html>",
        "not xml at all",
        "<svg><unclosed></svg>",
        "",
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>',
    ],
)
def test_bake_svg_refuses_non_svg(document):
    with pytest.raises(ValueError):
        bake_svg(document, JWT)


def test_bake_svg_refuses_bad_jwt_and_double_baking():
    with pytest.raises(ValueError):
        bake_svg(BADGE_SVG, 'abc"/><x/>')
    with pytest.raises(ValueError):
        bake_svg(bake_svg(BADGE_SVG, JWT), JWT)


def test_credential_from_svg_reads_verify_attribute_and_plain_text():
    ns = f'xmlns="{SVG_NS}" xmlns:ob="{OB_NAMESPACE}"'
    assert credential_from_svg(f'<svg {ns}><ob:credential verify="{JWT}"/></svg>'.encode()) == JWT
    assert credential_from_svg(f"<svg {ns}><ob:credential>\n {JWT}\n</ob:credential></svg>".encode()) == JWT
    assert credential_from_svg(f'<svg {ns}><ob:credential verify="{URL}"/></svg>'.encode()) is None


def test_credential_from_svg_reads_the_old_form_and_only_the_first_element():
    ns = f'xmlns="{SVG_NS}" xmlns:openbadges="{OB_NAMESPACE}"'
    old = f'<svg {ns}><openbadges:credential verify="{URL}"><![CDATA[{JWT}]]></openbadges:credential></svg>'
    assert credential_from_svg(old.encode()) == JWT
    other = JWT.replace("c2ln", "b3Ro")
    both = f'<svg {ns}><openbadges:credential verify="{JWT}"><![CDATA[{other}]]></openbadges:credential></svg>'
    assert credential_from_svg(both.encode()) == JWT  # the spec's place wins
    second = f'<svg {ns}><openbadges:credential/><openbadges:credential verify="{JWT}"/></svg>'
    assert credential_from_svg(second.encode()) is None


def test_bake_svg_namespace_declaration():
    declared = f'<svg xmlns="{SVG_NS}" xmlns:openbadges="{OB_NAMESPACE}"><rect/></svg>'
    baked = bake_svg(declared, JWT)
    assert baked.count("xmlns:openbadges") == 1
    assert fromstring(baked)[0].get("verify") == JWT
    # A look-alike inside another attribute's value is not a declaration.
    lookalike = f"""<svg xmlns="{SVG_NS}" data-x=' xmlns:openbadges="{OB_NAMESPACE}"'><rect/></svg>"""
    baked = bake_svg(lookalike, JWT)
    assert fromstring(baked)[0].get("verify") == JWT
    assert credential_from_svg(baked.encode()) == JWT
    with pytest.raises(ValueError):
        bake_svg(f'<svg xmlns="{SVG_NS}" xmlns:openbadges="https://openbadges.org"/>', JWT)


def test_credential_from_svg_absent_or_wrong_namespace():
    assert credential_from_svg(BADGE_SVG.encode()) is None
    other = f'<svg xmlns="{SVG_NS}" xmlns:openbadges="https://openbadges.org"><openbadges:credential>{JWT}'
    assert credential_from_svg((other + "</openbadges:credential></svg>").encode()) is None


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    )
    + b']>\n<svg xmlns="http://www.w3.org/2000/svg"><credential xmlns=\''
    + OB_NAMESPACE.encode()
    + b"'>&lol9;</credential></svg>"
)


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
        b'<!DOCTYPE svg SYSTEM "http://attacker.example/x.dtd"><svg/>',
        b"<svg><g>",
        b"<",
        b"\xff\xfe<\x00s\x00",
        b"<svg>" + b"<g>" * 5000 + b"</svg>",
        os.urandom(512),
    ],
)
def test_credential_from_svg_malformed_or_hostile_returns_none(data):
    assert credential_from_svg(data) is None


# ------------------------------------------------------------------------------------------------- PNG baking


def test_bake_png_round_trip():
    png = qr_png(URL)
    baked = bake_png(png, JWT)
    assert baked.startswith(PNG_SIGNATURE)
    assert baked.endswith(png[-12:])  # IEND still last
    assert credential_from_png(baked) == JWT
    assert extract_credential(baked) == JWT
    assert credential_from_png(png) is None
    Image.open(io.BytesIO(baked)).load()  # still a valid image
    itxt = png_chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00" + JWT.encode())
    assert itxt + png[-12:] == baked[-len(itxt) - 12 :]


def test_credential_from_png_compressed_itxt():
    body = b"openbadgecredential\x00\x01\x00en\x00Credential\x00" + zlib.compress(JWT.encode())
    assert credential_from_png(insert_before_iend(qr_png(URL), png_chunk(b"iTXt", body))) == JWT


def test_credential_from_png_ignores_other_text_chunks():
    png = qr_png(URL)
    other = png_chunk(b"iTXt", b"Comment\x00\x00\x00\x00\x00" + JWT.encode())
    text = png_chunk(b"tEXt", b"openbadgecredential\x00" + JWT.encode())
    assert credential_from_png(insert_before_iend(png, other + text)) is None


def test_bake_png_refuses_non_png_and_double_baking():
    with pytest.raises(ValueError):
        bake_png(b"GIF89a....", JWT)
    with pytest.raises(ValueError):
        bake_png(qr_png(URL)[:-6], JWT)
    with pytest.raises(ValueError):
        bake_png(bake_png(qr_png(URL), JWT), JWT)
    with pytest.raises(ValueError):
        bake_png(qr_png(URL), "not a jwt")


def test_credential_from_png_truncated_everywhere_returns_none():
    baked = bake_png(qr_png(URL), JWT)
    for length in range(len(baked) - 12):  # anything cut before IEND is complete
        assert credential_from_png(baked[:length]) is None


@pytest.mark.parametrize(
    "body",
    [
        b"openbadgecredential\x00\x01\x00\x00\x00" + b"not zlib",
        b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(b"a" * 50_000_000),  # zip bomb
        b"openbadgecredential\x00\x01\x07\x00\x00" + zlib.compress(JWT.encode()),  # unknown method
        b"openbadgecredential\x00\x02\x00\x00\x00" + JWT.encode(),  # unknown flag
        b"openbadgecredential\x00\x00\x00",  # missing NULs
        b"openbadgecredential\x00",
        b"openbadgecredential\x00\x00\x00\x00\x00\xff\xfe",  # not UTF-8
        b"openbadgecredential\x00\x00\x00\x00\x00" + b"{not: a jwt}",
    ],
)
def test_credential_from_png_malformed_itxt_returns_none(body):
    assert credential_from_png(insert_before_iend(qr_png(URL), png_chunk(b"iTXt", body))) is None


def test_credential_from_png_hostile_structure_returns_none():
    png = qr_png(URL)
    huge_length = PNG_SIGNATURE + struct.pack(">I4s", 0xFFFFFFF0, b"IHDR") + b"\x00" * 20
    bad_crc = bake_png(png, JWT)
    bad_crc = bad_crc[:-16] + bytes([bad_crc[-16] ^ 0xFF]) + bad_crc[-15:]
    for data in (
        b"",
        PNG_SIGNATURE,
        PNG_SIGNATURE + b"\x00\x00",
        huge_length,
        bad_crc,
        PNG_SIGNATURE + png_chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00" + JWT.encode()),
        os.urandom(2048),
        PNG_SIGNATURE + os.urandom(2048),
    ):
        assert credential_from_png(data) is None


# ------------------------------------------------------------------------------------------------- Dispatching


def test_extract_credential_dispatch():
    baked_svg = bake_svg(BADGE_SVG, JWT).encode()
    assert extract_credential(baked_svg) == JWT
    assert extract_credential(b"\xef\xbb\xbf \n\t" + baked_svg) == JWT
    assert extract_credential(bytearray(bake_png(qr_png(URL), JWT))) == JWT
    assert extract_credential(b"GIF89a" + baked_svg) is None
    assert extract_credential(b"") is None
    assert extract_credential(b"   ") is None
    assert extract_credential(os.urandom(256).replace(b"<", b"").replace(b"\x89", b"")) is None
    assert extract_credential(BILLION_LAUGHS) is None
