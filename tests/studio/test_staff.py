"""A course's staff in the studio: who sees the list, who adds and removes owners and co-trainers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from samaschool.audit import AuditEntry
from samaschool.auth.models import User
from samaschool.catalog.models import Course
from samaschool.errors import NotAllowed
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.studio import people
from samaschool.studio.models import CourseStaff
from tests.factories import PASSWORD
from tests.studio.helpers import studio_course
from tests.test_query_budgets import assert_fixed_budget, grower

ROLES = ("anon", "learner", "other", "co", "owner", "admin")


@pytest.fixture
def crew(app, make):
    """A course with an owner and a co-trainer; a trainer of another course; a learner; an admin;
    and a trainer who is on no course yet (`spare`)."""
    users = {
        "learner": make.user(name="Lina Learner"),
        "other": make.user(Role.TRAINER, name="Otto Other"),
        "co": make.user(Role.TRAINER, name="Cora Cotrainer"),
        "owner": make.user(Role.TRAINER, name="Olga Owner"),
        "admin": make.user(Role.ADMIN, name="Ada Admin"),
        "spare": make.user(Role.TRAINER, name="Sam Spare"),
    }
    course = studio_course(app, make, owner=users["owner"], co_trainers=[users["co"]])
    studio_course(app, make, owner=users["other"])
    return users, course


def client_for(app, user):
    client = app.test_client()
    if user is not None:
        response = client.submit("/account/login", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
    return client


def staff_rows(app, course) -> dict[int, str]:
    with app.app_context():
        return dict(
            db.session.execute(
                select(CourseStaff.user_id, CourseStaff.role).where(CourseStaff.course_id == course.id)
            ).all()
        )


def audit_actions(app) -> list[tuple[str, int, dict | None, dict | None]]:
    with app.app_context():
        return [
            (entry.action, entry.actor_id, entry.before, entry.after)
            for entry in db.session.scalars(
                select(AuditEntry).where(AuditEntry.action.like("course_staff.%")).order_by(AuditEntry.id)
            )
        ]


def outcome(response) -> str:
    if response.status_code == 302 and "/account/login" in response.headers["Location"]:
        return "login"
    return str(response.status_code)


# Every route for every role ------------------------------------------------------------------


def test_every_staff_route_for_every_role(app, crew):
    users, course = crew
    url = f"/studio/{course.slug}/staff"
    expected_get = {"anon": "login", "learner": "403", "other": "403", "co": "200", "owner": "200", "admin": "200"}
    expected_add = {"anon": "login", "learner": "403", "other": "403", "co": "403", "owner": "302", "admin": "302"}
    for role in ROLES:
        client = client_for(app, users.get(role))
        form_page = "/account/login" if role == "anon" else "/account/password"  # a CSRF token for the caller
        assert outcome(client.get(url)) == expected_get[role], role
        before = staff_rows(app, course)
        # Each caller tries to add the spare trainer and to remove the co-trainer.
        added = client.submit(url, {"email": users["spare"].email, "role": "co_trainer"}, page=form_page)
        assert outcome(added) == expected_add[role], role
        if expected_add[role] != "302":
            assert staff_rows(app, course) == before, role
        removed = client.submit(f"{url}/{users['co'].id}/remove", page=form_page)
        assert outcome(removed) == expected_add[role], role
        if expected_add[role] != "302":
            assert staff_rows(app, course) == before, role
        else:  # put things back for the next caller
            with app.app_context():
                db.session.execute(CourseStaff.__table__.delete().where(CourseStaff.user_id == users["spare"].id))
                db.session.add(CourseStaff(course_id=course.id, user_id=users["co"].id, role="co_trainer"))
                db.session.commit()
    # Unknown course: 404 for everyone who may use the studio.
    assert client_for(app, users["owner"]).get("/studio/no-such-course/staff").status_code == 404


def test_the_staff_page_lists_owners_then_co_trainers_and_offers_changes_only_to_managers(app, crew):
    users, course = crew
    url = f"/studio/{course.slug}/staff"
    page = client_for(app, users["owner"]).get(url).get_data(as_text=True)
    assert page.index("Olga Owner") < page.index("Cora Cotrainer")
    assert "Add as co-trainer" in page and "Remove Cora Cotrainer" in page and "Leave the course" in page
    assert 'name="role"' in page and "<select" not in page  # an owner adds co-trainers only
    co_page = client_for(app, users["co"]).get(url).get_data(as_text=True)
    assert "Olga Owner" in co_page and "Cora Cotrainer" in co_page
    assert "Add a trainer" not in co_page and "Remove" not in co_page
    admin_page = client_for(app, users["admin"]).get(url).get_data(as_text=True)
    assert "<select" in admin_page and "Remove Olga Owner" in admin_page


# Adding ----------------------------------------------------------------------------------------


def test_an_owner_adds_a_co_trainer_once_and_it_is_audited(app, crew):
    users, course = crew
    client = client_for(app, users["owner"])
    url = f"/studio/{course.slug}/staff"
    response = client.submit(url, {"email": "  " + users["spare"].email.upper() + " "})
    assert response.status_code == 302
    assert staff_rows(app, course)[users["spare"].id] == "co_trainer"
    assert "is now a co-trainer of this course" in client.get(url).get_data(as_text=True)
    assert audit_actions(app) == [
        ("course_staff.added", users["owner"].id, None, {"user_id": users["spare"].id, "role": "co_trainer"})
    ]
    # The new co-trainer can now open the course in the studio.
    assert client_for(app, users["spare"]).get(url).status_code == 200
    # A replay changes nothing twice.
    again = client.submit(url, {"email": users["spare"].email})
    assert again.status_code == 302
    assert "is already a co-trainer of this course" in client.get(url).get_data(as_text=True)
    assert len(audit_actions(app)) == 1


def test_only_trainers_can_be_added_and_the_form_keeps_the_email(app, crew):
    users, course = crew
    client = client_for(app, users["owner"])
    url = f"/studio/{course.slug}/staff"
    for email, message in (
        (users["learner"].email, "Lina Learner is not a trainer. An admin must give them the trainer role first"),
        (users["admin"].email, "Ada Admin is not a trainer."),
        ("nobody@example.org", "No account has this email."),
    ):
        response = client.submit(url, {"email": email, "role": "co_trainer"})
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and message in page
        assert f'value="{email}"' in page
    empty = client.submit(url, {"email": "", "role": "co_trainer"})
    assert empty.status_code == 422
    assert set(staff_rows(app, course)) == {users["owner"].id, users["co"].id}
    assert audit_actions(app) == []


def test_owners_cannot_add_or_change_owners_but_admins_can(app, crew):
    users, course = crew
    url = f"/studio/{course.slug}/staff"
    owner = client_for(app, users["owner"])
    # An owner forging role=owner in the form.
    refused = owner.submit(url, {"email": users["spare"].email, "role": "owner"})
    assert refused.status_code == 422
    assert users["spare"].id not in staff_rows(app, course)
    # Nor promote a co-trainer: the service says no, whatever the form offers.
    with app.app_context():
        actor = db.session.get(User, users["owner"].id)
        with pytest.raises(NotAllowed):
            people.add_staff(actor, db.session.get(Course, course.id), users["co"].email, "owner")
    admin = client_for(app, users["admin"])
    assert admin.submit(url, {"email": users["spare"].email, "role": "owner"}).status_code == 302
    assert staff_rows(app, course)[users["spare"].id] == "owner"
    assert "is now an owner of this course" in admin.get(url).get_data(as_text=True)
    assert admin.submit(url, {"email": users["spare"].email, "role": "owner"}).status_code == 302
    assert "is already an owner of this course" in admin.get(url).get_data(as_text=True)
    # An owner adding another owner as co-trainer would demote them: admins only.
    demote = owner.submit(url, {"email": users["spare"].email, "role": "co_trainer"})
    assert demote.status_code == 422 and "Only an admin can add or change owners." in demote.get_data(as_text=True)
    assert staff_rows(app, course)[users["spare"].id] == "owner"
    # The admin promotes the co-trainer: a role change, audited with before and after.
    assert admin.submit(url, {"email": users["co"].email, "role": "owner"}).status_code == 302
    assert staff_rows(app, course)[users["co"].id] == "owner"
    assert audit_actions(app)[-1] == (
        "course_staff.role_changed",
        users["admin"].id,
        {"user_id": users["co"].id, "role": "co_trainer"},
        {"user_id": users["co"].id, "role": "owner"},
    )


def test_an_admin_assigns_an_owner_to_a_shipped_course(app, make):
    """Courses shipped in courses/ have no staff: admins only, until an admin assigns an owner."""
    admin, trainer = make.user(Role.ADMIN), make.user(Role.TRAINER, name="Tamu Trainer")
    course = studio_course(app, make)
    url = f"/studio/{course.slug}/staff"
    assert client_for(app, trainer).get(url).status_code == 403
    admin_client = client_for(app, admin)
    assert "Nobody is on this course" in admin_client.get(url).get_data(as_text=True)
    assert admin_client.submit(url, {"email": trainer.email, "role": "owner"}).status_code == 302
    trainer_client = client_for(app, trainer)
    assert "Tamu Trainer" in trainer_client.get(url).get_data(as_text=True)
    # The new owner manages the staff from now on.
    assert trainer_client.submit(url, {"email": make.user(Role.TRAINER).email}).status_code == 302


# Removing --------------------------------------------------------------------------------------


def test_an_owner_removes_a_co_trainer_once(app, crew):
    users, course = crew
    owner = client_for(app, users["owner"])
    url = f"/studio/{course.slug}/staff/{users['co'].id}/remove"
    assert owner.submit(url, page=f"/studio/{course.slug}/staff").status_code == 302
    assert users["co"].id not in staff_rows(app, course)
    assert client_for(app, users["co"]).get(f"/studio/{course.slug}/staff").status_code == 403
    replay = owner.submit(url, page=f"/studio/{course.slug}/staff")
    assert replay.status_code == 302
    assert [action for action, *_rest in audit_actions(app)] == ["course_staff.removed"]
    assert audit_actions(app)[0][2] == {"user_id": users["co"].id, "role": "co_trainer"}


def test_owners_cannot_remove_other_owners_nor_leave_a_course_without_one(app, crew, make):
    users, course = crew
    staff_page = f"/studio/{course.slug}/staff"
    owner = client_for(app, users["owner"])
    # The last owner cannot leave.
    response = owner.submit(f"{staff_page}/{users['owner'].id}/remove", page=staff_page, follow_redirects=True)
    assert "You are the course&#39;s only owner" in response.get_data(as_text=True)
    assert staff_rows(app, course)[users["owner"].id] == "owner"
    # With a second owner, one owner cannot remove the other, but may leave.
    second = make.user(Role.TRAINER, name="Second Owner")
    make.staff(course, second, "owner")
    response = owner.submit(f"{staff_page}/{second.id}/remove", page=staff_page, follow_redirects=True)
    assert "Only an admin can add or change owners." in response.get_data(as_text=True)
    assert second.id in staff_rows(app, course)
    left = owner.submit(f"{staff_page}/{users['owner'].id}/remove", page=staff_page)
    assert left.status_code == 302 and left.headers["Location"] == "/studio/"
    assert users["owner"].id not in staff_rows(app, course)
    # An admin may remove even the last owner.
    admin = client_for(app, users["admin"])
    assert admin.submit(f"{staff_page}/{second.id}/remove", page=staff_page).status_code == 302
    assert staff_rows(app, course) == {users["co"].id: "co_trainer"}
    with app.app_context():
        removals = db.session.scalar(select(func.count()).where(AuditEntry.action == "course_staff.removed"))
    assert removals == 2


def test_the_staff_page_runs_a_fixed_number_of_queries(app, make, count_queries):
    owner = make.user(Role.TRAINER)
    course = studio_course(app, make, owner=owner)

    def co_trainer(i):
        trainer = make.user(Role.TRAINER, name=f"Co-trainer {i}")
        make.staff(course, trainer, "co_trainer")
        return trainer

    grow, _made = grower(co_trainer)
    page = assert_fixed_budget(
        client_for(app, owner), count_queries, f"/studio/{course.slug}/staff", grow, sizes=(1, 8)
    )
    assert "Remove Co-trainer 7" in page.get_data(as_text=True)
