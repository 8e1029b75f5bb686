"""Make the demo pools' media and task files in seed/ (run once by hand; the output is committed).

    .venv/bin/python seed/make_media.py

Nothing here runs at `make run` or in the tests: `flask pools seed-demo` imports the files this
script wrote, and no file is ever downloaded. Running it again rewrites the same files (every
random choice comes from a fixed seed); re-encoded bytes may differ with other Pillow, libwebp
or libopus versions, which is harmless.

How each file is made (sources and licences are in CREDITS.md):

- seed/media/photos/*.webp and seed/media/boxes/*.webp: "product photos" composed here with
  Pillow. Each product is one glyph of Noto Color Emoji (Debian's fonts-noto-color-emoji,
  SIL Open Font License 1.1), drawn at its bitmap size (109 px, embedded colour) and scaled, on
  a made-up scene: a wall with a colour gradient, a table top with a lit front edge and faint
  grain, a soft contact shadow, a little light falloff and noise. 720 x 540 px, WebP quality 80.
  For the boxes pool, 1 to 3 products are placed at known positions, so the gold boxes are the
  exact pixel bounds of each glyph (alpha >= 128) in the 720 x 540 image.
- seed/media/voice/*.opus: short voice notes written for this project, spoken by Debian's
  espeak-ng (computer-synthesised speech, several voices and speeds) into WAV, then encoded with
  PyAV (libopus) to mono Ogg/Opus at 24 kbit/s, 24 kHz. The text is also the gold transcript.
- seed/product-photos.csv, seed/product-photos-boxes.jsonl, seed/voice-notes.csv: the task
  files the pools import (rows name the media files relative to seed/), and
  seed/voice-notes-transcripts.csv (what every note says). seed/ai-comparisons.jsonl is its own
  source (edited directly), not made by this script.
"""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import tempfile
from pathlib import Path

import av
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

SEED = Path(__file__).resolve().parent
MEDIA = SEED / "media"
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
ESPEAK = "/usr/bin/espeak-ng"
WIDTH, HEIGHT = 720, 540
WEBP_QUALITY = 80
MAX_SOURCE_BYTES = 40_000

# The pools' labels (also written to seed/product-photos-labels.txt), and the products of each:
# Unicode code points of Noto Color Emoji glyphs.
PRODUCTS: dict[str, list[str]] = {
    "Shoes": ["1F45F", "1F45E", "1F460", "1F461", "1F97E", "1F97F", "1F462", "1FA74"],
    "Clothing": ["1F455", "1F456", "1F457", "1F9E5", "1F9E6", "1F454", "1F9E3", "1FA73", "1F45A"],
    "Bags": ["1F45C", "1F392", "1F45D", "1F9F3", "1F45B"],
    "Phones & accessories": ["1F4F1", "1F3A7", "1F50B", "1F50C"],
    "Electronics": ["1F4BB", "1F5A8", "1F4F7", "1F4FB", "1F50A"],
    "Kitchen": ["1F373", "1F944", "1F52A", "1FAD6", "1F963", "1FAD9"],
    "Food & drink": ["1F34C", "1F951", "1F35E", "1F96D", "1F345", "1F95B", "1F9C3", "1F36F", "1F95A", "1F34D"],
    "Toys": ["1F9F8", "26BD", "1FA80", "1FA81", "1F3B2", "1F9E9", "1FA86"],
    "Beauty & personal care": ["1F484", "1F9F4", "1F9FC", "1FAA5", "1FAAE", "1FA9E", "1FA92"],
}
LABELS = list(PRODUCTS)

