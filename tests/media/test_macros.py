"""The media macros: images that load lazily with a WebP source and JPEG fallback in two sizes,
tappable images for boxes, and audio that downloads nothing until played, its size shown."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string

from samaschool.extensions import db
from samaschool.media import services
from samaschool.media.formatting import format_size
from tests import media_samples as samples

MACROS = '{% from "media/macros.html" import media_image, media_audio %}'


@pytest.fixture
def render(app):
    def render(source: str, **context) -> str:
        with app.test_request_context("/"):
            return render_template_string(MACROS + source, **context)

    return render


def _stored(app, data: bytes, name: str):
    with app.app_context():
        media = services.ingest(data, name)
        db.session.commit()
        db.session.refresh(media)
        db.session.expunge(media)
        return media


@pytest.fixture
def photo(app):
    return _stored(app, samples.jpeg(1600, 1200), "market.jpg")


@pytest.fixture
def sound(app):
    return _stored(app, samples.speech_wav(10), "voice.wav")


def _attributes(html: str, tag: str) -> dict[str, str]:
    match = re.search(rf"<{tag}(?=[\s>])([^>]*)>", html)
    assert match, f"no <{tag}> in {html}"
    return dict(re.findall(r'([a-z-]+)="([^"]*)"', match.group(1)))


def test_an_image_is_a_lazy_picture_with_webp_and_jpeg_in_two_sizes(render, photo):
    html = render('{{ media_image(media, "Tomatoes & onions on a stall") }}', media=photo)
    base = f"/media/{photo.key}"
    source = _attributes(html, "source")
    assert source["type"] == "image/webp"
    assert source["srcset"] == f"{base}/webp360.webp 360w, {base}/webp720.webp 720w"
    assert source["sizes"] == "(max-width: 400px) 360px, 720px"
    img = _attributes(html, "img")
    assert img["src"] == f"{base}/jpeg720.jpg"
    assert img["srcset"] == f"{base}/jpeg360.jpg 360w, {base}/jpeg720.jpg 720w"
    assert (img["width"], img["height"]) == ("720", "540")
    assert img["alt"] == "Tomatoes &amp; onions on a stall"
    assert img["loading"] == "lazy" and img["decoding"] == "async"
    assert html.strip().startswith("<picture>") and html.strip().endswith("</picture>")


def test_a_small_image_lists_its_one_size_once(render, app):
    icon = _stored(app, samples.png(64, 48), "icon.png")
    html = render('{{ media_image(media, "An icon", css_class="icon") }}', media=icon)
    assert _attributes(html, "source")["srcset"] == f"/media/{icon.key}/webp360.webp 64w"
    img = _attributes(html, "img")
    assert (img["width"], img["height"], img["class"]) == ("64", "48", "icon")


def test_a_tappable_image_submits_its_coordinates_and_states_its_width(render, photo):
    html = render('{{ media_image(media, "Mark each bottle", input_name="tap") }}', media=photo)
    assert "<picture>" not in html
    tap = _attributes(html, 'input type="image"')
    assert tap["name"] == "tap" and tap["alt"] == "Mark each bottle"
    assert tap["src"] == f"/media/{photo.key}/jpeg720.jpg" and (tap["width"], tap["height"]) == ("720", "540")
    assert '<input type="hidden" name="tap_shown_width" value="720">' in html
    small = render('{{ media_image(media, "Mark", input_name="tap", shown_width=360) }}', media=photo)
    tap = _attributes(small, 'input type="image"')
    assert tap["src"] == f"/media/{photo.key}/jpeg360.jpg" and (tap["width"], tap["height"]) == ("360", "270")
    assert '<input type="hidden" name="tap_shown_width" value="360">' in small


def test_audio_downloads_nothing_until_played_and_shows_its_size(render, sound):
    html = render("{{ media_audio(media) }}", media=sound)
    kilobytes = round(sound.size_bytes("opus") / 1000)
    audio = _attributes(html, "audio")
    assert audio["preload"] == "none" and "controls" in html.split("<audio", 1)[1].split(">", 1)[0]
    sources = re.findall(r'<source src="([^"]+)" type="([^"]+)">', html)
    assert sources == [
        (f"/media/{sound.key}/opus.ogg", "audio/ogg; codecs=opus"),
        (f"/media/{sound.key}/aac.m4a", "audio/mp4"),
    ]
    assert f"<p>Listen ({kilobytes} KB)</p>" in html
    assert audio["aria-label"] == f"Listen ({kilobytes} KB)"
    labelled = render('{{ media_audio(media, label="Question 3") }}', media=sound)
    assert f"<p>Question 3 ({kilobytes} KB)</p>" in labelled


def test_sizes_are_written_for_people(app):
    with app.test_request_context("/"):
        assert format_size(0) == "0 KB"
        assert format_size(120) == "1 KB"
        assert format_size(24_400) == "24 KB"
        assert format_size(999_400) == "999 KB"
        assert format_size(1_500_000) == "1.5 MB"
        assert format_size(12_345_678) == "12.3 MB"
