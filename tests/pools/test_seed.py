from pathlib import Path

from sqlalchemy import func, select

from samaschool.content.course_folder import read_content
from samaschool.content.importer import import_certifications, import_courses
from samaschool.extensions import db
from samaschool.pools.models import Pool, Task

COURSES = Path(__file__).resolve().parents[2] / "courses"


def test_demo_pool_is_seeded_once_from_the_shipped_file(app):
    with app.app_context():
        content = read_content(COURSES)
        import_courses(content.courses)
        import_certifications(content.certifications)
        db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["pools", "seed-demo"])
    assert first.exit_code == 0 and "200 tasks (20 gold)" in first.output
    assert runner.invoke(args=["pools", "seed-demo"]).output == ""  # a second run changes nothing
    with app.app_context():
        pool = db.session.scalar(select(Pool))
        assert pool.required_certifications == ["data-annotation"] and pool.status == "open"
        assert len(pool.labels) == 39 and "Electronics > Mobile phones" in pool.labels
        assert db.session.scalar(select(func.count()).select_from(Task)) == 200
        gold = db.session.scalars(select(Task.gold_answer).where(Task.is_gold.is_(True))).all()
        assert len(gold) == 20 and all(label in pool.labels for label in gold)