WALLS = [  # (top, bottom) colours of the wall behind the table
    ((236, 230, 220), (208, 199, 186)),
    ((225, 232, 238), (190, 201, 212)),
    ((240, 236, 228), (222, 214, 200)),
    ((214, 229, 218), (181, 201, 187)),
    ((244, 226, 214), (219, 193, 176)),
    ((232, 232, 232), (196, 196, 198)),
    ((250, 246, 238), (230, 222, 206)),
    ((205, 214, 232), (168, 180, 204)),
]
TABLES = [  # (surface colour, front edge colour, grain strength)
    ((166, 118, 78), (120, 82, 52), 10),  # wood
    ((196, 160, 118), (150, 118, 84), 8),  # light wood
    ((238, 238, 236), (200, 200, 198), 2),  # white laminate
    ((120, 124, 130), (86, 88, 92), 3),  # grey fabric
    ((214, 200, 176), (176, 160, 136), 5),  # linen
    ((92, 64, 46), (62, 42, 30), 9),  # dark wood
]


def glyph(code: str) -> Image.Image:
    """The emoji's colour bitmap, cropped to its pixels (RGBA)."""
    font = ImageFont.truetype(str(EMOJI_FONT), 109)
    image = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((4, 4), chr(int(code, 16)), font=font, embedded_color=True)
    box = image.getchannel("A").getbbox()
    if box is None:
        raise SystemExit(f"U+{code} has no glyph in {EMOJI_FONT}")
    return image.crop(box)


def product(code: str, height: int, angle: float) -> Image.Image:
    item = glyph(code)
    width = round(item.width * height / item.height)
    item = item.resize((width, height), Image.Resampling.LANCZOS)
    if angle:
        item = item.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    # Crop to the visible pixels so that the gold box is the product's own bounds.
    return item.crop(item.getchannel("A").point(lambda a: 255 if a >= 128 else 0).getbbox())


def gradient(size: tuple[int, int], top: tuple, bottom: tuple) -> Image.Image:
    column = Image.new("RGB", (1, size[1]))
    for y in range(size[1]):
        t = y / max(1, size[1] - 1)
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    return column.resize(size)


def scene(rng: random.Random) -> tuple[Image.Image, int]:
    """A wall and a table top; returns the image and the y of the table's back edge."""
    wall_top, wall_bottom = rng.choice(WALLS)
    surface, edge, grain = rng.choice(TABLES)
    table_y = rng.randint(300, 360)
    image = gradient((WIDTH, HEIGHT), wall_top, wall_bottom)
    depth = HEIGHT - table_y
    lighter = tuple(min(255, c + 22) for c in surface)
    table = gradient((WIDTH, depth), surface, lighter)
    if grain:
        draw = ImageDraw.Draw(table)
        for _ in range(40):
            y = rng.randint(0, depth - 1)
            shade = rng.randint(-grain, grain)
            colour = tuple(max(0, min(255, c + shade)) for c in surface)
            draw.line([(0, y), (WIDTH, y + rng.randint(-3, 3))], fill=colour, width=rng.randint(1, 3))
        table = table.filter(ImageFilter.GaussianBlur(1.2))
    image.paste(table, (0, table_y))
    draw = ImageDraw.Draw(image)
    draw.line([(0, table_y), (WIDTH, table_y)], fill=tuple(min(255, c + 40) for c in surface), width=2)
    if rng.random() < 0.5:  # the table's front edge, seen from a little above
        front = rng.randint(HEIGHT - 46, HEIGHT - 22)
        draw.rectangle([(0, front), (WIDTH, HEIGHT)], fill=edge)
        draw.line([(0, front), (WIDTH, front)], fill=tuple(min(255, c + 30) for c in edge), width=2)
    return image, table_y


