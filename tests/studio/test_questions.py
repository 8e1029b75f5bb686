"""The studio's question bank: a form for every question type, checked by the folder validator,
saved by editing only that question's lines; preview; removal; GIFT files; who may do what."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from samaschool.assessments.question_types import REGISTRY
from samaschool.catalog.models import Course
from samaschool.content.checks import Checker
from samaschool.content.course_folder import read_course
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.studio import files
from tests import media_samples
from tests.studio.helpers import studio_course

BANK = """\
# Questions for the basics module.
- id: q-one
  type: single_choice
  lesson: first-lesson
  tags: [basics]
  text: Which answer is right?
  choices:
    - text: Right answer
      correct: true
    - text: Wrong answer   # a tempting one
- id: q-two
  type: true_false
  lesson: second-lesson
  tags: [basics]
  text: A label names what the item is.
  answer: true

# Only in the exam.
- id: q-three
  type: short_answer
  lesson: second-lesson
  tags: [exam-only]
  text: What three letters end a PDF file's name?
  answers: [pdf]
"""


def _course(app, make, owner=None, co_trainers=(), bank: str = BANK):
    course = studio_course(app, make, owner, co_trainers)
    with app.app_context():
        row = files.get(db.session.get(Course, course.id), "questions/bank.yml")
        row.text = bank
        row.version += 1
        db.session.commit()
    return course


def _text(app, course, path: str) -> str | None:
    with app.app_context():
        row = files.get(db.session.get(Course, course.id), path)
        return row.text if row is not None else None


def _version(app, course, path: str) -> int:
    with app.app_context():
        return files.get(db.session.get(Course, course.id), path).version


def _validated(app, course):
    """The working copy as `courses validate` reads it: the course spec, or the problems."""
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        folder = files.materialize(db.session.get(Course, course.id), Path(tmp))
        checker = Checker()
        spec = read_course(folder, checker)
        assert not checker.problems, [str(p) for p in checker.problems]
        return spec


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def _login(auth, user):
    auth.login(user.email)


# --- A form for every type ------------------------------------------------------------------------------------------

FORMS = {
    "single_choice": {
        "choice-0-text": "Green mango bus window",
        "choice-0-feedback": "Four words make a long passphrase.",
        "correct": "0",
        "choice-1-text": "Nairobi2024",
        "choice-2-text": "",
    },
    "multiple_response": {
        "scoring": "partial",
        "choice-0-text": "You must pay a fee first",
        "choice-0-correct": "1",
        "choice-1-text": "The client moves you to WhatsApp",
        "choice-1-correct": "1",
        "choice-2-text": "The post lists the hourly rate",
    },
    "true_false": {"answer": "false", "feedback_correct": "Right.", "feedback_wrong": "Public Wi-Fi can be watched."},
    "short_answer": {
        "answer-0-text": "pdf",
        "answer-1-text": ".pdf",
        "answer-2-text": "portable document format",
        "answer-2-weight": "50",
        "pattern": r"^\.?pdf$",
    },
    "numeric": {"number": "45", "tolerance": "0.5"},
    "ordering": {
        "item-0-text": "Greet the client",
        "item-1-text": "Show you understood",
        "item-2-text": "Give a price",
    },
    "matching": {
        "pair-0-left": "Gold task",
        "pair-0-right": "A task whose answer is known",
        "pair-1-left": "Label",
        "pair-1-right": "The answer you give",
        "pair-1-feedback": "Yes: one item's answer.",
    },
    "transcription": {"reference": "The delivery is on Tuesday at 3 o'clock.", "max_error_percent": "10"},
    "image_classification": {
        "image_alt": "A red square",
        "choice-0-text": "Red",
        "correct": "0",
        "choice-1-text": "Blue",
    },
    "audio_transcription": {"reference": "A steady tone.", "max_error_percent": "20"},
    "image_region": {
        "image_alt": "A red square",
        "region_x": "10",
        "region_y": "5",
        "region_w": "30",
        "region_h": "20",
        "min_iou_percent": "60",
    },
}
UPLOADS = {
    "image_classification": {"image_upload": (media_samples.png, "square.png")},
    "image_region": {"image_upload": (media_samples.png, "square.png")},
    "audio_transcription": {"audio_upload": (media_samples.wav, "tone.wav")},
}


def test_every_question_type_has_a_form_here_and_a_description_in_the_studio():
    from samaschool.studio.question_forms import TYPE_DESCRIPTIONS

    assert set(FORMS) == set(REGISTRY) == set(TYPE_DESCRIPTIONS)


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_a_form_for_each_type_saves_a_question_the_folder_validator_accepts(client, auth, make, app, kind):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    url = f"/studio/{course.slug}/questions/new?type={kind}"
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "id": f"new-{kind.replace('_', '-')}",
        "lesson": "first-lesson",
        "tags": "basics, practice",
        "points": "2",
        "text": "Answer this **well**.\nIt has two lines.",
        "explanation": "Because.",
        "file": "__new__",
        "new_file": "practice",
        "action": "save",
        **FORMS[kind],
    }
    for field, (make_bytes, name) in UPLOADS.get(kind, {}).items():
        data[field] = (io.BytesIO(make_bytes()), name)
    saved = client.submit(url, data, content_type="multipart/form-data")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert saved.headers["Location"].endswith(f"/studio/{course.slug}/questions/{data['id']}")

    spec = _validated(app, course)
    question = next(q for q in spec.questions if q.key == data["id"])
    assert question.type == kind and question.points == 2 and question.tags == ["basics", "practice"]
    assert question.lesson == "first-lesson" and question.file.endswith("questions/practice.yml")
    assert "<strong>well</strong>" in question.text_html
    expected = {
        "single_choice": lambda d: [c["correct"] for c in d["choices"]] == [True, False],
        "multiple_response": lambda d: d["scoring"] == "partial" and sum(c["correct"] for c in d["choices"]) == 2,
        "true_false": lambda d: d["answer"] is False,
        "short_answer": lambda d: d["answers"] == ["pdf", ".pdf"] and d["partial"][0]["weight"] == 50,
        "numeric": lambda d: d["answer"] == 45 and d["tolerance"] == 0.5,
        "ordering": lambda d: len(d["items"]) == 3,
        "matching": lambda d: (
            [p["right_text"] for p in d["pairs"]] == ["A task whose answer is known", "The answer you give"]
        ),
        "transcription": lambda d: d["reference"].startswith("The delivery"),
        "image_classification": lambda d: d["image"]["alt"] == "A red square" and d["image"]["width"] == 64,
        "audio_transcription": lambda d: d["reference"] == "A steady tone." and "key" in d["audio"],
        "image_region": lambda d: d["region"] == [10, 5, 40, 25] and d["min_iou_percent"] == 60,
    }[kind]
    assert expected(question.data), question.data
    # The edit page shows what was saved, and saving it again unchanged changes nothing.
    edit = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Answer this **well**." in edit
    before = _text(app, course, "questions/practice.yml")
    again = client.submit(
        saved.headers["Location"],
        _edit_form(edit, kind) | {"action": "save"},
        content_type="multipart/form-data",
    )
    assert again.status_code == 302
    assert _text(app, course, "questions/practice.yml") == before


def _edit_form(html: str, kind: str) -> dict:
    """Every field of an edit page as a browser would send it back (text inputs, textareas,
    checked boxes and radios, selected options)."""
    form = html[html.index('<form method="post" enctype') :]
    form = form[: form.index("</form>")]
    data: dict[str, str | list] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        kind_of = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = (re.search(r'value="([^"]*)"', tag) or [None, ""])[1]
        if kind_of in ("checkbox", "radio") and " checked" not in tag:
            continue
        if kind_of == "file":
            continue
        data[name.group(1)] = _unescape(value)
    for name, value in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = _unescape(value)
    for name, options in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option value="([^"]*)" selected', options)
        data[name] = _unescape(selected.group(1)) if selected else ""
    return data


def _unescape(value: str) -> str:
    import html

    return html.unescape(value)


# --- Kept values, field errors, preview -----------------------------------------------------------------------------


def test_bad_input_keeps_the_values_and_shows_problems_next_to_the_fields(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    url = f"/studio/{course.slug}/questions/new?type=single_choice"
    before = _version(app, course, "questions/bank.yml")
    response = client.submit(
        url,
        {
            "id": "bad id!",
            "lesson": "",
            "text": "Which is the safest password?",
            "file": "questions/bank.yml",
            "choice-0-text": "hunter2",
            "choice-1-text": "hunter2",
            "choice-2-text": "Four random words",
            "choice-2-feedback": "Long and easy to remember.",
            "action": "save",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    assert 'value="bad id!"' in page and "Which is the safest password?" in page
    assert 'value="Four random words"' in page and 'value="Long and easy to remember."' in page
    # Each problem sits next to its field: the id, the lesson, the repeated choice.
    assert re.search(r'id="err-id">Use letters, digits', page)
    assert re.search(r'id="err-lesson">Choose the lesson', page)
    assert re.search(r"id=\"err-choices-1\">choice &#39;hunter2&#39; appears twice", page)
    assert _version(app, course, "questions/bank.yml") == before

    # A question with no right choice: the validator's message, next to the choices.
    response = client.submit(
        url,
        {
            "id": "pw-safest",
            "lesson": "first-lesson",
            "text": "Which is the safest password?",
            "file": "questions/bank.yml",
            "choice-0-text": "hunter2",
            "choice-1-text": "Four random words",
            "action": "save",
        },
    )
    assert response.status_code == 422
    assert re.search(
        r'id="err-choices">a single_choice question needs exactly one choice', response.get_data(as_text=True)
    )
    # An id the bank already has, and a new file name that exists.
    response = client.submit(
        url,
        {
            "id": "q-one",
            "lesson": "first-lesson",
            "text": "Again?",
            "file": "__new__",
            "new_file": "bank",
            "choice-0-text": "Yes",
            "correct": "0",
            "choice-1-text": "No",
            "action": "save",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Another question already has this id (in questions/bank.yml)" in page
    assert "questions/bank.yml already exists" in page
    assert _version(app, course, "questions/bank.yml") == before


def test_preview_shows_the_question_as_learners_see_it_without_saving(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    url = f"/studio/{course.slug}/questions/new?type=single_choice"
    before = _text(app, course, "questions/bank.yml")
    response = client.submit(
        url,
        {
            "id": "",
            "lesson": "first-lesson",
            "text": "Which password is **strongest**?",
            "file": "questions/bank.yml",
            "choice-0-text": "green mango bus window",
            "correct": "0",
            "choice-1-text": "P@ssw0rd!",
            "explanation": "Length beats cleverness.",
            "action": "preview",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    preview = page[page.index('id="preview-heading"') : page.index('<form method="post" enctype')]
    assert "<strong>strongest</strong>" in preview
    assert re.search(
        r'<input type="radio" name="qpreview" value="[0-9a-f]{10}"> <span><p>green mango bus window', preview
    )
    assert "Length beats cleverness." in preview and "green mango bus window" in preview.split("The right answer")[1]
    assert 'value="green mango bus window"' in page[page.index('<form method="post" enctype') :]  # the form keeps it
    assert _text(app, course, "questions/bank.yml") == before

    saved = client.get(f"/studio/{course.slug}/questions/q-one/preview")
    assert saved.status_code == 200
    assert "Right answer" in saved.get_data(as_text=True) and 'name="qpreview"' in saved.get_data(as_text=True)
    assert client.get(f"/studio/{course.slug}/questions/no-such/preview").status_code == 404


# --- Editing in place, conflicts, replays ---------------------------------------------------------------------------


def test_an_edit_changes_only_that_questions_lines(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    url = f"/studio/{course.slug}/questions/q-two"
    form = _edit_form(client.get(url).get_data(as_text=True), "true_false")
    assert form["answer"] == "true" and form["lesson"] == "second-lesson" and form["tags"] == "basics"
    response = client.submit(url, form | {"answer": "false", "feedback_wrong": "Yes: on: no.", "action": "save"})
    assert response.status_code == 302
    after = _text(app, course, "questions/bank.yml")
    before_lines, after_lines = BANK.splitlines(), after.splitlines()
    start = before_lines.index("- id: q-two")
    assert after_lines[:start] == before_lines[:start]  # q-one and the comments, byte for byte
    assert after_lines[-8:] == before_lines[-8:]  # the blank line, "# Only in the exam." and q-three
    assert "  answer: false" in after_lines and "  feedback_wrong: 'Yes: on: no.'" in after_lines
    spec = _validated(app, course)
    q_two = next(q for q in spec.questions if q.key == "q-two")
    assert q_two.data["answer"] is False and "on: no." in q_two.data["feedback_wrong_html"]


def test_a_stale_form_gets_a_conflict_and_keeps_what_was_typed(client, auth, make, app):
    owner, colleague = make.user(Role.TRAINER, name="Owner Trainer"), make.user(Role.TRAINER, name="Wanjiru Co")
    course = _course(app, make, owner, co_trainers=[colleague])
    url = f"/studio/{course.slug}/questions/q-one"
    _login(auth, owner)
    mine = _edit_form(client.get(url).get_data(as_text=True), "single_choice")
    theirs_client = app.test_client()
    theirs_client.submit("/account/login", {"email": colleague.email, "password": "correct horse battery staple"})
    theirs = _edit_form(theirs_client.get(url).get_data(as_text=True), "single_choice")
    assert theirs_client.submit(url, theirs | {"text": "Their better wording?", "action": "save"}).status_code == 302

    response = client.submit(url, mine | {"text": "My own wording?", "action": "save"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Wanjiru Co saved questions/bank.yml after you opened it. Nothing was overwritten" in page
    assert "My own wording?" in page and "Their better wording?" in page  # mine in the form, theirs beside it
    assert "Their better wording?" in _text(app, course, "questions/bank.yml")
    # Saving again from the conflict page means "mine wins".
    again = client.submit(url, _edit_form(page, "single_choice") | {"action": "save"})
    assert again.status_code == 302
    assert "My own wording?" in _text(app, course, "questions/bank.yml")

    # Someone saving ANOTHER question of the same file is no conflict: both changes stay.
    stale = _edit_form(client.get(url).get_data(as_text=True), "single_choice")
    other = f"/studio/{course.slug}/questions/q-three"
    other_form = _edit_form(theirs_client.get(other).get_data(as_text=True), "short_answer")
    assert theirs_client.submit(other, other_form | {"answer-1-text": "PDF file", "action": "save"}).status_code == 302
    assert client.submit(url, stale | {"explanation": "Mine.", "action": "save"}).status_code == 302
    text = _text(app, course, "questions/bank.yml")
    assert "explanation: Mine." in text and "PDF file" in text
    _validated(app, course)


def test_a_question_removed_while_it_was_being_edited_keeps_what_was_typed(client, auth, make, app):
    owner, colleague = make.user(Role.TRAINER), make.user(Role.TRAINER)
    course = _course(app, make, owner, co_trainers=[colleague])
    _login(auth, owner)
    new = f"/studio/{course.slug}/questions/new?type=true_false"
    data = {"id": "doomed", "lesson": "first-lesson", "text": "Soon gone.", "answer": "true"}
    assert client.submit(new, data | {"file": "questions/bank.yml", "action": "save"}).status_code == 302
    url = f"/studio/{course.slug}/questions/doomed"
    mine = _edit_form(client.get(url).get_data(as_text=True), "true_false")
    other = app.test_client()
    other.submit("/account/login", {"email": colleague.email, "password": "correct horse battery staple"})
    assert other.submit(f"{url}/remove", page=url).status_code == 302
    response = client.submit(url, mine | {"text": "My careful rewording.", "action": "save"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "was removed by someone else after you opened it. Nothing was saved." in page
    assert "My careful rewording." in page and 'name="id" value="doomed"' in page
    assert f'action="/studio/{course.slug}/questions/new?type=true_false"' in page  # saving adds it again
    again = client.submit(new, _edit_form(page, "true_false") | {"action": "save"}, page=new)
    assert again.status_code == 302
    assert "My careful rewording." in _text(app, course, "questions/bank.yml")


def test_a_replayed_post_changes_nothing_twice(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    new = f"/studio/{course.slug}/questions/new?type=true_false"
    data = {"id": "q-four", "lesson": "first-lesson", "text": "Labels are answers.", "answer": "true"}
    data |= {"file": "questions/bank.yml", "action": "save"}
    token = client.csrf_token(new)
    first = client.post(new, data=data | {"csrf_token": token})
    assert first.status_code == 302
    version = _version(app, course, "questions/bank.yml")
    second = client.post(new, data=data | {"csrf_token": token}, follow_redirects=True)
    assert second.status_code == 200 and "Nothing changed" in second.get_data(as_text=True)
    assert _version(app, course, "questions/bank.yml") == version
    assert _text(app, course, "questions/bank.yml").count("id: q-four") == 1

    edit = f"/studio/{course.slug}/questions/q-four"
    form = _edit_form(client.get(edit).get_data(as_text=True), "true_false") | {"text": "Labels are answers!"}
    form |= {"action": "save", "csrf_token": token}
    assert client.post(edit, data=form).status_code == 302
    version = _version(app, course, "questions/bank.yml")
    replay = client.post(edit, data=form, follow_redirects=True)  # the same stale form again: no conflict
    assert replay.status_code == 200 and "Nothing changed" in replay.get_data(as_text=True)
    assert _version(app, course, "questions/bank.yml") == version

    remove = {"csrf_token": token, "version": str(version)}
    assert client.post(f"{edit}/remove", data=remove).status_code == 302
    version = _version(app, course, "questions/bank.yml")
    again = client.post(f"{edit}/remove", data=remove, follow_redirects=True)
    assert "is not in the draft" in again.get_data(as_text=True)
    assert _version(app, course, "questions/bank.yml") == version


def test_removal_is_refused_while_a_quiz_lists_the_question(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    page = client.get(f"/studio/{course.slug}/questions/q-one").get_data(as_text=True)
    assert "It cannot be removed while a quiz lists it" in page and "basics/quiz.yml" in page
    response = client.submit(f"/studio/{course.slug}/questions/q-one/remove", page=f"/studio/{course.slug}/questions")
    assert response.status_code == 302
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "q-one is in basics/quiz.yml, exam.yml: take it out of the quiz first" in followed
    assert "id: q-one" in _text(app, course, "questions/bank.yml")

    # A question no quiz lists goes; the last question of a file takes the file with it.
    new = f"/studio/{course.slug}/questions/new?type=true_false"
    data = {"id": "alone", "lesson": "first-lesson", "text": "Alone?", "answer": "true"}
    assert client.submit(new, data | {"file": "__new__", "new_file": "spare", "action": "save"}).status_code == 302
    assert _text(app, course, "questions/spare.yml") is not None
    _validated(app, course)
    removed = client.submit(f"/studio/{course.slug}/questions/alone/remove", page=f"/studio/{course.slug}/questions")
    assert removed.status_code == 302 and removed.headers["Location"].endswith("/questions")
    assert _text(app, course, "questions/spare.yml") is None
    _validated(app, course)


# --- Media ----------------------------------------------------------------------------------------------------------


def test_a_php_file_renamed_png_is_refused_on_an_image_question(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    url = f"/studio/{course.slug}/questions/new?type=image_classification"
    before = _version(app, course, "questions/bank.yml")
    response = client.submit(
        url,
        {
            "id": "photo-dept",
            "lesson": "first-lesson",
            "text": "Which department?",
            "file": "questions/bank.yml",
            "image_upload": (io.BytesIO(media_samples.php_as_png()), "shoe.png"),
            "image_alt": "A shoe",
            "choice-0-text": "Shoes",
            "correct": "0",
            "choice-1-text": "Garden",
            "action": "save",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="err-image">shoe.png: ', page)
    assert 'value="photo-dept"' in page and 'value="A shoe"' in page and 'value="Shoes"' in page
    assert _version(app, course, "questions/bank.yml") == before
    with app.app_context():
        assert not [p for p in files.rows(db.session.get(Course, course.id)) if p.startswith("media/")]

    # Without any image the validator says the type needs one.
    response = client.submit(
        url,
        {"id": "photo-dept", "lesson": "first-lesson", "text": "Which department?", "file": "questions/bank.yml"}
        | {"choice-0-text": "Shoes", "correct": "0", "choice-1-text": "Garden", "action": "save"},
    )
    assert response.status_code == 422
    assert "this question type needs an &#39;image&#39;" in response.get_data(as_text=True)


def _multipart(fields: dict[str, str], uploads: dict[str, tuple[bytes, str]]) -> tuple[bytes, str]:
    """A multipart body built here: the test client spools large ones to a file it never closes."""
    parts = [
        f'--x\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for name, (data, filename) in uploads.items():
        head = f'--x\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n\r\n'.encode()
        parts.append(head + data + b"\r\n")
    return b"".join(parts) + b"--x--\r\n", "multipart/form-data; boundary=x"


def test_a_large_photo_is_taken_by_the_question_form_beyond_the_apps_2_mb_cap(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    photo = media_samples.photo_png()
    assert len(photo) > app.config["MAX_CONTENT_LENGTH"]
    url = f"/studio/{course.slug}/questions/new?type=image_region"
    fields = {
        "csrf_token": client.csrf_token(url),
        "id": "mark-it",
        "lesson": "first-lesson",
        "text": "Mark the brightest shape.",
        "file": "questions/bank.yml",
        "image_alt": "Coloured shapes under a blue sky",
        "region_x": "100",
        "region_y": "100",
        "region_w": "400",
        "region_h": "300",
        "action": "save",
    }
    body, content_type = _multipart(fields, {"image_upload": (photo, "Field Photo.PNG")})
    response = client.post(url, data=body, content_type=content_type)
    assert response.status_code == 302
    question = next(q for q in _validated(app, course).questions if q.key == "mark-it")
    assert (question.data["image"]["width"], question.data["image"]["height"]) == (1600, 1200)
    assert "file: ../media/field-photo.png" in _text(app, course, "questions/bank.yml")


def test_a_course_outside_the_studio_gets_no_files_from_its_bank_pages(client, auth, make, app):
    admin = make.user(Role.ADMIN)
    course = make.course("made-by-hand")
    _login(auth, admin)
    assert "not in the studio yet" in client.get("/studio/made-by-hand/questions").get_data(as_text=True)
    token = client.csrf_token("/studio/made-by-hand/questions")
    data = {"csrf_token": token, "id": "q", "lesson": "lesson-1-1", "text": "Yes?", "answer": "true", "action": "save"}
    assert client.post("/studio/made-by-hand/questions/new?type=true_false", data=data).status_code == 404
    assert client.post("/studio/made-by-hand/quizzes/exam", data={"csrf_token": token, "title": "X"}).status_code == 404
    with app.app_context():
        assert not files.has_working_copy(db.session.get(Course, course.id))


# --- GIFT -----------------------------------------------------------------------------------------------------------

GIFT = """\
$CATEGORY: passwords

