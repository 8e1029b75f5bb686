"""Where media variants are kept, behind a small interface.

Callers only use `storage()` and the `Storage` methods below, with paths made by
`variant_path()` ("ab/abcdef…/webp720.webp": content-addressed, so a path's bytes never change).
`FilesystemStorage` keeps them under SAMASCHOOL_MEDIA_PATH (default `<instance>/media`), which
suits one machine. An S3-compatible object store (a later issue) implements the same methods:
`put` becomes a PUT of the object, `read`/`exists`/`size` a GET/HEAD, and `response` a redirect
to a signed or public URL, or a proxied stream that honours Range; no caller changes.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import Response, current_app, send_file

PATH_RE = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}/[a-z0-9]+\.[a-z0-9]+")


def variant_path(key: str, name: str, ext: str) -> str:
    return f"{key[:2]}/{key}/{name}.{ext}"


class Storage:
    """What every media store does. Paths are the ones `variant_path()` makes."""

    def put(self, path: str, data: bytes) -> None:
        """Store `data` at `path`, atomically: readers see all of it or nothing."""
        raise NotImplementedError

    def read(self, path: str) -> bytes:
        raise NotImplementedError

    def open(self, path: str) -> BinaryIO:
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def size(self, path: str) -> int:
        raise NotImplementedError

    def response(self, path: str, mimetype: str) -> Response:
        """The HTTP response that serves `path`: conditional (ETag, If-None-Match) and with Range support."""
        raise NotImplementedError


class FilesystemStorage(Storage):
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def local_path(self, path: str) -> Path:
        if not PATH_RE.fullmatch(path):  # never a path outside the store ("..", absolute, odd names)
            raise ValueError(f"not a media storage path: {path!r}")
        return self.root / path

    def put(self, path: str, data: bytes) -> None:
        target = self.local_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data)

    def read(self, path: str) -> bytes:
        return self.local_path(path).read_bytes()

    def open(self, path: str) -> BinaryIO:
        return self.local_path(path).open("rb")

    def exists(self, path: str) -> bool:
        return self.local_path(path).is_file()

    def size(self, path: str) -> int:
        return self.local_path(path).stat().st_size

    def response(self, path: str, mimetype: str) -> Response:
        # Read whole (a variant is small: an image tens of KB, ten minutes of Opus about 1.2 MB), so no
        # file stays open however the client reads the answer. The path names the content: it is the ETag.
        data = self.read(path)
        etag = path.replace("/", "-")
        return send_file(io.BytesIO(data), mimetype=mimetype, conditional=True, etag=etag, max_age=None)


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file beside `target`, then rename it over: never a half-written file."""
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def storage() -> Storage:
    """The configured store (the filesystem under SAMASCHOOL_MEDIA_PATH)."""
    return FilesystemStorage(current_app.config["SAMASCHOOL_MEDIA_PATH"])
