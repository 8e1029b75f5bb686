"""Ingesting: phone-sized variants without metadata, within budget, stored once by content hash,
encoded once (the cache), and recorded in media_files."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import av
import pytest
from PIL import Image
from sqlalchemy import func, select

from samaschool.extensions import db
from samaschool.media import MediaError, services, transform
from samaschool.media.checks import inspect
from samaschool.media.models import MediaFile
from samaschool.media.storage import storage
from tests import media_samples as samples

LESSON_IMAGE_BUDGET = 40_000  # bytes, a typical lesson image at 360 px
SPEECH_BUDGET = 25_000  # bytes, 10 s of speech as Opus


def _ingest(app, data: bytes, name: str, **kwargs) -> MediaFile:
    with app.app_context():
        media = services.ingest(data, name, **kwargs)
        db.session.commit()
        db.session.refresh(media)
        db.session.expunge(media)
        return media


def _variant(app, media: MediaFile, name: str) -> bytes:
    with app.app_context():
        return storage().read(media.variant(name)["path"])


def test_an_image_becomes_webp_and_jpeg_at_720_and_360_px(app):
    media = _ingest(app, samples.jpeg(1600, 1200), "market.jpg")
    assert (media.kind, media.source_type, media.width, media.height) == ("image", "image/jpeg", 1600, 1200)
    assert media.original_name == "market.jpg" and media.duration_ms is None
    assert (media.display_width, media.display_height) == (720, 540)
    for name, fmt, width in [("webp720", "WEBP", 720), ("webp360", "WEBP", 360), ("jpeg720", "JPEG", 720)]:
        with Image.open(io.BytesIO(_variant(app, media, name))) as image:
            assert (image.format, image.size) == (fmt, (width, width * 3 // 4))
            assert media.size_bytes(name) == len(_variant(app, media, name))
    with Image.open(io.BytesIO(_variant(app, media, "jpeg360"))) as image:
        assert image.format == "JPEG" and image.info.get("progressive") == 1 and image.size == (360, 270)


def test_small_images_are_never_enlarged(app):
    media = _ingest(app, samples.png(64, 48), "icon.png")
    for name in ("webp720", "webp360", "jpeg720", "jpeg360"):
        assert (media.variant(name)["width"], media.variant(name)["height"]) == (64, 48)
    assert (media.display_width, media.display_height) == (64, 48)


def test_exif_gps_xmp_and_profiles_are_stripped(app):
    original = samples.jpeg(1600, 1200, exif_gps=True)
    with Image.open(io.BytesIO(original)) as image:  # the sample does carry them
        assert image.getexif().get_ifd(0x8825) and b"SamaPhone" in original and b"GPSLatitude" in original
    media = _ingest(app, original, "with-gps.jpg")
    for name in ("webp720", "webp360", "jpeg720", "jpeg360"):
        data = _variant(app, media, name)
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif(), name
            assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(image.info), name
        assert b"SamaPhone" not in data and b"GPS" not in data and b"xmpmeta" not in data, name


def test_exif_orientation_is_applied_before_it_is_dropped(app):
    # Orientation 6: the camera was turned; the stored pixels are landscape, the photo is portrait.
    media = _ingest(app, samples.jpeg(1600, 1200, orientation=6, seed=5), "turned.jpg")
    assert (media.width, media.height) == (1600, 1200)  # the original's own pixels, as uploaded
    assert (media.display_width, media.display_height) == (720, 960)
    with Image.open(io.BytesIO(_variant(app, media, "jpeg360"))) as image:
        assert image.size == (360, 480) and not image.getexif()


def test_an_animated_gif_keeps_its_first_frame(app):
    media = _ingest(app, samples.gif(frames=3), "moving.gif")
    with Image.open(io.BytesIO(_variant(app, media, "webp720"))) as image:
        assert getattr(image, "n_frames", 1) == 1
        red, green, blue = image.convert("RGB").getpixel((10, 10))
    assert red > 180 and green < 80 and blue < 80


def test_a_photo_like_lesson_image_is_within_budget_at_360_px(app):
    # Gradients, shapes and texture at several scales: about as hard to compress as a photo.
    media = _ingest(app, samples.jpeg(2000, 1500, seed=11), "lesson-photo.jpg")
    assert media.size_bytes("webp360") <= LESSON_IMAGE_BUDGET
    assert media.size_bytes("jpeg360") <= LESSON_IMAGE_BUDGET
    # …and the sample is no flat colour that would pass any budget.
    assert media.size_bytes("jpeg360") > 8_000


def test_ten_seconds_of_speech_is_within_budget_as_opus(app):
    media = _ingest(app, samples.speech_wav(10), "voice-note.wav")
    assert (media.kind, media.source_type, media.duration_ms) == ("audio", "audio/wav", 10_000)
    assert media.width is None and media.display_width is None
    assert 4_000 < media.size_bytes("opus") <= SPEECH_BUDGET


def test_sound_becomes_mono_opus_in_ogg_and_streaming_aac_in_m4a(app):
    media = _ingest(app, samples.speech_wav(10), "voice-note.wav")
    opus, aac = _variant(app, media, "opus"), _variant(app, media, "aac")
    assert (media.variant("opus")["type"], media.variant("aac")["type"]) == ("audio/ogg", "audio/mp4")
    with av.open(io.BytesIO(opus), format="ogg") as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus" and stream.codec_context.channels == 1
        assert 9.5 < container.duration / 1_000_000 < 10.5
    with av.open(io.BytesIO(aac), format="mp4") as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "aac" and stream.codec_context.channels == 1
        assert 9.5 < container.duration / 1_000_000 < 10.5
    # "faststart": the index (moov) comes before the sound (mdat), so a phone can start playing at once.
    assert 0 < aac.find(b"moov") < aac.find(b"mdat")


@pytest.mark.parametrize("make", [samples.mp3, samples.ogg_opus, samples.m4a])
def test_every_accepted_sound_format_is_transcoded(app, make):
    media = _ingest(app, make(), "clip")
    assert media.kind == "audio" and set(media.variants) == {"opus", "aac"}
    assert 2_500 <= media.duration_ms <= 3_200


def test_the_same_bytes_are_stored_once(app):
    first = _ingest(app, samples.png(32, 32, color=(1, 2, 3)), "first.png")
    again = _ingest(app, samples.png(32, 32, color=(1, 2, 3)), "second-name.png")
    assert again.id == first.id and again.key == first.key and again.original_name == "first.png"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MediaFile)) == 1
        assert services.get(first.key).id == first.id
        assert services.by_keys([first.key, "0" * 64, "nonsense"]) == {first.key: services.get(first.key)}
        # The key is the sha256 of the original bytes, and storage paths are made from it.
        assert first.key == inspect(samples.png(32, 32, color=(1, 2, 3)), "x.png").sha256
        assert first.variant("webp720")["path"] == f"{first.key[:2]}/{first.key}/webp720.webp"


def test_a_second_ingest_into_an_empty_store_copies_from_the_cache(app):
    data = samples.jpeg(900, 700, seed=21)
    first = _ingest(app, data, "cached.jpg")
    # Empty the store and the table: only the encode cache remembers the file.
    with app.app_context():
        shutil.rmtree(Path(app.config["SAMASCHOOL_MEDIA_PATH"]) / first.key[:2] / first.key)
        db.session.execute(MediaFile.__table__.delete())
        db.session.commit()
    encodes = transform.ENCODES
    again = _ingest(app, data, "cached.jpg")
    assert encodes == transform.ENCODES, "the same bytes were encoded again"
    assert again.variants == first.variants
    assert _variant(app, again, "webp360")[:4] == b"RIFF"
    with app.app_context():
        probe = inspect(data, "cached.jpg")
        assert transform.transform(data, probe, "cached.jpg").cache_hit is True


def test_without_a_cache_entry_the_file_is_encoded_and_cached(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SAMASCHOOL_MEDIA_CACHE", str(tmp_path / "cache"))
    data = samples.png(40, 30, color=(9, 99, 199))
    with app.app_context():
        probe = inspect(data, "new.png")
        encodes = transform.ENCODES
        made = transform.transform(data, probe, "new.png")
        assert made.cache_hit is False and encodes + 1 == transform.ENCODES
        folder = tmp_path / "cache" / transform.PIPELINE_VERSION / probe.sha256[:2] / probe.sha256
        assert (folder / "manifest.json").is_file() and (folder / "webp360.webp").is_file()
        again = transform.transform(data, probe, "new.png")
        assert again.cache_hit is True and encodes + 1 == transform.ENCODES
        assert {name: v.data for name, v in again.variants.items()} == {n: v.data for n, v in made.variants.items()}


def test_a_file_whose_stored_variants_went_missing_is_stored_again(app):
    media = _ingest(app, samples.png(20, 20, color=(50, 60, 70)), "lost.png")
    with app.app_context():
        shutil.rmtree(Path(app.config["SAMASCHOOL_MEDIA_PATH"]) / media.key[:2] / media.key)
        assert not storage().exists(media.variant("jpeg360")["path"])
    again = _ingest(app, samples.png(20, 20, color=(50, 60, 70)), "lost.png")
    assert again.id == media.id
    with app.app_context():
        assert storage().exists(again.variant("jpeg360")["path"])


def test_refused_files_leave_nothing_behind(app):
    with app.app_context():
        with pytest.raises(MediaError, match="it looks like HTML"):
            services.ingest(samples.html_as_png(), "evil.png")
        with pytest.raises(MediaError, match=r"^tone\.wav: this is not an image file"):
            services.ingest(samples.wav(), "tone.wav", kinds=("image",))
        assert db.session.scalar(select(func.count()).select_from(MediaFile)) == 0


def test_a_known_file_of_the_wrong_kind_is_still_refused(app):
    _ingest(app, samples.wav(1.0), "tone.wav")
    with app.app_context(), pytest.raises(MediaError, match=r"^tone\.wav: this is not an image file"):
        services.ingest(samples.wav(1.0), "tone.wav", kinds=("image",))


def test_ingest_path_names_the_file_as_asked(app, tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(samples.html_as_png())
    with app.app_context():
        with pytest.raises(MediaError, match=r"^media/photo\.png: this is not an image"):
            services.ingest_path(path, "media/photo.png")
        path.write_bytes(samples.png(10, 10))
        assert services.ingest_path(path).original_name == "photo.png"
        # Stored names never keep a folder, whatever a browser or a zip put in front.
        other = services.ingest(samples.png(11, 11), "C:\\Users\\amina\\Pictures\\cat.png")
        assert other.original_name == "cat.png"
        with pytest.raises(MediaError, match=r"^gone\.png: the file cannot be read$"):
            services.ingest_path(tmp_path / "gone.png")
