"""A stored image or sound: the original's facts and the phone-sized variants made from it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from samaschool.db_types import UTCDateTime, one_of, utcnow
from samaschool.extensions import db

KINDS = ("image", "audio")
IMAGE_VARIANTS = ("webp720", "webp360", "jpeg720", "jpeg360")
AUDIO_VARIANTS = ("opus", "aac")


class MediaFile(db.Model):
    """One file, named by the sha256 of the bytes that were uploaded (`key`): the same bytes are
    stored once, whoever uploads them and wherever they are used."""

    __tablename__ = "media_files"
    __table_args__ = (one_of("kind", KINDS), Index("ix_media_files_queued_at", "queued_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    original_name: Mapped[str] = mapped_column(String(255))
    source_type: Mapped[str] = mapped_column(String(40))
    # The original image's own pixel size: boxes and gold boxes are stored in these pixels.
    width: Mapped[int | None]
    height: Mapped[int | None]
    duration_ms: Mapped[int | None]
    # name -> {"path": storage path, "type": mime type, "bytes": size, "width": px or None, "height": px or None}
    variants: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A long sound is transcoded by the job worker, not in the upload's request (services.ingest):
    # until its variants exist, `queued_at` says when its job was last put on the queue (the sweep
    # queues it again when that is long ago). NULL once the variants are made: the row is ready.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the worker could not make the variants (the file is damaged past what the check reads);
    # the row then has no variants and is not queued again unless the file is uploaded again.
    transcode_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<MediaFile {self.kind} {self.key[:12]} {self.original_name!r}>"

    @property
    def ready(self) -> bool:
        """Its variants exist: pages may play or show it."""
        return self.queued_at is None and not self.transcode_error

    @property
    def state(self) -> str:
        """One of "ready", "waiting" (for the job worker) and "failed" (the worker could not make it)."""
        if self.transcode_error:
            return "failed"
        return "waiting" if self.queued_at is not None else "ready"

    def variant(self, name: str) -> dict[str, Any]:
        """The variant's record; KeyError for a name this file does not have."""
        return self.variants[name]

    def has_variant(self, name: str) -> bool:
        return name in (self.variants or {})

    def url(self, name: str) -> str:
        """The path URL the variant is served from (cached for a year: it never changes)."""
        values = {"key": self.key, "variant": name, "ext": self.variant(name)["path"].rsplit(".", 1)[-1]}
        if has_request_context():
            return url_for("media.file", **values)
        return current_app.url_map.bind("localhost", script_name="/").build("media.file", values)

    def size_bytes(self, name: str) -> int:
        return int(self.variant(name)["bytes"])

    def size_text(self, name: str) -> str:
        """The variant's size for people: "24 KB", "1.2 MB"."""
        from samaschool.media.formatting import format_size

        return format_size(self.size_bytes(name))

    @property
    def display_width(self) -> int | None:
        """The width of the largest variant pages show (webp720/jpeg720)."""
        return self._display("width")

    @property
    def display_height(self) -> int | None:
        return self._display("height")

    def _display(self, dimension: str) -> int | None:
        for name in ("jpeg720", "webp720"):
            if self.has_variant(name) and self.variants[name].get(dimension):
                return int(self.variants[name][dimension])
        return None
