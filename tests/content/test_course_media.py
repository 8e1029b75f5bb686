"""Images and sound in course folders: validation by file:line, import once, lesson HTML."""

import re

from sqlalchemy import func, select

from samaschool.assessments.models import Question
from samaschool.catalog.models import Lesson
from samaschool.content.course_folder import read_courses
from samaschool.content.markdown import render_markdown_with_media
from samaschool.extensions import db
from samaschool.media import transform
from samaschool.media.models import MediaFile
from tests import media_samples
from tests.content.conftest import lesson, write

SHOE = media_samples.png(900, 600, color=(190, 30, 40))
CLIP = media_samples.speech_wav(2.0)
TRANSCRIPT = "Hello, my name is Amina.\n\nI label photos of shoes."


def add_media(course_dir, **files: bytes):
    for name, data in files.items():
        path = course_dir / "first-steps" / "media" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def media_lesson(course_dir, body: str):
    write(course_dir / "first-steps" / "basics" / "hello.md", lesson("Hello", 5, body))


GOOD_BODY = (
    "Look at the shoe:\n\n![A red running shoe on a white floor](../media/shoe.png)\n\n"
    f"```audio media/greeting.wav\n{TRANSCRIPT}\n```\n\nThat is all."
)


def problems_of(root):
    return [str(p) for p in read_courses(root)[1]]


def test_the_validator_names_each_media_problem_by_file_and_line(course_dir):
    add_media(course_dir, **{"shoe.png": SHOE, "fake.png": media_samples.html_as_png(), "greeting.wav": CLIP})
    media_lesson(
        course_dir,
        "Intro.\n\n"  # line 5 (front matter takes lines 1-4)
        "![A shoe](../media/missing.png)\n\n"  # 7
        "![A page](../media/fake.png)\n\n"  # 9
        "![](../media/shoe.png)\n\n"  # 11
        "```audio ../media/greeting.wav\n```\n\n"  # 13
        "![A logo](https://example.org/logo.png)\n\n"  # 16
        "![A secret](../../../../etc/passwd)\n\n"  # 18
        "```audio ../media/shoe.png\nWords.\n```\n",  # 20
    )
    problems = problems_of(course_dir)
    lesson_file = next(p.split(":")[0] for p in problems)
    assert lesson_file.endswith("first-steps/basics/hello.md")
    expected = [
        "7: media file '../media/missing.png' does not exist",
        "9: media/fake.png: this is not an image or sound file we accept",
        "11: the image '../media/shoe.png' needs alt text",
        "13: the audio '../media/greeting.wav' needs a transcript",
        "16: 'https://example.org/logo.png': images and sounds must be files in the course's media/ folder",
        "18: '../../../../etc/passwd' is not in the course's media/ folder",
        "20: '../media/shoe.png' is an image, but a sound file is needed here",
    ]
    for fragment in expected:
        # The media checks name the file itself (media/fake.png, or fake.png) before their reason.
        loose = fragment.replace(" media/fake.png", " (media/)?fake.png")
        assert any(re.match(re.escape(f"{lesson_file}:") + loose, p) for p in problems), (fragment, problems)
    assert len(problems) == len(expected)


def test_the_validator_checks_question_media_by_line(course_dir):
    add_media(course_dir, **{"shoe.png": SHOE, "greeting.wav": CLIP})
    write(
        course_dir / "first-steps" / "questions" / "media.yml",
        """
        - id: label-shoe
          type: image_classification
          text: Which label fits?
          image: {file: ../media/shoe.png}
          choices: [{text: Footwear, correct: true}, {text: Kitchen}]
        - id: hear
          type: single_choice
          text: Who speaks?
          audio:
            file: ../media/greeting.wav
          choices: [{text: Amina, correct: true}, {text: Baraka}]
        - id: gone
          type: image_region
          text: Mark it.
          image:
            alt: A shoe
            file: media/nothing.png
          region: {x: 0, y: 0, w: 10, h: 10}
        - id: outside
          type: image_region
          text: Mark it.
          image: {file: media/shoe.png, alt: A shoe}
          region: {x: 850, y: 0, w: 100, h: 10}
        - id: inline
          type: true_false
          text: "Is this a shoe? ![A shoe](../media/shoe.png)"
          answer: true
        """,
    )
    problems = problems_of(course_dir)
    bank = "first-steps/questions/media.yml"
    expected = [
        f"{bank}:4: question 'label-shoe': the image needs 'alt' text",
        f"{bank}:9: question 'hear': the audio needs a 'transcript'",
        f"{bank}:17: media file 'media/nothing.png' does not exist",
        f"{bank}:23: question 'outside': 'region' must lie inside the image (900 × 600 pixels)",
        f"{bank}:24: question 'inline': show an image with the 'image' field",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert len(problems) == len(expected)


def test_validate_reports_and_writes_nothing(app, course_dir):
    add_media(course_dir, **{"shoe.png": media_samples.php_as_png()})
    media_lesson(course_dir, "![A shoe](../media/shoe.png)")
    result = app.test_cli_runner().invoke(args=["courses", "import", str(course_dir)])
    assert result.exit_code == 1
    assert re.search(r"basics/hello\.md:5: (media/)?shoe\.png: this is not an image or sound file", result.output)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MediaFile)) == 0