def place(image: Image.Image, item: Image.Image, x: int, y: int, rng: random.Random) -> tuple[int, int, int, int]:
    """Paste item with its top-left at (x, y) with a soft shadow; returns its box (x, y, w, h)."""
    alpha = item.getchannel("A")
    shadow = Image.new("L", image.size, 0)
    # A contact shadow under the product and a faint, offset drop shadow of its shape.
    ImageDraw.Draw(shadow).ellipse(
        [x + item.width * 0.08, y + item.height - 10, x + item.width * 0.92, y + item.height + 12], fill=120
    )
    offset = rng.randint(6, 14)
    shadow.paste(alpha.point(lambda a: a * 45 // 255), (x + offset, y + offset // 2), alpha)
    shadow = shadow.filter(ImageFilter.GaussianBlur(9))
    image.paste(Image.new("RGB", image.size, (30, 24, 20)), (0, 0), shadow)
    image.paste(item, (x, y), item)
    return x, y, item.width, item.height


def finish(image: Image.Image, rng: random.Random) -> Image.Image:
    """Light falloff towards the corners and a little sensor noise."""
    mask = Image.radial_gradient("L").resize(image.size)  # 0 in the centre, 255 at the corners
    image = Image.composite(Image.new("RGB", image.size, (0, 0, 0)), image, mask.point(lambda v: v * 50 // 255))
    noise = Image.effect_noise(image.size, 6).point(lambda v: 128 + (v - 128) // 3)
    return ImageChops.add(image, Image.merge("RGB", [noise] * 3), scale=1.0, offset=-128)


def save_webp(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = io.BytesIO()
    image.save(data, "WEBP", quality=WEBP_QUALITY, method=6)
    if data.tell() >= MAX_SOURCE_BYTES:
        raise SystemExit(f"{path.name} is {data.tell()} bytes")
    path.write_bytes(data.getvalue())


def photos() -> None:
    """50 single-product photos (5 gold) for image classification."""
    rng = random.Random(10_001)
    pairs = [(label, code) for label, codes in PRODUCTS.items() for code in codes]
    rng.shuffle(pairs)
    chosen = pairs[:50]
    gold_at = {3, 14, 25, 36, 47}
    rows = []
    for number, (label, code) in enumerate(chosen, start=1):
        image, table_y = scene(rng)
        item = product(code, rng.randint(210, 290), rng.uniform(-12, 12))
        x = (WIDTH - item.width) // 2 + rng.randint(-90, 90)
        y = min(HEIGHT - item.height - 40, table_y + rng.randint(30, 90) - item.height)
        place(image, item, x, max(20, y), rng)
        name = f"media/photos/photo-{number:03}.webp"
        save_webp(finish(image, rng), SEED / name)
        rows.append(
            {
                "external_id": f"photo-{number:03}",
                "image": name,
                "gold_label": label if number - 1 in gold_at else "",
            }
        )
    with (SEED / "product-photos.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=["external_id", "image", "gold_label"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    (SEED / "product-photos-labels.txt").write_text("\n".join(LABELS) + "\n", encoding="utf-8")


def overlaps(a: tuple, b: tuple, gap: int = 16) -> bool:
    return not (
        a[0] + a[2] + gap <= b[0] or b[0] + b[2] + gap <= a[0] or a[1] + a[3] + gap <= b[1] or b[1] + b[3] + gap <= a[1]
    )


def boxes() -> None:
    """20 photos with 1 to 3 products each (2 gold) for bounding boxes; gold boxes are exact."""
    rng = random.Random(10_002)
    pairs = [(label, code) for label, codes in PRODUCTS.items() for code in codes]
    gold_at = {4, 15}
    with (SEED / "product-photos-boxes.jsonl").open("w", encoding="utf-8") as out:
        for number in range(1, 21):
            image, table_y = scene(rng)
            count = (1, 2, 2, 3)[number % 4]
            placed: list[tuple[str, tuple[int, int, int, int]]] = []
            for label, code in rng.sample(pairs, count):
                for _attempt in range(200):
                    item = product(code, rng.randint(120, 190), rng.uniform(-10, 10))
                    x = rng.randint(24, WIDTH - item.width - 24)
                    bottom = rng.randint(table_y + 20, HEIGHT - 30)
                    box = (x, bottom - item.height, item.width, item.height)
                    if box[1] >= 12 and not any(overlaps(box, other) for _, other in placed):
                        break
                else:
                    raise SystemExit(f"no room in box photo {number}")
                placed.append((label, place(image, item, box[0], box[1], rng)))
            name = f"media/boxes/boxes-{number:03}.webp"
            save_webp(finish(image, rng), SEED / name)
            row = {"external_id": f"boxes-{number:03}", "image": name}
            if number - 1 in gold_at:
                row["gold"] = [{"label": label, "x": x, "y": y, "w": w, "h": h} for label, (x, y, w, h) in placed]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


# (voice, words per minute, text). The text is what espeak-ng says and the gold transcript.
VOICE_NOTES: list[tuple[str, int, str]] = [
    (
        "en+m3",
        150,
        "Hi, this is Wanjiku from Kilimani. Please deliver the two gas cylinders after five in the evening.",
    ),
    ("en-us+f3", 155, "Hello, I am calling to confirm my appointment at the clinic on Thursday at ten in the morning."),
    ("en+f2", 145, "The order for Otieno is three bags of maize flour and one crate of soda. He pays on delivery."),
    ("en-gb-x-rp+m5", 150, "Please leave the parcel with the guard at the main gate. My flat is on the fourth floor."),
    ("en+f4", 150, "Good morning. Your tailoring order is ready. The balance is eight hundred shillings."),
    ("en-us+m3", 160, "Customer feedback: the rider was polite and the food arrived hot. Five stars."),
    ("en+m5", 140, "Reminder: the chama meeting is on Saturday at two in the afternoon at the community hall."),
    (
        "en-gb-scotland+f3",
        150,
        "I ordered a blue phone cover but received a black one. I would like an exchange please.",
    ),
    ("en+m2", 150, "Delivery for Grace in Nakuru. Turn left after the petrol station and call me at the blue gate."),
    ("en-us-nyc+m4", 155, "Hi, this is Tyler. I need the moving truck on Friday morning, not Thursday. Thanks."),
    ("en+f3", 145, "Please send me the price list for school uniforms, sizes eight to fourteen."),
    ("en+m4", 150, "The matatu left me at the stage near the market. I will wait for you under the big tree."),
    ("en-us+f2", 150, "Your package from the pharmacy is on its way. The driver will arrive in twenty minutes."),
    ("en+m3", 145, "Hello Priya, your tiffin order for the week is confirmed. We deliver at one in the afternoon."),
    ("en-gb-x-rp+f2", 150, "I paid five hundred rupees for the recharge but the balance has not changed."),
    ("en+m6", 150, "Rahul here. Please bring the documents to the office in Pune before the end of the day."),
    ("en+f5", 140, "Namaste, this is a reminder that your electricity bill is due on the fifteenth."),
    ("en-us+m5", 150, "The auto driver is waiting outside the railway station, near gate number two."),
    (
        "en+f2",
        155,
        "Thank you for shopping with us. Your refund of two thousand rupees will reach your account in three days.",
    ),
    ("en-029+m3", 145, "Hello, this is Nakato from Kampala. I need twenty trays of eggs delivered to Ntinda tomorrow."),
    ("en+m4", 150, "The boda boda rider says the road to Entebbe is blocked, so the delivery will be late."),
    ("en-us+f3", 150, "Please remind the customers that the shop closes early on Sunday, at one o'clock."),
    ("en+m2", 145, "Okello, the school fees for this term are one hundred and fifty thousand Uganda shillings."),
    (
        "en-gb-x-rp+f3",
        150,
        "Feedback from the market survey: most traders want mobile money payments and cheaper transport.",
    ),
    ("en+f4", 150, "Your hair appointment is moved to Wednesday at eleven. Reply yes to confirm."),
    ("en-us+m3", 160, "Hey, it's Jasmine. Can you pick up the cake at the bakery on Main Street before six?"),
    ("en-us-nyc+f2", 155, "This is a reminder from the dental office. Your cleaning is on Monday at nine thirty."),
    ("en-us+m5", 150, "Order number four five two. One large pizza, no onions, and two bottles of water."),
    ("en-us+f4", 150, "The customer says the jacket is too small and wants the next size up."),
    (
        "en+m5",
        145,
        "The repaired television is ready at the shop on Moi Avenue. The charge is fifteen hundred shillings.",
    ),
    ("en+f3", 150, "Hello, the water delivery truck will come to our estate on Tuesday between eight and ten."),
    ("en-gb-scotland+m3", 150, "The client wants the photos sorted by date and the blurry ones removed."),
    ("en+m3", 150, "I will be at the Mombasa office until four. After that, call my colleague Amina."),
    ("en-us+f2", 145, "Thank you for your patience. Your internet connection should be back within two hours."),
    ("en+f2", 150, "Please add one kilo of sugar, two loaves of bread and a packet of tea leaves to my order."),
    ("en+m6", 155, "The bus to Eldoret leaves at eight tonight. Be at the station thirty minutes early."),
    ("en-gb-x-rp+m4", 150, "The meeting with the farmers group is postponed to next week because of the rain."),
    ("en+f4", 145, "Feedback: the app is easy to use, but the pictures take too long to load on my phone."),
    ("en-us+m4", 150, "Please call the customer back. She wants to change the delivery address to her office."),
    ("en+m2", 150, "Kamau, the spare parts for the motorbike arrived. You can pick them up tomorrow morning."),
    ("en-029+f3", 150, "Hello Sarah, your prescription is ready. Bring your clinic card when you come."),
    ("en+f5", 150, "Two customers complained that the milk was sour. Please check the fridge in the shop."),
    ("en-us+f3", 160, "Your ride is arriving. Look for a white car. The driver's name is Peter."),
    ("en+m4", 145, "The solar lamp costs two thousand shillings, or you can pay two hundred shillings a week."),
    ("en+m3", 150, "Hi, this is Anjali. Please deliver the flowers to the hospital in Chennai before noon."),
    ("sw+m3", 140, "Habari, mzigo wako utafika kesho asubuhi. Tafadhali uwe nyumbani."),
    ("sw+f3", 140, "Nimefika getini, lakini mlinzi hajafungua. Tafadhali nipigie."),
    ("sw+m4", 135, "Naomba kilo mbili za sukari na mkate mmoja. Nitalipa kwa simu."),
    ("sw+f2", 140, "Mkutano wa chama utakuwa Jumamosi mchana katika ukumbi wa kanisa."),
    ("sw+m2", 140, "Asante kwa huduma nzuri. Dereva alikuwa mpole na alifika kwa wakati."),
]


def opus(wav: Path, out: Path) -> None:
    """Encode a WAV file to mono Ogg/Opus, 24 kbit/s at 24 kHz, with PyAV."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(wav)) as source, av.open(str(out), "w", format="ogg", options={"fflags": "+bitexact"}) as target:
        stream = target.add_stream("libopus", rate=24000, layout="mono")
        stream.bit_rate = 24000
        resampler = av.AudioResampler(format="s16", layout="mono", rate=24000)
        for frame in source.decode(audio=0):
            for resampled in resampler.resample(frame):
                target.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            target.mux(stream.encode(resampled))
        target.mux(stream.encode(None))
    if out.stat().st_size >= MAX_SOURCE_BYTES:
        raise SystemExit(f"{out.name} is {out.stat().st_size} bytes")


def voice_notes() -> None:
    """50 synthesised voice notes (5 gold) for audio transcription."""
    gold_at = {2, 13, 24, 35, 46}
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for number, (voice, speed, text) in enumerate(VOICE_NOTES, start=1):
            wav = Path(scratch) / f"{number}.wav"
            command = [ESPEAK, "-v", voice, "-s", str(speed), "-w", str(wav), text]
            subprocess.run(command, check=True)  # noqa: S603 (our own fixed program and texts)
            name = f"media/voice/voice-{number:03}.opus"
            opus(wav, SEED / name)
            rows.append(
                {
                    "external_id": f"voice-{number:03}",
                    "audio": name,
                    "gold_label": text if number - 1 in gold_at else "",
                }
            )
    with (SEED / "voice-notes.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=["external_id", "audio", "gold_label"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    # Every note's text, for whoever reviews the pool (the gold rows are in voice-notes.csv too).
    with (SEED / "voice-notes-transcripts.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["external_id", "voice", "words_per_minute", "transcript"])
        for number, (voice, speed, text) in enumerate(VOICE_NOTES, start=1):
            writer.writerow([f"voice-{number:03}", voice, speed, text])


if __name__ == "__main__":
    photos()
    boxes()
    voice_notes()
