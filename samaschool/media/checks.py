"""Is this a file we accept? Decided from the bytes alone (never the name or the browser's type):
the magic numbers say what it claims to be, then a real decode (Pillow, PyAV) proves it.

`inspect()` writes nothing; it raises MediaError with the file's name and the reason.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _

from samaschool.media import MAX_AUDIO_BYTES, MAX_AUDIO_SECONDS, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from samaschool.media.errors import MediaError

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
# container (PyAV's format name) -> (mime type, codecs accepted in it)
AUDIO_CONTAINERS = {
    "wav": ("audio/wav", None),  # any PCM
    "mp3": ("audio/mpeg", {"mp3", "mp3float"}),
    "ogg": ("audio/ogg", {"opus", "libopus", "vorbis", "libvorbis"}),
    "mp4": ("audio/mp4", {"aac"}),
}
AUDIO_FRAMES_TO_DECODE = 5
NOT_AUDIO_BRANDS = (b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis", b"jxl ")


@dataclass(frozen=True)
class Probe:
    """What a checked file is. `width`/`height` are the original image's own pixels."""

    kind: str  # "image" | "audio"
    mime: str
    sha256: str
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    container: str | None = None  # audio: the PyAV format to open it with
    frames: int = 1  # images: an animated GIF has more; only the first is used


def sniff(data: bytes) -> tuple[str, str] | None:
    """(kind, format) from the magic numbers, or None."""
    head = data[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "JPEG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "WEBP"
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "audio", "wav"
    if head.startswith(b"OggS"):
        return "audio", "ogg"
    if head[4:8] == b"ftyp" and head[8:12] not in NOT_AUDIO_BRANDS:
        return "audio", "mp4"
    if head.startswith(b"ID3") or (len(head) > 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio", "mp3"
    return None


def _looks_like_markup(data: bytes) -> str | None:
    text = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<?php") or b"<?php" in data[:4096].lower():
        return "PHP"
    if text.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "SVG"
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<!--", b"<div")):
        return "HTML"
    return None


def not_accepted(filename: str, data: bytes, kinds: tuple[str, ...]) -> MediaError:
    markup = _looks_like_markup(data)
    if set(kinds) == {"image"}:
        reason = _("this is not an image file we accept (PNG, JPEG, WebP or GIF)")
    elif set(kinds) == {"audio"}:
        reason = _("this is not a sound file we accept (WAV, MP3, Ogg or M4A)")
    else:
        reason = _("this is not an image or sound file we accept")
    if markup:
        reason = _("%(reason)s (it looks like %(what)s)", reason=reason, what=markup)
    return MediaError(filename, reason)


def inspect(data: bytes, filename: str, kinds: tuple[str, ...] | list[str] = ("image", "audio")) -> Probe:
    """Check `data` (named `filename` for messages) and say what it is; MediaError if we refuse it."""
    kinds = tuple(kinds)
    if not data:
        raise MediaError(filename, _("the file is empty"))
    found = sniff(data)
    if found is None or found[0] not in kinds:
        raise not_accepted(filename, data, kinds)
    kind, fmt = found
    sha256 = hashlib.sha256(data).hexdigest()
    if kind == "image":
        return _inspect_image(data, filename, fmt, sha256)
    return _inspect_audio(data, filename, fmt, sha256)


def _too_large(filename: str, limit: int) -> MediaError:
    return MediaError(filename, _("the file is larger than %(size)s MB", size=limit // (1024 * 1024)))


def _inspect_image(data: bytes, filename: str, fmt: str, sha256: str) -> Probe:
    from PIL import Image

    if len(data) > MAX_IMAGE_BYTES:
        raise _too_large(filename, MAX_IMAGE_BYTES)
    broken = MediaError(filename, _("the image is damaged or incomplete and cannot be opened"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[fmt])  # reads the header only
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(filename) from None
        except Exception:
            raise broken from None
        with image:
            width, height = image.size
            if width < 1 or height < 1:
                raise broken
            if width * height > MAX_IMAGE_PIXELS:  # before decoding: a bomb never reaches memory
                raise _too_many_pixels(filename)
            frames = getattr(image, "n_frames", 1) if fmt == "GIF" else 1
            try:
                image.seek(0)
                image.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _too_many_pixels(filename) from None
            except Exception:
                raise broken from None
    return Probe(kind="image", mime=IMAGE_TYPES[fmt], sha256=sha256, width=width, height=height, frames=frames)


def _too_many_pixels(filename: str) -> MediaError:
    return MediaError(
        filename, _("the image is larger than %(megapixels)d megapixels", megapixels=MAX_IMAGE_PIXELS // 1_000_000)
    )


def _inspect_audio(data: bytes, filename: str, container: str, sha256: str) -> Probe:
    import av

    if len(data) > MAX_AUDIO_BYTES:
        raise _too_large(filename, MAX_AUDIO_BYTES)
    broken = MediaError(filename, _("the sound file is damaged or incomplete and cannot be played"))
    mime, codecs = AUDIO_CONTAINERS[container]
    try:
        # The format is named, so FFmpeg never guesses one (no playlists, no network protocols).
        with av.open(io.BytesIO(data), format=container, mode="r") as source:
            if not source.streams.audio:
                raise not_accepted(filename, data, ("audio",))
            stream = source.streams.audio[0]
            codec = stream.codec_context.name
            if container == "wav" and not codec.startswith("pcm_"):
                raise not_accepted(filename, data, ("audio",))
            if codecs is not None and codec not in codecs:
                raise not_accepted(filename, data, ("audio",))
            duration = _duration_seconds(source, stream)
            if duration is not None and duration > MAX_AUDIO_SECONDS:
                raise _too_long(filename)
            decoded = 0
            last = 0.0
            for frame in source.decode(stream):
                decoded += 1
                if frame.time is not None:
                    last = frame.time + frame.samples / (frame.sample_rate or 1)
                if decoded >= AUDIO_FRAMES_TO_DECODE:
                    break
            if not decoded:
                raise broken
    except MediaError:
        raise
    except Exception:
        raise broken from None
    if duration is None:
        duration = last
    return Probe(kind="audio", mime=mime, sha256=sha256, duration_ms=round(duration * 1000), container=container)


def _duration_seconds(source, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if source.duration is not None:
        return source.duration / 1_000_000
    return None


def _too_long(filename: str) -> MediaError:
    return MediaError(filename, _("the sound is longer than %(minutes)d minutes", minutes=MAX_AUDIO_SECONDS // 60))
