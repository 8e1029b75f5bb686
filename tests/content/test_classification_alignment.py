"""Data Annotation Essentials teaches only classification answers that the Product classification
pool offers (issue 11): every answer the course marks right for a product's category is one of
the pool's labels (seed/product-classification-labels.txt), and no lesson teaches a top category
alone or "Unclassifiable" as an answer."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "courses" / "data-annotation-essentials"
LABELS = {
    line.strip()
    for line in (ROOT / "seed" / "product-classification-labels.txt").read_text(encoding="utf-8").splitlines()
    if line.strip()
}
TOPS = {label.split(" > ")[0] for label in LABELS}
NOT_ANSWERS = {"unclassifiable", "cannot classify", "none of these"}
PATH_RE = re.compile(r"^[A-Z][\w&' ]+ > [\w&' ]+$")


def clean(text) -> str:
    return re.sub(r"\s+", " ", str(text).replace("`", "")).strip()


def is_category_answer(text: str) -> bool:
    """A category path, a top category on its own, or a 'no category' answer."""
    return bool(PATH_RE.match(text)) or text.split(" (")[0] in TOPS or text.lower() in NOT_ANSWERS


def classification_questions() -> list[tuple[str, dict]]:
    found = []
    for path in sorted((COURSE / "questions").glob("*.yml")):
        for question in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if any("classification" in tag for tag in question.get("tags") or []):
                found.append((f"{path.name}:{question['id']}", question))
    return found


def test_the_pool_has_the_39_labels_the_course_teaches():
    assert len(LABELS) == 39 and len(TOPS) == 8


def test_there_are_classification_questions_to_check():
    questions = classification_questions()
    assert len(questions) >= 40
    assert any(q["id"].startswith("ql-") for _, q in questions), "the qualification test's items"


def test_every_right_classification_answer_is_a_pool_label():
    wrong = []
    for where, question in classification_questions():
        choices = question.get("choices") or []
        texts = [clean(c["text"]) for c in choices]
        is_classify = any(is_category_answer(t) for t in texts)
        for choice, text in zip(choices, texts, strict=True):
            right = choice.get("correct") is True or (choice.get("weight") or 0) > 0
            if right and (is_classify or is_category_answer(text)) and text not in LABELS:
                wrong.append(f"{where}: right choice '{text}' is not a pool label")
        for answer in question.get("answers") or []:
            text = clean(answer["text"] if isinstance(answer, dict) else answer)
            if is_category_answer(text) and text not in LABELS:
                wrong.append(f"{where}: accepted answer '{text}' is not a pool label")
        for pair in question.get("pairs") or []:
            text = clean(pair["right"])
            if is_category_answer(text) and text not in LABELS:
                wrong.append(f"{where}: matching answer '{text}' is not a pool label")
        if question.get("type") == "short_answer" and question.get("pattern"):
            wrong.append(f"{where}: a pattern cannot be checked against the pool's labels")
    assert not wrong, "\n".join(wrong)


def test_every_classify_question_offers_its_right_answer_among_pool_labels():
    """A question that asks for a category has exactly one right label (or all of the pool's)."""
    for where, question in classification_questions():
        choices = question.get("choices") or []
        texts = [clean(c["text"]) for c in choices]
        if question.get("type") in ("single_choice", "image_classification") and any(
            is_category_answer(t) for t in texts
        ):
            right = [t for c, t in zip(choices, texts, strict=True) if c.get("correct") is True]
            assert len(right) == 1 and right[0] in LABELS, where


def test_lessons_teach_only_pool_labels_as_answers():
    """Paths in backticks in the lessons are pool labels; no lesson gives a top category alone
    (`Electronics`) or "Unclassifiable" as an answer."""
    wrong = []
    allowed = {"Top > Sub"}
    for path in sorted(COURSE.glob("*/*.md")):
        text = path.read_text(encoding="utf-8")
        for token in re.findall(r"`([^`\n]+)`", text):
            token = clean(token)
            if token in allowed or token.count(" > ") > 1:  # e.g. a real shop's deeper path
                continue
            if " > " in token and token not in LABELS:
                wrong.append(f"{path.relative_to(COURSE)}: `{token}` is not a pool label")
            if token in TOPS:
                wrong.append(f"{path.relative_to(COURSE)}: `{token}` alone is not an answer in the pool")
        for line in text.splitlines():
            if re.search(r"Answer:\s*\**Unclassifiable", line) or re.search(r"\(top category alone\)", line):
                wrong.append(f"{path.relative_to(COURSE)}: teaches '{line.strip()}'")
    assert not wrong, "\n".join(wrong)