::pw-long::Which password is hardest to guess? {
  =green mango bus window#Four unrelated words.
  ~Nairobi2024
}

::tf-wifi::Public Wi-Fi is safe for mobile money. {F}

::fee::A client pays 50 and the fee is 10%. How much do you get? {#45:0}
"""


def _import(client, course, text: str, **fields):
    data = {"gift": (io.BytesIO(text.encode()), "bank.gift"), **fields}
    return client.submit(
        f"/studio/{course.slug}/questions/import",
        data,
        page=f"/studio/{course.slug}/questions",
        content_type="multipart/form-data",
    )


def test_gift_import_adds_a_checked_file_to_the_bank(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    response = _import(client, course, GIFT, name="passwords", lesson="first-lesson")
    assert response.status_code == 302
    assert "3 questions imported into questions/passwords.yml" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    spec = _validated(app, course)
    imported = {q.key: q for q in spec.questions if q.file.endswith("passwords.yml")}
    assert set(imported) == {"pw-long", "tf-wifi", "fee"}
    assert imported["fee"].type == "numeric" and imported["pw-long"].tags == ["passwords"]
    assert {q.lesson for q in imported.values()} == {"first-lesson"}
    # Sent again, the same import adds nothing.
    again = _import(client, course, GIFT, name="passwords", lesson="first-lesson")
    assert again.status_code == 302
    assert "already in questions/passwords.yml" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert _text(app, course, "questions/passwords-2.yml") is None


def test_gift_problems_are_listed_by_line_and_nothing_is_written(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    bad = GIFT + "\n::essay::Tell us about yourself. {}\n\n::q-one::Clash with the bank? {T}\n"
    response = _import(client, course, bad, name="imported")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nothing was imported" in page
    assert "<code>bank.gift:12</code> question &#39;essay&#39;: essay questions ({}) are not supported" in page
    assert "<code>bank.gift:14</code> question id &#39;q-one&#39; is already in the bank (questions/bank.yml)" in page
    assert _text(app, course, "questions/imported.yml") is None

    # Skipping what cannot be imported still refuses an id the bank has...
    assert _import(client, course, bad, name="imported", skip_unsupported="y").status_code == 422
    assert _text(app, course, "questions/imported.yml") is None
    # ...and without the clash imports the rest, listing what it skipped.
    skipping = _import(client, course, bad.replace("::q-one::", "::q-five::"), name="imported", skip_unsupported="y")
    assert skipping.status_code == 302
    listed = client.get(skipping.headers["Location"]).get_data(as_text=True)
    assert "4 questions imported" in listed and "bank.gift:12: question &#39;essay&#39;" in listed
    assert "id: q-five" in _text(app, course, "questions/imported.yml")


def test_gift_export_writes_the_draft_bank_and_says_what_it_left_out(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    response = client.get(f"/studio/{course.slug}/questions.gift")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{course.slug}-questions.gift"'
    text = response.get_data(as_text=True)
    assert "::q-one::[markdown]Which answer is right?" in text and "::q-three::" in text
    assert "// 'q-one' (single_choice): GIFT cannot keep 'lesson'" in text
    bank = client.get(f"/studio/{course.slug}/questions").get_data(as_text=True)
    assert "3 things GIFT cannot hold" in bank

    # The export imports into another course as the same questions (lessons aside).
    other = _course(
        app, make, owner, bank="- id: seed\n  type: true_false\n  lesson: first-lesson\n  text: Seed.\n  answer: true\n"
    )
    assert _import(client, other, text, name="from-export").status_code == 302
    exported = {q.key: q for q in _validated(app, course).questions}
    imported = {q.key: q for q in _validated(app, other).questions if q.file.endswith("from-export.yml")}
    assert set(imported) == {"q-one", "q-two", "q-three"}
    assert all(imported[key].data == exported[key].data for key in imported)


# --- The bank page --------------------------------------------------------------------------------------------------


def test_the_bank_lists_and_filters_questions_with_the_quizzes_that_use_them(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    page = client.get(f"/studio/{course.slug}/questions").get_data(as_text=True)
    for key in ("q-one", "q-two", "q-three"):
        assert f'/studio/{course.slug}/questions/{key}">{key}</a>' in page
    row = page[page.index(">q-one</a>") : page.index(">q-two</a>")]
    assert "Check the basics" in row and "Final exam" in row and "First lesson" in row
    for name in REGISTRY:
        assert f"/questions/new?type={name}" in client.get(f"/studio/{course.slug}/questions/new").get_data(
            as_text=True
        )
    tagged = client.get(f"/studio/{course.slug}/questions?tag=exam-only").get_data(as_text=True)
    assert ">q-three</a>" in tagged and ">q-one</a>" not in tagged and "1 of 3 questions" in tagged
    typed = client.get(f"/studio/{course.slug}/questions?type=true_false").get_data(as_text=True)
    assert ">q-two</a>" in typed and ">q-three</a>" not in typed


# --- Who may do what ------------------------------------------------------------------------------------------------


def _routes(app, course) -> list[tuple[str, str, dict]]:
    base = f"/studio/{course.slug}"
    question = {"lesson": "first-lesson", "text": "Yes?", "answer": "true", "file": "questions/bank.yml"}

    def version(path):  # read when the request is made, as a page loaded just before would have it
        return lambda: str(_version(app, course, path))

    return [
        ("GET", f"{base}/questions", {}),
        ("GET", f"{base}/questions.gift", {}),
        ("GET", f"{base}/questions/new", {}),
        ("GET", f"{base}/questions/new?type=true_false", {}),
        ("POST", f"{base}/questions/new?type=true_false", question | {"id": "made", "action": "save"}),
        ("GET", f"{base}/questions/q-two", {}),
        (
            "POST",
            f"{base}/questions/q-two",
            question | {"action": "save", "answer": "false", "version": version("questions/bank.yml")},
        ),
        ("GET", f"{base}/questions/q-two/preview", {}),
        ("POST", f"{base}/questions/import", {"gift": lambda: (io.BytesIO(b"::g1::Sure? {T}\n"), "g.gift")}),
        ("POST", f"{base}/questions/made/remove", {}),
        ("GET", f"{base}/quizzes", {}),
        ("GET", f"{base}/quizzes/basics", {}),
        (
            "POST",
            f"{base}/quizzes/basics",
            {"title": "Quiz", "mode": "questions", "questions": "q-one", "version": version("basics/quiz.yml")},
        ),
    ]


def test_every_route_needs_a_trainer_of_this_course_or_an_admin(app, make):
    owner, co_trainer = make.user(Role.TRAINER), make.user(Role.TRAINER)
    stranger, learner, admin = make.user(Role.TRAINER), make.user(), make.user(Role.ADMIN)
    course = _course(app, make, owner, co_trainers=[co_trainer])
    studio_course(app, make, stranger)  # a trainer, of another course
    routes = _routes(app, course)
    for who, user, allowed in (
        ("anonymous", None, False),
        ("learner", learner, False),
        ("trainer of another course", stranger, False),
        ("co-trainer", co_trainer, True),
        ("admin", admin, True),
    ):
        client = app.test_client()
        if user is not None:
            client.submit("/account/login", {"email": user.email, "password": "correct horse battery staple"})
        for method, url, data in routes:
            if method == "GET":
                response = client.get(url)
            else:
                token = client.csrf_token("/account/password" if user else "/account/login")
                sent = {key: value() if callable(value) else value for key, value in data.items()}
                response = client.post(url, data=sent | {"csrf_token": token}, content_type="multipart/form-data")
            if user is None:
                assert response.status_code == 302 and "/account/login" in response.headers["Location"], (who, url)
            elif not allowed:
                assert response.status_code == 403, (who, method, url, response.status_code)
            else:
                assert response.status_code in (200, 302), (who, method, url, response.status_code)
        if user is co_trainer:  # the POSTs did their work
            assert "answer: false" in _text(app, course, "questions/bank.yml")
            assert _text(app, course, "questions/g.yml") is not None
            assert "id: made" not in _text(app, course, "questions/bank.yml")
            assert "title: Quiz" in _text(app, course, "basics/quiz.yml")


def test_shipped_questions_and_quizzes_open_in_the_studio_and_save_back_unchanged(client, auth, make, app):
    """A course kept in files can be edited in the studio: its questions (one of each type) and
    quizzes load into the forms, and sending a form back as loaded changes no byte of any file."""
    from samaschool.studio import questions as bank_service
    from samaschool.studio import structure
    from tests.studio.helpers import import_folder
    from tests.studio.test_quizzes import _form as quiz_form

    admin = make.user(Role.ADMIN)
    with app.app_context():
        import_folder(Path(__file__).resolve().parents[2] / "courses")
        db.session.commit()
        before, questions, quizzes = {}, {}, []
        for course in db.session.scalars(select(Course)):
            before[course.slug] = {path: row.text for path, row in files.rows(course).items()}
            for item in bank_service.read_bank(course).items:
                questions.setdefault(item.type, (course.slug, item.key))
            entries = bank_service.quiz_entries(course, structure.outline(course))
            quizzes += [(course.slug, entry.key) for entry in entries if entry.exists]
    assert set(questions) == set(REGISTRY), set(REGISTRY) - set(questions)
    assert len(quizzes) >= 20
    _login(auth, admin)
    for slug, key in questions.values():
        url = f"/studio/{slug}/questions/{key}"
        form = _edit_form(client.get(url).get_data(as_text=True), "")
        response = client.submit(url, form | {"action": "save"}, follow_redirects=True)
        assert "Nothing changed" in response.get_data(as_text=True), url
    for slug, key in quizzes:
        url = f"/studio/{slug}/quizzes/{key}"
        response = client.submit(url, quiz_form(client.get(url).get_data(as_text=True)) | {"action": "save"})
        assert "Nothing changed" in client.get(response.headers["Location"]).get_data(as_text=True), url
    with app.app_context():
        for course in db.session.scalars(select(Course)):
            assert {path: row.text for path, row in files.rows(course).items()} == before[course.slug]
