"""A learner passes the exam, downloads the PDF certificate and opens the verify URL from the QR."""

import re

from samaschool.certification.documents import qr_svg
from tests.browser.conftest import follow, log_in, pass_the_exam, screenshot
from tests.factories import PASSWORD


def test_pass_exam_download_pdf_and_verify(live_server, browser, make):
    course = make.course(title="Data Annotation Essentials", modules=1, lessons_per_module=1)
    make.quiz(course, module=None, key="exam", title="Certification exam", pass_mark_percent=80, questions_per_page=5)
    make.certification(course, quiz=type("Q", (), {"key": "exam"})(), min_percent=80)
    learner = make.user(name="Wanjiru Kamau")
    context = browser.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True)
    page = context.new_page()
    log_in(page, live_server, learner.email, PASSWORD)
    page.goto(f"{live_server}/courses/{course.slug}")
    pass_the_exam(page, live_server, course.slug)
    assert "You passed" in page.content()
    follow(page.get_by_role("link", name="See your certificate"))
    assert page.get_by_role("heading", name="Data Annotation Certificate").is_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Printable certificate (PDF)").click()
    pdf_path = download_info.value.path()
    with open(pdf_path, "rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF") and len(data) < 100_000

    verify_link = page.locator("a[href*='/verify/']").first
    verify_url = verify_link.get_attribute("href")
    # The QR on the page encodes exactly this address (same modules as a fresh code for it).
    drawn = page.evaluate("[...document.querySelectorAll('.qr svg path')].map(p => p.getAttribute('d')).join('|')")
    expected = "|".join(re.findall(r' d="([^"]+)"', qr_svg(verify_url)))
    assert drawn == expected
    screenshot(page, "certificate")
    anonymous = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    anonymous.goto(verify_url.replace("http://localhost", live_server))
    assert "Valid certificate" in anonymous.content() and "Wanjiru Kamau" in anonymous.content()
    context.close()
