def test_a_learner_who_prefers_swahili_gets_the_swahili_interface(app, client, auth, make):
    user = make.user(preferred_language="sw")
    auth.login(user.email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<html lang="sw">' in page
    assert ">Kozi<" in page  # "Courses" in the menu


def test_the_browser_language_is_used_before_login(client):
    page = client.get("/account/login", headers={"Accept-Language": "sw-KE,sw;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="sw">' in page
    english = client.get("/account/login", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Log in" in english
