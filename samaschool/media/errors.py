"""The one error media raises."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from samaschool.errors import DomainError


def shown_name(filename: str | None) -> str:
    """The file's own name, without any folder a browser or zip put in front of it."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()
    return name[:255] or "file"


class MediaError(DomainError):
    """A file we do not accept. `str(error)` is "<filename>: <reason>", the reason in plain words
    (translated when raised inside a request), e.g. "photo.png: this is not an image or sound
    file we accept (it looks like HTML)"."""

    def __init__(self, filename: str | None, reason: str):
        # As the caller names it: "media/cat.png" in a course folder, "cat.png" from a browser.
        self.filename = (filename or "").strip()[:255] or "file"
        self.reason = str(reason)
        super().__init__(f"{self.filename}: {self.reason}")
