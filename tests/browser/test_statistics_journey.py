"""An admin opens the statistics, filters them by country (the filter stays in the address, so
the view can be shared) and downloads a table as CSV — in Chromium without JavaScript."""

from __future__ import annotations

import csv
import io

from samaschool.permissions import Role
from tests.browser.conftest import follow, log_in, screenshot
from tests.factories import PASSWORD


def test_an_admin_filters_the_statistics_and_downloads_a_csv(live_server, browser, make):
    course = make.course(title="Data Annotation Essentials")
    certification = make.certification(course, name="Data Annotation Certificate")
    for n in range(6):
        learner = make.user(name=f"Kenyan Learner {n}", country="KE")
        make.enrolment(learner, course)
        make.certificate(learner, certification)
    for n in range(2):
        make.user(name=f"Ugandan Learner {n}", country="UG")
    admin = make.user(Role.ADMIN)

    context = browser.new_context(
        viewport={"width": 1000, "height": 900}, java_script_enabled=False, accept_downloads=True
    )
    page = context.new_page()
    log_in(page, live_server, admin.email, PASSWORD)
    follow(page.get_by_role("link", name="Statistics"))
    assert page.get_by_role("heading", name="Certifications", exact=True).is_visible()
    assert page.locator("svg.chart").count() >= 1  # drawn on the server

    page.get_by_label("Country").select_option("KE")
    follow(page.get_by_role("button", name="Show"))
    assert "country=KE" in page.url
    screenshot(page, "statistics-filtered")
    page.goto(page.url)  # a shared link shows the same view
    assert page.get_by_label("Country").input_value() == "KE"

    follow(page.get_by_role("link", name="Learner funnel"))
    assert "country=KE" in page.url  # the filters travel with the tabs
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table as CSV").first.click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert len(rows) >= 2 and rows[0]  # a header and the figures
    context.close()
