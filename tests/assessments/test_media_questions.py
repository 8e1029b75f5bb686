"""Question types with media: image classification, audio transcription, image region."""

import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from samaschool.assessments.models import Attempt, AttemptQuestion
from samaschool.assessments.question_types import REGISTRY, InvalidAnswer, SpecError
from samaschool.extensions import db
from samaschool.media import services as media_services
from tests import media_samples

KEY = "a" * 64
IMAGE = {"key": KEY, "alt": "A red shoe on a white floor", "width": 800, "height": 600}
AUDIO = {"key": "b" * 64, "transcript": ""}


def region_spec(**changes):
    spec = {
        "id": "find-shoe",
        "type": "image_region",
        "text": "Mark the shoe.",
        "image": dict(IMAGE),
        "region": {"x": 100, "y": 200, "w": 200, "h": 100},
    }
    spec.update(changes)
    return spec


def checked(spec):
    return REGISTRY[spec["type"]].check(spec, spec["id"])


def spec_error(spec) -> str:
    with pytest.raises(SpecError) as error:
        checked(spec)
    return str(error.value)


# Spec checks


def test_image_classification_needs_an_image_with_alt_text_and_one_right_label():
    spec = {
        "id": "label-shoe",
        "type": "image_classification",
        "text": "Which label fits?",
        "image": dict(IMAGE),
        "choices": [{"text": "Footwear", "correct": True}, {"text": "Kitchen"}],
    }
    data = checked(spec)
    assert data["image"] == IMAGE and [c["correct"] for c in data["choices"]] == [True, False]
    assert "needs an 'image'" in spec_error({**spec, "image": None})
    assert "alt" in spec_error({**spec, "image": {**IMAGE, "alt": "  "}})
    assert "exactly one choice" in spec_error({**spec, "choices": [{"text": "A"}, {"text": "B"}]})


def test_audio_transcription_takes_its_reference_and_never_stores_the_transcript_with_the_audio():
    spec = {"id": "note", "type": "audio_transcription", "text": "Write what you hear.", "audio": dict(AUDIO)}
    assert "reference" in spec_error(spec)
    data = checked({**spec, "reference": "Deliver on Tuesday.", "max_error_percent": 5})
    assert data == {"reference": "Deliver on Tuesday.", "max_error_percent": 5.0, "audio": {"key": "b" * 64}}
    # The audio's transcript may be the reference; given twice, the two must agree.
    from_audio = checked({**spec, "audio": {**AUDIO, "transcript": "Deliver on Tuesday."}})
    assert from_audio["reference"] == "Deliver on Tuesday." and "transcript" not in from_audio["audio"]
    assert "once" in spec_error({**spec, "audio": {**AUDIO, "transcript": "Other"}, "reference": "Deliver."})
    assert "needs an 'audio'" in spec_error({**spec, "audio": None, "reference": "x"})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"region": {"x": 700, "y": 0, "w": 200, "h": 100}}, "inside the image (800 × 600"),
        ({"region": {"x": 0, "y": 550, "w": 10, "h": 51}}, "inside the image"),
        ({"region": {"x": -1, "y": 0, "w": 10, "h": 10}}, "inside the image"),
        ({"region": {"x": 10, "y": 10, "w": 0, "h": 10}}, "at least 1 pixel"),
        ({"region": {"x": 10, "y": 10, "w": 5}}, "x, y, w and h"),
        ({"region": [10, 10, 20, 20]}, "x, y, w and h"),
        ({"region": {"x": "10", "y": 10, "w": 5, "h": 5}}, "x, y, w and h"),
        ({"min_iou_percent": 0}, "min_iou_percent"),
        ({"min_iou_percent": 101}, "min_iou_percent"),
        ({"min_iou_percent": True}, "min_iou_percent"),
        ({"image": None}, "needs an 'image'"),
        ({"image": {**IMAGE, "alt": ""}}, "alt"),
    ],
)
def test_image_region_spec_errors(changes, message):
    assert message in spec_error(region_spec(**changes))


def test_image_region_spec_stores_the_region_as_left_top_right_bottom_in_image_pixels():
    data = checked(region_spec(min_iou_percent=70))
    assert data == {"image": IMAGE, "region": [100, 200, 300, 300], "min_iou_percent": 70.0}
    assert checked(region_spec())["min_iou_percent"] == 50.0


