"""The trainer studio: authoring courses in the browser, as files in the `courses/` format.

Views are split by area, all on one blueprint: `views` (courses, modules, lessons, preview,
publishing, zips), `question_views` (question bank, GIFT, quizzes), `people_views` (learners,
staff) and `certification_views` (certifications of a trainer's courses).
"""

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio")


def register_views() -> Blueprint:
    """Import every view module (each adds its routes to `bp`) and hand back the blueprint."""
    import importlib

    for name in ("views", "question_views", "people_views", "certification_views"):
        try:
            importlib.import_module(f"samaschool.studio.{name}")
        except ModuleNotFoundError as error:  # pragma: no cover - while a part is being written
            if error.name != f"samaschool.studio.{name}":
                raise
    return bp
