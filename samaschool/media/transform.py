"""Phone-sized copies of a checked file, made once per content hash.

Images: EXIF orientation applied, then every bit of metadata dropped (EXIF, GPS, XMP, ICC: the
pixels are copied into a new sRGB image); at most 720 and 360 px wide (never enlarged), as WebP
and progressive JPEG. An animated GIF keeps its first frame.
Audio: mono Opus at 16 kbps in Ogg (16 kHz) and mono AAC at 24 kbps in MP4 (`.m4a`, moov atom
first so it streams).

The results are cached under SAMASCHOOL_MEDIA_CACHE by sha256 of the original bytes and
PIPELINE_VERSION: the same bytes are never encoded twice (the test suite shares one cache
folder, so it does not re-encode on every run). Change PIPELINE_VERSION whenever the output
would change.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from samaschool.media import MAX_AUDIO_SECONDS
from samaschool.media.checks import Probe
from samaschool.media.errors import MediaError

PIPELINE_VERSION = "v1-webp62-jpeg70-opus16k-aac24k"
IMAGE_WIDTHS = (720, 360)
WEBP_QUALITY = 62
JPEG_QUALITY = 70
OPUS_RATE, OPUS_BIT_RATE = 16_000, 16_000
AAC_RATE, AAC_BIT_RATE = 24_000, 24_000

ENCODES = 0
"""How many files this process has encoded (cache misses). Tests read it to see a cache hit."""


@dataclass(frozen=True)
class Variant:
    name: str
    ext: str
    type: str
    data: bytes
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Transformed:
    variants: dict[str, Variant]
    cache_hit: bool


def transform(data: bytes, probe: Probe, filename: str) -> Transformed:
    """The variants of a file `inspect()` accepted, from the cache when they were made before."""
    global ENCODES
    cache = _cache_dir(probe.sha256)
    if cache is not None and (cached := _read_cache(cache)) is not None:
        return Transformed(cached, cache_hit=True)
    encode = encode_image if probe.kind == "image" else encode_audio
    variants = encode(data, probe, filename)
    ENCODES += 1
    if cache is not None:
        _write_cache(cache, variants)
    return Transformed({variant.name: variant for variant in variants}, cache_hit=False)


# Images ------------------------------------------------------------------------------------------


def encode_image(data: bytes, probe: Probe, filename: str) -> list[Variant]:
    from PIL import Image, ImageOps

    fmt = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP", "image/gif": "GIF"}[probe.mime]
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            image.seek(0)  # an animated GIF: its first frame
            if fmt == "JPEG":  # decode at a reduced scale when the photo is far larger than we need
                image.draft("RGB", (2 * IMAGE_WIDTHS[0], 2 * IMAGE_WIDTHS[0]))
            image.load()
            upright = ImageOps.exif_transpose(image)
            pixels = _rgb(upright)
    except MediaError:
        raise
    except Exception:
        raise MediaError(filename, _("the image is damaged or incomplete and cannot be opened")) from None
    # A new image holds only the pixels: no EXIF, GPS, XMP, comments or colour profile come along.
    clean = Image.frombytes("RGB", pixels.size, pixels.tobytes())
    variants = []
    for width in IMAGE_WIDTHS:
        sized = clean
        if clean.width > width:
            height = max(1, round(clean.height * width / clean.width))
            sized = clean.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        webp = io.BytesIO()
        sized.save(webp, "WEBP", quality=WEBP_QUALITY, method=6)
        jpeg = io.BytesIO()
        sized.save(jpeg, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
        for name, ext, mime, buffer in (
            (f"webp{width}", "webp", "image/webp", webp),
            (f"jpeg{width}", "jpg", "image/jpeg", jpeg),
        ):
            variants.append(Variant(name, ext, mime, buffer.getvalue(), sized.width, sized.height))
    return variants


def _rgb(image):
    """RGB pixels; transparency becomes white (a phone's page background)."""
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image).convert("RGB")
    return image.convert("RGB")


# Audio -------------------------------------------------------------------------------------------


