import re
from pathlib import Path

from samaschool.content.course_folder import read_courses
from samaschool.content.markdown import render_markdown


def test_scripts_handlers_javascript_links_and_iframes_are_removed():
    html = render_markdown(
        "Hello <script>alert(1)</script>\n\n"
        '<img src="x.png" onerror="alert(2)" alt="pic">\n\n'
        "[click](javascript:alert(3))\n\n"
        '<iframe src="https://evil.example"></iframe>\n\n'
        '<a href="https://ok.example" onclick="steal()">ok</a>\n\n'
        '<p style="position:fixed">styled</p>\n'
    )
    lowered = html.lower()
    assert "<script" not in lowered and "alert(1)" not in lowered
    assert "onerror" not in lowered and "onclick" not in lowered
    assert "javascript:" not in lowered
    assert "<iframe" not in lowered
    assert "style=" not in lowered
    assert 'href="https://ok.example"' in html
    assert 'alt="pic"' in html


def test_markdown_features_authors_use_survive():
    html = render_markdown(
        "## Steps\n\n1. Open **Settings**\n2. Tap *Security*\n\n"
        "| Fee | Amount |\n|---|---|\n| Platform | 10% |\n\n> Tip: check the help centre.\n\n`code`\n"
    )
    for fragment in (
        "<h2>Steps</h2>",
        "<ol>",
        "<strong>Settings</strong>",
        "<em>Security</em>",
        "<table>",
        "<blockquote>",
        "<code>code</code>",
    ):
        assert fragment in html
    assert 'rel="noopener noreferrer nofollow"' in render_markdown("[a](https://example.org)")


def test_a_list_right_under_a_line_of_text_is_a_list():
    """Authors write "Checks:" and the list on the next line, as every Markdown preview shows it;
    it must not run into the paragraph as "Checks: - one - two" (it did in 169 places)."""
    html = render_markdown("Checks:\n- Zoom in.\n- Leave out the shadow.\n\nSteps:\n1. Open it.\n2. Save it.")
    assert "<p>Checks:</p>\n<ul>\n<li>Zoom in.</li>\n<li>Leave out the shadow.</li>\n</ul>" in html
    assert "<p>Steps:</p>\n<ol>\n<li>Open it.</li>" in html
    # A line that happens to start with a year stays text, and code blocks are left as written.
    assert "<p>In\n2019. it rained</p>" in render_markdown("In\n2019. it rained")
    assert "- not a list" in render_markdown("```\nx:\n- not a list\n```")


def test_no_shipped_lesson_shows_a_list_as_text(app):
    with app.app_context():
        specs, problems = read_courses(Path("courses"))
    assert not problems
    lessons = [lesson for spec in specs for lesson in spec.lessons]
    assert len(lessons) > 60
    for lesson in lessons:
        html = render_markdown(lesson.body)
        assert not re.search(r"<p>(?:(?!</p>).)*\n(?:[-*+]|1\.) ", html, re.S), lesson.file
