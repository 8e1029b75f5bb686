"""Imports every model so that metadata (and Alembic) sees the whole schema."""

from samaschool.assessments.models import Attempt, AttemptQuestion, Question, Quiz  # noqa: F401
from samaschool.audit import AuditEntry  # noqa: F401
from samaschool.auth.models import PasswordResetToken, PayoutAccountChange, User, UserSession  # noqa: F401
from samaschool.catalog.models import Course, Enrolment, Lesson, Module  # noqa: F401
from samaschool.certification.models import Certificate, Certification  # noqa: F401
from samaschool.jobs import JobEvent  # noqa: F401
from samaschool.learning.models import LessonProgress  # noqa: F401
from samaschool.mail import OutgoingEmail  # noqa: F401
from samaschool.media.models import MediaFile  # noqa: F401
from samaschool.pools.models import (  # noqa: F401
    ApiToken,
    Assignment,
    EarningEntry,
    PayoutBatch,
    PayoutLine,
    Pool,
    Suspension,
    Task,
)
from samaschool.studio.models import CourseFile, CourseStaff  # noqa: F401