def encode_audio(data: bytes, probe: Probe, filename: str) -> list[Variant]:
    with tempfile.TemporaryDirectory(prefix="samaschool-audio-") as folder:
        opus_path = Path(folder) / "opus.ogg"
        aac_path = Path(folder) / "aac.m4a"
        try:
            _transcode(data, probe.container, opus_path, aac_path, filename)
        except MediaError:
            raise
        except Exception:
            raise MediaError(filename, _("the sound file is damaged or incomplete and cannot be played")) from None
        return [
            Variant("opus", "ogg", "audio/ogg", opus_path.read_bytes()),
            Variant("aac", "m4a", "audio/mp4", aac_path.read_bytes()),
        ]


def _transcode(data: bytes, container: str | None, opus_path: Path, aac_path: Path, filename: str) -> None:
    # One decoding pass per output: a frame given to a resampler is consumed by it.
    _encode_one(data, container, opus_path, "ogg", "libopus", "s16", OPUS_RATE, OPUS_BIT_RATE, filename)
    _encode_one(data, container, aac_path, "ipod", "aac", "fltp", AAC_RATE, AAC_BIT_RATE, filename)


def _encode_one(
    data: bytes,
    container: str | None,
    path: Path,
    out_format: str,
    codec: str,
    sample_format: str,
    rate: int,
    bit_rate: int,
    filename: str,
) -> None:
    import av

    options = {"movflags": "+faststart"} if out_format == "ipod" else {}  # the index first: it streams
    with (
        av.open(io.BytesIO(data), format=container, mode="r") as source,
        av.open(str(path), mode="w", format=out_format, options=options) as output,
    ):
        stream = output.add_stream(codec, rate=rate, layout="mono")
        stream.bit_rate = bit_rate
        if codec == "libopus":
            stream.options = {"application": "voip"}
        resampler = av.AudioResampler(format=sample_format, layout="mono", rate=rate)
        decoded = 0
        for frame in source.decode(source.streams.audio[0]):
            if frame.time is not None and frame.time > MAX_AUDIO_SECONDS:
                raise MediaError(
                    filename, _("the sound is longer than %(minutes)d minutes", minutes=MAX_AUDIO_SECONDS // 60)
                )
            decoded += 1
            for piece in resampler.resample(frame):
                output.mux(stream.encode(piece))
        if not decoded:
            raise MediaError(filename, _("the sound file is damaged or incomplete and cannot be played"))
        for piece in resampler.resample(None):
            output.mux(stream.encode(piece))
        output.mux(stream.encode(None))


# The encode cache -------------------------------------------------------------------------------


def _cache_dir(sha256: str) -> Path | None:
    root = current_app.config.get("SAMASCHOOL_MEDIA_CACHE")
    if not root:
        return None
    return Path(root) / PIPELINE_VERSION / sha256[:2] / sha256


def _read_cache(folder: Path) -> dict[str, Variant] | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        variants = {}
        for item in manifest["variants"]:
            data = (folder / f"{item['name']}.{item['ext']}").read_bytes()
            if len(data) != item["bytes"]:
                return None
            variants[item["name"]] = Variant(
                item["name"], item["ext"], item["type"], data, item.get("width"), item.get("height")
            )
        return variants
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(folder: Path, variants: list[Variant]) -> None:
    """Written into a temporary folder that is then renamed into place: readers never see half."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
    except OSError:
        return  # a cache we cannot write is only slower
    try:
        manifest = []
        for variant in variants:
            (temporary / f"{variant.name}.{variant.ext}").write_bytes(variant.data)
            manifest.append(
                {
                    "name": variant.name,
                    "ext": variant.ext,
                    "type": variant.type,
                    "bytes": len(variant.data),
                    "width": variant.width,
                    "height": variant.height,
                }
            )
        (temporary / "manifest.json").write_text(json.dumps({"variants": manifest}))
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)  # an unreadable earlier entry
        os.replace(temporary, folder)
    except OSError:
        pass  # another process wrote the same entry first
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
