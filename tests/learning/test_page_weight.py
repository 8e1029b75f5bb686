"""Low bandwidth first: a real lesson page, with its stylesheet, under 20 KB on first visit."""

import gzip
import re
from pathlib import Path

from samaschool.content.course_folder import read_courses
from samaschool.content.importer import import_courses
from samaschool.extensions import db

COURSES = Path(__file__).resolve().parents[2] / "courses"


def test_every_shipped_lesson_page_costs_under_20_kb_compressed(app, client, auth, make):
    with app.app_context():
        specs, problems = read_courses(COURSES)
        assert problems == []
        import_courses(specs)
        db.session.commit()
    user = make.user()
    auth.login(user.email)
    heaviest = 0
    for spec in specs:
        client.submit(f"/courses/{spec.slug}/enrol", page=f"/courses/{spec.slug}")
        for lesson in spec.lessons:
            response = client.get(f"/courses/{spec.slug}/lessons/{lesson.slug}", headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200
            html = gzip.decompress(response.data).decode()
            css_url = re.search(r'href="(/static/css/app\.css\?v=[^"]+)"', html).group(1)
            with client.get(css_url, headers={"Accept-Encoding": "gzip"}) as css:
                total = len(response.data) + len(css.data)
            heaviest = max(heaviest, total)
    assert heaviest < 20 * 1024, f"heaviest lesson page costs {heaviest} bytes"
