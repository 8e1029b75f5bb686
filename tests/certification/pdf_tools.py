"""Reading certificate PDFs back the way a reader does, with poppler's tools (Debian's poppler-utils)."""

from __future__ import annotations

import io
import shutil
import subprocess

from PIL import Image, ImageChops


def _poppler(tool: str, *args: str, pdf: bytes) -> bytes:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: install poppler-utils (.ci/run does)"
    return subprocess.run([path, *args], input=pdf, capture_output=True, check=True).stdout  # noqa: S603


def pdf_text(pdf: bytes, region: tuple[int, int, int, int] | None = None) -> str:
    """The text a reader copies out of the PDF, or out of a region of page 1 (x, y, width, height in points)."""
    crop = []
    if region is not None:
        for flag, value in zip(("-x", "-y", "-W", "-H"), region, strict=True):
            crop += [flag, str(value)]
    return _poppler("pdftotext", "-enc", "UTF-8", *crop, "-", "-", pdf=pdf).decode("utf-8")


def pdf_fonts(pdf: bytes) -> dict[str, tuple[bool, bool]]:
    """The fonts the PDF uses: name (subset prefix dropped) -> (embedded, subsetted)."""
    lines = _poppler("pdffonts", "-", pdf=pdf).decode().splitlines()[2:]
    fonts = {}
    for line in lines:
        fields = line.split()
        name = fields[0].split("+", 1)[-1]
        fonts[name] = (fields[-5] == "yes", fields[-4] == "yes")
    return fonts


def render_region(pdf: bytes, *, x: int, y: int, width: int, height: int, dpi: int = 100) -> Image.Image:
    """A region of page 1 rendered in greyscale (pixels at `dpi`)."""
    png = _poppler(
        "pdftoppm",
        *("-r", str(dpi), "-gray", "-singlefile", "-png"),
        *("-x", str(x), "-y", str(y), "-W", str(width), "-H", str(height)),
        "-",
        pdf=pdf,
    )
    return Image.open(io.BytesIO(png)).convert("L")


def share_of_pixels(image: Image.Image, *, darker_than: int) -> float:
    """The share of pixels darker than `darker_than` (0 black .. 255 white)."""
    histogram = image.histogram()
    return sum(histogram[:darker_than]) / (image.width * image.height)


def share_changed(image: Image.Image, reference: Image.Image, *, by_more_than: int = 64) -> float:
    """The share of pixels whose grey differs from the reference's by more than `by_more_than`:
    anti-aliasing differences stay below it, a glyph in another place or shape does not."""
    assert image.size == reference.size
    histogram = ImageChops.difference(image, reference).histogram()
    return sum(histogram[by_more_than + 1 :]) / (image.width * image.height)
