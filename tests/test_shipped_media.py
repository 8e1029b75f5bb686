"""Every image and sound shipped in seed/ and courses/*/media/ goes through the real media
pipeline and keeps to the budgets learners pay for on metered phones, and CREDITS.md names its
source and licence.

Budgets (issue 10): an image's 360 px WebP at most 40 KB; speech at most 25 KB per 10 seconds
in its Opus variant. KB here is 1000 bytes. Encodings come from the shared encode cache
(`.media-cache/`), so only a file that changed is encoded again.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from samaschool.media import services
from samaschool.media.errors import MediaError

ROOT = Path(__file__).resolve().parents[1]
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif"}
AUDIO_SUFFIXES = {".wav", ".mp3", ".ogg", ".opus", ".oga", ".m4a", ".aac"}
IMAGE_360_MAX_BYTES = 40_000
SPEECH_MAX_BYTES_PER_10_SECONDS = 25_000
SEED_SOURCE_MAX_BYTES = 40_000  # the files committed for the demo pools (the repository stays small)


def shipped_media() -> list[Path]:
    folders = [ROOT / "seed", *sorted(ROOT.glob("courses/*/media"))]
    return sorted(
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES | AUDIO_SUFFIXES
    )


def credited_patterns() -> list[str]:
    """Paths and patterns in backticks in CREDITS.md."""
    text = (ROOT / "CREDITS.md").read_text(encoding="utf-8")
    return [token for token in re.findall(r"`([^`\s]+)`", text) if "/" in token]


def test_media_are_shipped_where_this_test_looks():
    files = [path.relative_to(ROOT).as_posix() for path in shipped_media()]
    assert sum(name.startswith("seed/media/") for name in files) == 120  # 70 photos, 50 voice notes
    assert all(not name.startswith("seed/") or name.startswith("seed/media/") for name in files)


def test_every_shipped_media_file_is_in_credits():
    patterns = credited_patterns()
    missing = [
        name
        for name in (path.relative_to(ROOT).as_posix() for path in shipped_media())
        if not any(name == pattern or fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
    ]
    assert not missing, f"not in CREDITS.md (source and licence): {missing}"


def test_every_shipped_media_file_keeps_to_the_budgets(app):
    problems, files = [], shipped_media()
    assert len(files) >= 120  # the demo pools' media at least
    with app.app_context():
        for path in files:
            name = path.relative_to(ROOT).as_posix()
            try:
                media = services.ingest_path(path, name)
            except MediaError as error:
                problems.append(str(error))
                continue
            if name.startswith("seed/") and path.stat().st_size > SEED_SOURCE_MAX_BYTES:
                problems.append(f"{name}: the shipped file is {path.stat().st_size:,} bytes")
            if path.suffix.lower() in IMAGE_SUFFIXES:
                size = media.size_bytes("webp360") if media.kind == "image" else None
                if media.kind != "image" or size > IMAGE_360_MAX_BYTES:
                    problems.append(f"{name}: {media.kind}, 360 px WebP {size} bytes")
            else:
                seconds = (media.duration_ms or 0) / 1000
                if media.kind != "audio" or seconds <= 0:
                    problems.append(f"{name}: {media.kind}, {seconds} s")
                    continue
                per_10_seconds = media.size_bytes("opus") * 10 / seconds
                if per_10_seconds > SPEECH_MAX_BYTES_PER_10_SECONDS:
                    problems.append(f"{name}: Opus {per_10_seconds:,.0f} bytes per 10 s")
    assert not problems, "\n".join(problems)