def import_twice(app, course_dir):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["courses", "import", str(course_dir)])
    assert first.exit_code == 0, first.output
    encodes = transform.ENCODES
    second = runner.invoke(args=["courses", "import", str(course_dir)])
    assert second.exit_code == 0, second.output
    return first.output, second.output, transform.ENCODES - encodes


def test_import_stores_each_file_once_and_a_second_import_encodes_nothing(app, course_dir):
    add_media(course_dir, **{"shoe.png": SHOE, "greeting.wav": CLIP, "unused.png": media_samples.png(10, 10)})
    media_lesson(course_dir, GOOD_BODY + "\n\nAgain: ![The same shoe](media/shoe.png)")
    write(
        course_dir / "first-steps" / "questions" / "media.yml",
        """
        - id: label-shoe
          type: image_classification
          text: Which label fits?
          image: {file: ../media/shoe.png, alt: A red running shoe}
          choices: [{text: Footwear, correct: true}, {text: Kitchen}]
        """,
    )
    first, second, encodes = import_twice(app, course_dir)
    assert "media files: 2 new, 0 unchanged" in first
    assert "media files: 0 new, 2 unchanged" in second and encodes == 0
    assert "lessons: 0 new, 0 updated, 3 unchanged" in second  # the same HTML again
    with app.app_context():
        files = {m.original_name: m for m in db.session.scalars(select(MediaFile))}
        assert set(files) == {"shoe.png", "greeting.wav"}  # a file nothing names is not imported
        question = db.session.scalar(select(Question).where(Question.key == "label-shoe"))
        assert question.data["image"] == {
            "key": files["shoe.png"].key,
            "alt": "A red running shoe",
            "width": 900,
            "height": 600,
        }


def test_a_changed_file_under_the_same_name_changes_the_lesson(app, course_dir):
    add_media(course_dir, **{"shoe.png": SHOE, "greeting.wav": CLIP})
    media_lesson(course_dir, GOOD_BODY)
    import_twice(app, course_dir)
    add_media(course_dir, **{"shoe.png": media_samples.png(900, 600, color=(20, 90, 190))})
    result = app.test_cli_runner().invoke(args=["courses", "import", str(course_dir)])
    assert "media files: 1 new, 1 unchanged" in result.output and "1 updated" in result.output
    with app.app_context():
        new_key = db.session.scalar(select(MediaFile.key).order_by(MediaFile.id.desc()).limit(1))
        assert new_key in db.session.scalar(select(Lesson.body_html).where(Lesson.slug == "hello"))


def test_a_lesson_shows_a_lazy_picture_and_an_audio_player_with_its_size_and_transcript(app, course_dir, make, auth):
    add_media(course_dir, **{"shoe.png": SHOE, "greeting.wav": CLIP})
    media_lesson(course_dir, GOOD_BODY)
    assert app.test_cli_runner().invoke(args=["courses", "import", str(course_dir)]).exit_code == 0
    user = make.user()
    auth.login(user.email)
    client = auth._client
    client.submit("/courses/first-steps/enrol", page="/courses/first-steps")
    page = client.get("/courses/first-steps/lessons/hello").get_data(as_text=True)
    with app.app_context():
        shoe = db.session.scalar(select(MediaFile).where(MediaFile.kind == "image"))
        clip = db.session.scalar(select(MediaFile).where(MediaFile.kind == "audio"))
        shoe_360, shoe_720, opus = shoe.url("webp360"), shoe.url("webp720"), clip.url("opus")
        size = clip.size_text("opus")
    picture = re.search(r"<picture>.*?</picture>", page, re.S).group(0)
    assert f'srcset="{shoe_360} 360w, {shoe_720} 720w"' in picture
    assert 'loading="lazy"' in picture and 'decoding="async"' in picture
    assert 'alt="A red running shoe on a white floor"' in picture and 'width="720" height="480"' in picture
    assert '<audio controls preload="none"' in page and f'src="{opus}"' in page
    assert f"Listen ({size})" in page
    details = re.search(r"<details><summary>Transcript</summary>(.*?)</details>", page, re.S).group(1)
    assert details == "<p>Hello, my name is Amina.</p><p>I label photos of shoes.</p>"
    for url in (shoe_360, opus):
        assert client.get(url).status_code == 200


def test_authors_cannot_smuggle_media_markup_or_sources_past_the_sanitiser():
    html = render_markdown_with_media(
        '<picture><source srcset="https://evil.example/x.webp"></picture>\n\n'
        '<audio src="https://evil.example/a.ogg" autoplay></audio>\n\n'
        '<img src="https://evil.example/pixel.gif" alt="">\n\n'
        "<details open><summary>x</summary></details>\n\n"
        "![Fine](../media/ok.png)\n\n"
        "```audio ../media/a.ogg\n<script>alert(1)</script>\n```\n",
        lambda src, alt: f"[image {src} {alt}]",
        lambda src, transcript: f"[audio {src} {len(transcript)}]",
    )
    assert "evil.example" not in html and "<picture" not in html and "<audio" not in html
    assert "<details" not in html and "<script" not in html and "<img" not in html
    assert "[image ../media/ok.png Fine]" in html and "[audio ../media/a.ogg 25]" in html
