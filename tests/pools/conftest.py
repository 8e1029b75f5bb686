import pytest

from samaschool.auth.models import User
from samaschool.extensions import db
from samaschool.pools.models import Assignment, Pool
from tests.factories import PASSWORD


@pytest.fixture
def certified_pool(app, make):
    """A course, the certification it leads to, an open pool requiring it, and a certified worker."""
    course = make.course(modules=3, lessons_per_module=1)
    certification = make.certification(course)
    pool = make.pool(certification=certification)
    worker = make.user(name="Amina Worker")
    make.certificate(worker, certification)
    return course, certification, pool, worker


def logged_in(app, user):
    client = app.test_client()
    client.submit("/account/login", {"email": user.email, "password": PASSWORD})
    return client


def load(app, model, ident):
    with app.app_context():
        obj = db.session.get(model, ident)
        db.session.expunge(obj)
        return obj


__all__ = ["Assignment", "Pool", "User", "load", "logged_in"]


def new_pool_form(**changes):
    """Every field of the pool form, filled as a manager would; `changes` override."""
    form = {
        "name": "Receipts",
        "slug": "receipts",
        "description": "Read receipts.",
        "instructions": "Type the total.",
        "task_type": "classification",
        "labels": "food\nfuel",
        "reward": "5.50",
        "currency": "KES",
        "status": "open",
        "lease_minutes": "30",
        "max_concurrent_claims": "1",
        "overlap": "1",
        "review_mode": "manual",
        "quality_threshold_percent": "70",
        "quality_min_gold": "5",
        "suspension_days": "7",
        "iou_threshold_percent": "50",
        "max_error_percent": "10",
    }
    return {**form, **changes}
