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
