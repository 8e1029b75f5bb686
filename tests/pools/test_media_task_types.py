"""Paid tasks with media: image classification and tagging, bounding boxes (drawn by tapping,
without JavaScript), audio transcription and comparing two AI answers. Each keeps what every task
type has: gold accuracy, overlap and consensus, review and the ledger."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import func, select

from samaschool.extensions import db
from samaschool.media import services as media_services
from samaschool.media.boxes import (
    Box,
    BoxError,
    box_from_corners,
    consensus,
    iou,
    match_boxes,
    parse_boxes,
    scale_tap,
)
from samaschool.permissions import Role
from samaschool.pools.models import Assignment, EarningEntry, Pool, Task
from samaschool.pools.task_types import REGISTRY, InvalidTaskAnswer, TaskContext
from tests import media_samples
from tests.pools.conftest import logged_in, new_pool_form

LABELS = ["shoe", "bag", "phone"]
# A 1440 x 1080 image: shown 288 CSS pixels wide on the task page, so one CSS pixel is 5 of its own.
WIDTH, HEIGHT = 1440, 1080


# Geometry (samaschool/media/boxes.py) ----------------------------------------------------------


def test_iou_of_boxes():
    a = Box("shoe", 0, 0, 100, 100)
    assert iou(a, a) == 1.0
    assert iou(a, Box("shoe", 50, 0, 100, 100)) == pytest.approx(50 * 100 / (2 * 100 * 100 - 50 * 100))
    assert iou(a, Box("shoe", 100, 0, 50, 50)) == 0.0  # touching edges do not overlap
    assert iou({"label": "x", "x": 0, "y": 0, "w": 10, "h": 10}, {"label": "y", "x": 5, "y": 5, "w": 10, "h": 10}) > 0


def test_matching_is_one_to_one_with_the_right_labels_and_no_extra_boxes():
    gold = [Box("shoe", 0, 0, 100, 100), Box("bag", 200, 200, 100, 100)]
    good = [Box("bag", 205, 195, 100, 100), Box("shoe", 5, 5, 100, 100)]  # any order
    assert match_boxes(good, gold, 0.5)
    assert not match_boxes([good[1]], gold, 0.5)  # a gold box missed
    assert not match_boxes([*good, Box("phone", 500, 500, 10, 10)], gold, 0.5)  # an extra box
    assert not match_boxes([Box("bag", 5, 5, 100, 100), good[0]], gold, 0.5)  # the wrong label
    assert not match_boxes([Box("shoe", 60, 60, 100, 100), good[0]], gold, 0.5)  # too little overlap
    assert match_boxes([Box("shoe", 60, 60, 100, 100), good[0]], gold, 0.05)  # …unless the threshold is low
    # Two answer boxes on one gold box do not both count, however well they fit.
    twice = [Box("shoe", 0, 0, 100, 100), Box("shoe", 1, 1, 100, 100)]
    assert not match_boxes(twice, [Box("shoe", 0, 0, 100, 100), Box("shoe", 400, 400, 100, 100)], 0.5)
    # A pairing exists only one way round: a greedy pick of the best overlap first would miss it.
    gold = [Box("shoe", 0, 0, 100, 100), Box("shoe", 30, 0, 100, 100)]
    answer = [Box("shoe", 10, 0, 100, 100), Box("shoe", -25, 0, 100, 100)]
    assert match_boxes(answer, gold, 0.55)
    assert match_boxes([], [], 0.5)  # nothing to box, rightly


def test_consensus_of_boxes_needs_a_strict_majority():
    right = [Box("shoe", 0, 0, 100, 100)]
    close = [Box("shoe", 4, 4, 100, 100)]
    wrong = [Box("bag", 0, 0, 100, 100)]
    assert consensus([wrong, right, close], 0.5) == right
    assert consensus([right, wrong], 0.5) is None
    assert consensus([right, close], 0.5) == right  # the earliest of those that agree
    assert consensus([[], [], right], 0.5) == []  # "nothing to box" can be agreed too


def test_taps_map_from_css_pixels_to_the_image_own_pixels():
    assert scale_tap("64", "48", "320", 1600, 1200) == (320, 240)
    assert scale_tap(0, 0, 320, 1600, 1200) == (0, 0)
    assert scale_tap(320, 240, 320, 1600, 1200) == (1600, 1200)
    assert scale_tap(1, 1, 300, 1000, 700) == (3, 3)  # rounded
    for x, y, shown in [(-1, 5, 320), (321, 5, 320), (5, 241, 320), ("x", 5, 320), (5, 5, 0), (5, 5, "1e999")]:
        with pytest.raises(BoxError):
            scale_tap(x, y, shown, 1600, 1200)


def test_two_corners_make_a_box_in_any_order_but_never_one_without_area():
    assert box_from_corners((300, 40), (100, 240), "bag") == Box("bag", 100, 40, 200, 200)
    for p2 in [(300, 40), (300, 90), (120, 40)]:
        with pytest.raises(BoxError, match="no area"):
            box_from_corners((300, 40), p2)


def test_parse_boxes_checks_every_box():
    raw = '[{"label": "shoe", "x": 10, "y": 20, "w": 30, "h": 40}]'
    assert parse_boxes(raw, width=100, height=100, labels=LABELS) == [Box("shoe", 10, 20, 30, 40)]
    assert parse_boxes([{"label": "shoe", "x": 10.4, "y": 20, "w": 30, "h": 40}]) == [Box("shoe", 10, 20, 30, 40)]
    assert parse_boxes("") == [] and parse_boxes("[]") == []
    bad = {
        "outside the image": [{"label": "shoe", "x": 80, "y": 0, "w": 30, "h": 10}],
        "no area": [{"label": "shoe", "x": 1, "y": 1, "w": 0, "h": 10}],
        "not one of the labels": [{"label": "hat", "x": 1, "y": 1, "w": 5, "h": 5}],
        "not a number": [{"label": "shoe", "x": True, "y": 1, "w": 5, "h": 5}],
        "exactly label": [{"label": "shoe", "x": 1, "y": 1, "w": 5, "h": 5, "z": 1}],
        "no label": [{"label": " ", "x": 1, "y": 1, "w": 5, "h": 5}],
        "JSON list": '{"label": "shoe"}',
        "Too many": [{"label": "shoe", "x": 1, "y": 1, "w": 5, "h": 5}] * 51,
    }
    for message, value in bad.items():
        with pytest.raises(BoxError, match=message):
            parse_boxes(value, width=100, height=100, labels=LABELS)
    with pytest.raises(BoxError, match="outside the image"):
        parse_boxes([{"label": "shoe", "x": -1, "y": 0, "w": 5, "h": 5}])


# Task types without a request ------------------------------------------------------------------


class _Image:
    width, height, display_width, display_height = WIDTH, HEIGHT, 720, 540


def test_gold_from_an_import_file():
    boxes = REGISTRY["bounding_boxes"]
    cell = '[{"label": "bag", "x": 100, "y": 50, "w": 400, "h": 300}]'  # a JSON string in a CSV cell
    expected = [{"label": "bag", "x": 100, "y": 50, "w": 400, "h": 300}]
    assert boxes.parse_gold(cell, LABELS) == expected
    assert boxes.parse_gold(json.loads(cell), LABELS, media={"image": _Image()}) == expected
    with pytest.raises(ValueError, match="outside the image"):
        boxes.parse_gold(
            '[{"label": "bag", "x": 1500, "y": 50, "w": 400, "h": 300}]', LABELS, media={"image": _Image()}
        )
    with pytest.raises(ValueError, match="not one of the labels"):
        boxes.parse_gold('[{"label": "hat", "x": 1, "y": 1, "w": 4, "h": 3}]', LABELS)
    compare = REGISTRY["ai_comparison"]
    assert compare.parse_gold("B", []) == {"choice": "b"}
    assert compare.parse_gold("both bad", []) == {"choice": "both_bad"}
    assert compare.parse_gold('{"choice": "a"}', []) == {"choice": "a"}
    with pytest.raises(ValueError, match="must be one of"):
        compare.parse_gold("neither", [])
    assert REGISTRY["audio_transcription"].parse_gold("  hello   there ", []) == "hello there"
    assert REGISTRY["image_tagging"].parse_gold("shoe|bag", LABELS) == ["bag", "shoe"]
    with pytest.raises(ValueError):
        REGISTRY["image_classification"].parse_gold("hat", LABELS)


def test_what_the_import_needs_to_know_about_each_type():
    assert REGISTRY["image_classification"].media_fields == {"image": "image"}
    assert REGISTRY["image_tagging"].payload_fields == ("image",)
    assert REGISTRY["bounding_boxes"].media_fields == {"image": "image"}
    assert REGISTRY["audio_transcription"].media_fields == {"audio": "audio"}
    assert REGISTRY["ai_comparison"].payload_fields == ("prompt", "response_a", "response_b")
    assert REGISTRY["ai_comparison"].media_fields == {} and REGISTRY["classification"].media_fields == {}


def test_transcripts_are_graded_by_the_pool_error_rate():
    pool = Pool(max_error_percent=10)
    for name in ("transcription", "audio_transcription"):
        kind = REGISTRY[name]
        assert kind.matches("the cat sat on the mat", "the cat sat on the mat", pool)
        assert kind.matches("the cat sat on the hat", "the cat sat on the mat", pool)  # 1 in 22
        assert not kind.matches("the bat sat in the hat", "the cat sat on the mat", pool)  # 3 in 22
        assert kind.matches("the bat sat in the hat", "the cat sat on the mat", Pool(max_error_percent=20))


def test_audio_consensus_is_the_transcript_closest_to_the_others():
    kind = REGISTRY["audio_transcription"]
    answers = ["the cat sat on the mat", "the cat sat on a mat", "the cat sat on the mat.", "a dog"]
    assert kind.consensus(answers) == "the cat sat on the mat"
    assert kind.consensus(["one answer", "another one"]) is None  # a tie between two that differ
    assert kind.consensus(["Same words", "same  words"]) == "Same words"


def test_ai_comparison_answers_need_a_choice_and_a_short_reason():
    kind = REGISTRY["ai_comparison"]
    assert kind.parse({"choice": "b", "reason": " B cites the source. "}, []) == {
        "choice": "b",
        "reason": "B cites the source.",
    }
    for form, message in [
        ({"reason": "why"}, "Choose which answer"),
        ({"choice": "c", "reason": "why"}, "Choose which answer"),
        ({"choice": "a", "reason": "  "}, "Say briefly why"),
        ({"choice": "a", "reason": "x" * 501}, "500 characters or fewer"),
    ]:
        with pytest.raises(InvalidTaskAnswer, match=message):
            kind.parse(form, [])
    assert kind.matches({"choice": "a", "reason": "x"}, {"choice": "a"})
    assert kind.consensus([{"choice": "a", "reason": "1"}, {"choice": "a", "reason": "2"}, {"choice": "b"}]) == {
        "choice": "a"
    }


def test_box_steps_without_a_request():
    kind = REGISTRY["bounding_boxes"]
    context = TaskContext(pool=None, media={"image": _Image()})
    first = kind.step({"tap.x": "20", "tap.y": "10", "tap_shown_width": "288", "box_label": "bag"}, LABELS, context)
    assert first.error is None and first.draft.corner == (100, 50) and first.draft.boxes == []
    form = {"boxes": first.draft.boxes_json, "corner": first.draft.corner_text, "box_label": "bag"}
    second = kind.step({**form, "tap.x": "100", "tap.y": "70", "tap_shown_width": "288"}, LABELS, context)
    assert second.error is None and second.draft.boxes == [Box("bag", 100, 50, 400, 300)]
    assert second.draft.corner is None
    assert kind.step({"boxes": "[]"}, LABELS, context) is None  # the final submit is not a step
    assert kind.shown_size(_Image()) == (288, 216)


# Through HTTP: gold, consensus, review and the ledger for every new type ----------------------


def _store(app, data: bytes, name: str) -> str:
    with app.app_context():
        media = media_services.ingest(data, name)
        db.session.commit()
        return media.key


def _setup(app, make, task_type: str, payload: dict, gold, *, workers: int = 3, **pool_fields):
    course = make.course(modules=1, lessons_per_module=1)
    certification = make.certification(course)
    pool = make.pool(
        certification=certification,
        task_type=task_type,
        labels=LABELS,
        overlap=workers,
        name="Media pool",
        **pool_fields,
    )
    people = [make.user(name=f"Worker {i}") for i in range(workers)]
    for person in people:
        make.certificate(person, certification)
    with app.app_context():
        task = Task(pool_id=pool.id, external_id="m1", payload=payload, gold_answer=gold, is_gold=gold is not None)
        db.session.add(task)
        db.session.commit()
        task_id = task.id
    return pool, people, task_id


def _claim(client, pool) -> int:
    response = client.submit(f"/pools/{pool.slug}/claim", {}, page=f"/pools/{pool.slug}")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


def _image_key(app):
    return _store(app, media_samples.png(WIDTH, HEIGHT, color=(90, 140, 200)), "shoes.png")


def _audio_key(app):
    return _store(app, media_samples.speech_wav(3.0), "note.wav")


BOX_GOLD = [{"label": "shoe", "x": 100, "y": 100, "w": 400, "h": 300}]
COMPARISON = {
    "prompt": "What is 2 + 2?\nExplain.",
    "response_a": "4, because two and two make four.",
    "response_b": "<b>5</b>",
}

CASES = {
    "image_classification": (_image_key, "image", "shoe", {"answer": "shoe"}, {"answer": "bag"}),
    "image_tagging": (_image_key, "image", ["bag", "shoe"], {"answer": ["shoe", "bag"]}, {"answer": ["shoe"]}),
    "bounding_boxes": (
        _image_key,
        "image",
        BOX_GOLD,
        {"boxes": json.dumps([{"label": "shoe", "x": 110, "y": 95, "w": 390, "h": 310}])},
        {"boxes": json.dumps([{"label": "bag", "x": 110, "y": 95, "w": 390, "h": 310}])},
    ),
    "audio_transcription": (
        _audio_key,
        "audio",
        "please deliver the parcel on monday",
        {"answer": "please deliver the parcel on monday"},
        {"answer": "please deliver the pasta on sunday"},
    ),
    "ai_comparison": (
        None,
        None,
        {"choice": "a"},
        {"choice": "a", "reason": "A is right."},
        {"choice": "b", "reason": "?"},
    ),
}


@pytest.mark.parametrize("task_type", sorted(CASES))
def test_gold_consensus_review_and_ledger_through_the_pages(app, make, task_type):
    store, field, gold, right, wrong = CASES[task_type]
    payload = dict(COMPARISON) if store is None else {field: store(app)}
    pool, workers, task_id = _setup(app, make, task_type, payload, gold)
    for worker, form in zip(workers, [right, wrong, right], strict=True):
        client = logged_in(app, worker)
        assignment_id = _claim(client, pool)
        page = client.get(f"/work/{assignment_id}").get_data(as_text=True)
        if field == "image":
            assert f"/media/{payload['image']}/" in page
        if field == "audio":
            assert '<audio controls preload="none"' in page and "Listen (" in page
        if task_type == "ai_comparison":
            assert "What is 2 + 2?\nExplain." in page and "&lt;b&gt;5&lt;/b&gt;" in page
        response = client.submit(f"/work/{assignment_id}", form)
        assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        answers = list(db.session.scalars(select(Assignment).order_by(Assignment.id)))
        assert [a.gold_correct for a in answers] == [True, False, True]
        task = db.session.get(Task, task_id)
        assert task.filled and task.consensus_answer is not None
        kind = REGISTRY[task_type]
        assert kind.matches(task.consensus_answer, gold, db.session.get(Pool, pool.id))

    manager = logged_in(app, make.user(Role.ADMIN))
    queue = manager.get(f"/manage/review?pool={pool.slug}").get_data(as_text=True)
    if field == "image":
        assert f"/media/{payload['image']}/" in queue
    if task_type == "bounding_boxes":
        assert queue.count('<rect x="110" y="95" width="390" height="310"') == 2 * 3  # two strokes, three answers
        assert "1 box" in queue
    if field == "audio":
        assert '<audio controls preload="none"' in queue and "please deliver the pasta on sunday" in queue
    if task_type == "ai_comparison":
        assert "A is better: “A is right.”" in queue and "&lt;b&gt;5&lt;/b&gt;" in queue
    ids = [str(a) for a in re.findall(r'name="ids" value="(\d+)"', queue)]
    assert len(ids) == 3
    manager.submit("/manage/review", {"ids": ids, "action": "approve", "reason": ""}, page="/manage/review")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EarningEntry)) == 3


# Bounding boxes drawn by tapping, through HTTP -------------------------------------------------


@pytest.fixture
def box_task(app, make):
    """A worker holding a bounding-box task on a 1440 x 1080 image; (client, url, assignment id)."""
    pool, (worker,), _task_id = _setup(app, make, "bounding_boxes", {"image": _image_key(app)}, None, workers=1)
    client = logged_in(app, worker)
    assignment_id = _claim(client, pool)
    return client, f"/work/{assignment_id}", assignment_id


def _tap(client, url, page, x, y, label="shoe", **extra):
    form = {
        "boxes": _hidden(page, "boxes"),
        "corner": _hidden(page, "corner"),
        "tap_shown_width": _hidden(page, "tap_shown_width"),
        "box_label": label,
        "tap.x": str(x),
        "tap.y": str(y),
        **extra,
    }
    return client.submit(url, form)


def _untouched(app, assignment_id):
    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        return assignment.state == "claimed" and assignment.answer is None


def test_drawing_boxes_by_tapping_without_javascript(app, box_task):
    client, url, assignment_id = box_task
    page = client.get(url).get_data(as_text=True)
    assert '<input type="image" name="tap"' in page and 'width="288" height="216"' in page
    assert _hidden(page, "tap_shown_width") == "288" and _hidden(page, "boxes") == "[]"
    assert 'viewBox="0 0 1440 1080"' in page and "js/boxes.js" in page and "style=" not in page

    first = _tap(client, url, page, 20, 20)  # CSS pixels of the image as shown
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and _hidden(page, "corner") == "100,100"  # the image's own pixels
    assert "Now tap the opposite corner" in page and '<circle cx="100" cy="100"' in page

    same_spot = _tap(client, url, page, 20, 60)  # no width: no box, and the first corner stays
    page = same_spot.get_data(as_text=True)
    assert same_spot.status_code == 422 and "no area" in page and _hidden(page, "corner") == "100,100"

    page = _tap(client, url, page, 100, 80).get_data(as_text=True)  # the opposite corner
    assert json.loads(_hidden(page, "boxes")) == [{"label": "shoe", "x": 100, "y": 100, "w": 400, "h": 300}]
    assert _hidden(page, "corner") == ""
    page = _tap(client, url, page, 260, 200, label="bag").get_data(as_text=True)
    page = _tap(client, url, page, 160, 140, label="bag").get_data(as_text=True)  # corners in any order
    boxes = json.loads(_hidden(page, "boxes"))
    assert boxes[1] == {"label": "bag", "x": 800, "y": 700, "w": 500, "h": 300}
    assert '<rect x="800" y="700" width="500" height="300"' in page

    page = _tap(client, url, page, 10, 10, label="phone").get_data(as_text=True)  # a corner…
    undo = {"boxes": _hidden(page, "boxes"), "corner": _hidden(page, "corner"), "step": "undo"}
    page = client.submit(url, undo).get_data(as_text=True)  # …undone first
    assert _hidden(page, "corner") == "" and len(json.loads(_hidden(page, "boxes"))) == 2
    undo = {"boxes": _hidden(page, "boxes"), "corner": "", "step": "undo"}
    page = client.submit(url, undo).get_data(as_text=True)  # then the last box
    assert json.loads(_hidden(page, "boxes")) == boxes[:1]
    assert _untouched(app, assignment_id)  # nothing is stored while drawing

    final = {"boxes": _hidden(page, "boxes"), "corner": _hidden(page, "corner"), "csrf_token": client.csrf_token(url)}
    assert client.post(url, data=final).status_code == 302
    assert client.post(url, data=final).status_code == 302  # a replay changes nothing
    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        assert assignment.state == "submitted" and assignment.answer == boxes[:1]
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1
    # A tap posted after the answer is in no longer draws on the task.
    late = client.post(url, data={**final, "tap.x": "1", "tap.y": "1", "tap_shown_width": "288"})
    assert late.status_code == 302


def test_boxes_can_be_typed_in_numbers_by_keyboard_users(app, box_task):
    """Pressing the image button with the keyboard sends (0, 0): not a corner. The typed sides
    (percent of the image) make a box instead, whether sent by their button or by Enter."""
    client, url, assignment_id = box_task
    page = client.get(url).get_data(as_text=True)
    assert 'name="box_left"' in page and "Or type a box in numbers" in page

    keyboard = _tap(client, url, page, 0, 0)
    text = keyboard.get_data(as_text=True)
    assert keyboard.status_code == 422 and "type its sides in numbers" in text and _hidden(text, "corner") == ""

    sides = {"box_left": "10", "box_top": "20", "box_right": "50", "box_bottom": "60,5"}
    typed = client.submit(url, {"boxes": "[]", "corner": "", "box_label": "bag", "step": "add_box", **sides})
    page = typed.get_data(as_text=True)
    assert typed.status_code == 200
    assert json.loads(_hidden(page, "boxes")) == [{"label": "bag", "x": 144, "y": 216, "w": 576, "h": 437}]
    by_enter = _tap(client, url, page, 0, 0, label="shoe", box_left="0", box_top="0", box_right="100", box_bottom="100")
    page = by_enter.get_data(as_text=True)
    assert json.loads(_hidden(page, "boxes"))[1] == {"label": "shoe", "x": 0, "y": 0, "w": 1440, "h": 1080}

    for bad, message in (
        ({**sides, "box_right": "101"}, "numbers from 0 to 100"),
        ({**sides, "box_top": "ten"}, "numbers from 0 to 100"),
        ({**sides, "box_right": "5"}, "further right than the left"),
    ):
        refused = client.submit(url, {"boxes": "[]", "corner": "", "box_label": "bag", "step": "add_box", **bad})
        text = refused.get_data(as_text=True)
        assert refused.status_code == 422 and message in text and _hidden(text, "boxes") == "[]"
        assert f'value="{bad["box_top"]}"' in text  # the worker's values are kept
    assert _untouched(app, assignment_id)


def test_bad_boxes_are_refused_with_a_reason(app, box_task):
    client, url, assignment_id = box_task
    page = client.get(url).get_data(as_text=True)
    box = {"label": "shoe", "x": 10, "y": 10, "w": 50, "h": 50}
    forged = [
        json.dumps([{**box, "x": 1590}]),  # outside the image
        json.dumps([{**box, "w": 0}]),  # no area
        json.dumps([{**box, "label": "hat"}]),  # a label not in the pool
        json.dumps([{**box, "x": "ten"}]),
        json.dumps([box] * 51),
        "not json",
    ]
    for boxes in forged:
        for extra in (
            {},
            {"step": "undo"},
            {"tap.x": "5", "tap.y": "5", "tap_shown_width": "288", "box_label": "shoe"},
        ):
            response = client.submit(url, {"boxes": boxes, "corner": "", **extra})
            text = response.get_data(as_text=True)
            assert response.status_code == 422 and "could not be read" in text, (boxes, extra)
            assert _hidden(text, "boxes") == "[]"  # forged state is dropped, never shown back
    for corner in ("1601,5", "5", "-1,5", "a,b"):
        response = client.submit(url, {"boxes": "[]", "corner": corner})
        assert response.status_code == 422 and "could not be read" in response.get_data(as_text=True)
    outside = _tap(client, url, page, 289, 10)
    assert outside.status_code == 422 and "outside the image" in outside.get_data(as_text=True)
    no_label = _tap(client, url, page, 10, 10, label="hat")
    assert no_label.status_code == 422 and "Choose the label of the box first" in no_label.get_data(as_text=True)

    pending = client.submit(url, {"boxes": json.dumps([box]), "corner": "100,100"})
    assert pending.status_code == 422 and "tap the opposite corner, or Undo" in pending.get_data(as_text=True)
    nothing_drawn = client.submit(url, {"boxes": "[]", "corner": ""})
    assert nothing_drawn.status_code == 422 and "There is nothing to box" in nothing_drawn.get_data(as_text=True)
    both = client.submit(url, {"boxes": json.dumps([box]), "corner": "", "nothing": "1"})
    assert both.status_code == 422 and "untick it" in both.get_data(as_text=True)
    assert _untouched(app, assignment_id)

    assert client.submit(url, {"boxes": "[]", "corner": "", "nothing": "1"}).status_code == 302
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).answer == []


def test_a_pool_sets_its_iou_threshold_and_error_rate(app, make):
    client = logged_in(app, make.user(Role.ADMIN))
    form = new_pool_form(task_type="bounding_boxes", labels="shoe\nbag", iou_threshold_percent="75")
    assert client.submit("/manage/pools/new", form).status_code == 302
    refused = client.submit("/manage/pools/new", {**form, "slug": "other", "max_error_percent": "101"})
    assert refused.status_code == 422
    with app.app_context():
        pool = db.session.scalar(select(Pool))
        assert (pool.task_type, pool.iou_threshold_percent, pool.max_error_percent) == ("bounding_boxes", 75, 10)
        assert db.session.scalar(select(func.count()).select_from(Pool)) == 1
    edit = client.get(f"/manage/pools/{pool.id}/edit").get_data(as_text=True)
    assert 'name="iou_threshold_percent"' in edit and 'value="75"' in edit
