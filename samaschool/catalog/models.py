from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from samaschool.db_types import UTCDateTime, check, one_of, utcnow
from samaschool.extensions import db

LEVELS = ("beginner", "intermediate", "advanced")


class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (one_of("level", LEVELS), check("estimated_hours_not_negative", "estimated_hours >= 0"))

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(20), index=True)
    language: Mapped[str] = mapped_column(String(8), index=True)
    estimated_hours: Mapped[int]
    is_published: Mapped[bool] = mapped_column(default=True)
    # The studio (samaschool/studio): the digest of the working copy when it was last published,
    # and when it last came from files (`courses import`, or a zip). Empty: never.
    published_digest: Mapped[str | None] = mapped_column(String(64))
    files_digest: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course",
        order_by="Module.position",
        primaryjoin="and_(Course.id == Module.course_id, Module.archived_at.is_(None))",
        viewonly=True,
    )


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module",
        order_by="Lesson.position",
        primaryjoin="and_(Module.id == Lesson.module_id, Lesson.archived_at.is_(None))",
        viewonly=True,
    )

    @property
    def minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "slug"), check("minutes_not_negative", "minutes >= 0"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int]
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised once, at import or save; pages serve this as it is.
    body_html: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    module: Mapped[Module] = relationship(back_populates="lessons")


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        Index("ix_enrolments_course_completed", "course_id", "completed_at"),
        Index("ix_enrolments_enrolled_at", "enrolled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "Continue where you left off": the lesson last opened, and when.
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When every live lesson was done and every live quiz passed (learning.services keeps it; the
    # statistics count completions from it rather than from a million progress rows).
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship()
    last_lesson: Mapped[Lesson | None] = relationship()