# Grading


@pytest.mark.parametrize(
    ("box", "right"),
    [
        ([100, 200, 300, 300], True),  # the same region
        ([100, 200, 300, 250], True),  # half of it: IoU exactly 0.5
        ([100, 200, 300, 249], False),  # just under half
        ([100, 200, 500, 300], True),  # twice as wide: IoU 0.5
        ([100, 200, 501, 300], False),
        ([400, 0, 500, 100], False),  # elsewhere
    ],
)
def test_image_region_is_right_at_and_above_the_iou_threshold(box, right):
    kind, data = REGISTRY["image_region"], checked(region_spec())
    grade = kind.grade(data, {"box": box})
    assert grade.correct is right and grade.fraction == (1.0 if right else 0.0)
    assert grade.answer_key.startswith("IoU ")


def test_image_region_threshold_is_the_authors_and_a_lone_corner_or_nothing_scores_zero():
    kind = REGISTRY["image_region"]
    strict = checked(region_spec(min_iou_percent=75))
    assert not kind.grade(strict, {"box": [100, 200, 300, 250]}).correct
    assert kind.grade(strict, {"box": [100, 200, 300, 280]}).correct  # IoU 0.8
    assert kind.grade(strict, {"corner": [100, 200]}).fraction == 0.0
    assert kind.grade(strict, None).fraction == 0.0
    assert kind.right_answer_text(checked(region_spec())) == (
        "The region from 12% to 38% across and 33% to 50% down the image"
    )


def test_audio_transcription_is_graded_by_character_error_rate():
    kind = REGISTRY["audio_transcription"]
    data = checked(
        {
            "id": "note",
            "type": "audio_transcription",
            "text": "Write it.",
            "audio": dict(AUDIO),
            "reference": "hello world",
        }
    )
    assert kind.grade(data, {"text": "hello  world"}).correct  # white space folded
    assert kind.grade(data, {"text": "hello warld"}).correct  # 1 of 11 characters: 9%
    assert not kind.grade(data, {"text": "hallo warld"}).correct  # 18%
    assert kind.grade(data, None).fraction == 0.0
    assert kind.right_answer_text(data) == "hello world"


def test_image_classification_grades_like_a_single_choice():
    kind = REGISTRY["image_classification"]
    data = checked(
        {
            "id": "label",
            "type": "image_classification",
            "text": "Label?",
            "image": dict(IMAGE),
            "choices": [{"text": "Footwear", "correct": True}, {"text": "Kitchen"}],
        }
    )
    right, wrong = (c["id"] for c in data["choices"])
    assert kind.grade(data, kind.parse(MultiDict({"q1": right}), "q1", data, [])).correct
    assert not kind.grade(data, kind.parse(MultiDict({"q1": wrong}), "q1", data, [])).correct
    with pytest.raises(InvalidAnswer):
        kind.parse(MultiDict({"q1": "forged"}), "q1", data, [])


# Reading taps


def parse_region(fields: dict):
    kind, data = REGISTRY["image_region"], checked(region_spec())
    return kind.parse(MultiDict(fields), "q7", data, [])


def tap(x, y, shown=400, **state):
    return {"q7-tap.x": str(x), "q7-tap.y": str(y), "q7-tap_shown_width": str(shown), **state}


def test_a_first_tap_marks_a_corner_in_the_images_own_pixels_and_a_second_completes_the_region():
    # The 800 px wide image was shown 400 CSS px wide: every CSS pixel is two of the image's.
    assert parse_region(tap(50, 100)) == {"corner": [100, 200]}
    assert parse_region(tap(150, 150, **{"q7-corner": "100,200"})) == {"box": [100, 200, 300, 300]}
    # Opposite corners in either order make the same region.
    assert parse_region(tap(50, 100, **{"q7-corner": "300,300"})) == {"box": [100, 200, 300, 300]}
    # Without a tap (another question's answer was saved) the region stays as it was.
    assert parse_region({"q7-box": "100,200,300,300"}) == {"box": [100, 200, 300, 300]}
    assert parse_region({"q7-corner": "100,200"}) == {"corner": [100, 200]}
    assert parse_region({}) is None
    # A tap after a finished region starts a new one; Clear forgets it.
    assert parse_region(tap(10, 10, **{"q7-box": "100,200,300,300"})) == {"corner": [20, 20]}
    assert parse_region({"q7-box": "100,200,300,300", "q7-clear": "1"}) is None


