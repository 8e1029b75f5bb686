"""How the media of this course were made (run once by hand; its output files are committed).

    .venv/bin/python courses/data-annotation-essentials/media/make_media.py

- shoe-and-plant.jpg: a "product photo" composed with Pillow (a wall, a table top, soft
  shadows and a little noise) with two Noto Color Emoji glyphs on it (U+1F45F running shoe,
  U+1FAB4 potted plant) from Debian's fonts-noto-color-emoji (SIL OFL 1.1). It prints the
  shoe's box in the image's own pixels: the image_region question's `region`.
- greeting.ogg, delivery-note.ogg: speech synthesised by espeak-ng from the texts below, encoded
  to mono Ogg/Opus at 24 kbit/s with PyAV. Computer speech, not a person: the lesson says so.
See CREDITS.md ("Course media").
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
ESPEAK = "/usr/bin/espeak-ng"
MAX_BYTES = 60_000
SPEECH = {
    "greeting.ogg": (
        "en+f3",
        145,
        "Hello, my name is Amina. I tag photos of products, and I type out voice notes. Today I tagged forty photos.",
    ),
    "delivery-note.ogg": ("en+m3", 140, "Please deliver twelve boxes to Nakuru on Friday."),
}


def glyph(code: int, height: int) -> Image.Image:
    font = ImageFont.truetype(EMOJI_FONT, 109)  # the only size this bitmap font has
    image = Image.new("RGBA", (150, 150), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((4, 4), chr(code), font=font, embedded_color=True)
    image = image.crop(image.getbbox())
    return image.resize((round(image.width * height / image.height), height), Image.Resampling.LANCZOS)


def photo() -> None:
    width, height, table_top = 720, 480, 300
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # a warm wall, then a wooden table top
        if y < table_top:
            shade = 236 - y // 12
            draw.line([(0, y), (width, y)], fill=(shade, shade - 8, shade - 22))
        else:
            shade = 178 - (y - table_top) // 6
            draw.line([(0, y), (width, y)], fill=(shade, shade - 42, shade - 88))
    items = [(0x1F45F, 190, (90, 230)), (0x1FAB4, 260, (430, 110))]
    shoe_box = None
    for code, size, (x, y) in items:
        item = glyph(code, size)
        shadow = Image.new("L", image.size, 0)
        ImageDraw.Draw(shadow).ellipse([x + 10, y + item.height - 18, x + item.width - 5, y + item.height + 14], 90)
        image.paste((60, 40, 20), mask=shadow.filter(ImageFilter.GaussianBlur(9)))
        image.paste(item, (x, y), item)
        left, top, right, bottom = item.getbbox()
        box = (x + left, y + top, right - left, bottom - top)
        shoe_box = shoe_box or box
    noise = Image.effect_noise(image.size, 6).convert("RGB")
    image = Image.blend(image, noise, 0.04)
    image.save(HERE / "shoe-and-plant.jpg", quality=80, optimize=True, progressive=True)
    print("shoe box (x, y, w, h):", shoe_box)


def speech() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        for name, (voice, speed, text) in SPEECH.items():
            wav = Path(scratch) / "speech.wav"
            subprocess.run([ESPEAK, "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)  # noqa: S603
            out = HERE / name
            with av.open(str(wav)) as source, av.open(str(out), "w", format="ogg") as target:
                stream = target.add_stream("libopus", rate=24000, layout="mono")
                stream.bit_rate = 24000
                resampler = av.AudioResampler(format="s16", layout="mono", rate=24000)
                for frame in source.decode(audio=0):
                    for resampled in resampler.resample(frame):
                        target.mux(stream.encode(resampled))
                for resampled in resampler.resample(None):
                    target.mux(stream.encode(resampled))
                target.mux(stream.encode(None))


if __name__ == "__main__":
    photo()
    speech()
    for path in sorted(HERE.iterdir()):
        if path.suffix in (".jpg", ".ogg"):
            print(path.name, path.stat().st_size, "bytes")
            assert path.stat().st_size < MAX_BYTES, path
