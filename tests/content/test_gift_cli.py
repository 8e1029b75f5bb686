"""`flask questions import|export` against the database."""

from sqlalchemy import select

from samaschool.assessments.models import Question
from samaschool.extensions import db

GIFT = """$CATEGORY: safety/passwords

::pw-strong::Which password is hardest to guess? {
  ~Nairobi2024#Place names and years are guessed first.
  =green mango bus window#Long and random.
  ~P@ssw0rd!
}

::public-wifi::Public Wi-Fi is safe for mobile money. {F#It can be watched.#Right: use mobile data.}

::fee::A client pays 50 and the fee is 10%. What do you get? {#45:0}
"""


def test_gift_import_then_export(app, make, tmp_path):
    course = make.course()
    path = tmp_path / "bank.gift"
    path.write_text(GIFT)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["questions", "import", str(path), "--course", course.slug])
    assert result.exit_code == 0, result.output
    assert "Imported 3 question(s)" in result.output
    with app.app_context():
        questions = {q.key: q for q in db.session.scalars(select(Question))}
        assert questions["pw-strong"].type == "single_choice" and questions["pw-strong"].source == "gift"
        assert questions["pw-strong"].tags == ["safety", "passwords"]
        assert questions["public-wifi"].data["answer"] is False
        assert questions["fee"].data == {"answer": 45.0, "tolerance": 0.0}
    again = runner.invoke(args=["questions", "import", str(path), "--course", course.slug])
    assert "0 new, 3 updated" in again.output  # idempotent
    exported = runner.invoke(args=["questions", "export", "--course", course.slug])
    assert exported.exit_code == 0
    assert "::pw-strong::" in exported.output and "=green mango bus window" in exported.output
    assert "{#45" in exported.output


def test_gift_import_with_errors_writes_nothing_and_names_lines(app, make, tmp_path):
    course = make.course()
    path = tmp_path / "bad.gift"
    path.write_text(GIFT + "\n::essay::Describe your week. {}\n\n::open::Unclosed { =yes\n")
    result = app.test_cli_runner().invoke(args=["questions", "import", str(path), "--course", course.slug])
    assert result.exit_code == 1
    assert f"{path}:13:" in result.output and f"{path}:15:" in result.output
    with app.app_context():
        assert db.session.scalar(select(Question)) is None


def test_gift_import_refuses_ids_owned_by_the_courses_folder(app, make, tmp_path):
    course = make.course()
    make.quiz(course)  # folder questions q1..q3
    path = tmp_path / "clash.gift"
    path.write_text("::q1::Overwrite me? {T}\n")
    result = app.test_cli_runner().invoke(args=["questions", "import", str(path), "--course", course.slug])
    assert result.exit_code == 1 and "already used by a question from courses/" in result.output
