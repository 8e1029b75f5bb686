"""Markdown to safe HTML. Run once when content is saved or imported, never per request."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import markdown
import nh3
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def sanitise_html(html: str) -> str:
    """Keep only the allow-listed tags and attributes; drop scripts, handlers and bad URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


LIST_ITEM_RE = re.compile(r"^ {0,3}(?:[-*+]|1[.)])\s+\S")
ANY_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


class ListsAfterParagraphs(Preprocessor):
    """A list may start right under a line of text ("Checks:" then "- one"), as in CommonMark and
    every Markdown preview authors use; Python-Markdown would run it into the paragraph as
    "Checks: - one - two". Put an empty line between them. An ordered list does so only when it
    starts at 1, so a line that happens to begin "2019. " stays text. Code blocks are left alone."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        fence = None
        for line in lines:
            stripped = line.strip()
            marker = FENCE_RE.match(line)
            if fence is not None:
                if marker and stripped.startswith(fence) and not stripped.strip(fence[0]):
                    fence = None
            elif marker:
                fence = marker.group(1)
            elif out:
                # Inside a quote ("> text" then "> - item") the same holds after the quote marks.
                quote, rest = _unquote(line)
                previous_quote, previous = _unquote(out[-1])
                if (
                    quote == previous_quote
                    and LIST_ITEM_RE.match(rest)
                    and previous.strip()
                    and not ANY_LIST_ITEM_RE.match(previous)
                    and not previous.startswith((" ", "\t", "#", ">", "|"))
                ):
                    out.append(quote.rstrip())
            out.append(line)
        return out


QUOTE_RE = re.compile(r"^((?: {0,3}> ?)*)(.*)$")


def _unquote(line: str) -> tuple[str, str]:
    """A line's blockquote marks ("> > ") and the rest of it."""
    quote, rest = QUOTE_RE.match(line).groups()
    return quote, rest


class ListsAfterParagraphsExtension(Extension):
    def extendMarkdown(self, md) -> None:
        md.preprocessors.register(ListsAfterParagraphs(md), "lists_after_paragraphs", 35)


def extensions() -> list:
    """The one set of Markdown extensions every author's text is rendered with."""
    return [ListsAfterParagraphsExtension(), "tables", "fenced_code", "sane_lists", "abbr", "def_list"]


def render_markdown(text: str) -> str:
    html = markdown.markdown(text, extensions=extensions(), output_format="html")
    return sanitise_html(html)


# Lessons with images and sound (course folders). Images are ordinary Markdown images whose path
# names a file in the course's media/ folder; a sound and its transcript are a fenced block:
#
#     ```audio ../media/greeting.ogg
#     Hello, my name is Amina…
#     ```
#
# The HTML for them (media_image / media_audio, see templates/media/macros.html) is put in AFTER
# the author's HTML has been sanitised, in place of tokens no author can guess, so the sanitiser
# never has to allow <picture>, <source>, <audio> or <details>, and every src comes from the store.

AUDIO_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*audio(?:\s+(\S+))?\s*$")
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
REMOTE_RE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


@dataclass
class AudioBlock:
    src: str
    transcript: str
    line: int  # 1-based, within the text given
    closed: bool = True


@dataclass
class ImageRef:
    src: str
    alt: str


def split_audio_blocks(text: str, token=lambda n: "") -> tuple[str, list[AudioBlock]]:
    """The text with each audio block replaced by a paragraph holding `token(n)`, and the blocks."""
    lines = text.splitlines()
    out: list[str] = []
    blocks: list[AudioBlock] = []
    fence = None  # the fence of an ordinary code block we are in
    index = 0
    while index < len(lines):
        line = lines[index]
        if fence is not None:
            out.append(line)
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            index += 1
            continue
        audio = AUDIO_FENCE_RE.match(line)
        if audio is None:
            plain = FENCE_RE.match(line)
            if plain:
                fence = plain.group(1)
            out.append(line)
            index += 1
            continue
        marker, body, start = audio.group(1), [], index
        index += 1
        closed = False
        while index < len(lines):
            stripped = lines[index].strip()
            index += 1
            if stripped.startswith(marker[0] * len(marker)) and not stripped.strip(marker[0]):
                closed = True
                break
            body.append(lines[index - 1])
        transcript = "\n".join(body).strip()
        blocks.append(AudioBlock(audio.group(2) or "", transcript, start + 1, closed))
        out.extend(["", token(len(blocks) - 1), ""])
    return "\n".join(out) + "\n", blocks


class _Images(Treeprocessor):
    """Collects the images of a document; with `token`, puts a token in place of each one."""

    def __init__(self, md, token=None) -> None:
        super().__init__(md)
        self.token = token
        self.found: list[ImageRef] = []

    def run(self, root):
        for element in root.iter("img"):
            self.found.append(ImageRef(element.get("src", ""), element.get("alt", "")))
            if self.token is not None:
                token = self.token(len(self.found) - 1)
                element.tag, element.text = "span", token  # the sanitiser drops the span, keeps the token
                element.attrib.clear()


def _markdown(text: str, token=None) -> tuple[str, list[ImageRef]]:
    md = markdown.Markdown(extensions=extensions(), output_format="html")
    images = _Images(md, token)
    md.treeprocessors.register(images, "samaschool_images", -10)  # after "unescape": the alt text is final
    return md.convert(text), images.found


def lesson_media(text: str) -> tuple[list[ImageRef], list[AudioBlock]]:
    """The images and audio blocks a lesson's Markdown uses (for the validator)."""
    text, blocks = split_audio_blocks(text)
    return _markdown(text)[1], blocks


def render_markdown_with_media(text: str, image_html, audio_html) -> str:
    """Sanitised HTML of `text` with its media put in: `image_html(src, alt)` and
    `audio_html(src, transcript)` give the (trusted) HTML for each; every other image is dropped."""
    nonce = secrets.token_hex(8)
    text, blocks = split_audio_blocks(text, lambda n: f"sm{nonce}a{n}x")
    html, images = _markdown(text, lambda n: f"sm{nonce}i{n}x")
    html = nh3.clean(
        html,
        tags=ALLOWED_TAGS - {"img"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    for n, block in enumerate(blocks):
        token, rendered = f"sm{nonce}a{n}x", audio_html(block.src, block.transcript)
        html = html.replace(f"<p>{token}</p>", rendered).replace(token, rendered)
    for n, image in enumerate(images):
        html = html.replace(f"sm{nonce}i{n}x", image_html(image.src, image.alt))
    return html
