"""Reading certifications from `courses/_certifications/<slug>.yml` (with `<slug>.svg` or `<slug>.png` badges)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as defused_etree
from flask_babel import gettext as _

from samaschool.content import yamlfile
from samaschool.content.checks import SLUG_RE, Checker
from samaschool.content.yamlfile import Problem

FOLDER = "_certifications"
MAX_BADGE_BYTES = 100_000
# PNG badges (baking needs PNG or SVG): stored and baked as uploaded, never re-encoded.
MAX_PNG_BADGE_BYTES = 256 * 1024
MIN_PNG_BADGE_PIXELS = 90
MAX_PNG_BADGE_PIXELS = 2048  # checked on the header, before decoding: no decompression bombs
SVG_NS = "{http://www.w3.org/2000/svg}"
# Shapes, text and gradients only: nothing that runs, links, animates or loads.
SAFE_SVG_ELEMENTS = {
    "svg",
    "g",
    "defs",
    "title",
    "desc",
    "circle",
    "ellipse",
    "rect",
    "line",
    "polyline",
    "polygon",
    "path",
    "text",
    "tspan",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "use",
}
SAFE_SVG_ATTRIBUTES = {
    "viewBox",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "x2",
    "y1",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "d",
    "points",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-opacity",
    "opacity",
    "transform",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "dominant-baseline",
    "letter-spacing",
    "offset",
    "stop-color",
    "stop-opacity",
    "id",
    "gradientUnits",
    "gradientTransform",
    "clip-path",
    "clipPathUnits",
    "role",
    "aria-label",
    "preserveAspectRatio",
    "version",
    "href",
}


@dataclass
class CertificationSpec:
    slug: str
    name: str
    description: str
    validity_months: int | None
    badge_svg: str
    criteria: dict[str, Any] = field(default_factory=dict)
    file: str = ""
    badge_png: bytes | None = None  # a PNG badge instead of `badge_svg`


def check_badge_svg(svg: str) -> str | None:
    """Why a badge SVG is refused, or None. Badges are shown to anyone, so nothing active:
    parsed (no DTDs or entities) and checked against an allow-list of elements and attributes."""
    if len(svg.encode()) > MAX_BADGE_BYTES:
        return _("the badge is larger than %(size)d KB", size=MAX_BADGE_BYTES // 1000)
    try:
        root = defused_etree.fromstring(svg.encode())
    except (ParseError, DefusedXmlException):
        return _("the badge is not well-formed SVG (no DTDs or entities)")
    if root.tag not in (f"{SVG_NS}svg", "svg"):
        return _("the badge is not an SVG image")
    refused = _("the badge contains scripts, event handlers, links or animation; use plain shapes and text")
    for element in root.iter():
        name = element.tag.replace(SVG_NS, "") if isinstance(element.tag, str) else ""
        if name not in SAFE_SVG_ELEMENTS:
            return refused
        for attribute, value in element.attrib.items():
            local = re.sub(r"^\{[^}]*\}", "", attribute)
            if local not in SAFE_SVG_ATTRIBUTES or (local == "href" and not value.startswith("#")):
                return refused
            if "url(" in value and not re.fullmatch(r"url\(#[\w-]+\)", value.strip()):
                return refused
    return None


def check_badge_png(data: bytes) -> str | None:
    """Why a PNG badge is refused, or None. It must be a real PNG by its bytes (a page or a script
    renamed .png is not), decode in full, be square, 90 to 2048 pixels wide, at most 256 KB, and
    end at its IEND chunk without a credential baked in yet: it is baked for every certificate."""
    from PIL import Image

    from samaschool.certification.documents import PNG_SIGNATURE, png_chunks

    if len(data) > MAX_PNG_BADGE_BYTES:
        return _("the badge is larger than %(size)d KB", size=MAX_PNG_BADGE_BYTES // 1024)
    if not data.startswith(PNG_SIGNATURE):
        return _("the badge is not a PNG image")
    chunks = png_chunks(data)
    broken = _("the badge is a damaged PNG image, or has data after its end")
    if chunks is None:
        return broken
    baked = (body.split(b"\x00", 1)[0] for kind, body in chunks if kind in (b"iTXt", b"tEXt", b"zTXt"))
    if any(keyword.startswith(b"openbadge") for keyword in baked):
        return _("the badge already holds an Open Badges credential; upload the plain image")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:  # reads the header only
            width, height = image.size
            if width != height:
                return _(
                    "the badge must be square (this one is %(width)d × %(height)d pixels)", width=width, height=height
                )
            if not MIN_PNG_BADGE_PIXELS <= width <= MAX_PNG_BADGE_PIXELS:
                return _(
                    "the badge must be %(low)d to %(high)d pixels wide (this one is %(width)d)",
                    low=MIN_PNG_BADGE_PIXELS,
                    high=MAX_PNG_BADGE_PIXELS,
                    width=width,
                )
            image.load()
    except Exception:  # Pillow raises many kinds on bad data: each means the same to the author
        return broken
    return None


def read_certifications(root: Path, course_specs: list, shown, checker: Checker) -> list[CertificationSpec]:
    folder = root / FOLDER
    if not folder.is_dir():
        return []
    quizzes = {(c.slug, q.key) for c in course_specs for q in c.quizzes}
    courses = {c.slug for c in course_specs}
    specs = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix in (".svg", ".png"):
            continue
        if path.suffix != ".yml":
            checker.add(shown(path), 1, "only <slug>.yml certification files and .svg or .png badges belong here")
            continue
        spec = _read_one(path, shown(path), courses, quizzes, checker)
        if spec is not None:
            specs.append(spec)
    return specs


def _read_one(path: Path, file: str, courses: set, quizzes: set, checker: Checker) -> CertificationSpec | None:
    text = yamlfile.read_text(path, file)
    doc = text if isinstance(text, Problem) else yamlfile.parse(text, file)
    if isinstance(doc, Problem):
        checker.problems.append(doc)
        return None
    data = doc.data
    if not checker.mapping(doc, (), data, "a certification file"):
        return None
    before = len(checker.problems)
    if not SLUG_RE.match(path.stem):
        checker.add(file, 1, f"file name '{path.stem}' is not a valid certification slug")
    checker.known_keys(doc, (), data, {"name", "description", "validity_months", "badge", "criteria"})
    spec = CertificationSpec(
        slug=path.stem,
        name=checker.text(doc, (), data, "name", max_length=200) or "",
        description=checker.text(doc, (), data, "description", max_length=2000) or "",
        validity_months=None,
        badge_svg="",
        file=file,
    )
    if data.get("validity_months") is not None:
        spec.validity_months = checker.integer(doc, (), data, "validity_months", 1, 120)
    badge = checker.text(doc, (), data, "badge")
    if badge:
        badge_path = path.parent / badge
        if badge_path.suffix not in (".svg", ".png") or not badge_path.is_file():
            checker.at(doc, ("badge",), f"badge '{badge}' must be an .svg or .png file beside this one")
        elif badge_path.suffix == ".png":
            with badge_path.open("rb") as file:
                png = file.read(MAX_PNG_BADGE_BYTES + 1)  # one byte more than allowed tells it is too large
            if problem := check_badge_png(png):
                checker.at(doc, ("badge",), problem)
            spec.badge_png = png
        else:
            svg = badge_path.read_text(encoding="utf-8", errors="replace")
            if problem := check_badge_svg(svg):
                checker.at(doc, ("badge",), problem)
            spec.badge_svg = svg
    spec.criteria = _criteria(doc, data.get("criteria"), courses, quizzes, checker)
    return spec if len(checker.problems) == before else None


def _criteria(doc, raw, courses: set, quizzes: set, checker: Checker) -> dict:
    if not isinstance(raw, dict) or not (raw.get("courses") or raw.get("quizzes")):
        checker.at(doc, ("criteria",), "'criteria' needs 'courses' and/or 'quizzes'")
        return {}
    checker.known_keys(doc, ("criteria",), raw, {"courses", "quizzes"})
    result: dict[str, list] = {"courses": [], "quizzes": []}
    for index, slug in enumerate(raw.get("courses") or []):
        if slug not in courses:
            checker.at(doc, ("criteria", "courses", index), f"no course '{slug}' in the courses folder")
        result["courses"].append(slug)
    for index, rule in enumerate(raw.get("quizzes") or []):
        path = ("criteria", "quizzes", index)
        if not checker.mapping(doc, path, rule, "a quiz criterion"):
            continue
        checker.known_keys(doc, path, rule, {"course", "quiz", "min_percent"})
        if (rule.get("course"), rule.get("quiz")) not in quizzes:
            checker.at(doc, path, f"no quiz '{rule.get('quiz')}' in course '{rule.get('course')}'")
            continue
        percent = checker.integer(doc, path, rule, "min_percent", 0, 100)
        result["quizzes"].append({"course": rule["course"], "quiz": rule["quiz"], "min_percent": percent})
    return result
