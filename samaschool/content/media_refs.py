"""Images and sound in a course folder: the files in its `media/` folder that lessons and
questions name, each read and checked once (samaschool.media.checks.inspect: no writes).

A path is read relative to the file that names it, as Markdown previews do
(`![…](../media/shoe.png)` in a lesson, `file: ../media/shoe.png` in questions/); a path that
starts with `media/` may also be given relative to the course folder. Either way the file must
be inside the course's own `media/` folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from samaschool.content.checks import Checker
from samaschool.media.checks import inspect
from samaschool.media.errors import MediaError

MEDIA_FOLDER = "media"
URL_RE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
WHAT = {"image": "an image", "audio": "a sound file"}


@dataclass(frozen=True)
class MediaUse:
    """A checked media file: where it is, what it is, and its key (the sha256 of its bytes)."""

    path: Path
    name: str  # as shown in messages: relative to the course folder, e.g. media/shoe.png
    kind: str
    key: str
    width: int | None = None
    height: int | None = None


class CourseMedia:
    """The media files one course folder's content uses, checked once each."""

    def __init__(self, course_folder: Path) -> None:
        self.folder = course_folder
        self.root = (course_folder / MEDIA_FOLDER).resolve()
        self.checked: dict[Path, MediaUse | str] = {}  # a file's use, or why it is refused

    @property
    def used(self) -> list[MediaUse]:
        return [use for use in self.checked.values() if isinstance(use, MediaUse)]

    def _inside(self, path: Path) -> bool:
        return path == self.root or self.root in path.parents

    def resolve(self, ref: object, base: Path, file: str, line: int, checker: Checker, kind: str) -> MediaUse | None:
        """The checked file `ref` names (relative to the folder `base`); problems go to `file:line`."""
        if not isinstance(ref, str) or not ref.strip():
            checker.add(file, line, f"give the path of {WHAT[kind]} in the course's {MEDIA_FOLDER}/ folder")
            return None
        ref = ref.strip()
        if URL_RE.match(ref):
            checker.add(
                file,
                line,
                f"'{ref}': images and sounds must be files in the course's {MEDIA_FOLDER}/ folder, "
                "not addresses on the web",
            )
            return None
        candidates = [(base / ref).resolve()]
        if ref.startswith(MEDIA_FOLDER + "/"):
            candidates.append((self.folder / ref).resolve())
        found = next((c for c in candidates if self._inside(c) and c.is_file()), None)
        if found is None:
            if not any(self._inside(c) for c in candidates):
                checker.add(file, line, f"'{ref}' is not in the course's {MEDIA_FOLDER}/ folder")
            else:
                checker.add(file, line, f"media file '{ref}' does not exist")
            return None
        use = self._check(found)
        if isinstance(use, str):
            checker.add(file, line, use)
            return None
        if use.kind != kind:
            checker.add(file, line, f"'{ref}' is {WHAT[use.kind]}, but {WHAT[kind]} is needed here")
            return None
        return use

    def _check(self, path: Path) -> MediaUse | str:
        if path not in self.checked:
            name = path.relative_to(self.folder.resolve()).as_posix()
            try:
                probe = inspect(path.read_bytes(), name)
            except MediaError as error:
                self.checked[path] = str(error)
            except OSError:
                self.checked[path] = f"{name}: the file cannot be read"
            else:
                self.checked[path] = MediaUse(path, name, probe.kind, probe.sha256, probe.width, probe.height)
        return self.checked[path]
