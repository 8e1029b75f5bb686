"""Answers a demo learner gives: to quiz questions (graded afterwards by the question type's own
`grade`) and to pool tasks (checked against gold by the task type's own `matches`), so that the
stored scores and gold flags are exactly what the app would have computed."""

from __future__ import annotations

import random
from typing import Any

TASK_REASONS = (
    "Answer A gives safe, correct steps.",
    "B is accurate and answers the question asked.",
    "Both answers would lead the person into a scam.",
    "A is shorter but still complete and true.",
    "B explains the risk clearly.",
)


def _wrong_text(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) < 3:
        return text + " " + text
    keep = [word for word in words if rng.random() > 0.35] or words[:1]
    return " ".join(keep if keep != words else words[:-2])


def question_response(kind: str, data: dict, correct: bool, rng: random.Random) -> dict | None:
    """A response in the shape the question type's form parser makes, right or wrong; None for a
    type this module does not know (the question then stays unanswered)."""
    if kind in ("single_choice", "image_classification"):
        choices = data["choices"]
        best = max(choices, key=lambda c: c.get("weight", 100 if c["correct"] else 0))["id"]
        others = [c["id"] for c in choices if c["id"] != best]
        return {"choice": best if correct or not others else rng.choice(others)}
    if kind == "multiple_response":
        right = sorted(c["id"] for c in data["choices"] if c["correct"])
        if correct:
            return {"choices": right}
        flip = rng.choice(data["choices"])["id"]
        wrong = sorted(set(right) ^ {flip})
        return {"choices": wrong} if wrong else {"choices": right[:1] + [flip]}
    if kind == "true_false":
        return {"value": data["answer"] if correct else not data["answer"]}
    if kind == "short_answer":
        answers = data.get("answers") or []
        return {"text": answers[0] if correct and answers else "I am not sure"}
    if kind == "numeric":
        value = float(data["answer"])
        return {"value": value if correct else value + float(data.get("tolerance", 0)) + 1 + abs(value) / 2}
    if kind == "ordering":
        ids = [item["id"] for item in data["items"]]
        if not correct:
            ids[0], ids[1] = ids[1], ids[0]
        return {"positions": {item: position for position, item in enumerate(ids, start=1)}}
    if kind == "matching":
        rights = [pair["right_id"] for pair in data["pairs"]]
        if not correct:
            rights[0], rights[1] = rights[1], rights[0]
        return {"matches": {pair["id"]: right for pair, right in zip(data["pairs"], rights, strict=True)}}
    if kind in ("transcription", "audio_transcription"):
        reference = data["reference"]
        return {"text": reference if correct else _wrong_text(reference, rng)}
    if kind == "image_region":
        left, top, right, bottom = data["region"]
        if correct:
            return {"box": [left, top, right, bottom]}
        width = right - left
        return {"box": [right, top, right + width, bottom]}
    return None


def task_answer(task_type: str, labels: list[str], gold: Any, examples: list[Any], correct: bool, rng) -> Any:
    """A worker's answer to a task of `task_type`: the gold answer (or, for a task without gold, a
    plausible answer: one of `examples`, the pool's gold answers) when `correct`, else a wrong one."""
    if task_type in ("classification", "image_classification"):
        if gold is not None:
            others = [label for label in labels if label != gold]
            return gold if correct or not others else rng.choice(others)
        return rng.choice(labels) if labels else ""
    if task_type in ("tagging", "image_tagging"):
        base = list(gold) if gold is not None else sorted(rng.sample(labels, min(len(labels), rng.randint(0, 2))))
        if correct or not labels:
            return base
        return sorted(set(base) ^ {rng.choice(labels)})
    if task_type in ("transcription", "audio_transcription", "free_text"):
        text = gold if gold is not None else (rng.choice(examples) if examples else "Demo answer.")
        return text if correct else _wrong_text(str(text), rng)
    if task_type == "ai_comparison":
        choice = gold["choice"] if gold is not None else rng.choice(("a", "b", "both_bad"))
        if not correct:
            choice = rng.choice([c for c in ("a", "b", "both_bad") if c != choice])
        return {"choice": choice, "reason": rng.choice(TASK_REASONS)}
    if task_type == "bounding_boxes":
        boxes = gold if gold is not None else (rng.choice(examples) if examples else [])
        boxes = [dict(box) for box in boxes]
        if not correct and boxes:
            box = boxes[0]
            box["x"] = box["x"] + box["w"]  # beside the thing, not on it
        return boxes
    return None
