from samaschool.content.course_folder import read_courses
from tests.content.conftest import lesson, write


def problems_of(root):
    _specs, problems = read_courses(root)
    return [str(p) for p in problems]


def test_a_valid_course_has_no_problems(course_dir):
    specs, problems = read_courses(course_dir)
    assert problems == []
    assert [m.slug for m in specs[0].modules] == ["basics", "safety"]
    assert [lesson.slug for lesson in specs[0].lessons] == ["hello", "files", "passwords"]


def test_every_problem_names_file_and_line(course_dir):
    course = course_dir / "first-steps"
    text = (course / "course.yml").read_text()
    text = text.replace("level: beginner", "level: expert").replace("estimated_hours: 2", "estimated_hours: lots")
    text = text.replace("      - files\n", "      - files\n      - missing-lesson\n")
    (course / "course.yml").write_text(text)
    write(course / "basics" / "stray.md", lesson())
    write(course / "safety" / "passwords.md", "---\ntitle: Passwords\nminutes: 500\n---\nText\n")
    problems = problems_of(course_dir)
    assert any(p.endswith("course.yml:3: 'level' must be one of: beginner, intermediate, advanced") for p in problems)
    assert any("course.yml:5: 'estimated_hours' must be a whole number from 1 to 200" in p for p in problems)
    assert any("course.yml:12: lesson file 'basics/missing-lesson.md' does not exist" in p for p in problems)
    assert any("basics/stray.md:1: lesson file is not listed in course.yml" in p for p in problems)
    assert any("safety/passwords.md:3: 'minutes' must be a whole number from 1 to 120" in p for p in problems)


def test_yaml_syntax_errors_report_their_line(course_dir):
    course = course_dir / "first-steps"
    (course / "course.yml").write_text("title: First\nsummary: [unclosed\nlevel: beginner\n")
    problems = problems_of(course_dir)
    assert len(problems) == 1
    assert "course.yml:" in problems[0] and "YAML syntax error" in problems[0]


def test_front_matter_problems(course_dir):
    basics = course_dir / "first-steps" / "basics"
    write(basics / "hello.md", "No front matter here.\n")
    write(basics / "files.md", "---\ntitle: Files\nminutes: 5\ncolour: blue\n---\n\n")
    problems = problems_of(course_dir)
    assert any("hello.md:1: a lesson must start with front matter" in p for p in problems)
    assert any("files.md:4: unknown key 'colour'" in p for p in problems)
    assert any("files.md:6: the lesson has no text" in p for p in problems)


def test_duplicate_slugs_and_missing_module_folders(course_dir):
    course = course_dir / "first-steps"
    text = (course / "course.yml").read_text().replace("- passwords", "- hello") + (
        "  - slug: ghost\n    title: Ghost\n    lessons: [boo]\n"
    )
    (course / "course.yml").write_text(text)
    problems = problems_of(course_dir)
    assert any("lesson slug 'hello' is already used in module 'basics'" in p for p in problems)
    assert any("module folder 'ghost/' does not exist" in p for p in problems)
    assert any("safety/passwords.md:1: lesson file is not listed" in p for p in problems)


def test_unknown_keys_and_bad_slugs(course_dir):
    course = course_dir / "first-steps"
    text = (course / "course.yml").read_text().replace("title: First Steps", "title: First Steps\ntitel: typo")
    (course / "course.yml").write_text(text)
    write(course_dir / "Bad Folder" / "course.yml", "title: x\n")
    problems = problems_of(course_dir)
    assert any("course.yml:2: unknown key 'titel'" in p for p in problems)
    assert any("Bad Folder/course.yml:1: folder name 'Bad Folder' is not a valid course slug" in p for p in problems)
