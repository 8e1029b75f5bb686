"""Make the new media of Data Annotation Essentials (run once; outputs committed).

Images: scenes composed with Pillow from Noto Color Emoji glyphs and DejaVu Sans text.
Sounds: espeak-ng speech, encoded to mono Ogg/Opus 24 kbit/s with PyAV.
Prints every box (x, y, w, h) in the image's own pixels, for image_region questions.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFilter, ImageFont

OUT = Path(sys.argv[1])
EMOJI = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
SANS_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
ESPEAK = "/usr/bin/espeak-ng"
W, H = 720, 480
BOXES: dict[str, dict] = {}


def glyph(code: int, height: int, flip: bool = False) -> Image.Image:
    font = ImageFont.truetype(EMOJI, 109)
    im = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((4, 4), chr(code), font=font, embedded_color=True)
    im = im.crop(im.getchannel("A").getbbox())
    im = im.resize((round(im.width * height / im.height), height), Image.Resampling.LANCZOS)
    if flip:
        im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return im.crop(im.getchannel("A").point(lambda a: 255 if a >= 128 else 0).getbbox())


def scene(wall=(226, 220, 206), ground=(150, 128, 104), horizon=320) -> Image.Image:
    im = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(im)
    for y in range(H):
        if y < horizon:
            s = y / horizon
            c = tuple(round(a - 18 * s) for a in wall)
        else:
            s = (y - horizon) / (H - horizon)
            c = tuple(round(a + 20 * s) for a in ground)
        d.line([(0, y), (W, y)], fill=c)
    return im


def paste(im: Image.Image, item: Image.Image, x: int, y: int, name: str | None = None, key: str | None = None):
    shadow = Image.new("L", im.size, 0)
    ImageDraw.Draw(shadow).ellipse([x + 8, y + item.height - 10, x + item.width - 8, y + item.height + 10], 110)
    im.paste((40, 30, 20), mask=shadow.filter(ImageFilter.GaussianBlur(8)))
    im.paste(item, (x, y), item)
    # visible box (clipped to the image)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(im.width, x + item.width), min(im.height, y + item.height)
    if name and key:
        BOXES.setdefault(name, {})[key] = {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0}
    return (x0, y0, x1 - x0, y1 - y0)


def sign(im, text, box, fill=(250, 246, 230), ink=(30, 60, 140), size=34):
    d = ImageDraw.Draw(im)
    d.rectangle(box, fill=fill, outline=(80, 60, 40), width=4)
    font = ImageFont.truetype(SANS_BOLD, size)
    tw = d.textlength(text, font=font)
    cx = (box[0] + box[2]) / 2 - tw / 2
    cy = (box[1] + box[3]) / 2 - size / 2 - 4
    d.text((cx, cy), text, font=font, fill=ink)


def finish(im: Image.Image, seed: int) -> Image.Image:
    random.seed(seed)
    noise = Image.effect_noise(im.size, 8).convert("RGB")
    return Image.blend(im, noise, 0.035)


def save(im: Image.Image, name: str, quality: int = 72) -> None:
    data = io.BytesIO()
    im.save(data, "WEBP", quality=quality, method=6)
    assert data.tell() < 40_000, (name, data.tell())
    (OUT / name).write_bytes(data.getvalue())
    print(name, data.tell(), "bytes")


def street():  # person, vehicle (boda boda), text
    im = scene(wall=(214, 200, 176), ground=(120, 116, 110), horizon=300)
    d = ImageDraw.Draw(im)
    d.rectangle([60, 40, 660, 300], fill=(196, 120, 70))  # shop front
    d.rectangle([250, 150, 470, 300], fill=(70, 50, 40))  # doorway
    sign(im, "NAKATO HARDWARE", (110, 60, 610, 130), size=40)
    paste(im, glyph(0x1F3CD, 170), 380, 250, "street", "motorcycle")
    paste(im, glyph(0x1F9CD, 230), 150, 210, "street", "person")
    save(finish(im, 1), "tag-street.webp")


def poster():  # only text: a picture of a car on a poster
    im = scene(wall=(230, 226, 214), ground=(140, 136, 128), horizon=380)
    d = ImageDraw.Draw(im)
    d.rectangle([150, 40, 570, 340], fill=(250, 250, 245), outline=(40, 40, 40), width=6)
    poster_img = glyph(0x1F697, 150)
    im.paste(poster_img, (360 - poster_img.width // 2, 70), poster_img)
    font = ImageFont.truetype(SANS_BOLD, 38)
    for i, line in enumerate(["DRIVE SAFE,", "ARRIVE ALIVE"]):
        tw = d.textlength(line, font=font)
        d.text((360 - tw / 2, 235 + i * 46), line, font=font, fill=(180, 30, 30))
    save(finish(im, 2), "tag-poster.webp")


def fruit_stand():  # person, food, text, vehicle (bicycle), animal (cat)
    im = scene(wall=(236, 222, 190), ground=(168, 140, 100), horizon=300)
    d = ImageDraw.Draw(im)
    d.rectangle([200, 250, 560, 290], fill=(120, 80, 46))  # table top
    d.rectangle([215, 290, 230, 420], fill=(100, 66, 38))
    d.rectangle([530, 290, 545, 420], fill=(100, 66, 38))
    sign(im, "MANGOES 3 FOR 50", (220, 40, 560, 100), size=30)
    paste(im, glyph(0x1F469, 200), 40, 200, "fruit-stand", "woman")
    for i, code in enumerate([0x1F96D, 0x1F96D, 0x1F34C, 0x1F96D]):
        paste(im, glyph(code, 70), 240 + i * 75, 185)
    paste(im, glyph(0x1F6B2, 150, flip=True), 565, 280, "fruit-stand", "bicycle")
    paste(im, glyph(0x1F408, 80), 330, 370, "fruit-stand", "cat")
    save(finish(im, 3), "tag-fruit-stand.webp")


def edges():  # partly visible: bus cut off at the right (vehicle), goat behind a crate (animal), "...ARM..."
    im = scene(wall=(220, 214, 200), ground=(150, 140, 120), horizon=330)
    d = ImageDraw.Draw(im)
    sign(im, "PHARMACY", (60, 40, 380, 110), size=44)
    d.ellipse([-60, -30, 168, 165], fill=(70, 130, 60))  # trees hide both ends of the sign
    d.ellipse([268, -20, 480, 165], fill=(60, 120, 55))
    bus = glyph(0x1F68C, 230)
    paste(im, bus, W - bus.width // 2, 190, "edges", "bus")
    paste(im, glyph(0x1F410, 150), 120, 250, "edges", "goat")
    d.rectangle([60, 320, 330, 470], fill=(150, 100, 60), outline=(90, 60, 30), width=5)  # crate hides the goat
    for x in range(60, 330, 45):
        d.line([(x, 320), (x, 470)], fill=(110, 75, 40), width=3)
    save(finish(im, 4), "tag-edges.webp")


def toys():  # none: a teddy bear and a toy kite on a bed
    im = scene(wall=(214, 226, 236), ground=(190, 170, 210), horizon=260)
    paste(im, glyph(0x1F9F8, 200), 160, 190)
    paste(im, glyph(0x1FA80, 120), 430, 270)
    save(finish(im, 5), "tag-toys.webp")


def blur():  # unusable
    im = scene(wall=(150, 130, 110), ground=(100, 90, 80), horizon=250)
    paste(im, glyph(0x1F410, 200), 250, 180)
    im = im.filter(ImageFilter.GaussianBlur(38))
    save(finish(im, 6), "tag-blur.webp", quality=60)


def chickens():  # animal only: live chickens in a basket
    im = scene(wall=(226, 214, 186), ground=(160, 130, 96), horizon=300)
    paste(im, glyph(0x1F413, 150), 200, 170)
    paste(im, glyph(0x1F414, 140, flip=True), 360, 180)
    paste(im, glyph(0x1F9FA, 170), 250, 280)
    save(finish(im, 7), "tag-chickens.webp")


def night():  # vehicle: dark but clear
    im = scene(wall=(40, 44, 60), ground=(30, 30, 34), horizon=280)
    paste(im, glyph(0x1F698, 220), 250, 200)  # oncoming car
    dark = Image.new("RGB", im.size, (0, 0, 10))
    im = Image.blend(im, dark, 0.55)
    save(finish(im, 8), "tag-night.webp")


def boxes_examples():  # the same bag twice: a tight box and a loose box
    im = scene(wall=(232, 230, 224), ground=(176, 150, 120), horizon=300)
    d = ImageDraw.Draw(im)
    a = paste(im, glyph(0x1F392, 190), 90, 170)
    b = paste(im, glyph(0x1F392, 190), 430, 170)
    x, y, w, h = a
    d.rectangle([x - 1, y - 1, x + w + 1, y + h + 1], outline=(0, 150, 60), width=5)
    x, y, w, h = b
    d.rectangle([x - 50, y - 60, x + w + 45, y + h + 55], outline=(210, 30, 30), width=5)
    font = ImageFont.truetype(SANS_BOLD, 34)
    d.text((a[0] + 10, 40), "TIGHT", font=font, fill=(0, 120, 50))
    d.text((b[0] + 10, 40), "LOOSE", font=font, fill=(190, 20, 20))
    save(finish(im, 9), "box-tight-loose.webp")


def boxes_occlusion():  # a mug partly in front of a phone: box each visible part
    im = scene(wall=(226, 232, 226), ground=(150, 120, 90), horizon=300)
    d = ImageDraw.Draw(im)
    ph = paste(im, glyph(0x1F4F1, 240), 200, 130, "occlusion", "phone-full")
    mug = paste(im, glyph(0x2615, 170), 300, 240, "occlusion", "mug")
    # the phone's visible part: from its top to the mug's top on the right side -> keep the whole
    # extent the eye can see (the phone's left and top edges and part of its right edge)
    save(finish(im, 10), "box-occlusion.webp")
    shown = im.copy()
    d = ImageDraw.Draw(shown)
    x, y, w, h = ph
    d.rectangle([x, y, x + w, y + h], outline=(0, 150, 60), width=5)
    x, y, w, h = mug
    d.rectangle([x, y, x + w, y + h], outline=(30, 80, 200), width=5)
    save(finish(shown, 11), "box-occlusion-boxed.webp")


def boxes_practice():  # three products for image_region practice
    im = scene(wall=(236, 230, 218), ground=(166, 118, 78), horizon=300)
    paste(im, glyph(0x1F34C, 130), 70, 300, "practice", "banana")
    paste(im, glyph(0x1F45F, 120), 270, 320, "practice", "shoe")
    paste(im, glyph(0x1F4F1, 170), 540, 250, "practice", "phone")
    save(finish(im, 12), "box-practice.webp")


def boxes_practice2():  # two products, one partly hidden by the other
    im = scene(wall=(224, 228, 236), ground=(120, 124, 130), horizon=300)
    paste(im, glyph(0x1F4BB, 200), 120, 200, "practice2", "laptop")
    paste(im, glyph(0x1F3A7, 130), 420, 270, "practice2", "headphones")
    paste(im, glyph(0x1F45C, 120), 560, 300, "practice2", "handbag")
    save(finish(im, 13), "box-practice-2.webp")


def qual_market():  # person, food, animal
    im = scene(wall=(230, 220, 196), ground=(170, 140, 100), horizon=300)
    paste(im, glyph(0x1F468, 170), 60, 200)
    for i in range(3):
        paste(im, glyph(0x1F34C, 70), 260 + i * 60, 300)
    paste(im, glyph(0x1F404, 170), 470, 240)
    save(finish(im, 21), "q-tag-market.webp")


def qual_tuktuk():  # vehicle, text
    im = scene(wall=(236, 226, 200), ground=(130, 126, 120), horizon=300)
    sign(im, "CHAI 10 RS", (380, 50, 680, 120), size=40)
    paste(im, glyph(0x1F6FA, 200), 80, 220)
    save(finish(im, 22), "q-tag-tuktuk.webp")


def qual_poster_tea():  # text, food (a real cup; the dog is on a poster)
    im = scene(wall=(228, 232, 222), ground=(150, 120, 90), horizon=320)
    d = ImageDraw.Draw(im)
    d.rectangle([60, 30, 400, 300], fill=(250, 250, 245), outline=(40, 40, 40), width=6)
    dog = glyph(0x1F415, 140)
    im.paste(dog, (230 - dog.width // 2, 50), dog)
    font = ImageFont.truetype(SANS_BOLD, 34)
    tw = d.textlength("PET FOOD SALE", font=font)
    d.text((230 - tw / 2, 220), "PET FOOD SALE", font=font, fill=(20, 90, 160))
    paste(im, glyph(0x2615, 130), 500, 300)
    save(finish(im, 23), "q-tag-poster-tea.webp")


def qual_edge():  # vehicle (cut off at the left), animal
    im = scene(wall=(222, 216, 204), ground=(140, 130, 112), horizon=320)
    bus = glyph(0x1F68D, 240)
    paste(im, bus, -bus.width // 2, 200)
    paste(im, glyph(0x1F410, 150), 420, 280)
    save(finish(im, 24), "q-tag-edge.webp")


def qual_hand():  # food, person (a hand at the edge)
    im = scene(wall=(238, 230, 216), ground=(120, 84, 56), horizon=260)
    paste(im, glyph(0x1F355, 180), 260, 260)
    hand = glyph(0x1F91A, 170)
    paste(im, hand, 560, H - hand.height // 2)
    save(finish(im, 25), "q-tag-hand.webp")


def qual_none():  # none: a sofa and a potted plant
    im = scene(wall=(214, 222, 232), ground=(176, 160, 140), horizon=300)
    paste(im, glyph(0x1F6CB, 200), 120, 200)
    paste(im, glyph(0x1FAB4, 190), 470, 200)
    save(finish(im, 26), "q-tag-room.webp")


def exam_bus_stop():  # person, vehicle, text
    im = scene(wall=(210, 220, 226), ground=(120, 120, 118), horizon=310)
    sign(im, "BUS STOP", (40, 40, 300, 110), size=44)
    paste(im, glyph(0x1F9CD, 200, flip=True), 90, 250)
    paste(im, glyph(0x1F68C, 190), 330, 230)
    save(finish(im, 31), "ex-tag-bus-stop.webp")


def exam_goat_market():  # animal, food, text
    im = scene(wall=(236, 224, 198), ground=(172, 142, 104), horizon=300)
    sign(im, "TOMATOES 100/=", (330, 40, 680, 110), size=36)
    paste(im, glyph(0x1F410, 170), 60, 250)
    for i in range(4):
        paste(im, glyph(0x1F345, 66), 380 + i * 70, 300)
    save(finish(im, 32), "ex-tag-goat-market.webp")


def exam_cow_poster():  # none: a picture of a cow with no words, and a toy
    im = scene(wall=(232, 226, 214), ground=(160, 150, 170), horizon=330)
    d = ImageDraw.Draw(im)
    d.rectangle([120, 40, 430, 300], fill=(240, 246, 236), outline=(60, 60, 60), width=6)
    cow = glyph(0x1F404, 170)
    im.paste(cow, (275 - cow.width // 2, 90), cow)
    paste(im, glyph(0x1F9F8, 150), 500, 280)
    save(finish(im, 33), "ex-tag-cow-poster.webp")


SPEECH = {
    # file: list of (voice, speed, text) parts, joined with a short pause
    "au-fees.ogg": [("en+f3", 140, "So, um, I I paid the, uh, the school fees on Monday, and then I bought uniforms.")],
    "au-rice.ogg": [("en+m3", 140, "She bought three kilos of rice for four hundred and fifty shillings.")],
    "au-bus.ogg": [("en+f2", 140, "The bus to Gulu leaves at seven p.m. from the main stage.")],
    "au-chama.ogg": [
        ("en+f3", 140, "Are you coming to the chama meeting on Sunday?"),
        ("en+m3", 140, "Yes, I will come at three."),
    ],
    "au-goats.ogg": [("en+m2", 140, "We have nine cows and twenty three goats.")],
    "au-cashapp.ogg": [("en-us+f3", 145, "I sent forty dollars to Jasmine on Cash App yesterday at ten thirty.")],
    "au-upi.ogg": [("en+m5", 140, "Rahul paid one thousand two hundred rupees by UPI at eight p.m.")],
    "au-boda.ogg": [("en+f4", 140, "The boda boda to Ntinda costs five thousand shillings.")],
    "au-maize.ogg": [("en+m4", 140, "The price of maize went up by fifty percent this year.")],
    "au-eggs.ogg": [("en+f5", 140, "Nakato needs twenty trays of eggs in Kampala by the third of May.")],
    "au-clinic.ogg": [("en-us+m3", 145, "Your appointment at the clinic is on Thursday at nine a.m.")],
    "au-tailor.ogg": [("en+f4", 140, "Your dress is ready at the tailor. The balance is eight hundred shillings.")],
    "au-tiffin.ogg": [("en+m3", 140, "Priya, your tiffin will come at one p.m. every day this week.")],
    "au-pharmacy.ogg": [("en-us+f2", 145, "Your prescription is ready. The copay is fifteen dollars.")],
    "au-fish.ogg": [("en+m3", 140, "The fish from Kisumu costs three hundred shillings a kilo.")],
    "au-train.ogg": [("en+f2", 140, "The train to Mumbai leaves at six forty five a.m.")],
    "au-hours.ogg": [("en-us+m4", 145, "I worked eleven hours this week and earned ninety dollars.")],
    "au-jinja.ogg": [("en+m2", 140, "We have twelve crates of tomatoes for the market in Jinja.")],
}


def speech():
    with tempfile.TemporaryDirectory() as scratch:
        for name, parts in SPEECH.items():
            frames = []
            for index, (voice, speed, text) in enumerate(parts):
                wav = Path(scratch) / f"{index}.wav"
                subprocess.run([ESPEAK, "-v", voice, "-s", str(speed), "-g", "4", "-w", str(wav), text], check=True)  # noqa: S603 (our own fixed program and texts)
                frames.append(wav)
            joined = Path(scratch) / "joined.wav"
            with wave.open(str(frames[0])) as first:
                params = first.getparams()
            with wave.open(str(joined), "wb") as dest:
                dest.setparams(params)
                for index, wav in enumerate(frames):
                    with wave.open(str(wav)) as src:
                        if index:
                            dest.writeframes(b"\x00\x00" * (params.framerate // 3))
                        dest.writeframes(src.readframes(src.getnframes()))
            frames = [joined]
            out = OUT / name
            with av.open(str(out), "w", format="ogg", options={"fflags": "+bitexact"}) as target:
                stream = target.add_stream("libopus", rate=24000, layout="mono")
                stream.bit_rate = 24000
                resampler = av.AudioResampler(format="s16", layout="mono", rate=24000)
                for wav in frames:
                    with av.open(str(wav)) as source:
                        for frame in source.decode(audio=0):
                            for r in resampler.resample(frame):
                                target.mux(stream.encode(r))
                for r in resampler.resample(None):
                    target.mux(stream.encode(r))
                target.mux(stream.encode(None))
            size = out.stat().st_size
            assert size < 40_000, (name, size)
            print(name, size, "bytes")


if __name__ == "__main__":
    for make in (
        street,
        poster,
        fruit_stand,
        edges,
        toys,
        blur,
        chickens,
        night,
        boxes_examples,
        boxes_occlusion,
        boxes_practice,
        boxes_practice2,
        qual_market,
        qual_tuktuk,
        qual_poster_tea,
        qual_edge,
        qual_hand,
        qual_none,
        exam_bus_stop,
        exam_goat_market,
        exam_cow_poster,
    ):
        make()
    speech()
    print(json.dumps(BOXES, indent=1))
