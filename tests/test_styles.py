"""The stylesheet's focus ring is visible on every background the stylesheet paints: at least 3:1
(WCAG 1.4.11), where the old #f0b400 ring was 1.87:1 on white."""

import re
from pathlib import Path

CSS = (Path(__file__).resolve().parents[1] / "static" / "css" / "app.css").read_text()
FOCUSABLE = ("a", "button", "input", "select", "textarea", "[tabindex]")


def _rules() -> list[tuple[list[str], dict[str, str]]]:
    """(selectors, declarations) of every rule, media queries flattened; comments dropped."""
    text = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    text = re.sub(r"@media[^{]*\{((?:[^{}]*\{[^{}]*\})*)\s*\}", r"\1", text)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        declarations = {}
        for item in body.split(";"):
            if ":" in item:
                name, value = item.split(":", 1)
                declarations[name.strip()] = value.strip()
        rules.append(([s.strip() for s in selectors.split(",")], declarations))
    return rules


def _variables() -> dict[str, str]:
    return {k: v for selectors, declarations in _rules() if ":root" in selectors for k, v in declarations.items()}


def _colour(value: str) -> tuple[int, int, int] | None:
    value = value.strip()
    if value.startswith("var("):
        value = _variables()[value[4:-1].strip()]
    match = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value)
    if not match:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))


def _luminance(rgb) -> float:
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _focus_rule() -> dict[str, str]:
    [declarations] = [d for selectors, d in _rules() if all(f"{tag}:focus" in selectors for tag in FOCUSABLE)]
    return declarations


def _backgrounds() -> set[tuple[int, int, int]]:
    found = {_colour("#fff")}  # the page itself
    for _selectors, declarations in _rules():
        for name in ("background", "background-color"):
            if name in declarations:
                colour = _colour(declarations[name].split()[0])
                if colour is not None:
                    found.add(colour)
    return found


def test_the_focus_ring_stands_out_on_every_background():
    rule = _focus_rule()
    ring = _colour(re.search(r"(#[0-9a-fA-F]{3,6}|var\([^)]+\))", rule["outline"]).group(1))
    shadow = re.search(r"(#[0-9a-fA-F]{3,6}|var\([^)]+\))", rule.get("box-shadow", ""))
    halo = _colour(shadow.group(1)) if shadow else None
    backgrounds = _backgrounds()
    assert len(backgrounds) >= 6  # white, the soft grey, the brand green, the notices' tints…
    for background in backgrounds:
        best = max(contrast(ring, background), contrast(halo, background) if halo else 0)
        assert best >= 3, f"focus ring on #{bytes(background).hex()}: {best:.2f}:1"
    if halo:  # the ring and the halo inside it also tell apart from each other
        assert contrast(ring, halo) >= 3


def test_question_text_is_styled_as_lesson_text():
    """A quote in a quiz question looks as it does in a lesson."""
    for element in ("blockquote", "img", "pre"):
        lesson = [d for selectors, d in _rules() if f".lesson {element}" in selectors]
        question = [d for selectors, d in _rules() if f".qtext {element}" in selectors]
        assert lesson and lesson == question, element
