"""Who may edit a course, and the studio's working copy of its files (the draft)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from samaschool.db_types import UTCDateTime, check, one_of, utcnow
from samaschool.extensions import db

STAFF_ROLES = ("owner", "co_trainer")


class CourseStaff(db.Model):
    """A trainer who owns or co-trains a course. Courses without any are the admins' alone."""

    __tablename__ = "course_staff"
    __table_args__ = (UniqueConstraint("course_id", "user_id"), one_of("role", STAFF_ROLES))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="co_trainer")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")


class CourseFile(db.Model):
    """One file of a course's working copy, in the `courses/` folder format: `path` is relative
    to the course folder ("course.yml", "module/lesson.md", "media/shoe.jpg"). Text files keep
    their text; media files name their stored file by content hash. Learners never see these
    rows: publishing checks them all with the folder validator and imports them in one go.
    `version` goes up on every save, so a save made from an older version is a conflict."""

    __tablename__ = "course_files"
    __table_args__ = (
        UniqueConstraint("course_id", "path"),
        check("text_or_media", "text IS NOT NULL OR media_key IS NOT NULL"),
        check("version_positive", "version >= 1"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    text: Mapped[str | None] = mapped_column(Text)
    media_key: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by = relationship("User")
