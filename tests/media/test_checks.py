"""What we accept is decided from the bytes: every accepted format passes, everything else is
refused with the file's name and the reason, and size limits are checked before decoding."""

from __future__ import annotations

import pytest

from samaschool.media import MAX_IMAGE_BYTES, MediaError
from samaschool.media.checks import inspect
from tests import media_samples as samples

ACCEPTED = [
    ("flat.png", samples.png, "image", "image/png"),
    ("photo.jpg", samples.jpeg, "image", "image/jpeg"),
    ("photo.webp", samples.webp, "image", "image/webp"),
    ("moving.gif", samples.gif, "image", "image/gif"),
    ("tone.wav", samples.wav, "audio", "audio/wav"),
    ("tone.mp3", samples.mp3, "audio", "audio/mpeg"),
    ("tone.ogg", samples.ogg_opus, "audio", "audio/ogg"),
    ("tone.m4a", samples.m4a, "audio", "audio/mp4"),
]


@pytest.mark.parametrize(("name", "make", "kind", "mime"), ACCEPTED)
def test_every_accepted_format_is_recognised_from_its_bytes(app, name, make, kind, mime):
    with app.app_context():
        # The name says nothing: the same bytes called "upload.bin" are the same file.
        probe = inspect(make(), "upload.bin")
    assert (probe.kind, probe.mime) == (kind, mime)
    assert len(probe.sha256) == 64
    if kind == "image":
        assert probe.width and probe.height and probe.duration_ms is None
    else:
        assert probe.width is None and 1900 <= probe.duration_ms <= 3200


def test_sizes_and_lengths_come_from_the_file(app):
    with app.app_context():
        photo = inspect(samples.jpeg(1600, 1200), "a.jpg")
        assert (photo.width, photo.height) == (1600, 1200)
        assert inspect(samples.speech_wav(10), "speech.wav").duration_ms == 10_000
        assert inspect(samples.gif(frames=3), "moving.gif").frames == 3


@pytest.mark.parametrize(
    ("make", "what"),
    [(samples.html_as_png, "HTML"), (samples.php_as_png, "PHP"), (samples.svg_as_png, "SVG")],
)
def test_a_page_or_script_renamed_png_is_refused_and_named(app, make, what):
    with app.app_context(), pytest.raises(MediaError) as refused:
        inspect(make(), "holiday.png")
    assert str(refused.value) == f"holiday.png: this is not an image or sound file we accept (it looks like {what})"


def test_unknown_types_are_refused(app):
    with app.app_context():
        for data in (b"%PDF-1.7\n1 0 obj", b"PK\x03\x04zipzipzip", b"just some text"):
            with pytest.raises(MediaError, match=r"^file\.png: this is not an image or sound file we accept$"):
                inspect(data, "file.png")
        with pytest.raises(MediaError, match="the file is empty"):
            inspect(b"", "empty.png")


def test_only_the_kinds_asked_for_are_accepted(app):
    with app.app_context():
        with pytest.raises(MediaError, match=r"^tone\.wav: this is not an image file we accept \(PNG, JPEG"):
            inspect(samples.wav(), "tone.wav", kinds=("image",))
        with pytest.raises(
            MediaError, match=r"^flat\.png: this is not a sound file we accept \(WAV, MP3, Ogg or M4A\)"
        ):
            inspect(samples.png(), "flat.png", kinds=("audio",))


@pytest.mark.parametrize(
    ("name", "make"),
    [("cut.jpg", samples.jpeg), ("cut.png", samples.photo_png), ("cut.webp", samples.webp)],
)
def test_truncated_images_are_refused(app, name, make):
    data = make()
    with app.app_context(), pytest.raises(MediaError) as refused:
        inspect(data[: len(data) // 2], name)
    assert str(refused.value) == f"{name}: the image is damaged or incomplete and cannot be opened"


def test_a_corrupt_sound_is_refused(app):
    data = samples.mp3()
    garbage = data[:4] + bytes(range(256)) * 40
    with app.app_context(), pytest.raises(MediaError, match=r"^bad\.mp3: the sound file is damaged"):
        inspect(garbage, "bad.mp3")
    header_only = samples.m4a()[:40]
    with app.app_context(), pytest.raises(MediaError, match=r"^cut\.m4a: the sound file is damaged"):
        inspect(header_only, "cut.m4a")


def test_an_image_over_40_megapixels_is_refused_before_decoding(app):
    # The PNG claims 8000 x 6000 px and holds garbage instead of pixels: refused for its size,
    # so the size was read from the header and nothing was decoded (decoding would fail).
    with app.app_context():
        with pytest.raises(MediaError) as refused:
            inspect(samples.png_header(8000, 6000), "huge.png")
        assert str(refused.value) == "huge.png: the image is larger than 40 megapixels"
        # Under the limit the same lie is found out by decoding.
        with pytest.raises(MediaError, match="damaged or incomplete"):
            inspect(samples.png_header(6000, 6000), "big.png")


def test_an_image_over_20_mb_is_refused(app):
    data = samples.png() + b"\x00" * MAX_IMAGE_BYTES
    with app.app_context(), pytest.raises(MediaError, match=r"^big\.png: the file is larger than 20 MB$"):
        inspect(data, "big.png")


def test_sound_over_ten_minutes_is_refused(app):
    with app.app_context():
        with pytest.raises(MediaError, match=r"^long\.wav: the sound is longer than 10 minutes$"):
            inspect(samples.silent_wav(601), "long.wav")
        assert inspect(samples.silent_wav(599), "fine.wav").duration_ms == 599_000
