"""Where media variants are kept, behind a small interface.

Callers only use `storage()` and the `Storage` methods below, with paths made by
`variant_path()` ("ab/abcdef…/webp720.webp": content-addressed, so a path's bytes never change).
`FilesystemStorage` keeps them under SAMASCHOOL_MEDIA_PATH (default `<instance>/media`), which
suits one machine and is the default. `S3Storage` (SAMASCHOOL_MEDIA_STORAGE=s3) keeps them in an
S3-compatible object store as objects named SAMASCHOOL_S3_PREFIX + path, and serves them by a
redirect to a short-lived signed URL: the object store then answers the GET itself, Range included.
The tests run it against moto's standalone server, an emulator of S3 on this machine, not AWS.
The uploaded originals (`original.bin`, never served) live in the same store as the variants.
"""

from __future__ import annotations

import io
import mimetypes
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from flask import Flask, Response, current_app, redirect, send_file

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

    def delete(self, path: str) -> None:
        """Remove `path`; nothing happens when it is not there."""
        raise NotImplementedError

    def paths(self) -> Iterator[str]:
        """Every stored path (variants and originals), in no particular order: what a backup copies."""
        raise NotImplementedError

    def response(self, path: str, mimetype: str) -> Response:
        """The HTTP response that serves `path`: conditional (ETag, If-None-Match) and with Range support,
        or a redirect to an address that is."""
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

    def delete(self, path: str) -> None:
        target = self.local_path(path)
        target.unlink(missing_ok=True)
        for folder in (target.parent, target.parent.parent):  # "ab/<key>/" and "ab/", once empty
            try:
                folder.rmdir()
            except OSError:  # not empty (or already gone)
                break

    def paths(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for file in self.root.rglob("*"):
            path = file.relative_to(self.root).as_posix()
            if PATH_RE.fullmatch(path) and file.is_file():  # never a ".tmp-" file being written
                yield path

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


CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "ogg": "audio/ogg", "m4a": "audio/mp4"}
# What the object store sends with a variant: the bytes behind a path never change (see views.py).
IMMUTABLE = "public, max-age=31536000, immutable"


class S3Storage(Storage):
    """An S3-compatible object store (AWS S3, MinIO, Ceph, Garage…) through boto3.

    `client` is a boto3 S3 client, made once per app and process (see `storage()`); credentials
    come from boto3's own sources (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an instance
    role). Objects are named `prefix + path`. `response()` does not stream the bytes through the
    app: it redirects (302) to a presigned GET URL valid `url_seconds`, which asks the store to
    answer with the variant's type, inline, and a year's cache; the store honours Range itself.
    """

    def __init__(self, client, bucket: str, prefix: str = "", url_seconds: int = 300):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.url_seconds = url_seconds

    def key(self, path: str) -> str:
        if not PATH_RE.fullmatch(path):
            raise ValueError(f"not a media storage path: {path!r}")
        return self.prefix + path

    def put(self, path: str, data: bytes) -> None:
        # A PUT is atomic: readers see the previous object or the whole new one, never part of it.
        suffix = path.rsplit(".", 1)[-1]
        content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
        self.client.put_object(Bucket=self.bucket, Key=self.key(path), Body=data, ContentType=content_type)

    def read(self, path: str) -> bytes:
        body = self.client.get_object(Bucket=self.bucket, Key=self.key(path))["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def open(self, path: str) -> BinaryIO:
        return io.BytesIO(self.read(path))

    def _head(self, path: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.key(path))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def exists(self, path: str) -> bool:
        return self._head(path) is not None

    def size(self, path: str) -> int:
        head = self._head(path)
        if head is None:
            raise FileNotFoundError(path)
        return head["ContentLength"]

    def delete(self, path: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(path))

    def paths(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                path = item["Key"][len(self.prefix) :]
                if PATH_RE.fullmatch(path):
                    yield path

    def url(self, path: str, mimetype: str) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self.key(path),
                "ResponseContentType": mimetype,
                "ResponseContentDisposition": "inline",
                "ResponseCacheControl": IMMUTABLE,
            },
            ExpiresIn=self.url_seconds,
        )

    def response(self, path: str, mimetype: str) -> Response:
        response = redirect(self.url(path, mimetype), 302)
        # The address stops working after url_seconds: a cache may keep the redirect for half of
        # that at most, so whoever follows a cached redirect still has time to use it.
        response.headers["Cache-Control"] = f"public, max-age={self.url_seconds // 2}"
        return response


_clients_lock = threading.Lock()


def s3_client(app: Flask):
    """The app's boto3 S3 client: made on first use in each process (never per request, and never
    inherited across a fork: boto3 clients are thread-safe but not fork-safe) and for these settings."""
    import boto3
    from botocore.config import Config

    settings = (
        os.getpid(),
        app.config.get("SAMASCHOOL_S3_ENDPOINT_URL") or None,
        app.config.get("SAMASCHOOL_S3_REGION") or None,
    )
    clients = app.extensions.setdefault("samaschool_s3_clients", {})
    client = clients.get(settings)
    if client is None:
        with _clients_lock:
            client = clients.get(settings)
            if client is None:
                client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=settings[1],
                    region_name=settings[2],
                    config=Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 3}),
                )
                clients.clear()  # another process's, or an earlier configuration's
                clients[settings] = client
    return client


def storage() -> Storage:
    """The configured store: the filesystem under SAMASCHOOL_MEDIA_PATH (the default), or an
    S3-compatible object store when SAMASCHOOL_MEDIA_STORAGE is "s3"."""
    config = current_app.config
    kind = config.get("SAMASCHOOL_MEDIA_STORAGE") or "filesystem"
    if kind == "filesystem":
        return FilesystemStorage(config["SAMASCHOOL_MEDIA_PATH"])
    if kind == "s3":
        if not config.get("SAMASCHOOL_S3_BUCKET"):
            raise RuntimeError("SAMASCHOOL_MEDIA_STORAGE is s3 but SAMASCHOOL_S3_BUCKET is not set.")
        return S3Storage(
            s3_client(current_app._get_current_object()),  # type: ignore[attr-defined]
            config["SAMASCHOOL_S3_BUCKET"],
            config.get("SAMASCHOOL_S3_PREFIX") or "",
            int(config.get("SAMASCHOOL_S3_URL_SECONDS") or 300),
        )
    raise RuntimeError(f"SAMASCHOOL_MEDIA_STORAGE must be filesystem or s3, not {kind!r}.")