def test_saved_regions_show_again_as_the_hidden_fields_that_would_submit_them():
    kind = REGISTRY["image_region"]
    for response in ({"box": [100, 200, 300, 300]}, {"corner": [5, 6]}):
        assert parse_region(kind.form_values("q7", response)) == response
    assert kind.form_values("q7", None) == {}


@pytest.mark.parametrize(
    "fields",
    [
        tap(401, 10),  # right of the image as shown
        tap(10, 301),  # below it
        tap(-1, 10),
        tap("ten", 10),
        tap(10, 10, shown=0),
        tap(10, 10, shown="wide"),
        {"q7-tap.x": "10", "q7-tap.y": "10"},  # no shown width
        tap(50, 100, **{"q7-corner": "100,200"}),  # the same spot twice: no area
        tap(80, 100, **{"q7-corner": "100,200"}),  # the same row: no area
        {"q7-box": "1,2,3"},
        {"q7-box": "300,300,100,200"},  # right of left, below top: not a region
        {"q7-box": "0,0,801,10"},  # outside the image
        {"q7-box": "0,0,1e3,10"},
        {"q7-corner": "5"},
        {"q7-corner": "5,601"},
        {"q7-corner": "-5,6"},
    ],
)
def test_forged_or_unusable_taps_and_regions_are_refused(fields):
    with pytest.raises(InvalidAnswer):
        parse_region(fields)


# Through HTTP: a quiz with an image region and an image classification question


@pytest.fixture
def shoe(app):
    with app.app_context():
        media = media_services.ingest(media_samples.png(800, 600, color=(180, 40, 40)), "shoe.png")
        db.session.commit()
        return {"key": media.key, "alt": "A red shoe on a white floor", "width": 800, "height": 600}


def test_a_learner_marks_a_region_by_tapping_and_labels_an_image_without_javascript(app, make, learner_for, shoe):
    course = make.course()
    quiz = make.quiz(
        course,
        questions=[
            {
                "id": "find",
                "type": "image_region",
                "text": "Mark the shoe.",
                "image": shoe,
                "region": {"x": 100, "y": 200, "w": 200, "h": 100},
            },
            {
                "id": "label",
                "type": "image_classification",
                "text": "Which label fits?",
                "image": shoe,
                "choices": [{"text": "Right: footwear", "correct": True}, {"text": "Wrong: kitchen"}],
            },
        ],
        pass_mark_percent=100,
    )
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    with app.app_context():
        region_q, _ = (aq.id for aq in db.session.get(Attempt, attempt_id).questions)
    page = learner.page(attempt_id)
    # The region question's image is a tap target of a stated width; the other is a lazy <picture>.
    tap_input = re.search(rf'<input type="image" name="q{region_q}-tap" src="([^"]+)" width="(\d+)"', page)
    assert tap_input and tap_input.group(2) == "280"
    assert f'name="q{region_q}-tap_shown_width" value="280"' in page
    assert "<picture>" in page and 'loading="lazy"' in page and 'alt="A red shoe on a white floor"' in page
    assert learner.client.get(tap_input.group(1)).status_code == 200
    label = learner.answer_fields(attempt_id)["Which label fits?"]
    label_field = label["Right: footwear"]

    # First tap: the label picked so far is saved with it, and one corner is marked.
    # 280 CSS px show 800 image px: (35, 70) is (100, 200) and (105, 105) is (300, 300).
    first = tap_submit(learner, attempt_id, {label_field[0]: label_field[1], **tap_field(region_q, 35, 70)})
    assert first.status_code == 302
    page = learner.page(attempt_id)
    assert "One corner is marked" in page
    assert f'name="q{region_q}-corner" value="100,200"' in page
    assert f'value="{label_field[1]}" checked' in page
    # The second tap completes the region; the corner rides in the hidden field as the page had it.
    second = {label_field[0]: label_field[1], f"q{region_q}-corner": "100,200", **tap_field(region_q, 105, 105)}
    assert tap_submit(learner, attempt_id, second).status_code == 302
    page = learner.page(attempt_id)
    assert f'name="q{region_q}-box" value="100,200,300,300"' in page and "<svg" in page
    # The same spot twice is refused with a message; nothing on the page is saved.
    bad = tap_submit(learner, attempt_id, {f"q{region_q}-corner": "100,200", **tap_field(region_q, 35, 70)})
    assert bad.status_code == 422 and "no area" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AttemptQuestion, region_q).response == {"box": [100, 200, 300, 300]}

    final = {label_field[0]: label_field[1], f"q{region_q}-box": "100,200,300,300"}
    assert learner.submit_page(attempt_id, final, action="finish").status_code == 302
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.score_percent == 100 and attempt.passed
        answers = db.session.scalars(select(AttemptQuestion).order_by(AttemptQuestion.position)).all()
        assert [a.is_correct for a in answers] == [True, True]
    review = learner.client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Your region is outlined in red." in review and '<rect x="100" y="200" width="200" height="100"' in review


