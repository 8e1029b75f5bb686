"""Sample media for tests, made here rather than shipped: every function returns the same bytes
on every run (so the encode cache in `.media-cache/` keeps hitting). Anyone's tests may use them.

Images are made with Pillow from a seeded random source; sounds are synthesised in pure Python
(a tone, or a voiced, speech-like signal); MP3, Ogg/Opus and M4A are encoded from those with
PyAV and kept in `.media-cache/samples/`, because an encoder's output may change between
library versions while a test needs stable bytes.
"""

from __future__ import annotations

import functools
import io
import math
import random
import struct
import wave
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SAMPLES = Path(__file__).resolve().parent.parent / ".media-cache" / "samples"
RATE = 16_000


# Images ------------------------------------------------------------------------------------------


def png(width: int = 64, height: int = 48, color=(200, 80, 40)) -> bytes:
    """A flat-coloured PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


@functools.cache
def _photo(width: int, height: int, seed: int) -> Image.Image:
    """Something with a photograph's detail: a gradient sky, overlapping shapes, and texture at
    several scales (like foliage, fabric or a wall) that survives downscaling. A flat colour or
    fine grain compresses far better than anything a learner will upload."""
    rng = random.Random(seed)
    sky = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image = Image.blend(sky, Image.new("RGB", (width, height), (70, 130, 190)), 0.55)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randrange(max(4, width // 40), max(8, width // 6))
        color = tuple(rng.randrange(40, 230) for _ in range(3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x - radius, y - radius, x + radius, y + radius), fill=color)
    image = image.filter(ImageFilter.GaussianBlur(radius=2))
    texture = Image.new("L", (width, height), 128)
    for scale, weight in ((3, 0.5), (8, 0.3), (24, 0.2)):
        small = (max(1, width // scale), max(1, height // scale))
        noise = Image.frombytes("L", small, rng.randbytes(small[0] * small[1]))
        texture = Image.blend(texture, noise.resize((width, height), Image.Resampling.BICUBIC), weight)
    texture = texture.point(lambda value: max(0, min(255, 128 + (value - 128) * 3)))
    return Image.blend(image, texture.convert("RGB"), 0.2)


def photo_png(width: int = 1600, height: int = 1200, seed: int = 1) -> bytes:
    buffer = io.BytesIO()
    _photo(width, height, seed).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width: int = 1600, height: int = 1200, exif_gps: bool = False, orientation: int = 1, seed: int = 2) -> bytes:
    """A photo-like JPEG; with `exif_gps` it carries a camera name, a GPS position and an XMP
    packet (as a phone's photo does); `orientation` is the EXIF orientation tag."""
    exif = Image.Exif()
    if exif_gps or orientation != 1:
        exif[0x0112] = orientation
    if exif_gps:
        exif[0x010F] = "SamaPhone"  # Make
        exif[0x0110] = "Model 2"  # Model
        gps = exif.get_ifd(0x8825)
        gps[1] = "S"
        gps[2] = (1.0, 17.0, 30.0)  # Nairobi: 1°17'30" S
        gps[3] = "E"
        gps[4] = (36.0, 49.0, 0.0)
    buffer = io.BytesIO()
    extra = {"xmp": XMP} if exif_gps else {}
    _photo(width, height, seed).save(buffer, "JPEG", quality=90, exif=exif.tobytes(), **extra)
    return buffer.getvalue()


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="1,17.5S"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def webp(width: int = 800, height: int = 600, seed: int = 3) -> bytes:
    buffer = io.BytesIO()
    _photo(width, height, seed).save(buffer, "WEBP", quality=80)
    return buffer.getvalue()


def gif(width: int = 120, height: int = 90, frames: int = 3) -> bytes:
    """An animated GIF whose frames are red, green, blue…: only the first (red) is kept."""
    colors = [(220, 30, 30), (30, 200, 30), (30, 30, 220)]
    images = [Image.new("RGB", (width, height), colors[i % 3]) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=200, loop=0)
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels and holds a few bytes of (bad) pixel data: to
    be refused for its size, it must be refused before anything is decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"\x78\x9c garbage") + chunk(b"IEND", b"")


def html_as_png() -> bytes:
    return b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"


