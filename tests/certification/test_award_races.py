"""Certificates are never lost: finishing the last lessons in two tabs at once, on either
database, gives every learner exactly one certificate; `certs award-due` fills any gap."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from samaschool.certification.models import Certificate
from samaschool.extensions import db
from tests.factories import PASSWORD

LEARNERS = 10


def _logged_in(app, email):
    client = app.test_client()
    client.submit("/account/login", {"email": email, "password": PASSWORD})
    return client


def _certificates_by_learner(app) -> dict[int, int]:
    with app.app_context():
        rows = db.session.execute(select(Certificate.user_id, func.count()).group_by(Certificate.user_id)).all()
    return dict(rows)


def test_two_tabs_finishing_the_last_lessons_at_once_still_earn_the_certificate(app, make):
    course = make.course(modules=1, lessons_per_module=2)
    make.certification(course, quiz=None)
    learners = [make.user(name=f"Learner {n}") for n in range(LEARNERS)]
    tabs = []
    for learner in learners:
        first = _logged_in(app, learner.email)
        first.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
        second = _logged_in(app, learner.email)
        for client, lesson in ((first, "lesson-1-1"), (second, "lesson-1-2")):
            url = f"/courses/{course.slug}/lessons/{lesson}"
            tabs.append((client, f"{url}/complete", client.csrf_token(url)))

    barrier, statuses = threading.Barrier(len(tabs)), []

    def finish(client, url, token):
        barrier.wait(timeout=30)
        statuses.append(client.post(url, data={"csrf_token": token}).status_code)

    threads = [threading.Thread(target=finish, args=tab) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [302] * len(tabs)
    assert _certificates_by_learner(app) == {learner.id: 1 for learner in learners}


def test_award_due_issues_what_is_earned_but_missing_and_only_once(app, make):
    course = make.course(modules=1, lessons_per_module=1)
    make.certification(course, quiz=None)
    done, started = make.user(name="Finished"), make.user(name="Started")
    for learner, finish in ((done, True), (started, False)):
        client = _logged_in(app, learner.email)
        client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
        if finish:
            url = f"/courses/{course.slug}/lessons/lesson-1-1"
            client.submit(f"{url}/complete", page=url)
    with app.app_context():  # as if the award had been lost
        db.session.execute(Certificate.__table__.delete())
        db.session.commit()

    runner = app.test_cli_runner()
    result = runner.invoke(args=["certs", "award-due"])
    assert result.exit_code == 0 and "Issued 1 certificate(s)." in result.output
    assert _certificates_by_learner(app) == {done.id: 1}
    again = runner.invoke(args=["certs", "award-due"])
    assert "Issued 0 certificate(s)." in again.output
    assert _certificates_by_learner(app) == {done.id: 1}