def tap_field(question_id, x, y, shown=280):
    prefix = f"q{question_id}"
    return {f"{prefix}-tap.x": str(x), f"{prefix}-tap.y": str(y), f"{prefix}-tap_shown_width": str(shown)}


def tap_submit(learner, attempt_id, data: dict):
    """A tap on an <input type="image">: the form is sent with the tap's position and no action."""
    token = learner.client.csrf_token("/account/profile")
    return learner.client.post(f"/attempts/{attempt_id}", data={"csrf_token": token, "page": "1", **data})


def test_a_question_with_audio_shows_the_player_and_keeps_the_answer_hidden(app, make, learner_for):
    with app.app_context():
        clip = media_services.ingest(media_samples.speech_wav(3.0), "note.wav")
        db.session.commit()
        key = clip.key
    course = make.course()
    quiz = make.quiz(
        course,
        questions=[
            {
                "id": "note",
                "type": "audio_transcription",
                "text": "Write what you hear.",
                "audio": {"key": key, "transcript": "Deliver the parcel on Tuesday."},
            }
        ],
    )
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    page = learner.page(attempt_id)
    assert '<audio controls preload="none"' in page and "Listen (" in page
    assert "Deliver the parcel" not in page and "<textarea" in page
    with app.app_context():
        (aq,) = db.session.get(Attempt, attempt_id).questions
        question_id = aq.id
    learner.submit_page(attempt_id, {f"q{question_id}": "Deliver the parcel on Tuesday"}, action="finish")
    with app.app_context():
        assert db.session.get(AttemptQuestion, question_id).is_correct  # one character of 30 missing
    review = learner.client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Deliver the parcel on Tuesday." in review  # the answer, once graded


def test_quiz_statistics_name_an_image_classifications_labels(app, make):
    from samaschool.assessments import services
    from samaschool.assessments.models import Quiz
    from samaschool.assessments.statistics import quiz_statistics
    from samaschool.auth.models import User

    course = make.course()
    spec = {
        "id": "label",
        "type": "image_classification",
        "text": "Label?",
        "image": dict(IMAGE),
        "choices": [{"text": "Footwear", "correct": True}, {"text": "Kitchen"}],
    }
    quiz = make.quiz(course, questions=[spec])
    with app.app_context():
        attempt = services.start_attempt(db.session.get(User, make.user().id), db.session.get(Quiz, quiz.id))
        db.session.flush()
        (aq,) = attempt.questions
        aq.response = {"choice": next(c["id"] for c in aq.question.data["choices"] if not c["correct"])}
        services.submit_attempt(attempt)
        db.session.commit()
        (stats,) = quiz_statistics(db.session.get(Quiz, quiz.id)).questions
        assert stats.common_wrong_answer == "Kitchen"


def test_a_region_can_be_typed_in_percent_instead_of_tapped():
    typed = {"q7-left": "12.5", "q7-top": "33,4", "q7-right": "37.5", "q7-bottom": "50"}
    assert parse_region(typed) == {"box": [100, 200, 300, 300]}
    # Typed numbers replace the region so far; a tap wins over them, and Clear over everything.
    assert parse_region({**typed, "q7-box": "0,0,10,10"}) == {"box": [100, 200, 300, 300]}
    assert parse_region({**tap(10, 10), **typed}) == {"corner": [20, 20]}
    assert parse_region({**typed, "q7-clear": "1"}) is None
    for bad in ({"q7-left": "10"}, {**typed, "q7-right": "101"}, {**typed, "q7-right": "5"}, {**typed, "q7-top": "x"}):
        with pytest.raises(InvalidAnswer):
            parse_region(bad)