def php_as_png() -> bytes:
    return b"<?php system($_GET['c']); ?>\n"


def svg_as_png() -> bytes:
    return b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>\n'


# Sound ------------------------------------------------------------------------------------------


def _wav_bytes(samples: list[int] | bytes, rate: int = RATE) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples if isinstance(samples, bytes) else struct.pack(f"<{len(samples)}h", *samples))
    return buffer.getvalue()


@functools.cache
def wav(seconds: float = 2.0, frequency: float = 440.0, rate: int = RATE) -> bytes:
    """A sine tone, 16-bit mono PCM."""
    count = int(seconds * rate)
    step = 2 * math.pi * frequency / rate
    return _wav_bytes([int(12000 * math.sin(step * n)) for n in range(count)], rate)


@functools.cache
def silent_wav(seconds: float, rate: int = 8000) -> bytes:
    """Silence, cheaply (for limits on length)."""
    return _wav_bytes(b"\x00\x00" * int(seconds * rate), rate)


@functools.cache
def speech_wav(seconds: float = 10.0, seed: int = 7) -> bytes:
    """Speech-like sound: voiced syllables (a pitch that glides, harmonics shaped by two moving
    formants), short unvoiced hisses and pauses between words. Compresses like speech does."""
    rng = random.Random(seed)
    count = int(seconds * RATE)
    samples = [0] * count
    position = 0
    while position < count:
        syllable = int(RATE * rng.uniform(0.12, 0.28))
        pitch = rng.uniform(95, 210)
        glide = rng.uniform(-40, 40)
        formants = (rng.uniform(300, 850), rng.uniform(900, 2300))
        phase = 0.0
        for n in range(min(syllable, count - position)):
            t = n / syllable
            envelope = math.sin(math.pi * t) ** 2
            f0 = pitch + glide * t
            phase += 2 * math.pi * f0 / RATE
            value = 0.0
            for harmonic in range(1, 12):
                frequency = harmonic * f0
                weight = sum(1.0 / (1.0 + ((frequency - f) / 120.0) ** 2) for f in formants) / harmonic**0.5
                value += weight * math.sin(harmonic * phase)
            samples[position + n] = int(max(-32000, min(32000, 4000 * envelope * value)))
        position += syllable
        if rng.random() < 0.3:  # a fricative ("s", "f")
            hiss = int(RATE * rng.uniform(0.04, 0.09))
            for n in range(min(hiss, count - position)):
                samples[position + n] = int(rng.gauss(0, 900) * math.sin(math.pi * n / hiss))
            position += hiss
        if rng.random() < 0.35:  # a pause between words
            position += int(RATE * rng.uniform(0.08, 0.3))
    return _wav_bytes(samples)


def _encoded(name: str, source: bytes, container: str, codec: str, rate: int, bit_rate: int) -> bytes:
    """`source` (a WAV) encoded with PyAV, kept in SAMPLES so the bytes stay the same."""
    import av

    path = SAMPLES / name
    if path.is_file():
        return path.read_bytes()
    SAMPLES.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{name}")
    with av.open(io.BytesIO(source), format="wav") as src, av.open(str(temporary), "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        stream.bit_rate = bit_rate
        for frame in src.decode(audio=0):
            frame.pts = None
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    temporary.replace(path)
    return path.read_bytes()


def mp3(seconds: float = 3.0) -> bytes:
    return _encoded(f"tone-{seconds:g}s.mp3", wav(seconds), "mp3", "libmp3lame", 16_000, 32_000)


def ogg_opus(seconds: float = 3.0) -> bytes:
    return _encoded(f"tone-{seconds:g}s.opus.ogg", wav(seconds), "ogg", "libopus", 48_000, 32_000)


def m4a(seconds: float = 3.0) -> bytes:
    return _encoded(f"tone-{seconds:g}s.m4a", wav(seconds), "ipod", "aac", 24_000, 48_000)


def damaged_mp3(seconds: float = 90.0) -> bytes:
    """An MP3 whose first third plays and whose rest is noise: the check, which decodes only its
    first frames, accepts it; encoding the whole file fails."""
    data = bytearray(mp3(seconds))
    start = len(data) // 3
    data[start:] = random.Random(11).randbytes(len(data) - start)
    return bytes(data)
